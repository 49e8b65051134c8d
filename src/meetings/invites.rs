//! Invitations: single-person, expiring, revocable links into one conference.
//!
//! The link carries a random token; only its SHA-256 hash is stored. The first person to accept
//! an invite claims it: a guest or the client gets a session bound to this invite (and so to
//! this conference only); a member must be logged in as the invited account. Anyone else who
//! tries the same link afterwards is refused.

use super::{Viewer, load};
use crate::auth::{Principal, UserPrincipal, access, session, token};
use crate::cases;
use crate::core::Context;
use crate::domain::validate::{self, Invalid};
use crate::domain::{InviteKind, MeetingStatus};
use crate::error::{Error, Result};
use crate::events::CaseEvent;
use crate::storage::invites::NewInvite;
use crate::storage::models::Invite;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Whom to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    pub kind: InviteKind,
    /// For `member`: the account to invite.
    pub user_id: Option<Uuid>,
    /// For `guest`: the person's name. For `client`: how he is greeted (default: the pseudonym).
    pub name: Option<String>,
    /// For `guest`: the organisation the person comes from.
    pub organisation: Option<String>,
}

/// A new invite and its link. The link is shown once; it cannot be recovered later.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInvite {
    pub invite: Invite,
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// What an invite link shows before it is accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitePreview {
    pub kind: InviteKind,
    /// `valid`, `used` (by you), `taken` (used by someone else), `expired`, `revoked` or
    /// `removed`. Only a link that still works for the caller tells more than this.
    pub state: String,
    pub meeting_status: MeetingStatus,
    /// Guests accept a confidentiality statement before they enter.
    pub requires_confidentiality: bool,
    pub name: Option<String>,
    pub organisation_name: Option<String>,
    pub meeting_id: Option<Uuid>,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// What the conference is for; for the client his plain-language purpose (empty when none
    /// was written), never the professionals' wording.
    pub purpose: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Accepting an invite.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    /// Required (true) for guests: they keep what they hear confidential.
    #[serde(default)]
    pub accept_confidentiality: bool,
}

