//! Sessions: live until revoked or expired, ended with their invite or meeting, purged once gone.

use crate::helpers::{World, audit, t0};
use crate::on_both_backends;
use chrono::Duration;
use ketentafel::domain::InviteKind;
use ketentafel::storage::invites::NewInvite;

on_both_backends! {
    async fn a_session_is_live_until_it_is_revoked(store: Store) {
        let world = World::build(&store).await;
        let expires = t0() + Duration::hours(8);
        let session = store.insert_session(Some(world.partner.id), None, t0(), expires).await.unwrap();
        let read = store.session(session.id).await.unwrap().expect("the session exists");

        store.revoke_session(session.id, t0() + Duration::hours(1)).await.unwrap();
        let revoked = store.session(session.id).await.unwrap().expect("a revoked session is kept");

        assert_eq!((read.user_id, read.invite_id, read.created_at, read.expires_at), (Some(world.partner.id), None, t0(), expires));
        assert!(read.is_live(t0()) && !read.is_live(expires));
        assert_eq!(revoked.revoked_at, Some(t0() + Duration::hours(1)));
        assert!(!revoked.is_live(t0()));
    }
}

on_both_backends! {
    async fn a_password_change_ends_every_other_session_of_the_account(store: Store) {
        let world = World::build(&store).await;
        let user = world.partner.id;
        let expires = t0() + Duration::hours(8);
        let kept = store.insert_session(Some(user), None, t0(), expires).await.unwrap();
        let other = store.insert_session(Some(user), None, t0(), expires).await.unwrap();
        let someone_else = store.insert_session(Some(world.casemanager.id), None, t0(), expires).await.unwrap();

        store.revoke_user_sessions_except(user, kept.id, t0()).await.unwrap();

        let revoked = |id| {
            let store = store.clone();
            async move { store.session(id).await.unwrap().expect("the session exists").revoked_at.is_some() }
        };
        assert!(!revoked(kept.id).await && revoked(other.id).await && !revoked(someone_else.id).await);
    }
}

on_both_backends! {
    async fn purging_forgets_only_sessions_that_expired_before_the_cutoff(store: Store) {
        let world = World::build(&store).await;
        let expired = store.insert_session(Some(world.partner.id), None, t0(), t0() + Duration::hours(1)).await.unwrap();
        let live = store.insert_session(Some(world.partner.id), None, t0(), t0() + Duration::days(2)).await.unwrap();

        let purged = store.purge_sessions(t0() + Duration::days(1)).await.unwrap();

        assert_eq!(purged, 1);
        assert!(store.session(expired.id).await.unwrap().is_none());
        assert!(store.session(live.id).await.unwrap().is_some());
    }
}

on_both_backends! {
    async fn finalising_a_meeting_ends_the_sessions_of_its_invites(store: Store) {
        let world = World::build(&store).await;
        let new = NewInvite {
            meeting_id: world.meeting.id,
            kind: InviteKind::Client,
            user_id: None,
            name: "Client K.".into(),
            organisation_name: None,
            token_hash: b"client".to_vec(),
            created_by: world.casemanager.id,
            expires_at: t0() + Duration::days(1),
        };
        let invite = store.insert_invite(&new, t0(), &audit("invite.create", None, None)).await.unwrap();
        let client = store.insert_session(None, Some(invite.id), t0(), t0() + Duration::days(1)).await.unwrap();
        let chair = store.insert_session(Some(world.casemanager.id), None, t0(), t0() + Duration::days(1)).await.unwrap();
        let rendered_from = store.meeting(world.meeting.id).await.unwrap().expect("the meeting exists");

        let later = t0() + Duration::hours(1);
        store.finalise_meeting(&rendered_from, &[], &crate::helpers::record("{}"), world.casemanager.id, later, &audit("minutes.finalise", None, None)).await.unwrap();

        let client = store.session(client.id).await.unwrap().expect("the session exists");
        let chair = store.session(chair.id).await.unwrap().expect("the session exists");
        assert_eq!((client.revoked_at, chair.revoked_at), (Some(later), None));
    }
}
