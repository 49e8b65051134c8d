//! Cases and their need-to-know list.

use crate::helpers::{World, audit, date, new_user, t0};
use crate::on_both_backends;
use ketentafel::domain::{CaseStatus, Role};
use ketentafel::storage::Store;
use ketentafel::storage::cases::{NewMember, Viewer};
use ketentafel::storage::models::User;
use uuid::Uuid;

fn viewer(user: &User) -> Viewer {
    Viewer { user_id: user.id, organisation_id: user.organisation_id, sees_municipality: false }
}

/// Whether `user` is on the need-to-know list of the case `case_id`.
async fn is_member(store: &Store, case_id: Uuid, user: &User) -> bool {
    store.case_with_membership(case_id, viewer(user)).await.unwrap().expect("the case exists").1
}

on_both_backends! {
    async fn a_case_reads_back_with_its_organisations_and_its_creator_on_the_list(store: Store) {
        let world = World::build(&store).await;

        let case = store.case(world.case.id).await.unwrap().expect("the case exists");
        let members = store.case_members(case.id).await.unwrap();

        assert_eq!((case.prison_name.as_str(), case.municipality_name.as_str()), ("PI Zwolle", "Gemeente Zwolle"));
        assert_eq!((case.detention_start, case.expected_release), (date(2026, 6, 1), date(2027, 3, 1)));
        assert_eq!((case.status, case.created_at, case.closed_at), (CaseStatus::Open, t0(), None));
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].user_id, Some(world.casemanager.id));
        assert_eq!(members[0].user_role, Some(Role::Casemanager));
    }
}

on_both_backends! {
    async fn only_those_on_the_list_by_name_or_by_organisation_are_members(store: Store) {
        let world = World::build(&store).await;
        let colleague = new_user(&world.prison, "Co Collega", Role::Casemanager);
        let colleague = store.insert_user(&colleague, t0(), None).await.unwrap();
        let case_id = world.case.id;

        assert!(is_member(&store, case_id, &world.casemanager).await, "the creator is on the list by name");
        assert!(!is_member(&store, case_id, &colleague).await, "a colleague of the creator is not, by name only");
        assert!(!is_member(&store, case_id, &world.partner).await, "the municipality is not on the list yet");

        let whole_municipality = NewMember { organisation_id: world.municipality.id, user_id: None, added_by: None };
        let added = store
            .insert_case_member(case_id, whole_municipality, t0(), &audit("case.member_add", Some(case_id), None))
            .await
            .unwrap();
        assert!(is_member(&store, case_id, &world.partner).await, "the whole municipality is on the list now");

        let removal = audit("case.member_remove", Some(case_id), None);
        assert!(store.delete_case_member(case_id, added.id, &removal).await.unwrap());
        assert!(!is_member(&store, case_id, &world.partner).await, "the municipality is off the list again");
        let nobody = store.case_with_membership(Uuid::now_v7(), viewer(&world.partner)).await.unwrap();
        assert!(nobody.is_none(), "an unknown case is not found");
    }
}

on_both_backends! {
    async fn the_same_person_cannot_be_on_a_case_twice(store: Store) {
        let world = World::build(&store).await;
        let again = NewMember { organisation_id: world.prison.id, user_id: Some(world.casemanager.id), added_by: None };

        let result = store
            .insert_case_member(world.case.id, again, t0(), &audit("case.member_add", Some(world.case.id), None))
            .await;

        match result {
            Err(sqlx::Error::Database(e)) => assert!(e.is_unique_violation(), "not a unique violation: {e}"),
            other => panic!("the casemanager was put on the list twice: {other:?}"),
        }
        assert_eq!(store.case_members(world.case.id).await.unwrap().len(), 1);
    }
}

on_both_backends! {
    async fn a_closed_case_records_when_and_reopening_clears_it(store: Store) {
        let world = World::build(&store).await;
        let id = world.case.id;
        let later = t0() + chrono::Duration::days(30);

        assert!(store.set_case_status(id, CaseStatus::Closed, later, &audit("case.close", Some(id), None)).await.unwrap());
        let closed = store.case(id).await.unwrap().expect("the case exists");
        let again = store.set_case_status(id, CaseStatus::Closed, later, &audit("case.close", Some(id), None)).await;
        assert!(!again.unwrap(), "closing a closed case changes nothing");
        assert_eq!(store.cases_closed_before(later + chrono::Duration::seconds(1)).await.unwrap(), vec![id]);

        assert!(store.set_case_status(id, CaseStatus::Open, later, &audit("case.reopen", Some(id), None)).await.unwrap());
        let reopened = store.case(id).await.unwrap().expect("the case exists");

        assert_eq!((closed.status, closed.closed_at), (CaseStatus::Closed, Some(later)));
        assert_eq!((reopened.status, reopened.closed_at), (CaseStatus::Open, None));
    }
}
