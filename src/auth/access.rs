//! The access rules, as pure functions of who asks and what is asked about.
//!
//! - A case is visible to the people and organisations on its need-to-know list, and to the
//!   coordinators of its municipality (who keep the overview). Everyone else gets a 404: not
//!   even the existence of a case leaks.
//! - Casemanagers and coordinators who see a case manage it: members, conferences, invites,
//!   minutes, finalisation. A meeting's chair is one of them.
//! - Partners on a case read it, update the actions their organisation owns, and write the
//!   minutes only where the conference allows partners to.
//! - Steering and admin see no case content through these rules; they work on the escalation
//!   queue, aggregate figures and accounts. Admin (and the coordinator) may read a case's
//!   audit trail.
//! - Invitees (guests and the client) see only their own conference; the client only his
//!   plain-language plan.

use super::UserPrincipal;
use crate::domain::Role;
use crate::storage::cases::Viewer;
use crate::storage::models::{Action, Case, Meeting};

/// What a user may do on one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseRights {
    /// On the need-to-know list by name or organisation.
    pub member: bool,
    /// May manage members, conferences, invites and minutes.
    pub manage: bool,
}

/// The storage filter for a user.
pub fn viewer(user: &UserPrincipal) -> Viewer {
    Viewer {
        user_id: user.user.id,
        organisation_id: user.user.organisation_id,
        sees_municipality: user.role() == Role::Coordinator,
    }
}

/// What `user` may do on `case`, or `None` if the case must look non-existent to them.
pub fn case_rights(user: &UserPrincipal, case: &Case, member: bool) -> Option<CaseRights> {
    let role = user.role();
    let overview = role == Role::Coordinator && case.municipality_id == user.user.organisation_id;
    let visible = match role {
        Role::Casemanager | Role::Coordinator | Role::Partner => member || overview,
        Role::Steering | Role::Admin => false,
    };
    visible.then_some(CaseRights { member, manage: role.can_chair() })
}

/// Whether `user` may read the audit trail of a case they can see (`rights`) or, for an
/// admin, of any case.
pub fn may_read_audit(user: &UserPrincipal, rights: Option<CaseRights>) -> bool {
    match user.role() {
        Role::Admin => true,
        Role::Coordinator => rights.is_some(),
        _ => false,
    }
}

/// Whether `user` chairs `meeting`: its chair, or anyone who manages the case.
pub fn chairs(user: &UserPrincipal, rights: CaseRights, meeting: &Meeting) -> bool {
    meeting.chair_id == user.user.id || rights.manage
}

/// Whether `user` may write the minutes of `meeting`.
pub fn may_write_minutes(user: &UserPrincipal, rights: CaseRights, meeting: &Meeting) -> bool {
    chairs(user, rights, meeting) || (meeting.partners_may_edit && user.role() == Role::Partner)
}

/// Whether `user` may change the status of `action`: the owning organisation or person, or
/// whoever manages the case.
pub fn may_update_action(user: &UserPrincipal, rights: CaseRights, action: &Action) -> bool {
    rights.manage
        || action.owner_user_id == Some(user.user.id)
        || action.owner_organisation_id == Some(user.user.organisation_id)
}

/// Whose escalations (and figures) a user sees: everything, aggregated for steering and admin,
/// or only those of the cases the user may see. Invitees never reach this (no account).
pub fn escalation_scope(user: &UserPrincipal) -> Option<Viewer> {
    match user.role() {
        Role::Steering | Role::Admin => None,
        Role::Casemanager | Role::Coordinator | Role::Partner => Some(viewer(user)),
    }
}

/// Whether `user` reads an escalation of a case: always for steering and admin (the queue
/// gives them the context to decide, not the case itself), otherwise only with `rights` on
/// the case.
pub fn may_read_escalation(user: &UserPrincipal, rights: Option<CaseRights>) -> bool {
    escalation_scope(user).is_none() || rights.is_some()
}

/// Whether `user` takes the steering group's steps: review, decide, close.
pub fn may_decide(user: &UserPrincipal) -> bool {
    user.role() == Role::Steering
}

/// Whether `user` may start a run of the escalation engine.
pub fn may_run_engine(user: &UserPrincipal) -> bool {
    matches!(user.role(), Role::Steering | Role::Admin)
}

