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

/// Which part of the whole trail to read; `None` leaves a criterion out.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events before this moment.
    pub before: Option<DateTime<Utc>>,
    /// Only events at or after this moment.
    pub from: Option<DateTime<Utc>>,
    /// Part of the actor's name (accounts and the service only), any case.
    pub actor: Option<String>,
    pub case_id: Option<Uuid>,
    /// The start of the action, e.g. `case.` or `account.create`.
    pub action: Option<String>,
}

/// `text` with the LIKE wildcards and the escape character taken literally.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
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
        self.filtered_audit(&AuditFilter { before, ..AuditFilter::default() }, limit).await
    }

    /// How often `action` was recorded, and the last time.
    pub async fn action_tally(&self, action: &str) -> Result<(i64, Option<DateTime<Utc>>), sqlx::Error> {
        const COUNT: &str = "SELECT COUNT(*) FROM audit_event WHERE action = $1";
        const LAST: &str = "SELECT at FROM audit_event WHERE action = $1 ORDER BY at DESC LIMIT 1";
        on_pool!(self, pool => {
            let count = sqlx::query_scalar(COUNT).bind(action).fetch_one(pool).await?;
            let last = sqlx::query_scalar(LAST).bind(action).fetch_optional(pool).await?;
            Ok((count, last))
        })
    }

    /// The trail, newest first, narrowed by `filter`. The actor's name is matched only for
    /// accounts and the service: an invite's holder (the client, a guest) is never found by name.
    pub async fn filtered_audit(&self, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditEvent>, sqlx::Error> {
        const SQL: &str = select_audit!(
            "WHERE ($1 IS NULL OR at < $1) AND ($2 IS NULL OR at >= $2) \
             AND ($3 IS NULL OR (actor_kind <> 'invite' AND lower(actor_label) LIKE $3 ESCAPE '\\')) \
             AND ($4 IS NULL OR case_id = $4) AND ($5 IS NULL OR action LIKE $5 ESCAPE '\\') \
             ORDER BY at DESC, id DESC LIMIT $6"
        );
        let actor = filter.actor.as_deref().map(|a| format!("%{}%", like_escape(&a.to_lowercase())));
        let action = filter.action.as_deref().map(|a| format!("{}%", like_escape(a)));
        on_pool!(self, pool => sqlx::query_as(SQL)
            .bind(filter.before).bind(filter.from).bind(actor.as_deref()).bind(filter.case_id)
            .bind(action.as_deref()).bind(limit)
            .fetch_all(pool).await)
    }
}
