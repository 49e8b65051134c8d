//! The signalling protocol over a real WebSocket: bad input of every kind, dead connections,
//! rejoining, removal, the live minutes, what the database keeps, and the ICE servers.

use crate::conference::{admit, guest_token, join, token};
use crate::helpers::*;
use crate::on_both_backends;
use futures_util::{SinkExt, StreamExt};
use ketentafel::signalling::protocol::{ClientMessage, E2eeKey, Presence, ServerMessage};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A bare protocol client: sends text; a task reads (and so answers pings) and queues what the
/// server says.
struct Raw {
    sink: futures_util::stream::SplitSink<Socket, Message>,
    messages: tokio::sync::mpsc::UnboundedReceiver<ServerMessage>,
    reader: tokio::task::JoinHandle<()>,
}

impl Raw {
    async fn connect(app: &TestApp, token: &str) -> Raw {
        let mut request = app.url("/ws").replacen("http", "ws", 1).into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("the upgrade succeeds");
        let (sink, mut stream) = socket.split();
        let (queue, messages) = tokio::sync::mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                if let Message::Text(text) = frame {
                    let message: ServerMessage = serde_json::from_str(text.as_str()).expect("server messages parse");
                    // The liveness message comes every ping interval; the tests are about the rest.
                    if message != ServerMessage::Ping {
                        let _ = queue.send(message);
                    }
                }
            }
        });
        Raw { sink, messages, reader }
    }

    /// Stops reading without closing: to the server, a machine that hangs.
    fn freeze(self) -> futures_util::stream::SplitSink<Socket, Message> {
        self.reader.abort();
        self.sink
    }

    async fn send_text(&mut self, text: impl Into<String>) {
        self.sink.send(Message::Text(text.into().into())).await.expect("the socket is open");
    }

    async fn send(&mut self, message: Value) {
        self.send_text(message.to_string()).await;
    }

    /// The next server message.
    async fn next(&mut self) -> ServerMessage {
        let message =
            tokio::time::timeout(Duration::from_secs(15), self.messages.recv()).await.expect("a message in time");
        message.expect("the connection is open")
    }

    /// The next message that `wanted` accepts.
    async fn until<T>(&mut self, mut wanted: impl FnMut(&ServerMessage) -> Option<T>) -> T {
        loop {
            if let Some(found) = wanted(&self.next().await) {
                return found;
            }
        }
    }

    /// Sends `message` and returns the code of the error it gets.
    async fn refused(&mut self, message: Value) -> String {
        self.send(message).await;
        self.until(|m| match m {
            ServerMessage::Error { code, .. } => Some(code.clone()),
            _ => None,
        })
        .await
    }

    /// The codes of the errors the server sends until it closes the connection.
    async fn errors_until_closed(&mut self) -> Vec<String> {
        let mut codes = Vec::new();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(15), self.messages.recv()).await;
            match next.expect("the server closes the connection in time") {
                Some(ServerMessage::Error { code, .. }) => codes.push(code),
                Some(_) => {}
                None => return codes,
            }
        }
    }

    /// Joins as a browser that can encrypt end to end (the headless key, docs/e2ee.md).
    async fn join(&mut self, meeting: Uuid) -> ServerMessage {
        let key = E2eeKey::headless();
        self.send(json!({ "type": "join", "v": 1, "meeting_id": meeting, "e2ee_key": key })).await;
        self.next().await
    }
}

fn you(welcome: &ServerMessage) -> Uuid {
    match welcome {
        ServerMessage::Welcome { you, .. } => you.id,
        other => panic!("expected a welcome, got {other:?}"),
    }
}

