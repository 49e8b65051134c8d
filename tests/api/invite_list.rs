//! The chair's list of invites: every invite with its state now (not opened, opened, in the
//! lobby, in the room, expired, revoked), its link while it works, re-issue, e-mail when an SMTP
//! server is configured, and the printable sheet for the prison terminal.

use crate::conference::{PATIENCE, admit, join, token};
use crate::helpers::*;
use crate::on_both_backends;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

fn list(value: &Value) -> &Vec<Value> {
    value.as_array().expect("an array")
}

/// The state of invite `id` in the chair's list.
async fn state_of(chair: &Client, meeting: Uuid, id: Uuid) -> Value {
    let (status, invites) = chair.get(&format!("/api/meetings/{meeting}/invites")).await;
    assert_eq!(status, StatusCode::OK, "{invites}");
    list(&invites).iter().find(|i| i["id"] == id.to_string()).cloned().expect("the invite is listed")
}

/// Polls the list until invite `id` is in `state`.
pub async fn until_state(chair: &Client, meeting: Uuid, id: Uuid, state: &str) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let entry = state_of(chair, meeting, id).await;
        if entry["state"] == state {
            return entry;
        }
        assert!(tokio::time::Instant::now() < deadline, "invite {id} never became {state}: {entry}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn token_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

on_both_backends! {
    async fn every_invite_is_listed_with_its_state_from_not_opened_to_in_the_room_and_its_link(app: TestApp) {
        let demo = app.demo_case().await;
        let (cm, meeting) = (&demo.casemanager, demo.meeting_id);
        let (status, created) = cm.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "guest", "name": "Gerda Gast", "organisation": "Schuldhulpmaatje" })).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let guest_invite = id(&created["invite"]);
        let url = created["url"].as_str().unwrap().to_owned();

        let entry = state_of(cm, meeting, guest_invite).await;
        assert_eq!((entry["state"].as_str(), entry["url"].as_str()), (Some("not_opened"), Some(url.as_str())), "the link stays retrievable");
        assert_eq!(entry["may_email"], false, "no SMTP server in this test");

        let guest = app.anonymous();
        let (status, accepted) = guest.post(&format!("/api/invites/{}/accept", token_of(&url)), json!({ "accept_confidentiality": true })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(state_of(cm, meeting, guest_invite).await["state"], "opened");

        let mut chair = join(&app, token(&app, CASEMANAGER).await, meeting, false).await;
        chair.admitted(PATIENCE).await.expect("the chair enters directly");
        let mut waiting = join(&app, accepted["token"].as_str().unwrap().to_owned(), meeting, false).await;
        until_state(cm, meeting, guest_invite, "lobby").await;
        admit(&mut chair, waiting.id).await;
        waiting.admitted(PATIENCE).await.expect("admitted");
        until_state(cm, meeting, guest_invite, "room").await;
        waiting.leave().await;
        until_state(cm, meeting, guest_invite, "opened").await;

        // A member's invite: he comes in with his account, and the list follows him too.
        let (_, detail) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        let priya = list(&detail["members"]).iter().find(|m| m["user_name"] == "Priya Ramdin").unwrap()["user_id"].clone();
        let (_, member) = cm.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "member", "user_id": priya })).await;
        let probation = app.login(PROBATION).await;
        let (status, _) = probation.post(&format!("/api/invites/{}/accept", token_of(member["url"].as_str().unwrap())), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let mut partner = join(&app, token(&app, PROBATION).await, meeting, false).await;
        admit(&mut chair, partner.id).await;
        partner.admitted(PATIENCE).await.expect("admitted");
        until_state(cm, meeting, id(&member["invite"]), "room").await;
        partner.leave().await;
        chair.leave().await;

        // Expired and revoked.
        let (_, client) = cm.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "client" })).await;
        let (status, _) = cm.delete(&format!("/api/meetings/{meeting}/invites/{}", id(&client["invite"]))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let revoked = state_of(cm, meeting, id(&client["invite"])).await;
        assert_eq!((revoked["state"].as_str(), revoked["url"].is_null()), (Some("revoked"), true), "a dead link is not shown");
        let expires: chrono::DateTime<chrono::Utc> = created["expires_at"].as_str().unwrap().parse().unwrap();
        app.advance(expires - app.now() + Duration::minutes(1));
        let cm = app.login(CASEMANAGER).await;
        let expired = state_of(&cm, meeting, guest_invite).await;
        assert_eq!((expired["state"].as_str(), expired["url"].is_null()), (Some("expired"), true));
    }
}

