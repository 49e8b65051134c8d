//! Cases: opening one, the need-to-know list, and reading a case as a whole.

use crate::auth::access::{self, CaseRights};
use crate::auth::{Principal, UserPrincipal};
use crate::core::Context;
use crate::domain::readiness::{self, ReadinessWarning};
use crate::domain::validate::{self, Invalid};
use crate::domain::{CaseStatus, MeetingStatus, OrganisationKind, Role};
use crate::error::{Error, Result};
use crate::storage::cases::{CaseSummary, NewCase, NewMember};
use crate::storage::escalations::{Escalation, EscalationFilter};
use crate::storage::models::{Action, AuditEvent, Case, CaseMember, Meeting};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A case to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCase {
    /// How the client is named in Ketentafel: a pseudonym, never a BSN.
    pub client_pseudonym: String,
    /// The prison (an organisation of kind `pi`).
    pub prison_id: Uuid,
    pub detention_start: NaiveDate,
    pub expected_release: NaiveDate,
    /// The municipality of origin (an organisation of kind `municipality`).
    pub municipality_id: Uuid,
}

/// An entry for the need-to-know list: a person (`user_id`), or a whole organisation
/// (`organisation_id` alone).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub organisation_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    /// Why this person or organisation needs to know (kept in the audit trail).
    pub reason: String,
}

/// Why an entry comes off the need-to-know list (kept in the audit trail).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveMember {
    pub reason: String,
}

/// The longest reason for a change of the need-to-know list.
const REASON_MAX: usize = 500;

/// A reason for a change of the need-to-know list: required, trimmed, one paragraph at most.
fn member_reason(reason: &str) -> Result<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Invalid::new("reason", "give the reason for this change of the need-to-know list").into());
    }
    if reason.chars().count() > REASON_MAX {
        return Err(Invalid::new("reason", format!("is longer than {REASON_MAX} characters")).into());
    }
    Ok(reason.to_owned())
}

/// A case with everything its page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub members: Vec<CaseMember>,
    pub meetings: Vec<Meeting>,
    pub actions: Vec<Action>,
    /// Life domains not in hand while the release comes closer than their lead time.
    pub readiness: Vec<ReadinessWarning>,
    /// The case's escalations to the steering group, with their decisions, oldest first.
    pub escalations: Vec<Escalation>,
    /// What the caller may do here, so the client can show the right controls.
    pub may_manage: bool,
    pub may_read_audit: bool,
}

/// The case and the caller's rights on it, or a 404 when the caller may not know it exists.
pub async fn load(cx: &Context, user: &UserPrincipal, case_id: Uuid) -> Result<(Case, CaseRights)> {
    let (case, member) = cx.store.case_with_membership(case_id, access::viewer(user)).await?.ok_or(Error::NotFound)?;
    let Some(rights) = access::case_rights(user, &case, member) else {
        // Someone off the need-to-know list reached for this case: the caller learns nothing,
        // the trail keeps it.
        let audit = user.principal().audit(cx.clock.now(), "case.access_refused", Some(case_id), None, None);
        cx.store.record_audit(&audit).await?;
        return Err(Error::NotFound);
    };
    Ok((case, rights))
}

/// The cases the user may see, nearest release first. Each listed case is a read.
pub async fn list(cx: &Context, user: &UserPrincipal) -> Result<Vec<CaseSummary>> {
    let now = cx.clock.now();
    let mut cases = cx.store.visible_cases(access::viewer(user), now.date_naive()).await?;
    let principal = user.principal();
    for summary in &mut cases {
        summary.readiness = readiness(cx, &summary.case).await?;
        cx.store.record_audit(&principal.audit(now, "case.list", Some(summary.case.id), None, None)).await?;
    }
    Ok(cases)
}

/// Opens a case; its creator is on the need-to-know list from the start.
pub async fn create(cx: &Context, user: &UserPrincipal, input: CreateCase) -> Result<Case> {
    if !user.role().can_chair() {
        return Err(Error::Forbidden("only casemanagers and coordinators open cases"));
    }
    let pseudonym = validate::name("client_pseudonym", &input.client_pseudonym, 120)?;
    if looks_like_a_bsn(&pseudonym) {
        return Err(Invalid::new("client_pseudonym", "looks like a BSN; use a pseudonym").into());
    }
    let detention_start = validate::date("detention_start", input.detention_start)?;
    let expected_release = validate::date("expected_release", input.expected_release)?;
    if expected_release < detention_start {
        return Err(Invalid::new("expected_release", "is before the start of detention").into());
    }
    require_organisation(cx, "prison_id", input.prison_id, OrganisationKind::Pi).await?;
    require_organisation(cx, "municipality_id", input.municipality_id, OrganisationKind::Municipality).await?;
    let now = cx.clock.now();
    let new = NewCase {
        client_pseudonym: pseudonym,
        prison_id: input.prison_id,
        detention_start,
        expected_release,
        municipality_id: input.municipality_id,
        created_by: user.user.id,
    };
    let creator = NewMember {
        organisation_id: user.user.organisation_id,
        user_id: Some(user.user.id),
        added_by: Some(user.user.id),
    };
    let case_id = Uuid::now_v7();
    let audit = user.principal().audit(now, "case.create", Some(case_id), Some(("case", case_id)), None);
    Ok(cx.store.insert_case(&new, &[creator], now, &audit).await?)
}