on_both_backends! {
    async fn malformed_messages_of_every_type_are_refused_and_the_room_stays_intact(app: TestApp) {
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;

        // Before joining.
        assert_eq!(chair.refused(json!({ "type": "publish_offer", "sdp": "v=0" })).await, "out_of_order");
        assert_eq!(chair.refused(json!({ "type": "join", "v": 2, "meeting_id": meeting })).await, "unsupported_version");
        assert_eq!(chair.refused(json!({ "type": "join", "v": 1, "meeting_id": Uuid::now_v7() })).await, "not_found");
        assert_eq!(chair.refused(json!({ "type": "join", "v": 1 })).await, "malformed");
        let welcome = chair.join(meeting).await;
        let chair_id = you(&welcome);
        chair.until(|m| matches!(m, ServerMessage::Admitted { .. }).then_some(())).await;

        let cases: Vec<(Value, &str)> = vec![
            (json!("{"), "malformed"),
            (json!({ "type": "dance" }), "unknown_type"),
            (json!({ "no_type": true }), "malformed"),
            (json!({ "type": "join", "v": 1, "meeting_id": meeting }), "out_of_order"),
            (json!({ "type": "publish_offer", "sdp": 42 }), "malformed"),
            (json!({ "type": "publish_offer", "sdp": "this is not SDP" }), "invalid_sdp"),
            (json!({ "type": "subscribe_answer", "sdp": "v=0" }), "out_of_order"),
            (json!({ "type": "ice_candidate", "pc": "sideways", "candidate": null }), "malformed"),
            (json!({ "type": "mute", "audio": "yes", "video": false }), "malformed"),
            (json!({ "type": "raise_hand" }), "malformed"),
            (json!({ "type": "admit", "participant_id": "nobody" }), "malformed"),
            (json!({ "type": "admit", "participant_id": Uuid::now_v7() }), "unknown_participant"),
            (json!({ "type": "deny", "participant_id": Uuid::now_v7() }), "unknown_participant"),
            (json!({ "type": "request_mute", "participant_id": chair_id, "kind": "smell" }), "malformed"),
            (json!({ "type": "remove" }), "malformed"),
            (json!({ "type": "force_mute" }), "malformed"),
            (json!({ "type": "force_mute", "participant_id": Uuid::now_v7() }), "unknown_participant"),
            (json!({ "type": "force_mute", "participant_id": chair_id }), "invalid"),
            (json!({ "type": "allow_speak", "participant_id": Uuid::now_v7() }), "unknown_participant"),
            (json!({ "type": "lower_hand", "participant_id": chair_id }), "unknown_participant"),
            (json!({ "type": "mute_all", "everyone": true }), "malformed"),
            (json!({ "type": "remove", "participant_id": chair_id }), "invalid"),
            (json!({ "type": "send_out_client", "now": true }), "malformed"),
            (json!({ "type": "bring_back_client" }), "out_of_order"),
            (json!({ "type": "end_meeting", "reason": 1 }), "malformed"),
            (json!({ "type": "leave", "extra": 1 }), "malformed"),
        ];
        for (message, code) in cases {
            let text = match &message { Value::String(raw) => raw.clone(), other => other.to_string() };
            chair.send_text(text).await;
            let got = chair.until(|m| match m { ServerMessage::Error { code, .. } => Some(code.clone()), _ => None }).await;
            assert_eq!(got, code, "{message}");
        }
        chair.send_text(format!(r#"{{"type":"publish_offer","sdp":"{}"}}"#, "a".repeat(70_000))).await;
        assert_eq!(chair.until(|m| match m { ServerMessage::Error { code, .. } => Some(code.clone()), _ => None }).await, "too_large");
        chair.sink.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
        assert_eq!(chair.until(|m| match m { ServerMessage::Error { code, .. } => Some(code.clone()), _ => None }).await, "malformed");

        // A partner in the lobby may not do a chair's work.
        let mut partner = Raw::connect(&app, &token(&app, PROBATION).await).await;
        let partner_id = you(&partner.join(meeting).await);
        assert!(matches!(partner.next().await, ServerMessage::Lobby));
        assert_eq!(partner.refused(json!({ "type": "end_meeting" })).await, "forbidden");
        assert_eq!(partner.refused(json!({ "type": "admit", "participant_id": partner_id })).await, "forbidden");
        assert_eq!(partner.refused(json!({ "type": "raise_hand", "raised": true })).await, "out_of_order");
        assert_eq!(partner.refused(json!({ "type": "mute_all" })).await, "forbidden");
        assert_eq!(partner.refused(json!({ "type": "force_mute", "participant_id": chair_id })).await, "forbidden");

        // After all that, the connection and the room work as before.
        chair.until(|m| matches!(m, ServerMessage::LobbyChanged { waiting } if waiting.iter().any(|p| p.id == partner_id)).then_some(())).await;
        chair.send(json!({ "type": "admit", "participant_id": partner_id })).await;
        let participants = partner.until(|m| match m { ServerMessage::Admitted { participants } => Some(participants.clone()), _ => None }).await;
        assert_eq!(participants.len(), 2);
        partner.send(json!({ "type": "raise_hand", "raised": true })).await;
        chair.until(|m| matches!(m, ServerMessage::ParticipantUpdated { participant } if participant.id == partner_id && participant.hand_raised).then_some(())).await;
    }
}

/// The chair and the probation officer in the room; the partner's token and participant id.
async fn chair_and_partner(app: &TestApp, meeting: Uuid) -> (Raw, Raw, String, Uuid) {
    let mut chair = Raw::connect(app, &token(app, CASEMANAGER).await).await;
    chair.join(meeting).await;
    let partner_token = token(app, PROBATION).await;
    let mut partner = Raw::connect(app, &partner_token).await;
    let partner_id = you(&partner.join(meeting).await);
    chair.until(|m| matches!(m, ServerMessage::LobbyChanged { waiting } if !waiting.is_empty()).then_some(())).await;
    chair.send(json!({ "type": "admit", "participant_id": partner_id })).await;
    partner.until(|m| matches!(m, ServerMessage::Admitted { .. }).then_some(())).await;
    (chair, partner, partner_token, partner_id)
}

/// What the chair hears next about `who`: `Some(reconnecting)` for an update, `None` for a leave.
async fn next_about(chair: &mut Raw, who: Uuid) -> Option<bool> {
    chair
        .until(|m| match m {
            ServerMessage::ParticipantUpdated { participant } if participant.id == who => {
                Some(Some(participant.reconnecting))
            }
            ServerMessage::ParticipantLeft { participant_id, .. } if *participant_id == who => Some(None),
            _ => None,
        })
        .await
}

on_both_backends! {
    configure = |config: &mut ketentafel::config::Config| config.ws_ping_ms = 200;
    async fn a_dead_connection_is_noticed_within_seconds_and_its_owner_takes_his_seat_again(app: TestApp) {
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let (mut chair, partner, partner_token, partner_id) = chair_and_partner(&app, meeting).await;

        // The partner's machine hangs: its socket stays open but answers nothing (not even pings).
        let started = std::time::Instant::now();
        let frozen = partner.freeze();
        assert_eq!(next_about(&mut chair, partner_id).await, Some(true), "the chair sees him reconnecting, not gone");
        assert!(started.elapsed() < Duration::from_secs(5), "noticed within seconds ({:?})", started.elapsed());
        drop(frozen);

        // Back with the same credentials: straight into his seat, no second lobby.
        let mut back = Raw::connect(&app, &partner_token).await;
        assert_eq!(you(&back.join(meeting).await), partner_id, "the same seat, the same tile for the others");
        let participants = back.until(|m| match m { ServerMessage::Admitted { participants } => Some(participants.clone()), ServerMessage::Lobby => panic!("sent to the lobby again"), _ => None }).await;
        assert!(participants.iter().all(|p| p.presence == Presence::Admitted && !p.reconnecting));
        assert_eq!(next_about(&mut chair, partner_id).await, Some(false), "the chair sees him back");
    }
}

on_both_backends! {
    configure = |config: &mut ketentafel::config::Config| { config.ws_ping_ms = 200; config.seat_grace_seconds = 1; };
    async fn someone_gone_longer_than_the_seat_grace_period_is_shown_as_left(app: TestApp) {
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let (mut chair, partner, partner_token, partner_id) = chair_and_partner(&app, meeting).await;

        drop(partner.freeze()); // Both halves gone: the socket closes.
        assert_eq!(next_about(&mut chair, partner_id).await, Some(true));
        assert_eq!(next_about(&mut chair, partner_id).await, None, "left once the grace period is over");

        // Admitted once, admitted again: a later return needs no lobby, as a new stay.
        let mut back = Raw::connect(&app, &partner_token).await;
        assert_ne!(you(&back.join(meeting).await), partner_id);
        back.until(|m| match m { ServerMessage::Admitted { .. } => Some(()), ServerMessage::Lobby => panic!("sent to the lobby again"), _ => None }).await;
    }
}

on_both_backends! {
    async fn a_removal_the_chair_is_told_of_is_recorded_and_the_guest_cannot_come_back(app: TestApp) {
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;
        chair.join(meeting).await;
        let guest_session = guest_token(&app, &demo.casemanager, meeting).await;
        let mut guest = Raw::connect(&app, &guest_session).await;
        let guest_id = you(&guest.join(meeting).await);
        let guest_api = |path: String| reqwest::Client::new().get(app.url(&path)).bearer_auth(&guest_session).send();
        chair.until(|m| matches!(m, ServerMessage::LobbyChanged { waiting } if !waiting.is_empty()).then_some(())).await;
        chair.send(json!({ "type": "admit", "participant_id": guest_id })).await;
        guest.until(|m| matches!(m, ServerMessage::Admitted { .. }).then_some(())).await;
        // Admitted means admitted everywhere at once: the minutes open without waiting.
        let read = guest_api(format!("/api/meetings/{meeting}")).await.unwrap().status();
        assert_eq!(read, reqwest::StatusCode::OK, "an admitted guest reads the minutes at once");

        // While the database cannot take the removal, nobody may be told it happened.
        let lock = app.db.lock_removals().await;
        chair.send(json!({ "type": "remove", "participant_id": guest_id })).await;
        let removed = |m: &ServerMessage| matches!(m, ServerMessage::ParticipantLeft { participant_id, reason } if *participant_id == guest_id && reason == "removed").then_some(());
        let told_early = tokio::time::timeout(Duration::from_millis(500), chair.until(removed)).await;
        lock.release().await;
        assert!(told_early.is_err(), "the chair was told of a removal the database did not have");
        chair.until(removed).await;
        // The moment the chair is told, the removal is in the database (which every request
        // reads the invite from): a crash now changes nothing.
        let read = guest_api(format!("/api/meetings/{meeting}")).await.unwrap().status();
        assert_eq!(read, reqwest::StatusCode::FORBIDDEN, "the removal is recorded before the chair hears of it");

        let mut again = Raw::connect(&app, &guest_session).await;
        let refused = again.join(meeting).await;
        assert!(matches!(&refused, ServerMessage::Error { code, .. } if code == "forbidden") || refused == ServerMessage::Removed, "{refused:?}");
    }
}

on_both_backends! {
    async fn everyone_in_the_room_sees_the_minutes_change_when_anyone_writes_them(app: TestApp) {
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;
        chair.join(meeting).await;
        let mut rio = Raw::connect(&app, &token(&app, RIO).await).await;
        rio.join(meeting).await;
        rio.until(|m| matches!(m, ServerMessage::Admitted { .. }).then_some(())).await;

        let (status, _) = demo.casemanager.put(&format!("/api/meetings/{meeting}/domains/housing"), json!({ "situation": "Kamer gevonden" })).await;
        assert_eq!(status, reqwest::StatusCode::OK);
        for socket in [&mut chair, &mut rio] {
            let event = socket.until(|m| match m { ServerMessage::MinutesChanged { event } => Some(serde_json::to_value(event).unwrap()), _ => None }).await;
            assert_eq!((event["what"].as_str(), event["domain"].as_str()), (Some("domain_written"), Some("housing")));
        }
    }
}

on_both_backends! {
    configure = |config: &mut ketentafel::config::Config| config.room_grace_seconds = 0;
    async fn the_database_keeps_who_attended_and_when_the_conference_ran(app: TestApp) {
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let mut chair = join(&app, token(&app, CASEMANAGER).await, meeting, false).await;
        chair.admitted(Duration::from_secs(15)).await.unwrap();
        let mut rio = join(&app, token(&app, RIO).await, meeting, false).await;
        rio.admitted(Duration::from_secs(15)).await.unwrap();
        // Right after each other: the room may still be telling the chair that Rik left when
        // the chair's own connection has closed behind his `leave`.
        rio.leave().await;
        chair.leave().await;

        let mut page = Value::Null;
        for _ in 0..100 {
            page = demo.casemanager.get(&format!("/api/meetings/{meeting}")).await.1;
            if page["meeting"]["ended_at"].is_string() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(page["meeting"]["status"], "live");
        assert!(page["meeting"]["started_at"].is_string());
        assert!(page["meeting"]["ended_at"].is_string(), "an empty conference ends after its grace period: {}", page["meeting"]);
        let attendance = page["minutes"]["attendance"].as_array().unwrap();
        let names: Vec<&str> = attendance.iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Inge de Wit", "Rik Vermeulen"]);
        assert!(attendance.iter().all(|a| a["left_at"].is_string()));
    }
}

on_both_backends! {
    configure = |config: &mut ketentafel::config::Config| {
        config.stun = vec!["stun:stun.example.org:3478".into()];
        config.turn = vec!["turns:turn.example.org:443?transport=tcp".into()];
        config.turn_secret = Some(ketentafel::config::Secret::new("een gedeeld geheim dat lang genoeg is"));
    };
    async fn participants_are_handed_stun_and_expiring_turn_credentials(app: TestApp) {
        let demo = app.demo_case().await;
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;
        let ServerMessage::Welcome { ice_servers, you, .. } = chair.join(demo.meeting_id).await else { panic!("a welcome") };
        assert_eq!(ice_servers[0].urls, ["stun:stun.example.org:3478"]);
        let turn = &ice_servers[1];
        assert_eq!(turn.urls, ["turns:turn.example.org:443?transport=tcp"]);
        let username = turn.username.as_deref().unwrap();
        let (expiry, label) = username.split_once(':').unwrap();
        assert_eq!(label, you.id.to_string());
        assert!(expiry.parse::<i64>().unwrap() > app.now().timestamp());
        assert_eq!(turn.credential.as_deref().map(str::len), Some(28));
    }
}

on_both_backends! {
    async fn browsers_may_use_any_candidate_unless_the_deployment_says_relay_only(app: TestApp) {
        let demo = app.demo_case().await;
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;
        let ServerMessage::Welcome { ice_relay_only, .. } = chair.join(demo.meeting_id).await else { panic!("a welcome") };
        assert!(!ice_relay_only);
    }
}

on_both_backends! {
    configure = |config: &mut ketentafel::config::Config| {
        config.turn = vec!["turns:turn.example.org:443?transport=tcp".into()];
        config.turn_secret = Some(ketentafel::config::Secret::new("een gedeeld geheim dat lang genoeg is"));
        config.ice_relay_only = true;
    };
    async fn a_relay_only_deployment_tells_every_browser_to_relay(app: TestApp) {
        let demo = app.demo_case().await;
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;
        let ServerMessage::Welcome { ice_relay_only, ice_servers, .. } = chair.join(demo.meeting_id).await else {
            panic!("a welcome")
        };
        assert!(ice_relay_only);
        assert_eq!(ice_servers[0].urls, ["turns:turn.example.org:443?transport=tcp"]);
    }
}

on_both_backends! {
    async fn the_client_sent_out_receives_no_media_until_brought_back(app: TestApp) {
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let mut chair = join(&app, token(&app, CASEMANAGER).await, meeting, true).await;
        chair.admitted(Duration::from_secs(15)).await.unwrap();
        let (_, invite) = demo.casemanager.post(&format!("/api/meetings/{meeting}/invites"), json!({ "kind": "client" })).await;
        let client_token = {
            let link = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
            app.anonymous().post(&format!("/api/invites/{link}/accept"), json!({})).await.1["token"].as_str().unwrap().to_owned()
        };
        let mut client = join(&app, client_token, meeting, true).await;
        admit(&mut chair, client.id).await;
        client.admitted(Duration::from_secs(15)).await.unwrap();
        crate::conference::eventually("the client sees the chair", || crate::conference::packets(&client, chair.id).0 > 10).await;

        chair.send(ClientMessage::SendOutClient {});
        client.expect(Duration::from_secs(15), |m| matches!(m, ServerMessage::SentOut).then_some(())).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let out_since = crate::conference::packets(&client, chair.id);
        let chair_had = crate::conference::packets(&chair, client.id);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(crate::conference::packets(&client, chair.id), out_since, "no media reaches the client while out");
        assert_eq!(crate::conference::packets(&chair, client.id), chair_had, "and the client's media reaches nobody");

        chair.send(ClientMessage::BringBackClient {});
        client.expect(Duration::from_secs(15), |m| matches!(m, ServerMessage::BroughtBack).then_some(())).await.unwrap();
        crate::conference::eventually("media flows to the client again", || crate::conference::packets(&client, chair.id).0 > out_since.0 + 10).await;
        client.leave().await;
        chair.leave().await;
    }
}

on_both_backends! {
    async fn someone_taken_off_the_case_or_logged_out_leaves_the_conference_at_once(app: TestApp) {
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;
        chair.join(meeting).await;
        let housing_token = token(&app, HOUSING).await;
        let mut housing = Raw::connect(&app, &housing_token).await;
        let housing_id = you(&housing.join(meeting).await);
        chair.until(|m| matches!(m, ServerMessage::LobbyChanged { waiting } if !waiting.is_empty()).then_some(())).await;
        chair.send(json!({ "type": "admit", "participant_id": housing_id })).await;
        housing.until(|m| matches!(m, ServerMessage::Admitted { .. }).then_some(())).await;

        let (_, case) = demo.casemanager.get(&format!("/api/cases/{}", demo.case_id)).await;
        let entry = case["members"].as_array().unwrap().iter().find(|m| m["user_name"] == "Wouter Hendriks").map(id).unwrap();
        let (status, _) = demo.casemanager.delete_with(&format!("/api/cases/{}/members/{entry}", demo.case_id), json!({ "reason": "Woonbron is niet meer betrokken" })).await;
        assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
        housing.until(|m| matches!(m, ServerMessage::Removed).then_some(())).await;
        chair.until(|m| matches!(m, ServerMessage::ParticipantLeft { participant_id, .. } if *participant_id == housing_id).then_some(())).await;

        // Logging out ends the conference too.
        let rio_token = token(&app, RIO).await;
        let mut rio = Raw::connect(&app, &rio_token).await;
        rio.join(meeting).await;
        rio.until(|m| matches!(m, ServerMessage::Admitted { .. }).then_some(())).await;
        let logout = reqwest::Client::new().delete(app.url("/api/session")).bearer_auth(&rio_token).send().await.unwrap();
        assert_eq!(logout.status(), reqwest::StatusCode::NO_CONTENT);
        rio.until(|m| matches!(m, ServerMessage::Removed).then_some(())).await;
    }
}

on_both_backends! {
    async fn a_flood_of_binary_frames_is_rate_limited_and_closed_like_a_flood_of_text(app: TestApp) {
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;
        // 600 frames at once: past the burst of 200, short of cutting the connection off.
        for _ in 0..600 {
            chair.sink.send(Message::Binary(vec![7u8; 16].into())).await.expect("the socket is open");
        }
        let mut codes = Vec::new();
        while codes.len() < 600 {
            match chair.next().await {
                ServerMessage::Error { code, .. } => codes.push(code),
                other => panic!("only errors are expected, not {other:?}"),
            }
        }
        let limited = codes.iter().filter(|c| *c == "rate_limited").count();
        assert!(limited >= 300, "binary frames count against the rate ({limited} of 600 rate-limited)");
        assert_eq!(codes.first().map(String::as_str), Some("malformed"), "a binary message itself is refused");

        // Keep flooding: the connection is cut off instead of answering frame after frame.
        for _ in 0..20_000 {
            if chair.sink.send(Message::Binary(vec![7u8; 16].into())).await.is_err() {
                break;
            }
        }
        let answers = chair.errors_until_closed().await;
        assert!(answers.len() < 1_000, "closed after {} more answers", answers.len());
    }
}

on_both_backends! {
    async fn a_message_over_a_megabyte_is_answered_with_too_large_before_the_connection_closes(app: TestApp) {
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;
        let huge = format!(r#"{{"type":"publish_offer","sdp":"{}"}}"#, "a".repeat(1_500_000));
        let _ = chair.sink.send(Message::Text(huge.into())).await;
        assert_eq!(chair.errors_until_closed().await, vec!["too_large".to_owned()]);
    }
}

on_both_backends! {
    async fn hands_queue_in_order_and_mute_all_locks_everyone_but_the_chair(app: TestApp) {
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;
        chair.join(meeting).await;
        let mut people = Vec::new();
        for email in [PROBATION, HOUSING] {
            let mut raw = Raw::connect(&app, &token(&app, email).await).await;
            let id = you(&raw.join(meeting).await);
            chair.until(|m| matches!(m, ServerMessage::LobbyChanged { waiting } if waiting.iter().any(|p| p.id == id)).then_some(())).await;
            chair.send(json!({ "type": "admit", "participant_id": id })).await;
            raw.until(|m| matches!(m, ServerMessage::Admitted { .. }).then_some(())).await;
            people.push((raw, id));
        }
        let queue_of = |m: &ServerMessage| match m { ServerMessage::HandQueue { queue } => Some(queue.clone()), _ => None };
        // The second raises first: the queue is in the order hands went up, not of arrival.
        people[1].0.send(json!({ "type": "raise_hand", "raised": true })).await;
        assert_eq!(chair.until(queue_of).await, vec![people[1].1]);
        people[0].0.send(json!({ "type": "raise_hand", "raised": true })).await;
        assert_eq!(chair.until(queue_of).await, vec![people[1].1, people[0].1]);
        // The one whose hand is up sees it, and the chair lowers it.
        let raised = people[1].1;
        people[1].0.until(|m| matches!(m, ServerMessage::ParticipantUpdated { participant } if participant.id == raised && participant.hand_raised).then_some(())).await;
        chair.send(json!({ "type": "lower_hand", "participant_id": raised })).await;
        assert_eq!(chair.until(queue_of).await, vec![people[0].1]);
        people[1].0.until(|m| matches!(m, ServerMessage::ParticipantUpdated { participant } if participant.id == raised && !participant.hand_raised).then_some(())).await;

        chair.send(json!({ "type": "mute_all" })).await;
        for (raw, id) in &mut people {
            raw.until(|m| matches!(m, ServerMessage::ForceMuted).then_some(())).await;
            let id = *id;
            chair.until(|m| matches!(m, ServerMessage::ParticipantUpdated { participant } if participant.id == id && participant.audio_locked && participant.audio_muted).then_some(())).await;
        }
        // A locked participant cannot unmute himself.
        people[0].0.send(json!({ "type": "mute", "audio": false, "video": false })).await;
        people[0].0.until(|m| matches!(m, ServerMessage::ForceMuted).then_some(())).await;
        let first = people[0].1;
        chair.send(json!({ "type": "allow_speak", "participant_id": first })).await;
        people[0].0.until(|m| matches!(m, ServerMessage::SpeakAllowed).then_some(())).await;
        people[0].0.send(json!({ "type": "mute", "audio": false, "video": false })).await;
        chair.until(|m| matches!(m, ServerMessage::ParticipantUpdated { participant } if participant.id == first && !participant.audio_muted && !participant.audio_locked).then_some(())).await;
    }
}

on_both_backends! {
    configure = |config: &mut ketentafel::config::Config| config.ws_ping_ms = 200;
    async fn an_enforced_mute_follows_the_person_across_rejoins_with_new_tracks(app: TestApp) {
        use crate::conference::{eventually, packets};
        let patience = Duration::from_secs(20);
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let mut chair = join(&app, token(&app, CASEMANAGER).await, meeting, true).await;
        chair.admitted(patience).await.unwrap();
        let guest_session = guest_token(&app, &demo.casemanager, meeting).await;
        let mut guest = join(&app, guest_session.clone(), meeting, true).await;
        admit(&mut chair, guest.id).await;
        guest.admitted(patience).await.unwrap();
        eventually("the chair hears the guest", || packets(&chair, guest.id).1 > 20).await;

        // The guest's connection drops; he comes back as a new participant with new tracks.
        let first = guest.id;
        guest.vanish();
        let mut guest = join(&app, guest_session.clone(), meeting, true).await;
        let heard_before = packets(&chair, first).1;
        guest.admitted(patience).await.expect("straight back in");
        assert_eq!(guest.id, first, "he takes his seat again");
        eventually("the chair hears the rejoined guest", || packets(&chair, guest.id).1 > heard_before + 20).await;

        // The chair mutes him: the audio of his new track stops arriving, his video does not.
        chair.send(ClientMessage::ForceMute { participant_id: guest.id });
        guest.expect(patience, |m| matches!(m, ServerMessage::ForceMuted).then_some(())).await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        let (video, audio) = packets(&chair, guest.id);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (video_later, audio_later) = packets(&chair, guest.id);
        assert_eq!(audio_later, audio, "no audio of the muted guest reaches the chair");
        assert!(video_later > video, "his video still does");

        // Unmuting by himself does not help.
        guest.send(ClientMessage::Mute { audio: false, video: false });
        guest.expect(patience, |m| matches!(m, ServerMessage::ForceMuted).then_some(())).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(packets(&chair, guest.id).1, audio, "still nothing after unmuting without leave");

        // Nor does rejoining: the newest audio track is never forwarded.
        let second = guest.id;
        guest.vanish();
        let mut guest = join(&app, guest_session.clone(), meeting, true).await;
        let everyone = guest.admitted(patience).await.expect("straight back in");
        let third = guest.id;
        assert_eq!(third, second, "back in his seat");
        let locked = everyone.iter().find(|p| p.id == third).expect("he is among those in the room");
        assert!(locked.audio_locked && locked.audio_muted, "the room still holds the mute: {locked:?}");
        let video_before = packets(&chair, third).0;
        eventually("the chair sees the rejoined guest's video", || packets(&chair, third).0 > video_before + 20).await;
        assert_eq!(packets(&chair, third).1, audio, "none of the new audio track is forwarded");

        // Allowed, he is still silent until he unmutes; then his audio flows again.
        chair.send(ClientMessage::AllowSpeak { participant_id: third });
        guest.expect(patience, |m| matches!(m, ServerMessage::SpeakAllowed).then_some(())).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(packets(&chair, third).1, audio, "allowed is not yet unmuted");
        guest.send(ClientMessage::Mute { audio: false, video: false });
        eventually("the chair hears the guest again", || packets(&chair, third).1 > audio + 20).await;
        guest.leave().await;
        chair.leave().await;
    }
}

on_both_backends! {
    async fn a_browser_that_cannot_encrypt_waits_for_the_chairs_explicit_word_and_keys_reach_only_those_in_the_room(app: TestApp) {
        let demo = app.demo_case().await;
        let meeting = demo.meeting_id;
        let mut chair = Raw::connect(&app, &token(&app, CASEMANAGER).await).await;
        let chair_id = you(&chair.join(meeting).await);
        let mut partner = Raw::connect(&app, &token(&app, PROBATION).await).await;
        let partner_id = you(&partner.join(meeting).await);
        chair.until(|m| matches!(m, ServerMessage::LobbyChanged { waiting } if !waiting.is_empty()).then_some(())).await;
        chair.send(json!({ "type": "admit", "participant_id": partner_id })).await;
        partner.until(|m| matches!(m, ServerMessage::Admitted { .. }).then_some(())).await;

        // Housing joins from a browser without encoded transforms: no key.
        let mut housing = Raw::connect(&app, &token(&app, HOUSING).await).await;
        housing.send(json!({ "type": "join", "v": 1, "meeting_id": meeting })).await;
        let ServerMessage::Welcome { you: housing_me, .. } = housing.next().await else { panic!("a welcome") };
        assert_eq!(housing_me.e2ee_key, None);
        assert!(matches!(housing.next().await, ServerMessage::Lobby));
        let waiting = chair.until(|m| match m { ServerMessage::LobbyChanged { waiting } if !waiting.is_empty() => Some(waiting.clone()), _ => None }).await;
        assert_eq!(waiting[0].id, housing_me.id);
        assert_eq!(waiting[0].e2ee_key, None, "the chair sees who cannot encrypt");

        // Not by a plain admit: the chair must say so.
        assert_eq!(chair.refused(json!({ "type": "admit", "participant_id": housing_me.id })).await, "e2ee_required");

        // Keys: relayed to the partner in the room, not to housing in the lobby, not back to the chair.
        chair.send(json!({ "type": "media_keys", "keys": [
            { "to": partner_id, "key": "a2V5LWZvci1wYXJ0bmVy" },
            { "to": housing_me.id, "key": "a2V5LWZvci1ob3VzaW5n" },
            { "to": chair_id, "key": "a2V5LWZvci1tZQ" },
            { "to": Uuid::now_v7(), "key": "a2V5LWZvci1ub2JvZHk" },
        ] })).await;
        let got = partner.until(|m| match m { ServerMessage::MediaKey { from, key } => Some((*from, key.clone())), _ => None }).await;
        assert_eq!(got, (chair_id, "a2V5LWZvci1wYXJ0bmVy".to_owned()));

        // Bad key messages are refused and relay nothing.
        assert_eq!(chair.refused(json!({ "type": "media_keys", "keys": [{ "to": partner_id, "key": "not base64url!" }] })).await, "malformed");
        let many: Vec<Value> = (0..65).map(|_| json!({ "to": partner_id, "key": "AQID" })).collect();
        assert_eq!(chair.refused(json!({ "type": "media_keys", "keys": many })).await, "too_large");
        assert_eq!(housing.refused(json!({ "type": "media_keys", "keys": [{ "to": chair_id, "key": "AQID" }] })).await, "out_of_order");

        // In, knowingly; nothing wrapped while he waited reached him.
        chair.send(json!({ "type": "admit", "participant_id": housing_me.id, "unencrypted": true })).await;
        let participants = housing.until(|m| match m {
            ServerMessage::Admitted { participants } => Some(participants.clone()),
            ServerMessage::MediaKey { .. } => panic!("a key reached someone in the lobby"),
            _ => None,
        }).await;
        assert_eq!(participants.iter().filter(|p| p.e2ee_key.is_none()).count(), 1, "everyone sees who is in unencrypted");
        partner.until(|m| match m {
            ServerMessage::ParticipantJoined { participant } if participant.id == housing_me.id => Some(()),
            ServerMessage::MediaKey { .. } => panic!("the partner got a key meant for someone else"),
            _ => None,
        }).await;
    }
}
