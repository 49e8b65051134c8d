//! The retention period: a closed case is deleted once it has been closed longer than
//! `--retention-days`, with its conferences, minutes, actions, escalations and invites. What
//! stays is the audit trail (who did what, when), which names the case only by its id. Ended
//! sessions are forgotten too.

use crate::core::Context;
use crate::storage::audit::{Actor, NewAudit};
use chrono::Duration;

/// How many days an ended session is kept.
pub const SESSION_DAYS: i64 = 1;

/// What a purge removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Purged {
    pub cases: usize,
    pub sessions: u64,
}

/// Deletes what is past its retention period, at the clock's current time.
pub async fn purge(cx: &Context) -> Result<Purged, sqlx::Error> {
    let now = cx.clock.now();
    let mut purged = Purged::default();
    let cutoff = now - Duration::days(cx.settings.retention_days);
    for case_id in cx.store.cases_closed_before(cutoff).await? {
        let audit = NewAudit {
            at: now,
            actor: Actor::system("retention"),
            action: "case.purge",
            case_id: Some(case_id),
            subject: Some(("case", case_id)),
            detail: Some(format!("closed more than {} days ago", cx.settings.retention_days)),
        };
        if cx.store.delete_case(case_id, &audit).await? {
            tracing::info!(case = %case_id, "case deleted at the end of its retention period");
            purged.cases += 1;
        }
    }
    purged.sessions = cx.store.purge_sessions(now - Duration::days(SESSION_DAYS)).await?;
    Ok(purged)
}