/// A case with its members, conferences and actions.
pub async fn detail(cx: &Context, user: &UserPrincipal, case_id: Uuid) -> Result<CaseDetail> {
    let (case, rights) = load(cx, user, case_id).await?;
    let members = cx.store.case_members(case_id).await?;
    let meetings = cx.store.case_meetings(case_id).await?;
    let actions = cx.store.case_actions(case_id).await?;
    let readiness = readiness(cx, &case).await?;
    let escalations =
        cx.store.escalations(&EscalationFilter { case_id: Some(case_id), ..EscalationFilter::unrestricted() }).await?;
    let now = cx.clock.now();
    cx.store.record_audit(&user.principal().audit(now, "case.read", Some(case_id), None, None)).await?;
    Ok(CaseDetail {
        case,
        members,
        meetings,
        actions,
        readiness,
        escalations,
        may_manage: rights.manage,
        may_read_audit: access::may_read_audit(user, Some(rights)),
    })
}

/// The readiness warnings of an open case today (Dutch calendar); none for a closed case.
async fn readiness(cx: &Context, case: &Case) -> Result<Vec<ReadinessWarning>> {
    if case.status != CaseStatus::Open {
        return Ok(Vec::new());
    }
    let today = crate::timezone::to_local(cx.clock.now()).date_naive();
    let in_hand = cx.store.domains_in_hand(case.id).await?;
    Ok(readiness::warnings(today, case.expected_release, &cx.escalation.lead_days, &in_hand))
}

/// Adds a person or a whole organisation to the need-to-know list.
pub async fn add_member(cx: &Context, user: &UserPrincipal, case_id: Uuid, input: AddMember) -> Result<CaseMember> {
    let (case, rights) = load(cx, user, case_id).await?;
    if !rights.manage {
        return Err(Error::Forbidden("only the casemanager or coordinator changes who is on a case"));
    }
    ensure_open(&case)?;
    let reason = member_reason(&input.reason)?;
    let member = match (input.user_id, input.organisation_id) {
        (Some(user_id), organisation_id) => {
            let person = cx
                .store
                .user(user_id)
                .await?
                .filter(|u| u.active)
                .ok_or_else(|| Invalid::new("user_id", "no such active account"))?;
            if organisation_id.is_some_and(|org| org != person.organisation_id) {
                return Err(Invalid::new("organisation_id", "is not the organisation of this person").into());
            }
            if matches!(person.role, Role::Steering | Role::Admin) {
                return Err(
                    Invalid::new("user_id", "steering-group members and administrators are not put on cases").into()
                );
            }
            NewMember {
                organisation_id: person.organisation_id,
                user_id: Some(person.id),
                added_by: Some(user.user.id),
            }
        }
        (None, Some(organisation_id)) => {
            cx.store
                .organisation(organisation_id)
                .await?
                .ok_or_else(|| Invalid::new("organisation_id", "no such organisation"))?;
            NewMember { organisation_id, user_id: None, added_by: Some(user.user.id) }
        }
        (None, None) => {
            return Err(Invalid::new("user_id", "give a user_id or an organisation_id").into());
        }
    };
    let now = cx.clock.now();
    let subject = member.user_id.map(|id| ("user", id)).unwrap_or(("organisation", member.organisation_id));
    let audit = user.principal().audit(now, "case.member_add", Some(case_id), Some(subject), Some(reason));
    match cx.store.insert_case_member(case_id, member, now, &audit).await {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(Error::conflict("already_member", "this person or organisation is already on the case"))
        }
        other => Ok(other?),
    }
}

