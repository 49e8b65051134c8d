//! The obstacles register (knelpunten) and the notifications around escalations: who keeps the
//! register, how it counts the cases where an obstacle showed up, and what reaches people —
//! in the app and, without any case detail, by e-mail.

use crate::escalation::run_engine;
use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn list(value: &Value) -> &Vec<Value> {
    value.as_array().unwrap_or_else(|| panic!("a list: {value}"))
}

on_both_backends! {
    async fn the_register_counts_the_cases_where_an_obstacle_showed_up(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let (steering, rio, housing) = (app.login(STEERING).await, app.login(RIO).await, app.login(HOUSING).await);
        run_engine(&steering).await;
        let (_, blocked) = steering.get("/api/escalations?reason=blocked").await;
        let (_, overdue) = steering.get("/api/escalations?reason=overdue").await;

        let (status, bad) = steering.post(&format!("/api/escalations/{}/decision", id(&blocked[0])), json!({
            "decision": "obstacle", "note": "Systeemprobleem", "obstacle_id": uuid::Uuid::new_v4(),
        })).await;
        assert_eq!((status, bad["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("obstacle_id")));
        let (status, decided) = steering.post(&format!("/api/escalations/{}/decision", id(&blocked[0])), json!({
            "decision": "obstacle",
            "note": "Schuldhulp wacht overal op toestemming die in detentie niet te krijgen is.",
            "new_obstacle": { "title": "Geen schuldenoverzicht zonder toestemming tijdens detentie", "domain": "debts",
                "description": "Schuldeisers geven pas informatie na schriftelijke toestemming; die komt in de PI niet op tijd." },
        })).await;
        assert_eq!(status, StatusCode::OK, "{decided}");
        let obstacle = decided["obstacle_id"].as_str().expect("the decision created an obstacle").to_owned();
        assert_eq!(decided["obstacle_title"], "Geen schuldenoverzicht zonder toestemming tijdens detentie");

        let (_, register) = housing.get("/api/obstacles").await;
        assert_eq!(list(&register).len(), 1, "every account holder reads the register");
        assert_eq!((register[0]["escalations"].as_i64(), register[0]["cases_affected"].as_i64()), (Some(1), Some(1)));

        // The coordinator links the same case's other escalation, and one from a second case.
        let (status, linked) = rio.post(&format!("/api/obstacles/{obstacle}/escalations"), json!({ "escalation_id": id(&overdue[0]) })).await;
        assert_eq!(status, StatusCode::OK, "{linked}");
        assert_eq!((linked["escalations"].as_i64(), linked["cases_affected"].as_i64()), (Some(2), Some(1)));
        let (_, orgs) = cm.get("/api/organisations").await;
        let org = |name: &str| id(list(&orgs).iter().find(|o| o["name"] == name).unwrap());
        let today = app.now().date_naive();
        let (_, other) = cm.post("/api/cases", json!({
            "client_pseudonym": "Derde cliënt (fictief)", "prison_id": org("PI Dordrecht"),
            "detention_start": (today - chrono::Duration::days(20)).to_string(),
            "expected_release": (today + chrono::Duration::days(60)).to_string(), "municipality_id": org("Gemeente Dordrecht"),
        })).await;
        let (_, action) = cm.post(&format!("/api/cases/{}/actions", id(&other)), json!({
            "domain": "debts", "description": "Toestemmingsformulier schuldeisers", "owner_organisation_id": org("PI Dordrecht"),
            "due_date": (today + chrono::Duration::days(7)).to_string(),
        })).await;
        let (_, manual) = cm.post(&format!("/api/actions/{}/escalations", id(&action)), json!({ "note": "Zelfde probleem als bij Daan." })).await;
        let (status, linked) = rio.post(&format!("/api/obstacles/{obstacle}/escalations"), json!({ "escalation_id": id(&manual) })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((linked["escalations"].as_i64(), linked["cases_affected"].as_i64()), (Some(3), Some(2)));

        // Linked escalations are shown as far as the reader may see them.
        let (_, seen_by_housing) = housing.get(&format!("/api/obstacles/{obstacle}")).await;
        assert_eq!(list(&seen_by_housing["linked_escalations"]).len(), 2, "not the escalation of a case Woonbron is not on");
        assert_eq!(seen_by_housing["cases_affected"], 2, "the count itself is aggregate");
        assert_eq!(seen_by_housing["may_edit"], false);
        let (_, seen_by_steering) = steering.get(&format!("/api/obstacles/{obstacle}")).await;
        assert_eq!(list(&seen_by_steering["linked_escalations"]).len(), 3);

        // Who keeps the register, and bad input.
        let (status, _) = housing.post("/api/obstacles", json!({ "title": "Van een partner" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, bad) = rio.post("/api/obstacles", json!({ "title": "  " })).await;
        assert_eq!((status, bad["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("title")));
        let (status, created) = rio.post("/api/obstacles", json!({ "title": "Wachtlijst beschermd wonen", "domain": "housing",
            "owner_organisation_id": org("Gemeente Dordrecht") })).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!((created["status"].as_str(), created["cases_affected"].as_i64()), (Some("open"), Some(0)));
        let (status, _) = housing.patch(&format!("/api/obstacles/{obstacle}"), json!({ "status": "resolved" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, resolved) = steering.patch(&format!("/api/obstacles/{obstacle}"), json!({ "status": "resolved" })).await;
        assert_eq!((status, resolved["status"].as_str()), (StatusCode::OK, Some("resolved")));
        let (status, _) = steering.patch(&format!("/api/obstacles/{}", uuid::Uuid::new_v4()), json!({ "status": "resolved" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, register) = steering.get("/api/obstacles").await;
        assert_eq!(register[0]["title"], "Wachtlijst beschermd wonen", "open obstacles come first");
    }
}

on_both_backends! {
    async fn owners_hear_of_new_and_nearly_due_actions_and_only_their_own_notifications(app: TestApp) {
        let demo = app.demo_case().await;
        let (housing, probation, steering) = (app.login(HOUSING).await, app.login(PROBATION).await, app.login(STEERING).await);
        let due = (app.now().date_naive() + chrono::Duration::days(20)).to_string();
        let (status, action) = demo.casemanager.post(&format!("/api/cases/{}/actions", demo.case_id), json!({
            "domain": "housing", "description": "Intake beschermd wonen plannen", "owner_organisation_id": demo.housing_org, "due_date": due,
        })).await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, notes) = housing.get("/api/notifications").await;
        assert_eq!(list(&notes).iter().filter(|n| n["kind"] == "action_assigned" && n["subject_id"] == action["id"]).count(), 1);
        let (_, notes) = probation.get("/api/notifications").await;
        assert!(list(&notes).iter().all(|n| n["kind"] != "action_assigned"), "another organisation's action is not announced to probation");

        // The debts action (probation's) is due in five days: no reminder yet; at three days one, once.
        run_engine(&steering).await;
        let reminders = |notes: &Value| list(notes).iter().filter(|n| n["kind"] == "action_due").count();
        assert_eq!(reminders(&probation.get("/api/notifications").await.1), 0);
        app.advance(chrono::Duration::days(2));
        let steering = app.login(STEERING).await;
        run_engine(&steering).await;
        run_engine(&steering).await;
        let probation = app.login(PROBATION).await;
        let (_, notes) = probation.get("/api/notifications").await;
        assert_eq!(reminders(&notes), 1);
        let (_, count) = probation.get("/api/notifications/unread-count").await;
        let unread = count["unread"].as_i64().unwrap();
        assert!(unread >= 1);
        let (status, after) = probation.post("/api/notifications/read-all", json!({})).await;
        assert_eq!((status, after["unread"].as_i64()), (StatusCode::OK, Some(0)));
        let (_, notes) = probation.get("/api/notifications?unread=true").await;
        assert!(list(&notes).is_empty());
        let (_, steering_notes) = steering.get("/api/notifications").await;
        assert!(list(&steering_notes).is_empty(), "the steering group is on no case and gets no case notifications");
    }
}

/// The service on `backend` with its mail going to a [`fake_smtp`] server, and what that server
/// received.
pub async fn app_with_smtp(backend: Backend) -> (TestApp, Arc<Mutex<Vec<String>>>) {
    let (port, mails) = fake_smtp().await;
    let app = TestApp::spawn_with(backend, |config| {
        config.smtp_url = Some(ketentafel::config::Secret::new(format!("smtp://127.0.0.1:{port}")));
    })
    .await;
    (app, mails)
}

/// A fake SMTP server on a free local port that keeps each message it receives.
pub async fn fake_smtp() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let kept = mails.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(message) = data.as_mut() {
                        if line == "." {
                            kept.lock().unwrap().push(data.take().unwrap());
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") {
                        b"250-fake\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("DATA") {
                        data = Some(String::new());
                        b"354 go ahead\r\n"
                    } else if command.starts_with("QUIT") {
                        b"221 bye\r\n"
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, mails)
}

/// The text of a message's body, undoing quoted-printable soft breaks and escapes.
pub fn readable(message: &str) -> String {
    let body = message.split_once("\n\n").map_or(message, |(_, body)| body);
    let joined = body.replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

on_both_backends! {
    async fn notification_emails_carry_a_link_and_no_case_details(app: TestApp) {
        let backend = app.backend;
        drop(app);
        let (app, mails) = app_with_smtp(backend).await;
        let demo = app.demo_case().await;
        let (_, case) = demo.casemanager.get(&format!("/api/cases/{}", demo.case_id)).await;
        let action = list(&case["actions"]).iter().find(|a| a["domain"] == "housing").unwrap();
        let (status, _) = demo.casemanager.post(&format!("/api/actions/{}/escalations", id(action)),
            json!({ "note": "Woonbron reageert al weken niet." })).await;
        assert_eq!(status, StatusCode::CREATED);

        // The rio, probation and the housing corporation are on the case; the casemanager raised it.
        let mut received = Vec::new();
        for _ in 0..100 {
            received = mails.lock().unwrap().clone();
            if received.len() >= 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(received.len(), 3, "one e-mail per member told");
        for message in &received {
            let text = readable(message);
            assert!(text.contains("Log in om de melding te bekijken:"), "{text}");
            assert!(text.contains(&format!("{}/notifications/", app.url(""))), "a link back: {text}");
            for secret in ["Daan", "Inschrijven", "Woonbron reageert", "Dordrecht"] {
                assert!(!text.contains(secret), "the e-mail reveals {secret}: {text}");
            }
        }
        assert!(received.iter().any(|m| m.contains("rio@gemeente-dordrecht.example")));
    }
}
