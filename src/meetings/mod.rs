//! Conferences: scheduling, the live minutes per life domain, finalisation, and the views of
//! the minutes for professionals (full), guests (full, read-only) and the client (his plan).

pub mod invites;
pub mod pdf;
pub mod plan;
pub mod render;
pub mod sheet;
pub mod view;

use crate::auth::access::{self, CaseRights};
use crate::auth::{InviteePrincipal, Principal, UserPrincipal};
use crate::cases;
use crate::core::Context;
use crate::domain::validate::{self, Invalid};
use crate::domain::{InviteKind, LifeDomain, MeetingStatus};
use crate::error::{Error, Result};
use crate::events::CaseEvent;
use crate::storage::meetings::{DomainWrite, EntryText, FinalRecord, Finalising, MinutesRefusal, NewMeeting, Overlap};
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

/// How long a conference occupies its case's calendar: two conferences of one case whose starts
/// are less than this apart overlap, and the second is refused (`409 meeting_overlaps`). Back to
/// back (exactly one slot apart) is allowed.
pub const SLOT_MINUTES: i64 = 60;

/// [`SLOT_MINUTES`] as a duration.
pub const SLOT: chrono::Duration = chrono::Duration::minutes(SLOT_MINUTES);

fn slot() -> chrono::Duration {
    SLOT
}

fn overlaps(overlap: &Overlap) -> Error {
    Error::conflict(
        "meeting_overlaps",
        format!(
            "this case has a conference at {} (a conference takes {SLOT_MINUTES} minutes); choose a time at least \
             {SLOT_MINUTES} minutes before or after it",
            overlap.scheduled_at.to_rfc3339()
        ),
    )
}

/// Moving a conference that has not started to another time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleMeeting {
    pub scheduled_at: DateTime<Utc>,
}

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
    /// Once finalised: the SHA-256 (hex) of the stored record's content, as printed on every
    /// page of its PDF (`GET /api/meetings/{id}/minutes.pdf`).
    pub record_sha256: Option<String>,
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
    cx.store.insert_meeting(&new, slot(), now, &audit).await?.map_err(|overlap| overlaps(&overlap))
}

/// Moves a conference that has not started yet to another time (whoever may schedule for the
/// case, or its chair). Its invites that still work now last until some hours after the new
/// time. Refused with 409 `meeting_overlaps` like scheduling, and with 409 `meeting_started`
/// once it started or was finalised.
pub async fn reschedule(
    cx: &Context,
    user: &UserPrincipal,
    meeting_id: Uuid,
    input: RescheduleMeeting,
) -> Result<Meeting> {
    let (meeting, case, viewer) = load(cx, &user.principal(), meeting_id).await?;
    cases::ensure_open(&case)?;
    let Viewer::Staff { rights, .. } = &viewer else {
        return Err(Error::Forbidden("only the casemanager or coordinator moves a conference"));
    };
    if !rights.manage && !viewer.chairs(&meeting) {
        return Err(Error::Forbidden("only the casemanager or coordinator moves a conference"));
    }
    let now = cx.clock.now();
    let scheduled_at = validate::moment("scheduled_at", input.scheduled_at, now)?;
    let expiry = invites::expiry(scheduled_at, now, cx.settings.invite_hours);
    let audit = user.principal().audit(
        now,
        "meeting.reschedule",
        Some(case.id),
        Some(("meeting", meeting.id)),
        Some(format!("{} -> {}", meeting.scheduled_at.to_rfc3339(), scheduled_at.to_rfc3339())),
    );
    match cx.store.reschedule_meeting(meeting.id, case.id, scheduled_at, expiry, slot(), now, &audit).await? {
        Some(Ok(moved)) => Ok(moved),
        Some(Err(overlap)) => Err(overlaps(&overlap)),
        None => Err(Error::conflict(
            "meeting_started",
            "this conference has started or is finalised; it can no longer move",
        )),
    }
}

