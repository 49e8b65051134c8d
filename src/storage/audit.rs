//! The append-only audit trail. Writes of case data insert their audit row in the same
//! transaction as the change (see [`insert_audit!`]), so a change without its trail cannot exist.

use super::models::AuditEvent;
use super::{Store, on_pool};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who did something.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `user`, `invite` or `system`.
    pub kind: &'static str,
    pub id: Option<Uuid>,
    /// Name and organisation as they were at the time, so the trail stays readable after an
    /// account is renamed or deactivated.
    pub label: String,
}

impl Actor {
    /// The service itself (escalation engine, retention purge, demo seeding).
    pub fn system(label: &str) -> Self {
        Actor { kind: "system", id: None, label: label.to_owned() }
    }
}

/// An audit row to write.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// What was done, `<subject>.<verb>`, e.g. `case.read`.
    pub action: &'static str,
    pub case_id: Option<Uuid>,
    pub subject: Option<(&'static str, Uuid)>,
    /// A short, secret-free detail, e.g. which domain or which status.
    pub detail: Option<String>,
}

#[doc(hidden)]
pub const INSERT_AUDIT_SQL: &str = "INSERT INTO audit_event \
    (id, at, actor_kind, actor_id, actor_label, action, case_id, subject_kind, subject_id, detail) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Inserts `$entry` (a `&NewAudit`) through `$executor` (a pool or `&mut *tx`).
macro_rules! insert_audit {
    ($executor:expr, $entry:expr) => {{
        let entry: &$crate::storage::audit::NewAudit = $entry;
        sqlx::query($crate::storage::audit::INSERT_AUDIT_SQL)
            .bind(uuid::Uuid::now_v7())
            .bind(entry.at)
            .bind(entry.actor.kind)
            .bind(entry.actor.id)
            .bind(entry.actor.label.as_str())
            .bind(entry.action)
            .bind(entry.case_id)
            .bind(entry.subject.map(|(kind, _)| kind))
            .bind(entry.subject.map(|(_, id)| id))
            .bind(entry.detail.as_deref())
            .execute($executor)
            .await
            .map(drop)
    }};
}
pub(crate) use insert_audit;

macro_rules! select_audit {
    ($tail:literal) => {
        concat!(
            "SELECT id, at, actor_kind, actor_id, actor_label, action, case_id, subject_kind, \
             subject_id, detail FROM audit_event ",
            $tail
        )
    };
}

impl Store {
    /// Records an event that is not part of a write (a read, a login).
    pub async fn record_audit(&self, entry: &NewAudit) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => insert_audit!(pool, entry))
    }

    /// The trail of one case, newest first.
    pub async fn case_audit(
        &self,
        case_id: Uuid,
        before: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, sqlx::Error> {
        const SQL: &str =
            select_audit!("WHERE case_id = $1 AND ($2 IS NULL OR at < $2) ORDER BY at DESC, id DESC LIMIT $3");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(case_id).bind(before).bind(limit).fetch_all(pool).await)
    }

    /// The whole trail, newest first, optionally only before a moment (for paging).
    pub async fn all_audit(&self, before: Option<DateTime<Utc>>, limit: i64) -> Result<Vec<AuditEvent>, sqlx::Error> {
        const SQL: &str = select_audit!("WHERE ($1 IS NULL OR at < $1) ORDER BY at DESC, id DESC LIMIT $2");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(before).bind(limit).fetch_all(pool).await)
    }
}
