//! Escalation to the steering group, end to end: the rules engine on demand and in the
//! background, the decision workflow, the decision flowing back to the case and into the next
//! conference's agenda, and who may see what.
//!
//! The demo case starts with a housing action 16 days past its due date and a debts action
//! blocked for 10 days: with the default rules, two escalations are due.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// Runs the engine (as the steering group or admin); the ids it opened. Tests keep their
/// logged-in clients: every login costs a password hash.
pub async fn run_engine(steering: &Client) -> Vec<Uuid> {
    let (status, report) = steering.post("/api/admin/escalations/run", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report["opened"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().parse().unwrap()).collect()
}

fn list(value: &Value) -> &Vec<Value> {
    value.as_array().unwrap_or_else(|| panic!("a list: {value}"))
}

fn by_reason<'a>(escalations: &'a Value, reason: &str) -> &'a Value {
    list(escalations)
        .iter()
        .find(|e| e["reason"] == reason)
        .unwrap_or_else(|| panic!("a {reason} escalation in {escalations}"))
}

on_both_backends! {
    async fn the_rules_open_each_escalation_once_and_a_done_action_keeps_it_open(app: TestApp) {
        let demo = app.demo_case().await;
        let steering = app.login(STEERING).await;
        let opened = run_engine(&steering).await;
        assert_eq!(opened.len(), 2, "one overdue and one blocked action in the demo case");
        assert!(run_engine(&steering).await.is_empty(), "a second run opens nothing");

        let (status, queue) = steering.get("/api/escalations?status=open").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list(&queue).len(), 2);
        let overdue = by_reason(&queue, "overdue");
        assert_eq!(overdue["domain"], "housing");
        assert_eq!(overdue["client_pseudonym"], "Daan V. (fictief)");
        assert_eq!(overdue["municipality_name"], "Gemeente Dordrecht");
        assert_eq!(overdue["action_description"], "Inschrijven als woningzoekende en urgentie aanvragen");
        assert!(overdue["rule_key"].as_str().unwrap().starts_with("overdue:"));
        let blocked = by_reason(&queue, "blocked");
        assert_eq!(blocked["domain"], "debts");

        // The housing corporation finishes the action: the escalation stays for the steering group.
        let woning = app.login(HOUSING).await;
        let action_id = overdue["action_id"].as_str().unwrap();
        let (status, _) = woning.patch(&format!("/api/actions/{action_id}"), json!({ "status": "done" })).await;
        assert_eq!(status, StatusCode::OK);
        assert!(run_engine(&steering).await.is_empty());
        let (_, detail) = steering.get(&format!("/api/escalations/{}", id(overdue))).await;
        assert_eq!(detail["status"], "open", "doing the action does not silently close its escalation");
        assert_eq!(detail["action_status"], "done", "the steering group sees that it was done");
        let kinds: Vec<&str> = list(&detail["action_history"]).iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["created", "status"]);

        // The engine's work is audited as the system's, and the case's members were told.
        let rio = app.login(RIO).await;
        let (_, trail) = rio.get(&format!("/api/cases/{}/audit", demo.case_id)).await;
        let opened_by_engine = list(&trail).iter()
            .filter(|e| e["action"] == "escalation.open" && e["actor_kind"] == "system").count();
        assert_eq!(opened_by_engine, 2);
        let (_, notes) = woning.get("/api/notifications").await;
        assert_eq!(list(&notes).iter().filter(|n| n["kind"] == "escalation").count(), 2);
    }
}

