//! The pre-join network check: who may run it, that the server really answers from its media
//! port (a webrtc-rs client connects through it), and what is refused.

use crate::helpers::*;
use crate::on_both_backends;
use ketentafel::sfu::{PublishedVideo, Sfu, SfuConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn token_of(invite: &Value) -> String {
    invite["url"].as_str().expect("an invite has a url").rsplit('/').next().unwrap().to_owned()
}

/// Offers from a headless client, posts to `path`, applies the answer; whether ICE and DTLS
/// came up within 10 s.
async fn connects_through(client: &Client, path: &str) -> (StatusCode, bool) {
    let sfu = Sfu::new(SfuConfig::default());
    let (publisher, offer) =
        sfu.client_publisher("check", Box::new(|_| {}), PublishedVideo::Single).await.expect("a client offer");
    let (status, answer) = client.post(path, json!({ "sdp": offer })).await;
    if status != StatusCode::OK {
        return (status, false);
    }
    publisher.answer(answer["sdp"].as_str().expect("an answer").to_owned()).await.expect("the answer applies");
    let connected = publisher.connected(Duration::from_secs(10)).await;
    publisher.close().await;
    (status, connected)
}

on_both_backends! {
    configure = |config: &mut ketentafel::config::Config| {
        config.turn = vec!["turns:turn.example.org:443?transport=tcp".into()];
        config.turn_secret = Some(ketentafel::config::Secret::new("een gedeeld geheim dat lang genoeg is"));
    };
    async fn a_participant_checks_the_connection_to_the_media_server_before_entering(app: TestApp) {
        let demo = app.demo_case().await;
        let path = format!("/api/meetings/{}/network-check", demo.meeting_id);
        let (status, servers) = demo.casemanager.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{servers}");
        assert_eq!(servers["ice_servers"][0]["urls"], json!(["turns:turn.example.org:443?transport=tcp"]));
        assert!(servers["ice_servers"][0]["username"].as_str().unwrap().contains(":check-"));
        assert_eq!(servers["ice_relay_only"], false);
        let (status, connected) = connects_through(&demo.casemanager, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(connected, "the check's connection comes up from the media port");

        let admin = app.login(ADMIN).await;
        let (_, trail) = admin.get("/api/admin/audit?action=meeting.network_check&limit=100").await;
        assert_eq!(trail.as_array().unwrap().len(), 2, "each request of the check is audited: {trail}");
    }
}

on_both_backends! {
    async fn an_invite_link_may_check_before_it_is_accepted_and_a_revoked_one_may_not(app: TestApp) {
        let demo = app.demo_case().await;
        let invites = format!("/api/meetings/{}/invites", demo.meeting_id);
        let (_, first) = demo.casemanager.post(&invites, json!({ "kind": "client" })).await;
        let link = token_of(&first);
        let anonymous = app.anonymous();
        let (status, servers) = anonymous.get(&format!("/api/invites/{link}/network-check")).await;
        assert_eq!(status, StatusCode::OK, "{servers}");
        let (status, connected) = connects_through(&anonymous, &format!("/api/invites/{link}/network-check")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(connected, "the check's connection comes up for an invite link too");

        // A new client link revokes the old one.
        let (status, _) = demo.casemanager.post(&invites, json!({ "kind": "client" })).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = anonymous.get(&format!("/api/invites/{link}/network-check")).await;
        assert_eq!(status, StatusCode::GONE);
        let (status, _) = anonymous.get("/api/invites/not-a-token/network-check").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

on_both_backends! {
    async fn the_check_needs_the_rooms_credentials_and_a_real_offer(app: TestApp) {
        let demo = app.demo_case().await;
        let path = format!("/api/meetings/{}/network-check", demo.meeting_id);
        let (status, _) = app.anonymous().get(&path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let outsider = app.login(OUTSIDER).await;
        let (status, _) = outsider.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "someone outside the case does not learn the conference exists");
        let (status, body) = demo.casemanager.post(&path, json!({ "sdp": "hello" })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")));
        let (status, _) = demo.casemanager.post(&path, json!({ "sdp": format!("v=0\r\n{}", "a=x\r\n".repeat(5000)) })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an oversized offer is refused before it is parsed");
        let (status, body) = demo.casemanager.post(&path, json!({ "sdp": "v=0\r\nnonsense" })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")), "{body}");
    }
}

on_both_backends! {
    async fn one_person_cannot_check_without_end(app: TestApp) {
        let demo = app.demo_case().await;
        let path = format!("/api/meetings/{}/network-check", demo.meeting_id);
        for _ in 0..ketentafel::signalling::check::CHECKS_PER_MINUTE {
            assert_eq!(demo.casemanager.get(&path).await.0, StatusCode::OK);
        }
        assert_eq!(demo.casemanager.get(&path).await.0, StatusCode::TOO_MANY_REQUESTS);
        let colleague = app.login(RIO).await;
        assert_eq!(colleague.get(&path).await.0, StatusCode::OK, "the limit is per person, not per address");
        app.advance(chrono::Duration::minutes(2));
        assert_eq!(demo.casemanager.get(&path).await.0, StatusCode::OK, "a minute later he may check again");
    }
}
