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

/// A new invite and its link. The chair sees the link again in the list of invites while it
/// works (it is derived from the invite's id with the service's secret; only its hash is stored).
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
    let id = Uuid::now_v7();
    let token = cx.keys.invite_token(id);
    let token_hash = token::hash_invite_token(&token);
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
pub(crate) fn expiry(scheduled_at: DateTime<Utc>, now: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    scheduled_at.max(now) + Duration::hours(hours)
}

/// Where someone connected to a conference's room is now (the HTTP layer asks the room).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whereabouts {
    /// Waiting to be let in (or, the client, sent out for a professionals-only part).
    Lobby,
    /// In the conference.
    Room,
}

/// Someone connected to a conference's room now: by account (members) or by invite.
#[derive(Debug, Clone, Copy)]
pub struct Present {
    pub user_id: Option<Uuid>,
    pub invite_id: Option<Uuid>,
    pub whereabouts: Whereabouts,
}

/// An invite as the chair's list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteEntry {
    #[serde(flatten)]
    pub invite: Invite,
    /// `not_opened`, `opened` (the link was used), `lobby` (waiting to be let in now), `room`
    /// (in the conference now), `expired`, `revoked` (withdrawn or replaced by a new link) or
    /// `removed` (the chair sent this person out of the conference).
    pub state: String,
    /// The link, while it still works and can be derived again (not for links made before
    /// links were derivable: re-issue those).
    pub url: Option<String>,
    /// Whether the link can be e-mailed now (an SMTP server is configured and the link works).
    pub may_email: bool,
}

fn entry_state(invite: &Invite, present: &[Present], now: DateTime<Utc>) -> &'static str {
    let here = present
        .iter()
        .filter(|p| match invite.kind {
            InviteKind::Member => p.user_id.is_some() && p.user_id == invite.user_id,
            _ => p.invite_id == Some(invite.id),
        })
        .map(|p| p.whereabouts)
        .max_by_key(|w| *w == Whereabouts::Room);
    if invite.revoked_at.is_some() {
        "revoked"
    } else if invite.removed_at.is_some() {
        "removed"
    } else if here == Some(Whereabouts::Room) && invite.used_at.is_some() {
        "room"
    } else if here == Some(Whereabouts::Lobby) && invite.used_at.is_some() {
        "lobby"
    } else if invite.expires_at <= now {
        "expired"
    } else if invite.used_at.is_some() {
        "opened"
    } else {
        "not_opened"
    }
}

/// The invites of a conference with their state now (chair only); `present` is who is in its
/// room on this node now.
pub async fn list(
    cx: &Context,
    user: &UserPrincipal,
    meeting_id: Uuid,
    present: &[Present],
) -> Result<Vec<InviteEntry>> {
    let (meeting, case, viewer) = load(cx, &user.principal(), meeting_id).await?;
    if !viewer.chairs(&meeting) {
        return Err(Error::Forbidden("only the chair sees the invites"));
    }
    let now = cx.clock.now();
    cx.store
        .record_audit(&user.principal().audit(now, "invite.list", Some(case.id), Some(("meeting", meeting_id)), None))
        .await?;
    let (invites, hashes) =
        tokio::try_join!(cx.store.meeting_invites(meeting_id), cx.store.invite_token_hashes(meeting_id))?;
    let open = meeting.finalised_at.is_none();
    Ok(invites
        .into_iter()
        .map(|invite| {
            let state = entry_state(&invite, present, now);
            let works = open && matches!(state, "not_opened" | "opened" | "lobby" | "room");
            let url = works.then(|| cx.keys.invite_token(invite.id)).filter(|token| {
                let hash = token::hash_invite_token(token);
                hashes.iter().any(|(id, stored)| *id == invite.id && *stored == hash)
            });
            let url = url.map(|token| format!("{}/join/{token}", cx.settings.public_url));
            InviteEntry {
                may_email: url.is_some() && cx.outbox.mailer().is_some(),
                state: state.to_owned(),
                url,
                invite,
            }
        })
        .collect())
}

/// A live invite of a conference the caller chairs, with its link; for re-issuing, printing
/// and e-mailing.
async fn chaired_invite(
    cx: &Context,
    user: &UserPrincipal,
    meeting_id: Uuid,
    invite_id: Uuid,
) -> Result<(crate::storage::models::Meeting, crate::storage::models::Case, Invite)> {
    let (meeting, case, viewer) = load(cx, &user.principal(), meeting_id).await?;
    if !viewer.chairs(&meeting) {
        return Err(Error::Forbidden("only the chair handles the invites"));
    }
    let invite = cx.store.invite(invite_id).await?.filter(|i| i.meeting_id == meeting_id).ok_or(Error::NotFound)?;
    Ok((meeting, case, invite))
}

/// The link of a working invite, if it can be derived again.
async fn link_of(cx: &Context, invite: &Invite) -> Result<String> {
    let now = cx.clock.now();
    if invite_state(invite, now) != "valid" && invite_state(invite, now) != "used" {
        return Err(Error::Gone("this invite no longer works; re-issue it"));
    }
    let token = cx.keys.invite_token(invite.id);
    let stored = cx.store.invite_by_token_hash(&token::hash_invite_token(&token)).await?;
    if stored.is_none_or(|s| s.id != invite.id) {
        return Err(Error::conflict("link_unknown", "this link was made before links were kept; re-issue it"));
    }
    Ok(format!("{}/join/{token}", cx.settings.public_url))
}

