//! The loop over real UDP on loopback, with the headless participants' connections (the
//! `webrtc` crate's full ICE agent, DTLS and SRTP) as the browsers.

use super::*;
use crate::sfu::SfuConfig;
use crate::sfu::client::{ClientPublisher, ClientSubscriber, PublishedVideo, Received};
use std::sync::Mutex;

const PATIENCE: Duration = Duration::from_secs(10);

/// One packet as the subscriber received it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Got {
    kind: MediaKind,
    ssrc: u32,
    seq: u16,
    payload: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Got>>>;

/// The same participant for the same name.
fn owner(name: &str) -> Owner {
    Owner::new(Uuid::from_u128(name.bytes().fold(1, |id: u128, b| id.wrapping_mul(31).wrapping_add(u128::from(b)))))
}

async fn next_event(
    events: &mut mpsc::UnboundedReceiver<ShardEvent>,
    wanted: impl Fn(&ShardEvent) -> bool,
) -> ShardEvent {
    tokio::time::timeout(PATIENCE, async {
        loop {
            let event = events.recv().await.expect("the loop keeps the sender");
            if wanted(&event) {
                return event;
            }
        }
    })
    .await
    .expect("the event comes in time")
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    tokio::time::timeout(PATIENCE, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} within {PATIENCE:?}"));
}

/// The ports the `a=candidate` lines of an SDP name (each media section repeats them).
fn candidate_ports(sdp: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = sdp
        .lines()
        .filter_map(|l| l.strip_prefix("a=candidate:"))
        .filter_map(|l| l.split(' ').nth(5)?.parse().ok())
        .collect();
    ports.dedup();
    ports
}

