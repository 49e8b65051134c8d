//! Escalations to the steering group: opening them (by rule, idempotently, or by hand), the
//! queue, the decision workflow, and the decisions as the next conference's agenda reads them.
//! Every write carries its audit row and its notifications in the same transaction.

use super::audit::{NewAudit, insert_audit};
use super::cases::Viewer;
use super::notifications::{Notice, notify_users};
use super::obstacles::{INSERT_OBSTACLE_SQL, NewObstacle};
use super::{BeginWrite, Store, on_pool};
use crate::domain::{ActionStatus, DecisionKind, EscalationReason, EscalationStatus, LifeDomain};
use crate::storage::models::DecisionLine;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(FromRow)]
struct DecisionRow {
    domain: LifeDomain,
    #[sqlx(flatten)]
    line: DecisionLine,
}

macro_rules! select_escalation {
    ($tail:literal) => {
        concat!(
            "SELECT e.id, e.case_id, c.client_pseudonym, c.municipality_id, m.name AS municipality_name, \
             e.action_id, a.description AS action_description, a.status AS action_status, \
             a.due_date AS action_due_date, a.owner_is_client AS action_owner_is_client, \
             ao.name AS action_owner_name, e.domain, e.reason, e.rule_key, e.note, \
             ru.name AS raised_by_name, e.status, e.decision, e.decision_note, \
             e.assigned_organisation_id, ag.name AS assigned_organisation_name, e.assigned_due_date, \
             e.obstacle_id, ob.title AS obstacle_title, e.created_at, \
             rv.name AS reviewed_by_name, e.reviewed_at, dc.name AS decided_by_name, e.decided_at, \
             cl.name AS closed_by_name, e.closed_at \
             FROM escalation e \
             JOIN client_case c ON c.id = e.case_id \
             JOIN organisation m ON m.id = c.municipality_id \
             LEFT JOIN action a ON a.id = e.action_id \
             LEFT JOIN organisation ao ON ao.id = a.owner_organisation_id \
             LEFT JOIN organisation ag ON ag.id = e.assigned_organisation_id \
             LEFT JOIN obstacle ob ON ob.id = e.obstacle_id \
             LEFT JOIN app_user ru ON ru.id = e.raised_by \
             LEFT JOIN app_user rv ON rv.id = e.reviewed_by \
             LEFT JOIN app_user dc ON dc.id = e.decided_by \
             LEFT JOIN app_user cl ON cl.id = e.closed_by ",
            $tail
        )
    };
}

/// An escalation with the context the steering group needs to decide: the case's pseudonym and
/// municipality, the action and its state now, and who did what when.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Escalation {
    pub id: Uuid,
    pub case_id: Uuid,
    /// The case as Ketentafel names it: a pseudonym, never a real name.
    pub client_pseudonym: String,
    pub municipality_id: Uuid,
    pub municipality_name: String,
    pub action_id: Option<Uuid>,
    pub action_description: Option<String>,
    /// The action's status now: an action done after the escalation stays visible as done.
    pub action_status: Option<ActionStatus>,
    pub action_due_date: Option<NaiveDate>,
    pub action_owner_is_client: Option<bool>,
    pub action_owner_name: Option<String>,
    pub domain: LifeDomain,
    pub reason: EscalationReason,
    /// Set for escalations opened by a rule (see `domain::rules`).
    pub rule_key: Option<String>,
    /// Why: the rule's facts, or the reason given by hand.
    pub note: String,
    /// Who escalated by hand; empty for the engine.
    pub raised_by_name: Option<String>,
    pub status: EscalationStatus,
    pub decision: Option<DecisionKind>,
    pub decision_note: Option<String>,
    pub assigned_organisation_id: Option<Uuid>,
    pub assigned_organisation_name: Option<String>,
    pub assigned_due_date: Option<NaiveDate>,
    pub obstacle_id: Option<Uuid>,
    pub obstacle_title: Option<String>,
    pub created_at: DateTime<Utc>,
    pub reviewed_by_name: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub closed_by_name: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// An escalation to open.
#[derive(Debug, Clone)]
pub struct NewEscalation {
    pub case_id: Uuid,
    pub action_id: Option<Uuid>,
    pub domain: LifeDomain,
    pub reason: EscalationReason,
    /// For rule-based escalations: the episode's key; an existing key makes this a no-op.
    pub rule_key: Option<String>,
    pub note: String,
    pub raised_by: Option<Uuid>,
}

