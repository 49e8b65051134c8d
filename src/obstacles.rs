//! The obstacles register (knelpunten): the rules and habits of the system that keep blocking
//! people. Coordinators record them, the steering group marks escalations as one; each is
//! linked to the escalations (and so the cases) where it showed up. The register itself holds
//! no case content, so every account holder may read it; the linked escalations are shown
//! only as far as the reader may see them.

use crate::auth::UserPrincipal;
use crate::auth::access;
use crate::core::Context;
use crate::domain::DecisionKind;
use crate::domain::validate::{self, Invalid};
use crate::domain::{LifeDomain, ObstacleStatus};
use crate::error::{Error, Result};
use crate::escalation::access as escalations;
use crate::storage::audit::NewAudit;
use crate::storage::escalations::{Escalation, EscalationFilter};
use crate::storage::obstacles::{NewObstacle, Obstacle, ObstacleChanges};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An obstacle to add to the register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateObstacle {
    /// Short, e.g. "Geen briefadres zonder vaste woonplaats".
    pub title: String,
    /// What blocks whom, and why; no names of clients.
    #[serde(default)]
    pub description: String,
    pub domain: Option<LifeDomain>,
    /// The organisation that works on removing it.
    pub owner_organisation_id: Option<Uuid>,
    /// The person who does.
    pub owner_user_id: Option<Uuid>,
}

/// Changes to an obstacle; omitted fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateObstacle {
    pub title: Option<String>,
    pub description: Option<String>,
    pub domain: Option<LifeDomain>,
    pub owner_organisation_id: Option<Uuid>,
    pub owner_user_id: Option<Uuid>,
    pub status: Option<ObstacleStatus>,
}

/// Linking an escalation to an obstacle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkEscalation {
    pub escalation_id: Uuid,
}

/// An obstacle with the escalations the reader may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObstacleDetail {
    #[serde(flatten)]
    pub obstacle: Obstacle,
    pub linked_escalations: Vec<Escalation>,
    /// The reader keeps the register.
    pub may_edit: bool,
}

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 4_000;

/// Checks a new obstacle: a title, and an owner that exists (a person of that organisation).
pub async fn parse_new(cx: &Context, input: CreateObstacle) -> Result<NewObstacle> {
    let title = validate::plain_text("title", &input.title, MAX_TITLE)?;
    let description = validate::bounded_text("description", &input.description, MAX_DESCRIPTION)?;
    let (owner_organisation_id, owner_user_id) = owner(cx, input.owner_organisation_id, input.owner_user_id).await?;
    Ok(NewObstacle { title, description, domain: input.domain, owner_organisation_id, owner_user_id })
}

async fn owner(
    cx: &Context,
    organisation_id: Option<Uuid>,
    user_id: Option<Uuid>,
) -> Result<(Option<Uuid>, Option<Uuid>)> {
    if let Some(organisation_id) = organisation_id {
        cx.store
            .organisation(organisation_id)
            .await?
            .ok_or_else(|| Invalid::new("owner_organisation_id", "no such organisation"))?;
    }
    let Some(user_id) = user_id else {
        return Ok((organisation_id, None));
    };
    let person = cx
        .store
        .user(user_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| Invalid::new("owner_user_id", "no such active account"))?;
    if organisation_id.is_some_and(|org| org != person.organisation_id) {
        return Err(Invalid::new("owner_user_id", "does not work for that organisation").into());
    }
    Ok((Some(person.organisation_id), Some(user_id)))
}

fn audit(user: &UserPrincipal, at: chrono::DateTime<chrono::Utc>, action: &'static str, id: Uuid) -> NewAudit {
    NewAudit {
        at,
        actor: user.principal().actor(),
        action,
        case_id: None,
        subject: Some(("obstacle", id)),
        detail: None,
    }
}

fn require_writer(user: &UserPrincipal) -> Result<()> {
    if access::may_write_obstacles(user) {
        Ok(())
    } else {
        Err(Error::Forbidden("the coordinator and the steering group keep the obstacles register"))
    }
}

/// The register.
pub async fn list(cx: &Context) -> Result<Vec<Obstacle>> {
    Ok(cx.store.obstacles().await?)
}

/// Adds an obstacle.
pub async fn create(cx: &Context, user: &UserPrincipal, input: CreateObstacle) -> Result<Obstacle> {
    require_writer(user)?;
    let new = parse_new(cx, input).await?;
    let now = cx.clock.now();
    let id = Uuid::now_v7();
    Ok(cx.store.insert_obstacle(&new, user.user.id, now, &audit(user, now, "obstacle.create", id)).await?)
}

/// One obstacle with the linked escalations the reader may see.
pub async fn detail(cx: &Context, user: &UserPrincipal, id: Uuid) -> Result<ObstacleDetail> {
    let obstacle = cx.store.obstacle(id).await?.ok_or(Error::NotFound)?;
    let filter = EscalationFilter {
        viewer: access::escalation_scope(user),
        obstacle_id: Some(id),
        ..EscalationFilter::unrestricted()
    };
    let linked_escalations = escalations::read_audited(cx, user, &filter).await?;
    Ok(ObstacleDetail { obstacle, linked_escalations, may_edit: access::may_write_obstacles(user) })
}

/// Changes an obstacle (its status above all: open → in progress → resolved).
pub async fn update(cx: &Context, user: &UserPrincipal, id: Uuid, input: UpdateObstacle) -> Result<Obstacle> {
    require_writer(user)?;
    let title = match &input.title {
        Some(title) => Some(validate::plain_text("title", title, MAX_TITLE)?),
        None => None,
    };
    let description = match &input.description {
        Some(text) => Some(validate::bounded_text("description", text, MAX_DESCRIPTION)?),
        None => None,
    };
    let (owner_organisation_id, owner_user_id) = owner(cx, input.owner_organisation_id, input.owner_user_id).await?;
    let changes = ObstacleChanges {
        title,
        description,
        domain: input.domain,
        owner_organisation_id,
        owner_user_id,
        status: input.status,
    };
    let now = cx.clock.now();
    cx.store.update_obstacle(id, &changes, now, &audit(user, now, "obstacle.update", id)).await?.ok_or(Error::NotFound)
}

/// Links an escalation the user may see to an obstacle.
pub async fn link(cx: &Context, user: &UserPrincipal, id: Uuid, input: LinkEscalation) -> Result<ObstacleDetail> {
    require_writer(user)?;
    let escalation = escalations::readable(cx, user, input.escalation_id).await.map_err(|e| match e {
        Error::NotFound => Invalid::new("escalation_id", "no such escalation").into(),
        other => other,
    })?;
    if escalation.decision == Some(DecisionKind::Obstacle) && escalation.obstacle_id.is_some_and(|o| o != id) {
        return Err(Error::conflict(
            "decided_obstacle",
            "the steering group decided this escalation as another obstacle; that decision stands",
        ));
    }
    let now = cx.clock.now();
    let entry = NewAudit {
        case_id: Some(escalation.case_id),
        detail: Some(format!("escalation {}", escalation.id)),
        ..audit(user, now, "obstacle.link", id)
    };
    if !cx.store.link_obstacle(escalation.id, id, &entry).await? {
        return Err(Error::NotFound);
    }
    detail(cx, user, id).await
}
