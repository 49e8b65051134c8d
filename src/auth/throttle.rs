//! Exponential back-off after failures, per key: the arithmetic under the login limits
//! ([`super::login_limits`]). Pure: the caller passes the time in, nothing sleeps.
//!
//! Each key has a leaky bucket of failures. The first failures cost nothing; from the `free`-th
//! on, every failure makes the key wait before its next attempt, starting at `base` and doubling
//! up to `max`. Once a wait is over the bucket leaks one failure per `leak`, so a person's
//! occasional typos are forgotten, while someone who keeps guessing as soon as allowed stays at
//! the longest wait. A wait never locks anything for good.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

/// How a key's failures turn into waiting.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The failure that starts the first wait (the ones before it cost nothing).
    pub free: u32,
    /// One failure is forgotten per this much time after a wait is over.
    pub leak: Duration,
    /// The first wait; each further failure doubles it.
    pub base: Duration,
    /// The longest wait.
    pub max: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Failures not yet leaked away.
    level: u32,
    /// When `level` was last brought up to date (the leak is counted from here).
    since: DateTime<Utc>,
    /// No attempt before this moment.
    until: DateTime<Utc>,
}

impl Entry {
    /// Leaks what has leaked by `now`. Nothing leaks during a wait: otherwise a guesser who
    /// waits it out would find a shorter wait after every guess.
    fn settle(&mut self, now: DateTime<Utc>, leak: Duration) {
        let start = self.since.max(self.until);
        let leak_ms = leak.num_milliseconds().max(1);
        let elapsed_ms = (now - start).num_milliseconds();
        if elapsed_ms <= 0 {
            return;
        }
        let leaked = elapsed_ms / leak_ms;
        self.level = self.level.saturating_sub(u32::try_from(leaked).unwrap_or(u32::MAX));
        self.since = start + Duration::milliseconds(leaked * leak_ms);
    }

    /// Whether the entry holds nothing any more (all leaked, no wait running).
    fn spent(&self, now: DateTime<Utc>) -> bool {
        self.level == 0 && self.until <= now
    }
}

/// Failures per key, in bounded memory.
#[derive(Debug)]
pub struct Backoff {
    policy: Policy,
    /// At most this many keys are remembered; a spray of fresh keys pushes out the keys with the
    /// fewest failures first, never the ones being guessed at hardest.
    capacity: usize,
    /// Keys are stored as keyed 64-bit hashes: an entry costs the same small size however long
    /// the e-mail address a guesser sends, and the random key keeps collisions out of his reach.
    hasher: RandomState,
    entries: HashMap<u64, Entry>,
}

impl Backoff {
    pub fn new(policy: Policy, capacity: usize) -> Self {
        Backoff { policy, capacity: capacity.max(8), hasher: RandomState::new(), entries: HashMap::new() }
    }