/// Replaces an invite by a new one for the same person (chair only): a new link, and the old
/// one revoked (whoever holds it is out). The answer carries the new link.
pub async fn reissue(cx: &Context, user: &UserPrincipal, meeting_id: Uuid, invite_id: Uuid) -> Result<CreatedInvite> {
    let (meeting, case, old) = chaired_invite(cx, user, meeting_id, invite_id).await?;
    cases::ensure_open(&case)?;
    if meeting.finalised_at.is_some() {
        return Err(Error::conflict("minutes_finalised", "this conference is closed"));
    }
    let now = cx.clock.now();
    let expires_at = expiry(meeting.scheduled_at, now, cx.settings.invite_hours);
    let id = Uuid::now_v7();
    let token = cx.keys.invite_token(id);
    let new = NewInvite {
        meeting_id,
        kind: old.kind,
        user_id: old.user_id,
        name: old.name.clone(),
        organisation_name: old.organisation_name.clone(),
        token_hash: token::hash_invite_token(&token),
        created_by: user.user.id,
        expires_at,
    };
    let created = user.principal().audit(
        now,
        "invite.create",
        Some(case.id),
        Some(("invite", id)),
        Some(format!("{} reissue", old.kind)),
    );
    let revoked =
        user.principal().audit(now, "invite.revoke", Some(case.id), Some(("invite", old.id)), Some("reissued".into()));
    let invite = cx
        .store
        .reissue_invite(old.id, &new, now, &created, &revoked)
        .await?
        .ok_or_else(|| Error::conflict("invite_revoked", "this invite was withdrawn already; create a new one"))?;
    cx.events.publish(case.id, CaseEvent::InviteRevoked { meeting_id, invite_id: old.id });
    let url = format!("{}/join/{token}", cx.settings.public_url);
    Ok(CreatedInvite { invite, url, expires_at })
}

/// Where to e-mail an invite's link.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailInvite {
    /// The address; for a member invite it may be left out (the account's address is used).
    pub to: Option<String>,
}

/// E-mails an invite's link (chair only) through the configured SMTP server: 409 `smtp_off`
/// when none is configured. Returns the address it went to.
pub async fn email(
    cx: &Context,
    user: &UserPrincipal,
    meeting_id: Uuid,
    invite_id: Uuid,
    input: EmailInvite,
) -> Result<String> {
    let (meeting, case, invite) = chaired_invite(cx, user, meeting_id, invite_id).await?;
    let Some(mailer) = cx.outbox.mailer() else {
        return Err(Error::conflict("smtp_off", "this server has no mail server configured; copy or print the link"));
    };
    let to = match (input.to.as_deref().map(str::trim).filter(|t| !t.is_empty()), invite.user_id) {
        (Some(to), _) => validate::email("to", to)?,
        (None, Some(user_id)) => cx.store.user(user_id).await?.ok_or(Error::NotFound)?.email,
        (None, None) => return Err(Invalid::new("to", "give the address to send the link to").into()),
    };
    let url = link_of(cx, &invite).await?;
    let now = cx.clock.now();
    cx.store
        .record_audit(&user.principal().audit(now, "invite.email", Some(case.id), Some(("invite", invite.id)), None))
        .await?;
    if !crate::notifications::mail::send_invite(mailer, &to, &url, meeting.scheduled_at).await {
        return Err(Error::conflict(
            "mail_failed",
            "the mail server did not take the e-mail; try again or copy the link",
        ));
    }
    Ok(to)
}

/// The printable sheet for the prison's video terminal (chair only): the link, its QR code and
/// plain-language (B1) steps, as a self-contained HTML page.
pub async fn sheet(
    cx: &Context,
    user: &UserPrincipal,
    meeting_id: Uuid,
    invite_id: Uuid,
    lang: crate::i18n::Lang,
) -> Result<String> {
    let (meeting, case, invite) = chaired_invite(cx, user, meeting_id, invite_id).await?;
    let url = link_of(cx, &invite).await?;
    let now = cx.clock.now();
    cx.store
        .record_audit(&user.principal().audit(now, "invite.sheet", Some(case.id), Some(("invite", invite.id)), None))
        .await?;
    Ok(super::sheet::page(&invite, &meeting, &url, lang))
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
/// Whether an invite link may run the pre-join network check before it is accepted: the link
/// works (unused, or used by this very caller) and its conference is not over. Audited as
/// `meeting.network_check`; returns the conference's id.
pub async fn may_check_network(cx: &Context, caller: Option<&Principal>, raw: &str) -> Result<Uuid> {
    let invite = by_token(cx, raw).await?;
    let meeting = cx.store.meeting(invite.meeting_id).await?.ok_or(Error::NotFound)?;
    let now = cx.clock.now();
    let usable = match invite_state(&invite, now) {
        "valid" => true,
        "used" => holds(caller, &invite),
        _ => false,
    };
    if !usable {
        return Err(Error::Gone("this invite link can no longer be used"));
    }
    if meeting.finalised_at.is_some() {
        return Err(Error::conflict("meeting_closed", "the minutes of this conference are final; it is over"));
    }
    let audit = crate::storage::audit::NewAudit {
        at: now,
        actor: match caller {
            Some(principal) => principal.actor(),
            None => crate::storage::audit::Actor { kind: "invite", id: Some(invite.id), label: "invite link".into() },
        },
        action: "meeting.network_check",
        case_id: Some(meeting.case_id),
        subject: Some(("meeting", meeting.id)),
        detail: None,
    };
    cx.store.record_audit(&audit).await?;
    Ok(meeting.id)
}

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