/// Which escalations to list.
#[derive(Debug, Clone)]
pub struct EscalationFilter {
    /// `None`: every escalation (steering, admin); otherwise those of the cases this viewer sees.
    pub viewer: Option<Viewer>,
    pub status: Option<EscalationStatus>,
    pub reason: Option<EscalationReason>,
    pub domain: Option<LifeDomain>,
    pub municipality_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    /// Only escalations opened at or before this moment (the "age" filter).
    pub opened_before: Option<DateTime<Utc>>,
    /// Only escalations linked to this obstacle.
    pub obstacle_id: Option<Uuid>,
    pub limit: i64,
}

impl EscalationFilter {
    /// Every escalation, unfiltered: for callers that already checked access to what they ask
    /// for (one case, the steering group's queue).
    pub fn unrestricted() -> Self {
        EscalationFilter {
            viewer: None,
            status: None,
            reason: None,
            domain: None,
            municipality_id: None,
            case_id: None,
            opened_before: None,
            obstacle_id: None,
            limit: 1000,
        }
    }
}

/// A step of the steering group's workflow.
#[derive(Debug, Clone)]
pub enum Step {
    /// open → under review.
    Review,
    /// open or under review → decided.
    Decide(Decision),
    /// decided → closed.
    Close,
}

/// What the steering group decided.
#[derive(Debug, Clone)]
pub struct Decision {
    pub kind: DecisionKind,
    pub note: String,
    pub assigned_organisation_id: Option<Uuid>,
    pub assigned_due_date: Option<NaiveDate>,
    /// An obstacle of the register, or one to add to it, for `obstacle` decisions.
    pub obstacle: Option<Result<Uuid, NewObstacle>>,
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

