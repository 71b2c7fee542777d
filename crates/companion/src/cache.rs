//! A short-lived cache of Pelm's data answers, per user and query, so a chart
//! that pans back and forth does not spend the site's Pelm quota. Bounded by
//! bytes (bodies, keys and bookkeeping all counted), however many entries
//! that makes; a user's entries go when they connect again or disconnect.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;

pub struct ResponseCache {
    ttl: Duration,
    max_bytes: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<(String, String), Entry>,
    bytes: usize,
}

struct Entry {
    body: Bytes,
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

    pub fn get(&self, user: &str, key: &str) -> Option<Bytes> {
        let inner = self.inner();
        let entry = inner.entries.get(&(user.to_owned(), key.to_owned()))?;
        (entry.stored.elapsed() < self.ttl).then(|| entry.body.clone())
    }

    pub fn put(&self, user: &str, key: &str, body: Bytes) {
        // One answer may not take more than a quarter of the cache.
        if self.ttl.is_zero() || body.len() > self.max_bytes / 4 {
            return;
        }
        let mut inner = self.inner();
        let inner = &mut *inner;
        let cost = body.len() + user.len() + key.len() + ENTRY_OVERHEAD;
        let entry = Entry { body, stored: Instant::now(), cost };
        if let Some(old) = inner.entries.insert((user.to_owned(), key.to_owned()), entry) {
            inner.bytes -= old.cost;
        }
        inner.bytes += cost;
        if inner.bytes > self.max_bytes {
            let ttl = self.ttl;
            inner.entries.retain(|_, e| e.stored.elapsed() < ttl);
            inner.bytes = inner.entries.values().map(|e| e.cost).sum();
        }
        // Still over: the oldest go, several at a time, so a full cache does
        // not scan the whole map for every answer it keeps.
        if inner.bytes > self.max_bytes {
            let mut by_age: Vec<_> = inner.entries.iter().map(|(k, e)| (e.stored, k.clone())).collect();
            by_age.sort_unstable_by_key(|(stored, _)| *stored);
            let target = self.max_bytes - self.max_bytes / 8;
            for (_, oldest) in by_age {
                if inner.bytes <= target {
                    break;
                }
                if let Some(gone) = inner.entries.remove(&oldest) {
                    inner.bytes -= gone.cost;
                }
            }
        }
    }

    /// Drops everything cached for `user`.
    pub fn forget_user(&self, user: &str) {
        let mut inner = self.inner();
        inner.entries.retain(|(owner, _), _| owner != user);
        inner.bytes = inner.entries.values().map(|e| e.cost).sum();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner().entries.len()
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.inner().bytes
    }
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
    }
}
