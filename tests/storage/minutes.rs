//! Meetings and their minutes: writes against a base revision, finalising against the revision
//! the record was rendered from, and actions agreed in a meeting.

use crate::helpers::{World, audit, date, t0};
use crate::on_both_backends;
use chrono::Duration;
use ketentafel::domain::{ActionStatus, LifeDomain, MeetingStatus};
use ketentafel::storage::Store;
use ketentafel::storage::actions::NewAction;
use ketentafel::storage::audit::Actor;
use ketentafel::storage::meetings::{DomainWrite, EntryText, Finalising, MinutesRefusal};
use ketentafel::storage::models::{Action, DomainEntry, Meeting};
use uuid::Uuid;

fn housing(world: &World, situation: &str, base_revision: Option<i64>) -> DomainWrite {
    DomainWrite {
        meeting_id: world.meeting.id,
        domain: LifeDomain::Housing,
        text: EntryText { situation: situation.into(), client_wish: "Eigen kamer".into(), notes: String::new() },
        base_revision,
        author: world.casemanager.id,
    }
}

/// Writes `write` and expects it to be stored.
async fn write(store: &Store, world: &World, write: &DomainWrite) -> DomainEntry {
    let audit = audit("minutes.write", Some(world.case.id), None);
    store.write_domain_entry(write, t0(), &audit).await.unwrap().expect("the write is not refused")
}

/// The meeting as it is stored now.
async fn meeting(store: &Store, id: Uuid) -> Meeting {
    store.meeting(id).await.unwrap().expect("the meeting exists")
}

async fn finalise(store: &Store, world: &World, rendered_from: &Meeting, table: &[Action]) -> Finalising {
    let audit = audit("minutes.finalise", Some(world.case.id), None);
    let later = t0() + Duration::hours(2);
    store
        .finalise_meeting(rendered_from, table, r#"{"final":true}"#, world.casemanager.id, later, &audit)
        .await
        .unwrap()
}

fn action_in(world: &World, meeting_id: Option<Uuid>) -> NewAction {
    NewAction {
        case_id: world.case.id,
        domain: LifeDomain::Id,
        description: "ID-kaart aanvragen".into(),
        owner_organisation_id: Some(world.municipality.id),
        owner_user_id: None,
        owner_is_client: false,
        due_date: date(2027, 1, 15),
        meeting_id,
        created_by: world.casemanager.id,
    }
}

async fn insert_action(store: &Store, world: &World, meeting_id: Option<Uuid>) -> Option<Action> {
    let audit = audit("action.create", Some(world.case.id), None);
    store.insert_action(&action_in(world, meeting_id), &Actor::system("test"), t0(), &audit).await.unwrap()
}

on_both_backends! {
    async fn a_meeting_reads_back_scheduled_with_its_chair_and_no_writes(store: Store) {
        let world = World::build(&store).await;

        let read = meeting(&store, world.meeting.id).await;
        let of_case = store.case_meetings(world.case.id).await.unwrap();

        assert_eq!((read.status, read.chair_name.as_str()), (MeetingStatus::Scheduled, "Cas Manager"));
        assert_eq!((read.scheduled_at, read.created_at), (t0() + Duration::days(7), t0()));
        assert_eq!((read.finalised_at, read.minutes_revision), (None, 0));
        assert_eq!(of_case.iter().map(|m| m.id).collect::<Vec<_>>(), vec![world.meeting.id]);
    }
}

on_both_backends! {
    async fn each_write_on_the_current_revision_is_stored_and_counts_up(store: Store) {
        let world = World::build(&store).await;

        let first = write(&store, &world, &housing(&world, "Geen woning", None)).await;
        let second = write(&store, &world, &housing(&world, "Opvang geregeld", Some(1))).await;

        assert_eq!((first.revision, second.revision), (1, 2));
        let entries = store.domain_entries(world.meeting.id).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].situation.as_str(), entries[0].revision), ("Opvang geregeld", 2));
        assert_eq!((entries[0].updated_by_name.as_str(), entries[0].updated_at), ("Cas Manager", t0()));
        assert_eq!(meeting(&store, world.meeting.id).await.minutes_revision, 2);
    }
}

on_both_backends! {
    async fn a_write_on_a_stale_revision_is_refused_with_what_is_there_now(store: Store) {
        let world = World::build(&store).await;
        write(&store, &world, &housing(&world, "Geen woning", None)).await;
        write(&store, &world, &housing(&world, "Opvang geregeld", Some(1))).await;

        let stale = store
            .write_domain_entry(&housing(&world, "Overschreven", Some(1)), t0(), &audit("minutes.write", None, None))
            .await
            .unwrap();

        match stale {
            Err(MinutesRefusal::Stale(now)) => assert_eq!((now.situation.as_str(), now.revision), ("Opvang geregeld", 2)),
            other => panic!("a stale write was not refused as stale: {other:?}"),
        }
        let entries = store.domain_entries(world.meeting.id).await.unwrap();
        assert_eq!(entries[0].situation, "Opvang geregeld");
        assert_eq!(meeting(&store, world.meeting.id).await.minutes_revision, 2, "a refused write is not counted");
    }
}