/// A publisher on the loop whose audio and video tracks are known.
async fn publisher(
    engine: &Engine,
    shard: &Shard,
    events: &mpsc::UnboundedSender<ShardEvent>,
    inbox: &mut mpsc::UnboundedReceiver<ShardEvent>,
    name: &str,
) -> (ClientPublisher, ConnId, HashMap<MediaKind, TrackId>, u16) {
    let conn = shard.open(Pc::Publish, owner(name), events.clone()).await.unwrap();
    let (client, offer) = ClientPublisher::new(engine, name, Box::new(|_| {}), PublishedVideo::Single).await.unwrap();
    let answer = shard.publish_offer(conn, offer).await.unwrap();
    assert_eq!(candidate_ports(&answer), vec![shard.local_addr().port()], "the answer names the loop's one port");
    client.answer(answer).await.unwrap();
    assert!(client.connected(PATIENCE).await, "the publish connection comes up");
    // A track is known from its first packet.
    let mut tracks = HashMap::new();
    let mut seq = 0u16;
    while tracks.len() < 2 {
        seq = seq.wrapping_add(1);
        for kind in [MediaKind::Audio, MediaKind::Video] {
            client
                .send(kind, seq, u32::from(seq) * 960, true, bytes::Bytes::from_static(b"warm-up"), 30)
                .await
                .unwrap();
        }
        while let Ok(event) = inbox.try_recv() {
            if let ShardEvent::Published { conn: from, track, kind } = event {
                assert_eq!(from, conn);
                tracks.insert(kind, track);
            }
        }
        assert!(seq < 500, "both tracks are published");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (client, conn, tracks, seq)
}

/// Sends 100 packets of each kind, tagged with `name`; what was sent.
async fn send_some(client: &ClientPublisher, name: &str, seq: &mut u16) -> Vec<(MediaKind, Vec<u8>)> {
    let mut sent = Vec::new();
    for i in 0..100u16 {
        *seq = seq.wrapping_add(1);
        for kind in [MediaKind::Audio, MediaKind::Video] {
            let payload = format!("{name} {kind:?} packet {i}").into_bytes();
            client.send(kind, *seq, u32::from(*seq) * 960, true, payload.clone().into(), 30).await.unwrap();
            sent.push((kind, payload));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    sent
}

/// Each kind's payloads in the order sent (audio and video interleave freely).
fn assert_same_per_kind(got: &[Got], sent: &[(MediaKind, Vec<u8>)]) {
    for kind in [MediaKind::Audio, MediaKind::Video] {
        let got: Vec<&Vec<u8>> = got.iter().filter(|g| g.kind == kind).map(|g| &g.payload).collect();
        let sent: Vec<&Vec<u8>> = sent.iter().filter(|(k, _)| *k == kind).map(|(_, p)| p).collect();
        assert_eq!(got, sent, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_flows_through_one_port_and_a_slot_passes_from_one_publisher_to_the_next() {
    let engine = Arc::new(Engine::new(SfuConfig::default()));
    let shard = Shard::start(engine.clone(), "test", None).unwrap();
    let port = shard.local_addr().port();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (alice, alice_conn, alice_tracks, mut alice_seq) =
        publisher(&engine, &shard, &events_tx, &mut events, "alice").await;

    // A subscriber gets both in one offer, on the same port.
    let subscribe = shard.open(Pc::Subscribe, owner("carol"), events_tx.clone()).await.unwrap();
    shard.forward(subscribe, alice_tracks[&MediaKind::Audio]).await.unwrap();
    shard.forward(subscribe, alice_tracks[&MediaKind::Video]).await.unwrap();
    let (offer, tracks) = shard.offer(subscribe).await.unwrap();
    assert_eq!(candidate_ports(&offer), vec![port], "the offer names the same port");
    assert_eq!(offer.matches("m=").count(), 2, "audio and video in one offer");
    let named: Vec<(Uuid, MediaKind)> = tracks.iter().map(|t| (t.participant_id, t.kind)).collect();
    assert_eq!(
        named,
        vec![(owner("alice").participant, MediaKind::Audio), (owner("alice").participant, MediaKind::Video)]
    );
    assert!(tracks.iter().all(|t| offer.contains(&format!("a=mid:{}", t.mid))), "each track names its section");
    let received: Log = Arc::default();
    let sink = received.clone();
    let subscriber = ClientSubscriber::new(
        &engine,
        Box::new(|_| {}),
        Arc::new(move |p: &Received<'_>| {
            sink.lock().unwrap().push(Got { kind: p.kind, ssrc: p.ssrc, seq: p.sequence, payload: p.payload.to_vec() })
        }),
    )
    .await
    .unwrap();
    let answer = subscriber.answer(offer).await.unwrap();
    shard.answer(subscribe, answer).await.unwrap();
    next_event(&mut events, |e| *e == ShardEvent::Connected { conn: subscribe, up: true }).await;
    // The subscriber's connection coming up asked the publisher for a keyframe.
    until("the publisher is asked for a keyframe", || alice.keyframe_requests() > 0).await;

    // Every packet sent from now on arrives, whole, in its kind.
    received.lock().unwrap().clear();
    let sent = send_some(&alice, "alice", &mut alice_seq).await;
    until("every packet of alice arrives", || received.lock().unwrap().len() >= sent.len()).await;
    let first = received.lock().unwrap().clone();
    assert_same_per_kind(&first, &sent);
    assert_eq!(first.len(), sent.len());
    let counts = shard.counts().await.unwrap();
    assert_eq!((counts.connections, counts.tracks, counts.forwards), (2, 2, 2));
    assert!(counts.forwarded >= 200, "{counts:?}");
    // The audio carried level 30 (RFC 6464: -30 dBov), 97 of 127 here; taken once, then quiet.
    assert_eq!(shard.take_level(alice_tracks[&MediaKind::Audio]), 97);
    assert_eq!(shard.take_level(alice_tracks[&MediaKind::Audio]), 0);
    assert_eq!(shard.take_level(alice_tracks[&MediaKind::Video]), 0);

    // A datagram from an address no check named goes nowhere, and is counted.
    let stranger = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    stranger.send_to(&[0x80; 40], shard.local_addr()).unwrap();
    let unrouted = counts.unrouted;
    tokio::time::timeout(PATIENCE, async {
        while shard.counts().await.unwrap().unrouted == unrouted {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the stranger's datagram is counted");

    // Bob comes, alice's tracks stop for this subscriber: bob's take over her slots, so the offer
    // keeps two media sections and each stream's numbering goes on without a jump.
    let (bob, bob_conn, bob_tracks, mut bob_seq) = publisher(&engine, &shard, &events_tx, &mut events, "bob").await;
    for kind in [MediaKind::Audio, MediaKind::Video] {
        shard.stop_forward(subscribe, alice_tracks[&kind]).await.unwrap();
        shard.forward(subscribe, bob_tracks[&kind]).await.unwrap();
    }
    let (offer, tracks) = shard.offer(subscribe).await.unwrap();
    assert_eq!(offer.matches("m=").count(), 2, "the slots are reused: {offer}");
    assert!(tracks.iter().all(|t| t.participant_id == owner("bob").participant), "bob's now");
    let answer = subscriber.answer(offer).await.unwrap();
    shard.answer(subscribe, answer).await.unwrap();
    received.lock().unwrap().clear();
    let from_alice = send_some(&alice, "alice", &mut alice_seq).await;
    let sent = send_some(&bob, "bob", &mut bob_seq).await;
    until("every packet of bob arrives", || received.lock().unwrap().len() >= sent.len()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = received.lock().unwrap().clone();
    assert!(
        second.iter().all(|g| !from_alice.iter().any(|(_, p)| *p == g.payload)),
        "nothing of alice reaches the subscriber once her tracks stopped"
    );
    assert_same_per_kind(&second, &sent);
    for kind in [MediaKind::Audio, MediaKind::Video] {
        let before = first.iter().rfind(|g| g.kind == kind).unwrap();
        let after = second.iter().find(|g| g.kind == kind).unwrap();
        assert_eq!(after.ssrc, before.ssrc, "{kind:?}: the same slot");
        assert_eq!(after.seq, before.seq.wrapping_add(1), "{kind:?}: numbering goes on");
    }
    assert_eq!(shard.counts().await.unwrap().forwards, 2, "alice's forwards are gone");

    // Bob leaves: his tracks end and the subscriber's owner is told to offer again.
    bob.close().await;
    shard.close(bob_conn).await;
    next_event(&mut events, |e| *e == ShardEvent::NegotiationNeeded { conn: subscribe }).await;
    let counts = shard.counts().await.unwrap();
    assert_eq!((counts.tracks, counts.forwards), (2, 0), "{counts:?}");
    assert_eq!(shard.take_level(bob_tracks[&MediaKind::Audio]), 0, "an ended track has no level");

    // Closing the rest leaves nothing behind.
    subscriber.close().await;
    alice.close().await;
    shard.close(subscribe).await;
    shard.close(alice_conn).await;
    let after = shard.counts().await.unwrap();
    assert_eq!(
        (after.connections, after.addresses, after.tracks, after.forwards, after.timers),
        (0, 0, 0, 0, 0),
        "{after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_for_the_wrong_connection_or_an_ended_track_are_refused_and_change_nothing() {
    let engine = Arc::new(Engine::new(SfuConfig::default()));
    let shard = Shard::start(engine.clone(), "test", None).unwrap();
    let (events_tx, _events) = mpsc::unbounded_channel();
    let publish = shard.open(Pc::Publish, owner("alice"), events_tx.clone()).await.unwrap();
    let subscribe = shard.open(Pc::Subscribe, owner("alice"), events_tx).await.unwrap();
    // An offer to a subscribe connection, a forward on a publish connection, unknown ids.
    assert!(matches!(shard.publish_offer(subscribe, "v=0".into()).await, Err(SfuError::OutOfOrder(_))));
    assert!(matches!(shard.publish_offer(publish, "not sdp".into()).await, Err(SfuError::InvalidSdp(_))));
    assert!(matches!(shard.forward(subscribe, 999_999).await, Err(SfuError::OutOfOrder(_))));
    assert!(matches!(shard.offer(publish).await, Err(SfuError::OutOfOrder(_))));
    assert!(matches!(shard.answer(4_242, "v=0".into()).await, Err(SfuError::Closed)));
    assert!(matches!(shard.answer(subscribe, "v=0".into()).await, Err(SfuError::InvalidSdp(_))));
    let counts = shard.counts().await.unwrap();
    assert_eq!((counts.connections, counts.tracks, counts.forwards), (2, 0, 0));
    shard.close(publish).await;
    shard.close(subscribe).await;
    shard.close(publish).await; // twice is harmless
    assert_eq!(shard.counts().await.unwrap().connections, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conferences_are_spread_over_the_loops_and_each_stays_in_one() {
    let sfu = crate::sfu::Sfu::with_media_loops(SfuConfig::default(), 3).unwrap();
    let addresses = sfu.media_loop_addresses();
    let ports: std::collections::HashSet<u16> = addresses.iter().map(SocketAddr::port).collect();
    assert_eq!(ports.len(), 3, "each loop has a port of its own: {addresses:?}");
    let conferences: Vec<Uuid> = (0..6).map(Uuid::from_u128).collect();
    let chosen: Vec<SocketAddr> =
        conferences.iter().map(|&c| sfu.loop_of(c).expect("the media runs on loops").local_addr()).collect();
    let used: std::collections::HashSet<&SocketAddr> = chosen.iter().collect();
    assert_eq!(used.len(), 3, "the conferences use every loop");
    for (conference, address) in conferences.iter().zip(&chosen) {
        assert_eq!(sfu.loop_of(*conference).unwrap().local_addr(), *address, "a conference stays in its loop");
    }
    assert!(crate::sfu::Sfu::new(SfuConfig::default()).loop_of(conferences[0]).is_none(), "the engine has none");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_on_every_interface_announces_a_concrete_address_and_carries_media() {
    let config = SfuConfig { media_ip: std::net::IpAddr::from([0, 0, 0, 0]), ..SfuConfig::default() };
    let engine = Arc::new(Engine::new(config));
    let shard = Shard::start(engine.clone(), "test", None).unwrap();
    let announced = shard.local_addr().ip();
    assert!(!announced.is_unspecified() && !announced.is_loopback(), "an interface's address: {announced}");
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (_client, conn, tracks, _) = publisher(&engine, &shard, &events_tx, &mut events, "alice").await;
    assert_eq!(tracks.len(), 2, "both tracks arrived over {announced}");
    shard.close(conn).await;
}
