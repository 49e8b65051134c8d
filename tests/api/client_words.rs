//! The client's own words (issue 14): the chair writes an action and the conference's purpose in
//! plain language for the client; the client's plan, his invite, `/api/me` and his welcome in the
//! room carry only those texts (or nothing, for a plain default), never the professionals'.

use crate::helpers::*;
use crate::on_both_backends;
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

const PURPOSE_FOR_CLIENT: &str = "We praten samen over je plan voor als je vrijkomt.";
const TEXT_FOR_CLIENT: &str = "Je hebt een plek om te slapen als je vrijkomt.";

/// A new action on the demo case (by the casemanager), due in `due_in` days.
async fn new_action(app: &TestApp, demo: &DemoCase, description: &str, due_in: i64) -> Value {
    let due = (app.now() + chrono::Duration::days(due_in)).date_naive();
    let (status, action) = demo
        .casemanager
        .post(
            &format!("/api/cases/{}/actions", demo.case_id),
            json!({ "domain": "housing", "description": description, "owner_organisation_id": demo.housing_org, "due_date": due }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    action
}

/// The client of the demo conference, invited by `chair`: his session (cookie), its bearer
/// token and his invite link's token.
async fn client_of(app: &TestApp, chair: &Client, demo: &DemoCase) -> (Client, String, String) {
    let (status, invite) =
        chair.post(&format!("/api/meetings/{}/invites", demo.meeting_id), json!({ "kind": "client" })).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let link = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let client = app.anonymous();
    let (status, accepted) = client.post(&format!("/api/invites/{link}/accept"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let token = accepted["token"].as_str().expect("the client gets a session token").to_owned();
    (client, token, link)
}

/// Every item of every domain of a plan.
fn plan_items(plan: &Value) -> Vec<&Value> {
    plan["domains"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["i_will"].as_array().unwrap().iter().chain(d["they_will"].as_array().unwrap()))
        .collect()
}

on_both_backends! {
    async fn the_chair_writes_an_action_and_the_purpose_for_the_client_and_reads_them_back(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let action = new_action(&app, &demo, "Inschrijving Woonnet en urgentieaanvraag afronden", 10).await;
        assert_eq!(action["client_text"], "", "a new action has no client text yet");

        let (status, written) = cm.put(&format!("/api/actions/{}/client-text", id(&action)), json!({ "text": format!("  {TEXT_FOR_CLIENT}  ") })).await;
        assert_eq!(status, StatusCode::OK, "{written}");
        assert_eq!(written["client_text"], TEXT_FOR_CLIENT, "trimmed");
        assert_eq!(written["description"], "Inschrijving Woonnet en urgentieaanvraag afronden", "the professionals' text is unchanged");
        let (_, detail) = cm.get(&format!("/api/actions/{}", id(&action))).await;
        assert_eq!(detail["client_text"], TEXT_FOR_CLIENT);
        let (_, actions) = cm.get(&format!("/api/cases/{}/actions", demo.case_id)).await;
        assert!(actions.as_array().unwrap().iter().any(|a| a["client_text"] == TEXT_FOR_CLIENT));

        let (status, meeting) = cm.put(&format!("/api/meetings/{}/client-purpose", demo.meeting_id), json!({ "text": PURPOSE_FOR_CLIENT })).await;
        assert_eq!(status, StatusCode::OK, "{meeting}");
        assert_eq!(meeting["client_purpose"], PURPOSE_FOR_CLIENT);
        let (_, page) = cm.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
        assert_eq!(page["meeting"]["client_purpose"], PURPOSE_FOR_CLIENT);
        let line = page["minutes"]["domains"].as_array().unwrap().iter()
            .flat_map(|d| d["agreed"].as_array().unwrap().iter().chain(d["carried_over"].as_array().unwrap()))
            .find(|a| a["id"] == action["id"]).cloned();
        assert_eq!(line.map(|l| l["client_text"].clone()), Some(json!(TEXT_FOR_CLIENT)), "the live minutes carry it for the chair's editor");

        // An empty text clears it: the client's screen falls back to the plain default.
        let (status, cleared) = cm.put(&format!("/api/actions/{}/client-text", id(&action)), json!({ "text": "   " })).await;
        assert_eq!((status, cleared["client_text"].as_str()), (StatusCode::OK, Some("")));

        let (_, trail) = app.login(RIO).await.get(&format!("/api/cases/{}/audit?limit=1000", demo.case_id)).await;
        let trail = trail.as_array().unwrap();
        let lines = |what: &str, subject: &Value| trail.iter().filter(|e| e["action"] == what && e["subject_id"] == *subject).map(|e| e["detail"].as_str().unwrap_or("").to_owned()).collect::<Vec<_>>();
        let mut action_lines = lines("action.client_text", &action["id"]);
        action_lines.sort();
        assert_eq!(action_lines, ["cleared", "written"], "both writes of the action's client text are in the trail");
        assert_eq!(lines("meeting.client_purpose", &json!(demo.meeting_id)), ["written"]);
    }
}

on_both_backends! {
    async fn client_texts_are_plain_short_and_visible_or_refused_without_changing_anything(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let action = new_action(&app, &demo, "Urgentie aanvragen", 10).await;
        let path = format!("/api/actions/{}/client-text", id(&action));
        let purpose = format!("/api/meetings/{}/client-purpose", demo.meeting_id);
        for bad in ["x".repeat(301), "Je krijgt \u{202E}een kamer".to_owned(), "Je krijgt\u{0007} een kamer".to_owned(), "Je\u{200B}krijgt".to_owned()] {
            for target in [&path, &purpose] {
                let (status, body) = cm.put(target, json!({ "text": bad })).await;
                assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text")), "{target}: {bad:?} → {body}");
            }
        }
        assert_eq!(cm.put(&path, json!({ "text": "x".repeat(300) })).await.0, StatusCode::OK, "300 characters fit");
        let (status, _) = cm.put(&path, json!({ "txt": "Je krijgt een kamer" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown field is refused");
        let (status, _) = cm.put(&path, json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the text is required (empty clears)");
        let (status, _) = cm.request(reqwest::Method::PUT, &path, None).await;
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::UNSUPPORTED_MEDIA_TYPE, "no body: {status}");
        let (status, _) = cm.put(&format!("/api/actions/{}/client-text", Uuid::now_v7()), json!({ "text": "Je" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = cm.put(&format!("/api/meetings/{}/client-purpose", Uuid::now_v7()), json!({ "text": "Je" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, detail) = cm.get(&format!("/api/actions/{}", id(&action))).await;
        assert_eq!(detail["client_text"], "x".repeat(300), "the refused writes changed nothing");
        let (_, page) = cm.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
        assert_eq!(page["meeting"]["client_purpose"], "");
    }
}

on_both_backends! {
    async fn only_the_chair_writes_the_client_texts_and_others_off_the_case_do_not_even_see_them(app: TestApp) {
        let demo = app.demo_case().await;
        let action = new_action(&app, &demo, "Urgentie aanvragen", 10).await;
        let path = format!("/api/actions/{}/client-text", id(&action));
        let purpose = format!("/api/meetings/{}/client-purpose", demo.meeting_id);
        let body = json!({ "text": "Je krijgt een kamer." });
        // A partner on the case (even the owning organisation) may update the action's status,
        // but not what the chair tells the client.
        let housing = app.login(HOUSING).await;
        for target in [&path, &purpose] {
            let (status, refused) = housing.put(target, body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{target}: {refused}");
        }
        // Not on the case: the case, its actions and conferences do not exist for them.
        for who in [OUTSIDER, STEERING, ADMIN] {
            let other = app.login(who).await;
            for target in [&path, &purpose] {
                let (status, refused) = other.put(target, body.clone()).await;
                assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND, "{who} {target}: {status} {refused}");
            }
        }
        // The client himself cannot write them either.
        let (client, _, _) = client_of(&app, &demo.casemanager, &demo).await;
        for target in [&path, &purpose] {
            let (status, _) = client.put(target, body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "the client: {target}");
        }
        let (_, detail) = demo.casemanager.get(&format!("/api/actions/{}", id(&action))).await;
        assert_eq!(detail["client_text"], "", "nothing changed");
        // The coordinator of the case manages it and may.
        let (status, _) = app.login(RIO).await.put(&path, body.clone()).await;
        assert_eq!(status, StatusCode::OK);
    }
}

on_both_backends! {
    async fn the_client_reads_only_the_texts_written_for_him_and_an_overdue_item_is_marked(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let professional = "Inschrijving Woonnet en urgentieaanvraag afronden (dossier 4711)";
        let written = new_action(&app, &demo, professional, 1).await;
        let (status, _) = cm.put(&format!("/api/actions/{}/client-text", id(&written)), json!({ "text": TEXT_FOR_CLIENT })).await;
        assert_eq!(status, StatusCode::OK);
        let (_, page) = cm.get(&format!("/api/meetings/{}", demo.meeting_id)).await;
        let professional_purpose = page["meeting"]["purpose"].as_str().unwrap().to_owned();
        assert!(!professional_purpose.is_empty());
        let (_, actions) = cm.get(&format!("/api/cases/{}/actions", demo.case_id)).await;
        let descriptions: Vec<String> = actions.as_array().unwrap().iter().map(|a| a["description"].as_str().unwrap().to_owned()).collect();
        assert!(descriptions.len() > 1);

        // Before a purpose is written for him, he gets none at all (his screen shows a plain default).
        let (early, _, early_link) = client_of(&app, cm, &demo).await;
        let (_, me) = early.get("/api/me").await;
        assert_eq!(me["purpose"], "", "{me}");
        let (_, preview) = early.get(&format!("/api/invites/{early_link}")).await;
        assert_eq!(preview["purpose"], "", "{preview}");
        let (_, plan) = early.get(&format!("/api/meetings/{}/plan", demo.meeting_id)).await;
        assert!(plan["client_purpose"].is_null(), "{plan}");
        let (status, _) = cm.put(&format!("/api/meetings/{}/client-purpose", demo.meeting_id), json!({ "text": PURPOSE_FOR_CLIENT })).await;
        assert_eq!(status, StatusCode::OK);

        // Two days on, the new action (due tomorrow) is overdue; the conference is today.
        app.advance(chrono::Duration::days(2));
        let chair = app.login(CASEMANAGER).await;
        let (client, token, link) = client_of(&app, &chair, &demo).await;
        let (status, plan) = client.get(&format!("/api/meetings/{}/plan", demo.meeting_id)).await;
        assert_eq!(status, StatusCode::OK, "{plan}");
        assert_eq!(plan["client_purpose"], PURPOSE_FOR_CLIENT);
        let items = plan_items(&plan);
        let mine = items.iter().find(|i| i["client_text"] == TEXT_FOR_CLIENT).expect("the written text is in his plan");
        assert_eq!((mine["overdue"].as_bool(), mine["done"].as_bool()), (Some(true), Some(false)), "{mine}");
        assert_eq!(mine["who"], "Woonbron");
        assert!(items.iter().filter(|i| i["client_text"] != TEXT_FOR_CLIENT).all(|i| i["client_text"].is_null()),
            "items without a text of their own carry none (the screen shows the plain default)");
        assert!(items.iter().any(|i| i["overdue"] == false), "not everything is overdue: {plan}");
        let text = plan.to_string();
        for description in &descriptions {
            assert!(!text.contains(description.as_str()), "the professionals' action text {description:?} is not in the client's plan");
        }
        assert!(!text.contains(&professional_purpose), "the professionals' purpose is not in the client's plan");
        assert!(plan.get("purpose").is_none() && items.iter().all(|i| i.get("description").is_none()));

        // His other views say the same.
        let (_, me) = client.get("/api/me").await;
        assert_eq!(me["purpose"], PURPOSE_FOR_CLIENT);
        let (_, preview) = client.get(&format!("/api/invites/{link}")).await;
        assert_eq!(preview["purpose"], PURPOSE_FOR_CLIENT);
        let welcome = welcome_purpose(&app, &token, demo.meeting_id).await;
        assert_eq!(welcome, PURPOSE_FOR_CLIENT, "the room's welcome names his purpose, not the professionals'");
        // A professional in the same room reads the professionals' purpose.
        let (_, login) = app.anonymous().post("/api/session", json!({ "email": CASEMANAGER, "password": "demo" })).await;
        let chair_welcome = welcome_purpose(&app, login["token"].as_str().unwrap(), demo.meeting_id).await;
        assert_eq!(chair_welcome, professional_purpose);

        let (_, trail) = app.login(RIO).await.get(&format!("/api/cases/{}/audit?limit=1000", demo.case_id)).await;
        assert!(trail.as_array().unwrap().iter().any(|e| e["action"] == "plan.read" && e["actor_kind"] == "invite"), "his reading is audited");
    }
}

/// Joins `meeting` over the WebSocket with `token` and returns the purpose of the welcome.
async fn welcome_purpose(app: &TestApp, token: &str, meeting: Uuid) -> String {
    let mut request = app.url("/ws").replacen("http", "ws", 1).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the upgrade succeeds");
    let join = json!({ "type": "join", "v": ketentafel::signalling::protocol::VERSION, "meeting_id": meeting });
    socket.send(Message::Text(join.to_string().into())).await.unwrap();
    let purpose = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(Ok(frame)) = socket.next().await {
            if let Message::Text(text) = frame {
                let message: Value = serde_json::from_str(text.as_str()).unwrap();
                if message["type"] == "welcome" {
                    return message["meeting"]["purpose"].as_str().unwrap().to_owned();
                }
            }
        }
        panic!("the socket closed before a welcome");
    })
    .await
    .expect("a welcome in time");
    let _ = socket.close(None).await;
    purpose
}
