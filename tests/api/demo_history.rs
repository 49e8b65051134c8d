//! The demo's year of history (`--demo-history`): six more fictional cases across two
//! municipalities, so that every chart of the figures has something to show; seeded once, and
//! the demo's own case stays as the stories and the other tests know it.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::Value;

fn sum(figures: &Value, series: &str, field: &str) -> i64 {
    figures[series].as_array().unwrap().iter().map(|r| r[field].as_i64().unwrap_or(0)).sum()
}

/// What the history consists of, as the steering group, the casemanager and the administrator see it.
async fn census(app: &TestApp) -> (usize, usize, usize, usize, usize) {
    let (_, cases) = app.login(CASEMANAGER).await.get("/api/cases").await;
    let steering = app.login(STEERING).await;
    let (_, escalations) = steering.get("/api/escalations?limit=1000").await;
    let escalations = escalations.as_array().unwrap();
    let decided = escalations.iter().filter(|e| !e["decision"].is_null()).count();
    let (_, obstacles) = steering.get("/api/obstacles").await;
    let (_, users) = app.login(ADMIN).await.get("/api/admin/users").await;
    (
        cases.as_array().unwrap().len(),
        escalations.len(),
        decided,
        obstacles.as_array().unwrap().len(),
        users.as_array().unwrap().len(),
    )
}

on_both_backends! {
    configure = |c| c.demo_history = true;
    async fn the_history_fills_every_chart_and_is_seeded_once(app: TestApp) {
        let (cases, escalations, decided, obstacles, users) = census(&app).await;
        assert_eq!((cases, escalations, decided, obstacles), (7, 12, 7, 1), "seven cases, twelve escalations, seven decisions, one obstacle");
        assert_eq!(users, 9, "the demo's eight accounts and the second municipality's coordinator");

        let (_, list) = app.login(CASEMANAGER).await.get("/api/cases").await;
        let list = list.as_array().unwrap();
        let municipalities: std::collections::BTreeSet<&str> = list.iter().map(|c| c["municipality_name"].as_str().unwrap()).collect();
        assert_eq!(municipalities.into_iter().collect::<Vec<_>>(), ["Gemeente Dordrecht", "Gemeente Zwijndrecht"]);
        assert_eq!(list.iter().filter(|c| c["status"] == "closed").count(), 1);
        assert!(list.iter().all(|c| c["client_pseudonym"].as_str().unwrap().ends_with("(fictief)")), "fictional names only");
        // The demo's own case is still there with its scheduled conference.
        let daan = list.iter().find(|c| c["client_pseudonym"] == "Daan V. (fictief)").expect("the demo case");
        assert!(daan["next_meeting_at"].is_string(), "{daan}");

        // The second municipality's coordinator sees that municipality's cases only.
        let (_, own) = app.login("rio@gemeente-zwijndrecht.example").await.get("/api/cases").await;
        let own = own.as_array().unwrap();
        assert_eq!(own.len(), 3);
        assert!(own.iter().all(|c| c["municipality_name"] == "Gemeente Zwijndrecht"));

        let (status, figures) = app.login(STEERING).await.get("/api/figures").await;
        assert_eq!(status, StatusCode::OK, "{figures}");
        assert_eq!(figures["open_cases"].as_i64(), Some(6), "{figures}");
        let judged = sum(&figures, "on_time_total", "judged");
        let on_time = sum(&figures, "on_time_total", "on_time");
        assert!(judged >= 20 && on_time > 0 && on_time < judged, "done on time and late: {on_time} of {judged}");
        let months_with_actions = figures["on_time"].as_array().unwrap().iter()
            .filter(|r| r["judged"].as_i64().unwrap_or(0) > 0).map(|r| r["period"].as_str().unwrap()).collect::<std::collections::BTreeSet<_>>();
        assert!(months_with_actions.len() >= 6, "actions over the year: {months_with_actions:?}");
        let ages = figures["open_escalations_by_age"].as_array().unwrap();
        assert!(ages.iter().filter(|b| b["escalations"].as_i64().unwrap() > 0).count() >= 4, "open escalations of several ages: {ages:?}");
        assert!(sum(&figures, "decision_time", "decided") >= 6, "{}", figures["decision_time"]);
        let months_with_decisions = figures["decision_time"].as_array().unwrap().iter().filter(|r| r["decided"].as_i64().unwrap_or(0) > 0).count();
        assert!(months_with_decisions >= 3, "decisions over the year: {}", figures["decision_time"]);
        assert!(sum(&figures, "warnings_by_domain", "cases") > 0, "{}", figures["warnings_by_domain"]);
        for chart in ["on-time", "escalation-age", "decision-time", "warnings"] {
            let (status, svg) = app.login(STEERING).await.get_text(&format!("/api/figures/{chart}.svg")).await;
            assert!(status == StatusCode::OK && svg.contains("<svg"), "{chart}: {status}");
        }

        // Finalised conferences keep who attended.
        let (_, detail) = app.login(CASEMANAGER).await.get(&format!("/api/cases/{}", id(&list[0]))).await;
        let finalised = detail["meetings"].as_array().unwrap().iter().filter(|m| m["finalised_at"].is_string()).count();
        assert!(finalised >= 1, "{detail}");

        // Starting again on the same database adds nothing.
        let app = app.restart().await;
        assert_eq!(census(&app).await, (7, 12, 7, 1, 9));
    }
}
