//! Invites (claimed once, admitted and removed idempotently) and what a conference remembers
//! across its rooms.

use crate::helpers::{World, audit, t0};
use crate::on_both_backends;
use chrono::{DateTime, Duration, Utc};
use ketentafel::domain::InviteKind;
use ketentafel::storage::Store;
use ketentafel::storage::invites::NewInvite;
use ketentafel::storage::meetings::RoomMemory;
use ketentafel::storage::models::{AttendanceLine, Invite};
use uuid::Uuid;

/// A guest invite to the world's meeting, valid for a day from [`t0`].
async fn invite_guest(store: &Store, world: &World, token_hash: &[u8]) -> Invite {
    let new = NewInvite {
        meeting_id: world.meeting.id,
        kind: InviteKind::Guest,
        user_id: None,
        name: "Gerda Gast".into(),
        organisation_name: Some("Schuldhulp".into()),
        token_hash: token_hash.to_vec(),
        created_by: world.casemanager.id,
        expires_at: t0() + Duration::days(1),
    };
    store.insert_invite(&new, t0(), &audit("invite.create", Some(world.case.id), None)).await.unwrap()
}

async fn claim(store: &Store, id: Uuid, at: DateTime<Utc>) -> bool {
    store.claim_invite(id, true, at, &audit("invite.claim", None, None)).await.unwrap()
}

async fn invite(store: &Store, id: Uuid) -> Invite {
    store.invite(id).await.unwrap().expect("the invite exists")
}

on_both_backends! {
    async fn an_invite_is_found_by_its_token_hash_and_claimed_only_once(store: Store) {
        let world = World::build(&store).await;
        let stored = invite_guest(&store, &world, &[0, 1, 2, 255]).await;
        let by_hash = store.invite_by_token_hash(&[0, 1, 2, 255]).await.unwrap().expect("found by its hash");
        let opened = t0() + Duration::minutes(5);

        let first = claim(&store, stored.id, opened).await;
        let second = claim(&store, stored.id, opened + Duration::minutes(1)).await;

        assert_eq!(by_hash.id, stored.id);
        assert!(store.invite_by_token_hash(&[0, 1, 2]).await.unwrap().is_none());
        assert!(first && !second, "claimed: first {first}, second {second}");
        let claimed = invite(&store, stored.id).await;
        assert_eq!((claimed.used_at, claimed.confidentiality_accepted_at), (Some(opened), Some(opened)));
    }
}

on_both_backends! {
    async fn an_expired_or_revoked_invite_cannot_be_claimed(store: Store) {
        let world = World::build(&store).await;
        let expiring = invite_guest(&store, &world, b"expiring").await;
        let revoked = invite_guest(&store, &world, b"revoked").await;

        assert!(store.revoke_invite(revoked.id, t0(), &audit("invite.revoke", None, None)).await.unwrap());
        let expired_claim = claim(&store, expiring.id, t0() + Duration::days(1)).await;
        let revoked_claim = claim(&store, revoked.id, t0()).await;

        assert!(!expired_claim, "an invite was claimed at its expiry");
        assert!(!revoked_claim, "a revoked invite was claimed");
        assert_eq!(invite(&store, expiring.id).await.used_at, None);
    }
}

on_both_backends! {
    async fn admitting_and_removing_keep_the_first_moment(store: Store) {
        let world = World::build(&store).await;
        let guest = invite_guest(&store, &world, b"guest").await;
        let (first, later) = (t0() + Duration::minutes(10), t0() + Duration::minutes(20));

        store.mark_invite_admitted(guest.id, first).await.unwrap();
        store.mark_invite_admitted(guest.id, later).await.unwrap();
        store.mark_invite_removed(guest.id, first, &audit("invite.remove", None, None)).await.unwrap();
        store.mark_invite_removed(guest.id, later, &audit("invite.remove", None, None)).await.unwrap();

        let read = invite(&store, guest.id).await;
        assert_eq!((read.admitted_at, read.removed_at), (Some(first), Some(first)));
    }
}

on_both_backends! {
    async fn a_meeting_remembers_the_debrief_and_whom_the_chair_sent_away(store: Store) {
        let world = World::build(&store).await;
        let removed = invite_guest(&store, &world, b"removed").await;
        invite_guest(&store, &world, b"stays").await;
        let fresh = store.room_memory(world.meeting.id).await.unwrap();

        store.set_debrief(world.meeting.id, true, &audit("meeting.debrief", None, None)).await.unwrap();
        for _ in 0..2 {
            store.bar_user(world.meeting.id, world.partner.id, t0(), &audit("meeting.bar", None, None)).await.unwrap();
        }
        store.mark_invite_removed(removed.id, t0(), &audit("invite.remove", None, None)).await.unwrap();
        let remembered = store.room_memory(world.meeting.id).await.unwrap();

        assert_eq!(fresh, RoomMemory::default());
        let expected = RoomMemory {
            client_out: true,
            barred_users: vec![world.partner.id],
            barred_invites: vec![removed.id],
            ..RoomMemory::default()
        };
        assert_eq!(remembered, expected);
        assert_eq!(store.room_memory(Uuid::now_v7()).await.unwrap(), RoomMemory::default(), "an unknown meeting");
        store.set_debrief(world.meeting.id, false, &audit("meeting.debrief", None, None)).await.unwrap();
        assert!(!store.room_memory(world.meeting.id).await.unwrap().client_out);
    }
}

on_both_backends! {
    async fn a_meeting_remembers_who_was_admitted_so_a_restarted_room_lets_them_back_in(store: Store) {
        let world = World::build(&store).await;
        let admitted = invite_guest(&store, &world, b"admitted").await;
        invite_guest(&store, &world, b"waited").await;
        let line = AttendanceLine {
            name: "Petra Partner".into(),
            organisation: Some("Reclassering".into()),
            role: "partner".into(),
            joined_at: t0(),
            left_at: None,
        };

        store.mark_invite_admitted(admitted.id, t0()).await.unwrap();
        for _ in 0..2 {
            store.record_join(Uuid::now_v7(), world.meeting.id, Some(world.partner.id), None, &line).await.unwrap();
        }
        store.record_join(Uuid::now_v7(), world.meeting.id, None, Some(admitted.id), &line).await.unwrap();
        let remembered = store.room_memory(world.meeting.id).await.unwrap();

        assert_eq!(remembered.admitted_users, vec![world.partner.id], "once, however often they joined");
        assert_eq!(remembered.admitted_invites, vec![admitted.id], "not the invite of who only waited");
    }
}
