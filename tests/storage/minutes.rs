//! Meetings and their minutes: writes against a base revision, finalising against the revision
//! the record was rendered from, and actions agreed in a meeting.

use crate::helpers::{World, audit, date, record, t0};
use crate::on_both_backends;
use chrono::Duration;
use ketentafel::domain::InviteKind;
use ketentafel::domain::{ActionStatus, LifeDomain, MeetingStatus};
use ketentafel::storage::Store;
use ketentafel::storage::actions::NewAction;
use ketentafel::storage::audit::Actor;
use ketentafel::storage::invites::NewInvite;
use ketentafel::storage::meetings::{DomainWrite, EntryText, FinalRecord, Finalising, MinutesRefusal, Overlap};
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
        .finalise_meeting(rendered_from, table, &record(r#"{"final":true}"#), world.casemanager.id, later, &audit)
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
        let again = store.finalise_meeting(&first, &[], &record("{}"), world.partner.id, t0() + Duration::days(1), &audit).await;

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

fn slot() -> Duration {
    Duration::minutes(60)
}

async fn schedule_at(store: &Store, world: &World, at: chrono::DateTime<chrono::Utc>) -> Result<Meeting, Overlap> {
    let mut new = crate::helpers::new_meeting(&world.case, &world.casemanager);
    new.scheduled_at = at;
    store.insert_meeting(&new, slot(), t0(), &audit("meeting.schedule", Some(world.case.id), None)).await.unwrap()
}

on_both_backends! {
    async fn a_second_meeting_of_a_case_within_its_slot_is_refused_and_back_to_back_is_allowed(store: Store) {
        let world = World::build(&store).await;
        let first_at = world.meeting.scheduled_at;

        let before = schedule_at(&store, &world, first_at - Duration::minutes(59)).await;
        let after = schedule_at(&store, &world, first_at + Duration::minutes(30)).await;
        let same = schedule_at(&store, &world, first_at).await;
        let back_to_back = schedule_at(&store, &world, first_at + Duration::minutes(60)).await;
        let just_before = schedule_at(&store, &world, first_at - Duration::minutes(60)).await;

        for refused in [&before, &after, &same] {
            assert_eq!(refused.as_ref().unwrap_err(), &Overlap { meeting_id: world.meeting.id, scheduled_at: first_at });
        }
        assert!(back_to_back.is_ok() && just_before.is_ok(), "{back_to_back:?} {just_before:?}");
        assert_eq!(store.case_meetings(world.case.id).await.unwrap().len(), 3, "a refused meeting is not stored");
    }
}

on_both_backends! {
    async fn rescheduling_moves_a_scheduled_meeting_and_its_live_invites_but_not_into_another_slot(store: Store) {
        let world = World::build(&store).await;
        let other = schedule_at(&store, &world, world.meeting.scheduled_at + Duration::hours(3)).await.unwrap();
        let new = NewInvite {
            meeting_id: world.meeting.id,
            kind: InviteKind::Guest,
            user_id: None,
            name: "Gast G.".into(),
            organisation_name: Some("Schuldhulp".into()),
            token_hash: b"guest".to_vec(),
            created_by: world.casemanager.id,
            expires_at: t0() + Duration::days(8),
        };
        let invite = store.insert_invite(&new, t0(), &audit("invite.create", None, None)).await.unwrap();
        let to = world.meeting.scheduled_at + Duration::days(1);
        let expiry = to + Duration::hours(24);
        let move_to = |at, audit| {
            let store = store.clone();
            let (id, case) = (world.meeting.id, world.case.id);
            async move { store.reschedule_meeting(id, case, at, expiry, slot(), t0(), &audit).await.unwrap() }
        };

        let clash = move_to(other.scheduled_at - Duration::minutes(10), audit("meeting.reschedule", None, None)).await;
        let moved = move_to(to, audit("meeting.reschedule", None, None)).await;

        assert_eq!(clash.map(|r| r.map(|m| m.id)), Some(Err(Overlap { meeting_id: other.id, scheduled_at: other.scheduled_at })));
        let moved = moved.expect("a scheduled meeting moves").expect("no overlap");
        assert_eq!(moved.scheduled_at, to);
        assert_eq!(store.invite(invite.id).await.unwrap().unwrap().expires_at, expiry);
        store.mark_meeting_live(world.meeting.id, t0()).await.unwrap();
        let started = move_to(to + Duration::days(1), audit("meeting.reschedule", None, None)).await;
        assert!(started.is_none(), "a meeting that started does not move: {started:?}");
        assert_eq!(meeting(&store, world.meeting.id).await.scheduled_at, to);
    }
}

on_both_backends! {
    async fn the_final_record_keeps_its_hash_and_pdf_and_a_missing_pdf_is_stored_only_once(store: Store) {
        let world = World::build(&store).await;
        let rendered_from = meeting(&store, world.meeting.id).await;
        let without_pdf = FinalRecord { content: "{}".into(), content_sha256: None, pdf: None };
        let audit = audit("minutes.finalise", None, None);
        store.finalise_meeting(&rendered_from, &[], &without_pdf, world.casemanager.id, t0(), &audit).await.unwrap();
        assert_eq!(store.final_record(world.meeting.id).await.unwrap(), Some(without_pdf));

        let first = store.store_minutes_pdf(world.meeting.id, "abc", b"%PDF one").await.unwrap();
        let second = store.store_minutes_pdf(world.meeting.id, "def", b"%PDF two").await.unwrap();

        let kept = FinalRecord { content: "{}".into(), content_sha256: Some("abc".into()), pdf: Some(b"%PDF one".to_vec()) };
        assert_eq!((first, second), (Some(kept.clone()), Some(kept)));
        assert_eq!(store.final_record(Uuid::now_v7()).await.unwrap(), None);
    }
}

on_both_backends! {
    async fn a_meeting_never_held_keeps_no_start_or_end_and_one_held_keeps_its_times(store: Store) {
        let world = World::build(&store).await;
        let held = schedule_at(&store, &world, world.meeting.scheduled_at + Duration::days(1)).await.unwrap();
        let start = t0() + Duration::minutes(5);
        store.mark_meeting_live(held.id, start).await.unwrap();
        store.mark_meeting_ended(held.id, start + Duration::minutes(40)).await.unwrap();
        // The room starts again and ends later: the last end counts, the first start stays.
        store.mark_meeting_live(held.id, start + Duration::minutes(45)).await.unwrap();
        assert_eq!(meeting(&store, held.id).await.ended_at, None, "running again");
        store.mark_meeting_ended(held.id, start + Duration::minutes(70)).await.unwrap();
        let finalised_at = t0() + Duration::hours(3);
        let audit = audit("minutes.finalise", None, None);

        for id in [world.meeting.id, held.id] {
            let rendered_from = meeting(&store, id).await;
            store.finalise_meeting(&rendered_from, &[], &record("{}"), world.casemanager.id, finalised_at, &audit).await.unwrap();
        }

        let never = meeting(&store, world.meeting.id).await;
        assert_eq!((never.started_at, never.ended_at, never.finalised_at), (None, None, Some(finalised_at)));
        let held = meeting(&store, held.id).await;
        assert_eq!((held.started_at, held.ended_at), (Some(start), Some(start + Duration::minutes(70))));
        assert!(!store.mark_meeting_live(held.id, finalised_at).await.unwrap(), "a closed meeting does not go live");
    }
}
