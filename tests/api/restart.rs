//! Nothing is lost across a restart: data, and even the sessions that were open.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends! {
    async fn a_restart_keeps_cases_minutes_actions_and_sessions(app: TestApp) {
        let demo = app.demo_case().await;
        let (status, _) = demo.casemanager.put(&format!("/api/meetings/{}/domains/work_income", demo.meeting_id),
            json!({ "situation": "Uitkering aangevraagd", "client_wish": "Werken in de logistiek" })).await;
        assert_eq!(status, StatusCode::OK);
        let (_, before) = demo.casemanager.get(&format!("/api/cases/{}", demo.case_id)).await;

        let app = app.restart().await;
        // The browser's cookie points at the old address; the session itself must survive.
        let cm = app.login(CASEMANAGER).await;
        let (_, after) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(before["actions"], after["actions"]);
        assert_eq!(before["meetings"], after["meetings"]);
        let (_, cases) = cm.get("/api/cases").await;
        assert_eq!(cases.as_array().unwrap().len(), 1, "the demo seed does not duplicate on restart");
        let (_, page) = cm.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
        let work = page["minutes"]["domains"].as_array().unwrap().iter().find(|d| d["domain"] == "work_income").unwrap();
        assert_eq!(work["client_wish"], "Werken in de logistiek");

        let token = demo.casemanager.http.post(format!("{}/api/session", demo.casemanager.base))
            .json(&json!({ "email": CASEMANAGER, "password": "demo" })).send().await;
        assert!(token.is_err(), "the old address is gone");
    }
}
