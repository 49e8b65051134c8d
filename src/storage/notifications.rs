//! In-app notifications and the e-mail outbox. Producers insert through [`notify_users!`] in
//! the same transaction as the change they announce; every row has a dedupe key, so a producer
//! that runs twice (the engine on two nodes) notifies once.

use super::{BeginWrite, Store, on_pool};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

/// Why someone is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// An action was given to me or my organisation.
    ActionAssigned,
    /// An action of mine or my organisation is due within three days.
    ActionDue,
    /// An escalation was opened on a case I am on.
    Escalation,
    /// The steering group decided on an escalation of a case I am on.
    Decision,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::ActionAssigned => "action_assigned",
            NoticeKind::ActionDue => "action_due",
            NoticeKind::Escalation => "escalation",
            NoticeKind::Decision => "decision",
        }
    }
}

/// Who on a case gets a notice, and about what.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: NoticeKind,
    pub case_id: Uuid,
    /// `("action", id)` or `("escalation", id)`.
    pub subject: (&'static str, Uuid),
    /// Unique per event; the recipient's id is appended.
    pub key: String,
    /// Only the people of this organisation (the owner of an action).
    pub organisation_id: Option<Uuid>,
    /// Only this person (the named owner of an action).
    pub user_id: Option<Uuid>,
    /// Nobody is told about what they did themselves.
    pub except: Option<Uuid>,
    /// Queue an e-mail too (SMTP is configured).
    pub mail: bool,
}

/// The active account holders who see the case through its need-to-know list, optionally of one
/// organisation or one person. Steering and admin are never on a case.
#[doc(hidden)]
pub const RECIPIENTS_SQL: &str = "SELECT u.id FROM app_user u WHERE u.active \
    AND u.role NOT IN ('steering', 'admin') \
    AND ($2 IS NULL OR u.organisation_id = $2) AND ($3 IS NULL OR u.id = $3) \
    AND ($4 IS NULL OR u.id <> $4) \
    AND EXISTS (SELECT 1 FROM case_member cm WHERE cm.case_id = $1 \
        AND (cm.user_id = u.id OR (cm.user_id IS NULL AND cm.organisation_id = u.organisation_id))) \
    ORDER BY u.id";

#[doc(hidden)]
pub const INSERT_NOTIFICATION_SQL: &str = "INSERT INTO notification (id, user_id, kind, case_id, \
    subject_kind, subject_id, dedupe_key, created_at, mail_pending) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (dedupe_key) DO NOTHING";

/// Inserts `$notice` (a `&Notice`) for its recipients through `$tx` (a transaction); evaluates
/// to the number of new notifications.
macro_rules! notify_users {
    ($tx:ident, $notice:expr, $now:expr) => {{
        let notice: &$crate::storage::notifications::Notice = $notice;
        let now: chrono::DateTime<chrono::Utc> = $now;
        let users: Vec<uuid::Uuid> = sqlx::query_scalar($crate::storage::notifications::RECIPIENTS_SQL)
            .bind(notice.case_id)
            .bind(notice.organisation_id)
            .bind(notice.user_id)
            .bind(notice.except)
            .fetch_all(&mut *$tx)
            .await?;
        let mut created = 0u64;
        for user in users {
            created += sqlx::query($crate::storage::notifications::INSERT_NOTIFICATION_SQL)
                .bind(uuid::Uuid::now_v7())
                .bind(user)
                .bind(notice.kind.as_str())
                .bind(notice.case_id)
                .bind(notice.subject.0)
                .bind(notice.subject.1)
                .bind(format!("{}:{user}", notice.key))
                .bind(now)
                .bind(notice.mail)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
        }
        created
    }};
}
pub(crate) use notify_users;

/// A notification as its recipient sees it: what happened and where to look, nothing more.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Notification {
    pub id: Uuid,
    /// `action_assigned`, `action_due`, `escalation` or `decision`.
    pub kind: String,
    pub case_id: Option<Uuid>,
    /// `action` or `escalation`.
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// An e-mail to send: to whom, and which notification it announces.
#[derive(Debug, Clone, FromRow)]
pub struct Outgoing {
    pub id: Uuid,
    pub email: String,
    pub kind: String,
    pub mail_attempts: i64,
}

impl Store {
    /// Notifies the recipients of `notice`; the number of new notifications.
    pub async fn notify(&self, notice: &Notice, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let created = notify_users!(tx, notice, now);
            tx.commit().await?;
            Ok(created)
        })
    }

    /// A user's notifications, newest first.
    pub async fn notifications(
        &self,
        user_id: Uuid,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>, sqlx::Error> {
        const SQL: &str = "SELECT id, kind, case_id, subject_kind, subject_id, created_at, read_at \
            FROM notification WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL) \
            ORDER BY created_at DESC, id DESC LIMIT $3";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(user_id).bind(unread_only).bind(limit).fetch_all(pool).await)
    }

    /// How many notifications the user has not read (the bell).
    pub async fn unread_count(&self, user_id: Uuid) -> Result<i64, sqlx::Error> {
        const SQL: &str = "SELECT COUNT(*) FROM notification WHERE user_id = $1 AND read_at IS NULL";
        on_pool!(self, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_one(pool).await)
    }

    /// Marks one (`Some(id)`) or all of a user's notifications read; how many changed. A
    /// notification of someone else is never touched.
    pub async fn mark_read(&self, user_id: Uuid, id: Option<Uuid>, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        const SQL: &str = "UPDATE notification SET read_at = $3 \
            WHERE user_id = $1 AND ($2 IS NULL OR id = $2) AND read_at IS NULL";
        on_pool!(self, pool => sqlx::query(SQL).bind(user_id).bind(id).bind(now).execute(pool).await
            .map(|r| r.rows_affected()))
    }

    /// Whether the user has a notification with this id.
    pub async fn owns_notification(&self, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
        const SQL: &str = "SELECT COUNT(*) FROM notification WHERE user_id = $1 AND id = $2";
        on_pool!(self, pool => sqlx::query_scalar::<_, i64>(SQL).bind(user_id).bind(id).fetch_one(pool).await
            .map(|n| n > 0))
    }

    /// E-mails waiting in the outbox, oldest first.
    pub async fn outbox(&self, limit: i64) -> Result<Vec<Outgoing>, sqlx::Error> {
        const SQL: &str = "SELECT n.id, u.email, n.kind, n.mail_attempts \
            FROM notification n JOIN app_user u ON u.id = n.user_id \
            WHERE n.mail_pending ORDER BY n.created_at, n.id LIMIT $1";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(limit).fetch_all(pool).await)
    }

    /// Records an attempt to send one e-mail: sent (`mailed_at`), or failed; after `give_up`
    /// attempts it leaves the outbox.
    pub async fn mail_attempted(
        &self,
        id: Uuid,
        sent: bool,
        give_up: i64,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE notification SET mail_attempts = mail_attempts + 1, \
            mailed_at = CASE WHEN $2 THEN $4 ELSE mailed_at END, \
            mail_pending = CASE WHEN $2 THEN FALSE ELSE mail_attempts + 1 < $3 END \
            WHERE id = $1";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(sent).bind(give_up).bind(now)
            .execute(pool).await.map(drop))
    }
}
