//! Time as an input. Everything that depends on "now" (expiry, due dates, escalation rules,
//! readiness warnings) asks a [`Clock`], so tests can put the whole service at any moment.

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current moment.
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; shared handles see the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn at(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("the clock lock is never held across a panic");
        *now += by;
    }

    /// Puts the clock at `to`.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().expect("the clock lock is never held across a panic") = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("the clock lock is never held across a panic")
    }
}

/// The clock most of the code holds.
pub type SharedClock = Arc<dyn Clock>;