on_both_backends! {
    async fn the_steering_group_decides_and_the_decision_lands_on_the_case_and_the_next_agenda(app: TestApp) {
        let demo = app.demo_case().await;
        let steering = app.login(STEERING).await;
        run_engine(&steering).await;
        let (_, queue) = steering.get("/api/escalations?reason=overdue").await;
        assert_eq!(list(&queue).len(), 1);
        let escalation = id(&queue[0]);
        let path = format!("/api/escalations/{escalation}");

        // Only the steering group takes the steps.
        let rio = app.login(RIO).await;
        let (status, _) = rio.post(&format!("{path}/review"), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, reviewed) = steering.post(&format!("{path}/review"), json!({})).await;
        assert_eq!((status, reviewed["status"].as_str()), (StatusCode::OK, Some("under_review")));
        assert_eq!(reviewed["reviewed_by_name"], "Marloes Visser");
        assert!(reviewed["reviewed_at"].is_string());
        let (status, again) = steering.post(&format!("{path}/review"), json!({})).await;
        assert_eq!((status, again["error"].as_str()), (StatusCode::CONFLICT, Some("wrong_status")));
        let (status, _) = steering.post(&format!("{path}/close"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "only a decided escalation closes");

        // A decision that is incomplete for its kind changes nothing.
        let woonbron = demo.housing_org;
        let due = (app.now().date_naive() + chrono::Duration::days(14)).to_string();
        for (bad, field) in [
            (json!({ "decision": "assigned", "note": "Woonbron pakt het op", "assigned_organisation_id": woonbron }), "assigned_due_date"),
            (json!({ "decision": "assigned", "note": "", "assigned_organisation_id": woonbron, "assigned_due_date": due }), "note"),
            (json!({ "decision": "resolved", "note": "Klaar", "assigned_organisation_id": woonbron }), "assigned_organisation_id"),
            (json!({ "decision": "obstacle", "note": "Systeemfout" }), "obstacle_id"),
            (json!({ "decision": "assigned", "note": "x", "assigned_organisation_id": woonbron, "assigned_due_date": "2020-01-01" }), "assigned_due_date"),
        ] {
            let (status, body) = steering.post(&format!("{path}/decision"), bad.clone()).await;
            assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{bad}: {body}");
        }
        let (status, body) = steering.post(&format!("{path}/decision"), json!({ "decision": "postpone", "note": "x" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown decision: {body}");
        let (_, unchanged) = steering.get(&path).await;
        assert_eq!(unchanged["status"], "under_review");

        let (status, decided) = steering.post(&format!("{path}/decision"), json!({
            "decision": "assigned",
            "note": "Woonbron regelt binnen twee weken een urgentiegesprek.",
            "assigned_organisation_id": woonbron,
            "assigned_due_date": due,
        })).await;
        assert_eq!(status, StatusCode::OK, "{decided}");
        assert_eq!((decided["status"].as_str(), decided["decision"].as_str()), (Some("decided"), Some("assigned")));
        assert_eq!(decided["assigned_organisation_name"], "Woonbron");
        assert_eq!(decided["decided_by_name"], "Marloes Visser");
        let (status, _) = steering.post(&format!("{path}/decision"), json!({ "decision": "resolved", "note": "Nogmaals" })).await;
        assert_eq!(status, StatusCode::CONFLICT, "a decision is taken once");

        // The decision is on the case…
        let cm = &demo.casemanager;
        let (_, case) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        let on_case = list(&case["escalations"]).iter().find(|e| id(e) == escalation).expect("the escalation is on the case");
        assert_eq!(on_case["decision_note"], "Woonbron regelt binnen twee weken een urgentiegesprek.");
        // …the case's members were told…
        let (_, count) = cm.get("/api/notifications/unread-count").await;
        assert!(count["unread"].as_i64().unwrap() >= 1);
        let (_, notes) = cm.get("/api/notifications?unread=true").await;
        let decision_note = list(&notes).iter().find(|n| n["kind"] == "decision").expect("a decision notification");
        assert_eq!(decision_note["subject_id"].as_str().unwrap(), escalation.to_string());
        let (status, _) = cm.post(&format!("/api/notifications/{}/read", id(decision_note)), json!({})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, unread) = cm.get("/api/notifications?unread=true").await;
        assert!(list(&unread).iter().all(|n| id(n) != id(decision_note)));
        let (status, _) = app.login(HOUSING).await.post(&format!("/api/notifications/{}/read", id(decision_note)), json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "nobody marks someone else's notification");

        // …and on the agenda of the next conference, under "Besluiten stuurgroep".
        let (_, page) = cm.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
        let housing = list(&page["minutes"]["domains"]).iter().find(|d| d["domain"] == "housing").unwrap();
        assert_eq!(housing["decisions"][0]["escalation_id"].as_str().unwrap(), escalation.to_string());
        assert_eq!(housing["decisions"][0]["assigned_organisation_name"], "Woonbron");
        let (_, html) = cm.get_text(&format!("/api/meetings/{}/minutes", demo.meeting_id)).await;
        assert!(html.contains("Besluiten stuurgroep") && html.contains("urgentiegesprek"));

        // Once that conference is finalised, the decision is in its record and not on the one after.
        let (status, record) = cm.post(&format!("/api/meetings/{}/finalise", demo.meeting_id), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{record}");
        let (_, next) = cm.post(&format!("/api/cases/{}/meetings", demo.case_id), json!({
            "scheduled_at": (app.now() + chrono::Duration::days(14)).to_rfc3339(), "purpose": "Derde netwerkberaad",
        })).await;
        let (_, page) = cm.get(&format!("/api/meetings/{}", id(&next))).await;
        assert!(list(&page["minutes"]["domains"]).iter().all(|d| list(&d["decisions"]).is_empty()));

        let (status, closed) = steering.post(&format!("{path}/close"), json!({})).await;
        assert_eq!((status, closed["status"].as_str()), (StatusCode::OK, Some("closed")));
        assert_eq!(closed["closed_by_name"], "Marloes Visser");
        let (_, trail) = rio.get(&format!("/api/cases/{}/audit", demo.case_id)).await;
        for step in ["escalation.review", "escalation.decide", "escalation.close", "escalation.read"] {
            assert!(list(&trail).iter().any(|e| e["action"] == step), "{step} is audited");
        }
    }
}

on_both_backends! {
    async fn an_action_pending_at_three_consecutive_conferences_escalates_as_carried_over(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let carried = |escalations: &Value| list(escalations).iter().filter(|e| e["reason"] == "carried_over").count();
        let steering = app.login(STEERING).await;

        // The demo's first conference is finalised; finalise the second one too.
        let (status, _) = cm.post(&format!("/api/meetings/{}/finalise", demo.meeting_id), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        run_engine(&steering).await;
        let (_, queue) = steering.get("/api/escalations").await;
        assert_eq!(carried(&queue), 0, "two conferences are not three");

        let (_, third) = cm.post(&format!("/api/cases/{}/meetings", demo.case_id), json!({
            "scheduled_at": (app.now() + chrono::Duration::days(3)).to_rfc3339(), "purpose": "Derde netwerkberaad",
        })).await;
        let (status, _) = cm.post(&format!("/api/meetings/{}/finalise", id(&third)), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        run_engine(&steering).await;
        let (_, queue) = steering.get("/api/escalations?reason=carried_over").await;
        // Pending since the first conference: ID card, housing, benefit, debts, health insurance.
        assert_eq!(carried(&queue), 5);
        let domains: Vec<&str> = list(&queue).iter().map(|e| e["domain"].as_str().unwrap()).collect();
        for domain in ["id", "housing", "work_income", "debts", "care"] {
            assert!(domains.contains(&domain), "{domain} in {domains:?}");
        }
        assert!(run_engine(&steering).await.is_empty());
    }
}

on_both_backends! {
    async fn partners_see_only_escalations_of_their_own_cases_and_invitees_none(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let (steering, admin, rio) = (app.login(STEERING).await, app.login(ADMIN).await, app.login(RIO).await);
        let (housing, probation, outsider) = (app.login(HOUSING).await, app.login(PROBATION).await, app.login(OUTSIDER).await);
        run_engine(&steering).await;

        // A second case with only the prison on it, escalated by hand.
        let (_, orgs) = cm.get("/api/organisations").await;
        let org = |name: &str| id(list(&orgs).iter().find(|o| o["name"] == name).unwrap());
        let today = app.now().date_naive();
        let (_, other) = cm.post("/api/cases", json!({
            "client_pseudonym": "Tweede cliënt (fictief)", "prison_id": org("PI Dordrecht"),
            "detention_start": (today - chrono::Duration::days(20)).to_string(),
            "expected_release": (today + chrono::Duration::days(90)).to_string(),
            "municipality_id": org("Gemeente Dordrecht"),
        })).await;
        let (_, action) = cm.post(&format!("/api/cases/{}/actions", id(&other)), json!({
            "domain": "id", "description": "Paspoortfoto's laten maken", "owner_organisation_id": org("PI Dordrecht"),
            "due_date": (today + chrono::Duration::days(5)).to_string(),
        })).await;
        let escalate = format!("/api/actions/{}/escalations", id(&action));
        let (status, bad) = cm.post(&escalate, json!({ "note": "   " })).await;
        assert_eq!((status, bad["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
        let (status, manual) = cm.post(&escalate, json!({ "note": "De gemeente reageert niet op het verzoek." })).await;
        assert_eq!(status, StatusCode::CREATED, "{manual}");
        assert_eq!((manual["reason"].as_str(), manual["raised_by_name"].as_str()), (Some("manual"), Some("Inge de Wit")));
        let (status, _) = outsider.post(&escalate, json!({ "note": "Van buiten" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "someone off the case cannot escalate it");

        let ids = |value: &Value| list(value).iter().map(id).collect::<Vec<Uuid>>();
        let manual_id = id(&manual);
        for (who, client, sees_second, total) in [("steering", &steering, true, 3), ("admin", &admin, true, 3), ("rio", &rio, true, 3),
            ("casemanager", cm, true, 3), ("housing", &housing, false, 2), ("probation", &probation, false, 2), ("outsider", &outsider, false, 0)] {
            let (status, seen) = client.get("/api/escalations").await;
            assert_eq!(status, StatusCode::OK, "{who}");
            assert_eq!(ids(&seen).len(), total, "{who} sees {total}: {seen}");
            assert_eq!(ids(&seen).contains(&manual_id), sees_second, "{who}");
            let (status, _) = client.get(&format!("/api/escalations/{manual_id}")).await;
            assert_eq!(status, if sees_second { StatusCode::OK } else { StatusCode::NOT_FOUND }, "{who} reads the manual escalation");
        }
        let (_, filtered) = steering.get(&format!("/api/escalations?case_id={}&reason=manual", id(&other))).await;
        assert_eq!(ids(&filtered), [manual_id]);
        let (status, _) = steering.get("/api/escalations?status=pending").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown status filter is refused");
        let (status, _) = steering.get(&format!("/api/cases/{}", id(&other))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "the queue does not open the case itself to the steering group");
        let (status, _) = admin.post(&format!("/api/escalations/{manual_id}/review"), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "the administrator does not decide");
        let (status, _) = housing.post("/api/admin/escalations/run", json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The guest and the client of a conference never see escalations.
        for kind in ["guest", "client"] {
            let body = if kind == "guest" { json!({ "kind": "guest", "name": "Gast", "organisation": "Woonbron" }) } else { json!({ "kind": "client" }) };
            let (_, invite) = cm.post(&format!("/api/meetings/{}/invites", demo.meeting_id), body).await;
            let token = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
            let invitee = app.anonymous();
            let (status, _) = invitee.post(&format!("/api/invites/{token}/accept"), json!({ "accept_confidentiality": true })).await;
            assert_eq!(status, StatusCode::OK);
            for path in ["/api/escalations".to_owned(), format!("/api/escalations/{manual_id}"), "/api/notifications".to_owned(), "/api/figures".to_owned()] {
                let (status, _) = invitee.get(&path).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{kind} on {path}");
            }
            let (status, _) = invitee.post(&escalate, json!({ "note": "x" })).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{kind} escalates");
        }
    }
}

on_both_backends! {
    async fn readiness_warnings_appear_at_each_domains_lead_time_on_the_case_and_in_the_list(app: TestApp) {
        let demo = app.demo_case().await;
        let warned = |value: &Value| -> Vec<String> {
            list(&value["readiness"]).iter().map(|w| w["domain"].as_str().unwrap().to_owned()).collect()
        };
        // Release in 42 days: housing (42) and work and income (56) are due; ID is in progress.
        let (_, case) = demo.casemanager.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(warned(&case), ["housing", "work_income"]);
        assert_eq!(case["readiness"][0]["days_left"], 42);

        // 28 days left: debts joins (the payment plan is blocked, not under way); care not yet.
        app.advance(chrono::Duration::days(14));
        let cm = app.login(CASEMANAGER).await;
        let (_, cases) = cm.get("/api/cases").await;
        assert_eq!(warned(&cases[0]), ["housing", "work_income", "debts"]);
        app.advance(chrono::Duration::days(13));
        let cm = app.login(CASEMANAGER).await;
        let (_, case) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert!(!warned(&case).contains(&"care".to_owned()), "15 days left is outside care's 14");
        app.advance(chrono::Duration::days(1));
        let cm = app.login(CASEMANAGER).await;
        let (_, case) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(warned(&case), ["housing", "work_income", "debts", "care"]);

        // Getting the housing action under way takes its warning away.
        let housing_action = list(&case["actions"]).iter().find(|a| a["domain"] == "housing").map(id).unwrap();
        let (status, _) = cm.patch(&format!("/api/actions/{housing_action}"), json!({ "status": "in_progress" })).await;
        assert_eq!(status, StatusCode::OK);
        let (_, case) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(warned(&case), ["work_income", "debts", "care"]);
    }
}

/// Polls the steering group's queue until it holds `expected` escalations (or gives up); the
/// length last seen.
async fn wait_for_queue(steering: &Client, expected: usize) -> usize {
    let mut seen = 0;
    for _ in 0..150 {
        seen = list(&steering.get("/api/escalations").await.1).len();
        if seen >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    seen
}

on_both_backends! {
    async fn the_engine_runs_in_the_background_and_stops_with_the_service(app: TestApp) {
        let backend = app.backend;
        drop(app);
        let app = TestApp::spawn_with(backend, |config| config.engine_interval_secs = 1).await;
        let steering = app.login(STEERING).await;
        assert_eq!(wait_for_queue(&steering, 2).await, 2, "the background engine opened the demo case's escalations");

        // A restart waits for the engine to stop. The restarted engine runs too, and opens only
        // what is new: a second blocked episode of the debts action.
        let app = app.restart().await;
        let probation = app.login(PROBATION).await;
        let steering = app.login(STEERING).await;
        let (_, queue) = steering.get("/api/escalations?reason=blocked").await;
        let debts_action = queue[0]["action_id"].as_str().unwrap().to_owned();
        for status in ["open", "blocked"] {
            let (code, body) = probation.patch(&format!("/api/actions/{debts_action}"), json!({ "status": status, "note": "Toestemming ingetrokken" })).await;
            assert_eq!(code, StatusCode::OK, "{body}");
        }
        app.advance(chrono::Duration::days(8));
        let steering = app.login(STEERING).await;
        assert_eq!(wait_for_queue(&steering, 3).await, 3, "the new blocked episode escalates");
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let (_, queue) = steering.get("/api/escalations").await;
        assert_eq!(list(&queue).len(), 3, "and nothing twice");
    }
}
