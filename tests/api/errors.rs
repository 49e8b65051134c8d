//! Bad input gets a clear 4xx with `{ "error", "message" }`, never a 500, and changes nothing.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn raw(
    client: &Client,
    method: reqwest::Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = client.http.request(method, format!("{}{path}", client.base)).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

on_both_backends! {
    async fn malformed_requests_get_a_clear_4xx_and_change_nothing(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let (_, before) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        let entry = format!("/api/meetings/{}/domains/housing", demo.meeting_id);
        let actions = format!("/api/cases/{}/actions", demo.case_id);
        let put = reqwest::Method::PUT;
        let post = reqwest::Method::POST;

        let cases: Vec<(&str, (StatusCode, Value), u16, &str)> = vec![
            ("malformed JSON", raw(cm, put.clone(), &entry, Some("application/json"), b"{\"situation\": ".to_vec()).await, 400, "bad_request"),
            ("not JSON at all", raw(cm, put.clone(), &entry, Some("text/plain"), b"situation".to_vec()).await, 415, "unsupported_media_type"),
            ("an unknown domain", cm.put(&format!("/api/meetings/{}/domains/finance", demo.meeting_id), json!({ "situation": "x" })).await, 400, "bad_request"),
            ("a field of the wrong type", cm.put(&entry, json!({ "situation": 42 })).await, 422, "invalid"),
            ("an unknown field", cm.put(&entry, json!({ "situatie": "x" })).await, 422, "invalid"),
            ("a date in the wrong format", cm.post(&actions, json!({ "domain": "housing", "description": "x", "owner_organisation_id": demo.housing_org, "due_date": "31-12-2026" })).await, 422, "invalid"),
            ("a due date in the past", cm.post(&actions, json!({ "domain": "housing", "description": "x", "owner_organisation_id": demo.housing_org, "due_date": "2020-01-01" })).await, 422, "invalid"),
            ("an owner that is not on the case", cm.post(&actions, json!({ "domain": "housing", "description": "x", "owner_organisation_id": uuid::Uuid::now_v7(), "due_date": "2099-01-01" })).await, 422, "invalid"),
            ("a body over the limit", raw(cm, put.clone(), &entry, Some("application/json"), serde_json::to_vec(&json!({ "situation": "x".repeat(100_000) })).unwrap()).await, 413, "payload_too_large"),
            ("a text over its length limit", cm.put(&entry, json!({ "client_wish": "x".repeat(4_001) })).await, 422, "invalid"),
            ("an unknown case", cm.get(&format!("/api/cases/{}", uuid::Uuid::now_v7())).await, 404, "not_found"),
            ("an id that is not a UUID", cm.get("/api/cases/123").await, 400, "bad_request"),
            ("an unknown API path", cm.get("/api/nothing-here").await, 404, "not_found"),
            ("an unknown action", cm.patch(&format!("/api/actions/{}", uuid::Uuid::now_v7()), json!({ "status": "done" })).await, 404, "not_found"),
            ("an unknown status", cm.patch(&format!("/api/actions/{}", uuid::Uuid::now_v7()), json!({ "status": "finished" })).await, 422, "invalid"),
            ("a pseudonym that looks like a BSN", cm.post("/api/cases", json!({ "client_pseudonym": "123456782", "prison_id": uuid::Uuid::now_v7(), "detention_start": "2026-01-01", "expected_release": "2026-06-01", "municipality_id": uuid::Uuid::now_v7() })).await, 422, "invalid"),
            ("a conference in the year 262142", cm.post(&format!("/api/cases/{}/meetings", demo.case_id), json!({ "scheduled_at": "+262142-12-31T23:00:00Z", "purpose": "x" })).await, 422, "invalid"),
            ("an empty login", raw(&app.anonymous(), post.clone(), "/api/session", Some("application/json"), b"{}".to_vec()).await, 422, "invalid"),
        ];
        for (what, (status, body), expected, code) in cases {
            assert_eq!(status.as_u16(), expected, "{what}: {body}");
            assert_eq!(body["error"], code, "{what}: {body}");
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what} explains itself: {body}");
        }

        let (status, _) = cm.get("/api/escalations?min_age_days=4294967295").await;
        assert_eq!(status, StatusCode::OK, "an absurd age filter is just a filter");
        let (_, after) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(before["actions"], after["actions"], "no action was added or changed");
        let (_, page) = cm.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
        let housing = page["minutes"]["domains"].as_array().unwrap().iter().find(|d| d["domain"] == "housing").unwrap();
        assert_eq!(housing["revision"], 0, "the minutes were not written");
    }
}