/// Takes an entry off the need-to-know list, with the reason in the trail.
pub async fn remove_member(
    cx: &Context,
    user: &UserPrincipal,
    case_id: Uuid,
    member_id: Uuid,
    input: RemoveMember,
) -> Result<()> {
    let (case, rights) = load(cx, user, case_id).await?;
    if !rights.manage {
        return Err(Error::Forbidden("only the casemanager or coordinator changes who is on a case"));
    }
    ensure_open(&case)?;
    let reason = member_reason(&input.reason)?;
    let now = cx.clock.now();
    let audit = user.principal().audit(
        now,
        "case.member_remove",
        Some(case_id),
        Some(("case_member", member_id)),
        Some(reason),
    );
    if !cx.store.delete_case_member(case_id, member_id, &audit).await? {
        return Err(Error::NotFound);
    }
    // Whoever was in a conference of this case through this entry must leave it now.
    cx.events.access_changed(crate::events::AccessChange::Case(case_id));
    Ok(())
}

/// Refuses a change to a closed case: reopen it first.
pub fn ensure_open(case: &Case) -> Result<()> {
    match case.status {
        CaseStatus::Open => Ok(()),
        CaseStatus::Closed => Err(Error::conflict("case_closed", "this case is closed; reopen it to change it")),
    }
}

/// Closes a case (the client is settled, or has moved on): nothing changes any more, the
/// rules engine stops looking at it, and after the retention period it is deleted.
pub async fn close(cx: &Context, user: &UserPrincipal, case_id: Uuid) -> Result<Case> {
    set_status(cx, user, case_id, CaseStatus::Closed).await
}

/// Reopens a closed case (before the retention purge deleted it).
pub async fn reopen(cx: &Context, user: &UserPrincipal, case_id: Uuid) -> Result<Case> {
    set_status(cx, user, case_id, CaseStatus::Open).await
}

async fn set_status(cx: &Context, user: &UserPrincipal, case_id: Uuid, status: CaseStatus) -> Result<Case> {
    let (_, rights) = load(cx, user, case_id).await?;
    if !rights.manage {
        return Err(Error::Forbidden("only the casemanager or coordinator closes or reopens a case"));
    }
    if status == CaseStatus::Closed
        && cx
            .store
            .case_meetings(case_id)
            .await?
            .iter()
            .any(|m| m.status == MeetingStatus::Live && m.finalised_at.is_none() && m.ended_at.is_none())
    {
        return Err(Error::conflict("conference_running", "a conference of this case is running; end it first"));
    }
    let now = cx.clock.now();
    let action = if status == CaseStatus::Closed { "case.close" } else { "case.reopen" };
    let audit = user.principal().audit(now, action, Some(case_id), Some(("case", case_id)), None);
    if !cx.store.set_case_status(case_id, status, now, &audit).await? {
        return Err(Error::conflict("unchanged", format!("the case is already {status}")));
    }
    cx.store.case(case_id).await?.ok_or(Error::NotFound)
}

/// Which part of a long trail to read, newest first.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditPage {
    /// Only events before this moment (to page back).
    pub before: Option<chrono::DateTime<chrono::Utc>>,
    /// At most this many (default 200, at most 1000).
    pub limit: Option<i64>,
}

/// The audit trail of a case, for its coordinator and for admin.
pub async fn audit_trail(
    cx: &Context,
    user: &UserPrincipal,
    case_id: Uuid,
    page: AuditPage,
) -> Result<Vec<AuditEvent>> {
    let rights = match load(cx, user, case_id).await {
        Ok((_, rights)) => Some(rights),
        Err(Error::NotFound) if user.role() == Role::Admin => {
            cx.store.case(case_id).await?.ok_or(Error::NotFound)?;
            None
        }
        Err(e) => return Err(e),
    };
    if !access::may_read_audit(user, rights) {
        return Err(Error::Forbidden("the audit trail is for the coordinator and the administrator"));
    }
    let now = cx.clock.now();
    cx.store.record_audit(&Principal::User(user.clone()).audit(now, "audit.read", Some(case_id), None, None)).await?;
    Ok(cx.store.case_audit(case_id, page.before, page.limit.unwrap_or(200).clamp(1, 1000)).await?)
}

async fn require_organisation(cx: &Context, field: &'static str, id: Uuid, kind: OrganisationKind) -> Result<()> {
    match cx.store.organisation(id).await? {
        Some(org) if org.kind == kind => Ok(()),
        Some(_) => Err(Invalid::new(field, format!("is not an organisation of kind {kind}")).into()),
        None => Err(Invalid::new(field, "no such organisation").into()),
    }
}

/// Nine digits in a row: a BSN has no place in Ketentafel.
fn looks_like_a_bsn(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() {
            run + 1
        } else if c == '.' || c == ' ' {
            run
        } else {
            0
        };
        if run >= 9 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::looks_like_a_bsn;

    #[test]
    fn nine_digits_look_like_a_bsn_even_with_dots_or_spaces() {
        assert!(looks_like_a_bsn("123456782"));
        assert!(looks_like_a_bsn("Jan 1234.56.782"));
        assert!(!looks_like_a_bsn("Sem B. (1985)"));
    }
}
