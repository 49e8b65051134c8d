//! The login limits: keep password guessing out without handing strangers a way to lock people
//! out (the policy is described in docs/security.md, "Login limits").
//!
//! - A browser that logged in to the account before (a [`KnownDevice`]) is held back only by
//!   its own failures: nobody else's guesses, at the account or from the same address, stop the
//!   right password from there.
//! - Everyone else waits, exponentially, per (account, address) pair, per account, and per
//!   address (an IPv6 /64 counts as one address). The address tolerates more failures for
//!   every colleague who logged in from it recently, so a whole prison behind one address
//!   keeps working while a spray across accounts is slowed down.
//!
//! Pure bookkeeping: the caller passes `now` in and does the waiting by refusing (429).

use super::device::{DeviceKey, KnownDevice};
use super::throttle::{Backoff, Policy};
use crate::secret::Secret;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;
use uuid::Uuid;

/// Guessing one account from one address.
const PAIR: Policy = policy(5, 5);
/// Guessing one account from anywhere (a botnet's many addresses).
const ACCOUNT: Policy = policy(20, 5);
/// Spraying passwords across accounts from one address.
const ADDRESS: Policy = policy(100, 1);
/// Guessing with a stolen known-device cookie.
const DEVICE: Policy = policy(10, 5);
/// Guessing the current password inside a session (changing the password).
const SESSION: Policy = policy(10, 5);
/// Failures more an address tolerates per account that logged in from it in the last week…
const PER_REGULAR: u32 = 20;
/// …counting at most this many accounts.
const MAX_REGULARS: usize = 64;
/// Keys remembered per table; beyond it, the keys with the fewest failures are forgotten.
const CAPACITY: usize = 50_000;

const fn policy(free: u32, leak_minutes: i64) -> Policy {
    Policy { free, leak: Duration::minutes(leak_minutes), base: Duration::seconds(1), max: Duration::minutes(15) }
}

/// One login attempt as the limits see it.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// The normalised e-mail address tried (whether or not such an account exists).
    pub account: &'a str,
    pub address: IpAddr,
    /// A valid known-device cookie of this account, if the browser sent one.
    pub device: Option<&'a KnownDevice>,
}

/// Which limit held an attempt back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Device,
    Pair,
    Account,
    Address,
    Session,
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Device => "device",
            Limit::Pair => "account_and_address",
            Limit::Account => "account",
            Limit::Address => "address",
            Limit::Session => "session",
        }
    }
}

/// An attempt refused before its password was looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub limit: Limit,
    /// How long until the next attempt is looked at.
    pub retry_after: Duration,
}

struct Tables {
    pair: Backoff,
    account: Backoff,
    address: Backoff,
    device: Backoff,
    session: Backoff,
    /// Per address: which accounts (hashed) logged in from it, and when last.
    regulars: HashMap<String, Vec<(u64, DateTime<Utc>)>>,
}

/// The login limits of this node.
pub struct LoginLimits {
    tables: Mutex<Tables>,
    /// Signs and checks known-device cookies.
    pub device_key: DeviceKey,
}

impl std::fmt::Debug for LoginLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginLimits")
    }
}

/// The key of an address: IPv4 as it is, IPv6 by its /64 (one subscriber's whole range).
pub fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

fn pair_key(attempt: &Attempt<'_>) -> String {
    format!("{}|{}", attempt.account, address_key(attempt.address))
}

fn account_hash(account: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    account.hash(&mut hasher);
    hasher.finish()
}

impl Tables {
    /// Failures the address tolerates beyond the policy, for the colleagues who log in from it.
    fn address_extra(&self, address: &str, now: DateTime<Utc>) -> u32 {
        let recent = self
            .regulars
            .get(address)
            .map(|accounts| accounts.iter().filter(|(_, at)| now - *at < Duration::days(7)).count())
            .unwrap_or(0);
        PER_REGULAR * u32::try_from(recent.min(MAX_REGULARS)).unwrap_or(0)
    }

    fn add_regular(&mut self, address: String, account: &str, now: DateTime<Utc>) {
        let week = Duration::days(7);
        if !self.regulars.contains_key(&address) && self.regulars.len() >= CAPACITY {
            self.regulars.retain(|_, accounts| accounts.iter().any(|(_, at)| now - *at < week));
            if self.regulars.len() >= CAPACITY {
                // A convenience, not a defence: when full, a new address simply gets no bonus.
                return;
            }
        }
        let accounts = self.regulars.entry(address).or_default();
        accounts.retain(|(_, at)| now - *at < week);
        let hash = account_hash(account);
        if let Some(known) = accounts.iter_mut().find(|(h, _)| *h == hash) {
            known.1 = now;
        } else if accounts.len() < MAX_REGULARS {
            accounts.push((hash, now));
        }
    }
}

