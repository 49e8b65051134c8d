//! Organisations and accounts.

use super::models::{Organisation, User};
use super::{BeginWrite, Store, on_pool};
use crate::domain::{OrganisationKind, Role};
use crate::storage::audit::{NewAudit, insert_audit};
use chrono::{DateTime, Utc};
use uuid::Uuid;

macro_rules! select_user {
    ($tail:literal) => {
        concat!(
            "SELECT u.id, u.organisation_id, o.name AS organisation_name, u.name, u.email, u.role, \
             u.password_change_required, u.active, u.created_at \
             FROM app_user u JOIN organisation o ON o.id = u.organisation_id ",
            $tail
        )
    };
}

/// Inserts an account: id, organisation, name, e-mail, role, password hash, whether it must be
/// changed, creation time.
pub(super) const INSERT_USER_SQL: &str = "INSERT INTO app_user (id, organisation_id, name, email, role, \
    password_hash, password_change_required, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8)";

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub organisation_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub password_hash: String,
    pub password_change_required: bool,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub organisation_id: Option<Uuid>,
    pub active: Option<bool>,
    /// A new password hash, with whether the user must change it at the next login.
    pub password: Option<(String, bool)>,
}

impl Store {
    /// Creates an organisation.
    pub async fn insert_organisation(
        &self,
        name: &str,
        kind: OrganisationKind,
        now: DateTime<Utc>,
        audit: Option<&NewAudit>,
    ) -> Result<Organisation, sqlx::Error> {
        const SQL: &str = "INSERT INTO organisation (id, name, kind, created_at) VALUES ($1, $2, $3, $4) \
                           RETURNING id, name, kind, created_at";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id = audit.and_then(|a| a.subject).map_or_else(Uuid::now_v7, |(_, id)| id);
            let org = sqlx::query_as(SQL).bind(id).bind(name).bind(kind).bind(now)
                .fetch_one(&mut *tx).await?;
            if let Some(entry) = audit {
                insert_audit!(&mut *tx, entry)?;
            }
            tx.commit().await?;
            Ok(org)
        })
    }

    /// Renames an organisation; `None` if there is none with this id.
    pub async fn rename_organisation(
        &self,
        id: Uuid,
        name: &str,
        audit: &NewAudit,
    ) -> Result<Option<Organisation>, sqlx::Error> {
        const SQL: &str = "UPDATE organisation SET name = $2 WHERE id = $1 RETURNING id, name, kind, created_at";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let Some(org) = sqlx::query_as(SQL).bind(id).bind(name).fetch_optional(&mut *tx).await? else {
                return Ok(None);
            };
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(Some(org))
        })
    }

    /// All organisations, by name.
    pub async fn organisations(&self) -> Result<Vec<Organisation>, sqlx::Error> {
        const SQL: &str = "SELECT id, name, kind, created_at FROM organisation ORDER BY name";
        on_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)
    }

    /// One organisation.
    pub async fn organisation(&self, id: Uuid) -> Result<Option<Organisation>, sqlx::Error> {
        const SQL: &str = "SELECT id, name, kind, created_at FROM organisation WHERE id = $1";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
    }

    /// An organisation by its exact name.
    pub async fn organisation_by_name(&self, name: &str) -> Result<Option<Organisation>, sqlx::Error> {
        const SQL: &str = "SELECT id, name, kind, created_at FROM organisation WHERE name = $1";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(name).fetch_optional(pool).await)
    }

    /// How many accounts exist (zero on a fresh database).
    pub async fn count_users(&self) -> Result<i64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM app_user").fetch_one(pool).await)
    }

    /// Creates an account.
    pub async fn insert_user(
        &self,
        new: &NewUser,
        now: DateTime<Utc>,
        audit: Option<&NewAudit>,
    ) -> Result<User, sqlx::Error> {
        const SELECT: &str = select_user!("WHERE u.id = $1");
        let id = audit.and_then(|a| a.subject).map_or_else(Uuid::now_v7, |(_, id)| id);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(INSERT_USER_SQL)
                .bind(id).bind(new.organisation_id).bind(&new.name).bind(&new.email).bind(new.role)
                .bind(&new.password_hash).bind(new.password_change_required).bind(now)
                .execute(&mut *tx).await?;
            if let Some(entry) = audit {
                insert_audit!(&mut *tx, entry)?;
            }
            let user = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(user)
        })
    }

    /// One account.
    pub async fn user(&self, id: Uuid) -> Result<Option<User>, sqlx::Error> {
        const SQL: &str = select_user!("WHERE u.id = $1");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
    }

    /// An account and its password hash, by (lower-case) e-mail address.
    pub async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>, sqlx::Error> {
        const SQL: &str = select_user!("WHERE u.email = $1");
        const HASH: &str = "SELECT password_hash FROM app_user WHERE id = $1";
        on_pool!(self, pool => {
            let user: Option<User> = sqlx::query_as(SQL).bind(email).fetch_optional(pool).await?;
            match user {
                None => Ok(None),
                Some(user) => {
                    let hash: String = sqlx::query_scalar(HASH).bind(user.id).fetch_one(pool).await?;
                    Ok(Some((user, hash)))
                }
            }
        })
    }

    /// Accounts, optionally of one organisation, by name.
    pub async fn users(&self, organisation_id: Option<Uuid>) -> Result<Vec<User>, sqlx::Error> {
        const SQL: &str = select_user!("WHERE ($1 IS NULL OR u.organisation_id = $1) ORDER BY u.name");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(organisation_id).fetch_all(pool).await)
    }

    /// Applies `changes` to an account; `None` if there is no such account.
    pub async fn update_user(
        &self,
        id: Uuid,
        changes: &UserChanges,
        audit: &NewAudit,
    ) -> Result<Option<User>, sqlx::Error> {
        const UPDATE: &str = "UPDATE app_user SET \
            name = COALESCE($2, name), role = COALESCE($3, role), \
            organisation_id = COALESCE($4, organisation_id), active = COALESCE($5, active), \
            password_hash = COALESCE($6, password_hash), \
            password_change_required = COALESCE($7, password_change_required) \
            WHERE id = $1";
        const SELECT: &str = select_user!("WHERE u.id = $1");
        let (hash, must_change) = match &changes.password {
            Some((hash, must_change)) => (Some(hash.as_str()), Some(*must_change)),
            None => (None, None),
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let updated = sqlx::query(UPDATE)
                .bind(id).bind(changes.name.as_deref()).bind(changes.role)
                .bind(changes.organisation_id).bind(changes.active).bind(hash).bind(must_change)
                .execute(&mut *tx).await?;
            if updated.rows_affected() == 0 {
                return Ok(None);
            }
            insert_audit!(&mut *tx, audit)?;
            let user = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(user))
        })
    }
}
