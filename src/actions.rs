//! Actions: what was agreed, who does it, by when — and what happened to it since.

use crate::auth::UserPrincipal;
use crate::auth::access;
use crate::cases;
use crate::core::Context;
use crate::domain::validate::{self, Invalid};
use crate::domain::{ActionStatus, LifeDomain};
use crate::error::{Error, Result};
use crate::events::CaseEvent;
use crate::notifications;
use crate::storage::actions::{NewAction, StatusChange};
use crate::storage::models::{Action, ActionEvent};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An action to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAction {
    pub domain: LifeDomain,
    pub description: String,
    /// The organisation that does it (it must be on the case). Omit when the client does it.
    pub owner_organisation_id: Option<Uuid>,
    /// The person who does it, of that organisation.
    pub owner_user_id: Option<Uuid>,
    /// The client himself does it ("what I will do").
    #[serde(default)]
    pub owner_is_client: bool,
    /// `YYYY-MM-DD`.
    pub due_date: NaiveDate,
    /// The conference where it is agreed; its minutes must not be final yet.
    pub meeting_id: Option<Uuid>,
}

/// A status change and/or a note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAction {
    pub status: Option<ActionStatus>,
    /// Why; required when an action becomes blocked.
    pub note: Option<String>,
}

/// The client's own words for an action.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientText {
    /// Plain language (B1), at most 300 characters, one or a few short sentences in the
    /// "je"-form; empty clears it (his plan then shows a plain default for the domain).
    pub text: String,
}

/// An action with its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDetail {
    #[serde(flatten)]
    pub action: Action,
    pub history: Vec<ActionEvent>,
    /// Whether the caller may change it.
    pub may_update: bool,
}

/// The actions of a case.
pub async fn list(cx: &Context, user: &UserPrincipal, case_id: Uuid) -> Result<Vec<Action>> {
    cases::load(cx, user, case_id).await?;
    let now = cx.clock.now();
    cx.store.record_audit(&user.principal().audit(now, "action.list", Some(case_id), None, None)).await?;
    Ok(cx.store.case_actions(case_id).await?)
}

/// Records an agreed action.
pub async fn create(cx: &Context, user: &UserPrincipal, case_id: Uuid, input: CreateAction) -> Result<Action> {
    let (case, rights) = cases::load(cx, user, case_id).await?;
    cases::ensure_open(&case)?;
    match input.meeting_id {
        Some(meeting_id) => {
            let meeting = cx
                .store
                .meeting(meeting_id)
                .await?
                .filter(|m| m.case_id == case_id)
                .ok_or_else(|| Invalid::new("meeting_id", "is not a conference of this case"))?;
            if !access::may_write_minutes(user, rights, &meeting) {
                return Err(Error::Forbidden("only the chair records actions in this conference"));
            }
        }
        None if !rights.manage => {
            return Err(Error::Forbidden("only the casemanager or coordinator records actions between conferences"));
        }
        None => {}
    }
    let description = validate::required_text("description", &input.description, 1_000)?;
    let due_date = validate::date("due_date", input.due_date)?;
    let now = cx.clock.now();
    if due_date < now.date_naive() {
        return Err(Invalid::new("due_date", "is in the past").into());
    }
    let (owner_organisation_id, owner_user_id) = owner(cx, case_id, &input).await?;
    let new = NewAction {
        case_id,
        domain: input.domain,
        description,
        owner_organisation_id,
        owner_user_id,
        owner_is_client: input.owner_is_client,
        due_date,
        meeting_id: input.meeting_id,
        created_by: user.user.id,
    };
    let id = Uuid::now_v7();
    let principal = user.principal();
    let audit =
        principal.audit(now, "action.create", Some(case_id), Some(("action", id)), Some(input.domain.to_string()));
    let action = cx.store.insert_action(&new, &principal.actor(), now, &audit).await?.ok_or_else(|| {
        Error::conflict(
            "minutes_finalised",
            "the minutes of this conference are final; record the action between conferences",
        )
    })?;
    cx.events.publish(case_id, CaseEvent::ActionChanged { action_id: action.id });
    // The action stands; a notification that fails to be written is logged, not an error.
    if let Err(e) = notifications::action_assigned(cx, &action, user.user.id).await {
        tracing::error!(error = %e, action = %action.id, "assignment notification not written");
    }
    Ok(action)
}

