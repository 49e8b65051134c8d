//! `--media-loop`: conferences of headless participants on one owned media loop of this
//! process (`ketentafel::sfu::Shard`), without the server around it: no signalling, no lobby,
//! the loop's own thread measured on its CPU clock. It is how the loop that is to replace the
//! engine's per-connection tasks (issue 12) is measured against the floor before the rooms use
//! it. Each participant publishes audio and video and receives everyone else's, as in a
//! conference run; the loop sees one UDP port for all of them.

use crate::Options;
use crate::floor::{self, Floor};
use crate::headless::stats::Received;
use crate::headless::{MediaPlan, Publisher, SentCounters};
use crate::report::{Distribution, Streams};
use ketentafel::sfu::{ClientSubscriber, ConnId, Owner, ReceivedRtp, Sfu, SfuConfig, ShardEvent};
use ketentafel::signalling::protocol::{ClientMessage, MediaKind, Pc};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use uuid::Uuid;

/// What a `--media-loop` run measured.
#[derive(Debug, Serialize)]
pub struct LoopReport {
    pub rooms: u32,
    pub participants: u32,
    /// The CPU the loop's thread was pinned to, if it was.
    pub loop_cpu: Option<usize>,
    pub measured_seconds: f64,
    /// Each participant receives the audio and video of every other one in its room.
    pub streams: Streams,
    /// Packets the loop wrote into subscribers' connections, per second.
    pub forwarded_per_second: f64,
    /// CPU cores the loop's thread used.
    pub loop_cores: f64,
    pub loop_us_per_forwarded_packet: f64,
    pub floor: Floor,
    pub ratio_to_floor: f64,
    /// Datagrams per `sendmmsg` call.
    pub datagrams_per_send_call: f64,
    /// The headless participants' interval between ICE checks (the library's default is 200).
    pub client_ice_interval_ms: u64,
    /// Datagrams that reached the loop before their connection's description was applied, and
    /// were handled once it was (instead of dropped).
    pub early_datagrams: u64,
    /// Connection clocks run per second (the connections' own timers: reports, pacing, NACK).
    pub timer_runs_per_second: f64,
    /// Subscriber connection made → every stream's first packet, in milliseconds.
    pub subscribe_ms: Distribution,
    /// Send → receive, in microseconds.
    pub delay_us: Distribution,
    /// What the loop still held after every connection was closed (all zero when nothing leaks).
    pub left_behind: LeftBehind,
}

/// What a loop holds.
#[derive(Debug, Serialize)]
pub struct LeftBehind {
    pub connections: usize,
    pub addresses: usize,
    pub tracks: usize,
    pub forwards: usize,
    pub timers: usize,
}

impl LoopReport {
    pub fn table(&self) -> String {
        format!(
            "media loop: {} × {} participants, {:.0} s measured{}\n\
             streams             {} of {}\n\
             packets received    {} (lost {}, {:.3} %; duplicates {}, corrupt {})\n\
             forwarded           {:.0} packets/s\n\
             loop CPU            {:.3} cores, {:.2} µs per forwarded packet\n\
             floor               {:.2} µs (UDP send {:.2} + AES-GCM {:.2})\n\
             loop ÷ floor        {:.2}×\n\
             datagrams per send  {:.1}\n\
             early datagrams     {} (clients check every {} ms)\n\
             timer runs          {:.0} per second\n\
             subscribe → media   p50 {:.0} ms, p95 {:.0} ms\n\
             delay               p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms\n",
            self.rooms,
            self.participants,
            self.measured_seconds,
            self.loop_cpu.map_or(String::new(), |c| format!(", loop pinned to CPU {c}")),
            self.streams.received,
            self.streams.expected,
            self.streams.packets,
            self.streams.lost,
            self.streams.loss_percent,
            self.streams.duplicates,
            self.streams.corrupt,
            self.forwarded_per_second,
            self.loop_cores,
            self.loop_us_per_forwarded_packet,
            self.floor.per_packet_us,
            self.floor.udp_send_us,
            self.floor.srtp_aes_gcm_us,
            self.ratio_to_floor,
            self.datagrams_per_send_call,
            self.early_datagrams,
            self.client_ice_interval_ms,
            self.timer_runs_per_second,
            self.subscribe_ms.p50,
            self.subscribe_ms.p95,
            self.delay_us.p50 / 1_000.0,
            self.delay_us.p99 / 1_000.0,
            self.delay_us.max / 1_000.0,
        )
    }
}

