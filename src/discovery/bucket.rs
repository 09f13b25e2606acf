//! Per-isolate limits: a token bucket for the report endpoint and a
//! sampler for cookie sightings. Per isolate, not global: a flood spread
//! over many isolates gets `capacity` per isolate, which with the bounded
//! body and the capped table (see [`super::store::MAX_ROWS`]) is enough to
//! keep the store small. The time is an input (milliseconds).

use std::collections::HashMap;

/// A token bucket: `capacity` requests at once, `per_second` after that.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last_ms: u64,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(capacity: u32, per_second: f64) -> TokenBucket {
        TokenBucket {
            capacity: f64::from(capacity),
            per_second,
            tokens: f64::from(capacity),
            last_ms: 0,
        }
    }

    /// Takes one token at `now_ms`; `false` when there is none (429).
    pub fn take(&mut self, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(self.last_ms) as f64 / 1000.0;
        self.last_ms = self.last_ms.max(now_ms);
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Lets one key through at most once per `interval_ms`, remembering at
/// most `max_keys` keys (when full, it forgets everything: sampling, not
/// accounting). Origin cookies are seen on every page view; one write per
/// cookie name, page and isolate every few minutes is enough to discover it.
#[derive(Debug, Clone)]
pub struct Sampler {
    interval_ms: u64,
    max_keys: usize,
    seen: HashMap<String, u64>,
}

impl Sampler {
    /// A sampler with nothing seen.
    pub fn new(interval_ms: u64, max_keys: usize) -> Sampler {
        Sampler {
            interval_ms,
            max_keys,
            seen: HashMap::new(),
        }
    }

    /// Whether `key` is let through at `now_ms`.
    pub fn admit(&mut self, key: &str, now_ms: u64) -> bool {
        if let Some(at) = self.seen.get(key) {
            if now_ms.saturating_sub(*at) < self.interval_ms {
                return false;
            }
        }
        if self.seen.len() >= self.max_keys && !self.seen.contains_key(key) {
            self.seen.clear();
        }
        self.seen.insert(key.to_owned(), now_ms);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let mut b = TokenBucket::new(3, 2.0);
        let t = 1_000_000;
        assert!((0..3).all(|_| b.take(t)));
        assert!(!b.take(t), "burst spent");
        assert!(!b.take(t + 400), "0.8 token");
        assert!(b.take(t + 500), "one token after 500 ms at 2/s");
        assert!(!b.take(t + 500));
        // Never above capacity, however long idle.
        assert!((0..3).all(|_| b.take(t + 3_600_000)));
        assert!(!b.take(t + 3_600_000));
        // A clock going backwards refills nothing.
        assert!(!b.take(t));
    }

    #[test]
    fn the_sampler_admits_a_key_once_per_interval_and_stays_bounded() {
        let mut s = Sampler::new(1_000, 2);
        assert!(s.admit("a", 0));
        assert!(!s.admit("a", 999));
        assert!(s.admit("a", 1_000));
        assert!(s.admit("b", 1_000));
        assert!(s.admit("c", 1_000), "full: forgets, admits");
        assert!(s.seen.len() <= 2);
    }
}
