//! The raw facts behind the dashboard's figures, for the cases a viewer may see: never a name,
//! only dates, statuses and domains.

use super::cases::Viewer;
use super::{Store, on_pool};
use crate::domain::{ActionStatus, CaseStatus, EscalationStatus, LifeDomain};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

/// The cases a viewer sees: everything (`$1`), or by need-to-know list and municipality.
macro_rules! visible_case {
    () => {
        "($1 OR EXISTS (SELECT 1 FROM case_member cm WHERE cm.case_id = c.id \
            AND (cm.user_id = $2 OR (cm.user_id IS NULL AND cm.organisation_id = $3))) \
         OR ($4 AND c.municipality_id = $3))"
    };
}

/// One case, as far as the figures need it.
#[derive(Debug, Clone, FromRow)]
pub struct CaseFact {
    pub id: Uuid,
    pub status: CaseStatus,
    pub expected_release: NaiveDate,
}

/// One action, as far as the figures need it.
#[derive(Debug, Clone, FromRow)]
pub struct ActionFact {
    pub case_id: Uuid,
    pub domain: LifeDomain,
    pub status: ActionStatus,
    pub due_date: NaiveDate,
    pub completed_at: Option<DateTime<Utc>>,
}

/// One escalation, as far as the figures need it.
#[derive(Debug, Clone, FromRow)]
pub struct EscalationFact {
    pub status: EscalationStatus,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Everything the figures are computed from.
#[derive(Debug, Clone, Default)]
pub struct FigureData {
    pub cases: Vec<CaseFact>,
    pub actions: Vec<ActionFact>,
    pub escalations: Vec<EscalationFact>,
}

impl Store {
    /// The facts of the cases `viewer` sees (`None`: every case).
    pub async fn figure_data(&self, viewer: Option<Viewer>) -> Result<FigureData, sqlx::Error> {
        const CASES: &str =
            concat!("SELECT c.id, c.status, c.expected_release FROM client_case c WHERE ", visible_case!());
        const ACTIONS: &str = concat!(
            "SELECT a.case_id, a.domain, a.status, a.due_date, a.completed_at FROM action a \
             JOIN client_case c ON c.id = a.case_id WHERE ",
            visible_case!()
        );
        const ESCALATIONS: &str = concat!(
            "SELECT e.status, e.created_at, e.decided_at FROM escalation e \
             JOIN client_case c ON c.id = e.case_id WHERE ",
            visible_case!()
        );
        let all = viewer.is_none();
        let user = viewer.map_or(Uuid::nil(), |v| v.user_id);
        let organisation = viewer.map_or(Uuid::nil(), |v| v.organisation_id);
        let municipality = viewer.is_some_and(|v| v.sees_municipality);
        on_pool!(self, pool => {
            let cases = sqlx::query_as(CASES)
                .bind(all).bind(user).bind(organisation).bind(municipality)
                .fetch_all(pool).await?;
            let actions = sqlx::query_as(ACTIONS)
                .bind(all).bind(user).bind(organisation).bind(municipality)
                .fetch_all(pool).await?;
            let escalations = sqlx::query_as(ESCALATIONS)
                .bind(all).bind(user).bind(organisation).bind(municipality)
                .fetch_all(pool).await?;
            Ok(FigureData { cases, actions, escalations })
        })
    }
}