    /// Opens an escalation with its audit row and its notifications to the case's members.
    /// `Ok(None)` when its `rule_key` was opened before (by this run, an earlier one, or
    /// another node).
    pub async fn insert_escalation(
        &self,
        new: &NewEscalation,
        now: DateTime<Utc>,
        audit: &NewAudit,
        notice: &Notice,
    ) -> Result<Option<Escalation>, sqlx::Error> {
        const INSERT: &str = "INSERT INTO escalation (id, case_id, action_id, domain, reason, rule_key, \
            note, raised_by, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9) \
            ON CONFLICT (rule_key) DO NOTHING";
        const SELECT: &str = select_escalation!("WHERE e.id = $1");
        let id = notice.subject.1;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let inserted = sqlx::query(INSERT)
                .bind(id).bind(new.case_id).bind(new.action_id).bind(new.domain).bind(new.reason)
                .bind(new.rule_key.as_deref()).bind(&new.note).bind(new.raised_by).bind(now)
                .execute(&mut *tx).await?;
            if inserted.rows_affected() == 0 {
                return Ok(None);
            }
            insert_audit!(&mut *tx, audit)?;
            notify_users!(tx, notice, now);
            let escalation = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(escalation))
        })
    }

    /// One escalation, without any access filter (the caller decides).
    pub async fn escalation(&self, id: Uuid) -> Result<Option<Escalation>, sqlx::Error> {
        const SQL: &str = select_escalation!("WHERE e.id = $1");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
    }

    /// The escalations `filter` asks for, oldest first (the queue's order).
    pub async fn escalations(&self, filter: &EscalationFilter) -> Result<Vec<Escalation>, sqlx::Error> {
        const SQL: &str = select_escalation!(
            "WHERE ($1 OR EXISTS (SELECT 1 FROM case_member cm WHERE cm.case_id = c.id \
                    AND (cm.user_id = $2 OR (cm.user_id IS NULL AND cm.organisation_id = $3))) \
                OR ($4 AND c.municipality_id = $3)) \
             AND ($5 IS NULL OR e.status = $5) AND ($6 IS NULL OR e.reason = $6) \
             AND ($7 IS NULL OR e.domain = $7) AND ($8 IS NULL OR c.municipality_id = $8) \
             AND ($9 IS NULL OR e.case_id = $9) AND ($10 IS NULL OR e.created_at <= $10) \
             AND ($12 IS NULL OR e.obstacle_id = $12) ORDER BY e.created_at, e.id LIMIT $11"
        );
        let viewer = filter.viewer;
        on_pool!(self, pool => sqlx::query_as(SQL)
            .bind(viewer.is_none())
            .bind(viewer.map_or(Uuid::nil(), |v| v.user_id))
            .bind(viewer.map_or(Uuid::nil(), |v| v.organisation_id))
            .bind(viewer.is_some_and(|v| v.sees_municipality))
            .bind(filter.status).bind(filter.reason).bind(filter.domain).bind(filter.municipality_id)
            .bind(filter.case_id).bind(filter.opened_before).bind(filter.limit).bind(filter.obstacle_id)
            .fetch_all(pool).await)
    }

    /// Applies one step of the workflow if the escalation is still where the step starts;
    /// `Ok(None)` when it is not (someone else moved it first, or it is already past it).
    pub async fn escalation_step(
        &self,
        id: Uuid,
        step: &Step,
        by: Uuid,
        now: DateTime<Utc>,
        audit: &NewAudit,
        notice: Option<&Notice>,
    ) -> Result<Option<Escalation>, sqlx::Error> {
        const REVIEW: &str = "UPDATE escalation SET status = 'under_review', reviewed_by = $2, \
            reviewed_at = $3 WHERE id = $1 AND status = 'open'";
        const DECIDE: &str = "UPDATE escalation SET status = 'decided', decided_by = $2, decided_at = $3, \
            reviewed_by = COALESCE(reviewed_by, $2), reviewed_at = COALESCE(reviewed_at, $3), \
            decision = $4, decision_note = $5, assigned_organisation_id = $6, assigned_due_date = $7, \
            obstacle_id = $8 WHERE id = $1 AND status IN ('open', 'under_review')";
        const CLOSE: &str = "UPDATE escalation SET status = 'closed', closed_by = $2, closed_at = $3 \
            WHERE id = $1 AND status = 'decided'";
        const SELECT: &str = select_escalation!("WHERE e.id = $1");
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let changed = match step {
                Step::Review => sqlx::query(REVIEW).bind(id).bind(by).bind(now).execute(&mut *tx).await?,
                Step::Close => sqlx::query(CLOSE).bind(id).bind(by).bind(now).execute(&mut *tx).await?,
                Step::Decide(decision) => {
                    let obstacle_id = match &decision.obstacle {
                        None => None,
                        Some(Ok(existing)) => Some(*existing),
                        Some(Err(new)) => {
                            let obstacle_id = Uuid::now_v7();
                            sqlx::query(INSERT_OBSTACLE_SQL)
                                .bind(obstacle_id).bind(&new.title).bind(&new.description).bind(new.domain)
                                .bind(new.owner_organisation_id).bind(new.owner_user_id).bind(by).bind(now)
                                .execute(&mut *tx).await?;
                            // The register gains an entry: it gets its own line in the trail.
                            let created = NewAudit {
                                action: "obstacle.create",
                                subject: Some(("obstacle", obstacle_id)),
                                detail: None,
                                ..audit.clone()
                            };
                            insert_audit!(&mut *tx, &created)?;
                            Some(obstacle_id)
                        }
                    };
                    sqlx::query(DECIDE)
                        .bind(id).bind(by).bind(now).bind(decision.kind).bind(&decision.note)
                        .bind(decision.assigned_organisation_id).bind(decision.assigned_due_date)
                        .bind(obstacle_id)
                        .execute(&mut *tx).await?
                }
            };
            if changed.rows_affected() == 0 {
                return Ok(None);
            }
            insert_audit!(&mut *tx, audit)?;
            if let Some(notice) = notice {
                notify_users!(tx, notice, now);
            }
            let escalation = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(escalation))
        })
    }

    /// Links an escalation to an obstacle of the register; `false` if either does not exist.
    pub async fn link_obstacle(
        &self,
        escalation_id: Uuid,
        obstacle_id: Uuid,
        audit: &NewAudit,
    ) -> Result<bool, sqlx::Error> {
        // An escalation the steering group decided as an obstacle keeps that obstacle: only one
        // that has none (or is undecided) is linked here.
        const SQL: &str = "UPDATE escalation SET obstacle_id = $2 WHERE id = $1 \
            AND EXISTS (SELECT 1 FROM obstacle WHERE id = $2) \
            AND (obstacle_id IS NULL OR decision IS NULL OR decision <> 'obstacle')";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let linked = sqlx::query(SQL).bind(escalation_id).bind(obstacle_id).execute(&mut *tx).await?;
            if linked.rows_affected() == 0 {
                return Ok(false);
            }
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }
}
