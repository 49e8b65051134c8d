//! What a conference looks like on screen and on paper: per life domain the minutes, the
//! actions carried over from earlier conferences, the actions agreed now and the steering
//! group's decisions. Built by a pure function from the case's data; frozen as JSON when the
//! minutes are finalised, so the record never changes afterwards.

use crate::domain::{ActionStatus, LifeDomain};
use crate::storage::models::{Action, Case, DomainEntry, Meeting};
use crate::storage::models::{AttendanceLine, DecisionLine};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The part of the case a conference view needs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseHeader {
    pub id: Uuid,
    pub client_pseudonym: String,
    pub prison_name: String,
    pub municipality_name: String,
    pub expected_release: NaiveDate,
}

impl From<&Case> for CaseHeader {
    fn from(case: &Case) -> Self {
        CaseHeader {
            id: case.id,
            client_pseudonym: case.client_pseudonym.clone(),
            prison_name: case.prison_name.clone(),
            municipality_name: case.municipality_name.clone(),
            expected_release: case.expected_release,
        }
    }
}

/// An action as the minutes show it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActionLine {
    pub id: Uuid,
    pub description: String,
    /// Who does it: organisation (and person), or the client himself.
    pub owner_organisation_name: Option<String>,
    pub owner_user_name: Option<String>,
    pub owner_is_client: bool,
    pub due_date: NaiveDate,
    pub status: ActionStatus,
    /// The action in plain words for the client (empty: not written). Records finalised before
    /// this field existed read as empty.
    #[serde(default)]
    pub client_text: String,
}

impl From<&Action> for ActionLine {
    fn from(a: &Action) -> Self {
        ActionLine {
            id: a.id,
            description: a.description.clone(),
            owner_organisation_name: a.owner_organisation_name.clone(),
            owner_user_name: a.owner_user_name.clone(),
            owner_is_client: a.owner_is_client,
            due_date: a.due_date,
            status: a.status,
            client_text: a.client_text.clone(),
        }
    }
}

/// One life domain of a conference.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DomainSection {
    pub domain: LifeDomain,
    pub situation: String,
    pub client_wish: String,
    /// Professionals only.
    pub notes: String,
    /// The revision of the text, for conflict-free live editing (0: never written).
    pub revision: i64,
    pub updated_by_name: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Actions from earlier conferences still open, or finished since the previous one.
    pub carried_over: Vec<ActionLine>,
    /// Actions agreed in this conference.
    pub agreed: Vec<ActionLine>,
    /// Steering-group decisions since the previous conference ("Besluiten stuurgroep").
    pub decisions: Vec<DecisionLine>,
}

/// The minutes of a conference: live while it runs, frozen once finalised.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MinutesView {
    pub meeting_id: Uuid,
    pub case: CaseHeader,
    pub scheduled_at: DateTime<Utc>,
    pub purpose: String,
    pub chair_name: String,
    pub status: crate::domain::MeetingStatus,
    /// When the conference was actually held: the first person let into its room. `None`: it
    /// was never held (nobody entered).
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When the last person left its room (for a record: at the latest when it was finalised).
    /// `None` while it runs, or if it was never held.
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    pub finalised_at: Option<DateTime<Utc>>,
    pub finalised_by_name: Option<String>,
    pub attendance: Vec<AttendanceLine>,
    pub domains: Vec<DomainSection>,
}

/// Everything the view is built from.
pub struct Inputs<'a> {
    pub meeting: &'a Meeting,
    pub case: &'a Case,
    pub entries: &'a [DomainEntry],
    /// All actions of the case.
    pub actions: &'a [Action],
    /// When the previous conference of the case was finalised, if any.
    pub previous_finalised_at: Option<DateTime<Utc>>,
    /// Decisions per domain since the previous conference.
    pub decisions: Vec<(LifeDomain, DecisionLine)>,
    pub attendance: Vec<AttendanceLine>,
}

