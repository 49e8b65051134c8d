//! One lifecycle: the real `ketentafel` process, stopped with SIGTERM in the middle of a
//! conference, exits within seconds, and everything it acknowledged is in the database; killed
//! with SIGKILL in the middle of a stream of writes, it has lost nothing it acknowledged.

use crate::helpers::*;
use crate::process::*;
use ketentafel::signalling::protocol::ServerMessage;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

/// `column = id` in the backend's own spelling of a UUID.
fn id_is(db: &TestDb, column: &str, id: Uuid) -> String {
    if db.url.starts_with("sqlite:") {
        format!("hex({column}) = upper('{}')", id.simple())
    } else {
        format!("{column} = '{id}'")
    }
}

async fn scalar(db: &TestDb, sql: &str) -> i64 {
    use sqlx::Connection;
    if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.unwrap()
    }
}

macro_rules! on_both_databases {
    (async fn $name:ident($db:ident: TestDb) $body:block) => {
        mod $name {
            use super::*;
            async fn run($db: TestDb) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(TestDb::create(Backend::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(TestDb::create(Backend::Postgres).await).await;
            }
        }
    };
}

on_both_databases! {
    async fn sigterm_during_a_conference_exits_within_seconds_and_keeps_everything_acknowledged(db: TestDb) {
        let mut service = Process::start(&db).await;
        let Demo { cm, chair_token, case_id, case, meeting } = service.demo().await;

        // A conference: the chair, and a guest he lets in and later removes.
        let mut chair = service.socket(&chair_token).await;
        join(&mut chair, meeting).await;
        let (_, invite) = cm.post(&format!("/api/meetings/{meeting}/invites"),
            json!({ "kind": "guest", "name": "Gerda Gast", "organisation": "Woonbron" })).await;
        let link = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let (_, accepted) = service.client().post(&format!("/api/invites/{link}/accept"), json!({ "accept_confidentiality": true })).await;
        let mut guest = service.socket(accepted["token"].as_str().unwrap()).await;
        let guest_id = join(&mut guest, meeting).await;
        send(&mut chair, json!({ "type": "admit", "participant_id": guest_id })).await;
        until(&mut chair, |m| matches!(m, ServerMessage::ParticipantJoined { .. }).then_some(())).await;

        // Acknowledged changes: minutes, an action, a removal.
        let (status, _) = cm.put(&format!("/api/meetings/{meeting}/domains/care"),
            json!({ "situation": "Zorgverzekering loopt door." })).await;
        assert_eq!(status, StatusCode::OK);
        let owner = case["members"][0]["organisation_id"].as_str().unwrap().to_owned();
        let (status, _) = cm.post(&format!("/api/cases/{case_id}/actions"), json!({
            "domain": "care", "description": "Huisarts zoeken", "owner_organisation_id": owner,
            "due_date": (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string(),
            "meeting_id": meeting,
        })).await;
        assert_eq!(status, StatusCode::CREATED);
        send(&mut chair, json!({ "type": "remove", "participant_id": guest_id })).await;
        until(&mut chair, |m| matches!(m, ServerMessage::ParticipantLeft { reason, .. } if reason == "removed").then_some(())).await;

        let took = service.terminate();
        assert!(took < Duration::from_secs(5), "SIGTERM to exit took {took:?}");

        let meeting = meeting.simple().to_string();
        let id_is = |column: &str| if db.url.starts_with("sqlite:") {
            format!("hex({column}) = upper('{meeting}')")
        } else {
            format!("{column} = '{meeting}'")
        };
        assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM domain_entry WHERE {} AND situation = 'Zorgverzekering loopt door.'", id_is("meeting_id"))).await, 1);
        assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM action WHERE {} AND description = 'Huisarts zoeken'", id_is("meeting_id"))).await, 1);
        assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM invite WHERE {} AND removed_at IS NOT NULL AND admitted_at IS NOT NULL", id_is("meeting_id"))).await, 1);
        // The rooms closed before the store: every stay in the conference has its end.
        assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM meeting_attendance WHERE {}", id_is("meeting_id"))).await, 2);
        assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM meeting_attendance WHERE {} AND left_at IS NULL", id_is("meeting_id"))).await, 0);
    }
}

/// What the service acknowledged before it was killed.
#[derive(Default)]
struct Acknowledged {
    /// The last revision of the care domain's minutes that a PUT answered with.
    minutes_revision: i64,
    actions: Vec<Uuid>,
    admitted: Vec<Uuid>,
    removed: Vec<Uuid>,
}

on_both_databases! {
    async fn sigkill_during_a_stream_of_writes_loses_nothing_that_was_acknowledged(db: TestDb) {
        let mut service = Process::start(&db).await;
        let Demo { cm, chair_token, case_id, case, meeting } = service.demo().await;
        let owner = case["members"][0]["organisation_id"].as_str().unwrap().to_owned();
        let mut chair = service.socket(&chair_token).await;
        join(&mut chair, meeting).await;
        let acked = std::sync::Arc::new(std::sync::Mutex::new(Acknowledged::default()));
        let deadline = Instant::now() + Duration::from_millis(2_500);

        let minutes = {
            let (cm, acked) = (cm.clone(), acked.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let (status, entry) = cm.put(&format!("/api/meetings/{meeting}/domains/care"),
                        json!({ "situation": format!("Versie {n}") })).await;
                    if status != StatusCode::OK { break; }
                    acked.lock().unwrap().minutes_revision = entry["revision"].as_i64().unwrap();
                }
            })
        };
        let actions = {
            let (cm, acked, owner) = (cm.clone(), acked.clone(), owner.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let (status, action) = cm.post(&format!("/api/cases/{case_id}/actions"), json!({
                        "domain": "care", "description": format!("Afspraak {n}"), "owner_organisation_id": owner,
                        "due_date": (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string(),
                    })).await;
                    if status != StatusCode::CREATED { break; }
                    acked.lock().unwrap().actions.push(id(&action));
                }
            })
        };
        // The chair lets guests in and removes them, as fast as the room answers.
        let base = service.base.clone();
        let removals = {
            let (cm, acked) = (cm.clone(), acked.clone());
            tokio::spawn(async move {
                let anonymous = Client { http: reqwest::Client::new(), base: base.clone() };
                loop {
                    let (status, invite) = cm.post(&format!("/api/meetings/{meeting}/invites"),
                        json!({ "kind": "guest", "name": "Gerda Gast", "organisation": "Woonbron" })).await;
                    if status != StatusCode::CREATED { break; }
                    let invite_id = id(&invite["invite"]);
                    let link = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
                    let (_, accepted) = anonymous.post(&format!("/api/invites/{link}/accept"), json!({ "accept_confidentiality": true })).await;
                    let Some(token) = accepted["token"].as_str() else { break };
                    let mut request = format!("{}/ws", base.replacen("http", "ws", 1)).into_client_request().unwrap();
                    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
                    let Ok((mut guest, _)) = tokio_tungstenite::connect_async(request).await else { break };
                    let guest_id = join(&mut guest, meeting).await;
                    send(&mut chair, json!({ "type": "admit", "participant_id": guest_id })).await;
                    until(&mut chair, |m| matches!(m, ServerMessage::ParticipantJoined { participant } if participant.id == guest_id).then_some(())).await;
                    acked.lock().unwrap().admitted.push(invite_id);
                    send(&mut chair, json!({ "type": "remove", "participant_id": guest_id })).await;
                    until(&mut chair, |m| matches!(m, ServerMessage::ParticipantLeft { participant_id, reason } if *participant_id == guest_id && reason == "removed").then_some(())).await;
                    acked.lock().unwrap().removed.push(invite_id);
                }
            })
        };
        tokio::time::sleep_until(deadline.into()).await;
        service.kill();
        let _ = tokio::join!(minutes, actions, removals);

        let acked = std::mem::take(&mut *acked.lock().unwrap());
        eprintln!("acknowledged before the kill: minutes revision {}, {} actions, {} admissions, {} removals", acked.minutes_revision, acked.actions.len(), acked.admitted.len(), acked.removed.len());
        assert!(acked.minutes_revision > 0 && !acked.actions.is_empty() && !acked.removed.is_empty(),
            "writes of every kind were acknowledged before the kill");
        let stored_revision = scalar(&db, &format!(
            "SELECT COALESCE(MAX(revision), 0) FROM domain_entry WHERE {} AND domain = 'care'", id_is(&db, "meeting_id", meeting))).await;
        assert!(stored_revision >= acked.minutes_revision, "minutes: stored {stored_revision}, acknowledged {}", acked.minutes_revision);
        for action in &acked.actions {
            assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM action WHERE {}", id_is(&db, "id", *action))).await, 1, "action {action}");
        }
        for invite in &acked.admitted {
            assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM invite WHERE {} AND admitted_at IS NOT NULL", id_is(&db, "id", *invite))).await, 1, "admission of {invite}");
        }
        for invite in &acked.removed {
            assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM invite WHERE {} AND removed_at IS NOT NULL", id_is(&db, "id", *invite))).await, 1, "removal of {invite}");
        }
    }
}

