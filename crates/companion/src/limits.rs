//! How much any one client, user or the whole companion may ask for: token
//! buckets per key (a user, a client address), the site-wide ceiling on calls
//! to Pelm, each user's slots for calls to Pelm, and which address a request
//! comes from.
//!
//! With one instance (SQLite) they are kept in memory. Instances sharing a
//! PostgreSQL store keep them there (migration 0007), so a limit holds for
//! the whole deployment rather than once per instance: each check is one
//! round trip, to a function that takes the token under a row lock by the
//! database's clock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::AnyPool;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a limit did not allow a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Refusal {
    /// Over the limit: this long until one more is allowed.
    Wait(Duration),
    /// The shared store that keeps the limit did not answer. The caller
    /// decides: state changes and strangers are refused (fail closed),
    /// reads by connected users go on.
    Unreachable,
}

/// Takes a token from `a` and, if given, from `b` (each a key and its
/// allowance a minute), in the store all instances share.
async fn take_shared(pool: &AnyPool, a: (&str, f64), b: Option<(&str, f64)>) -> Result<(), Refusal> {
    let wait: Result<f64, sqlx::Error> = sqlx::query_scalar("SELECT take_token($1, $2::float8, $3, $4::float8)")
        .bind(a.0)
        .bind(a.1)
        .bind(b.map(|(key, _)| key.to_owned()))
        // A rate beside no key is ignored; sqlx's Any binds a null float wrongly for PostgreSQL.
        .bind(b.map_or(1.0, |(_, rate)| rate))
        .fetch_one(pool)
        .await;
    match wait {
        Ok(wait) if wait <= 0.0 => Ok(()),
        Ok(wait) => Err(Refusal::Wait(Duration::from_secs_f64(wait.min(3600.0)))),
        Err(err) => {
            tracing::error!(%err, key = a.0.split(':').next(), "the shared limits did not answer");
            Err(Refusal::Unreachable)
        }
    }
}

/// A minute's allowance that may be spent at once and refills evenly over
/// the minute.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(per_minute: f64, now: Instant) -> Self {
        Self { tokens: per_minute, at: now }
    }

    fn refill(&mut self, per_minute: f64, now: Instant) {
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * per_minute / 60.0).min(per_minute);
        self.at = now;
    }

    /// How long until one token is there, or zero if it is there now.
    fn wait(&self, per_minute: f64) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) * 60.0 / per_minute)
        }
    }
}

/// A token bucket per key: per user, or per client address.
pub struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<Buckets>,
    /// Kept in the shared store under `{name}:{key}`, when there is one.
    shared: Option<(AnyPool, &'static str)>,
}

/// A full bucket is the same as none, so full ones are dropped whenever the
/// map has doubled since the last pruning: memory follows the keys active
/// in the last minute, not every key ever seen.
#[derive(Default)]
struct Buckets {
    map: HashMap<String, Bucket>,
    prune_at: usize,
}

/// The smallest map worth pruning.
const MIN_PRUNE_AT: usize = 1024;

impl RateLimiter {
    /// Buckets in this process only.
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute: f64::from(per_minute.max(1)), buckets: Mutex::default(), shared: None }
    }

    /// Buckets in `shared`, the store every instance uses, named `name`;
    /// in this process when there is none.
    pub fn shared(name: &'static str, per_minute: u32, shared: Option<AnyPool>) -> Self {
        Self { shared: shared.map(|pool| (pool, name)), ..Self::new(per_minute) }
    }

    /// Takes one request from `key`'s bucket, or says why not.
    pub async fn check(&self, key: &str) -> Result<(), Refusal> {
        match &self.shared {
            Some((pool, name)) => take_shared(pool, (&format!("{name}:{key}"), self.per_minute), None).await,
            None => self.check_here(key).map_err(Refusal::Wait),
        }
    }

    /// Takes one request from `key`'s bucket in this process, or says how
    /// long until one is allowed.
    pub fn check_here(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut guard = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Buckets { map, prune_at } = &mut *guard;
        if map.len() >= (*prune_at).max(MIN_PRUNE_AT) {
            let per_minute = self.per_minute;
            map.retain(|_, bucket| {
                bucket.refill(per_minute, now);
                bucket.tokens < per_minute
            });
            *prune_at = map.len() * 2;
        }
        let bucket = map.entry(key.to_owned()).or_insert(Bucket::full(self.per_minute, now));
        bucket.refill(self.per_minute, now);
        match bucket.wait(self.per_minute) {
            wait if wait.is_zero() => {
                bucket.tokens -= 1.0;
                Ok(())
            }
            wait => Err(wait),
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.lock().unwrap().map.len()
    }
}

