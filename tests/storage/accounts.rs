//! Organisations and accounts, and the values every row is made of: UUIDs and timestamps.

use crate::helpers::{audit, new_user, t0};
use crate::on_both_backends;
use chrono::{Duration, TimeZone, Utc};
use ketentafel::domain::{OrganisationKind, Role};
use ketentafel::storage::users::UserChanges;
use uuid::Uuid;

on_both_backends! {
    async fn an_organisation_and_its_account_read_back_as_written(store: Store) {
        let org = store.insert_organisation("Reclassering", OrganisationKind::Probation, t0(), None).await.unwrap();
        let user = store.insert_user(&new_user(&org, "Rita Reclassering", Role::Partner), t0(), None).await.unwrap();

        let read_org = store.organisation(org.id).await.unwrap().expect("the organisation exists");
        let read_user = store.user(user.id).await.unwrap().expect("the account exists");
        let (by_email, hash) = store.user_credentials("rita.reclassering@example.org").await.unwrap().expect("found");

        assert_eq!((read_org.name.as_str(), read_org.kind), ("Reclassering", OrganisationKind::Probation));
        assert_eq!(read_user.organisation_name, "Reclassering");
        assert_eq!((read_user.role, read_user.active, read_user.password_change_required), (Role::Partner, true, false));
        assert_eq!(by_email.id, user.id);
        assert_eq!(hash, "$argon2id$not-a-real-hash");
        assert_eq!(store.count_users().await.unwrap(), 1);
    }
}

on_both_backends! {
    async fn a_second_account_with_the_same_email_is_a_unique_violation(store: Store) {
        let org = store.insert_organisation("Politie", OrganisationKind::Police, t0(), None).await.unwrap();
        store.insert_user(&new_user(&org, "Piet Politie", Role::Partner), t0(), None).await.unwrap();

        let again = store.insert_user(&new_user(&org, "Piet Politie", Role::Steering), t0(), None).await;

        match again {
            Err(sqlx::Error::Database(e)) => assert!(e.is_unique_violation(), "not a unique violation: {e}"),
            other => panic!("a duplicate e-mail address was accepted: {other:?}"),
        }
        assert_eq!(store.count_users().await.unwrap(), 1);
    }
}

on_both_backends! {
    async fn changing_an_account_leaves_the_fields_it_does_not_name(store: Store) {
        let org = store.insert_organisation("Woningcorporatie", OrganisationKind::Housing, t0(), None).await.unwrap();
        let user = store.insert_user(&new_user(&org, "Wim Wonen", Role::Partner), t0(), None).await.unwrap();
        let changes = UserChanges { active: Some(false), ..UserChanges::default() };

        let changed = store.update_user(user.id, &changes, &audit("user.update", None, None)).await.unwrap();
        let missing = store.update_user(Uuid::now_v7(), &changes, &audit("user.update", None, None)).await.unwrap();

        let changed = changed.expect("the account exists");
        assert!(!changed.active);
        assert_eq!((changed.name.as_str(), changed.role), ("Wim Wonen", Role::Partner));
        assert!(missing.is_none());
    }
}

on_both_backends! {
    async fn a_timestamp_with_microseconds_reads_back_exactly(store: Store) {
        let moments = [
            t0(),
            Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap() + Duration::microseconds(999_999),
            Utc.with_ymd_and_hms(2038, 1, 19, 3, 14, 8).unwrap() + Duration::microseconds(1),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap(),
        ];
        for (i, at) in moments.into_iter().enumerate() {
            let org = store.insert_organisation(&format!("Org {i}"), OrganisationKind::Other, at, None).await.unwrap();
            let read = store.organisation(org.id).await.unwrap().expect("the organisation exists");
            assert_eq!(org.created_at, at, "as returned by the insert");
            assert_eq!(read.created_at, at, "as read back");
        }
    }
}

on_both_backends! {
    async fn uuids_read_back_exactly_and_find_their_row(store: Store) {
        let ids = [Uuid::nil(), Uuid::max(), Uuid::new_v4(), Uuid::now_v7()];
        for (i, id) in ids.into_iter().enumerate() {
            let chosen = audit("organisation.create", None, Some(("organisation", id)));
            store.insert_organisation(&format!("Org {i}"), OrganisationKind::Care, t0(), Some(&chosen)).await.unwrap();
        }

        for id in ids {
            let read = store.organisation(id).await.unwrap().expect("found by its own id");
            assert_eq!(read.id, id);
        }
        let mut listed: Vec<Uuid> = store.organisations().await.unwrap().into_iter().map(|o| o.id).collect();
        listed.sort();
        let mut expected = ids.to_vec();
        expected.sort();
        assert_eq!(listed, expected);
    }
}
