//! Live conferences with real media: headless participants (the same `webrtc` crate) join
//! through the real signalling and lobby and send stamped RTP through the real SFU.

use crate::helpers::*;
use crate::on_both_backends;
use ketentafel::signalling::protocol::{ClientMessage, ServerMessage};
use ketentafel_load::headless::{JoinConfig, MediaPlan, Participant};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

pub const PATIENCE: Duration = Duration::from_secs(20);

/// Light media for tests: the point is correctness, not load.
fn plan() -> MediaPlan {
    MediaPlan { video_bitrate_bps: 300_000, keyframe_interval: Duration::from_secs(3600), ..MediaPlan::default() }
}

/// A session token for a demo account.
pub async fn token(app: &TestApp, email: &str) -> String {
    let (_, body) = app.anonymous().post("/api/session", json!({ "email": email, "password": "demo" })).await;
    body["token"].as_str().expect("a login returns a token").to_owned()
}

/// A session token for a guest invited to `meeting`.
pub async fn guest_token(app: &TestApp, chair: &Client, meeting: Uuid) -> String {
    let (_, invite) = chair
        .post(
            &format!("/api/meetings/{meeting}/invites"),
            json!({ "kind": "guest", "name": "Gerda Gast", "organisation": "Woonbron" }),
        )
        .await;
    let token = invite["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let (_, accepted) =
        app.anonymous().post(&format!("/api/invites/{token}/accept"), json!({ "accept_confidentiality": true })).await;
    accepted["token"].as_str().expect("a guest gets a session token").to_owned()
}

pub async fn join(app: &TestApp, token: String, meeting: Uuid, media: bool) -> Participant {
    let config = JoinConfig { server: app.url(""), token, meeting_id: meeting, media: media.then(plan) };
    Participant::join(config).await.expect("the participant joins")
}

/// Polls `condition` until it holds or `PATIENCE` runs out.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Video and audio packets `receiver` got from `sender`.
pub fn packets(receiver: &Participant, sender: Uuid) -> (u64, u64) {
    let video = receiver.received.stream(sender, true).map_or(0, |s| s.packets);
    let audio = receiver.received.stream(sender, false).map_or(0, |s| s.packets);
    (video, audio)
}

/// The chair admits whoever is waiting with this id.
pub async fn admit(chair: &mut Participant, who: Uuid) {
    chair
        .expect(PATIENCE, |m| {
            matches!(m, ServerMessage::LobbyChanged { waiting } if waiting.iter().any(|p| p.id == who)).then_some(())
        })
        .await
        .expect("the chair sees the participant waiting");
    chair.send(ClientMessage::Admit { participant_id: who, unencrypted: false });
}

on_both_backends! {
    async fn three_participants_receive_each_others_media_intact_and_the_lobby_receives_nothing(app: TestApp) {
        three_participants(app, true).await
    }
}

/// The same with the media on the engine's tasks (`--media-loop false`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_participants_receive_each_others_media_intact_and_the_lobby_receives_nothing_on_the_engine() {
    three_participants(TestApp::spawn_with(Backend::Sqlite, |c| c.media_loop = false).await, false).await
}

