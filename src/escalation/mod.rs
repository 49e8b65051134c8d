//! Escalation to the steering group (DESIGN.md flows 4 and 5).
//!
//! - [`rules`]: which escalations should exist — a pure function of now and the case data.
//! - [`readiness`]: per life domain, whether the release comes closer than its lead time while
//!   nothing is under way — also pure.
//! - [`engine`]: runs the rules (and the due-date reminders and the e-mail outbox) on a schedule
//!   and on demand; opening is idempotent through each escalation's `rule_key`.
//! - [`queue`]: the steering group's queue, escalating by hand, and the decision workflow
//!   open → under review → decided → closed, whose decisions flow back to the case and into
//!   the next conference's agenda.

pub mod engine;
pub mod queue;
pub mod readiness;
pub mod rules;

use readiness::LeadDays;
use rules::RuleConfig;
use std::time::Duration;

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
