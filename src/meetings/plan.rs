//! The client's own view: per life domain his wish, what he will do and what the others will
//! do. Never the situation as the professionals describe it, never their notes, never
//! escalations, and never their wording of an action or of the conference's purpose: only the
//! plain-language texts the chair wrote for him (`client_text`, `client_purpose`), or nothing,
//! in which case his screen shows a plain default for the domain.

use super::{Viewer, load};
use crate::auth::Principal;
use crate::core::Context;
use crate::domain::{ActionStatus, LifeDomain};
use crate::error::{Error, Result};
use crate::storage::models::Meeting;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One thing someone will do.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanItem {
    /// The action in plain words for the client, as the chair wrote it; `null` when none was
    /// written (show the plain default of the domain). Never the professionals' description.
    pub client_text: Option<String>,
    /// Who does it (empty for the client's own items).
    pub who: Option<String>,
    pub due_date: NaiveDate,
    pub done: bool,
    /// Not done and past its date (by the server's calendar): explain it kindly.
    pub overdue: bool,
}

/// One life domain of the plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanDomain {
    pub domain: LifeDomain,
    /// The client's own wish, as written down in the conference.
    pub my_wish: String,
    /// "What I will do."
    pub i_will: Vec<PlanItem>,
    /// "What they will do."
    pub they_will: Vec<PlanItem>,
}

/// The client's plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct Plan {
    pub meeting_id: Uuid,
    pub scheduled_at: DateTime<Utc>,
    /// What the conference is for in plain words, as the chair wrote it for the client; `null`
    /// when none was written (show the plain default). Never the professionals' purpose.
    pub client_purpose: Option<String>,
    pub expected_release: NaiveDate,
    pub domains: Vec<PlanDomain>,
}

/// The plan of the case of a conference, for its client (or a professional checking what the
/// client sees).
pub async fn plan(cx: &Context, principal: &Principal, meeting_id: Uuid) -> Result<Plan> {
    let (meeting, case, viewer) = load(cx, principal, meeting_id).await?;
    if matches!(&viewer, Viewer::Invitee(i) if i.invite.kind != crate::domain::InviteKind::Client) {
        return Err(Error::Forbidden("the plan view is for the client"));
    }
    let wishes = latest_wishes(cx, &meeting).await?;
    let actions = cx.store.case_actions(case.id).await?;
    let now = cx.clock.now();
    let today = crate::timezone::to_local(now).date_naive();
    let domains = LifeDomain::ALL
        .iter()
        .map(|&domain| {
            let live = actions.iter().filter(|a| a.domain == domain && a.status != ActionStatus::Cancelled);
            let item = |a: &crate::storage::models::Action| PlanItem {
                client_text: written(&a.client_text),
                who: (!a.owner_is_client).then(|| a.owner_organisation_name.clone().unwrap_or_default()),
                due_date: a.due_date,
                done: a.status == ActionStatus::Done,
                overdue: a.status.is_pending() && a.due_date < today,
            };
            PlanDomain {
                domain,
                my_wish: wishes.iter().find(|(d, _)| *d == domain).map(|(_, w)| w.clone()).unwrap_or_default(),
                i_will: live.clone().filter(|a| a.owner_is_client).map(item).collect(),
                they_will: live.filter(|a| !a.owner_is_client).map(item).collect(),
            }
        })
        .collect();
    cx.store
        .record_audit(&viewer.principal().audit(now, "plan.read", Some(case.id), Some(("meeting", meeting.id)), None))
        .await?;
    Ok(Plan {
        meeting_id: meeting.id,
        scheduled_at: meeting.scheduled_at,
        client_purpose: written(&meeting.client_purpose),
        expected_release: case.expected_release,
        domains,
    })
}

/// A text the chair wrote for the client, or `None` when there is none.
fn written(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.to_owned())
}

/// Per domain the client's wish as last written down: in this conference, or else in the most
/// recent earlier one (a new conference starts from what he said last time).
async fn latest_wishes(cx: &Context, meeting: &Meeting) -> Result<Vec<(LifeDomain, String)>> {
    let mut earlier: Vec<Meeting> = cx
        .store
        .case_meetings(meeting.case_id)
        .await?
        .into_iter()
        .filter(|m| m.id == meeting.id || m.scheduled_at <= meeting.scheduled_at)
        .collect();
    // This conference first, then the others newest first.
    earlier.sort_by_key(|m| (m.id != meeting.id, std::cmp::Reverse(m.scheduled_at)));
    let mut wishes: Vec<(LifeDomain, String)> = Vec::new();
    for m in earlier {
        for entry in cx.store.domain_entries(m.id).await? {
            if !entry.client_wish.trim().is_empty() && !wishes.iter().any(|(d, _)| *d == entry.domain) {
                wishes.push((entry.domain, entry.client_wish));
            }
        }
        if wishes.len() == LifeDomain::ALL.len() {
            break;
        }
    }
    Ok(wishes)
}