/// Checks the owner: an organisation on the case (and optionally one of its people), or the
/// client himself.
async fn owner(cx: &Context, case_id: Uuid, input: &CreateAction) -> Result<(Option<Uuid>, Option<Uuid>)> {
    if input.owner_is_client {
        if input.owner_organisation_id.is_some() || input.owner_user_id.is_some() {
            return Err(Invalid::new("owner_is_client", "an action of the client has no other owner").into());
        }
        return Ok((None, None));
    }
    let members = cx.store.case_members(case_id).await?;
    let organisation_id = match (input.owner_organisation_id, input.owner_user_id) {
        (Some(org), _) => org,
        (None, Some(user_id)) => cx
            .store
            .user(user_id)
            .await?
            .map(|u| u.organisation_id)
            .ok_or_else(|| Invalid::new("owner_user_id", "no such account"))?,
        (None, None) => {
            return Err(Invalid::new("owner_organisation_id", "name who does it").into());
        }
    };
    if !members.iter().any(|m| m.organisation_id == organisation_id) {
        return Err(Invalid::new("owner_organisation_id", "this organisation is not on the case").into());
    }
    if let Some(user_id) = input.owner_user_id {
        let person = cx.store.user(user_id).await?.ok_or_else(|| Invalid::new("owner_user_id", "no such account"))?;
        if person.organisation_id != organisation_id {
            return Err(Invalid::new("owner_user_id", "does not work for the owning organisation").into());
        }
    }
    Ok((Some(organisation_id), input.owner_user_id))
}

/// An action and its history.
pub async fn detail(cx: &Context, user: &UserPrincipal, action_id: Uuid) -> Result<ActionDetail> {
    let action = cx.store.action(action_id).await?.ok_or(Error::NotFound)?;
    let (_, rights) = cases::load(cx, user, action.case_id).await?;
    let history = cx.store.action_events(action_id).await?;
    let now = cx.clock.now();
    cx.store
        .record_audit(&user.principal().audit(
            now,
            "action.read",
            Some(action.case_id),
            Some(("action", action_id)),
            None,
        ))
        .await?;
    Ok(ActionDetail { may_update: access::may_update_action(user, rights, &action), action, history })
}

/// Changes an action's status and/or adds a note.
pub async fn update(cx: &Context, user: &UserPrincipal, action_id: Uuid, input: UpdateAction) -> Result<Action> {
    let action = cx.store.action(action_id).await?.ok_or(Error::NotFound)?;
    let (case, rights) = cases::load(cx, user, action.case_id).await?;
    cases::ensure_open(&case)?;
    if !access::may_update_action(user, rights, &action) {
        return Err(Error::Forbidden("only the owning organisation or the case's chair updates this action"));
    }
    let note = match input.note.as_deref() {
        Some(note) => Some(validate::required_text("note", note, 2_000)?),
        None => None,
    };
    let now = cx.clock.now();
    let principal = user.principal();
    let actor = principal.actor();
    let updated = match input.status.filter(|&s| s != action.status) {
        None => {
            let note = note.ok_or_else(|| Invalid::new("status", "give a new status or a note"))?;
            let audit = principal.audit(now, "action.note", Some(action.case_id), Some(("action", action.id)), None);
            cx.store.add_action_note(action.id, &note, &actor, now, &audit).await?;
            action
        }
        Some(to) => {
            if to == ActionStatus::Blocked && note.is_none() {
                return Err(Invalid::new("note", "say what blocks it").into());
            }
            if to == ActionStatus::Cancelled && !rights.manage {
                return Err(Error::Forbidden("only the case's chair cancels an action"));
            }
            let change = StatusChange { from: action.status, to, note };
            let detail = format!("{} → {}", action.status, to);
            let audit =
                principal.audit(now, "action.status", Some(action.case_id), Some(("action", action.id)), Some(detail));
            cx.store.change_action_status(action.id, &change, &actor, now, &audit).await?.ok_or_else(|| {
                Error::conflict("changed_meanwhile", "someone else changed this action just now; reload it")
            })?
        }
    };
    cx.events.publish(updated.case_id, CaseEvent::ActionChanged { action_id: updated.id });
    Ok(updated)
}

/// Writes (or clears) the client's plain-language text of an action: for whoever manages the
/// case (the casemanager or coordinator who chairs its conferences).
pub async fn set_client_text(cx: &Context, user: &UserPrincipal, action_id: Uuid, input: ClientText) -> Result<Action> {
    let action = cx.store.action(action_id).await?.ok_or(Error::NotFound)?;
    let (case, rights) = cases::load(cx, user, action.case_id).await?;
    cases::ensure_open(&case)?;
    if !rights.manage {
        return Err(Error::Forbidden("only the case's chair writes the client's text of an action"));
    }
    let text = validate::client_text("text", &input.text, validate::MAX_CLIENT_TEXT)?;
    let now = cx.clock.now();
    let detail = if text.is_empty() { "cleared" } else { "written" };
    let audit = user.principal().audit(
        now,
        "action.client_text",
        Some(action.case_id),
        Some(("action", action.id)),
        Some(detail.to_owned()),
    );
    let updated = cx.store.set_action_client_text(action.id, &text, &audit).await?.ok_or(Error::NotFound)?;
    cx.events.publish(updated.case_id, CaseEvent::ActionChanged { action_id: updated.id });
    Ok(updated)
}
