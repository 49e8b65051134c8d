//! The escalation rules (DESIGN.md, "Escalation rules") as a pure function: given the moment,
//! the configuration and the facts of the cases, which escalations should exist. Nothing here
//! reads a clock or a database, so every boundary is tested on exact inputs.
//!
//! Each escalation the rules ask for carries a stable `rule_key`; the store inserts it with
//! `ON CONFLICT (rule_key) DO NOTHING`, so running the rules twice — or on two nodes at once —
//! opens nothing twice:
//!
//! - `overdue:<action>:<due date>`: the action is pending (open, in progress or blocked) and
//!   more than `overdue_days` calendar days past its due date (Dutch calendar). Moving the due
//!   date starts a new episode with a new key.
//! - `blocked:<action>:<status_changed_at>`: the action has been `blocked` for more than
//!   `blocked_days` × 24 hours. Unblocking and blocking again starts a new episode.
//! - `carried_over:<action>`: the action was on the table, still pending at the close, at each
//!   of the last `carry_over_conferences` finalised conferences of its case (the conference
//!   where it was agreed counts), and it is still pending now. Once per action.

use crate::domain::{ActionStatus, EscalationReason, LifeDomain};
use crate::i18n::{Lang, t};
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use uuid::Uuid;

/// The thresholds of the rules; the defaults are DESIGN.md's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleConfig {
    /// An action more than this many days past its due date escalates.
    pub overdue_days: i64,
    /// An action blocked for more than this many days escalates.
    pub blocked_days: i64,
    /// An action pending at this many consecutive conferences escalates.
    pub carry_over_conferences: usize,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig { overdue_days: 14, blocked_days: 7, carry_over_conferences: 3 }
    }
}

/// What the rules need to know about one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFacts {
    pub id: Uuid,
    pub domain: LifeDomain,
    pub status: ActionStatus,
    /// When the status last changed: the start of a `blocked` episode.
    pub status_changed_at: DateTime<Utc>,
    pub due_date: NaiveDate,
}

/// One finalised conference of a case and the actions that were on its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabledConference {
    pub finalised_at: DateTime<Utc>,
    /// Each action on the table, with its status when the minutes were finalised.
    pub actions: Vec<(Uuid, ActionStatus)>,
}

/// Everything about one case that the rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFacts {
    pub case_id: Uuid,
    pub actions: Vec<ActionFacts>,
    /// The case's finalised conferences, in any order.
    pub conferences: Vec<TabledConference>,
}

/// An escalation the rules ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub case_id: Uuid,
    pub action_id: Uuid,
    pub domain: LifeDomain,
    pub reason: EscalationReason,
    /// Unique per episode; the store ignores an opening whose key exists.
    pub rule_key: String,
    /// The facts behind it, in Dutch, for the queue.
    pub note: String,
}

/// The escalations that `config` asks for at `now`, over `cases`.
pub fn evaluate(now: DateTime<Utc>, config: &RuleConfig, cases: &[CaseFacts]) -> Vec<Opening> {
    let today = crate::timezone::to_local(now).date_naive();
    let mut openings = Vec::new();
    for case in cases {
        let recent = last_conferences(case, config.carry_over_conferences);
        for action in &case.actions {
            if !action.status.is_pending() {
                continue;
            }
            let open = |reason, rule_key: String, note: String| Opening {
                case_id: case.case_id,
                action_id: action.id,
                domain: action.domain,
                reason,
                rule_key,
                note,
            };
            let days_late = (today - action.due_date).num_days();
            if days_late > config.overdue_days {
                openings.push(open(
                    EscalationReason::Overdue,
                    format!("overdue:{}:{}", action.id, action.due_date),
                    t(Lang::Nl, "escalation.note.overdue")
                        .replace("{due}", &action.due_date.format("%d-%m-%Y").to_string())
                        .replace("{days}", &days_late.to_string()),
                ));
            }
            if action.status == ActionStatus::Blocked
                && now - action.status_changed_at > Duration::days(config.blocked_days)
            {
                let since = action.status_changed_at.to_rfc3339_opts(SecondsFormat::Micros, true);
                openings.push(open(
                    EscalationReason::Blocked,
                    format!("blocked:{}:{since}", action.id),
                    t(Lang::Nl, "escalation.note.blocked")
                        .replace("{days}", &(now - action.status_changed_at).num_days().to_string()),
                ));
            }
            if let Some(recent) = &recent
                && recent.iter().all(|c| pending_at(c, action.id))
            {
                openings.push(open(
                    EscalationReason::CarriedOver,
                    format!("carried_over:{}", action.id),
                    t(Lang::Nl, "escalation.note.carried_over")
                        .replace("{n}", &config.carry_over_conferences.to_string()),
                ));
            }
        }
    }
    openings
}

/// The last `n` finalised conferences, newest first; `None` while the case has had fewer.
fn last_conferences(case: &CaseFacts, n: usize) -> Option<Vec<&TabledConference>> {
    let mut conferences: Vec<&TabledConference> = case.conferences.iter().collect();
    conferences.sort_by_key(|c| std::cmp::Reverse(c.finalised_at));
    conferences.truncate(n);
    (n > 0 && conferences.len() == n).then_some(conferences)
}

fn pending_at(conference: &TabledConference, action_id: Uuid) -> bool {
    conference.actions.iter().any(|&(id, status)| id == action_id && status.is_pending())
}

#[cfg(test)]
mod tests;