on_both_backends! {
    async fn a_blocked_action_needs_a_note_saying_what_blocks_it(app: TestApp) {
        let demo = app.demo_case().await;
        let (_, actions) = demo.casemanager.get(&format!("/api/cases/{}/actions", demo.case_id)).await;
        let open = actions.as_array().unwrap().iter().find(|a| a["status"] == "open" && a["owner_is_client"] == false).map(id).unwrap();
        let (status, body) = demo.casemanager.patch(&format!("/api/actions/{open}"), json!({ "status": "blocked" })).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
        let (status, body) = demo.casemanager.patch(&format!("/api/actions/{open}"), json!({ "status": "blocked", "note": "Wacht op DigiD" })).await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("blocked")));
    }
}

on_both_backends! {
    async fn a_conference_in_the_year_2000_or_years_ahead_is_refused_naming_the_field(app: TestApp) {
        let demo = app.demo_case().await;
        let path = format!("/api/cases/{}/meetings", demo.case_id);
        let days = chrono::Duration::days;
        for when in ["2000-01-01T09:00:00Z".to_owned(), (app.now() - days(2)).to_rfc3339(), (app.now() + days(3 * 365)).to_rfc3339()] {
            let (status, body) = demo.casemanager.post(&path, json!({ "scheduled_at": when, "purpose": "Netwerkberaad" })).await;
            assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("scheduled_at")), "{when}: {body}");
        }
        for when in [app.now() - chrono::Duration::hours(2), app.now() + days(600)] {
            let (status, body) = demo.casemanager.post(&path, json!({ "scheduled_at": when.to_rfc3339(), "purpose": "Netwerkberaad" })).await;
            assert_eq!(status, StatusCode::CREATED, "{when}: {body}");
        }
    }
}

on_both_backends! {
    async fn names_with_a_right_to_left_override_or_other_invisible_characters_are_refused(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let (_, orgs) = cm.get("/api/organisations").await;
        let org = |kind: &str| orgs.as_array().unwrap().iter().find(|o| o["kind"] == kind).map(id).unwrap();
        let today = app.now().date_naive();
        let case = |pseudonym: &str| json!({
            "client_pseudonym": pseudonym, "prison_id": org("pi"), "municipality_id": org("municipality"),
            "detention_start": (today - chrono::Duration::days(30)).to_string(),
            "expected_release": (today + chrono::Duration::days(45)).to_string(),
        });
        let invites = format!("/api/meetings/{}/invites", demo.meeting_id);
        let meetings = format!("/api/cases/{}/meetings", demo.case_id);
        let soon = (app.now() + chrono::Duration::days(7)).to_rfc3339();
        let admin = app.login(ADMIN).await;
        let cases: Vec<(&str, (StatusCode, Value), &str)> = vec![
            ("a right-to-left override in a pseudonym", cm.post("/api/cases", case("Daan \u{202E}exe.cod")).await, "client_pseudonym"),
            ("an isolate in a pseudonym", cm.post("/api/cases", case("Daan \u{2067}V.\u{2069}")).await, "client_pseudonym"),
            ("a zero-width space in a pseudonym", cm.post("/api/cases", case("Daan\u{200B} V.")).await, "client_pseudonym"),
            ("a line break in a pseudonym", cm.post("/api/cases", case("Daan\nV.")).await, "client_pseudonym"),
            ("an override in a guest's name", cm.post(&invites, json!({ "kind": "guest", "name": "Gerda \u{202E}tsaG", "organisation": "Woonbron" })).await, "name"),
            ("an override in a guest's organisation", cm.post(&invites, json!({ "kind": "guest", "name": "Gerda Gast", "organisation": "\u{202D}Woonbron" })).await, "organisation"),
            ("an override in a purpose", cm.post(&meetings, json!({ "scheduled_at": soon, "purpose": "Beraad \u{202E}" })).await, "purpose"),
            ("a direction mark in an account's name", admin.post("/api/admin/users", json!({ "organisation_id": org("pi"), "name": "Nina\u{200F} Nieuw", "email": "nina@pi.example", "role": "partner" })).await, "name"),
            ("an override in an organisation's name", admin.post("/api/admin/organisations", json!({ "name": "PI \u{202E}tsoO", "kind": "pi" })).await, "name"),
        ];
        for (what, (status, body), field) in cases {
            assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{what}: {body}");
        }
        let (status, body) = cm.post("/api/cases", case("Zoë Özdemir-مریم (fictief)")).await;
        assert_eq!(status, StatusCode::CREATED, "names in any script are fine: {body}");
    }
}