/// An accepted invite: where to go, and for guests and the client their session token (also
/// set as a cookie).
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedInvite {
    pub meeting_id: Uuid,
    pub kind: InviteKind,
    pub token: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Creates an invite for a conference (chair only).
pub async fn create(
    cx: &Context,
    user: &UserPrincipal,
    meeting_id: Uuid,
    input: CreateInvite,
) -> Result<CreatedInvite> {
    let (meeting, case, viewer) = load(cx, &user.principal(), meeting_id).await?;
    if !viewer.chairs(&meeting) {
        return Err(Error::Forbidden("only the chair invites"));
    }
    cases::ensure_open(&case)?;
    if meeting.finalised_at.is_some() {
        return Err(Error::conflict("minutes_finalised", "this conference is closed"));
    }
    let (user_id, name, organisation_name) = match input.kind {
        InviteKind::Member => {
            let user_id = input.user_id.ok_or_else(|| Invalid::new("user_id", "a member invite names the account"))?;
            let invitee = cx
                .store
                .user(user_id)
                .await?
                .filter(|u| u.active)
                .ok_or_else(|| Invalid::new("user_id", "no such active account"))?;
            let invitee = UserPrincipal { session_id: Uuid::nil(), user: invitee };
            let sees_case = cx
                .store
                .case_with_membership(case.id, access::viewer(&invitee))
                .await?
                .and_then(|(case, member)| access::case_rights(&invitee, &case, member))
                .is_some();
            if !sees_case {
                return Err(Invalid::new("user_id", "put this person on the case first (need-to-know)").into());
            }
            (Some(user_id), invitee.user.name.clone(), Some(invitee.user.organisation_name.clone()))
        }
        InviteKind::Guest => {
            let name = validate::name("name", input.name.as_deref().unwrap_or(""), 120)?;
            let organisation = validate::name("organisation", input.organisation.as_deref().unwrap_or(""), 120)?;
            (None, name, Some(organisation))
        }
        InviteKind::Client => {
            let name = match input.name.as_deref() {
                Some(name) => validate::name("name", name, 120)?,
                None => case.client_pseudonym.clone(),
            };
            (None, name, None)
        }
    };
    let now = cx.clock.now();
    let expires_at = expiry(meeting.scheduled_at, now, cx.settings.invite_hours);
    let (token, token_hash) = token::new_invite_token();
    let new = NewInvite {
        meeting_id,
        kind: input.kind,
        user_id,
        name,
        organisation_name,
        token_hash,
        created_by: user.user.id,
        expires_at,
    };
    let id = Uuid::now_v7();
    let audit =
        user.principal().audit(now, "invite.create", Some(case.id), Some(("invite", id)), Some(input.kind.to_string()));
    if input.kind == InviteKind::Client {
        // One client, one way in: a new link replaces the old one (and whoever holds it is out),
        // so the professionals-only part never has a second client connection to overlook.
        for invite_id in cx.store.revoke_client_invites(meeting_id, now).await? {
            let audit = user.principal().audit(
                now,
                "invite.revoke",
                Some(case.id),
                Some(("invite", invite_id)),
                Some("replaced".into()),
            );
            cx.store.record_audit(&audit).await?;
            cx.events.publish(case.id, CaseEvent::InviteRevoked { meeting_id, invite_id });
        }
    }
    let invite = cx.store.insert_invite(&new, now, &audit).await?;
    let url = format!("{}/join/{token}", cx.settings.public_url);
    Ok(CreatedInvite { invite, url, expires_at })
}

/// An invite is valid from now until some hours after the conference's scheduled start.
fn expiry(scheduled_at: DateTime<Utc>, now: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    scheduled_at.max(now) + Duration::hours(hours)
}

/// The invites of a conference (chair only).
pub async fn list(cx: &Context, user: &UserPrincipal, meeting_id: Uuid) -> Result<Vec<Invite>> {
    let (meeting, case, viewer) = load(cx, &user.principal(), meeting_id).await?;
    if !viewer.chairs(&meeting) {
        return Err(Error::Forbidden("only the chair sees the invites"));
    }
    let now = cx.clock.now();
    cx.store
        .record_audit(&user.principal().audit(now, "invite.list", Some(case.id), Some(("meeting", meeting_id)), None))
        .await?;
    Ok(cx.store.meeting_invites(meeting_id).await?)
}

/// Revokes an invite (chair only); whoever holds it is out.
pub async fn revoke(cx: &Context, user: &UserPrincipal, meeting_id: Uuid, invite_id: Uuid) -> Result<()> {
    let (meeting, case, viewer) = load(cx, &user.principal(), meeting_id).await?;
    if !viewer.chairs(&meeting) {
        return Err(Error::Forbidden("only the chair revokes invites"));
    }
    let invite = cx.store.invite(invite_id).await?.filter(|i| i.meeting_id == meeting_id).ok_or(Error::NotFound)?;
    let now = cx.clock.now();
    let audit = user.principal().audit(now, "invite.revoke", Some(case.id), Some(("invite", invite.id)), None);
    if cx.store.revoke_invite(invite.id, now, &audit).await? {
        cx.events.publish(case.id, CaseEvent::InviteRevoked { meeting_id, invite_id });
    }
    Ok(())
}

fn invite_state(invite: &Invite, now: DateTime<Utc>) -> &'static str {
    if invite.revoked_at.is_some() {
        "revoked"
    } else if invite.removed_at.is_some() {
        "removed"
    } else if invite.expires_at <= now {
        "expired"
    } else if invite.used_at.is_some() {
        "used"
    } else {
        "valid"
    }
}

async fn by_token(cx: &Context, raw: &str) -> Result<Invite> {
    if !token::looks_like_invite_token(raw) {
        return Err(Error::NotFound);
    }
    cx.store.invite_by_token_hash(&token::hash_invite_token(raw)).await?.ok_or(Error::NotFound)
}

/// What an invite link shows before anything is accepted (the pre-join page). A link that no
/// longer works for the caller says only why: whoever finds an old link learns nothing.
pub async fn preview(cx: &Context, caller: Option<&Principal>, raw: &str) -> Result<InvitePreview> {
    let invite = by_token(cx, raw).await?;
    let meeting = cx.store.meeting(invite.meeting_id).await?.ok_or(Error::NotFound)?;
    let now = cx.clock.now();
    let link_state = match invite_state(&invite, now) {
        "used" if !holds(caller, &invite) => "taken",
        other => other,
    };
    let audit = crate::storage::audit::NewAudit {
        at: now,
        actor: match caller {
            Some(principal) => principal.actor(),
            None => crate::storage::audit::Actor { kind: "invite", id: Some(invite.id), label: "invite link".into() },
        },
        action: "invite.preview",
        case_id: Some(meeting.case_id),
        subject: Some(("invite", invite.id)),
        detail: Some(link_state.to_owned()),
    };
    cx.store.record_audit(&audit).await?;
    let usable = matches!(link_state, "valid" | "used");
    Ok(InvitePreview {
        kind: invite.kind,
        state: link_state.to_owned(),
        meeting_status: meeting.status,
        requires_confidentiality: invite.kind == InviteKind::Guest,
        name: usable.then_some(invite.name),
        organisation_name: invite.organisation_name.filter(|_| usable),
        meeting_id: usable.then_some(meeting.id),
        scheduled_at: usable.then_some(meeting.scheduled_at),
        purpose: usable.then(|| super::purpose_for(&meeting, invite.kind)),
        expires_at: usable.then_some(invite.expires_at),
    })
}

