//! The steering group's queue and workflow: escalating by hand, listing and reading
//! escalations (with the context to decide), and the steps open → under review → decided →
//! closed. A decision lands on the case (its escalations), notifies the case's members, and is
//! on the next conference's agenda ("Besluiten stuurgroep", see `meetings::minutes`).

use super::access::{read_audited, readable, redacted_for};
use super::engine::{self, RunReport};
use crate::auth::UserPrincipal;
use crate::auth::access;
use crate::cases;
use crate::core::Context;
use crate::domain::validate::{self, Invalid};
use crate::domain::{DecisionKind, EscalationReason, EscalationStatus, LifeDomain};
use crate::error::{Error, Result};
use crate::obstacles::{self, CreateObstacle};
use crate::storage::escalations::{Decision, Escalation, EscalationFilter, NewEscalation, Step};
use crate::storage::models::ActionEvent;
use crate::storage::notifications::{Notice, NoticeKind};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Escalating an action by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualEscalation {
    /// Why the steering group must look at this; required.
    pub note: String,
}

/// Which escalations to list; every filter is optional.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueFilter {
    pub status: Option<EscalationStatus>,
    pub reason: Option<EscalationReason>,
    pub domain: Option<LifeDomain>,
    /// Only cases of this municipality.
    pub municipality_id: Option<Uuid>,
    /// Only this case.
    pub case_id: Option<Uuid>,
    /// Only escalations open for at least this many days.
    // Any u32 is accepted (beyond a century it means "all"); utoipa would publish u32 as int32.
    #[param(value_type = Option<u64>, maximum = 4294967295.0)]
    pub min_age_days: Option<u32>,
    /// At most this many (default 200, at most 1000).
    pub limit: Option<i64>,
}

/// An escalation with the action's history and what the caller may do.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationDetail {
    #[serde(flatten)]
    pub escalation: Escalation,
    /// What happened to the action, oldest first (status changes and notes).
    pub action_history: Vec<ActionEvent>,
    /// The caller may take the steering group's next step.
    pub may_decide: bool,
}

/// The steering group's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub decision: DecisionKind,
    /// The decision in words; required.
    pub note: String,
    /// For `assigned`: the organisation made responsible.
    pub assigned_organisation_id: Option<Uuid>,
    /// For `assigned`: by when.
    pub assigned_due_date: Option<NaiveDate>,
    /// For `obstacle`: an obstacle of the register…
    pub obstacle_id: Option<Uuid>,
    /// …or a new one to add to it.
    pub new_obstacle: Option<CreateObstacle>,
}

/// Escalates an action by hand; anyone who sees its case may.
pub async fn escalate_by_hand(
    cx: &Context,
    user: &UserPrincipal,
    action_id: Uuid,
    input: ManualEscalation,
) -> Result<Escalation> {
    let action = cx.store.action(action_id).await?.ok_or(Error::NotFound)?;
    let (case, _) = cases::load(cx, user, action.case_id).await?;
    cases::ensure_open(&case)?;
    let note = validate::required_text("note", &input.note, 2_000)?;
    let now = cx.clock.now();
    let id = Uuid::now_v7();
    let new = NewEscalation {
        case_id: action.case_id,
        action_id: Some(action.id),
        domain: action.domain,
        reason: EscalationReason::Manual,
        rule_key: None,
        note,
        raised_by: Some(user.user.id),
    };
    let audit = user.principal().audit(
        now,
        "escalation.open",
        Some(action.case_id),
        Some(("escalation", id)),
        Some(EscalationReason::Manual.to_string()),
    );
    let notice = Notice {
        kind: NoticeKind::Escalation,
        case_id: action.case_id,
        subject: ("escalation", id),
        key: format!("escalation:{id}"),
        organisation_id: None,
        user_id: None,
        except: Some(user.user.id),
        mail: cx.outbox.mails(),
    };
    let opened = cx
        .store
        .insert_escalation(&new, now, &audit, &notice)
        .await?
        .ok_or_else(|| Error::internal("a manual escalation has no rule key to collide on"))?;
    cx.outbox.poke();
    Ok(opened)
}

/// The escalations the caller may see, oldest first. Each listed escalation is a read of its
/// case's data and is audited as one.
pub async fn list(cx: &Context, user: &UserPrincipal, filter: QueueFilter) -> Result<Vec<Escalation>> {
    let now = cx.clock.now();
    let filter = EscalationFilter {
        viewer: access::escalation_scope(user),
        status: filter.status,
        reason: filter.reason,
        domain: filter.domain,
        municipality_id: filter.municipality_id,
        case_id: filter.case_id,
        // Capped at a century: a larger age means "all" and must not overflow the date.
        opened_before: filter.min_age_days.map(|days| now - Duration::days(days.min(36_500).into())),
        obstacle_id: None,
        limit: filter.limit.unwrap_or(200).clamp(1, 1000),
    };
    read_audited(cx, user, &filter).await
}

/// One escalation with its action's history.
pub async fn detail(cx: &Context, user: &UserPrincipal, id: Uuid) -> Result<EscalationDetail> {
    let escalation = redacted_for(user, readable(cx, user, id).await?);
    let action_history = match escalation.action_id {
        Some(_) if user.role() == crate::domain::Role::Admin => Vec::new(),
        Some(action_id) => cx.store.action_events(action_id).await?,
        None => Vec::new(),
    };
    cx.store
        .record_audit(&user.principal().audit(
            cx.clock.now(),
            "escalation.read",
            Some(escalation.case_id),
            Some(("escalation", id)),
            None,
        ))
        .await?;
    Ok(EscalationDetail {
        may_decide: access::may_decide(user) && escalation.status != EscalationStatus::Closed,
        escalation,
        action_history,
    })
}

