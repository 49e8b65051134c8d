//! Rules that came out of the security and privacy review.

use crate::escalation::run_engine;
use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends! {
    async fn the_administrator_sees_that_escalations_exist_but_not_whom_they_are_about(app: TestApp) {
        let steering = app.login(STEERING).await;
        let opened = run_engine(&steering).await;
        assert!(!opened.is_empty());
        let admin = app.login(ADMIN).await;
        let (status, list) = admin.get("/api/escalations").await;
        assert_eq!(status, StatusCode::OK);
        for escalation in list.as_array().unwrap() {
            assert_eq!(escalation["client_pseudonym"], "", "{escalation}");
            assert_eq!(escalation["note"], "");
            assert!(escalation["action_description"].is_null());
        }
        let (_, detail) = admin.get(&format!("/api/escalations/{}", opened[0])).await;
        assert_eq!(detail["action_history"], json!([]));
        let (_, seen_by_steering) = steering.get(&format!("/api/escalations/{}", opened[0])).await;
        assert_eq!(seen_by_steering["client_pseudonym"], "Daan V. (fictief)", "the steering group does see the context");
    }
}

on_both_backends! {
    async fn a_coordinator_cannot_move_an_escalation_the_steering_group_decided_as_an_obstacle(app: TestApp) {
        let steering = app.login(STEERING).await;
        let opened = run_engine(&steering).await;
        let (status, decided) = steering.post(&format!("/api/escalations/{}/decision", opened[0]), json!({
            "decision": "obstacle", "note": "Komt vaker voor",
            "new_obstacle": { "title": "CJIB-regeling", "description": "Betalingsregeling pas na vrijlating" },
        })).await;
        assert_eq!(status, StatusCode::OK, "{decided}");
        let rio = app.login(RIO).await;
        let (status, other) = rio.post("/api/obstacles", json!({ "title": "Geen briefadres", "description": "Gemeenten weigeren" })).await;
        assert_eq!(status, StatusCode::CREATED, "{other}");
        let (status, body) = rio.post(&format!("/api/obstacles/{}/escalations", id(&other)), json!({ "escalation_id": opened[0] })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("decided_obstacle")));
        let (_, trail) = app.login(ADMIN).await.get("/api/admin/audit").await;
        assert!(trail.as_array().unwrap().iter().any(|e| e["action"] == "obstacle.create" && e["subject_id"] == decided["obstacle_id"]),
            "the obstacle created in a decision has its own line in the trail");
    }
}

on_both_backends! {
    async fn reaching_for_a_case_off_the_list_is_kept_in_the_trail(app: TestApp) {
        let demo = app.demo_case().await;
        let outsider = app.login(OUTSIDER).await;
        let (status, _) = outsider.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, trail) = app.login(RIO).await.get(&format!("/api/cases/{}/audit", demo.case_id)).await;
        assert!(trail.as_array().unwrap().iter().any(|e| e["action"] == "case.access_refused" && e["actor_label"].as_str().unwrap().contains("Sanne Kok")));
    }
}

on_both_backends! {
    async fn the_trail_names_the_account_and_organisation_that_were_created(app: TestApp) {
        let admin = app.login(ADMIN).await;
        let (_, org) = admin.post("/api/admin/organisations", json!({ "name": "Leger des Heils (demo)", "kind": "care" })).await;
        let (_, account) = admin.post("/api/admin/users", json!({ "organisation_id": id(&org), "name": "Lotte Zorg", "email": "lotte@ldh.example", "role": "partner" })).await;
        let (_, trail) = admin.get("/api/admin/audit").await;
        let subjects: Vec<&str> = trail.as_array().unwrap().iter().filter_map(|e| e["subject_id"].as_str()).collect();
        assert!(subjects.contains(&org["id"].as_str().unwrap()));
        assert!(subjects.contains(&account["user_id"].as_str().unwrap()));
    }
}

/// Builds (but does not run) the service with `configure` applied on a fresh SQLite file.
async fn start(
    dir: &std::path::Path,
    configure: impl FnOnce(&mut ketentafel::config::Config),
) -> Result<ketentafel::app::App, ketentafel::app::StartError> {
    let mut config = ketentafel::config::Config::defaults();
    config.database_url =
        Some(ketentafel::config::Secret::new(format!("sqlite://{}?mode=rwc", dir.join("k.db").display())));
    configure(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ketentafel::app::build(config, listener, tokio_util::sync::CancellationToken::new()).await
}

#[tokio::test]
async fn the_demo_refuses_to_seed_a_database_with_real_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let real = start(dir.path(), |_| {}).await.expect("a first start creates the administrator");
    assert!(real.banner.iter().any(|l| l.contains("one-time password")));
    real.state().cx.store.close().await;
    drop(real);
    let refused = start(dir.path(), |c| c.demo = true).await;
    assert!(matches!(refused, Err(ketentafel::app::StartError::Demo(_))));
}

