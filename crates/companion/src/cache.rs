//! A short-lived cache of Pelm's data per user, so a chart that pans back
//! and forth does not spend the site's Pelm quota. It keeps two things
//! under one byte budget (bodies, keys and bookkeeping all counted):
//! answers as they are sent, in each coding made of them, and the intervals
//! of a span of one meter, read once, from which any window inside that
//! span and any level of it is answered without asking Pelm again. A
//! user's entries go when they connect again or disconnect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use pelm_model::pelm::MeterType;
use pelm_usage::Columns;

pub struct ResponseCache {
    ttl: Duration,
    max_bytes: usize,
    inner: Mutex<Inner>,
}

/// One meter's intervals over a span, as Pelm answered them, tidied.
#[derive(Debug)]
pub struct Series {
    pub columns: Columns,
    pub utility: String,
    pub meter_type: Option<MeterType>,
    /// Rows of Pelm's answer that could not be read.
    pub skipped: usize,
}

impl Series {
    fn weight(&self) -> usize {
        let per_row = 8 * 3 + self.columns.emissions.as_ref().map_or(0, |_| 8);
        self.columns.len() * per_row + self.utility.len()
    }
}

#[derive(Clone)]
enum Kept {
    Answer(Bytes),
    Series { from: i64, to: i64, series: Arc<Series> },
}

#[derive(Default)]
struct Inner {
    /// Per user, per key.
    users: HashMap<String, HashMap<String, Entry>>,
    bytes: usize,
}

struct Entry {
    kept: Kept,
    stored: Instant,
    /// What this entry costs: its body, its key and the map's bookkeeping.
    cost: usize,
}

/// A map entry's own memory, beside its key's and body's bytes.
const ENTRY_OVERHEAD: usize = 96;

