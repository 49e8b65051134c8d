//! The loop over real UDP on loopback, with the headless participants' connections (the
//! `webrtc` crate's full ICE agent, DTLS and SRTP) as the browsers.

use super::*;
use crate::sfu::SfuConfig;
use crate::sfu::client::{ClientPublisher, ClientSubscriber, Received};
use std::sync::Mutex;

const PATIENCE: Duration = Duration::from_secs(10);

/// What a subscriber received: each packet's kind and payload, in order.
type Log = Arc<Mutex<Vec<(MediaKind, Vec<u8>)>>>;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_flows_from_a_publisher_to_a_subscriber_through_one_port() {
    let engine = Arc::new(Engine::new(SfuConfig::default()));
    let shard = Shard::start(engine.clone(), "test", None).unwrap();
    let port = shard.local_addr().port();

    // The publisher offers audio and video; the loop answers.
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let publish = shard.open(Pc::Publish, events_tx.clone()).await.unwrap();
    let (publisher, offer) = ClientPublisher::new(&engine, "alice", Box::new(|_| {})).await.unwrap();
    let answer = shard.publish_offer(publish, offer).await.unwrap();
    assert_eq!(candidate_ports(&answer), vec![port], "the answer names the loop's one port");
    publisher.answer(answer).await.unwrap();
    assert!(publisher.connected(PATIENCE).await, "the publish connection comes up");

    // A track is known from its first packet.
    let mut tracks = HashMap::new();
    let mut seq = 0u16;
    while tracks.len() < 2 {
        seq = seq.wrapping_add(1);
        for kind in [MediaKind::Audio, MediaKind::Video] {
            publisher
                .send(kind, seq, u32::from(seq) * 960, true, bytes::Bytes::from_static(b"warm-up"), 30)
                .await
                .unwrap();
        }
        while let Ok(event) = events.try_recv() {
            if let ShardEvent::Published { conn, track, kind } = event {
                assert_eq!(conn, publish);
                tracks.insert(kind, track);
            }
        }
        assert!(seq < 500, "both tracks are published");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // A subscriber gets both in one offer, on the same port.
    let subscribe = shard.open(Pc::Subscribe, events_tx.clone()).await.unwrap();
    shard.forward(subscribe, tracks[&MediaKind::Audio]).await.unwrap();
    shard.forward(subscribe, tracks[&MediaKind::Video]).await.unwrap();
    let offer = shard.offer(subscribe).await.unwrap();
    assert_eq!(candidate_ports(&offer), vec![port], "the offer names the same port");
    assert_eq!(offer.matches("m=").count(), 2, "audio and video in one offer");
    let received: Log = Arc::default();
    let sink = received.clone();
    let subscriber = ClientSubscriber::new(
        &engine,
        Box::new(|_| {}),
        Arc::new(move |packet: &Received<'_>| sink.lock().unwrap().push((packet.kind, packet.payload.to_vec()))),
    )
    .await
    .unwrap();
    let answer = subscriber.answer(offer).await.unwrap();
    shard.answer(subscribe, answer).await.unwrap();
    next_event(&mut events, |e| *e == ShardEvent::Connected { conn: subscribe, up: true }).await;

    // The subscriber's connection coming up asked the publisher for a keyframe.
    tokio::time::timeout(PATIENCE, async {
        while publisher.keyframe_requests() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the publisher is asked for a keyframe");

    // Every packet sent from now on arrives, whole, in its kind.
    received.lock().unwrap().clear();
    let mut sent = Vec::new();
    for i in 0..100u16 {
        seq = seq.wrapping_add(1);
        for kind in [MediaKind::Audio, MediaKind::Video] {
            let payload = format!("{kind:?} packet {i}").into_bytes();
            publisher.send(kind, seq, u32::from(seq) * 960, true, payload.clone().into(), 30).await.unwrap();
            sent.push((kind, payload));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::timeout(PATIENCE, async {
        while received.lock().unwrap().len() < sent.len() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("every packet arrives");
    // Each kind in the order sent (audio and video interleave freely).
    let got = received.lock().unwrap().clone();
    for kind in [MediaKind::Audio, MediaKind::Video] {
        let of = |list: &[(MediaKind, Vec<u8>)]| list.iter().filter(|(k, _)| *k == kind).cloned().collect::<Vec<_>>();
        assert_eq!(of(&got), of(&sent), "{kind:?}");
    }
    assert_eq!(got.len(), sent.len());
    let counts = shard.counts().await.unwrap();
    assert_eq!((counts.connections, counts.tracks, counts.forwards), (2, 2, 2));
    assert!(counts.forwarded >= 200, "{counts:?}");

    // Closing leaves nothing behind.
    subscriber.close().await;
    publisher.close().await;
    shard.close(subscribe).await;
    shard.close(publish).await;
    let mut ended = Vec::new();
    while ended.len() < 2 {
        if let ShardEvent::Ended { track, .. } =
            next_event(&mut events, |e| matches!(e, ShardEvent::Ended { .. })).await
        {
            ended.push(track);
        }
    }
    ended.sort();
    let mut published: Vec<TrackId> = tracks.values().copied().collect();
    published.sort();
    assert_eq!(ended, published);
    let after = shard.counts().await.unwrap();
    assert_eq!(
        (after.connections, after.addresses, after.tracks, after.forwards, after.timers),
        (0, 0, 0, 0, 0),
        "{after:?}"
    );
}