/// The minutes of a conference: frozen if finalised, built live otherwise.
pub async fn minutes(cx: &Context, meeting: &Meeting, case: &Case) -> Result<MinutesView> {
    if meeting.finalised_at.is_some()
        && let Some(stored) = cx.store.minutes_record(meeting.id).await?
    {
        let mut record: MinutesView = serde_json::from_str(&stored).map_err(Error::internal)?;
        view::fill_held_times(&mut record);
        return Ok(record);
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
    let record_sha256 = match meeting.finalised_at {
        Some(_) => stored_pdf(cx, &meeting).await?.and_then(|r| r.content_sha256),
        None => None,
    };
    Ok(MeetingPage {
        may_chair: viewer.chairs(&meeting),
        may_write,
        taking_part_as: viewer.kind(),
        meeting,
        minutes,
        record_sha256,
    })
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
        if record.started_at.is_some() && record.ended_at.is_none() {
            // Still running when finalised: the record ends it here.
            record.ended_at = Some(now);
        }
        let tabled = view::tabled_action_ids(&record);
        let table: Vec<_> =
            cx.store.case_actions(case.id).await?.into_iter().filter(|a| tabled.contains(&a.id)).collect();
        let stored = final_record(&record)?;
        let audit = user.principal().audit(now, "minutes.finalise", Some(case.id), Some(("meeting", meeting.id)), None);
        match cx.store.finalise_meeting(&meeting, &table, &stored, user.user.id, now, &audit).await? {
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

/// The language of the stored PDF: the record is kept in Dutch, the language of the case file.
pub const PDF_LANG: crate::i18n::Lang = crate::i18n::Lang::Nl;

/// What is stored when minutes are finalised: the record as JSON (its canonical content), the
/// SHA-256 of that JSON, and the PDF made from it with the hash on every page.
pub fn final_record(record: &MinutesView) -> Result<FinalRecord> {
    let content = serde_json::to_string(record).map_err(Error::internal)?;
    let sha = sha256_hex(content.as_bytes());
    let pdf = pdf::minutes_pdf(record, &sha, PDF_LANG);
    Ok(FinalRecord { content, content_sha256: Some(sha), pdf: Some(pdf) })
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    sha2::Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// The stored record of a finalised conference with its PDF; a record finalised before PDFs
/// were made gets its PDF made from its own stored content, once.
async fn stored_pdf(cx: &Context, meeting: &Meeting) -> Result<Option<FinalRecord>> {
    let Some(record) = cx.store.final_record(meeting.id).await? else {
        return Ok(None);
    };
    if record.pdf.is_some() {
        return Ok(Some(record));
    }
    let mut view: MinutesView = serde_json::from_str(&record.content).map_err(Error::internal)?;
    view::fill_held_times(&mut view);
    let sha = sha256_hex(record.content.as_bytes());
    let pdf = pdf::minutes_pdf(&view, &sha, PDF_LANG);
    Ok(cx.store.store_minutes_pdf(meeting.id, &sha, &pdf).await?)
}

/// The PDF of the finalised minutes, as stored when they were finalised, and its content hash.
/// 409 `minutes_not_final` before the minutes are finalised.
pub async fn minutes_pdf(cx: &Context, principal: &Principal, meeting_id: Uuid) -> Result<(Vec<u8>, String)> {
    let (meeting, case, viewer) = load(cx, principal, meeting_id).await?;
    may_read_minutes(&viewer)?;
    if meeting.finalised_at.is_none() {
        return Err(Error::conflict("minutes_not_final", "the PDF is made when the minutes are finalised"));
    }
    let record = stored_pdf(cx, &meeting).await?.ok_or(Error::NotFound)?;
    let now = cx.clock.now();
    cx.store
        .record_audit(&viewer.principal().audit(now, "minutes.pdf", Some(case.id), Some(("meeting", meeting.id)), None))
        .await?;
    match (record.pdf, record.content_sha256) {
        (Some(pdf), Some(sha)) => Ok((pdf, sha)),
        _ => Err(Error::internal("a finalised record without its PDF")),
    }
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
    let sha = match meeting.finalised_at {
        Some(_) => stored_pdf(cx, &meeting).await?.and_then(|r| r.content_sha256),
        None => None,
    };
    Ok(render::minutes_page(&minutes, lang, sha.as_deref()))
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