impl ResponseCache {
    pub fn new(ttl: Duration, max_bytes: usize) -> Self {
        Self { ttl, max_bytes, inner: Mutex::default() }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn fresh(&self, entry: &Entry) -> bool {
        entry.stored.elapsed() < self.ttl
    }

    /// An answer kept under `key`, as it is sent.
    pub fn get(&self, user: &str, key: &str) -> Option<Bytes> {
        let inner = self.inner();
        let entry = inner.users.get(user)?.get(key).filter(|e| self.fresh(e))?;
        match &entry.kept {
            Kept::Answer(body) => Some(body.clone()),
            Kept::Series { .. } => None,
        }
    }

    pub fn put(&self, user: &str, key: &str, body: Bytes) {
        let weight = body.len();
        self.keep(user, key.to_owned(), Kept::Answer(body), weight);
    }

    /// Intervals of `series` (a meter, as Pelm's query names it) kept for a
    /// span that holds all of `[from, to)`.
    pub fn series(&self, user: &str, series: &str, from: i64, to: i64) -> Option<Arc<Series>> {
        let inner = self.inner();
        let prefix = series_prefix(series);
        inner.users.get(user)?.iter().find_map(|(key, entry)| match &entry.kept {
            Kept::Series { from: held_from, to: held_to, series }
                if key.starts_with(&prefix) && *held_from <= from && to <= *held_to && self.fresh(entry) =>
            {
                Some(series.clone())
            }
            _ => None,
        })
    }

    pub fn put_series(&self, user: &str, series_key: &str, from: i64, to: i64, series: Arc<Series>) {
        let weight = series.weight();
        let key = format!("{}{from}..{to}", series_prefix(series_key));
        self.keep(user, key, Kept::Series { from, to, series }, weight);
    }

    fn keep(&self, user: &str, key: String, kept: Kept, weight: usize) {
        // One entry may not take more than a quarter of the cache.
        if self.ttl.is_zero() || weight > self.max_bytes / 4 {
            return;
        }
        let mut inner = self.inner();
        let inner = &mut *inner;
        let cost = weight + user.len() + key.len() + ENTRY_OVERHEAD;
        let entry = Entry { kept, stored: Instant::now(), cost };
        if let Some(old) = inner.users.entry(user.to_owned()).or_default().insert(key, entry) {
            inner.bytes -= old.cost;
        }
        inner.bytes += cost;
        if inner.bytes > self.max_bytes {
            let ttl = self.ttl;
            for entries in inner.users.values_mut() {
                entries.retain(|_, e| e.stored.elapsed() < ttl);
            }
            inner.users.retain(|_, entries| !entries.is_empty());
            inner.bytes = inner.users.values().flat_map(|e| e.values()).map(|e| e.cost).sum();
        }
        // Still over: the oldest go, several at a time, so a full cache does
        // not scan the whole map for every answer it keeps.
        if inner.bytes > self.max_bytes {
            let mut by_age: Vec<(Instant, String, String)> = inner
                .users
                .iter()
                .flat_map(|(user, entries)| entries.iter().map(|(key, e)| (e.stored, user.clone(), key.clone())))
                .collect();
            by_age.sort_unstable_by_key(|(stored, ..)| *stored);
            let target = self.max_bytes - self.max_bytes / 8;
            for (_, user, key) in by_age {
                if inner.bytes <= target {
                    break;
                }
                if let Some(gone) = inner.users.get_mut(&user).and_then(|entries| entries.remove(&key)) {
                    inner.bytes -= gone.cost;
                }
            }
            inner.users.retain(|_, entries| !entries.is_empty());
        }
    }

    /// Drops everything cached for `user`.
    pub fn forget_user(&self, user: &str) {
        let mut inner = self.inner();
        if let Some(gone) = inner.users.remove(user) {
            inner.bytes -= gone.values().map(|e| e.cost).sum::<usize>();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner().users.values().map(HashMap::len).sum()
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.inner().bytes
    }
}

fn series_prefix(series: &str) -> String {
    format!("series|{series}|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_per_user_and_key_until_they_expire() {
        let cache = ResponseCache::new(Duration::from_millis(50), 10_000);
        cache.put("alice", "/accounts", Bytes::from_static(b"[1]"));
        assert_eq!(cache.get("alice", "/accounts").as_deref(), Some(&b"[1]"[..]));
        assert_eq!(cache.get("bob", "/accounts"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("alice", "/accounts"), None);
    }

    #[test]
    fn stays_within_its_bytes_by_dropping_the_oldest() {
        // Room for about three entries of 100 bytes with their keys.
        let cache = ResponseCache::new(Duration::from_secs(60), 3 * (100 + 3 + 2 + ENTRY_OVERHEAD));
        for i in 0..5 {
            cache.put("u", &format!("k{i}"), Bytes::from(vec![0; 100]));
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(cache.len() <= 3, "{} entries", cache.len());
        assert_eq!(cache.get("u", "k0"), None);
        assert!(cache.get("u", "k4").is_some());
        let huge = ResponseCache::new(Duration::from_secs(60), 1000);
        huge.put("u", "huge", Bytes::from(vec![0; 400]));
        assert_eq!(huge.get("u", "huge"), None, "an answer over a quarter of the cache is not kept");
    }

    #[test]
    fn many_small_answers_are_bounded_by_their_keys_too() {
        let cache = ResponseCache::new(Duration::from_secs(60), 64 * 1024);
        for i in 0..10_000 {
            cache.put(&format!("user-{i}"), &format!("/intervals?account_id={i}"), Bytes::from_static(b"[]"));
        }
        assert!(cache.bytes() <= 64 * 1024, "{} bytes", cache.bytes());
        assert!(cache.len() < 1000, "{} empty answers kept in 64 KiB", cache.len());
    }

    #[test]
    fn forgetting_a_user_leaves_the_others() {
        let cache = ResponseCache::new(Duration::from_secs(60), 10_000);
        cache.put("alice", "a", Bytes::from_static(b"1"));
        cache.put("bob", "b", Bytes::from_static(b"2"));
        cache.forget_user("alice");
        assert_eq!(cache.get("alice", "a"), None);
        assert!(cache.get("bob", "b").is_some());
        assert_eq!(cache.bytes(), cache.inner().users["bob"]["b"].cost);
    }

    #[test]
    fn a_series_answers_any_window_inside_its_span_for_its_own_meter_only() {
        let cache = ResponseCache::new(Duration::from_secs(60), 1 << 20);
        let series = Arc::new(Series {
            columns: Columns::default(),
            utility: "PG&E".to_owned(),
            meter_type: Some(MeterType::Electric),
            skipped: 0,
        });
        cache.put_series("alice", "account_id=a1&type=ELECTRIC", 100, 200, series);
        assert!(cache.series("alice", "account_id=a1&type=ELECTRIC", 120, 180).is_some());
        assert!(cache.series("alice", "account_id=a1&type=ELECTRIC", 100, 200).is_some());
        assert!(cache.series("alice", "account_id=a1&type=ELECTRIC", 90, 180).is_none(), "reaches before it");
        assert!(cache.series("alice", "account_id=a1&type=GAS", 120, 180).is_none(), "another meter");
        assert!(cache.series("bob", "account_id=a1&type=ELECTRIC", 120, 180).is_none(), "another user");
        assert!(cache.get("alice", "series|account_id=a1&type=ELECTRIC|100..200").is_none(), "not an answer");
    }
}
