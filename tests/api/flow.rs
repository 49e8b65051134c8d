//! The whole story of the core service: open a case, put partners on it, schedule a
//! conference, write the minutes per life domain, agree actions, finalise.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

async fn organisation(client: &Client, name: &str) -> Uuid {
    let (_, orgs) = client.get("/api/organisations").await;
    id(orgs.as_array().unwrap().iter().find(|o| o["name"] == name).unwrap_or_else(|| panic!("{name} exists")))
}

async fn user(client: &Client, name: &str) -> Uuid {
    let (_, users) = client.get("/api/users").await;
    id(users.as_array().unwrap().iter().find(|u| u["name"] == name).unwrap_or_else(|| panic!("{name} exists")))
}

on_both_backends! {
    async fn a_casemanager_runs_a_case_from_opening_to_finalised_minutes(app: TestApp) {
        let cm = app.login(CASEMANAGER).await;
        let today = app.now().date_naive();
        let prison = organisation(&cm, "PI Dordrecht").await;
        let municipality = organisation(&cm, "Gemeente Dordrecht").await;
        let woonbron = organisation(&cm, "Woonbron").await;

        let (status, case) = cm.post("/api/cases", json!({
            "client_pseudonym": "Testcliënt K. (fictief)",
            "prison_id": prison,
            "detention_start": (today - chrono::Duration::days(30)).to_string(),
            "expected_release": (today + chrono::Duration::days(45)).to_string(),
            "municipality_id": municipality,
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        let case_id = id(&case);

        let wouter = user(&cm, "Wouter Hendriks").await;
        let (status, member) = cm.post(&format!("/api/cases/{case_id}/members"), json!({ "user_id": wouter, "reason": "Woonbron zoekt een kamer" })).await;
        assert_eq!(status, StatusCode::CREATED, "{member}");
        assert_eq!(member["organisation_name"], "Woonbron");
        let (status, again) = cm.post(&format!("/api/cases/{case_id}/members"), json!({ "user_id": wouter, "reason": "Woonbron zoekt een kamer" })).await;
        assert_eq!((status, again["error"].as_str()), (StatusCode::CONFLICT, Some("already_member")));

        let (status, meeting) = cm.post(&format!("/api/cases/{case_id}/meetings"), json!({
            "scheduled_at": (app.now() + chrono::Duration::days(1)).to_rfc3339(),
            "purpose": "Eerste netwerkberaad",
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{meeting}");
        let meeting_id = id(&meeting);
        assert_eq!(meeting["status"], "scheduled");

        let (status, entry) = cm.put(&format!("/api/meetings/{meeting_id}/domains/housing"), json!({
            "situation": "Geen woning na vrijlating.",
            "client_wish": "Een eigen kamer in Dordrecht.",
            "notes": "Zus kan twee weken opvangen.",
        })).await;
        assert_eq!(status, StatusCode::OK, "{entry}");
        assert_eq!(entry["revision"], 1);

        let due = (today + chrono::Duration::days(14)).to_string();
        let (status, action) = cm.post(&format!("/api/cases/{case_id}/actions"), json!({
            "domain": "housing",
            "description": "Inschrijven als woningzoekende",
            "owner_organisation_id": woonbron,
            "due_date": due,
            "meeting_id": meeting_id,
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{action}");
        assert_eq!((action["status"].as_str(), action["owner_organisation_name"].as_str()), (Some("open"), Some("Woonbron")));
        let action_id = id(&action);

        // The housing corporation sees the case and moves its own action along.
        let woning = app.login(HOUSING).await;
        let (status, seen) = woning.get(&format!("/api/cases/{case_id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(seen["actions"].as_array().unwrap().iter().any(|a| id(a) == action_id));
        let (status, updated) = woning.patch(&format!("/api/actions/{action_id}"), json!({ "status": "in_progress", "note": "Formulier opgestuurd" })).await;
        assert_eq!((status, updated["status"].as_str()), (StatusCode::OK, Some("in_progress")));
        let (_, history) = woning.get(&format!("/api/actions/{action_id}")).await;
        let kinds: Vec<&str> = history["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["created", "status"]);

        // The conference shows the minutes and the agreed action in its domain.
        let (status, page) = woning.get(&format!("/api/meetings/{meeting_id}")).await;
        assert_eq!(status, StatusCode::OK);
        let housing = housing_section(&page);
        assert_eq!(housing["situation"], "Geen woning na vrijlating.");
        assert_eq!(housing["agreed"][0]["description"], "Inschrijven als woningzoekende");
        assert_eq!(page["may_chair"], false);
        assert_eq!(page["may_write"], false);

        // Only the chair finalises; afterwards the minutes are a record.
        let (status, _) = woning.post(&format!("/api/meetings/{meeting_id}/finalise"), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, record) = cm.post(&format!("/api/meetings/{meeting_id}/finalise"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{record}");
        assert_eq!(record["status"], "closed");

        let (status, html) = cm.get_text(&format!("/api/meetings/{meeting_id}/minutes")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Inschrijven als woningzoekende"), "the printed minutes list the action");
        assert!(html.contains("Vastgesteld op"), "the printed minutes carry the finalisation stamp");
        assert!(html.contains("Geen woning na vrijlating."));

        let (status, refused) = cm.put(&format!("/api/meetings/{meeting_id}/domains/housing"), json!({ "situation": "Te laat" })).await;
        assert_eq!((status, refused["error"].as_str()), (StatusCode::CONFLICT, Some("minutes_finalised")));
        let (status, refused) = cm.post(&format!("/api/cases/{case_id}/actions"), json!({
            "domain": "housing", "description": "Te laat", "owner_organisation_id": woonbron, "due_date": due, "meeting_id": meeting_id,
        })).await;
        assert_eq!((status, refused["error"].as_str()), (StatusCode::CONFLICT, Some("minutes_finalised")));
        let (status, _) = cm.post(&format!("/api/meetings/{meeting_id}/finalise"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT);

        // The action lives on after the conference, and the record does not move with it.
        app.advance(chrono::Duration::days(2));
        let (woning, cm) = (app.login(HOUSING).await, app.login(CASEMANAGER).await);
        let (status, _) = woning.patch(&format!("/api/actions/{action_id}"), json!({ "status": "done" })).await;
        assert_eq!(status, StatusCode::OK);
        let (_, page) = cm.get(&format!("/api/meetings/{meeting_id}")).await;
        assert_eq!(housing_section(&page)["agreed"][0]["status"], "in_progress", "finalised minutes are frozen");

        // A new conference carries over what is still open from earlier ones.
        let (_, next) = cm.post(&format!("/api/cases/{case_id}/meetings"), json!({
            "scheduled_at": (app.now() + chrono::Duration::days(15)).to_rfc3339(),
            "purpose": "Tweede netwerkberaad",
        })).await;
        let (_, extra) = cm.post(&format!("/api/cases/{case_id}/actions"), json!({
            "domain": "debts", "description": "Schuldenoverzicht", "owner_organisation_id": woonbron, "due_date": due,
        })).await;
        let (_, page) = cm.get(&format!("/api/meetings/{}", id(&next))).await;
        let carried: Vec<Uuid> = page["minutes"]["domains"].as_array().unwrap().iter()
            .flat_map(|d| d["carried_over"].as_array().unwrap().iter().map(id)).collect();
        assert!(carried.contains(&id(&extra)), "an open action is on the next agenda");
        assert!(carried.contains(&action_id), "an action done since the previous conference is shown once more");

        // Every step is in the audit trail, for the coordinator.
        let rio = app.login(RIO).await;
        let (status, trail) = rio.get(&format!("/api/cases/{case_id}/audit")).await;
        assert_eq!(status, StatusCode::OK);
        let actions: Vec<&str> = trail.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for expected in ["case.create", "case.member_add", "meeting.schedule", "minutes.write", "action.create", "action.status", "minutes.finalise", "case.read", "meeting.read", "minutes.export"] {
            assert!(actions.contains(&expected), "the audit trail records {expected}: {actions:?}");
        }
        assert!(trail.as_array().unwrap().iter().any(|e| e["action"] == "case.read" && e["actor_label"].as_str().unwrap().contains("Wouter Hendriks")),
            "reads by partners are audited too");
    }
}

fn housing_section(page: &Value) -> &Value {
    page["minutes"]["domains"].as_array().unwrap().iter().find(|d| d["domain"] == "housing").expect("a housing section")
}

on_both_backends! {
    async fn a_writer_with_a_stale_revision_gets_a_conflict_instead_of_overwriting(app: TestApp) {
        let demo = app.demo_case().await;
        let rio = app.login(RIO).await;
        let path = format!("/api/meetings/{}/domains/id", demo.meeting_id);
        let (status, first) = demo.casemanager.put(&path, json!({ "situation": "Briefadres geregeld", "base_revision": 0 })).await;
        assert_eq!((status, first["revision"].as_i64()), (StatusCode::OK, Some(1)));
        let (status, second) = rio.put(&path, json!({ "situation": "Anders", "base_revision": 0 })).await;
        assert_eq!((status, second["error"].as_str()), (StatusCode::CONFLICT, Some("stale_revision")));
        let (_, page) = rio.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
        let id_section = page["minutes"]["domains"].as_array().unwrap().iter().find(|d| d["domain"] == "id").unwrap();
        assert_eq!(id_section["situation"], "Briefadres geregeld", "the first writer's text stays");
        let (status, third) = rio.put(&path, json!({ "situation": "Briefadres en DigiD geregeld", "base_revision": 1 })).await;
        assert_eq!((status, third["revision"].as_i64()), (StatusCode::OK, Some(2)));
    }
}

on_both_backends! {
    async fn the_client_plan_shows_wishes_and_who_does_what_but_never_professional_notes(app: TestApp) {
        let demo = app.demo_case().await;
        let (status, _) = demo.casemanager.put(&format!("/api/meetings/{}/domains/care", demo.meeting_id), json!({
            "situation": "Verslavingszorg loopt", "client_wish": "Ik wil een huisarts", "notes": "GEHEIM-professioneel",
        })).await;
        assert_eq!(status, StatusCode::OK);
        let (status, plan) = demo.casemanager.get(&format!("/api/meetings/{}/plan", demo.meeting_id)).await;
        assert_eq!(status, StatusCode::OK);
        let text = plan.to_string();
        assert!(!text.contains("GEHEIM-professioneel") && !text.contains("Verslavingszorg loopt"));
        let care = plan["domains"].as_array().unwrap().iter().find(|d| d["domain"] == "care").unwrap();
        assert_eq!(care["my_wish"], "Ik wil een huisarts");
        assert!(care["i_will"][0]["client_text"].is_null(), "no text written for him: his screen shows the plain default");
        assert!(!text.contains("Zorgverzekering laten heractiveren"), "never the professionals' wording of the action");
        let housing = plan["domains"].as_array().unwrap().iter().find(|d| d["domain"] == "housing").unwrap();
        assert_eq!(housing["they_will"][0]["who"], "Woonbron");
    }
}

on_both_backends! {
    async fn a_new_conference_shows_the_client_the_wishes_he_gave_last_time(app: TestApp) {
        let demo = app.demo_case().await;
        let (_, plan) = demo.casemanager.get(&format!("/api/meetings/{}/plan", demo.meeting_id)).await;
        let housing = plan["domains"].as_array().unwrap().iter().find(|d| d["domain"] == "housing").unwrap();
        assert_eq!(housing["my_wish"], "Ik wil een eigen kamer, het liefst in Dordrecht.", "from the first conference");
        let (status, _) = demo.casemanager.put(&format!("/api/meetings/{}/domains/housing", demo.meeting_id), json!({ "client_wish": "Liever bij mijn zus" })).await;
        assert_eq!(status, StatusCode::OK);
        let (_, plan) = demo.casemanager.get(&format!("/api/meetings/{}/plan", demo.meeting_id)).await;
        let housing = plan["domains"].as_array().unwrap().iter().find(|d| d["domain"] == "housing").unwrap();
        assert_eq!(housing["my_wish"], "Liever bij mijn zus", "this conference's wish wins");
    }
}