/// The escalation, if the caller may take the steering group's steps on it.
async fn decidable(cx: &Context, user: &UserPrincipal, id: Uuid) -> Result<Escalation> {
    let escalation = readable(cx, user, id).await?;
    if !access::may_decide(user) {
        return Err(Error::Forbidden("only the steering group reviews, decides and closes escalations"));
    }
    Ok(escalation)
}

/// Records the steering group's decision: checked for access first, then for content.
pub async fn decide(cx: &Context, user: &UserPrincipal, id: Uuid, input: DecisionInput) -> Result<Escalation> {
    decidable(cx, user, id).await?;
    let decision = parse_decision(cx, input).await?;
    step(cx, user, id, Step::Decide(decision)).await
}

/// Takes a step of the workflow: review, decide or close.
pub async fn step(cx: &Context, user: &UserPrincipal, id: Uuid, step: Step) -> Result<Escalation> {
    let escalation = decidable(cx, user, id).await?;
    let (action, detail) = match &step {
        Step::Review => ("escalation.review", None),
        Step::Decide(d) => ("escalation.decide", Some(d.kind.to_string())),
        Step::Close => ("escalation.close", None),
    };
    let now = cx.clock.now();
    let audit = user.principal().audit(now, action, Some(escalation.case_id), Some(("escalation", id)), detail);
    let notice = matches!(step, Step::Decide(_)).then(|| Notice {
        kind: NoticeKind::Decision,
        case_id: escalation.case_id,
        subject: ("escalation", id),
        key: format!("decision:{id}"),
        organisation_id: None,
        user_id: None,
        except: Some(user.user.id),
        mail: cx.outbox.mails(),
    });
    let stepped = cx.store.escalation_step(id, &step, user.user.id, now, &audit, notice.as_ref()).await?;
    cx.outbox.poke();
    stepped.ok_or_else(|| {
        Error::conflict(
            "wrong_status",
            format!("this escalation is {}; that step is not possible now", escalation.status),
        )
    })
}

/// Checks a decision against its kind: an assignment names an organisation and a future due
/// date, an obstacle names one of the register or a new one, and nothing else is accepted.
async fn parse_decision(cx: &Context, input: DecisionInput) -> Result<Decision> {
    let note = validate::required_text("note", &input.note, 2_000)?;
    let assigned = input.assigned_organisation_id.is_some() || input.assigned_due_date.is_some();
    let obstacle = input.obstacle_id.is_some() || input.new_obstacle.is_some();
    if input.decision != DecisionKind::Assigned && assigned {
        return Err(Invalid::new("assigned_organisation_id", "only for an `assigned` decision").into());
    }
    if input.decision != DecisionKind::Obstacle && obstacle {
        return Err(Invalid::new("obstacle_id", "only for an `obstacle` decision").into());
    }
    let mut decision = Decision {
        kind: input.decision,
        note,
        assigned_organisation_id: None,
        assigned_due_date: None,
        obstacle: None,
    };
    match input.decision {
        DecisionKind::Assigned => {
            let organisation = input
                .assigned_organisation_id
                .ok_or_else(|| Invalid::new("assigned_organisation_id", "name the responsible organisation"))?;
            cx.store
                .organisation(organisation)
                .await?
                .ok_or_else(|| Invalid::new("assigned_organisation_id", "no such organisation"))?;
            let due = input.assigned_due_date.ok_or_else(|| Invalid::new("assigned_due_date", "say by when"))?;
            let due = validate::date("assigned_due_date", due)?;
            if due < crate::timezone::to_local(cx.clock.now()).date_naive() {
                return Err(Invalid::new("assigned_due_date", "is in the past").into());
            }
            decision.assigned_organisation_id = Some(organisation);
            decision.assigned_due_date = Some(due);
        }
        DecisionKind::Obstacle => {
            decision.obstacle = Some(match (input.obstacle_id, input.new_obstacle) {
                (Some(existing), None) => {
                    cx.store
                        .obstacle(existing)
                        .await?
                        .ok_or_else(|| Invalid::new("obstacle_id", "no such obstacle in the register"))?;
                    Ok(existing)
                }
                (None, Some(new)) => Err(obstacles::parse_new(cx, new).await?),
                _ => {
                    return Err(Invalid::new("obstacle_id", "give either an obstacle_id or a new_obstacle").into());
                }
            });
        }
        DecisionKind::Resolved | DecisionKind::Returned => {}
    }
    Ok(decision)
}

/// A run of the engine on demand (steering and admin).
pub async fn run(cx: &Context, user: &UserPrincipal) -> Result<RunReport> {
    if !access::may_run_engine(user) {
        return Err(Error::Forbidden("only the steering group and the administrator run the escalation engine"));
    }
    let report = engine::run_once(cx).await?;
    cx.store
        .record_audit(&user.principal().audit(
            cx.clock.now(),
            "escalation.run",
            None,
            None,
            Some(format!("opened {}", report.opened.len())),
        ))
        .await?;
    Ok(report)
}
