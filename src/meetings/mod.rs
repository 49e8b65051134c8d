//! Conferences: scheduling, the live minutes per life domain, finalisation, and the views of
//! the minutes for professionals (full), guests (full, read-only) and the client (his plan).

pub mod invites;
pub mod plan;
pub mod render;
pub mod view;

use crate::auth::access::{self, CaseRights};
use crate::auth::{InviteePrincipal, Principal, UserPrincipal};
use crate::cases;
use crate::core::Context;
use crate::domain::validate::{self, Invalid};
use crate::domain::{InviteKind, LifeDomain, MeetingStatus};
use crate::error::{Error, Result};
use crate::events::CaseEvent;
use crate::storage::meetings::{DomainWrite, EntryText, Finalising, MinutesRefusal, NewMeeting};
use crate::storage::models::{Case, DomainEntry, Meeting};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use view::MinutesView;

/// Longest texts accepted in the minutes, in characters.
const MAX_SITUATION: usize = 8_000;
const MAX_WISH: usize = 4_000;
const MAX_NOTES: usize = 8_000;

/// A conference to schedule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleMeeting {
    pub scheduled_at: DateTime<Utc>,
    /// What the conference is for; everyone sees it in the lobby.
    pub purpose: String,
    /// The chair; by default whoever schedules it.
    pub chair_id: Option<Uuid>,
    /// Let partners write the minutes too (default: only the chair).
    #[serde(default)]
    pub partners_may_edit: bool,
}

/// The text of one domain's minutes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteDomain {
    #[serde(default)]
    pub situation: String,
    /// The client's own wish, in his own words.
    #[serde(default)]
    pub client_wish: String,
    /// Professionals-only notes.
    #[serde(default)]
    pub notes: String,
    /// The revision this text was based on; if someone else wrote in between, the write is
    /// refused with 409 and the current text, instead of silently overwriting theirs.
    pub base_revision: Option<i64>,
}

/// The client's own words for what a conference is for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientPurpose {
    /// Plain language (B1), at most 300 characters, in the "je"-form; empty clears it (his
    /// screens then show a plain default).
    pub text: String,
}

/// What a conference page shows and may do.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingPage {
    pub meeting: Meeting,
    pub minutes: MinutesView,
    /// The caller chairs: admits, finalises, invites.
    pub may_chair: bool,
    /// The caller may write the minutes now.
    pub may_write: bool,
    /// `member`, `guest` or `client`: how the caller takes part.
    pub taking_part_as: InviteKind,
}

/// Who is looking at a conference, and with which rights.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// Someone with an account who sees the case.
    Staff { user: UserPrincipal, rights: CaseRights },
    /// A guest or the client, through their invite for this very conference.
    Invitee(InviteePrincipal),
}

impl Viewer {
    pub fn principal(&self) -> Principal {
        match self {
            Viewer::Staff { user, .. } => Principal::User(user.clone()),
            Viewer::Invitee(invitee) => Principal::Invitee(invitee.clone()),
        }
    }

    /// Whether this viewer chairs the conference.
    pub fn chairs(&self, meeting: &Meeting) -> bool {
        match self {
            Viewer::Staff { user, rights } => access::chairs(user, *rights, meeting),
            Viewer::Invitee(_) => false,
        }
    }

    /// How this viewer takes part.
    pub fn kind(&self) -> InviteKind {
        match self {
            Viewer::Staff { .. } => InviteKind::Member,
            Viewer::Invitee(invitee) => invitee.invite.kind,
        }
    }
}

/// What a conference is for, as the one taking part as `kind` may read it: the client gets only
/// the plain-language purpose the chair wrote for him (empty when none was written: his screen
/// then shows a plain default), never the professionals' wording.
pub fn purpose_for(meeting: &Meeting, kind: InviteKind) -> String {
    match kind {
        InviteKind::Client => meeting.client_purpose.clone(),
        InviteKind::Member | InviteKind::Guest => meeting.purpose.clone(),
    }
}

