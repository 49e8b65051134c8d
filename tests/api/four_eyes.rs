//! No single administrator can get into case content: new accounts, password resets and rights
//! that open cases wait for a second administrator, the holder chooses his own password with a
//! one-time link, and the administrator's trail names cases by id only.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// The id of an account, by e-mail address, as the administrator lists them.
async fn account(admin: &Client, email: &str) -> Uuid {
    let (_, users) = admin.get("/api/admin/users").await;
    users.as_array().unwrap().iter().find(|u| u["email"] == email).map(id).unwrap()
}

/// The trail the administrator reads.
async fn admin_trail(app: &TestApp) -> Vec<Value> {
    let (status, trail) = app.login(ADMIN).await.get("/api/admin/audit?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    trail.as_array().unwrap().clone()
}

fn has_line(trail: &[Value], action: &str, user: Uuid) -> bool {
    trail.iter().any(|e| e["action"] == action && e["subject_id"] == user.to_string())
}

on_both_backends! {
    async fn an_administrator_alone_cannot_get_into_a_case_through_a_new_coordinator_account(app: TestApp) {
        let demo = app.demo_case().await;
        let admin = app.login(ADMIN).await;
        let municipality = app.organisation("Gemeente Dordrecht").await;

        let (status, request) = admin.post("/api/admin/users", json!({ "organisation_id": municipality, "name": "Kees Kwaad", "email": "kees@gemeente-dordrecht.example", "role": "coordinator" })).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{request}");
        let text = request.to_string();
        assert!(!text.contains("password") && request["activation_url"].is_null(), "nothing to log in with: {request}");
        assert_eq!((request["kind"].as_str(), request["approved"].as_bool()), (Some("create"), None));
        let (status, body) = admin.post(&format!("/api/admin/requests/{}/approve", id(&request)), json!({})).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("four_eyes")), "{body}");

        let (status, _) = app.login(RIO).await.post(&format!("/api/admin/requests/{}/approve", id(&request)), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only an administrator decides");
        let (_, pending) = admin.get("/api/admin/requests?pending=true").await;
        assert!(pending.as_array().unwrap().iter().any(|r| r["id"] == request["id"]), "it waits: {pending}");
        for guess in ["demo", "", "kees@gemeente-dordrecht.example"] {
            let (status, _) = app.anonymous().post("/api/session", json!({ "email": "kees@gemeente-dordrecht.example", "password": guess })).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let user = request["user_id"].as_str().unwrap().parse().unwrap();
        assert!(has_line(&admin_trail(&app).await, "account.create_requested", user));
        let (status, _) = demo.casemanager.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(status, StatusCode::OK);
    }
}

on_both_backends! {
    async fn a_second_administrator_approves_and_the_holder_activates_his_link_once(app: TestApp) {
        let demo = app.demo_case().await;
        let admin = app.login(ADMIN).await;
        let municipality = app.organisation("Gemeente Dordrecht").await;
        let (_, request) = admin.post("/api/admin/users", json!({ "organisation_id": municipality, "name": "Kim Nieuw", "email": "kim@gemeente-dordrecht.example", "role": "coordinator" })).await;
        let user: Uuid = request["user_id"].as_str().unwrap().parse().unwrap();

        let (status, approved) = app.login(SECOND_ADMIN).await.post(&format!("/api/admin/requests/{}/approve", id(&request)), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!(approved["request"]["approved"].as_bool(), Some(true));
        let token = link_token(&approved);
        let (status, body) = app.login(SECOND_ADMIN).await.post(&format!("/api/admin/requests/{}/approve", id(&request)), json!({})).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("already_decided")));

        let kim = app.anonymous();
        let (status, _) = kim.post("/api/activation", json!({ "token": token, "new_password": "kort" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a short password is refused and the link still works");
        let (status, _) = kim.post("/api/activation", json!({ "token": token, "new_password": "mijn eigen lange wachtwoord" })).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = kim.post("/api/activation", json!({ "token": token, "new_password": "een ander lang wachtwoord" })).await;
        assert_eq!(status, StatusCode::GONE, "the link works once");
        let (status, _) = kim.post("/api/session", json!({ "email": "kim@gemeente-dordrecht.example", "password": "mijn eigen lange wachtwoord" })).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = kim.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(status, StatusCode::OK, "a coordinator of the municipality sees its case");

        let trail = admin_trail(&app).await;
        for action in ["account.create_requested", "account.request_approved", "account.activation_link_issued", "account.activate"] {
            assert!(has_line(&trail, action, user), "{action} is in the trail");
        }
    }
}

on_both_backends! {
    async fn a_password_reset_shows_the_administrator_no_password_and_locks_the_account_until_its_holder_activates(app: TestApp) {
        let demo = app.demo_case().await;
        let admin = app.login(ADMIN).await;
        let casemanager = account(&admin, CASEMANAGER).await;

        let (status, request) = admin.post(&format!("/api/admin/users/{casemanager}/reset"), json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{request}");
        assert!(!request.to_string().contains("password") && request["activation_url"].is_null(), "{request}");
        assert_eq!(demo.casemanager.get("/api/me").await.0, StatusCode::UNAUTHORIZED, "every session ends");
        let (status, _) = app.anonymous().post("/api/session", json!({ "email": CASEMANAGER, "password": "demo" })).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password no longer works");
        let (status, body) = admin.post(&format!("/api/admin/requests/{}/approve", id(&request)), json!({})).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("four_eyes")));

        let (status, approved) = app.login(SECOND_ADMIN).await.post(&format!("/api/admin/requests/{}/approve", id(&request)), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        let holder = app.anonymous();
        let (status, _) = holder.post("/api/activation", json!({ "token": link_token(&approved), "new_password": "weer mijn eigen wachtwoord" })).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = holder.post("/api/session", json!({ "email": CASEMANAGER, "password": "weer mijn eigen wachtwoord" })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(holder.get(&format!("/api/cases/{}", demo.case_id)).await.0, StatusCode::OK);

        let trail = admin_trail(&app).await;
        for action in ["account.reset_requested", "account.request_approved", "account.activation_link_issued", "account.activate"] {
            assert!(has_line(&trail, action, casemanager), "{action} is in the trail");
        }
    }
}

on_both_backends! {
    async fn an_activation_link_stops_working_after_a_day(app: TestApp) {
        let admin = app.login(ADMIN).await;
        let rio = account(&admin, RIO).await;
        let (_, request) = admin.post(&format!("/api/admin/users/{rio}/reset"), json!({})).await;
        let (_, approved) = app.login(SECOND_ADMIN).await.post(&format!("/api/admin/requests/{}/approve", id(&request)), json!({})).await;
        app.advance(chrono::Duration::hours(25));
        let (status, _) = app.anonymous().post("/api/activation", json!({ "token": link_token(&approved), "new_password": "te laat gekozen wachtwoord" })).await;
        assert_eq!(status, StatusCode::GONE);
        let (status, _) = app.anonymous().post("/api/session", json!({ "email": RIO, "password": "te laat gekozen wachtwoord" })).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

on_both_backends! {
    async fn a_role_that_opens_cases_takes_effect_only_when_a_second_administrator_approves(app: TestApp) {
        let demo = app.demo_case().await;
        let admin = app.login(ADMIN).await;
        let outsider = app.login(OUTSIDER).await;
        let sanne = account(&admin, OUTSIDER).await;
        let municipality = app.organisation("Gemeente Dordrecht").await;

        let (status, changed) = admin.patch(&format!("/api/admin/users/{sanne}"), json!({ "role": "coordinator", "organisation_id": municipality })).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["user"]["role"], "partner", "nothing changed yet");
        assert_eq!(changed["request"]["kind"], "change");
        assert_eq!(outsider.get(&format!("/api/cases/{}", demo.case_id)).await.0, StatusCode::NOT_FOUND);
        let (status, _) = admin.post(&format!("/api/admin/requests/{}/approve", id(&changed["request"])), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(outsider.get(&format!("/api/cases/{}", demo.case_id)).await.0, StatusCode::NOT_FOUND);

        let (status, approved) = app.login(SECOND_ADMIN).await.post(&format!("/api/admin/requests/{}/approve", id(&changed["request"])), json!({})).await;
        assert_eq!((status, approved["activation_url"].as_str()), (StatusCode::OK, None), "{approved}");
        assert_eq!(outsider.get(&format!("/api/cases/{}", demo.case_id)).await.0, StatusCode::OK);
        let trail = admin_trail(&app).await;
        assert!(has_line(&trail, "account.change_requested", sanne) && has_line(&trail, "account.request_approved", sanne));
    }
}

on_both_backends! {
    async fn a_withdrawn_new_account_never_gets_a_link(app: TestApp) {
        let admin = app.login(ADMIN).await;
        let (_, request) = admin.post("/api/admin/users", json!({ "organisation_id": app.organisation("Woonbron").await, "name": "Nina Nieuw", "email": "nina@woonbron.example", "role": "partner" })).await;
        let (status, withdrawn) = admin.post(&format!("/api/admin/requests/{}/reject", id(&request)), json!({})).await;
        assert_eq!((status, withdrawn["approved"].as_bool()), (StatusCode::OK, Some(false)), "{withdrawn}");
        let (status, _) = app.login(SECOND_ADMIN).await.post(&format!("/api/admin/requests/{}/approve", id(&request)), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (_, users) = admin.get("/api/admin/users").await;
        let nina = users.as_array().unwrap().iter().find(|u| u["email"] == "nina@woonbron.example").unwrap().clone();
        assert_eq!(nina["active"], false);
    }
}

on_both_backends! {
    async fn the_administrators_trail_names_cases_by_id_and_never_the_client(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        for body in [json!({ "kind": "client" }), json!({ "kind": "guest", "name": "Gert Gast", "organisation": "Leger des Heils" })] {
            let (_, invite) = cm.post(&format!("/api/meetings/{}/invites", demo.meeting_id), body).await;
            let token = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
            let holder = app.anonymous();
            let (status, _) = holder.post(&format!("/api/invites/{token}/accept"), json!({ "accept_confidentiality": true })).await;
            assert_eq!(status, StatusCode::OK);
            holder.get(&format!("/api/meetings/{}/plan", demo.meeting_id)).await;
        }
        let (_, case) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        let pseudonym = case["client_pseudonym"].as_str().unwrap().to_owned();
        let (_, team_trail) = app.login(RIO).await.get(&format!("/api/cases/{}/audit", demo.case_id)).await;
        assert!(team_trail.to_string().contains(&pseudonym), "the case team's own trail may name the client");

        let trail = admin_trail(&app).await;
        assert!(!Value::Array(trail.clone()).to_string().contains(&pseudonym), "no pseudonym anywhere in what the administrator reads");
        let by_invite: Vec<&Value> = trail.iter().filter(|e| e["actor_kind"] == "invite").collect();
        assert!(by_invite.iter().any(|e| e["actor_label"] == "cliënt" && e["case_id"] == demo.case_id.to_string()), "{by_invite:?}");
        assert!(by_invite.iter().all(|e| e["actor_label"] == "cliënt" || e["actor_label"] == "gast"), "{by_invite:?}");
    }
}

on_both_backends! {
    async fn with_smtp_the_activation_link_goes_to_the_holder_alone(app: TestApp) {
        let backend = app.backend;
        drop(app);
        let (app, mails) = crate::obstacles::app_with_smtp(backend).await;
        let admin = app.login(ADMIN).await;
        let (_, request) = admin.post("/api/admin/users", json!({ "organisation_id": app.organisation("Woonbron").await, "name": "Nina Nieuw", "email": "nina@woonbron.example", "role": "partner" })).await;
        let (status, approved) = app.login(SECOND_ADMIN).await.post(&format!("/api/admin/requests/{}/approve", id(&request)), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!((approved["activation_url"].as_str(), approved["link_sent_to_holder"].as_bool()), (None, Some(true)), "no administrator sees the link");

        let mail = mails.lock().unwrap().iter().find(|m| m.contains("nina@woonbron.example")).cloned().expect("an e-mail to the holder");
        let text = crate::obstacles::readable(&mail);
        let token: String = text.split("/activate/").nth(1).expect("the link is in the mail").chars().take(43).collect();
        let nina = app.anonymous();
        let (status, page) = nina.get_text(&format!("/activate/{token}")).await;
        assert!(status == StatusCode::OK && page.contains("/js/app.js"), "the link opens the client's activation page: {page}");
        let (status, _) = nina.post("/api/activation", json!({ "token": token, "new_password": "mijn eigen lange wachtwoord" })).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = nina.post("/api/session", json!({ "email": "nina@woonbron.example", "password": "mijn eigen lange wachtwoord" })).await;
        assert_eq!(status, StatusCode::OK);
    }
}
