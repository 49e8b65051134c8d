//! Escalations to the steering group, as far as the conference agenda needs them.

use super::{Store, on_pool};
use crate::domain::LifeDomain;
use crate::meetings::view::DecisionLine;
use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

#[derive(FromRow)]
struct DecisionRow {
    domain: LifeDomain,
    #[sqlx(flatten)]
    line: DecisionLine,
}

impl Store {
    /// The steering group's decisions on a case since `since` (all of them without), per
    /// domain, oldest first: the "Besluiten stuurgroep" of the next conference.
    pub async fn decisions_since(
        &self,
        case_id: Uuid,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<(LifeDomain, DecisionLine)>, sqlx::Error> {
        const SQL: &str = "SELECT e.domain, e.id AS escalation_id, e.decided_at, e.decision, \
            COALESCE(e.decision_note, '') AS note, o.name AS assigned_organisation_name, e.assigned_due_date \
            FROM escalation e LEFT JOIN organisation o ON o.id = e.assigned_organisation_id \
            WHERE e.case_id = $1 AND e.decided_at IS NOT NULL AND ($2 IS NULL OR e.decided_at > $2) \
            ORDER BY e.decided_at, e.id";
        on_pool!(self, pool => {
            let rows: Vec<DecisionRow> = sqlx::query_as(SQL).bind(case_id).bind(since).fetch_all(pool).await?;
            Ok(rows.into_iter().map(|r| (r.domain, r.line)).collect())
        })
    }
}