/// On whose behalf a call to Pelm is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A user with a stored connection.
    Connected,
    /// A visitor who has not connected yet: anyone on the internet.
    Newcomer,
}

/// The site-wide ceiling on calls to Pelm, which spend the site's quota.
/// Newcomers share at most half of it, so a flood of made-up visitors
/// leaves the other half to the users who have connected.
pub struct PelmBudget {
    per_minute: f64,
    buckets: Mutex<(Bucket, Bucket)>,
    shared: Option<AnyPool>,
}

impl PelmBudget {
    /// The budget of every instance using `shared`, or of this process alone.
    pub fn new(per_minute: u32, shared: Option<AnyPool>) -> Self {
        let per_minute = f64::from(per_minute.max(2));
        let now = Instant::now();
        let buckets = Mutex::new((Bucket::full(per_minute, now), Bucket::full(per_minute / 2.0, now)));
        Self { per_minute, buckets, shared }
    }

    /// Takes one call from the budget, or says why not.
    pub async fn spend(&self, caller: Caller) -> Result<(), Refusal> {
        let Some(pool) = &self.shared else {
            return self.spend_here(caller).map_err(Refusal::Wait);
        };
        // "all" first for every caller: one order of locks.
        let newcomers = (caller == Caller::Newcomer).then_some(("pelm:newcomers", self.per_minute / 2.0));
        take_shared(pool, ("pelm:all", self.per_minute), newcomers).await
    }

    fn spend_here(&self, caller: Caller) -> Result<(), Duration> {
        let now = Instant::now();
        let mut guard = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (all, newcomers) = &mut *guard;
        all.refill(self.per_minute, now);
        newcomers.refill(self.per_minute / 2.0, now);
        let mut wait = all.wait(self.per_minute);
        if caller == Caller::Newcomer {
            wait = wait.max(newcomers.wait(self.per_minute / 2.0));
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        all.tokens -= 1.0;
        if caller == Caller::Newcomer {
            newcomers.tokens -= 1.0;
        }
        Ok(())
    }
}

/// How many data requests one user may have waiting on Pelm at once, so one
/// session cannot hold its whole minute's allowance of large answers in
/// memory together. Requests over the limit wait their turn. Instances
/// sharing a store also take a lease there, so the limit holds for the
/// deployment; each instance's own slots come first, so only the requests
/// that could run poll the store.
pub struct UserSlots {
    per_user: usize,
    map: Mutex<(HashMap<String, Arc<Semaphore>>, usize)>,
    shared: Option<(AnyPool, Duration)>,
}

/// A slot held: given back when dropped.
pub struct Slot {
    _here: OwnedSemaphorePermit,
    _lease: Option<Lease>,
}

/// A slot in the shared store, given back when dropped; if this instance
/// dies first, when the lease runs out.
struct Lease {
    pool: AnyPool,
    identity: String,
    slot: i32,
    holder: String,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let (pool, identity, slot, holder) =
            (self.pool.clone(), std::mem::take(&mut self.identity), self.slot, std::mem::take(&mut self.holder));
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            let given_back = sqlx::query("DELETE FROM user_slots WHERE identity = $1 AND slot = $2 AND holder = $3")
                .bind(identity)
                .bind(slot)
                .bind(holder)
                .execute(&pool)
                .await;
            if let Err(err) = given_back {
                tracing::warn!(%err, "a shared slot was not given back; its lease will run out");
            }
        });
    }
}

/// How often a request whose user's slots are all taken on other instances
/// looks again, at first and at most.
const SLOT_POLL: (Duration, Duration) = (Duration::from_millis(10), Duration::from_millis(200));

impl UserSlots {
    /// `lease`: longer than any one call to Pelm can take, retries included.
    pub fn new(per_user: u32, shared: Option<AnyPool>, lease: Duration) -> Self {
        Self { per_user: per_user.max(1) as usize, map: Mutex::default(), shared: shared.map(|pool| (pool, lease)) }
    }

