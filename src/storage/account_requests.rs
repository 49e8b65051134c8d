//! Four eyes on accounts: requests that wait for a second administrator, and the one-time
//! activation links an approved new account or reset carries (stored only as a hash).

use super::users::{INSERT_USER_SQL, NewUser};
use super::{BeginWrite, Store, on_pool};
use crate::domain::{AccountRequestKind, Role};
use crate::storage::audit::{NewAudit, insert_audit};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

macro_rules! select_request {
    ($tail:literal) => {
        concat!(
            "SELECT r.id, r.kind, r.user_id, u.name AS user_name, u.email AS user_email, r.role, \
             r.organisation_id, r.active, r.requested_by, q.name AS requested_by_name, r.requested_at, \
             r.decided_by, r.decided_at, r.approved, r.token_expires_at AS link_expires_at, \
             r.token_used_at AS link_used_at \
             FROM account_request r JOIN app_user u ON u.id = r.user_id \
             JOIN app_user q ON q.id = r.requested_by ",
            $tail
        )
    };
}

/// A request about an account, as the administrators review it.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct AccountRequest {
    pub id: Uuid,
    pub kind: AccountRequestKind,
    /// The account it is about.
    pub user_id: Uuid,
    /// The account's name and e-mail address, so the approver can check whom the link is for.
    pub user_name: String,
    pub user_email: String,
    /// For `change` (and `create`): the role the account gets.
    pub role: Option<Role>,
    /// For `change` (and `create`): the organisation the account gets.
    pub organisation_id: Option<Uuid>,
    /// For `change`: `true` when the request reactivates the account.
    pub active: Option<bool>,
    /// The administrator who asked; he cannot approve it himself.
    pub requested_by: Uuid,
    pub requested_by_name: String,
    pub requested_at: DateTime<Utc>,
    /// The second administrator, once decided.
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    /// `None` while pending.
    pub approved: Option<bool>,
    /// When the activation link of an approved `create` or `reset` stops working.
    pub link_expires_at: Option<DateTime<Utc>>,
    /// When that link was used, or replaced by a newer one.
    pub link_used_at: Option<DateTime<Utc>>,
}

/// A request to file.
#[derive(Debug, Clone)]
pub struct NewAccountRequest {
    pub id: Uuid,
    pub kind: AccountRequestKind,
    pub user_id: Uuid,
    pub role: Option<Role>,
    pub organisation_id: Option<Uuid>,
    pub active: Option<bool>,
    pub requested_by: Uuid,
}