/// A conference, its case, and who is asking; 404 for anyone who may not know it exists.
pub async fn load(cx: &Context, principal: &Principal, meeting_id: Uuid) -> Result<(Meeting, Case, Viewer)> {
    let meeting = cx.store.meeting(meeting_id).await?.ok_or(Error::NotFound)?;
    match principal {
        Principal::User(user) => {
            let (case, rights) = cases::load(cx, user, meeting.case_id).await?;
            Ok((meeting, case, Viewer::Staff { user: user.clone(), rights }))
        }
        Principal::Invitee(invitee) => {
            if invitee.invite.meeting_id != meeting_id {
                return Err(Error::NotFound);
            }
            if invitee.invite.removed_at.is_some() {
                return Err(Error::Forbidden("the chair has removed you from this conference"));
            }
            let case = cx.store.case(meeting.case_id).await?.ok_or(Error::NotFound)?;
            Ok((meeting, case, Viewer::Invitee(invitee.clone())))
        }
    }
}

/// Schedules a conference for a case.
pub async fn schedule(cx: &Context, user: &UserPrincipal, case_id: Uuid, input: ScheduleMeeting) -> Result<Meeting> {
    let (case, rights) = cases::load(cx, user, case_id).await?;
    cases::ensure_open(&case)?;
    if !rights.manage {
        return Err(Error::Forbidden("only the casemanager or coordinator schedules conferences"));
    }
    let purpose = validate::plain_text("purpose", &input.purpose, 500)?;
    let chair_id = input.chair_id.unwrap_or(user.user.id);
    if chair_id != user.user.id {
        let chair = cx
            .store
            .user(chair_id)
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| Invalid::new("chair_id", "no such active account"))?;
        let chair = UserPrincipal { session_id: Uuid::nil(), user: chair };
        let chair_rights = cx
            .store
            .case_with_membership(case.id, access::viewer(&chair))
            .await?
            .and_then(|(case, member)| access::case_rights(&chair, &case, member));
        if !chair_rights.is_some_and(|r| r.manage) {
            return Err(Invalid::new("chair_id", "the chair must be a casemanager or coordinator on this case").into());
        }
    }
    let now = cx.clock.now();
    let new = NewMeeting {
        case_id,
        scheduled_at: validate::moment("scheduled_at", input.scheduled_at, now)?,
        purpose,
        chair_id,
        partners_may_edit: input.partners_may_edit,
        created_by: user.user.id,
    };
    let id = Uuid::now_v7();
    let audit = user.principal().audit(now, "meeting.schedule", Some(case_id), Some(("meeting", id)), None);
    Ok(cx.store.insert_meeting(&new, now, &audit).await?)
}

/// The minutes of a conference: frozen if finalised, built live otherwise.
pub async fn minutes(cx: &Context, meeting: &Meeting, case: &Case) -> Result<MinutesView> {
    if meeting.finalised_at.is_some()
        && let Some(stored) = cx.store.minutes_record(meeting.id).await?
    {
        return serde_json::from_str(&stored).map_err(Error::internal);
    }
    // Independent reads, in parallel: a page is one round trip's wait for these, not four.
    let (entries, actions, meetings, attendance) = tokio::try_join!(
        cx.store.domain_entries(meeting.id),
        cx.store.case_actions(case.id),
        cx.store.case_meetings(case.id),
        cx.store.attendance(meeting.id),
    )?;
    let previous_finalised_at = meetings
        .into_iter()
        .filter(|m| m.id != meeting.id && m.scheduled_at <= meeting.scheduled_at)
        .filter_map(|m| m.finalised_at)
        .max();
    let decisions = cx.store.decisions_since(case.id, previous_finalised_at).await?;
    Ok(view::build(view::Inputs {
        meeting,
        case,
        entries: &entries,
        actions: &actions,
        previous_finalised_at,
        decisions,
        attendance,
    }))
}

