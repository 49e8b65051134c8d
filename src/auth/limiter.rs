//! A fixed-window limiter for attempts that an attacker would repeat (logins, invite look-ups).

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// Counts attempts per key within a window and refuses past a maximum.
#[derive(Debug)]
pub struct Limiter {
    max: u32,
    window: Duration,
    /// Per key: when its window started and how many attempts it has seen.
    windows: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
}

impl Limiter {
    /// At most `max` attempts per key in each `window`.
    pub fn new(max: u32, window: Duration) -> Self {
        Limiter { max, window, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt for `key`; `false` if the key is over its limit.
    pub fn attempt(&self, key: &str, now: DateTime<Utc>) -> bool {
        let mut windows = self.windows.lock().expect("the limiter lock is never held across a panic");
        if windows.len() > 100_000 {
            // Bounded memory under a spray of keys: forget windows that are over.
            windows.retain(|_, (start, _)| now - *start < self.window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now - entry.0 >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.max
    }

    /// Whether `key` has used up its attempts in the current window (without counting one).
    pub fn blocked(&self, key: &str, now: DateTime<Utc>) -> bool {
        let windows = self.windows.lock().expect("the limiter lock is never held across a panic");
        windows.get(key).is_some_and(|(start, count)| now - *start < self.window && *count >= self.max)
    }

    /// Forgets a key's attempts (after a successful login).
    pub fn reset(&self, key: &str) {
        self.windows.lock().expect("the limiter lock is never held across a panic").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_over_the_maximum_are_refused_until_the_window_passes() {
        let limiter = Limiter::new(3, Duration::minutes(15));
        let t0 = Utc::now();
        assert!((0..3).all(|_| limiter.attempt("a", t0)));
        assert!(!limiter.attempt("a", t0));
        assert!(limiter.attempt("b", t0), "other keys are not affected");
        assert!(limiter.attempt("a", t0 + Duration::minutes(15)));
    }

    #[test]
    fn a_key_is_blocked_once_its_attempts_are_used_up_and_not_before() {
        let limiter = Limiter::new(2, Duration::minutes(15));
        let t0 = Utc::now();
        assert!(!limiter.blocked("a", t0));
        limiter.attempt("a", t0);
        assert!(!limiter.blocked("a", t0));
        limiter.attempt("a", t0);
        assert!(limiter.blocked("a", t0));
        assert!(!limiter.blocked("a", t0 + Duration::minutes(15)));
    }

    #[test]
    fn a_reset_clears_the_count() {
        let limiter = Limiter::new(1, Duration::minutes(15));
        let t0 = Utc::now();
        assert!(limiter.attempt("a", t0));
        limiter.reset("a");
        assert!(limiter.attempt("a", t0));
    }
}