#[tokio::test]
async fn a_short_or_placeholder_secret_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let short = start(dir.path(), |c| c.jwt_secret = Some(ketentafel::config::Secret::new("kort"))).await;
    assert!(matches!(short, Err(ketentafel::app::StartError::WeakSecret("--jwt-secret"))));
    let placeholder = start(dir.path(), |c| {
        c.turn_secret = Some(ketentafel::config::Secret::new("CHANGE-ME-CHANGE-ME-CHANGE-ME-CHANGE-ME"))
    })
    .await;
    assert!(matches!(placeholder, Err(ketentafel::app::StartError::WeakSecret("--turn-secret"))));
}

on_both_backends! {
    async fn a_closed_case_stops_changing_and_is_deleted_after_its_retention_period_leaving_the_trail(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let (status, _) = app.login(HOUSING).await.post(&format!("/api/cases/{}/close", demo.case_id), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a partner does not close a case");
        let (status, closed) = cm.post(&format!("/api/cases/{}/close", demo.case_id), json!({})).await;
        assert_eq!((status, closed["status"].as_str()), (StatusCode::OK, Some("closed")));
        let (status, body) = cm.put(&format!("/api/meetings/{}/domains/housing", demo.meeting_id), json!({ "situation": "x" })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("case_closed")));
        let (status, _) = cm.post(&format!("/api/cases/{}/meetings", demo.case_id), json!({ "scheduled_at": (app.now() + chrono::Duration::days(30)).to_rfc3339(), "purpose": "x" })).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = cm.post(&format!("/api/cases/{}/reopen", demo.case_id), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = cm.post(&format!("/api/cases/{}/close", demo.case_id), json!({})).await;
        assert_eq!(status, StatusCode::OK);

        let admin = app.login(ADMIN).await;
        let (_, report) = admin.post("/api/admin/retention/run", json!({})).await;
        assert_eq!(report["cases"], 0, "within the retention period nothing goes");
        app.advance(chrono::Duration::days(731));
        let admin = app.login(ADMIN).await;
        let (status, report) = admin.post("/api/admin/retention/run", json!({})).await;
        assert_eq!((status, report["cases"].as_u64()), (StatusCode::OK, Some(1)));
        let rio = app.login(RIO).await;
        let (status, _) = rio.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "the case is gone");
        let (_, trail) = admin.get("/api/admin/audit?limit=1000").await;
        let kept: Vec<&str> = trail.as_array().unwrap().iter().filter(|e| e["case_id"] == json!(demo.case_id)).map(|e| e["action"].as_str().unwrap()).collect();
        assert!(kept.contains(&"case.purge") && kept.contains(&"case.create"), "the trail outlives the case: {kept:?}");
    }
}

on_both_backends! {
    async fn a_closed_case_refuses_escalations_by_hand_and_member_removals(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let (_, before) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        let action = before["actions"].as_array().unwrap().iter().find(|a| a["status"] == "open").map(id).unwrap();
        let member = before["members"].as_array().unwrap().iter().find(|m| m["organisation_name"] == "Woonbron").map(id).unwrap();
        let (status, _) = cm.post(&format!("/api/cases/{}/close", demo.case_id), json!({})).await;
        assert_eq!(status, StatusCode::OK);

        let (status, body) = cm.post(&format!("/api/actions/{action}/escalations"), json!({ "note": "Loopt vast" })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("case_closed")), "{body}");
        let (status, body) = cm.delete_with(&format!("/api/cases/{}/members/{member}", demo.case_id), json!({ "reason": "Niet meer betrokken" })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("case_closed")), "{body}");

        let (_, after) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(before["members"], after["members"], "nobody was taken off");
        assert_eq!(before["escalations"], after["escalations"], "nothing was escalated");
    }
}

/// Between midnight in the Netherlands and midnight UTC the Dutch date is a day ahead. The
/// schedule form proposes tomorrow (the Dutch one) at 10:00 Dutch time; the demo's next
/// conference, "the day after tomorrow", was counted from the UTC date and landed on exactly
/// that slot, so the casemanager's first conference was refused (the e2e story failed at
/// 23:44 UTC).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_in_the_evening_the_demo_leaves_free_the_slot_the_schedule_form_proposes() {
    // 23:30 UTC is already the next day in the Netherlands, in winter and in summer.
    let utc_today = chrono::Utc::now().date_naive();
    let late = utc_today.and_hms_opt(23, 30, 0).expect("23:30 exists").and_utc();
    let app = TestApp::spawn_at(Backend::Sqlite, late, |_| {}).await;
    let demo = app.demo_case().await;
    // Tomorrow in the Netherlands at 10:00 winter time, the slot the UTC count gave the demo.
    let proposed = (utc_today + chrono::Duration::days(2)).and_hms_opt(9, 0, 0).expect("09:00 exists").and_utc();
    let (status, body) = demo
        .casemanager
        .post(
            &format!("/api/cases/{}/meetings", demo.case_id),
            json!({ "scheduled_at": proposed.to_rfc3339(), "purpose": "Netwerkberaad" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