impl LoginLimits {
    pub fn new(secret: &Secret) -> Self {
        LoginLimits {
            tables: Mutex::new(Tables {
                pair: Backoff::new(PAIR, CAPACITY),
                account: Backoff::new(ACCOUNT, CAPACITY),
                address: Backoff::new(ADDRESS, CAPACITY),
                device: Backoff::new(DEVICE, CAPACITY),
                session: Backoff::new(SESSION, CAPACITY),
                regulars: HashMap::new(),
            }),
            device_key: DeviceKey::from_secret(secret),
        }
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().expect("the login limits' lock is never held across a panic")
    }

    /// Whether the attempt's password may be checked now. An admitted attempt is counted as a
    /// failure at once, so a burst of parallel guesses cannot all pass before the first one is
    /// counted; [`LoginLimits::succeeded`] takes it back.
    pub fn admit(&self, attempt: &Attempt<'_>, now: DateTime<Utc>) -> Result<(), Refused> {
        let mut tables = self.tables();
        let address = address_key(attempt.address);
        let pair = pair_key(attempt);
        let waits = match attempt.device {
            Some(device) => vec![(Limit::Device, tables.device.wait(&device.nonce, now))],
            None => vec![
                (Limit::Pair, tables.pair.wait(&pair, now)),
                (Limit::Account, tables.account.wait(attempt.account, now)),
                (Limit::Address, tables.address.wait(&address, now)),
            ],
        };
        let longest = waits.into_iter().filter_map(|(limit, wait)| wait.map(|w| (limit, w))).max_by_key(|(_, w)| *w);
        if let Some((limit, retry_after)) = longest {
            return Err(Refused { limit, retry_after });
        }
        match attempt.device {
            Some(device) => {
                tables.device.fail(&device.nonce, now, 0);
            }
            None => {
                let extra = tables.address_extra(&address, now);
                tables.pair.fail(&pair, now, 0);
                tables.account.fail(attempt.account, now, 0);
                tables.address.fail(&address, now, extra);
            }
        }
        Ok(())
    }

    /// The admitted attempt had the right password: the pair and the device start afresh, the
    /// attempt is taken back from the account and the address, and the address counts one more
    /// colleague. Earlier failures at the account and the address leak away in their own time (a
    /// success must not hand a guesser a fresh allowance).
    pub fn succeeded(&self, attempt: &Attempt<'_>, now: DateTime<Utc>) {
        let mut tables = self.tables();
        let address = address_key(attempt.address);
        match attempt.device {
            Some(device) => tables.device.forget(&device.nonce),
            None => {
                let extra = tables.address_extra(&address, now);
                tables.pair.forget(&pair_key(attempt));
                tables.account.refund(attempt.account, now, 0);
                tables.address.refund(&address, now, extra);
            }
        }
        tables.add_regular(address, attempt.account, now);
    }

    /// Whether a session may try its current password now (changing the password); counted
    /// as a failure at once, like [`LoginLimits::admit`].
    pub fn admit_session(&self, session: Uuid, now: DateTime<Utc>) -> Result<(), Refused> {
        let mut tables = self.tables();
        let key = session.to_string();
        if let Some(retry_after) = tables.session.wait(&key, now) {
            return Err(Refused { limit: Limit::Session, retry_after });
        }
        tables.session.fail(&key, now, 0);
        Ok(())
    }