/// Builds the view of a conference that is not finalised yet.
pub fn build(inputs: Inputs<'_>) -> MinutesView {
    let Inputs { meeting, case, entries, actions, previous_finalised_at, decisions, attendance } = inputs;
    let domains = LifeDomain::ALL
        .iter()
        .map(|&domain| {
            let entry = entries.iter().find(|e| e.domain == domain);
            let in_domain = actions.iter().filter(|a| a.domain == domain);
            let carried_over = in_domain
                .clone()
                .filter(|a| a.meeting_id != Some(meeting.id) && a.created_at < meeting_cutoff(meeting))
                .filter(|a| a.status.is_pending() || finished_since(a, previous_finalised_at))
                .map(ActionLine::from)
                .collect();
            let agreed = in_domain.filter(|a| a.meeting_id == Some(meeting.id)).map(ActionLine::from).collect();
            DomainSection {
                domain,
                situation: entry.map(|e| e.situation.clone()).unwrap_or_default(),
                client_wish: entry.map(|e| e.client_wish.clone()).unwrap_or_default(),
                notes: entry.map(|e| e.notes.clone()).unwrap_or_default(),
                revision: entry.map_or(0, |e| e.revision),
                updated_by_name: entry.map(|e| e.updated_by_name.clone()),
                updated_at: entry.map(|e| e.updated_at),
                carried_over,
                agreed,
                decisions: decisions.iter().filter(|(d, _)| *d == domain).map(|(_, line)| line.clone()).collect(),
            }
        })
        .collect();
    let started_at = attendance.iter().map(|a| a.joined_at).min().or(meeting.started_at);
    let ended_at = started_at.and(meeting.ended_at);
    MinutesView {
        meeting_id: meeting.id,
        case: CaseHeader::from(case),
        scheduled_at: meeting.scheduled_at,
        purpose: meeting.purpose.clone(),
        chair_name: meeting.chair_name.clone(),
        status: meeting.status,
        started_at,
        ended_at,
        finalised_at: meeting.finalised_at,
        finalised_by_name: None,
        attendance,
        domains,
    }
}

/// A record stored before records said when the conference was held: its start is read from
/// its own attendance (the first arrival), its end from the last departure.
pub fn fill_held_times(view: &mut MinutesView) {
    if view.started_at.is_none() {
        view.started_at = view.attendance.iter().map(|a| a.joined_at).min();
        if view.started_at.is_some() && view.attendance.iter().all(|a| a.left_at.is_some()) {
            view.ended_at = view.attendance.iter().filter_map(|a| a.left_at).max();
        }
    }
}

/// One person's stays in a conference: who, and from when to when (`None`: still there, or
/// there when the minutes were finalised). Someone who left and came back has two periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub name: String,
    pub organisation: Option<String>,
    pub role: String,
    pub periods: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
}

/// The attendance per person, in order of first arrival.
pub fn presence(attendance: &[AttendanceLine]) -> Vec<Presence> {
    let mut people: Vec<Presence> = Vec::new();
    for line in attendance {
        let period = (line.joined_at, line.left_at);
        match people
            .iter_mut()
            .find(|p| p.name == line.name && p.organisation == line.organisation && p.role == line.role)
        {
            Some(person) => person.periods.push(period),
            None => people.push(Presence {
                name: line.name.clone(),
                organisation: line.organisation.clone(),
                role: line.role.clone(),
                periods: vec![period],
            }),
        }
    }
    people
}