struct Member {
    id: Uuid,
    publisher: Publisher,
    publish: ConnId,
    tracks: Vec<ketentafel::media::TrackId>,
    subscribe: Option<(ConnId, ClientSubscriber)>,
    received: Arc<Received>,
    subscribed_at: Option<Instant>,
}

const PATIENCE: Duration = Duration::from_secs(30);

/// Runs `--rooms` conferences of `--participants` on one loop.
pub async fn run(options: &Options) -> Result<LoopReport, String> {
    let config =
        SfuConfig { ice_check_interval: Duration::from_millis(options.client_ice_interval_ms), ..SfuConfig::default() };
    let sfu = Sfu::new(config);
    let shard = sfu.media_loop("bench", options.loop_cpu).map_err(|e| e.to_string())?;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut seeded = crate::Seeded::new(options.seed);
    let mut rooms: Vec<Vec<Member>> = Vec::new();
    let mut by_publish: HashMap<ConnId, (usize, usize)> = HashMap::new();
    for r in 0..options.rooms as usize {
        let mut room = Vec::new();
        for p in 0..options.participants as usize {
            let id = Uuid::new_v4();
            let plan = MediaPlan {
                video_bitrate_bps: options.video_bitrate,
                video_packet_bytes: options.video_packet as usize,
                keyframe_interval: Duration::from_secs_f64(options.keyframe_interval),
                phase: seeded.phase(),
                ..MediaPlan::default()
            };
            let (outgoing, mut signals) = mpsc::unbounded_channel();
            let publisher = Publisher::start(&sfu, id, plan, Arc::new(SentCounters::default()), outgoing).await?;
            let publish =
                shard.open(Pc::Publish, Owner::new(id), events_tx.clone()).await.map_err(|e| e.to_string())?;
            let offer = loop {
                match signals.recv().await {
                    Some(ClientMessage::PublishOffer { sdp }) => break sdp,
                    Some(_) => continue,
                    None => return Err("a publisher stopped before its offer".into()),
                }
            };
            let answer = shard.publish_offer(publish, offer).await.map_err(|e| e.to_string())?;
            publisher.answer(answer).await?;
            by_publish.insert(publish, (r, p));
            room.push(Member {
                id,
                publisher,
                publish,
                tracks: Vec::new(),
                subscribe: None,
                received: Arc::default(),
                subscribed_at: None,
            });
        }
        rooms.push(room);
    }
    // Every track is known from its first packet.
    let wanted = (options.rooms * options.participants * 2) as usize;
    let mut published = 0;
    let mut pending_events = Vec::new();
    tokio::time::timeout(PATIENCE, async {
        while published < wanted {
            match events.recv().await {
                Some(ShardEvent::Published { conn, track, .. }) => {
                    if let Some(&(r, p)) = by_publish.get(&conn) {
                        rooms[r][p].tracks.push(track);
                        published += 1;
                    }
                }
                Some(other) => pending_events.push(other),
                None => break,
            }
        }
    })
    .await
    .map_err(|_| format!("{published} of {wanted} tracks were published within {PATIENCE:?}"))?;

    // Each participant subscribes to everyone else in one offer.
    let mut by_subscribe: HashMap<ConnId, (usize, usize)> = HashMap::new();
    for (r, room) in rooms.iter_mut().enumerate() {
        let others: Vec<Vec<ketentafel::media::TrackId>> = room.iter().map(|m| m.tracks.clone()).collect();
        for (p, member) in room.iter_mut().enumerate() {
            let conn =
                shard.open(Pc::Subscribe, Owner::new(member.id), events_tx.clone()).await.map_err(|e| e.to_string())?;
            for (q, tracks) in others.iter().enumerate() {
                if q != p {
                    for &track in tracks {
                        shard.forward(conn, track).await.map_err(|e| e.to_string())?;
                    }
                }
            }
            let (offer, _) = shard.offer(conn).await.map_err(|e| e.to_string())?;
            let received = member.received.clone();
            let sink = Arc::new(move |packet: &ReceivedRtp<'_>| {
                if packet.kind == MediaKind::Audio || packet.kind == MediaKind::Video {
                    received.record(packet);
                }
            });
            let client = sfu.client_subscriber(Box::new(|_| {}), sink).await.map_err(|e| e.to_string())?;
            member.subscribed_at = Some(Instant::now());
            let answer = client.answer(offer).await.map_err(|e| e.to_string())?;
            shard.answer(conn, answer).await.map_err(|e| e.to_string())?;
            member.subscribe = Some((conn, client));
            by_subscribe.insert(conn, (r, p));
        }
    }
    let mut connected = 0;
    let subscribers = by_subscribe.len();
    let mut failed = 0;
    let note = |event: ShardEvent, connected: &mut usize, failed: &mut usize| match event {
        ShardEvent::Connected { conn, up: true } if by_subscribe.contains_key(&conn) => *connected += 1,
        ShardEvent::Failed { conn } if by_subscribe.contains_key(&conn) => *failed += 1,
        _ => {}
    };
    for event in pending_events.drain(..) {
        note(event, &mut connected, &mut failed);
    }
    tokio::time::timeout(PATIENCE, async {
        while connected + failed < subscribers {
            match events.recv().await {
                Some(event) => note(event, &mut connected, &mut failed),
                None => break,
            }
        }
    })
    .await
    .map_err(|_| format!("{connected} of {subscribers} subscribe connections came up within {PATIENCE:?}"))?;
    if failed > 0 {
        return Err(format!("{failed} subscribe connections failed"));
    }

    tokio::time::sleep(Duration::from_secs_f64(options.warmup)).await;
    let mut subscribe_ms = Vec::new();
    for member in rooms.iter().flatten() {
        let (Some(at), others) = (member.subscribed_at, member.received.all()) else { continue };
        if others.len() == (options.participants as usize - 1) * 2 {
            let last = others.iter().filter_map(|(_, s)| s.first_at).max();
            if let Some(last) = last {
                subscribe_ms.push(last.duration_since(at).as_secs_f64() * 1_000.0);
            }
        }
        member.received.reset();
    }
    let before = shard.counts().await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(options.duration)).await;
    let after = shard.counts().await.map_err(|e| e.to_string())?;
    let window = started.elapsed().as_secs_f64();

    let mut streams = Streams {
        expected: (options.rooms * options.participants * (options.participants - 1) * 2) as usize,
        ..Streams::default()
    };
    let mut delays = Vec::new();
    let (mut packets, mut bytes) = (0, 0);
    for member in rooms.iter().flatten() {
        streams.count(&member.received, |sender| sender != member.id, &mut delays);
        let (p, b) = member.received.totals();
        (packets, bytes) = (packets + p, bytes + b);
    }
    streams.finish();
    for member in rooms.into_iter().flatten() {
        if let Some((conn, client)) = member.subscribe {
            client.close().await;
            shard.close(conn).await;
        }
        member.publisher.close().await;
        shard.close(member.publish).await;
    }
    let closed = shard.counts().await.map_err(|e| e.to_string())?;
    let left_behind = LeftBehind {
        connections: closed.connections,
        addresses: closed.addresses,
        tracks: closed.tracks,
        forwards: closed.forwards,
        timers: closed.timers,
    };
    let forwarded = after.forwarded - before.forwarded;
    let cpu_s = (after.cpu_ns - before.cpu_ns) as f64 / 1e9;
    let mean_payload = bytes.checked_div(packets).map_or(1_000, |mean| mean as usize);
    let floor =
        tokio::task::spawn_blocking(move || floor::measure(mean_payload)).await.map_err(|e| e.to_string())??;
    let per_packet = if forwarded == 0 { 0.0 } else { cpu_s * 1e6 / forwarded as f64 };
    let sends = (after.send_calls - before.send_calls).max(1);
    Ok(LoopReport {
        rooms: options.rooms,
        participants: options.participants,
        loop_cpu: options.loop_cpu,
        measured_seconds: window,
        streams,
        forwarded_per_second: forwarded as f64 / window,
        loop_cores: cpu_s / window,
        loop_us_per_forwarded_packet: per_packet,
        ratio_to_floor: per_packet / floor.per_packet_us,
        floor,
        client_ice_interval_ms: options.client_ice_interval_ms,
        early_datagrams: closed.early,
        timer_runs_per_second: (after.timer_runs - before.timer_runs) as f64 / window,
        datagrams_per_send_call: (after.datagrams_out - before.datagrams_out) as f64 / sends as f64,
        subscribe_ms: Distribution::of(subscribe_ms),
        delay_us: Distribution::of(delays),
        left_behind,
    })
}