on_both_backends! {
    async fn re_issuing_gives_a_new_link_and_the_old_one_stops_working(app: TestApp) {
        let demo = app.demo_case().await;
        let (cm, meeting) = (&demo.casemanager, demo.meeting_id);
        let (_, created) = cm.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "client" })).await;
        let old = id(&created["invite"]);
        let old_url = created["url"].as_str().unwrap().to_owned();
        let client = app.anonymous();
        let (status, _) = client.post(&format!("/api/invites/{}/accept", token_of(&old_url)), json!({})).await;
        assert_eq!(status, StatusCode::OK);

        let (status, fresh) = cm.post(&format!("/api/meetings/{meeting}/invites/{old}/reissue"), json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{fresh}");
        let new_url = fresh["url"].as_str().unwrap().to_owned();
        assert_ne!(new_url, old_url);
        assert_eq!((fresh["invite"]["kind"].as_str(), fresh["invite"]["name"].as_str()), (Some("client"), created["invite"]["name"].as_str()));

        assert_eq!(state_of(cm, meeting, old).await["state"], "revoked");
        let entry = state_of(cm, meeting, id(&fresh["invite"])).await;
        assert_eq!((entry["state"].as_str(), entry["url"].as_str()), (Some("not_opened"), Some(new_url.as_str())));
        let (status, _) = client.get(&format!("/api/meetings/{meeting}/plan")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the old link's session ended with it");
        let (status, _) = app.anonymous().post(&format!("/api/invites/{}/accept", token_of(&old_url)), json!({})).await;
        assert_eq!(status, StatusCode::GONE);
        let (status, _) = app.anonymous().post(&format!("/api/invites/{}/accept", token_of(&new_url)), json!({})).await;
        assert_eq!(status, StatusCode::OK);

        let (status, again) = cm.post(&format!("/api/meetings/{meeting}/invites/{old}/reissue"), json!({})).await;
        assert_eq!((status, again["error"].as_str()), (StatusCode::CONFLICT, Some("invite_revoked")));
        let (status, _) = cm.post(&format!("/api/meetings/{meeting}/invites/{}/reissue", Uuid::now_v7()), json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app.login(PROBATION).await.post(&format!("/api/meetings/{meeting}/invites/{}/reissue", id(&fresh["invite"])), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only the chair");
        let (status, _) = app.login(OUTSIDER).await.post(&format!("/api/meetings/{meeting}/invites/{}/reissue", id(&fresh["invite"])), json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a partner not on the case does not learn it exists");
    }
}

on_both_backends! {
    async fn the_printable_sheet_has_the_link_a_qr_code_and_plain_steps_and_is_for_the_chair_only(app: TestApp) {
        let demo = app.demo_case().await;
        let (cm, meeting) = (&demo.casemanager, demo.meeting_id);
        let (_, created) = cm.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "client" })).await;
        let invite = id(&created["invite"]);
        let url = created["url"].as_str().unwrap();
        let sheet = format!("/api/meetings/{meeting}/invites/{invite}/sheet");

        let (status, html) = cm.get_text(&sheet).await;
        assert_eq!(status, StatusCode::OK);
        for expected in [url, "<svg class=\"qr\" role=\"img\"", "Scan de code met de camera", "Wacht tot de voorzitter je binnenlaat", "alleen voor jou"] {
            assert!(html.contains(expected), "the sheet has {expected:?}");
        }
        let (_, english) = cm.get_text(&format!("{sheet}?lang=en")).await;
        assert!(english.contains("Scan the code with the camera"));
        for (who, expected) in [(PROBATION, StatusCode::FORBIDDEN), (OUTSIDER, StatusCode::NOT_FOUND), (ADMIN, StatusCode::NOT_FOUND)] {
            let (status, _) = app.login(who).await.get_text(&sheet).await;
            assert_eq!(status, expected, "{who}");
        }
        let (status, _) = cm.delete(&format!("/api/meetings/{meeting}/invites/{invite}")).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = cm.get_text(&sheet).await;
        assert_eq!(status, StatusCode::GONE, "no sheet for a dead link");

        let (_, trail) = app.login(RIO).await.get(&format!("/api/cases/{}/audit?limit=1000", demo.case_id)).await;
        let sheets = list(&trail).iter().filter(|e| e["action"] == "invite.sheet").count();
        assert_eq!(sheets, 2, "each printed sheet is audited");
    }
}