on_both_backends! {
    async fn a_write_to_an_unknown_meeting_is_refused_as_no_meeting(store: Store) {
        let world = World::build(&store).await;
        let mut nowhere = housing(&world, "Geen woning", None);
        nowhere.meeting_id = Uuid::now_v7();

        let refused = store.write_domain_entry(&nowhere, t0(), &audit("minutes.write", None, None)).await.unwrap();

        assert!(matches!(refused, Err(MinutesRefusal::NoMeeting)), "{refused:?}");
    }
}

on_both_backends! {
    async fn finalising_stores_the_record_closes_the_meeting_and_freezes_the_minutes(store: Store) {
        let world = World::build(&store).await;
        write(&store, &world, &housing(&world, "Opvang geregeld", None)).await;
        let agreed = insert_action(&store, &world, Some(world.meeting.id)).await.expect("the minutes are open");
        let rendered_from = meeting(&store, world.meeting.id).await;

        let done = finalise(&store, &world, &rendered_from, std::slice::from_ref(&agreed)).await;

        assert_eq!(done, Finalising::Done);
        let closed = meeting(&store, world.meeting.id).await;
        let later = t0() + Duration::hours(2);
        assert_eq!((closed.status, closed.finalised_at, closed.finalised_by), (MeetingStatus::Closed, Some(later), Some(world.casemanager.id)));
        assert_eq!(store.minutes_record(world.meeting.id).await.unwrap().as_deref(), Some(r#"{"final":true}"#));
        let tabled = store.tabled_actions(world.case.id).await.unwrap();
        assert_eq!(tabled, vec![(world.meeting.id, agreed.id, "open".to_owned())]);
        let late = housing(&world, "Te laat", None);
        let late = store.write_domain_entry(&late, later, &audit("minutes.write", None, None)).await.unwrap();
        assert!(matches!(late, Err(MinutesRefusal::Finalised)), "final minutes took a write");
    }
}

on_both_backends! {
    async fn finalising_twice_answers_already_final_and_changes_nothing(store: Store) {
        let world = World::build(&store).await;
        let rendered_from = meeting(&store, world.meeting.id).await;
        assert_eq!(finalise(&store, &world, &rendered_from, &[]).await, Finalising::Done);
        let first = meeting(&store, world.meeting.id).await;

        let audit = audit("minutes.finalise", None, None);
        let again = store.finalise_meeting(&first, &[], "{}", world.partner.id, t0() + Duration::days(1), &audit).await;

        assert_eq!(again.unwrap(), Finalising::AlreadyFinal);
        let still = meeting(&store, world.meeting.id).await;
        assert_eq!((still.finalised_at, still.finalised_by), (first.finalised_at, first.finalised_by));
        assert_eq!(store.minutes_record(world.meeting.id).await.unwrap().as_deref(), Some(r#"{"final":true}"#));
    }
}

on_both_backends! {
    async fn a_write_after_the_record_was_rendered_makes_finalising_answer_changed(store: Store) {
        let world = World::build(&store).await;
        write(&store, &world, &housing(&world, "Geen woning", None)).await;
        let rendered_from = meeting(&store, world.meeting.id).await;
        write(&store, &world, &housing(&world, "Toch opvang", Some(1))).await;

        let changed = finalise(&store, &world, &rendered_from, &[]).await;

        assert_eq!(changed, Finalising::Changed);
        let open = meeting(&store, world.meeting.id).await;
        assert_eq!((open.finalised_at, open.status), (None, MeetingStatus::Scheduled));
        assert_eq!(open.minutes_revision, rendered_from.minutes_revision + 1);
        assert_eq!(store.minutes_record(world.meeting.id).await.unwrap(), None);
        assert_eq!(finalise(&store, &world, &open, &[]).await, Finalising::Done, "rendered again, it finalises");
    }
}

on_both_backends! {
    async fn an_action_agreed_in_a_meeting_counts_as_a_write_and_is_refused_once_final(store: Store) {
        let world = World::build(&store).await;

        let agreed = insert_action(&store, &world, Some(world.meeting.id)).await.expect("the minutes are open");
        let counted = meeting(&store, world.meeting.id).await;
        assert_eq!(finalise(&store, &world, &counted, &[]).await, Finalising::Done);
        let refused = insert_action(&store, &world, Some(world.meeting.id)).await;
        let outside = insert_action(&store, &world, None).await;

        assert_eq!(counted.minutes_revision, 1);
        assert_eq!((agreed.status, agreed.meeting_id), (ActionStatus::Open, Some(world.meeting.id)));
        assert!(refused.is_none(), "an action was added to final minutes");
        assert!(outside.is_some(), "an action outside any meeting is still recorded");
        assert_eq!(store.meeting_actions(world.meeting.id).await.unwrap().len(), 1);
        assert_eq!(store.case_actions(world.case.id).await.unwrap().len(), 2);
    }
}
