//! Actions and their append-only history.

use super::models::{Action, ActionEvent};
use super::{BeginWrite, Store, on_pool};
use crate::domain::{ActionStatus, LifeDomain};
use crate::storage::audit::{Actor, NewAudit, insert_audit};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

macro_rules! select_action {
    ($tail:literal) => {
        concat!(
            "SELECT a.id, a.case_id, a.domain, a.description, a.owner_organisation_id, \
             o.name AS owner_organisation_name, a.owner_user_id, u.name AS owner_user_name, \
             a.owner_is_client, a.due_date, a.status, a.status_changed_at, a.completed_at, \
             a.meeting_id, a.created_by, a.created_at, a.client_text \
             FROM action a \
             LEFT JOIN organisation o ON o.id = a.owner_organisation_id \
             LEFT JOIN app_user u ON u.id = a.owner_user_id ",
            $tail
        )
    };
}
pub(crate) use select_action;

const INSERT_EVENT: &str = "INSERT INTO action_event (id, action_id, at, actor_id, actor_label, kind, \
    from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// An action to record.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub case_id: Uuid,
    pub domain: LifeDomain,
    pub description: String,
    pub owner_organisation_id: Option<Uuid>,
    pub owner_user_id: Option<Uuid>,
    pub owner_is_client: bool,
    pub due_date: NaiveDate,
    pub meeting_id: Option<Uuid>,
    pub created_by: Uuid,
}

/// A change of status, applied only if the action is still in `from`: two people changing the
/// same action at once cannot silently overwrite each other.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub from: ActionStatus,
    pub to: ActionStatus,
    pub note: Option<String>,
}

impl Store {
    /// Records an action and its `created` event. With a `meeting_id`, only while that
    /// meeting's minutes are not final (`Ok(None)` otherwise).
    pub async fn insert_action(
        &self,
        new: &NewAction,
        actor: &Actor,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<Option<Action>, sqlx::Error> {
        const OPEN_MEETING: &str = "UPDATE meeting SET minutes_revision = minutes_revision + 1 \
            WHERE id = $1 AND case_id = $2 AND finalised_at IS NULL";
        const INSERT: &str = "INSERT INTO action (id, case_id, domain, description, owner_organisation_id, \
            owner_user_id, owner_is_client, due_date, status, status_changed_at, meeting_id, created_by, created_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, $9)";
        const SELECT: &str = select_action!("WHERE a.id = $1");
        let id = audit.subject.map(|(_, id)| id).unwrap_or_else(Uuid::now_v7);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if let Some(meeting_id) = new.meeting_id {
                // Counts as a write to that meeting's minutes (see `COUNT_MINUTES_WRITE`).
                let open = sqlx::query(OPEN_MEETING).bind(meeting_id).bind(new.case_id).execute(&mut *tx).await?;
                if open.rows_affected() == 0 {
                    return Ok(None);
                }
            }
            sqlx::query(INSERT)
                .bind(id).bind(new.case_id).bind(new.domain).bind(&new.description)
                .bind(new.owner_organisation_id).bind(new.owner_user_id).bind(new.owner_is_client)
                .bind(new.due_date).bind(now).bind(new.meeting_id).bind(new.created_by)
                .execute(&mut *tx).await?;
            sqlx::query(INSERT_EVENT)
                .bind(Uuid::now_v7()).bind(id).bind(now).bind(actor.id).bind(&actor.label).bind("created")
                .bind(None::<ActionStatus>).bind(ActionStatus::Open).bind(None::<&str>)
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            let action = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(action))
        })
    }

    /// One action.
    pub async fn action(&self, id: Uuid) -> Result<Option<Action>, sqlx::Error> {
        const SQL: &str = select_action!("WHERE a.id = $1");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
    }

    /// All actions of a case, by domain and age.
    pub async fn case_actions(&self, case_id: Uuid) -> Result<Vec<Action>, sqlx::Error> {
        const SQL: &str = select_action!("WHERE a.case_id = $1 ORDER BY a.domain, a.created_at, a.id");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(case_id).fetch_all(pool).await)
    }

    /// Applies a status change (and its event) if the action is still in `change.from`.
    /// `Ok(None)` when someone else changed it first.
    pub async fn change_action_status(
        &self,
        id: Uuid,
        change: &StatusChange,
        actor: &Actor,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<Option<Action>, sqlx::Error> {
        const UPDATE: &str = "UPDATE action SET status = $3, status_changed_at = $4, \
            completed_at = CASE WHEN $3 = 'done' THEN $4 ELSE NULL END \
            WHERE id = $1 AND status = $2";
        const SELECT: &str = select_action!("WHERE a.id = $1");
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let updated = sqlx::query(UPDATE).bind(id).bind(change.from).bind(change.to).bind(now)
                .execute(&mut *tx).await?;
            if updated.rows_affected() == 0 {
                return Ok(None);
            }
            sqlx::query(INSERT_EVENT)
                .bind(Uuid::now_v7()).bind(id).bind(now).bind(actor.id).bind(&actor.label).bind("status")
                .bind(change.from).bind(change.to).bind(change.note.as_deref())
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            let action = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(action))
        })
    }

    /// Adds a note to an action's history without changing its status.
    pub async fn add_action_note(
        &self,
        id: Uuid,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(INSERT_EVENT)
                .bind(Uuid::now_v7()).bind(id).bind(now).bind(actor.id).bind(&actor.label).bind("note")
                .bind(None::<ActionStatus>).bind(None::<ActionStatus>).bind(note)
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await
        })
    }

    /// Sets (or, with an empty text, clears) the client's plain-language text of an action.
    /// `Ok(None)` when there is no such action.
    pub async fn set_action_client_text(
        &self,
        id: Uuid,
        text: &str,
        audit: &NewAudit,
    ) -> Result<Option<Action>, sqlx::Error> {
        const UPDATE: &str = "UPDATE action SET client_text = $2 WHERE id = $1";
        const SELECT: &str = select_action!("WHERE a.id = $1");
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let updated = sqlx::query(UPDATE).bind(id).bind(text).execute(&mut *tx).await?;
            if updated.rows_affected() == 0 {
                return Ok(None);
            }
            insert_audit!(&mut *tx, audit)?;
            let action = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(action))
        })
    }

    /// The history of an action, oldest first.
    pub async fn action_events(&self, action_id: Uuid) -> Result<Vec<ActionEvent>, sqlx::Error> {
        const SQL: &str = "SELECT id, action_id, at, actor_id, actor_label, kind, from_status, to_status, note \
            FROM action_event WHERE action_id = $1 ORDER BY at, id";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(action_id).fetch_all(pool).await)
    }
}
