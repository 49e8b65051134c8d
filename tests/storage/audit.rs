//! The audit trail is written in the same transaction as the change it describes: no change
//! without its row, no row without its change.

use crate::helpers::{World, audit, t0};
use crate::on_both_backends;
use ketentafel::domain::LifeDomain;
use ketentafel::storage::audit::{Actor, NewAudit};
use ketentafel::storage::meetings::{DomainWrite, EntryText, MinutesRefusal};

/// An audit row the database refuses (`actor_kind` is checked), to make the write's own
/// transaction fail at its last statement.
fn unstorable(action: &'static str, case_id: Option<uuid::Uuid>) -> NewAudit {
    NewAudit { actor: Actor { kind: "nobody", id: None, label: "?".into() }, ..audit(action, case_id, None) }
}

fn care(world: &World, base_revision: Option<i64>) -> DomainWrite {
    DomainWrite {
        meeting_id: world.meeting.id,
        domain: LifeDomain::Care,
        text: EntryText { situation: "Verzekerd".into(), ..EntryText::default() },
        base_revision,
        author: world.casemanager.id,
    }
}

on_both_backends! {
    async fn a_write_and_its_audit_row_are_stored_together(store: Store) {
        let world = World::build(&store).await;
        let mut entry = audit("minutes.write", Some(world.case.id), Some(("meeting", world.meeting.id)));
        entry.detail = Some("care".into());

        store.write_domain_entry(&care(&world, None), t0(), &entry).await.unwrap().expect("the write is stored");

        let trail = store.case_audit(world.case.id, None, 10).await.unwrap();
        let row = trail.iter().find(|e| e.action == "minutes.write").expect("the write has its audit row");
        assert_eq!((row.actor_kind.as_str(), row.actor_label.as_str(), row.at), ("system", "storage test", t0()));
        assert_eq!((row.subject_kind.as_deref(), row.subject_id), (Some("meeting"), Some(world.meeting.id)));
        assert_eq!(row.detail.as_deref(), Some("care"));
    }
}

on_both_backends! {
    async fn a_write_whose_audit_row_cannot_be_stored_is_not_made(store: Store) {
        let world = World::build(&store).await;

        let write = store.write_domain_entry(&care(&world, None), t0(), &unstorable("minutes.write", Some(world.case.id))).await;
        let debrief = store.set_debrief(world.meeting.id, true, &unstorable("meeting.debrief", None)).await;

        assert!(write.is_err() && debrief.is_err(), "the database accepted an unknown actor kind");
        assert!(store.domain_entries(world.meeting.id).await.unwrap().is_empty(), "the text was stored without its trail");
        let meeting = store.meeting(world.meeting.id).await.unwrap().expect("the meeting exists");
        assert_eq!(meeting.minutes_revision, 0, "the write was counted without its trail");
        assert!(!store.room_memory(world.meeting.id).await.unwrap().client_out, "the debrief began without its trail");
    }
}

on_both_backends! {
    async fn a_refused_write_leaves_no_audit_row(store: Store) {
        let world = World::build(&store).await;
        store.write_domain_entry(&care(&world, None), t0(), &audit("minutes.write", Some(world.case.id), None)).await.unwrap().expect("stored");
        store.write_domain_entry(&care(&world, Some(1)), t0(), &audit("minutes.write", Some(world.case.id), None)).await.unwrap().expect("stored");

        let stale = store.write_domain_entry(&care(&world, Some(1)), t0(), &audit("minutes.write", Some(world.case.id), None)).await.unwrap();

        assert!(matches!(stale, Err(MinutesRefusal::Stale(_))), "{stale:?}");
        let writes = store.all_audit(None, 100).await.unwrap().into_iter().filter(|e| e.action == "minutes.write").count();
        assert_eq!(writes, 2, "only the two stored writes are on the trail");
    }
}