/// Three participants and a guest left in the lobby, each publishing; then one leaves. `on_loop`:
/// the server's media runs on the owned loop (the default), else on the engine.
async fn three_participants(app: TestApp, on_loop: bool) {
    let demo = app.demo_case().await;
    let meeting = demo.meeting_id;
    let mut chair = join(&app, token(&app, CASEMANAGER).await, meeting, true).await;
    chair.admitted(PATIENCE).await.expect("the chair enters directly");

    let mut probation = join(&app, token(&app, PROBATION).await, meeting, true).await;
    admit(&mut chair, probation.id).await;
    probation.admitted(PATIENCE).await.expect("admitted");
    let mut housing = join(&app, token(&app, HOUSING).await, meeting, true).await;
    admit(&mut chair, housing.id).await;
    housing.admitted(PATIENCE).await.expect("admitted");

    // Someone left waiting in the lobby, publishing all the while.
    let waiting = join(&app, guest_token(&app, &demo.casemanager, meeting).await, meeting, true).await;

    let everyone = [&chair, &probation, &housing];
    for receiver in everyone {
        for sender in everyone.iter().filter(|s| s.id != receiver.id) {
            eventually("every participant receives video and audio from both others", || {
                let (video, audio) = packets(receiver, sender.id);
                video >= 30 && audio >= 30
            })
            .await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Each of the three publishes and subscribes; the guest in the lobby publishes.
    let hosted = ketentafel::sfu::media_loop_connections();
    if on_loop {
        assert!(hosted >= 7, "the server's connections are on the loop: {hosted}");
    } else {
        assert_eq!(hosted, 0, "the engine does not use the loop");
    }
    for receiver in everyone {
        assert_eq!(
            receiver.received.corrupt.load(std::sync::atomic::Ordering::Relaxed),
            0,
            "every payload arrives intact"
        );
        for ((_, _), stream) in receiver.received.all() {
            assert_eq!(stream.duplicates, 0);
        }
        assert_eq!(packets(receiver, waiting.id), (0, 0), "media of someone in the lobby reaches nobody");
    }
    assert!(waiting.sent.video.load(std::sync::atomic::Ordering::Relaxed) > 0, "the waiting guest did publish");
    assert!(waiting.received.all().is_empty(), "the lobby receives nothing");

    // A leaver's tracks disappear for the others.
    let leaver = housing.id;
    housing.leave().await;
    for receiver in [&mut chair, &mut probation] {
        receiver
            .expect(PATIENCE, |m| {
                matches!(m, ServerMessage::ParticipantLeft { participant_id, .. } if *participant_id == leaver)
                    .then_some(())
            })
            .await
            .expect("the others hear that he left");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = packets(&chair, leaver);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(packets(&chair, leaver), before, "nothing of the leaver arrives any more");
    let (video, audio) = packets(&chair, probation.id);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (video_after, audio_after) = packets(&chair, probation.id);
    assert!(video_after > video && audio_after > audio, "the others keep receiving each other");
    waiting.leave().await;
    probation.leave().await;
    chair.leave().await;
    eventually("the loop holds no connection of the conference", || ketentafel::sfu::media_loop_connections() == 0)
        .await;
}

on_both_backends! {
    async fn a_late_joiner_gets_a_keyframe_because_the_publisher_is_asked_for_one(app: TestApp) {
        late_joiner(app).await
    }
}

/// The same on two loops: the conference lives in one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_joiner_gets_a_keyframe_because_the_publisher_is_asked_for_one_on_two_loops() {
    late_joiner(TestApp::spawn_with(Backend::Sqlite, |c| c.media_loops = 2).await).await
}

/// The same with the media on the engine's tasks (`--media-loop false`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_joiner_gets_a_keyframe_because_the_publisher_is_asked_for_one_on_the_engine() {
    late_joiner(TestApp::spawn_with(Backend::Sqlite, |c| c.media_loop = false).await).await
}

/// Someone joins long after the last keyframe.
async fn late_joiner(app: TestApp) {
    let demo = app.demo_case().await;
    let meeting = demo.meeting_id;
    let mut chair = join(&app, token(&app, CASEMANAGER).await, meeting, true).await;
    chair.admitted(PATIENCE).await.expect("the chair enters directly");
    let early = join(&app, token(&app, PROBATION).await, meeting, true).await;
    admit(&mut chair, early.id).await;
    eventually("the early participant receives video", || packets(&early, chair.id).0 > 20).await;
    // Keyframes come only on request in this test (the schedule is an hour): wait until the
    // start-up keyframes are long past.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let asked_before = chair.sent.keyframe_requests.load(std::sync::atomic::Ordering::Relaxed);

    let mut late = join(&app, token(&app, HOUSING).await, meeting, true).await;
    admit(&mut chair, late.id).await;
    late.admitted(PATIENCE).await.expect("admitted");
    eventually("the late joiner receives a keyframe of the chair's video", || {
        late.received.stream(chair.id, true).is_some_and(|s| s.keyframes > 0)
    })
    .await;
    assert!(
        chair.sent.keyframe_requests.load(std::sync::atomic::Ordering::Relaxed) > asked_before,
        "the SFU asked the publisher (PLI)"
    );
    let first = late.received.stream(chair.id, true).unwrap();
    assert!(
        first.first_keyframe_at.unwrap() - first.first_at.unwrap() < Duration::from_secs(3),
        "the keyframe comes promptly"
    );
    late.leave().await;
    early.leave().await;
    chair.leave().await;
}
