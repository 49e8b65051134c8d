//! What the administrator's console reads and changes besides accounts: the retention overview
//! (counts and dates only), organisations, and the whole trail with its filters — which never
//! find the client by name.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn actions(trail: &Value) -> Vec<String> {
    trail.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

on_both_backends! {
    async fn the_retention_overview_is_for_the_administrator_and_counts_closed_cases(app: TestApp) {
        for who in [CASEMANAGER, RIO, STEERING] {
            let (status, _) = app.login(who).await.get("/api/admin/retention").await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        }
        let (status, _) = app.anonymous().get("/api/admin/retention").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let admin = app.login(ADMIN).await;
        let (status, before) = admin.get("/api/admin/retention").await;
        assert_eq!(status, StatusCode::OK, "{before}");
        assert_eq!((before["retention_days"].as_i64(), before["cases"].as_i64()), (Some(730), Some(1)), "{before}");
        assert_eq!((before["closed_cases"].as_i64(), before["due_for_deletion"].as_i64()), (Some(0), Some(0)));
        assert!(before["next_deletion_at"].is_null() && before["last_deletion_at"].is_null(), "{before}");
        assert!(!before.to_string().contains("fictief"), "no client in the overview: {before}");

        let demo = app.demo_case().await;
        let (status, _) = demo.casemanager.post(&format!("/api/cases/{}/close", demo.case_id), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let closed_at = app.now();
        let (_, after) = admin.get("/api/admin/retention").await;
        assert_eq!((after["closed_cases"].as_i64(), after["due_for_deletion"].as_i64()), (Some(1), Some(0)), "{after}");
        let next: chrono::DateTime<chrono::Utc> = after["next_deletion_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(next, closed_at + chrono::Duration::days(730));

        // Past the period the overview says the next run deletes it; after the run, that it did.
        app.advance(chrono::Duration::days(731));
        let admin = app.login(ADMIN).await;
        let (_, due) = admin.get("/api/admin/retention").await;
        assert_eq!(due["due_for_deletion"].as_i64(), Some(1), "{due}");
        let (status, ran) = admin.post("/api/admin/retention/run", json!({})).await;
        assert_eq!((status, ran["cases"].as_i64()), (StatusCode::OK, Some(1)), "{ran}");
        let (_, done) = admin.get("/api/admin/retention").await;
        assert_eq!((done["cases"].as_i64(), done["closed_cases"].as_i64(), done["deleted_cases"].as_i64()), (Some(0), Some(0), Some(1)), "{done}");
        assert!(done["last_deletion_at"].is_string(), "{done}");
    }
}

on_both_backends! {
    async fn the_whole_trail_filters_by_actor_case_action_and_time_but_never_finds_the_client(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        // The client comes in with his invite: his reads are in the trail, under his invite.
        let (_, invite) = cm.post(&format!("/api/meetings/{}/invites", demo.meeting_id), json!({ "kind": "client" })).await;
        let token = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let client = app.anonymous();
        let (status, _) = client.post(&format!("/api/invites/{token}/accept"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = client.get(&format!("/api/meetings/{}/plan", demo.meeting_id)).await;
        assert_eq!(status, StatusCode::OK);
        let since = app.now();
        app.advance(chrono::Duration::minutes(5));
        let (_, _) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;

        let admin = app.login(ADMIN).await;
        let (status, by_actor) = admin.get("/api/admin/audit?actor=inge%20de%20WIT").await;
        assert_eq!(status, StatusCode::OK, "{by_actor}");
        let rows = by_actor.as_array().unwrap();
        assert!(!rows.is_empty() && rows.iter().all(|e| e["actor_label"].as_str().unwrap().contains("Inge de Wit")), "{by_actor}");

        // Searching for the client's pseudonym finds nothing, though his invite's rows exist.
        let (_, all) = admin.get("/api/admin/audit?limit=1000").await;
        assert!(all.as_array().unwrap().iter().any(|e| e["actor_label"] == "cliënt"), "the client's rows are there, by kind");
        assert!(!all.to_string().contains("Daan"), "the administrator never reads the client's name");
        let (_, by_name) = admin.get("/api/admin/audit?actor=Daan").await;
        assert_eq!(by_name.as_array().unwrap().len(), 0, "{by_name}");
        // A LIKE wildcard is taken literally.
        let (_, wildcard) = admin.get("/api/admin/audit?actor=%25").await;
        assert_eq!(wildcard.as_array().unwrap().len(), 0, "{wildcard}");

        let (_, by_case) = admin.get(&format!("/api/admin/audit?case_id={}&action=case.read&limit=1000", demo.case_id)).await;
        let rows = by_case.as_array().unwrap();
        assert!(!rows.is_empty(), "{by_case}");
        assert!(rows.iter().all(|e| e["case_id"] == demo.case_id.to_string() && e["action"] == "case.read"), "{by_case}");

        let from = (since + chrono::Duration::minutes(1)).to_rfc3339().replace('+', "%2B");
        let (_, recent) = admin.get(&format!("/api/admin/audit?from={from}&action=case.")).await;
        assert_eq!(actions(&recent), vec!["case.read".to_owned()], "only the read after `from`: {recent}");
        let (_, earlier) = admin.get(&format!("/api/admin/audit?before={from}&action=case.read")).await;
        assert!(!earlier.as_array().unwrap().is_empty() && earlier.as_array().unwrap().iter().all(|e| e["at"].as_str().unwrap() < recent[0]["at"].as_str().unwrap()));

        // The search itself is in the trail, with what was looked for.
        let (_, trail) = admin.get("/api/admin/audit?action=audit.read_all&limit=1000").await;
        assert!(trail.as_array().unwrap().iter().any(|e| e["detail"].as_str().is_some_and(|d| d.contains("actor ~ Daan"))), "{trail}");

        let (status, _) = cm.get("/api/admin/audit?actor=Inge").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = admin.get("/api/admin/audit?case_id=not-a-uuid").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
}

on_both_backends! {
    async fn the_administrator_renames_an_organisation_and_only_he_does(app: TestApp) {
        let admin = app.login(ADMIN).await;
        let (status, created) = admin.post("/api/admin/organisations", json!({ "name": "Leger des Heils Drechtsteden", "kind": "other" })).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let path = format!("/api/admin/organisations/{}", id(&created));
        let (status, _) = app.login(RIO).await.patch(&path, json!({ "name": "Overgenomen" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = admin.patch(&path, json!({ "name": "Woonbron" })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("name_taken")), "{body}");
        let (status, body) = admin.patch(&path, json!({ "name": " " })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = admin.patch(&path, json!({ "kind": "pi" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the kind stays: {body}");
        let (status, body) = admin.patch(&format!("/api/admin/organisations/{}", uuid::Uuid::now_v7()), json!({ "name": "Niemand" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

        let (status, renamed) = admin.patch(&path, json!({ "name": "Leger des Heils Zuid-Holland Zuid" })).await;
        assert_eq!((status, renamed["name"].as_str(), renamed["kind"].as_str()), (StatusCode::OK, Some("Leger des Heils Zuid-Holland Zuid"), Some("other")), "{renamed}");
        let (_, orgs) = admin.get("/api/organisations").await;
        assert!(orgs.as_array().unwrap().iter().any(|o| o["name"] == "Leger des Heils Zuid-Holland Zuid"));
        let (_, trail) = admin.get("/api/admin/audit?action=organisation.update").await;
        assert_eq!(trail[0]["detail"].as_str(), Some("renamed from Leger des Heils Drechtsteden"), "{trail}");
    }
}
