//! The administrator's trail names cases by id only.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The trail the administrator reads.
async fn admin_trail(app: &TestApp) -> Vec<Value> {
    let (status, trail) = app.login(ADMIN).await.get("/api/admin/audit?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    trail.as_array().unwrap().clone()
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
