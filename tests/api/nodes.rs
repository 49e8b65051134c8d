//! Several nodes (docs/operations.md, "Several nodes"): real `ketentafel` processes on one
//! PostgreSQL database and this machine's NATS, each test under its own NATS subject prefix.
//! Participants reach the conference through different nodes and see and hear each other; a
//! minutes write through one node reaches the room on another; the hosting node is killed and
//! the conference goes on on another, with nobody passing the lobby again.

use crate::conference::{PATIENCE, admit, eventually, packets};
use crate::helpers::*;
use crate::invite_list::until_state;
use crate::process::*;
use ketentafel::signalling::protocol::{Participant as Member, ServerMessage};
use ketentafel_load::headless::{JoinConfig, MediaPlan, Participant};
use serde_json::json;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The NATS server of this machine (and of CI).
fn nats_url() -> String {
    std::env::var("KETENTAFEL_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// `count` nodes on one fresh PostgreSQL database, started one after the other (the first
/// seeds the demo workspace).
async fn nodes(count: usize) -> (TestDb, Vec<Process>) {
    let db = TestDb::create(Backend::Postgres).await;
    let prefix = format!("kt-test-{}", Uuid::new_v4().simple());
    let mut nodes = Vec::new();
    for n in 0..count {
        let id = format!("node{n}");
        let nats = nats_url();
        let node = Process::start_with(&db, &["--nats-url", &nats, "--nats-prefix", &prefix, "--node-id", &id]).await;
        nodes.push(node);
    }
    (db, nodes)
}

fn plan() -> MediaPlan {
    MediaPlan { video_bitrate_bps: 300_000, keyframe_interval: Duration::from_secs(3600), ..MediaPlan::default() }
}

async fn join(node: &Process, token: &str, meeting: Uuid) -> Result<Participant, String> {
    let config =
        JoinConfig { server: node.base.clone(), token: token.to_owned(), meeting_id: meeting, media: Some(plan()) };
    Participant::join(config).await.map_err(|e| e.to_string())
}

/// Which node holds the conference's lease, and at which epoch.
async fn host(db: &TestDb, meeting: Uuid) -> Option<(String, i64)> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::query_as("SELECT node, epoch FROM conference_host WHERE meeting_id = $1 AND expires_at > clock_timestamp()")
        .bind(meeting)
        .fetch_optional(&mut conn)
        .await
        .unwrap()
}

/// Every pair of `everyone` receives the other's video and audio.
async fn all_receive_each_other(everyone: &[&Participant]) {
    for receiver in everyone {
        for sender in everyone.iter().filter(|s| s.id != receiver.id) {
            let before = packets(receiver, sender.id);
            eventually("every participant receives fresh video and audio from every other", || {
                let (video, audio) = packets(receiver, sender.id);
                video >= before.0 + 30 && audio >= before.1 + 30
            })
            .await;
        }
    }
}

async fn minutes_changed(participant: &mut Participant) {
    participant
        .expect(PATIENCE, |m| matches!(m, ServerMessage::MinutesChanged { .. }).then_some(()))
        .await
        .expect("the minutes panel hears of the write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_on_different_nodes_share_one_conference_its_media_and_its_minutes() {
    let (db, nodes) = nodes(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let demo = a.demo().await;
    let meeting = demo.meeting;

    let mut chair = join(a, &demo.chair_token, meeting).await.expect("the chair joins through node 0");
    chair.admitted(PATIENCE).await.expect("the chair enters directly");
    assert_eq!(host(&db, meeting).await.map(|h| h.0).as_deref(), Some("node0"), "the first join's node hosts it");

    // The partner's WebSocket lands on node 1, which relays it to node 0.
    let (_, probation_token) = b.login(PROBATION).await;
    let mut probation = join(b, &probation_token, meeting).await.expect("the partner joins through node 1");
    admit(&mut chair, probation.id).await;
    probation.admitted(PATIENCE).await.expect("admitted by the chair on the other node");
    all_receive_each_other(&[&chair, &probation]).await;
    assert_eq!(host(&db, meeting).await.map(|h| h.0).as_deref(), Some("node0"), "one node hosts it, never two");

    // A minutes write through node 1 reaches the room on node 0 (and so both participants).
    let (cm_on_b, _) = b.login(CASEMANAGER).await;
    let (status, body) = cm_on_b
        .put(&format!("/api/meetings/{meeting}/domains/housing"), json!({ "situation": "Kamer bij zus, tijdelijk" }))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    minutes_changed(&mut chair).await;
    minutes_changed(&mut probation).await;

    // A guest's WebSocket lands on node 1 too; the chair's list of invites, read through
    // either node, shows where she is in the room on node 0.
    let (status, created) = cm_on_b
        .post(
            &format!("/api/meetings/{meeting}/invites"),
            json!({ "kind": "guest", "name": "Gerda Gast", "organisation": "Woonbron" }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{created}");
    let invite = id(&created["invite"]);
    let link = created["url"].as_str().expect("a link").rsplit('/').next().unwrap().to_owned();
    let (_, accepted) =
        b.client().post(&format!("/api/invites/{link}/accept"), json!({ "accept_confidentiality": true })).await;
    let guest = join(b, accepted["token"].as_str().expect("a guest token"), meeting).await.expect("the guest joins");
    until_state(&cm_on_b, meeting, invite, "lobby").await;
    until_state(&demo.cm, meeting, invite, "lobby").await;
    admit(&mut chair, guest.id).await;
    until_state(&cm_on_b, meeting, invite, "room").await;
    guest.leave().await;

    // A chair action through the relay: the partner, on node 1, is muted by the room on node 0.
    chair.send(ketentafel::signalling::protocol::ClientMessage::ForceMute { participant_id: probation.id });
    probation
        .expect(PATIENCE, |m| matches!(m, ServerMessage::ForceMuted).then_some(()))
        .await
        .expect("the muted partner hears of it through the relay");
    probation.leave().await;
    chair.leave().await;
    drop(nodes);
    drop(db);
}

/// The seated members as `who` sees them once it is in.
async fn seated(who: &mut Participant) -> Vec<Member> {
    who.admitted(PATIENCE).await.expect("in the room without passing the lobby")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosting_node_is_killed_and_another_takes_the_conference_without_the_lobby() {
    let (db, mut nodes) = nodes(3).await;
    let demo = nodes[0].demo().await;
    let meeting = demo.meeting;
    let (_, probation_token) = nodes[1].login(PROBATION).await;
    let (_, housing_token) = nodes[2].login(HOUSING).await;

    let mut chair = join(&nodes[0], &demo.chair_token, meeting).await.expect("the chair joins through node 0");
    chair.admitted(PATIENCE).await.expect("the chair enters directly");
    let mut probation = join(&nodes[1], &probation_token, meeting).await.expect("through node 1");
    admit(&mut chair, probation.id).await;
    probation.admitted(PATIENCE).await.expect("admitted");
    let mut housing = join(&nodes[2], &housing_token, meeting).await.expect("through node 2");
    admit(&mut chair, housing.id).await;
    housing.admitted(PATIENCE).await.expect("admitted");
    all_receive_each_other(&[&chair, &probation, &housing]).await;
    let (_, first_epoch) = host(&db, meeting).await.expect("a lease");

    // Written and acknowledged before the kill.
    let (status, _) = demo
        .cm
        .put(
            &format!("/api/meetings/{meeting}/domains/debts"),
            json!({ "situation": "Schulden in kaart, 3 schuldeisers" }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);

    nodes[0].kill();
    let killed = Instant::now();
    // Everyone reconnects as a browser does: to whichever node answers (here: the two left),
    // again until it is in.
    let mut back = Vec::new();
    for (token, node) in [(&demo.chair_token, 1), (&probation_token, 1), (&housing_token, 2)] {
        let participant = loop {
            match join(&nodes[node], token, meeting).await {
                Ok(participant) => break participant,
                Err(why) => {
                    assert!(killed.elapsed() < Duration::from_secs(30), "back in the conference: {why}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        };
        back.push(participant);
    }
    let [mut chair_again, mut probation_again, mut housing_again] = back.try_into().ok().expect("three");
    let members = seated(&mut chair_again).await;
    seated(&mut probation_again).await;
    seated(&mut housing_again).await;
    let in_again = killed.elapsed();
    let (new_host, epoch) = host(&db, meeting).await.expect("a lease");
    assert_ne!(new_host, "node0", "another node hosts the conference");
    assert!(epoch > first_epoch, "taking over raised the epoch ({first_epoch} → {epoch})");
    assert!(members.iter().any(|m| m.id == chair_again.id && m.chair), "the chair is still chair: {members:?}");
    println!("killed the host; all three back in the room on {new_host} after {} ms", in_again.as_millis());
    assert!(in_again < Duration::from_secs(10), "back within 10 s of the kill, took {in_again:?}");
    all_receive_each_other(&[&chair_again, &probation_again, &housing_again]).await;

    let (_, page) = nodes[1].login(CASEMANAGER).await.0.get(&format!("/api/meetings/{meeting}")).await;
    let debts = page["minutes"]["domains"].as_array().unwrap().iter().find(|d| d["domain"] == "debts").unwrap();
    assert_eq!(debts["situation"], "Schulden in kaart, 3 schuldeisers", "nothing acknowledged is lost");
    for participant in [chair, probation, housing] {
        participant.vanish();
    }
    for participant in [chair_again, probation_again, housing_again] {
        participant.leave().await;
    }
    drop(nodes);
    drop(db);
}

/// Joins through `node` again and again, as a browser reconnects, until the room lets it in.
async fn rejoin(node: &Process, token: &str, meeting: Uuid, since: Instant) -> Participant {
    loop {
        match join(node, token, meeting).await {
            Ok(participant) => return participant,
            Err(why) => {
                assert!(since.elapsed() < Duration::from_secs(30), "back in the conference: {why}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_node_keeps_its_conference_until_the_deadline_then_hands_it_over() {
    let db = TestDb::create(Backend::Postgres).await;
    let prefix = format!("kt-test-{}", Uuid::new_v4().simple());
    let nats = nats_url();
    let common = ["--nats-url", &nats, "--nats-prefix", &prefix];
    let mut a =
        Process::start_with(&db, &[&common[..], &["--node-id", "node0", "--drain-timeout", "3"]].concat()).await;
    let b = Process::start_with(&db, &[&common[..], &["--node-id", "node1"]].concat()).await;
    let demo = a.demo().await;
    let meeting = demo.meeting;
    let (_, probation_token) = b.login(PROBATION).await;
    let mut chair = join(&a, &demo.chair_token, meeting).await.expect("through node 0");
    chair.admitted(PATIENCE).await.expect("in");
    let mut probation = join(&b, &probation_token, meeting).await.expect("through node 1");
    admit(&mut chair, probation.id).await;
    probation.admitted(PATIENCE).await.expect("admitted");
    all_receive_each_other(&[&chair, &probation]).await;

    a.signal_term();
    // Draining: not ready for new work, but the running conference goes on.
    eventually_async(|| async {
        reqwest::get(format!("{}/readyz", a.base))
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE)
    })
    .await;
    all_receive_each_other(&[&chair, &probation]).await;
    assert_eq!(host(&db, meeting).await.map(|h| h.0).as_deref(), Some("node0"), "still hosted by the draining node");

    // At the deadline the node stops and lets the lease go: node 1 takes the conference at once
    // (no lease to wait out), and both are back without the lobby.
    let started = Instant::now();
    while a.child.try_wait().expect("the child can be waited for").is_none() {
        assert!(started.elapsed() < Duration::from_secs(20), "the draining node stops after its deadline");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stopped = Instant::now();
    assert_eq!(host(&db, meeting).await, None, "the stopped node let its lease go");
    let mut chair_again = rejoin(&b, &demo.chair_token, meeting, stopped).await;
    let mut probation_again = rejoin(&b, &probation_token, meeting, stopped).await;
    let members = seated(&mut chair_again).await;
    seated(&mut probation_again).await;
    println!("drained node stopped; both back on node1 after {} ms", stopped.elapsed().as_millis());
    assert!(members.iter().any(|m| m.id == chair_again.id && m.chair), "the chair is still chair");
    assert_eq!(host(&db, meeting).await.map(|h| h.0).as_deref(), Some("node1"));
    all_receive_each_other(&[&chair_again, &probation_again]).await;
    chair.vanish();
    probation.vanish();
    chair_again.leave().await;
    probation_again.leave().await;
}

async fn eventually_async<F: std::future::Future<Output = bool>>(mut condition: impl FnMut() -> F) {
    let deadline = Instant::now() + PATIENCE;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The lease alone, in this process: two nodes on the real database and NATS. A node that
/// answers keeps its conference even when it falls silent on NATS, as long as it renews; once
/// its renewals stop, the other waits the lease out, takes the conference with a higher epoch,
/// and the old host's next renewal stops its room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_over_lease_fences_the_old_host() {
    use ketentafel::cluster::{Node, lease::Leases};
    use ketentafel::signalling::rooms::{Host, Routing};
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use tokio_util::sync::CancellationToken;

    let app = TestApp::spawn(Backend::Postgres).await;
    let meeting = app.demo_case().await.meeting_id;
    let store = ketentafel::storage::Store::open(&ketentafel::secret::Secret::new(app.db.url.clone())).await.unwrap();
    let prefix = format!("kt-test-{}", Uuid::new_v4().simple());
    let url = ketentafel::secret::Secret::new(nats_url());
    let a = Node::connect(&url, Some("a".into()), &prefix).await.expect("NATS");
    let b = Node::connect(&url, Some("b".into()), &prefix).await.expect("NATS");
    let a_answers = a.answer_alive(CancellationToken::new()).await.unwrap();
    let ttl = Duration::from_secs(2);
    let leases_a = Leases::new(store.clone(), a, ttl, Arc::new(AtomicBool::new(false)));
    let leases_b = Leases::new(store.clone(), b, ttl, Arc::new(AtomicBool::new(false)));
    let keeper = tokio::spawn(leases_a.clone().keep(CancellationToken::new()));

    assert_eq!(leases_a.host(meeting).await, Host::Here, "nobody hosts it: a takes it");
    let room_a = CancellationToken::new();
    leases_a.hosting(meeting, room_a.clone());
    assert_eq!(leases_b.host(meeting).await, Host::Elsewhere("a".into()), "a answers: relay there");

    a_answers.abort();
    let asked = Instant::now();
    assert_eq!(leases_b.host(meeting).await, Host::Unknown, "a renewed lease is never taken, even from a silent node");
    assert!(asked.elapsed() >= ttl / 2, "b waited for the lease to run out before giving up");
    assert!(!room_a.is_cancelled(), "a still hosts it");

    // a's renewals stop (frozen, as a stalled process): b takes the conference once the lease runs out.
    keeper.abort();
    let frozen = Instant::now();
    assert_eq!(leases_b.host(meeting).await, Host::Here, "b takes the conference");
    assert!(frozen.elapsed() <= ttl + Duration::from_millis(500), "within a lease time: {:?}", frozen.elapsed());
    let lease = store.lease(meeting).await.unwrap().expect("a lease");
    assert_eq!((lease.node.as_str(), lease.epoch), ("b", 2), "the epoch rose with the new holder");

    // a wakes up: its first renewal finds the lease taken, and its room stops.
    let _keeper = tokio::spawn(leases_a.clone().keep(CancellationToken::new()));
    tokio::time::timeout(ttl, room_a.cancelled()).await.expect("the old host's room stops");
    assert_eq!(leases_a.hosted(), 0);
    assert_eq!(store.lease(meeting).await.unwrap().map(|l| l.node).as_deref(), Some("b"), "b keeps it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_nats_is_alive_but_not_ready_and_says_so_in_its_metrics() {
    let db = TestDb::create(Backend::Postgres).await;
    let metrics = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    // Nothing listens on port 9 of loopback: the node keeps trying to reach NATS.
    let node = Process::start_with(
        &db,
        &["--nats-url", "nats://127.0.0.1:9", "--node-id", "lonely", "--metrics-bind", &metrics.to_string()],
    )
    .await;
    let ready = reqwest::get(format!("{}/readyz", node.base)).await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json::<serde_json::Value>().await.unwrap()["status"], "nats unreachable");
    let alive = reqwest::get(format!("{}/healthz", node.base)).await.unwrap();
    assert_eq!(alive.status(), reqwest::StatusCode::OK, "liveness does not depend on NATS");
    let text = reqwest::get(format!("http://{metrics}/metrics")).await.unwrap().text().await.unwrap();
    assert!(text.contains("ketentafel_nats_connected 0"), "{text}");

    // With NATS the same node is ready, and its metric says connected.
    let mut node = node;
    node.kill();
    let nats = nats_url();
    let node = Process::start_with(&db, &["--nats-url", &nats, "--metrics-bind", &metrics.to_string()]).await;
    eventually_async(|| async {
        reqwest::get(format!("{}/readyz", node.base)).await.is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
    })
    .await;
    let text = reqwest::get(format!("http://{metrics}/metrics")).await.unwrap().text().await.unwrap();
    assert!(text.contains("ketentafel_nats_connected 1"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_nodes_need_postgresql() {
    let db = TestDb::create(Backend::Sqlite).await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ketentafel"))
        .args(["--bind", "127.0.0.1:0", "--nats-url", &nats_url()])
        .env("DATABASE_URL", &db.url)
        .env("KETENTAFEL_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success(), "a node on SQLite refuses to join others");
    let said = String::from_utf8_lossy(&output.stderr).to_string() + &String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("several nodes need PostgreSQL"), "{said}");
}
