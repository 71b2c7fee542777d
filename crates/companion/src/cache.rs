//! A short-lived cache of Pelm's data answers, per user and query, so a chart
//! that pans back and forth does not spend the site's Pelm quota. Bounded in
//! entries and bytes; a user's entries go when they disconnect.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;

pub struct ResponseCache {
    ttl: Duration,
    max_entries: usize,
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
}

impl ResponseCache {
    pub fn new(ttl: Duration, max_entries: usize, max_bytes: usize) -> Self {
        Self { ttl, max_entries, max_bytes, inner: Mutex::default() }
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
        if let Some(old) = inner
            .entries
            .insert((user.to_owned(), key.to_owned()), Entry { body: body.clone(), stored: Instant::now() })
        {
            inner.bytes -= old.body.len();
        }
        inner.bytes += body.len();
        let ttl = self.ttl;
        let before = inner.entries.len();
        inner.entries.retain(|_, e| e.stored.elapsed() < ttl);
        if inner.entries.len() != before {
            inner.bytes = inner.entries.values().map(|e| e.body.len()).sum();
        }
        while inner.entries.len() > self.max_entries || inner.bytes > self.max_bytes {
            let Some(oldest) = inner.entries.iter().min_by_key(|(_, e)| e.stored).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(gone) = inner.entries.remove(&oldest) {
                inner.bytes -= gone.body.len();
            }
        }
    }

    /// Drops everything cached for `user`.
    pub fn forget_user(&self, user: &str) {
        let mut inner = self.inner();
        inner.entries.retain(|(owner, _), _| owner != user);
        inner.bytes = inner.entries.values().map(|e| e.body.len()).sum();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_per_user_and_key_until_they_expire() {
        let cache = ResponseCache::new(Duration::from_millis(50), 10, 1000);
        cache.put("alice", "/accounts", Bytes::from_static(b"[1]"));
        assert_eq!(cache.get("alice", "/accounts").as_deref(), Some(&b"[1]"[..]));
        assert_eq!(cache.get("bob", "/accounts"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("alice", "/accounts"), None);
    }

    #[test]
    fn stays_within_its_bounds_by_dropping_the_oldest() {
        let cache = ResponseCache::new(Duration::from_secs(60), 3, 1000);
        for i in 0..5 {
            cache.put("u", &format!("k{i}"), Bytes::from(vec![0; 10]));
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get("u", "k0"), None);
        assert!(cache.get("u", "k4").is_some());
        let small = ResponseCache::new(Duration::from_secs(60), 100, 100);
        for i in 0..10 {
            small.put("u", &format!("k{i}"), Bytes::from(vec![0; 20]));
        }
        assert!(small.len() <= 5, "{} entries of 20 bytes in 100", small.len());
        small.put("u", "huge", Bytes::from(vec![0; 80]));
        assert_eq!(small.get("u", "huge"), None, "an answer over a quarter of the cache is not kept");
    }

    #[test]
    fn forgetting_a_user_leaves_the_others() {
        let cache = ResponseCache::new(Duration::from_secs(60), 10, 1000);
        cache.put("alice", "a", Bytes::from_static(b"1"));
        cache.put("bob", "b", Bytes::from_static(b"2"));
        cache.forget_user("alice");
        assert_eq!(cache.get("alice", "a"), None);
        assert!(cache.get("bob", "b").is_some());
    }
}