/// Whether `user` keeps the obstacles register: the coordinator records systemic obstacles,
/// the steering group marks them.
pub fn may_write_obstacles(user: &UserPrincipal) -> bool {
    matches!(user.role(), Role::Coordinator | Role::Steering)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ActionStatus, CaseStatus, LifeDomain, MeetingStatus};
    use crate::storage::models::User;
    use chrono::{NaiveDate, Utc};
    use uuid::Uuid;

    fn user(role: Role, organisation_id: Uuid) -> UserPrincipal {
        UserPrincipal {
            session_id: Uuid::new_v4(),
            user: User {
                id: Uuid::new_v4(),
                organisation_id,
                organisation_name: "Org".into(),
                name: "Test".into(),
                email: "t@example.org".into(),
                role,
                password_change_required: false,
                active: true,
                created_at: Utc::now(),
            },
        }
    }

    fn case(municipality_id: Uuid) -> Case {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        Case {
            id: Uuid::new_v4(),
            client_pseudonym: "Fictief".into(),
            prison_id: Uuid::new_v4(),
            prison_name: "PI".into(),
            detention_start: day,
            expected_release: day,
            municipality_id,
            municipality_name: "Gemeente".into(),
            status: CaseStatus::Open,
            created_by: Uuid::new_v4(),
            created_at: Utc::now(),
            closed_at: None,
        }
    }

    #[test]
    fn only_steering_and_admin_see_every_escalation_and_only_steering_decides() {
        for role in Role::ALL {
            let u = user(*role, Uuid::new_v4());
            let all = matches!(role, Role::Steering | Role::Admin);
            assert_eq!(escalation_scope(&u).is_none(), all, "{role}");
            assert_eq!(may_read_escalation(&u, None), all, "{role}");
            assert_eq!(may_decide(&u), *role == Role::Steering, "{role}");
            assert_eq!(may_run_engine(&u), all, "{role}");
        }
    }

    #[test]
    fn a_partner_reads_the_escalations_of_a_case_he_is_on() {
        let partner = user(Role::Partner, Uuid::new_v4());
        let rights = CaseRights { member: true, manage: false };
        assert!(may_read_escalation(&partner, Some(rights)));
        assert!(!may_write_obstacles(&partner));
    }

    #[test]
    fn a_partner_off_the_list_does_not_see_the_case() {
        let partner = user(Role::Partner, Uuid::new_v4());
        assert_eq!(case_rights(&partner, &case(Uuid::new_v4()), false), None);
    }

    #[test]
    fn a_partner_on_the_list_reads_but_does_not_manage() {
        let partner = user(Role::Partner, Uuid::new_v4());
        let rights = case_rights(&partner, &case(Uuid::new_v4()), true).unwrap();
        assert!(!rights.manage);
    }

    #[test]
    fn a_coordinator_sees_every_case_of_the_own_municipality_only() {
        let municipality = Uuid::new_v4();
        let rio = user(Role::Coordinator, municipality);
        assert!(case_rights(&rio, &case(municipality), false).unwrap().manage);
        assert_eq!(case_rights(&rio, &case(Uuid::new_v4()), false), None);
    }

    #[test]
    fn steering_and_admin_see_no_case_content_even_when_listed() {
        for role in [Role::Steering, Role::Admin] {
            assert_eq!(case_rights(&user(role, Uuid::new_v4()), &case(Uuid::new_v4()), true), None);
        }
    }

    #[test]
    fn only_admin_and_a_coordinator_who_sees_the_case_read_its_audit() {
        let org = Uuid::new_v4();
        let rights = Some(CaseRights { member: true, manage: true });
        assert!(may_read_audit(&user(Role::Admin, org), None));
        assert!(may_read_audit(&user(Role::Coordinator, org), rights));
        assert!(!may_read_audit(&user(Role::Coordinator, org), None));
        assert!(!may_read_audit(&user(Role::Casemanager, org), rights));
    }

    #[test]
    fn partners_write_minutes_only_where_the_meeting_allows_it() {
        let partner = user(Role::Partner, Uuid::new_v4());
        let rights = CaseRights { member: true, manage: false };
        let mut meeting = Meeting {
            id: Uuid::new_v4(),
            case_id: Uuid::new_v4(),
            scheduled_at: Utc::now(),
            purpose: "Doel".into(),
            chair_id: Uuid::new_v4(),
            chair_name: "Voorzitter".into(),
            status: MeetingStatus::Live,
            partners_may_edit: false,
            started_at: None,
            ended_at: None,
            finalised_at: None,
            finalised_by: None,
            created_at: Utc::now(),
            minutes_revision: 0,
            client_purpose: String::new(),
        };
        assert!(!may_write_minutes(&partner, rights, &meeting));
        assert!(!chairs(&partner, rights, &meeting));
        meeting.partners_may_edit = true;
        assert!(may_write_minutes(&partner, rights, &meeting));
    }

    #[test]
    fn an_action_is_updated_by_its_owning_organisation_or_the_case_managers() {
        let org = Uuid::new_v4();
        let owner = user(Role::Partner, org);
        let other = user(Role::Partner, Uuid::new_v4());
        let action = Action {
            id: Uuid::new_v4(),
            case_id: Uuid::new_v4(),
            domain: LifeDomain::Housing,
            description: "Inschrijven".into(),
            owner_organisation_id: Some(org),
            owner_organisation_name: None,
            owner_user_id: None,
            owner_user_name: None,
            owner_is_client: false,
            due_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            status: ActionStatus::Open,
            status_changed_at: Utc::now(),
            completed_at: None,
            meeting_id: None,
            created_by: Uuid::new_v4(),
            created_at: Utc::now(),
            client_text: String::new(),
        };
        let partner_rights = CaseRights { member: true, manage: false };
        assert!(may_update_action(&owner, partner_rights, &action));
        assert!(!may_update_action(&other, partner_rights, &action));
        assert!(may_update_action(&other, CaseRights { member: true, manage: true }, &action));
    }
}