    pub async fn acquire(&self, user: &str) -> Slot {
        let slots = {
            let mut guard = self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let (map, prune_at) = &mut *guard;
            // A user nobody is waiting for holds no slot: drop them as the map grows.
            if map.len() >= (*prune_at).max(MIN_PRUNE_AT) {
                map.retain(|_, slots| Arc::strong_count(slots) > 1);
                *prune_at = map.len() * 2;
            }
            map.entry(user.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(self.per_user))).clone()
        };
        let here = slots.acquire_owned().await.expect("a user's slots are never closed");
        let lease = match &self.shared {
            Some((pool, lease)) => self.lease(pool, *lease, user).await,
            None => None,
        };
        Slot { _here: here, _lease: lease }
    }

    /// A slot in the shared store, once one is free. `None` if the store
    /// does not answer: these are reads for a connected user, which go on.
    async fn lease(&self, pool: &AnyPool, lease: Duration, user: &str) -> Option<Lease> {
        let holder = hex::encode(rand::random::<[u8; 8]>());
        let mut pause = SLOT_POLL.0;
        loop {
            let taken: Result<Option<i32>, sqlx::Error> =
                sqlx::query_scalar("SELECT take_slot($1, $2::integer, $3::float8, $4)")
                    .bind(user)
                    .bind(self.per_user as i32)
                    .bind(lease.as_secs_f64())
                    .bind(&holder)
                    .fetch_one(pool)
                    .await;
            match taken {
                Ok(Some(slot)) => return Some(Lease { pool: pool.clone(), identity: user.to_owned(), slot, holder }),
                Ok(None) => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(SLOT_POLL.1);
                }
                Err(err) => {
                    tracing::error!(%err, "the shared slots did not answer; the call goes ahead");
                    return None;
                }
            }
        }
    }
}

/// An IP address or a CIDR block, from the trusted-proxies setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("{text:?} is not an IP address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => {
                p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{text:?} has a bad prefix"))?
            }
        };
        Ok(Self { addr, prefix })
    }
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.addr), ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 address seen through an IPv6 socket is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose word on the client's address is taken.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let networks = entries.iter().filter(|e| !e.trim().is_empty()).map(|e| e.parse()).collect::<Result<_, _>>()?;
        Ok(Self(networks))
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy;
    /// then the nearest address in `X-Forwarded-For` that is not one of ours.
    /// Proxies append, so everything left of that may be the client's invention.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let hops = forwarded_for.iter().flat_map(|value| value.split(',')).map(str::trim).rev();
        for hop in hops {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => continue,
                Ok(ip) => return canonical(ip),
                // An unreadable hop ends what can be believed.
                Err(_) => break,
            }
        }
        canonical(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_keys_buckets_are_dropped_as_new_keys_come() {
        // A minute's allowance refills in a few milliseconds here.
        let limiter = RateLimiter::new(60_000_000);
        for user in 0..MIN_PRUNE_AT {
            limiter.check_here(&format!("user-{user}")).unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
        limiter.check_here("newcomer").unwrap();
        assert_eq!(limiter.tracked(), 1, "full buckets were kept");
    }

    #[test]
    fn a_bucket_allows_a_minutes_worth_then_says_when() {
        let limiter = RateLimiter::new(3);
        for _ in 0..3 {
            limiter.check_here("a").unwrap();
        }
        let wait = limiter.check_here("a").unwrap_err();
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20), "{wait:?}");
        limiter.check_here("b").expect("another key has its own bucket");
    }

    #[test]
    fn newcomers_get_half_the_pelm_budget_and_leave_the_rest() {
        let budget = PelmBudget::new(10, None);
        let newcomers = (0..10).filter(|_| budget.spend_here(Caller::Newcomer).is_ok()).count();
        assert_eq!(newcomers, 5);
        let connected = (0..10).filter(|_| budget.spend_here(Caller::Connected).is_ok()).count();
        assert_eq!(connected, 5);
        assert!(budget.spend_here(Caller::Connected).is_err());
    }

    #[test]
    fn the_client_address_comes_from_forwarded_for_only_through_a_trusted_proxy() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".to_owned(), "::1".to_owned()]).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Not a proxy: its own word about anyone is ignored.
        assert_eq!(proxies.client_address(ip("203.0.113.9"), &["1.2.3.4"]), ip("203.0.113.9"));
        // Through the proxy: the nearest untrusted hop, not the client's own claim on the left.
        assert_eq!(proxies.client_address(ip("10.1.2.3"), &["6.6.6.6, 198.51.100.7"]), ip("198.51.100.7"));
        assert_eq!(proxies.client_address(ip("10.1.2.3"), &["198.51.100.7", "10.9.9.9"]), ip("198.51.100.7"));
        assert_eq!(proxies.client_address(ip("::ffff:10.1.2.3"), &[]), ip("10.1.2.3"));
        assert_eq!(proxies.client_address(ip("10.1.2.3"), &["junk"]), ip("10.1.2.3"));
        assert!(TrustedProxies::default().client_address(ip("10.1.2.3"), &["1.1.1.1"]) == ip("10.1.2.3"));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        assert!("nonsense".parse::<Network>().is_err());
        assert!("0.0.0.0/0".parse::<Network>().unwrap().contains(ip("8.8.8.8")));
    }
}