on_both_backends! {
    async fn without_smtp_e_mailing_says_why_and_sends_nothing(app: TestApp) {
        let demo = app.demo_case().await;
        let (cm, meeting) = (&demo.casemanager, demo.meeting_id);
        let (_, created) = cm.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "guest", "name": "Gerda Gast", "organisation": "Schuldhulpmaatje" })).await;
        let (status, body) = cm.post(&format!("/api/meetings/{meeting}/invites/{}/email", id(&created["invite"])), json!({ "to": "gerda@schuldhulp.example" })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("smtp_off")));
    }
}

on_both_backends! {
    async fn with_smtp_the_link_is_e_mailed_to_the_guest_or_to_the_members_account(app: TestApp) {
        let backend = app.backend;
        drop(app);
        let (app, mails) = crate::obstacles::app_with_smtp(backend).await;
        let demo = app.demo_case().await;
        let (cm, meeting) = (&demo.casemanager, demo.meeting_id);
        let (_, guest) = cm.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "guest", "name": "Gerda Gast", "organisation": "Schuldhulpmaatje" })).await;
        let guest_id = id(&guest["invite"]);
        assert_eq!(state_of(cm, meeting, guest_id).await["may_email"], true);
        let email = |invite: Uuid, body: Value| {
            let cm = cm.clone();
            async move { cm.post(&format!("/api/meetings/{meeting}/invites/{invite}/email"), body).await }
        };

        let (status, body) = email(guest_id, json!({})).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("to")), "a guest's address is needed");
        let (status, body) = email(guest_id, json!({ "to": "geen adres" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = email(guest_id, json!({ "to": "gerda@schuldhulp.example" })).await;
        assert_eq!((status, body["to"].as_str()), (StatusCode::OK, Some("gerda@schuldhulp.example")), "{body}");
        let (_, detail) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        let priya = list(&detail["members"]).iter().find(|m| m["user_name"] == "Priya Ramdin").unwrap()["user_id"].clone();
        let (_, member) = cm.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "member", "user_id": priya })).await;
        let (status, body) = email(id(&member["invite"]), json!({})).await;
        assert_eq!((status, body["to"].as_str()), (StatusCode::OK, Some(PROBATION)), "{body}");

        let deadline = tokio::time::Instant::now() + PATIENCE;
        while mails.lock().unwrap().len() < 2 {
            assert!(tokio::time::Instant::now() < deadline, "both e-mails arrive");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let mails = mails.lock().unwrap().clone();
        for (to, url) in [("gerda@schuldhulp.example", &guest["url"]), (PROBATION, &member["url"])] {
            let mail = mails.iter().find(|m| m.contains(to)).expect("a mail to each");
            let text = crate::obstacles::readable(mail);
            assert!(text.contains(url.as_str().unwrap()), "the mail to {to} has the link: {text}");
            assert!(!text.contains(ketentafel::demo::CLIENT), "no client pseudonym in an e-mail");
        }
        let (status, _) = app.login(PROBATION).await.post(&format!("/api/meetings/{meeting}/invites/{guest_id}/email"), json!({ "to": "x@y.example" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only the chair");
        let (_, trail) = app.login(RIO).await.get(&format!("/api/cases/{}/audit?limit=1000", demo.case_id)).await;
        assert_eq!(list(&trail).iter().filter(|e| e["action"] == "invite.email").count(), 2, "each e-mail is audited");
    }
}
