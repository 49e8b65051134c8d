//! Login and invite sessions. A session token (JWT) names a row here; logging out or revoking
//! an invite ends the row, so a token that is still within its expiry stops working at once.

use super::{Store, on_pool};
use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

/// A session as stored.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    /// Set for an account's session.
    pub user_id: Option<Uuid>,
    /// Set for a guest's or client's session, opened through an invite.
    pub invite_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl SessionRow {
    /// Whether the session may still be used at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

impl Store {
    /// Opens a session for an account or an invite (exactly one of the two).
    pub async fn insert_session(
        &self,
        user_id: Option<Uuid>,
        invite_id: Option<Uuid>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<SessionRow, sqlx::Error> {
        const SQL: &str = "INSERT INTO session (id, user_id, invite_id, created_at, expires_at) \
                           VALUES ($1, $2, $3, $4, $5) \
                           RETURNING id, user_id, invite_id, created_at, expires_at, revoked_at";
        on_pool!(self, pool => sqlx::query_as(SQL)
            .bind(Uuid::new_v4()).bind(user_id).bind(invite_id).bind(now).bind(expires_at)
            .fetch_one(pool).await)
    }

    /// One session.
    pub async fn session(&self, id: Uuid) -> Result<Option<SessionRow>, sqlx::Error> {
        const SQL: &str =
            "SELECT id, user_id, invite_id, created_at, expires_at, revoked_at FROM session WHERE id = $1";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
    }

    /// Moves a live session's expiry (sliding expiry of logins).
    pub async fn extend_session(&self, id: Uuid, expires_at: DateTime<Utc>) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE session SET expires_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(expires_at).execute(pool).await.map(drop))
    }

    /// Ends one session.
    pub async fn revoke_session(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE session SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(now).execute(pool).await.map(drop))
    }

    /// Ends every session of an account (deactivation, password reset).
    pub async fn revoke_user_sessions(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE session SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
        on_pool!(self, pool => sqlx::query(SQL).bind(user_id).bind(now).execute(pool).await.map(drop))
    }

    /// Ends every session of an account but one (after a password change in that one).
    pub async fn revoke_user_sessions_except(
        &self,
        user_id: Uuid,
        keep: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE session SET revoked_at = $3 WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL";
        on_pool!(self, pool => sqlx::query(SQL).bind(user_id).bind(keep).bind(now).execute(pool).await.map(drop))
    }

    /// Forgets sessions that ended before `cutoff`; they can no longer be used anyway.
    pub async fn purge_sessions(&self, cutoff: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        const SQL: &str = "DELETE FROM session WHERE expires_at < $1";
        on_pool!(self, pool => sqlx::query(SQL).bind(cutoff).execute(pool).await.map(|r| r.rows_affected()))
    }
}
