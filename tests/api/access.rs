//! The authorisation matrix: every role (and the invitees, and nobody) against every endpoint
//! of a case, on the demo case. Need-to-know: whoever is not on a case gets 404 for it.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What an actor must get: an exact status, or "allowed" (the request passed authorisation;
/// a 409 or 422 on a deliberately repeated write counts, as it shows the rules let it through).
#[derive(Debug, Clone, Copy)]
enum Expect {
    Allowed,
    Status(u16),
}
use Expect::*;

const ACTORS: [&str; 10] =
    ["casemanager", "rio", "probation", "housing", "outsider", "steering", "admin", "guest", "client", "nobody"];

struct Row {
    what: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
    expect: [Expect; 10],
}

on_both_backends! {
    async fn every_role_gets_exactly_what_design_md_allows(app: TestApp) {
        let demo = app.demo_case().await;
        let (case, meeting) = (demo.case_id, demo.meeting_id);
        let cm = &demo.casemanager;

        // Invitees: a guest from the housing corporation and the client, each in their own browser.
        let guest = app.anonymous();
        let (_, invite) = cm.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "guest", "name": "Gast Tester", "organisation": "Woonbron" })).await;
        let token = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let (status, _) = guest.post(&format!("/api/invites/{token}/accept"), json!({ "accept_confidentiality": true })).await;
        assert_eq!(status, StatusCode::OK);
        let client = app.anonymous();
        let (_, invite) = cm.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "client" })).await;
        let token = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let (status, _) = client.post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!(status, StatusCode::OK);

        let clients = [
            cm.clone(),
            app.login(RIO).await,
            app.login(PROBATION).await,
            app.login(HOUSING).await,
            app.login(OUTSIDER).await,
            app.login(STEERING).await,
            app.login(ADMIN).await,
            guest,
            client,
            app.anonymous(),
        ];

        let (_, detail) = cm.get(&format!("/api/cases/{case}")).await;
        let housing_action = detail["actions"].as_array().unwrap().iter().find(|a| a["domain"] == "housing").map(id).unwrap();
        let wouter = detail["members"].as_array().unwrap().iter().find(|m| m["user_name"] == "Wouter Hendriks").unwrap()["user_id"].clone();
        let due = (app.now().date_naive() + chrono::Duration::days(10)).to_string();
        let housing_org = demo.housing_org;

        let rows = vec![
            Row { what: "read the case", method: Method::GET, path: format!("/api/cases/{case}"), body: None,
                expect: [Status(200), Status(200), Status(200), Status(200), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "list the case's actions", method: Method::GET, path: format!("/api/cases/{case}/actions"), body: None,
                expect: [Status(200), Status(200), Status(200), Status(200), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "put someone on the case", method: Method::POST, path: format!("/api/cases/{case}/members"), body: Some(json!({ "user_id": wouter, "reason": "Woonbron zoekt een kamer" })),
                expect: [Status(409), Status(409), Status(403), Status(403), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "schedule a conference", method: Method::POST, path: format!("/api/cases/{case}/meetings"),
                // The second allowed caller books the same slot again: 409 meeting_overlaps.
                body: Some(json!({ "scheduled_at": (app.now() + chrono::Duration::days(30)).to_rfc3339(), "purpose": "Matrix" })),
                expect: [Allowed, Allowed, Status(403), Status(403), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "read the conference", method: Method::GET, path: format!("/api/meetings/{meeting}"), body: None,
                expect: [Status(200), Status(200), Status(200), Status(200), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "read the client's plan", method: Method::GET, path: format!("/api/meetings/{meeting}/plan"), body: None,
                expect: [Status(200), Status(200), Status(200), Status(200), Status(404), Status(404), Status(404), Status(403), Status(200), Status(401)] },
            Row { what: "print the minutes", method: Method::GET, path: format!("/api/meetings/{meeting}/minutes"), body: None,
                expect: [Status(200), Status(200), Status(200), Status(200), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "write the minutes", method: Method::PUT, path: format!("/api/meetings/{meeting}/domains/housing"), body: Some(json!({ "situation": "Matrix" })),
                expect: [Status(200), Status(200), Status(403), Status(403), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "record an action in the conference", method: Method::POST, path: format!("/api/cases/{case}/actions"),
                body: Some(json!({ "domain": "housing", "description": "Matrix", "owner_organisation_id": housing_org, "due_date": due, "meeting_id": meeting })),
                expect: [Status(201), Status(201), Status(403), Status(403), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "update the housing corporation's action", method: Method::PATCH, path: format!("/api/actions/{housing_action}"), body: Some(json!({ "note": "Matrix" })),
                expect: [Status(200), Status(200), Status(403), Status(200), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "see the invites", method: Method::GET, path: format!("/api/meetings/{meeting}/invites"), body: None,
                expect: [Status(200), Status(200), Status(403), Status(403), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "invite a guest", method: Method::POST, path: format!("/api/meetings/{meeting}/invites"), body: Some(json!({ "kind": "guest", "name": "X", "organisation": "Y" })),
                expect: [Status(201), Status(201), Status(403), Status(403), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "read the audit trail", method: Method::GET, path: format!("/api/cases/{case}/audit"), body: None,
                expect: [Status(403), Status(200), Status(403), Status(403), Status(404), Status(404), Status(200), Status(403), Status(403), Status(401)] },
            Row { what: "list accounts", method: Method::GET, path: "/api/admin/users".into(), body: None,
                expect: [Status(403), Status(403), Status(403), Status(403), Status(403), Status(403), Status(200), Status(403), Status(403), Status(401)] },
            Row { what: "create an organisation", method: Method::POST, path: "/api/admin/organisations".into(), body: Some(json!({ "name": "PI Dordrecht", "kind": "pi" })),
                expect: [Status(403), Status(403), Status(403), Status(403), Status(403), Status(403), Allowed, Status(403), Status(403), Status(401)] },
            Row { what: "open a case", method: Method::POST, path: "/api/cases".into(), body: Some(json!({ "client_pseudonym": "", "prison_id": case, "detention_start": "2026-01-01", "expected_release": "2026-06-01", "municipality_id": case })),
                expect: [Status(422), Status(422), Status(403), Status(403), Status(403), Status(403), Status(403), Status(403), Status(403), Status(401)] },
            Row { what: "move the conference", method: Method::PATCH, path: format!("/api/meetings/{meeting}"),
                body: Some(json!({ "scheduled_at": (app.now() + chrono::Duration::days(40)).to_rfc3339() })),
                expect: [Status(200), Status(200), Status(403), Status(403), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "download the minutes PDF before finalising", method: Method::GET, path: format!("/api/meetings/{meeting}/minutes.pdf"), body: None,
                expect: [Status(409), Status(409), Status(409), Status(409), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
            Row { what: "finalise the minutes", method: Method::POST, path: format!("/api/meetings/{meeting}/finalise"), body: Some(json!({})),
                expect: [Allowed, Allowed, Status(403), Status(403), Status(404), Status(404), Status(404), Status(403), Status(403), Status(401)] },
        ];

        let mut failures = Vec::new();
        for row in &rows {
            // The chair's write is last, so the others meet the same state.
            for (index, http) in clients.iter().enumerate().rev() {
                let (status, body) = http.request(row.method.clone(), &row.path, row.body.clone()).await;
                let ok = match row.expect[index] {
                    Allowed => ![401, 403, 404].contains(&status.as_u16()) && !status.is_server_error(),
                    Status(code) => status.as_u16() == code,
                };
                if !ok {
                    failures.push(format!("{} as {}: expected {:?}, got {status} {body}", row.what, ACTORS[index], row.expect[index]));
                }
                if !status.is_success() {
                    assert!(body["error"].is_string() && body["message"].is_string(), "{} as {}: error body {body}", row.what, ACTORS[index]);
                }
            }
        }
        assert!(failures.is_empty(), "authorisation matrix mismatches:\n{}", failures.join("\n"));

        // The outsider does not even see the case in the list.
        let (_, listed) = clients[4].get("/api/cases").await;
        assert_eq!(listed, json!([]));
    }
}

on_both_backends! {
    async fn a_client_invite_opens_only_its_own_conference(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let (_, other) = cm.post(&format!("/api/cases/{}/meetings", demo.case_id), json!({ "scheduled_at": (app.now() + chrono::Duration::days(30)).to_rfc3339(), "purpose": "Ander beraad" })).await;
        let (_, invite) = cm.post(&format!("/api/meetings/{}/invites", demo.meeting_id), json!({ "kind": "client" })).await;
        let token = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let client = app.anonymous();
        let (status, _) = client.post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = client.get(&format!("/api/meetings/{}/plan", demo.meeting_id)).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = client.get(&format!("/api/meetings/{}/plan", id(&other))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another conference of the same case stays invisible");
        let (status, _) = client.get("/api/cases").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}
