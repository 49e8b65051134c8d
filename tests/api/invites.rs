//! Invites: single-person, expiring, revocable, and stored only as a hash.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn token_of(invite: &Value) -> String {
    invite["url"].as_str().expect("an invite has a url").rsplit('/').next().unwrap().to_owned()
}

/// A guest invited to the demo conference who accepted the confidentiality statement: the
/// invite as created, and the guest's own session.
async fn accepted_guest(app: &TestApp, demo: &DemoCase) -> (Value, Client) {
    let (_, invite) = demo
        .casemanager
        .post(
            &format!("/api/meetings/{}/invites", demo.meeting_id),
            json!({ "kind": "guest", "name": "Gerda Gast", "organisation": "Woonbron" }),
        )
        .await;
    let guest = app.anonymous();
    let (status, _) = guest
        .post(&format!("/api/invites/{}/accept", token_of(&invite)), json!({ "accept_confidentiality": true }))
        .await;
    assert_eq!(status, StatusCode::OK);
    (invite, guest)
}

on_both_backends! {
    async fn an_invite_admits_one_person_and_refuses_anyone_else(app: TestApp) {
        let demo = app.demo_case().await;
        let (status, invite) = demo.casemanager.post(&format!("/api/meetings/{}/invites", demo.meeting_id), json!({ "kind": "client" })).await;
        assert_eq!(status, StatusCode::CREATED, "{invite}");
        assert!(invite["url"].as_str().unwrap().starts_with(&app.url("/join/")));
        let token = token_of(&invite);

        let (status, preview) = app.anonymous().get(&format!("/api/invites/{token}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((preview["state"].as_str(), preview["kind"].as_str()), (Some("valid"), Some("client")));
        // A client's link names only the purpose written for him (none yet), never the
        // professionals' "Tweede netwerkberaad: …" (tests/api/client_words.rs).
        assert_eq!(preview["purpose"], "");

        let detainee = app.anonymous();
        let (status, accepted) = detainee.post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{accepted}");
        let (status, me) = detainee.get("/api/me").await;
        assert_eq!((status, me["kind"].as_str(), me["invite_kind"].as_str()), (StatusCode::OK, Some("invitee"), Some("client")));

        // Opening the link again in the same browser is fine; anyone else is refused.
        let (status, _) = detainee.post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let someone_else = app.anonymous();
        let (status, refused) = someone_else.post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!((status, refused["error"].as_str()), (StatusCode::GONE, Some("gone")));
        let (status, _) = someone_else.get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (_, seen_by_others) = someone_else.get(&format!("/api/invites/{token}")).await;
        assert_eq!(seen_by_others["state"], "taken");
        assert!(seen_by_others["purpose"].is_null() && seen_by_others["name"].is_null(), "a used link tells others nothing");
        let (_, seen_by_holder) = detainee.get(&format!("/api/invites/{token}")).await;
        assert_eq!(seen_by_holder["state"], "used");
        assert!(seen_by_holder["purpose"].is_string());

        // The chair's list shows the invite as opened, and its link again (issue 14: a chair
        // inviting six people need not copy each link at once); only the chair sees the list.
        let (_, list) = demo.casemanager.get(&format!("/api/meetings/{}/invites", demo.meeting_id)).await;
        let listed = list.as_array().unwrap().iter().find(|i| i["id"] == invite["invite"]["id"]).unwrap();
        assert!(listed["used_at"].is_string());
        assert_eq!((listed["state"].as_str(), listed["url"].as_str()), (Some("opened"), invite["url"].as_str()));
    }
}

on_both_backends! {
    async fn invite_tokens_are_stored_only_as_their_hash(app: TestApp) {
        let demo = app.demo_case().await;
        let (_, invite) = demo.casemanager.post(&format!("/api/meetings/{}/invites", demo.meeting_id), json!({ "kind": "client" })).await;
        let token = token_of(&invite);
        let stored: Vec<Vec<u8>> = match app.backend {
            Backend::Sqlite => {
                let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&app.db.url).await.unwrap();
                sqlx::query_scalar("SELECT token_hash FROM invite").fetch_all(&mut db).await.unwrap()
            }
            Backend::Postgres => {
                let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(&app.db.url).await.unwrap();
                sqlx::query_scalar("SELECT token_hash FROM invite").fetch_all(&mut db).await.unwrap()
            }
        };
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].len(), 32, "a SHA-256 hash");
        assert!(!stored[0].windows(token.len()).any(|w| w == token.as_bytes()));
    }
}

