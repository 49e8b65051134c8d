//! The core below the HTTP layer: the [`Context`] that domain operations take — the store, the
//! clock, the events bus, the e-mail outbox and the settings — and nothing of HTTP, WebSockets
//! or media. A domain operation can be run and tested with a context alone; the HTTP layer's
//! `AppState` hands it out through axum's `FromRef`.

mod outbox;

pub use outbox::{MailConfigError, Mailer, Outbox};

use crate::auth::token::Keys;
use crate::clock::SharedClock;
use crate::domain::readiness::LeadDays;
use crate::domain::rules::RuleConfig;
use crate::events::Events;
use crate::storage::Store;
use std::sync::Arc;
use std::time::Duration;

/// What domain operations use. Cheap to clone: everything inside is shared.
#[derive(Debug, Clone)]
pub struct Context {
    pub store: Store,
    /// Now, for every rule and record (tests move it).
    pub clock: SharedClock,
    /// Changes to case data and to who may be where, for live views.
    pub events: Events,
    /// Notification e-mails.
    pub outbox: Outbox,
    pub settings: Arc<Settings>,
    /// The escalation rules, readiness lead times and engine schedule.
    pub escalation: Arc<EscalationSettings>,
    /// Signs and checks session tokens.
    pub keys: Arc<Keys>,
    /// The node's counters and timings (`--metrics-bind`).
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// Settings the request handlers read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where users reach the service; invite links start with it.
    pub public_url: String,
    pub session_minutes: i64,
    /// Hours after login when a session ends however active it is.
    pub session_max_hours: i64,
    /// Days a closed case is kept.
    pub retention_days: i64,
    pub invite_hours: i64,
    /// Set the `Secure` attribute on cookies (when served over HTTPS).
    pub secure_cookies: bool,
    pub max_body_bytes: usize,
    /// Interval of WebSocket pings.
    pub ws_ping: std::time::Duration,
}

/// The configured behaviour of the escalation engine and the readiness warnings.
#[derive(Debug, Clone, Default)]
pub struct EscalationSettings {
    /// The thresholds of the rules.
    pub rules: RuleConfig,
    /// The readiness lead time per life domain.
    pub lead_days: LeadDays,
    /// How often the engine runs in the background; `None`: only on demand.
    pub interval: Option<Duration>,
}
