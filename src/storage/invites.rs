//! Personal, expiring invitations to a conference, stored by the hash of their token only.

use super::models::Invite;
use super::{BeginWrite, Store, on_pool};
use crate::domain::InviteKind;
use crate::storage::audit::{NewAudit, insert_audit};
use chrono::{DateTime, Utc};
use uuid::Uuid;

macro_rules! select_invite {
    ($tail:literal) => {
        concat!(
            "SELECT id, meeting_id, kind, user_id, name, organisation_name, created_by, created_at, \
             expires_at, used_at, revoked_at, removed_at, confidentiality_accepted_at, admitted_at FROM invite ",
            $tail
        )
    };
}

/// An invite to create.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub meeting_id: Uuid,
    pub kind: InviteKind,
    pub user_id: Option<Uuid>,
    pub name: String,
    pub organisation_name: Option<String>,
    pub token_hash: Vec<u8>,
    pub created_by: Uuid,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Stores a new invite.
    pub async fn insert_invite(
        &self,
        new: &NewInvite,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<Invite, sqlx::Error> {
        const INSERT: &str = "INSERT INTO invite (id, meeting_id, kind, user_id, name, organisation_name, \
            token_hash, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        const SELECT: &str = select_invite!("WHERE id = $1");
        let id = audit.subject.map(|(_, id)| id).unwrap_or_else(Uuid::now_v7);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(INSERT)
                .bind(id).bind(new.meeting_id).bind(new.kind).bind(new.user_id).bind(&new.name)
                .bind(new.organisation_name.as_deref()).bind(new.token_hash.as_slice()).bind(new.created_by)
                .bind(now).bind(new.expires_at)
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            let invite = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(invite)
        })
    }

    /// The invite whose token hashes to `token_hash`.
    pub async fn invite_by_token_hash(&self, token_hash: &[u8]) -> Result<Option<Invite>, sqlx::Error> {
        const SQL: &str = select_invite!("WHERE token_hash = $1");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(token_hash).fetch_optional(pool).await)
    }

    /// One invite.
    pub async fn invite(&self, id: Uuid) -> Result<Option<Invite>, sqlx::Error> {
        const SQL: &str = select_invite!("WHERE id = $1");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
    }

    /// The invites of a conference, oldest first.
    pub async fn meeting_invites(&self, meeting_id: Uuid) -> Result<Vec<Invite>, sqlx::Error> {
        const SQL: &str = select_invite!("WHERE meeting_id = $1 ORDER BY created_at, id");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(meeting_id).fetch_all(pool).await)
    }

    /// The stored token hashes of a conference's invites, to tell which links can be derived
    /// again (see `Keys::invite_token`).
    pub async fn invite_token_hashes(&self, meeting_id: Uuid) -> Result<Vec<(Uuid, Vec<u8>)>, sqlx::Error> {
        const SQL: &str = "SELECT id, token_hash FROM invite WHERE meeting_id = $1";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(meeting_id).fetch_all(pool).await)
    }

    /// Replaces invite `old` by a new one for the same person in one transaction: the new one
    /// is stored, the old one revoked and the sessions opened with it ended. `None` when `old`
    /// was revoked meanwhile (nothing changed).
    pub async fn reissue_invite(
        &self,
        old: Uuid,
        new: &NewInvite,
        now: DateTime<Utc>,
        created: &NewAudit,
        revoked: &NewAudit,
    ) -> Result<Option<Invite>, sqlx::Error> {
        const REVOKE: &str = "UPDATE invite SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        const SESSIONS: &str = "UPDATE session SET revoked_at = $2 WHERE invite_id = $1 AND revoked_at IS NULL";
        const INSERT: &str = "INSERT INTO invite (id, meeting_id, kind, user_id, name, organisation_name, \
            token_hash, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        const SELECT: &str = select_invite!("WHERE id = $1");
        let id = created.subject.map(|(_, id)| id).unwrap_or_else(Uuid::now_v7);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let gone = sqlx::query(REVOKE).bind(old).bind(now).execute(&mut *tx).await?;
            if gone.rows_affected() == 0 {
                return Ok(None);
            }
            sqlx::query(SESSIONS).bind(old).bind(now).execute(&mut *tx).await?;
            sqlx::query(INSERT)
                .bind(id).bind(new.meeting_id).bind(new.kind).bind(new.user_id).bind(&new.name)
                .bind(new.organisation_name.as_deref()).bind(new.token_hash.as_slice()).bind(new.created_by)
                .bind(now).bind(new.expires_at)
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, revoked)?;
            insert_audit!(&mut *tx, created)?;
            let invite = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(invite))
        })
    }

    /// Claims an unused, live invite for its invitee. `false` when it was already used,
    /// revoked or expired in the meantime: only one person ever gets through one invite.
    pub async fn claim_invite(
        &self,
        id: Uuid,
        accepted_confidentiality: bool,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<bool, sqlx::Error> {
        const SQL: &str = "UPDATE invite SET used_at = $2, \
            confidentiality_accepted_at = CASE WHEN $3 THEN $2 ELSE NULL END \
            WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let claimed = sqlx::query(SQL).bind(id).bind(now).bind(accepted_confidentiality)
                .execute(&mut *tx).await?;
            if claimed.rows_affected() == 0 {
                return Ok(false);
            }
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Revokes an invite and ends the sessions opened with it. `false` if already revoked.
    pub async fn revoke_invite(&self, id: Uuid, now: DateTime<Utc>, audit: &NewAudit) -> Result<bool, sqlx::Error> {
        const INVITE: &str = "UPDATE invite SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        const SESSIONS: &str = "UPDATE session SET revoked_at = $2 WHERE invite_id = $1 AND revoked_at IS NULL";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let revoked = sqlx::query(INVITE).bind(id).bind(now).execute(&mut *tx).await?;
            if revoked.rows_affected() == 0 {
                return Ok(false);
            }
            sqlx::query(SESSIONS).bind(id).bind(now).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Marks an invite's holder as removed from the conference by the chair: the invite no
    /// longer admits anyone.
    pub async fn mark_invite_removed(&self, id: Uuid, now: DateTime<Utc>, audit: &NewAudit) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE invite SET removed_at = COALESCE(removed_at, $2) WHERE id = $1";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(SQL).bind(id).bind(now).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await
        })
    }

    /// Records that a chair let the invite's holder in (the first time counts).
    pub async fn mark_invite_admitted(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE invite SET admitted_at = COALESCE(admitted_at, $2) WHERE id = $1";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(now).execute(pool).await.map(drop))
    }

    /// Revokes the client invites of a conference that still work (a new one replaces them)
    /// and ends their sessions; returns the revoked invites.
    pub async fn revoke_client_invites(&self, meeting_id: Uuid, now: DateTime<Utc>) -> Result<Vec<Uuid>, sqlx::Error> {
        const LIVE: &str = "SELECT id FROM invite WHERE meeting_id = $1 AND kind = 'client' AND revoked_at IS NULL";
        const INVITE: &str = "UPDATE invite SET revoked_at = $2 WHERE id = $1";
        const SESSIONS: &str = "UPDATE session SET revoked_at = $2 WHERE invite_id = $1 AND revoked_at IS NULL";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let ids: Vec<Uuid> = sqlx::query_scalar(LIVE).bind(meeting_id).fetch_all(&mut *tx).await?;
            for id in &ids {
                sqlx::query(INVITE).bind(id).bind(now).execute(&mut *tx).await?;
                sqlx::query(SESSIONS).bind(id).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(ids)
        })
    }
}