on_both_backends! {
    async fn a_guest_accepts_the_confidentiality_statement_before_entering(app: TestApp) {
        let demo = app.demo_case().await;
        let (_, invite) = demo.casemanager.post(&format!("/api/meetings/{}/invites", demo.meeting_id),
            json!({ "kind": "guest", "name": "Gerda Gast", "organisation": "Woonbron" })).await;
        let token = token_of(&invite);
        let (_, preview) = app.anonymous().get(&format!("/api/invites/{token}")).await;
        assert_eq!(preview["requires_confidentiality"], true);
        let guest = app.anonymous();
        let (status, body) = guest.post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("accept_confidentiality")));
        let (status, accepted) = guest.post(&format!("/api/invites/{token}/accept"), json!({ "accept_confidentiality": true })).await;
        assert_eq!(status, StatusCode::OK);

        // The minutes open only once a chair has let the guest in.
        let (status, _) = guest.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let mut chair = crate::conference::join(&app, crate::conference::token(&app, CASEMANAGER).await, demo.meeting_id, false).await;
        let session = accepted["token"].as_str().unwrap().to_owned();
        let mut knocking = crate::conference::join(&app, session, demo.meeting_id, false).await;
        crate::conference::admit(&mut chair, knocking.id).await;
        knocking.admitted(std::time::Duration::from_secs(15)).await.expect("admitted");
        let mut page = serde_json::Value::Null;
        for _ in 0..50 {
            let (status, body) = guest.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
            if status == StatusCode::OK {
                page = body;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!((page["taking_part_as"].as_str(), page["may_write"].as_bool()), (Some("guest"), Some(false)));
    }
}

on_both_backends! {
    async fn a_guests_session_ends_when_the_minutes_are_final(app: TestApp) {
        let demo = app.demo_case().await;
        let (_, guest) = accepted_guest(&app, &demo).await;
        let (status, _) = demo.casemanager.post(&format!("/api/meetings/{}/finalise", demo.meeting_id), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = guest.get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

on_both_backends! {
    async fn a_new_client_link_replaces_the_old_one(app: TestApp) {
        let demo = app.demo_case().await;
        let path = format!("/api/meetings/{}/invites", demo.meeting_id);
        let (_, first) = demo.casemanager.post(&path, json!({ "kind": "client" })).await;
        let client = app.anonymous();
        let (status, _) = client.post(&format!("/api/invites/{}/accept", token_of(&first)), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = demo.casemanager.post(&path, json!({ "kind": "client" })).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = client.get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the old link's session ended");
        let (_, preview) = app.anonymous().get(&format!("/api/invites/{}", token_of(&first))).await;
        assert_eq!(preview["state"], "revoked");
    }
}

on_both_backends! {
    async fn a_member_invite_works_only_for_the_invited_account(app: TestApp) {
        let demo = app.demo_case().await;
        let (_, users) = demo.casemanager.get("/api/users").await;
        let rik = users.as_array().unwrap().iter().find(|u| u["name"] == "Rik Vermeulen").map(id).unwrap();
        let (status, invite) = demo.casemanager.post(&format!("/api/meetings/{}/invites", demo.meeting_id), json!({ "kind": "member", "user_id": rik })).await;
        assert_eq!(status, StatusCode::CREATED, "{invite}");
        let token = token_of(&invite);
        let (status, _) = app.anonymous().post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app.login(PROBATION).await.post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, accepted) = app.login(RIO).await.post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!((status, accepted["meeting_id"].clone()), (StatusCode::OK, json!(demo.meeting_id)));

        // Someone who is not on the case cannot be invited as a member.
        let sanne = users.as_array().unwrap().iter().find(|u| u["name"] == "Sanne Kok").map(id).unwrap();
        let (status, body) = demo.casemanager.post(&format!("/api/meetings/{}/invites", demo.meeting_id), json!({ "kind": "member", "user_id": sanne })).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("user_id")));
    }
}

on_both_backends! {
    async fn an_invite_expires_a_day_after_the_conference(app: TestApp) {
        let demo = app.demo_case().await;
        let (_, invite) = demo.casemanager.post(&format!("/api/meetings/{}/invites", demo.meeting_id), json!({ "kind": "client" })).await;
        let token = token_of(&invite);
        let expires_at: chrono::DateTime<chrono::Utc> = invite["expires_at"].as_str().unwrap().parse().unwrap();
        app.clock.set(expires_at + chrono::Duration::seconds(1));
        let (_, preview) = app.anonymous().get(&format!("/api/invites/{token}")).await;
        assert_eq!(preview["state"], "expired");
        let (status, body) = app.anonymous().post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!(status, StatusCode::GONE);
        assert!(body["message"].as_str().unwrap().contains("expired"));
    }
}

on_both_backends! {
    async fn a_revoked_invite_ends_its_holders_session(app: TestApp) {
        let demo = app.demo_case().await;
        let (invite, guest) = accepted_guest(&app, &demo).await;
        let invite_id = id(&invite["invite"]);
        let (status, _) = demo.casemanager.delete(&format!("/api/meetings/{}/invites/{invite_id}", demo.meeting_id)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = guest.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app.anonymous().post(&format!("/api/invites/{}/accept", token_of(&invite)), json!({ "accept_confidentiality": true })).await;
        assert_eq!(status, StatusCode::GONE);
    }
}

on_both_backends! {
    async fn an_unknown_or_malformed_invite_token_is_simply_not_found(app: TestApp) {
        let anonymous = app.anonymous();
        let (status, _) = anonymous.get("/api/invites/not-a-token").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = anonymous.get(&format!("/api/invites/{}", "A".repeat(43))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