/// A conference page for a professional or a guest. The client has his own view ([`plan`]).
pub async fn page(cx: &Context, principal: &Principal, meeting_id: Uuid) -> Result<MeetingPage> {
    let (meeting, case, viewer) = load(cx, principal, meeting_id).await?;
    may_read_minutes(&viewer)?;
    let minutes = minutes(cx, &meeting, &case).await?;
    let now = cx.clock.now();
    cx.store
        .record_audit(&viewer.principal().audit(
            now,
            "meeting.read",
            Some(case.id),
            Some(("meeting", meeting.id)),
            None,
        ))
        .await?;
    let may_write = meeting.finalised_at.is_none()
        && matches!(&viewer, Viewer::Staff { user, rights } if access::may_write_minutes(user, *rights, &meeting));
    Ok(MeetingPage { may_chair: viewer.chairs(&meeting), may_write, taking_part_as: viewer.kind(), meeting, minutes })
}

/// Writes one domain's minutes.
pub async fn write_domain(
    cx: &Context,
    user: &UserPrincipal,
    meeting_id: Uuid,
    domain: LifeDomain,
    input: WriteDomain,
) -> Result<DomainEntry> {
    let (meeting, case, viewer) = load(cx, &user.principal(), meeting_id).await?;
    cases::ensure_open(&case)?;
    let Viewer::Staff { rights, .. } = viewer else {
        return Err(Error::Forbidden("only the chair writes the minutes of this conference"));
    };
    if !access::may_write_minutes(user, rights, &meeting) {
        return Err(Error::Forbidden("only the chair writes the minutes of this conference"));
    }
    let text = EntryText {
        situation: validate::bounded_text("situation", &input.situation, MAX_SITUATION)?,
        client_wish: validate::bounded_text("client_wish", &input.client_wish, MAX_WISH)?,
        notes: validate::bounded_text("notes", &input.notes, MAX_NOTES)?,
    };
    let now = cx.clock.now();
    let audit = user.principal().audit(
        now,
        "minutes.write",
        Some(case.id),
        Some(("meeting", meeting.id)),
        Some(domain.to_string()),
    );
    let written = cx
        .store
        .write_domain_entry(
            &DomainWrite {
                meeting_id: meeting.id,
                domain,
                text,
                base_revision: input.base_revision,
                author: user.user.id,
            },
            now,
            &audit,
        )
        .await?;
    match written {
        Ok(entry) => {
            cx.events.publish(case.id, CaseEvent::DomainWritten { meeting_id, domain, revision: entry.revision });
            Ok(entry)
        }
        Err(MinutesRefusal::NoMeeting) => Err(Error::NotFound),
        Err(MinutesRefusal::Finalised) => Err(finalised()),
        Err(MinutesRefusal::Stale(current)) => Err(Error::conflict(
            "stale_revision",
            format!(
                "{} changed this domain meanwhile (revision {}); reload and merge",
                current.updated_by_name, current.revision
            ),
        )),
    }
}

/// Writes (or clears) the client's plain-language purpose of a conference: for its chair, until
/// the minutes are final.
pub async fn set_client_purpose(
    cx: &Context,
    user: &UserPrincipal,
    meeting_id: Uuid,
    input: ClientPurpose,
) -> Result<Meeting> {
    let (meeting, case, viewer) = load(cx, &user.principal(), meeting_id).await?;
    cases::ensure_open(&case)?;
    if !viewer.chairs(&meeting) {
        return Err(Error::Forbidden("only the chair writes the client's purpose of this conference"));
    }
    if meeting.finalised_at.is_some() {
        return Err(finalised());
    }
    let text = validate::client_text("text", &input.text, validate::MAX_CLIENT_TEXT)?;
    let now = cx.clock.now();
    let detail = if text.is_empty() { "cleared" } else { "written" };
    let audit = user.principal().audit(
        now,
        "meeting.client_purpose",
        Some(case.id),
        Some(("meeting", meeting.id)),
        Some(detail.to_owned()),
    );
    let updated = cx.store.set_meeting_client_purpose(meeting.id, &text, &audit).await?.ok_or_else(finalised)?;
    cx.events.publish(case.id, CaseEvent::ClientPurposeChanged { meeting_id });
    Ok(updated)
}

