//! The client's own words on an action and a meeting: stored with their audit row, read back
//! by every query that returns the action or meeting, refused on a finalised meeting, and not
//! stored at all when their audit row cannot be.

use crate::helpers::{World, audit, date, record, t0};
use crate::on_both_backends;
use chrono::Duration;
use ketentafel::domain::LifeDomain;
use ketentafel::storage::Store;
use ketentafel::storage::actions::NewAction;
use ketentafel::storage::audit::{Actor, NewAudit};
use ketentafel::storage::models::Action;
use uuid::Uuid;

async fn action(store: &Store, world: &World) -> Action {
    let new = NewAction {
        case_id: world.case.id,
        domain: LifeDomain::Housing,
        description: "Urgentieverklaring aanvragen bij de gemeente".into(),
        owner_organisation_id: Some(world.municipality.id),
        owner_user_id: None,
        owner_is_client: false,
        due_date: date(2027, 1, 15),
        meeting_id: None,
        created_by: world.casemanager.id,
    };
    let audit = audit("action.create", Some(world.case.id), None);
    store.insert_action(&new, &Actor::system("test"), t0(), &audit).await.unwrap().expect("stored")
}

fn unstorable(action: &'static str, case_id: Uuid) -> NewAudit {
    NewAudit { actor: Actor { kind: "nobody", id: None, label: "?".into() }, ..audit(action, Some(case_id), None) }
}

on_both_backends! {
    async fn an_actions_client_text_is_stored_with_its_audit_row_and_read_back_everywhere(store: Store) {
        let world = World::build(&store).await;
        let created = action(&store, &world).await;
        assert_eq!(created.client_text, "", "a new action has none");

        let entry = audit("action.client_text", Some(world.case.id), Some(("action", created.id)));
        let written = store.set_action_client_text(created.id, "Je krijgt hulp bij een kamer.", &entry).await.unwrap().expect("the action exists");

        assert_eq!(written.client_text, "Je krijgt hulp bij een kamer.");
        assert_eq!(written.description, created.description, "the professionals' text is unchanged");
        assert_eq!(store.action(created.id).await.unwrap().unwrap().client_text, "Je krijgt hulp bij een kamer.");
        assert_eq!(store.case_actions(world.case.id).await.unwrap()[0].client_text, "Je krijgt hulp bij een kamer.");
        let trail = store.case_audit(world.case.id, None, 10).await.unwrap();
        assert!(trail.iter().any(|e| e.action == "action.client_text" && e.subject_id == Some(created.id)));
        let unknown = store.set_action_client_text(Uuid::now_v7(), "x", &entry).await.unwrap();
        assert!(unknown.is_none(), "no such action");
    }
}

on_both_backends! {
    async fn a_meetings_client_purpose_is_stored_until_the_minutes_are_final(store: Store) {
        let world = World::build(&store).await;
        assert_eq!(world.meeting.client_purpose, "");
        let entry = audit("meeting.client_purpose", Some(world.case.id), Some(("meeting", world.meeting.id)));

        let written = store.set_meeting_client_purpose(world.meeting.id, "We praten over je plan.", &entry).await.unwrap().expect("open");
        assert_eq!((written.client_purpose.as_str(), written.purpose.as_str()), ("We praten over je plan.", world.meeting.purpose.as_str()));
        assert_eq!(store.case_meetings(world.case.id).await.unwrap()[0].client_purpose, "We praten over je plan.");

        let meeting = store.meeting(world.meeting.id).await.unwrap().unwrap();
        let done = audit("minutes.finalise", Some(world.case.id), None);
        store.finalise_meeting(&meeting, &[], &record("{}"), world.casemanager.id, t0() + Duration::hours(2), &done).await.unwrap();
        let refused = store.set_meeting_client_purpose(world.meeting.id, "Iets anders.", &entry).await.unwrap();
        assert!(refused.is_none(), "a finalised meeting keeps its purpose");
        assert_eq!(store.meeting(world.meeting.id).await.unwrap().unwrap().client_purpose, "We praten over je plan.");
        let rows = store.case_audit(world.case.id, None, 10).await.unwrap();
        assert_eq!(rows.iter().filter(|e| e.action == "meeting.client_purpose").count(), 1, "the refused write left no row");
    }
}

on_both_backends! {
    async fn a_client_text_whose_audit_row_cannot_be_stored_is_not_stored(store: Store) {
        let world = World::build(&store).await;
        let created = action(&store, &world).await;

        let text = store.set_action_client_text(created.id, "Je krijgt een kamer.", &unstorable("action.client_text", world.case.id)).await;
        let purpose = store.set_meeting_client_purpose(world.meeting.id, "We praten.", &unstorable("meeting.client_purpose", world.case.id)).await;

        assert!(text.is_err() && purpose.is_err(), "the database accepted an unknown actor kind");
        assert_eq!(store.action(created.id).await.unwrap().unwrap().client_text, "");
        assert_eq!(store.meeting(world.meeting.id).await.unwrap().unwrap().client_purpose, "");
    }
}
