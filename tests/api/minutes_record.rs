//! The finalised minutes tell the truth: when the conference was held (or that it was not), who
//! took part from when to when, when and by whom it was finalised; its PDF is made once, stored,
//! and carries the content hash on every page; two conferences of one case may not overlap.

use crate::conference::{PATIENCE, admit, join, token};
use crate::helpers::*;
use crate::on_both_backends;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;

fn list(value: &Value) -> &Vec<Value> {
    value.as_array().expect("an array")
}

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().expect("a timestamp").parse().expect("RFC 3339")
}

/// The PDF's bytes and its `X-Content-SHA256` header.
async fn pdf(client: &Client, meeting: uuid::Uuid) -> (StatusCode, Vec<u8>, Option<String>) {
    let response =
        client.http.get(format!("{}/api/meetings/{meeting}/minutes.pdf", client.base)).send().await.expect("an answer");
    let status = response.status();
    let sha = response.headers().get("x-content-sha256").map(|v| v.to_str().unwrap().to_owned());
    (status, response.bytes().await.expect("a body").to_vec(), sha)
}

/// The text of a PDF per page, as poppler's `pdftotext` reads it.
fn pdf_pages(bytes: &[u8]) -> Vec<String> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(file.path())
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success(), "pdftotext reads the PDF: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    text.split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .map(|page| page.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