/// How often finalising renders the record again when writes keep landing under it.
const FINALISE_ATTEMPTS: usize = 5;

/// Finalises the minutes: from now on they are a record, not a draft. The record holds every
/// write that was confirmed before it: if one lands while the record is rendered, it is
/// rendered again.
pub async fn finalise(cx: &Context, user: &UserPrincipal, meeting_id: Uuid) -> Result<MinutesView> {
    for _ in 0..FINALISE_ATTEMPTS {
        let (meeting, case, viewer) = load(cx, &user.principal(), meeting_id).await?;
        if !viewer.chairs(&meeting) {
            return Err(Error::Forbidden("only the chair finalises the minutes"));
        }
        cases::ensure_open(&case)?;
        if meeting.finalised_at.is_some() {
            return Err(finalised());
        }
        let now = cx.clock.now();
        let mut record = minutes(cx, &meeting, &case).await?;
        record.status = MeetingStatus::Closed;
        record.finalised_at = Some(now);
        record.finalised_by_name = Some(format!("{} ({})", user.user.name, user.user.organisation_name));
        let tabled = view::tabled_action_ids(&record);
        let table: Vec<_> =
            cx.store.case_actions(case.id).await?.into_iter().filter(|a| tabled.contains(&a.id)).collect();
        let snapshot = serde_json::to_string(&record).map_err(Error::internal)?;
        let audit = user.principal().audit(now, "minutes.finalise", Some(case.id), Some(("meeting", meeting.id)), None);
        match cx.store.finalise_meeting(&meeting, &table, &snapshot, user.user.id, now, &audit).await? {
            Finalising::Done => {
                cx.events.publish(case.id, CaseEvent::Finalised { meeting_id });
                return Ok(record);
            }
            Finalising::AlreadyFinal => return Err(finalised()),
            Finalising::Changed => {
                tracing::debug!(%meeting_id, "the minutes changed while finalising; rendering again")
            }
        }
    }
    Err(Error::conflict("minutes_changing", "the minutes keep changing; finalise again when the writing has stopped"))
}

/// The printable minutes as a complete HTML page.
pub async fn minutes_html(
    cx: &Context,
    principal: &Principal,
    meeting_id: Uuid,
    lang: crate::i18n::Lang,
) -> Result<String> {
    let (meeting, case, viewer) = load(cx, principal, meeting_id).await?;
    may_read_minutes(&viewer)?;
    let minutes = minutes(cx, &meeting, &case).await?;
    let now = cx.clock.now();
    cx.store
        .record_audit(&viewer.principal().audit(
            now,
            "minutes.export",
            Some(case.id),
            Some(("meeting", meeting.id)),
            None,
        ))
        .await?;
    Ok(render::minutes_page(&minutes, lang))
}

/// The minutes are for the professionals: a guest reads them once a chair has let him in (the
/// room records the admission before it tells him), the client never (he has his plan).
fn may_read_minutes(viewer: &Viewer) -> Result<()> {
    match viewer {
        Viewer::Staff { .. } => Ok(()),
        Viewer::Invitee(i) if i.invite.kind == InviteKind::Client => {
            Err(Error::Forbidden("the client's view is the plan (GET /api/meetings/{id}/plan)"))
        }
        Viewer::Invitee(i) if i.invite.admitted_at.is_none() => {
            Err(Error::Forbidden("the minutes open once the chair has let you in"))
        }
        Viewer::Invitee(_) => Ok(()),
    }
}

fn finalised() -> Error {
    Error::conflict("minutes_finalised", "the minutes of this conference are final and can no longer change")
}