on_both_databases! {
    async fn sigterm_drains_the_running_conference_refuses_new_ones_and_stops_when_it_ends(db: TestDb) {
        let mut service = Process::start_with(&db, &["--drain-timeout", "60"]).await;
        let Demo { cm, chair_token, case_id, meeting, .. } = service.demo().await;
        let when = (chrono::Utc::now() + chrono::Duration::days(12)).to_rfc3339();
        let (status, other) = cm.post(&format!("/api/cases/{case_id}/meetings"),
            json!({ "scheduled_at": when, "purpose": "Tweede beraad" })).await;
        assert_eq!(status, StatusCode::CREATED, "{other}");
        let other = id(&other);
        let mut chair = service.socket(&chair_token).await;
        join(&mut chair, meeting).await;

        service.signal_term();
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ready = http.get(format!("{}/readyz", service.base)).send().await.expect("still serving");
            if ready.status() == StatusCode::SERVICE_UNAVAILABLE {
                assert_eq!(ready.json::<Value>().await.unwrap()["status"], "draining");
                break;
            }
            assert!(Instant::now() < deadline, "/readyz says draining within 10 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let live = http.get(format!("{}/healthz", service.base)).send().await.unwrap();
        assert_eq!(live.status(), StatusCode::OK, "liveness is not readiness");

        // The running conference goes on; a new one does not start here.
        send(&mut chair, json!({ "type": "raise_hand", "raised": true })).await;
        until(&mut chair, |m| matches!(m, ServerMessage::HandQueue { queue } if !queue.is_empty()).then_some(())).await;
        let mut late = service.socket(&chair_token).await;
        let key = ketentafel::signalling::protocol::E2eeKey::headless();
        send(&mut late, json!({ "type": "join", "v": 1, "meeting_id": other, "e2ee_key": key })).await;
        let refused = until(&mut late, |m| match m { ServerMessage::Error { code, .. } => Some(code.clone()), _ => None }).await;
        assert_eq!(refused, "draining");

        // The last one leaves: the conference ends and the node stops, long before the timeout.
        let left = Instant::now();
        send(&mut chair, json!({ "type": "leave" })).await;
        loop {
            if let Some(status) = service.child.try_wait().expect("the child can be waited for") {
                assert!(status.success(), "a clean exit: {status}");
                break;
            }
            assert!(left.elapsed() < Duration::from_secs(20), "the node stops once its conference ended");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

on_both_databases! {
    async fn the_metrics_listener_counts_conferences_requests_and_refusals_and_names_nobody(db: TestDb) {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().unwrap().port();
        let bind = format!("127.0.0.1:{port}");
        let service = Process::start_with(&db, &["--metrics-bind", &bind]).await;
        let refused = service.client().post("/api/session", json!({ "email": CASEMANAGER, "password": "wrong" })).await;
        assert_eq!(refused.0, StatusCode::UNAUTHORIZED);
        let Demo { chair_token, meeting, .. } = service.demo().await;
        let mut chair = service.socket(&chair_token).await;
        join(&mut chair, meeting).await;

        let text = reqwest::get(format!("http://{bind}/metrics")).await.unwrap().text().await.unwrap();
        let value = |name: &str| -> f64 {
            text.lines()
                .find(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} in\n{text}"))
        };
        assert_eq!(value("ketentafel_conferences"), 1.0);
        assert_eq!(value("ketentafel_participants"), 1.0);
        assert_eq!(value("ketentafel_join_duration_seconds_count"), 1.0);
        assert_eq!(value("ketentafel_draining"), 0.0);
        assert!(value("ketentafel_db_pool_connections") >= 1.0);
        assert!(text.contains(r#"ketentafel_login_refusals_total{code="unauthorized"} 1"#), "{text}");
        assert!(text.contains(r#"route="/api/cases/{id}""#), "routes are templates: {text}");
        assert!(text.contains("ketentafel_media_packets_forwarded_total"));
        // Nobody is named: no id, no e-mail address, no conference.
        let hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
        let has_uuid = text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-')).any(|w| {
            let parts: Vec<&str> = w.split('-').collect();
            parts.len() == 5 && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| hex(p))
        });
        assert!(!has_uuid && !text.contains('@'), "metrics name somebody: {text}");
        // The public port has no metrics.
        let public = reqwest::get(format!("{}/metrics", service.base)).await.unwrap().text().await.unwrap();
        assert!(!public.contains("ketentafel_conferences"));
    }
}