    fn slot(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    /// How long `key` must still wait before its next attempt, if at all.
    pub fn wait(&self, key: &str, now: DateTime<Utc>) -> Option<Duration> {
        self.entries.get(&self.slot(key)).filter(|e| e.until > now).map(|e| e.until - now)
    }

    /// Counts a failure of `key`, which tolerates `extra` failures more than the policy;
    /// returns the wait it now has, if any.
    pub fn fail(&mut self, key: &str, now: DateTime<Utc>, extra: u32) -> Option<Duration> {
        let policy = self.policy;
        let slot = self.slot(key);
        if !self.entries.contains_key(&slot) {
            self.make_room(now);
        }
        let entry = self.entries.entry(slot).or_insert(Entry { level: 0, since: now, until: now });
        entry.settle(now, policy.leak);
        entry.level = entry.level.saturating_add(1);
        let free = policy.free.saturating_add(extra);
        if entry.level >= free {
            let doublings = (entry.level - free).min(30);
            let wait = (policy.base * 2_i32.pow(doublings)).min(policy.max);
            entry.until = entry.until.max(now + wait);
        }
        self.wait(key, now)
    }

    /// Takes back one failure counted ahead of time for an attempt that succeeded; the wait it
    /// started ends if the key is back under its tolerance (`extra` as in [`Backoff::fail`]).
    pub fn refund(&mut self, key: &str, now: DateTime<Utc>, extra: u32) {
        let policy = self.policy;
        let slot = self.slot(key);
        if let Some(entry) = self.entries.get_mut(&slot) {
            entry.settle(now, policy.leak);
            entry.level = entry.level.saturating_sub(1);
            if entry.level < policy.free.saturating_add(extra) {
                entry.until = entry.until.min(now);
            }
        }
    }

    /// Forgets `key` (after a success that proves it was no guesser).
    pub fn forget(&mut self, key: &str) {
        let slot = self.slot(key);
        self.entries.remove(&slot);
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Before a new key: drop what has leaked away; if that is not enough, drop the eighth of
    /// the keys with the fewest failures.
    fn make_room(&mut self, now: DateTime<Utc>) {
        if self.entries.len() < self.capacity {
            return;
        }
        let leak = self.policy.leak;
        self.entries.retain(|_, entry| {
            entry.settle(now, leak);
            !entry.spent(now)
        });
        if self.entries.len() < self.capacity {
            return;
        }
        let mut levels: Vec<u32> = self.entries.values().map(|e| e.level).collect();
        let cut = levels.len() / 8;
        let (_, threshold, _) = levels.select_nth_unstable(cut);
        let threshold = *threshold;
        let mut to_drop = cut.max(1);
        self.entries.retain(|_, entry| {
            if to_drop > 0 && entry.level <= threshold {
                to_drop -= 1;
                false
            } else {
                true
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy { free: 3, leak: Duration::minutes(5), base: Duration::seconds(1), max: Duration::minutes(15) }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-02T09:00:00Z").expect("a valid constant moment").to_utc()
    }

    #[test]
    fn the_free_failures_cost_nothing_and_each_further_one_doubles_the_wait() {
        let mut backoff = Backoff::new(policy(), 100);
        for _ in 0..2 {
            assert_eq!(backoff.fail("k", t0(), 0), None);
        }
        assert_eq!(backoff.fail("k", t0(), 0), Some(Duration::seconds(1)), "the third failure starts the wait");
        let later = t0() + Duration::seconds(1);
        assert_eq!(backoff.wait("k", later), None, "the wait is over after a second");
        assert_eq!(backoff.fail("k", later, 0), Some(Duration::seconds(2)));
        assert_eq!(backoff.fail("k", later + Duration::seconds(2), 0), Some(Duration::seconds(4)));
    }

    #[test]
    fn the_wait_never_grows_past_the_maximum() {
        let mut backoff = Backoff::new(policy(), 100);
        let mut now = t0();
        for _ in 0..60 {
            backoff.fail("k", now, 0);
            now += backoff.wait("k", now).unwrap_or_default();
        }
        assert_eq!(backoff.fail("k", now, 0), Some(Duration::minutes(15)));
    }

    #[test]
    fn waiting_out_each_wait_does_not_shorten_the_next() {
        let mut backoff = Backoff::new(policy(), 100);
        let mut now = t0();
        let mut last = Duration::zero();
        for _ in 0..15 {
            backoff.fail("k", now, 0);
            let wait = backoff.wait("k", now).unwrap_or_default();
            assert!(wait >= last, "{wait} after {last}");
            last = wait;
            now += wait;
        }
        assert_eq!(last, Duration::minutes(15));
    }

    #[test]
    fn failures_leak_away_so_occasional_typos_are_forgotten() {
        let mut backoff = Backoff::new(policy(), 100);
        let mut now = t0();
        for _ in 0..20 {
            assert_eq!(backoff.fail("k", now, 0), None, "one typo every ten minutes never waits");
            now += Duration::minutes(10);
        }
    }

    #[test]
    fn extra_tolerance_moves_the_first_wait_later() {
        let mut backoff = Backoff::new(policy(), 100);
        for _ in 0..4 {
            assert_eq!(backoff.fail("k", t0(), 2), None);
        }
        assert!(backoff.fail("k", t0(), 2).is_some());
    }

    #[test]
    fn other_keys_do_not_wait_for_one_that_does() {
        let mut backoff = Backoff::new(policy(), 100);
        for _ in 0..10 {
            backoff.fail("guessed", t0(), 0);
        }
        assert!(backoff.wait("guessed", t0()).is_some());
        assert_eq!(backoff.wait("other", t0()), None);
    }

    #[test]
    fn a_spray_of_fresh_keys_stays_bounded_and_keeps_the_key_guessed_hardest() {
        let mut backoff = Backoff::new(policy(), 1_000);
        for _ in 0..10 {
            backoff.fail("guessed", t0(), 0);
        }
        for i in 0..50_000 {
            backoff.fail(&format!("spray-{i}"), t0(), 0);
            assert!(backoff.len() <= 1_000);
        }
        assert!(backoff.wait("guessed", t0()).is_some(), "the key under attack is still remembered");
    }

    #[test]
    fn a_refund_under_the_tolerance_ends_the_wait_it_started() {
        let mut backoff = Backoff::new(policy(), 100);
        backoff.fail("k", t0(), 0);
        backoff.fail("k", t0(), 0);
        assert!(backoff.fail("k", t0(), 0).is_some());
        backoff.refund("k", t0(), 0);
        assert_eq!(backoff.wait("k", t0()), None);
        assert!(backoff.fail("k", t0(), 0).is_some(), "the refunded failure does not come back");
    }

    #[test]
    fn forgetting_a_key_ends_its_wait() {
        let mut backoff = Backoff::new(policy(), 100);
        for _ in 0..10 {
            backoff.fail("k", t0(), 0);
        }
        backoff.forget("k");
        assert_eq!(backoff.wait("k", t0()), None);
        assert!(backoff.is_empty());
    }
}
