//! What the escalation engine, the reminders and the readiness warnings read: plain facts,
//! no access filter (the callers are the engine itself, or domain code that already checked).

use super::{Store, on_pool};
use crate::domain::rules::{ActionFacts, CaseFacts, TabledConference};
use crate::domain::{ActionStatus, LifeDomain};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

#[derive(FromRow)]
struct ActionRow {
    id: Uuid,
    domain: LifeDomain,
    status: ActionStatus,
    status_changed_at: DateTime<Utc>,
    due_date: NaiveDate,
}

/// A pending action whose owner gets a reminder.
#[derive(Debug, Clone, FromRow)]
pub struct DueAction {
    pub id: Uuid,
    pub case_id: Uuid,
    pub owner_organisation_id: Uuid,
    pub owner_user_id: Option<Uuid>,
    pub due_date: NaiveDate,
}

impl Store {
    /// The ids of every open case.
    pub async fn open_case_ids(&self) -> Result<Vec<Uuid>, sqlx::Error> {
        const SQL: &str = "SELECT id FROM client_case WHERE status = 'open' ORDER BY id";
        on_pool!(self, pool => sqlx::query_scalar(SQL).fetch_all(pool).await)
    }

    /// What the escalation rules read about one case.
    pub async fn case_facts(&self, case_id: Uuid) -> Result<CaseFacts, sqlx::Error> {
        const ACTIONS: &str = "SELECT id, domain, status, status_changed_at, due_date FROM action \
            WHERE case_id = $1 ORDER BY created_at, id";
        const CONFERENCES: &str = "SELECT id, finalised_at FROM meeting \
            WHERE case_id = $1 AND finalised_at IS NOT NULL";
        const TABLED: &str = "SELECT ma.meeting_id, ma.action_id, ma.status_at_close FROM meeting_action ma \
            JOIN meeting mt ON mt.id = ma.meeting_id WHERE mt.case_id = $1";
        on_pool!(self, pool => {
            let actions: Vec<ActionRow> = sqlx::query_as(ACTIONS).bind(case_id).fetch_all(pool).await?;
            let conferences: Vec<(Uuid, DateTime<Utc>)> =
                sqlx::query_as(CONFERENCES).bind(case_id).fetch_all(pool).await?;
            let tabled: Vec<(Uuid, Uuid, ActionStatus)> =
                sqlx::query_as(TABLED).bind(case_id).fetch_all(pool).await?;
            Ok(CaseFacts {
                case_id,
                actions: actions.into_iter().map(|a| ActionFacts {
                    id: a.id,
                    domain: a.domain,
                    status: a.status,
                    status_changed_at: a.status_changed_at,
                    due_date: a.due_date,
                }).collect(),
                conferences: conferences.into_iter().map(|(meeting, finalised_at)| TabledConference {
                    finalised_at,
                    actions: tabled.iter()
                        .filter(|(m, _, _)| *m == meeting)
                        .map(|&(_, action, status)| (action, status))
                        .collect(),
                }).collect(),
            })
        })
    }

    /// The domains of a case with an action in progress or done: the domains in hand.
    pub async fn domains_in_hand(&self, case_id: Uuid) -> Result<Vec<LifeDomain>, sqlx::Error> {
        const SQL: &str = "SELECT DISTINCT domain FROM action \
            WHERE case_id = $1 AND status IN ('in_progress', 'done')";
        on_pool!(self, pool => sqlx::query_scalar(SQL).bind(case_id).fetch_all(pool).await)
    }

    /// Pending actions of open cases, owned by an organisation, due between `from` and `to`
    /// (both included).
    pub async fn actions_due_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DueAction>, sqlx::Error> {
        const SQL: &str = "SELECT a.id, a.case_id, a.owner_organisation_id, a.owner_user_id, a.due_date \
            FROM action a JOIN client_case c ON c.id = a.case_id \
            WHERE c.status = 'open' AND a.status IN ('open', 'in_progress', 'blocked') \
            AND a.owner_organisation_id IS NOT NULL AND a.due_date >= $1 AND a.due_date <= $2 \
            ORDER BY a.due_date, a.id";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(from).bind(to).fetch_all(pool).await)
    }
}