/// What a request does to the account at once, in the same transaction as filing it.
#[derive(Debug, Clone)]
pub enum AtOnce<'a> {
    /// Nothing until it is approved.
    Nothing,
    /// Creates the account (with a password nobody knows).
    CreateAccount(&'a NewUser),
    /// Replaces the password with one nobody knows and ends every session.
    VoidPassword(&'a str),
}

/// A second administrator's decision.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub by: Uuid,
    pub at: DateTime<Utc>,
    pub approved: bool,
    /// For an approved `create` or `reset`: the link's token hash and expiry.
    pub link: Option<(&'a [u8], DateTime<Utc>)>,
}

/// An activation link as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ActivationLink {
    pub request_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: Option<DateTime<Utc>>,
    pub used_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Files a request with its audit row, and does what it does at once (see [`AtOnce`]).
    pub async fn insert_account_request(
        &self,
        request: &NewAccountRequest,
        at_once: AtOnce<'_>,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<AccountRequest, sqlx::Error> {
        const INSERT: &str = "INSERT INTO account_request (id, user_id, kind, role, organisation_id, active, \
                              requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        const VOID: &str = "UPDATE app_user SET password_hash = $2, password_change_required = FALSE WHERE id = $1";
        const END_SESSIONS: &str = "UPDATE session SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
        const SELECT: &str = select_request!("WHERE r.id = $1");
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            match at_once {
                AtOnce::Nothing => {}
                AtOnce::CreateAccount(new) => {
                    sqlx::query(INSERT_USER_SQL)
                        .bind(request.user_id).bind(new.organisation_id).bind(&new.name).bind(&new.email)
                        .bind(new.role).bind(&new.password_hash).bind(new.password_change_required).bind(now)
                        .execute(&mut *tx).await?;
                }
                AtOnce::VoidPassword(hash) => {
                    sqlx::query(VOID).bind(request.user_id).bind(hash).execute(&mut *tx).await?;
                    sqlx::query(END_SESSIONS).bind(request.user_id).bind(now).execute(&mut *tx).await?;
                }
            }
            sqlx::query(INSERT)
                .bind(request.id).bind(request.user_id).bind(request.kind).bind(request.role)
                .bind(request.organisation_id).bind(request.active).bind(request.requested_by).bind(now)
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            let filed = sqlx::query_as(SELECT).bind(request.id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(filed)
        })
    }

    /// Requests, newest first; only the undecided ones if `pending_only`.
    pub async fn account_requests(&self, pending_only: bool, limit: i64) -> Result<Vec<AccountRequest>, sqlx::Error> {
        const SQL: &str = select_request!(
            "WHERE ($1 = FALSE OR r.decided_at IS NULL) ORDER BY r.requested_at DESC, r.id DESC LIMIT $2"
        );
        on_pool!(self, pool => sqlx::query_as(SQL).bind(pending_only).bind(limit).fetch_all(pool).await)
    }

    /// One request.
    pub async fn account_request(&self, id: Uuid) -> Result<Option<AccountRequest>, sqlx::Error> {
        const SQL: &str = select_request!("WHERE r.id = $1");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
    }

    /// Records a decision on a pending request and carries it out, with its audit rows, in one
    /// transaction: an approved change is applied, an approved link replaces any older link of
    /// the account, a refused new account is deactivated. `false` if it was decided already.
    pub async fn decide_account_request(
        &self,
        request: &AccountRequest,
        decision: &Decision<'_>,
        audit: &[NewAudit],
    ) -> Result<bool, sqlx::Error> {
        const DECIDE: &str = "UPDATE account_request SET decided_by = $2, decided_at = $3, approved = $4, \
                              token_hash = $5, token_expires_at = $6 WHERE id = $1 AND decided_at IS NULL";
        const REPLACE_LINKS: &str = "UPDATE account_request SET token_used_at = $3 WHERE user_id = $2 AND id <> $1 \
                                     AND token_hash IS NOT NULL AND token_used_at IS NULL";
        const APPLY: &str = "UPDATE app_user SET role = COALESCE($2, role), \
                             organisation_id = COALESCE($3, organisation_id), active = COALESCE($4, active) \
                             WHERE id = $1";
        const DEACTIVATE: &str = "UPDATE app_user SET active = FALSE WHERE id = $1";
        let (hash, expires_at) = match decision.link {
            Some((hash, expires_at)) => (Some(hash), Some(expires_at)),
            None => (None, None),
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let decided = sqlx::query(DECIDE)
                .bind(request.id).bind(decision.by).bind(decision.at).bind(decision.approved)
                .bind(hash).bind(expires_at)
                .execute(&mut *tx).await?;
            if decided.rows_affected() == 0 {
                return Ok(false);
            }
            if hash.is_some() {
                sqlx::query(REPLACE_LINKS).bind(request.id).bind(request.user_id).bind(decision.at)
                    .execute(&mut *tx).await?;
            }
            match (decision.approved, request.kind) {
                (true, AccountRequestKind::Change) => {
                    sqlx::query(APPLY).bind(request.user_id).bind(request.role).bind(request.organisation_id)
                        .bind(request.active).execute(&mut *tx).await?;
                }
                (false, AccountRequestKind::Create) => {
                    sqlx::query(DEACTIVATE).bind(request.user_id).execute(&mut *tx).await?;
                }
                _ => {}
            }
            for entry in audit {
                insert_audit!(&mut *tx, entry)?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The activation link whose token hashes to `token_hash`.
    pub async fn activation_link(&self, token_hash: &[u8]) -> Result<Option<ActivationLink>, sqlx::Error> {
        const SQL: &str = "SELECT id AS request_id, user_id, token_expires_at AS expires_at, token_used_at AS used_at \
                           FROM account_request WHERE token_hash = $1 AND approved = TRUE";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(token_hash).fetch_optional(pool).await)
    }

    /// Uses an activation link: the account gets the holder's password and every session of it
    /// ends, with the audit row. `false` if the link was used in the meantime.
    pub async fn activate_account(
        &self,
        link: &ActivationLink,
        password_hash: &str,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<bool, sqlx::Error> {
        const USE: &str = "UPDATE account_request SET token_used_at = $2 WHERE id = $1 AND token_used_at IS NULL";
        const SET: &str = "UPDATE app_user SET password_hash = $2, password_change_required = FALSE WHERE id = $1";
        const END_SESSIONS: &str = "UPDATE session SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let used = sqlx::query(USE).bind(link.request_id).bind(now).execute(&mut *tx).await?;
            if used.rows_affected() == 0 {
                return Ok(false);
            }
            sqlx::query(SET).bind(link.user_id).bind(password_hash).execute(&mut *tx).await?;
            sqlx::query(END_SESSIONS).bind(link.user_id).bind(now).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }
}