/// Whether the caller is the one this invite belongs to (or already admitted).
fn holds(caller: Option<&Principal>, invite: &Invite) -> bool {
    match caller {
        Some(Principal::Invitee(p)) => p.invite.id == invite.id,
        Some(Principal::User(u)) => invite.user_id == Some(u.user.id),
        None => false,
    }
}

/// Accepts an invite. Returns the accepted invite and, for guests and the client, the session
/// that was opened for them.
pub async fn accept(
    cx: &Context,
    caller: Option<&Principal>,
    raw: &str,
    input: AcceptInvite,
) -> Result<(AcceptedInvite, Option<session::IssuedToken>)> {
    let invite = by_token(cx, raw).await?;
    let meeting = cx.store.meeting(invite.meeting_id).await?.ok_or(Error::NotFound)?;
    let now = cx.clock.now();
    match invite_state(&invite, now) {
        "revoked" => return Err(Error::Gone("this invite was withdrawn")),
        "removed" => return Err(Error::Gone("the chair removed you from this conference")),
        "expired" => {
            return Err(Error::Gone("this invite has expired; ask the chair for a new one"));
        }
        _ => {}
    }
    if meeting.finalised_at.is_some() {
        return Err(Error::Gone("this conference is closed"));
    }
    let accepted =
        AcceptedInvite { meeting_id: meeting.id, kind: invite.kind, token: None, expires_at: invite.expires_at };
    // The holder coming back (a reload, a second tab): nothing to claim, they are in already.
    let same_holder = holds(caller, &invite);
    if invite.kind == InviteKind::Member {
        let Some(Principal::User(user)) = caller else {
            return Err(Error::Unauthorized("log in with the invited account to use this invite"));
        };
        if invite.user_id != Some(user.user.id) {
            return Err(Error::Forbidden("this invite is for another person"));
        }
    }
    if invite.used_at.is_some() {
        return if same_holder { Ok((accepted, None)) } else { Err(Error::Gone("this invite has already been used")) };
    }
    if invite.kind == InviteKind::Guest && !input.accept_confidentiality {
        return Err(Invalid::new("accept_confidentiality", "guests accept the confidentiality statement first").into());
    }
    let actor = match caller {
        Some(Principal::User(user)) if invite.kind == InviteKind::Member => user.principal().actor(),
        _ => crate::auth::invite_actor(&invite),
    };
    let audit = crate::storage::audit::NewAudit {
        at: now,
        actor,
        action: "invite.accept",
        case_id: Some(meeting.case_id),
        subject: Some(("invite", invite.id)),
        detail: Some(invite.kind.to_string()),
    };
    if !cx.store.claim_invite(invite.id, input.accept_confidentiality, now, &audit).await? {
        return Err(Error::Gone("this invite has already been used"));
    }
    if invite.kind == InviteKind::Member {
        return Ok((accepted, None));
    }
    let issued = session::open_for_invite(cx, &invite).await?;
    let accepted = AcceptedInvite { token: Some(issued.token.clone()), ..accepted };
    Ok((accepted, Some(issued)))
}

/// Checks that `viewer` may still enter a conference through their invite (not removed,
/// not revoked); professionals with an account always may.
pub fn may_enter(viewer: &Viewer) -> Result<()> {
    match viewer {
        Viewer::Staff { .. } => Ok(()),
        Viewer::Invitee(i) if i.invite.removed_at.is_some() || i.invite.revoked_at.is_some() => {
            Err(Error::Forbidden("this invite no longer admits you"))
        }
        Viewer::Invitee(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_lasts_until_hours_after_the_scheduled_start_or_after_now_if_later() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let scheduled = t("2026-12-01T10:00:00Z");
        assert_eq!(expiry(scheduled, t("2026-11-22T10:00:00Z"), 24), t("2026-12-02T10:00:00Z"));
        assert_eq!(expiry(scheduled, t("2026-12-05T10:00:00Z"), 24), t("2026-12-06T10:00:00Z"));
    }
}