on_both_backends! {
    async fn the_record_says_when_it_was_held_who_was_there_from_when_to_when_and_who_finalised_it(app: TestApp) {
        let demo = app.demo_case().await;
        let (cm, meeting) = (&demo.casemanager, demo.meeting_id);
        let opened = app.now();
        let mut chair = join(&app, token(&app, CASEMANAGER).await, meeting, false).await;
        chair.admitted(PATIENCE).await.expect("the chair enters directly");
        app.advance(Duration::minutes(3));
        let mut probation = join(&app, token(&app, PROBATION).await, meeting, false).await;
        admit(&mut chair, probation.id).await;
        probation.admitted(PATIENCE).await.expect("admitted");
        app.advance(Duration::minutes(20));
        probation.leave().await;
        // The room records the departure in the background; wait until the draft shows it.
        let path = format!("/api/meetings/{meeting}");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let (_, page) = cm.get(&path).await;
            if list(&page["minutes"]["attendance"]).iter().any(|a| a["name"] == "Priya Ramdin" && !a["left_at"].is_null()) {
                assert!(page["record_sha256"].is_null(), "a draft has no record hash");
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the departure is recorded: {page}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        app.advance(Duration::minutes(10));

        let (status, record) = cm.post(&format!("/api/meetings/{meeting}/finalise"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{record}");
        let finalised_at = at(&record["finalised_at"]);
        assert_eq!(finalised_at, opened + Duration::minutes(33));
        assert_eq!(at(&record["started_at"]), opened, "held from the chair's arrival");
        assert_eq!(at(&record["ended_at"]), finalised_at, "the chair was still in: it ends when finalised");
        assert_eq!(record["finalised_by_name"], "Inge de Wit (PI Dordrecht)");
        let attendance = list(&record["attendance"]);
        let priya = attendance.iter().find(|a| a["name"] == "Priya Ramdin").expect("the partner is in the attendance");
        assert_eq!((at(&priya["joined_at"]), at(&priya["left_at"])), (opened + Duration::minutes(3), opened + Duration::minutes(23)));
        let inge = attendance.iter().find(|a| a["name"] == "Inge de Wit").expect("the chair is in the attendance");
        assert_eq!((at(&inge["joined_at"]), inge["left_at"].is_null()), (opened, true));

        // The page reads the frozen record back, with the hash of what was stored.
        let (_, page) = cm.get(&path).await;
        assert_eq!(page["minutes"]["started_at"], record["started_at"]);
        let sha = page["record_sha256"].as_str().expect("a finalised record has a hash").to_owned();
        assert!(sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()), "{sha}");

        // The printable page says the same, in words.
        let (status, html) = cm.get_text(&format!("/api/meetings/{meeting}/minutes")).await;
        assert_eq!(status, StatusCode::OK);
        for expected in ["Begonnen", "Afgelopen", "Vastgesteld", "Inge de Wit (PI Dordrecht)", "Priya Ramdin, Reclassering (Ketenpartner)", &sha] {
            assert!(html.contains(expected), "the printable minutes say {expected:?}");
        }
        chair.leave().await;
    }
}

on_both_backends! {
    async fn a_conference_nobody_entered_is_recorded_as_not_held(app: TestApp) {
        let demo = app.demo_case().await;
        let (status, record) = demo.casemanager.post(&format!("/api/meetings/{}/finalise", demo.meeting_id), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{record}");
        assert!(record["started_at"].is_null() && record["ended_at"].is_null(), "{record}");
        assert_eq!(record["attendance"], json!([]));
        let (_, html) = demo.casemanager.get_text(&format!("/api/meetings/{}/minutes", demo.meeting_id)).await;
        assert!(html.contains("Dit beraad is niet gehouden") && html.contains("Niemand heeft deelgenomen"), "{html}");
        let (status, bytes, _) = pdf(&demo.casemanager, demo.meeting_id).await;
        assert_eq!(status, StatusCode::OK);
        let text = pdf_pages(&bytes).join(" ");
        assert!(text.contains("Dit beraad is niet gehouden"), "{text}");
    }
}

on_both_backends! {
    async fn the_pdf_has_the_records_text_and_its_hash_on_every_page_and_never_changes(app: TestApp) {
        let demo = app.demo_case().await;
        let (cm, meeting) = (&demo.casemanager, demo.meeting_id);
        let (status, early) = cm.get(&format!("/api/meetings/{meeting}/minutes.pdf")).await;
        assert_eq!((status, early["error"].as_str()), (StatusCode::CONFLICT, Some("minutes_not_final")));

        // Enough text for several pages, with Dutch letters and a long word.
        let long = "Cliënt heeft geen woning; de corporatie zoekt een kamer in Dordrecht-Oost. ".repeat(18);
        for domain in ["id", "housing", "work_income", "debts", "care"] {
            let (status, body) = cm.put(&format!("/api/meetings/{meeting}/domains/{domain}"), json!({
                "situation": format!("Situatie {domain}: {long}"), "client_wish": format!("Wens {domain}: een eigen plek."),
            })).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let due = (app.now().date_naive() + Duration::days(14)).to_string();
        let (status, action) = cm.post(&format!("/api/cases/{}/actions", demo.case_id), json!({
            "domain": "housing", "description": "Inschrijven bij Woonbron voor een urgentieverklaring",
            "owner_organisation_id": demo.housing_org, "due_date": due, "meeting_id": meeting,
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{action}");
        let mut chair = join(&app, token(&app, CASEMANAGER).await, meeting, false).await;
        chair.admitted(PATIENCE).await.expect("the chair enters directly");
        let (status, _) = cm.post(&format!("/api/meetings/{meeting}/finalise"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        chair.leave().await;
        let (_, page) = cm.get(&format!("/api/meetings/{meeting}")).await;
        let sha = page["record_sha256"].as_str().expect("a hash").to_owned();

        let (status, first, header) = pdf(cm, meeting).await;
        assert_eq!(status, StatusCode::OK);
        assert!(first.starts_with(b"%PDF-1.4"));
        assert_eq!(header.as_deref(), Some(sha.as_str()));
        let pages = pdf_pages(&first);
        assert!(pages.len() >= 2, "long minutes take several pages: {}", pages.len());
        for (n, page) in pages.iter().enumerate() {
            assert!(page.contains(&sha), "page {} carries the content hash", n + 1);
            assert!(page.contains(&format!("Pagina {} van {}", n + 1, pages.len())), "page {} is numbered: {page}", n + 1);
        }
        let text = pages.join(" ");
        for expected in [
            "Verslag netwerkberaad", "Identiteitsbewijs (regelzaken)", "Onderdak (wonen)", "Werk en inkomen", "Schulden (financiën)", "Zorg",
            "Wens housing: een eigen plek.", "Cliënt heeft geen woning", "Inschrijven bij Woonbron voor een urgentieverklaring",
            "Deelnemers", "Inge de Wit, PI Dordrecht (Casemanager)", "Vastgesteld", "Inge de Wit (PI Dordrecht)", "Begonnen",
        ] {
            assert!(text.contains(expected), "the PDF says {expected:?}: {text}");
        }

        // Served as stored: the same bytes every time, also after a second finalise is refused.
        let (_, second, _) = pdf(cm, meeting).await;
        assert_eq!(first, second, "two downloads are byte-identical");
        let (status, again) = cm.post(&format!("/api/meetings/{meeting}/finalise"), json!({})).await;
        assert_eq!((status, again["error"].as_str()), (StatusCode::CONFLICT, Some("minutes_finalised")));
        app.advance(Duration::minutes(5));
        let (status, third, _) = pdf(cm, meeting).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(first, third, "a refused second finalise changes nothing");

        // Need-to-know: the same rules as the minutes, and every download audited.
        let (status, _, _) = pdf(&app.login(PROBATION).await, meeting).await;
        assert_eq!(status, StatusCode::OK, "a partner on the case reads it");
        let (status, _, _) = pdf(&app.login(OUTSIDER).await, meeting).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a partner not on the case does not learn it exists");
        let (status, _, _) = pdf(&app.login(ADMIN).await, meeting).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "nor does an administrator");
        let (status, _, _) = pdf(&app.anonymous(), meeting).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (_, trail) = app.login(RIO).await.get(&format!("/api/cases/{}/audit?limit=1000", demo.case_id)).await;
        let downloads = list(&trail).iter().filter(|e| e["action"] == "minutes.pdf").count();
        assert_eq!(downloads, 4, "each download by someone on the case is audited");
    }
}

on_both_backends! {
    async fn conferences_of_one_case_may_not_overlap_when_scheduled_or_moved(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let (_, page) = cm.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
        let booked = at(&page["meeting"]["scheduled_at"]);
        let schedule = |start: DateTime<Utc>| {
            let cm = cm.clone();
            let path = format!("/api/cases/{}/meetings", demo.case_id);
            async move { cm.post(&path, json!({ "scheduled_at": start.to_rfc3339(), "purpose": "Extra beraad" })).await }
        };

        for clash in [booked, booked + Duration::minutes(59), booked - Duration::minutes(30)] {
            let (status, body) = schedule(clash).await;
            assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("meeting_overlaps")), "{clash}: {body}");
        }
        let (status, after) = schedule(booked + Duration::minutes(60)).await;
        assert_eq!(status, StatusCode::CREATED, "back to back is allowed: {after}");
        let (status, before) = schedule(booked - Duration::minutes(60)).await;
        assert_eq!(status, StatusCode::CREATED, "{before}");
        let (_, case) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert_eq!(list(&case["meetings"]).len(), 4, "the demo's two and the two that fit; no refused one");

        // Moving: into another's slot is refused, elsewhere it moves; only who may schedule.
        let moved = format!("/api/meetings/{}", id(&after));
        let (status, body) = cm.patch(&moved, json!({ "scheduled_at": (booked + Duration::minutes(30)).to_rfc3339() })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("meeting_overlaps")), "{body}");
        let (status, body) = app.login(PROBATION).await.patch(&moved, json!({ "scheduled_at": (booked + Duration::days(1)).to_rfc3339() })).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = app.login(OUTSIDER).await.patch(&moved, json!({ "scheduled_at": (booked + Duration::days(1)).to_rfc3339() })).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let target = booked + Duration::days(1);
        let (status, body) = cm.patch(&moved, json!({ "scheduled_at": target.to_rfc3339() })).await;
        assert_eq!((status, at(&body["scheduled_at"])), (StatusCode::OK, target), "{body}");
        let (status, body) = cm.patch(&moved, json!({ "scheduled_at": (target + Duration::minutes(60)).to_rfc3339() })).await;
        assert_eq!(status, StatusCode::OK, "a conference's own slot never blocks it: {body}");

        // A finalised conference does not move.
        let (status, _) = cm.post(&format!("{moved}/finalise"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = cm.patch(&moved, json!({ "scheduled_at": (target + Duration::days(2)).to_rfc3339() })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("meeting_started")));
        let (_, trail) = app.login(RIO).await.get(&format!("/api/cases/{}/audit?limit=1000", demo.case_id)).await;
        assert_eq!(list(&trail).iter().filter(|e| e["action"] == "meeting.reschedule").count(), 2, "each move is audited");
    }
}
