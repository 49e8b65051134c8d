//! The rules at their boundaries, through the running service on its injected clock: an action
//! blocked exactly seven days or late exactly fourteen days does not escalate; a moment (or a
//! day) later it does, once.

use crate::escalation::run_engine;
use crate::helpers::*;
use crate::on_both_backends;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

/// The reasons of the escalations of one action, as the steering group sees them.
async fn reasons(steering: &Client, action: &str) -> Vec<String> {
    let (_, queue) = steering.get("/api/escalations").await;
    queue
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action_id"] == action)
        .map(|e| e["reason"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends! {
    async fn a_blocked_and_late_action_escalates_exactly_past_each_boundary(app: TestApp) {
        let demo = app.demo_case().await;
        let (_, orgs) = demo.casemanager.get("/api/organisations").await;
        let pi = orgs.as_array().unwrap().iter().find(|o| o["name"] == "PI Dordrecht").map(id).unwrap();
        let due = app.now().date_naive() + Duration::days(10);
        let (status, action) = demo.casemanager.post(&format!("/api/cases/{}/actions", demo.case_id), json!({
            "domain": "id", "description": "Pasfoto's laten maken in de PI", "owner_organisation_id": pi, "due_date": due.to_string(),
        })).await;
        assert_eq!(status, StatusCode::CREATED);
        let action_id = action["id"].as_str().unwrap().to_owned();
        let (status, _) = demo.casemanager.patch(&format!("/api/actions/{action_id}"),
            json!({ "status": "blocked", "note": "Fotograaf komt pas volgende maand" })).await;
        assert_eq!(status, StatusCode::OK);

        app.advance(Duration::days(7));
        let steering = app.login(STEERING).await;
        run_engine(&steering).await;
        assert!(reasons(&steering, &action_id).await.is_empty(), "blocked exactly seven days");
        app.advance(Duration::seconds(1));
        run_engine(&steering).await;
        assert_eq!(reasons(&steering, &action_id).await, ["blocked"]);

        // Fourteen days past the due date, then fifteen (the clock stands at noon).
        app.advance(Duration::days(17) - Duration::seconds(1));
        assert_eq!(app.now().date_naive(), due + Duration::days(14));
        let steering = app.login(STEERING).await;
        run_engine(&steering).await;
        assert_eq!(reasons(&steering, &action_id).await, ["blocked"], "fourteen days late is not yet overdue");
        app.advance(Duration::days(1));
        let steering = app.login(STEERING).await;
        let opened = run_engine(&steering).await;
        assert_eq!(reasons(&steering, &action_id).await, ["blocked", "overdue"]);
        assert!(!opened.is_empty());
        assert!(run_engine(&steering).await.is_empty(), "and never twice");
    }
}