    /// The session gave its right current password.
    pub fn session_succeeded(&self, session: Uuid) {
        self.tables().session.forget(&session.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> LoginLimits {
        LoginLimits::new(&Secret::new("test secret of enough length for the login limits"))
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-02T09:00:00Z").expect("a valid constant moment").to_utc()
    }

    const ATTACKER: &str = "198.51.100.7";
    const PRISON: &str = "203.0.113.10";

    fn attempt<'a>(account: &'a str, address: &str, device: Option<&'a KnownDevice>) -> Attempt<'a> {
        Attempt { account, address: address.parse().expect("a valid address"), device }
    }

    /// Guesses wrong `n` times, each time as soon as the limits allow; the moment of the last.
    fn guess(limits: &LoginLimits, attempt: &Attempt<'_>, n: usize, mut now: DateTime<Utc>) -> DateTime<Utc> {
        for _ in 0..n {
            while let Err(refused) = limits.admit(attempt, now) {
                now += refused.retry_after;
            }
        }
        now
    }

    #[test]
    fn guessing_one_account_from_one_address_waits_longer_and_longer() {
        let limits = limits();
        let attacker = attempt("cm@pi.example", ATTACKER, None);
        let mut now = t0();
        for _ in 0..5 {
            assert!(limits.admit(&attacker, now).is_ok());
        }
        let first = limits.admit(&attacker, now).expect_err("the sixth guess waits");
        assert_eq!((first.limit, first.retry_after), (Limit::Pair, Duration::seconds(1)));
        now = guess(&limits, &attacker, 20, now);
        let later = limits.admit(&attacker, now).expect_err("still guessing, still waiting");
        assert_eq!(later.retry_after, Duration::minutes(15));
        let took = now - t0();
        assert!(took >= Duration::hours(1), "25 guesses took {took} instead of seconds");
    }

    #[test]
    fn the_right_password_from_a_known_device_passes_whatever_strangers_did() {
        let limits = limits();
        let device = KnownDevice { nonce: "n".repeat(22) };
        let now = guess(&limits, &attempt("cm@pi.example", ATTACKER, None), 50, t0());
        // The botnet variant: many addresses, one account.
        let mut later = now;
        for i in 0..60 {
            later = guess(&limits, &attempt("cm@pi.example", &format!("192.0.2.{i}"), None), 1, later);
        }
        assert!(limits.admit(&attempt("cm@pi.example", "192.0.2.200", None), later).is_err());
        assert_eq!(limits.admit(&attempt("cm@pi.example", ATTACKER, Some(&device)), later), Ok(()));
        assert_eq!(limits.admit(&attempt("cm@pi.example", PRISON, Some(&device)), later), Ok(()));
    }

    #[test]
    fn a_known_device_is_held_back_by_its_own_failures_only() {
        let limits = limits();
        let device = KnownDevice { nonce: "d".repeat(22) };
        let stolen = attempt("cm@pi.example", ATTACKER, Some(&device));
        for _ in 0..10 {
            assert!(limits.admit(&stolen, t0()).is_ok());
        }
        assert_eq!(limits.admit(&stolen, t0()).map_err(|r| r.limit), Err(Limit::Device));
        assert!(limits.admit(&attempt("cm@pi.example", PRISON, None), t0()).is_ok());
    }

    #[test]
    fn spraying_many_accounts_from_one_address_is_slowed_but_the_colleagues_there_are_not() {
        let limits = limits();
        for colleague in ["a@pi.example", "b@pi.example", "c@pi.example"] {
            let login = attempt(colleague, PRISON, None);
            assert!(limits.admit(&login, t0()).is_ok());
            limits.succeeded(&login, t0());
        }
        // 100 failures and 20 for each of the three colleagues are free; then spraying waits.
        for i in 0..160 {
            let account = format!("user{i}@pi.example");
            let sprayed = attempt(&account, PRISON, None);
            assert!(limits.admit(&sprayed, t0()).is_ok(), "failure {i} is within the allowance");
        }
        let refused = limits.admit(&attempt("user999@pi.example", PRISON, None), t0()).expect_err("spraying waits");
        assert_eq!(refused.limit, Limit::Address);
        let device = KnownDevice { nonce: "a".repeat(22) };
        assert_eq!(limits.admit(&attempt("a@pi.example", PRISON, Some(&device)), t0()), Ok(()));
        assert!(
            limits.admit(&attempt("a@pi.example", "203.0.113.11", None), t0()).is_ok(),
            "another address is not affected"
        );
    }

    #[test]
    fn a_colleagues_typos_are_free_and_a_success_forgets_them() {
        let limits = limits();
        let login = attempt("cm@pi.example", PRISON, None);
        for _ in 0..5 {
            assert!(limits.admit(&login, t0()).is_ok(), "four typos, then the right password");
        }
        limits.succeeded(&login, t0());
        for _ in 0..5 {
            assert!(limits.admit(&login, t0()).is_ok(), "the next day's four typos are free again");
        }
    }

    #[test]
    fn an_ipv6_subscriber_counts_as_one_address() {
        assert_eq!(address_key("2001:db8:1:2:aaaa::1".parse().expect("v6")), "2001:db8:1:2::/64");
        assert_eq!(
            address_key("2001:db8:1:2:bbbb::9".parse().expect("v6")),
            address_key("2001:db8:1:2:cccc::7".parse().expect("v6"))
        );
        assert_eq!(address_key("::ffff:192.0.2.1".parse().expect("mapped")), "192.0.2.1");
    }

    #[test]
    fn guessing_the_current_password_in_a_session_waits_after_ten() {
        let limits = limits();
        let session = Uuid::now_v7();
        for _ in 0..10 {
            assert!(limits.admit_session(session, t0()).is_ok());
        }
        assert!(limits.admit_session(session, t0()).is_err());
        assert!(limits.admit_session(Uuid::now_v7(), t0()).is_ok());
    }
}
