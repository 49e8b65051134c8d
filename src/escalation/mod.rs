//! Escalation to the steering group (DESIGN.md flows 4 and 5).
//!
//! The rules themselves are pure and live with the vocabulary: [`crate::domain::rules`] (which
//! escalations should exist, a function of now and the case data) and
//! [`crate::domain::readiness`] (per life domain, whether the release comes closer than its lead
//! time while nothing is under way).
//!
//! - [`engine`]: runs the rules (and the due-date reminders and the e-mail outbox) on a schedule
//!   and on demand; opening is idempotent through each escalation's `rule_key`.
//! - [`queue`]: the steering group's queue, escalating by hand, and the decision workflow
//!   open → under review → decided → closed, whose decisions flow back to the case and into
//!   the next conference's agenda.

pub mod access;
pub mod engine;
pub mod queue;