/// Actions created after a conference was finalised belong to the next one, not to it.
fn meeting_cutoff(meeting: &Meeting) -> DateTime<Utc> {
    meeting.finalised_at.unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn finished_since(action: &Action, previous: Option<DateTime<Utc>>) -> bool {
    match (action.status, previous) {
        (ActionStatus::Done | ActionStatus::Cancelled, Some(previous)) => action.status_changed_at > previous,
        (ActionStatus::Done | ActionStatus::Cancelled, None) => true,
        _ => false,
    }
}

/// The actions that were "on the table" at a conference: everything carried over and agreed.
pub fn tabled_action_ids(view: &MinutesView) -> Vec<Uuid> {
    view.domains.iter().flat_map(|d| d.carried_over.iter().chain(&d.agreed)).map(|a| a.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CaseStatus, MeetingStatus};
    use chrono::Duration;

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-10-01T10:00:00Z").unwrap().with_timezone(&Utc) + Duration::days(days)
    }

    fn meeting(id: Uuid) -> Meeting {
        Meeting {
            id,
            case_id: Uuid::nil(),
            scheduled_at: at(10),
            purpose: "Plan".into(),
            chair_id: Uuid::nil(),
            chair_name: "Voorzitter".into(),
            status: MeetingStatus::Scheduled,
            partners_may_edit: false,
            started_at: None,
            ended_at: None,
            finalised_at: None,
            finalised_by: None,
            created_at: at(0),
            minutes_revision: 0,
            client_purpose: String::new(),
        }
    }

    fn case() -> Case {
        Case {
            id: Uuid::nil(),
            client_pseudonym: "Fictief".into(),
            prison_id: Uuid::nil(),
            prison_name: "PI".into(),
            detention_start: at(-30).date_naive(),
            expected_release: at(40).date_naive(),
            municipality_id: Uuid::nil(),
            municipality_name: "Gemeente".into(),
            status: CaseStatus::Open,
            created_by: Uuid::nil(),
            created_at: at(-30),
            closed_at: None,
        }
    }

    fn action(domain: LifeDomain, status: ActionStatus, meeting_id: Option<Uuid>, changed: i64) -> Action {
        Action {
            id: Uuid::new_v4(),
            case_id: Uuid::nil(),
            domain,
            description: format!("{domain} {status}"),
            owner_organisation_id: None,
            owner_organisation_name: Some("Woonbron".into()),
            owner_user_id: None,
            owner_user_name: None,
            owner_is_client: false,
            due_date: at(20).date_naive(),
            status,
            status_changed_at: at(changed),
            completed_at: None,
            meeting_id,
            created_by: Uuid::nil(),
            created_at: at(-20),
            client_text: String::new(),
        }
    }

    #[test]
    fn open_actions_of_earlier_meetings_are_carried_over_into_their_domain() {
        let this = Uuid::new_v4();
        let earlier = Some(Uuid::new_v4());
        let actions = vec![
            action(LifeDomain::Housing, ActionStatus::Open, earlier, -20),
            action(LifeDomain::Housing, ActionStatus::Blocked, earlier, -5),
            action(LifeDomain::Debts, ActionStatus::InProgress, earlier, -5),
        ];
        let m = meeting(this);
        let view = build(Inputs {
            meeting: &m,
            case: &case(),
            entries: &[],
            actions: &actions,
            previous_finalised_at: Some(at(-10)),
            decisions: vec![],
            attendance: vec![],
        });
        let housing = view.domains.iter().find(|d| d.domain == LifeDomain::Housing).unwrap();
        assert_eq!(housing.carried_over.len(), 2);
        assert!(housing.agreed.is_empty());
        let id = view.domains.iter().find(|d| d.domain == LifeDomain::Id).unwrap();
        assert!(id.carried_over.is_empty());
        assert_eq!(view.domains.len(), 5);
    }

    #[test]
    fn finished_actions_show_only_if_finished_since_the_previous_meeting() {
        let this = Uuid::new_v4();
        let earlier = Some(Uuid::new_v4());
        let actions = vec![
            action(LifeDomain::Id, ActionStatus::Done, earlier, -15),
            action(LifeDomain::Id, ActionStatus::Done, earlier, -2),
        ];
        let m = meeting(this);
        let view = build(Inputs {
            meeting: &m,
            case: &case(),
            entries: &[],
            actions: &actions,
            previous_finalised_at: Some(at(-10)),
            decisions: vec![],
            attendance: vec![],
        });
        let id = &view.domains[0];
        assert_eq!(id.carried_over.len(), 1);
        assert_eq!(id.carried_over[0].id, actions[1].id);
    }

    #[test]
    fn actions_agreed_in_this_meeting_are_listed_as_agreed_not_carried_over() {
        let this = Uuid::new_v4();
        let actions = vec![action(LifeDomain::Care, ActionStatus::Open, Some(this), 0)];
        let m = meeting(this);
        let view = build(Inputs {
            meeting: &m,
            case: &case(),
            entries: &[],
            actions: &actions,
            previous_finalised_at: None,
            decisions: vec![],
            attendance: vec![],
        });
        let care = view.domains.iter().find(|d| d.domain == LifeDomain::Care).unwrap();
        assert_eq!(care.agreed.len(), 1);
        assert!(care.carried_over.is_empty());
        assert_eq!(tabled_action_ids(&view), vec![actions[0].id]);
    }
}
