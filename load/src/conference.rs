//! A run of conferences with full media: per room a chair who admits everyone from the lobby
//! and guests who join one at a time, each timed until the media of everyone already there
//! arrives; then a window of full media measured from both ends; then everyone leaves. With
//! several nodes, each conference's participants reach them in turn (see [`node_for`]).

use crate::Options;
use crate::cluster::Shared;
use crate::floor;
use crate::headless::link::{Cap, LinkCounters};
use crate::headless::stats::Received;
use crate::headless::{JoinConfig, MediaPlan, Participant, SentCounters};
use crate::report::{
    ConferenceResult, Distribution, NodeLoad, Report, Sent, ServerLoad, Streams, SubscriberLayers, Throughput,
};
use crate::server::{ProcessFigures, Server};
use crate::setup::{Api, Runtime};
use ketentafel::sfu::PublishedVideo;
use ketentafel::signalling::protocol::{ClientMessage, ServerMessage};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// How long one join may take before it counts as failed.
const JOIN_PATIENCE: Duration = Duration::from_secs(10);

/// What the harness keeps of a participant: its figures, and the participant itself (the
/// chair's lives in its admitting task).
pub(crate) struct Member {
    pub id: Uuid,
    pub received: Arc<Received>,
    pub sent: Arc<SentCounters>,
    /// Its capped downlink, if it has one (`--subscriber-cap`).
    pub downlink: Option<Arc<LinkCounters>>,
    participant: Option<Participant>,
}

/// The chair, admitting whoever waits in the lobby until told to leave.
pub(crate) struct Chair {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Chair {
    /// Joins `meeting` as its chair and starts admitting.
    pub async fn enter(
        server: &str,
        token: &str,
        meeting: Uuid,
        media: Option<MediaPlan>,
    ) -> Result<(Chair, Member), String> {
        let config = JoinConfig { server: server.to_owned(), token: token.to_owned(), meeting_id: meeting, media };
        let mut chair = Participant::join(config).await.map_err(|e| format!("the chair cannot join: {e}"))?;
        chair.admitted(JOIN_PATIENCE).await.map_err(|e| format!("the chair is not let in: {e}"))?;
        let member = Member {
            id: chair.id,
            received: chair.received.clone(),
            sent: chair.sent.clone(),
            downlink: None,
            participant: None,
        };
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            loop {
                let waiting = tokio::select! {
                    _ = &mut stopped => break,
                    waiting = chair.expect(Duration::from_secs(24 * 3600), |m| match m {
                        ServerMessage::LobbyChanged { waiting } => Some(waiting.iter().map(|p| p.id).collect::<Vec<_>>()),
                        _ => None,
                    }) => waiting,
                };
                match waiting {
                    Ok(ids) => ids
                        .into_iter()
                        .for_each(|id| chair.send(ClientMessage::Admit { participant_id: id, unencrypted: false })),
                    Err(e) => {
                        tracing::warn!(error = %e, "load: the chair lost the room");
                        return;
                    }
                }
            }
            chair.leave().await;
        });
        Ok((Chair { stop, task }, member))
    }

    pub async fn leave(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

impl Member {
    /// Joins `meeting` with `token` (through a capped downlink if `cap` says so) and waits until
    /// the media of every one of `earlier` (audio and video) arrives; the member and the join
    /// time, or `None` for the time if it did not.
    pub async fn join(
        server: &str,
        token: &str,
        meeting: Uuid,
        media: MediaPlan,
        cap: Option<Cap>,
        earlier: &[Uuid],
    ) -> Result<(Member, Option<Duration>), String> {
        let config =
            JoinConfig { server: server.to_owned(), token: token.to_owned(), meeting_id: meeting, media: Some(media) };
        let joined = match cap {
            Some(cap) => Participant::join_capped(config, cap).await,
            None => Participant::join(config).await,
        };
        let participant = joined.map_err(|e| format!("a participant cannot join: {e}"))?;
        let deadline = Instant::now() + JOIN_PATIENCE;
        let took = loop {
            // Through a capped link the video may rightly be paused: the audio is what must come.
            let kinds: &[bool] = if cap.is_some() { &[false] } else { &[false, true] };
            let firsts: Option<Vec<Instant>> = earlier
                .iter()
                .flat_map(|id| kinds.iter().map(|&video| participant.received.first_at(*id, video)))
                .collect();
            if let Some(firsts) = firsts {
                break firsts.into_iter().max().map(|last| last.saturating_duration_since(participant.connected_at));
            }
            if Instant::now() > deadline {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        let member = Member {
            id: participant.id,
            received: participant.received.clone(),
            sent: participant.sent.clone(),
            downlink: participant.downlink.clone(),
            participant: Some(participant),
        };
        Ok((member, took))
    }

    pub async fn leave(self) {
        if let Some(participant) = self.participant {
            participant.leave().await;
        }
    }
}

/// The participants' plan: the run's media at a seeded phase.
pub(crate) fn plan(options: &Options, phase: Duration) -> MediaPlan {
    MediaPlan {
        video_bitrate_bps: options.video_bitrate,
        video: if options.simulcast { PublishedVideo::Layers } else { PublishedVideo::Single },
        video_packet_bytes: options.video_packet as usize,
        keyframe_interval: Duration::from_secs_f64(options.keyframe_interval),
        phase,
        ice_check_interval: Duration::from_millis(options.client_ice_interval_ms),
        ..MediaPlan::default()
    }
}

struct Room {
    chair: Chair,
    members: Vec<Member>,
}

fn sent_totals(rooms: &[Room]) -> Sent {
    let mut sent = Sent::default();
    for member in rooms.iter().flat_map(|r| &r.members) {
        sent.audio += member.sent.audio.load(Ordering::Relaxed);
        sent.video += member.sent.video.load(Ordering::Relaxed);
        sent.keyframes += member.sent.keyframes.load(Ordering::Relaxed);
        sent.keyframe_requests += member.sent.keyframe_requests.load(Ordering::Relaxed);
        sent.errors += member.sent.errors.load(Ordering::Relaxed);
    }
    sent
}

/// Whether seat `seat` of a conference (the chair has seat 0) is among the last `--capped`.
pub fn capped(options: &Options, seat: u32) -> bool {
    options.subscriber_cap.is_some() && seat + options.capped >= options.participants
}

/// The node that seat `seat` of conference `room` reaches (the chair has seat 0): each
/// conference's participants in turn, as a load balancer without sticky sessions spreads them,
/// starting one node further for each conference. The chair's node hosts the conference, so the
/// conferences are hosted evenly and a share (n − 1)/n of the others is relayed to the host.
pub fn node_for(room: usize, seat: usize, nodes: usize) -> usize {
    (room + seat) % nodes
}

fn figures(servers: &[Server]) -> Vec<Option<ProcessFigures>> {
    servers.iter().map(Server::figures).collect()
}

/// Sets up, joins, measures and leaves; fills in `report.conference`.
pub async fn run(options: &Options, servers: &[Server], api: &Api, report: &mut Report) -> Result<(), String> {
    let mut seeded = super::Seeded::new(options.seed);
    let mut shared = Shared::connect(options).await?;
    let at_start = shared.counts().await?;
    let mut invitations = Vec::new();
    for r in 1..=options.rooms {
        let meeting = api.conference(&format!("Belastingtest {r} (ketentafel-load)")).await?;
        let mut guests = Vec::new();
        for p in 2..=options.participants {
            guests.push(api.guest(meeting, &format!("Deelnemer {r}.{p}")).await?);
        }
        invitations.push((meeting, guests));
    }
    let before_anyone = figures(servers);

    // Rooms fill one after another and each joiner waits for the room's media, so later joins
    // happen on a node that already carries the earlier conferences.
    let mut rooms = Vec::new();
    let (mut join_ms, mut failed_joins) = (Vec::new(), 0);
    for (room, (meeting, guests)) in invitations.into_iter().enumerate() {
        let media = plan(options, seeded.phase());
        let chair_node = servers[node_for(room, 0, servers.len())].url();
        let (chair, chair_member) = Chair::enter(chair_node, &api.chair_token, meeting, Some(media)).await?;
        let mut members = vec![chair_member];
        for (seat, token) in (1..).zip(guests) {
            let earlier: Vec<Uuid> = members.iter().map(|m| m.id).collect();
            let node = servers[node_for(room, seat, servers.len())].url();
            let cap = capped(options, seat as u32).then(|| Cap {
                bits_per_second: options.subscriber_cap.unwrap_or_default() * 1_000,
                queue: Duration::from_millis(options.cap_queue_ms),
                lose_every: None,
            });
            let media = plan(options, seeded.phase());
            let (member, took) = Member::join(node, &token, meeting, media, cap, &earlier).await?;
            // A capped joiner's join time is its link's, not the server's.
            match took {
                Some(took) if cap.is_none() => join_ms.push(took.as_secs_f64() * 1_000.0),
                Some(_) => {}
                None => failed_joins += 1,
            }
            members.push(member);
        }
        rooms.push(Room { chair, members });
    }

    tokio::time::sleep(Duration::from_secs_f64(options.warmup)).await;
    for member in rooms.iter().flat_map(|r| &r.members) {
        member.received.reset();
    }
    let sent_before = sent_totals(&rooms);
    let shared_before = shared.counts().await?;
    let (server_before, harness_before) = (figures(servers), ProcessFigures::read("/proc/self"));
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(options.duration)).await;
    let (server_after, harness_after) = (figures(servers), ProcessFigures::read("/proc/self"));
    let elapsed = started.elapsed().as_secs_f64();
    let shared_after = shared.counts().await?;
    let (packets, bytes) = rooms
        .iter()
        .flat_map(|r| &r.members)
        .map(|m| m.received.totals())
        .fold((0, 0), |(p, b), (mp, mb)| (p + mp, b + mb));
    let sent_after = sent_totals(&rooms);
    let runtimes = futures_util::future::join_all(servers.iter().map(|s| api.runtime_on(s.url()))).await;

    // Every member should have every other member's audio and video.
    // A capped subscriber is reported on its own: what its link lets through is not the server's.
    let mut streams = Streams::default();
    let mut delays = Vec::new();
    let mut subscribers = Vec::new();
    for (r, room) in (1..).zip(&rooms) {
        for (seat, receiver) in (0..).zip(&room.members) {
            let other = |sender| room.members.iter().any(|m| m.id == sender && m.id != receiver.id);
            if options.simulcast || receiver.downlink.is_some() {
                let mut layers = SubscriberLayers::of(&receiver.received, other, elapsed);
                layers.room = r;
                layers.seat = seat;
                if let Some(link) = &receiver.downlink {
                    layers.cap_kbps = options.subscriber_cap;
                    layers.link_dropped = Some(link.dropped.load(Ordering::Relaxed));
                }
                subscribers.push(layers);
            }
            if receiver.downlink.is_none() {
                streams.count(&receiver.received, other, &mut delays);
                streams.expected += (room.members.len() - 1) * 2;
            }
        }
    }
    streams.finish();

    for room in rooms {
        room.chair.leave().await;
        futures_util::future::join_all(room.members.into_iter().map(Member::leave)).await;
    }

    let (nats, postgres) = shared.traffic(&at_start, &shared_before, &shared_after, elapsed);
    drop(shared);
    let mean_payload_bytes = bytes as f64 / packets.max(1) as f64;
    let floor = tokio::task::spawn_blocking(move || floor::measure(mean_payload_bytes.round() as usize))
        .await
        .map_err(|e| format!("the floor measurement failed: {e}"))??;
    let participants = f64::from(options.rooms * options.participants);
    let nodes: Option<Vec<NodeLoad>> = servers
        .iter()
        .enumerate()
        .map(|(n, server)| {
            let (baseline, before, after) = (before_anyone[n]?, server_before[n]?, server_after[n]?);
            let cpu_seconds = after.cpu_seconds - before.cpu_seconds;
            Some(NodeLoad {
                url: server.url().to_owned(),
                pid: server.pid(),
                cpu_seconds,
                cores: cpu_seconds / elapsed,
                rss_before_kib: baseline.rss_kib,
                rss_kib: after.rss_kib,
                open_fds: after.open_fds,
                threads: after.threads,
                runtime: runtimes[n],
            })
        })
        .collect();
    let server_load = nodes.map(|nodes| {
        let cpu_seconds: f64 = nodes.iter().map(|n| n.cpu_seconds).sum();
        let rss_before_kib: u64 = nodes.iter().map(|n| n.rss_before_kib).sum();
        let rss_kib: u64 = nodes.iter().map(|n| n.rss_kib).sum();
        ServerLoad {
            cpu_seconds,
            cores: cpu_seconds / elapsed,
            us_per_forwarded_packet: cpu_seconds * 1e6 / packets.max(1) as f64,
            ms_per_participant_minute: cpu_seconds * 1e3 / (participants * elapsed / 60.0),
            rss_before_kib,
            rss_kib,
            rss_per_participant_kib: rss_kib.saturating_sub(rss_before_kib) as f64 / participants,
            open_fds: nodes.iter().map(|n| n.open_fds).sum(),
            threads: nodes.iter().map(|n| n.threads).sum(),
            runtime: Runtime::total(&runtimes),
            nodes: if nodes.len() > 1 { nodes } else { Vec::new() },
        }
    });
    let ratio_to_floor = server_load.as_ref().map(|s| s.us_per_forwarded_packet / floor.per_packet_us);
    let harness_cores = match (harness_before, harness_after) {
        (Some(before), Some(after)) => (after.cpu_seconds - before.cpu_seconds) / elapsed,
        _ => 0.0,
    };
    report.conference = Some(ConferenceResult {
        rooms: options.rooms,
        participants: options.participants,
        measured_seconds: elapsed,
        join_ms: Distribution::of(join_ms),
        failed_joins,
        delay_us: Distribution::of(delays),
        streams,
        forwarded: Throughput {
            packets_per_second: packets as f64 / elapsed,
            bytes_per_second: bytes as f64 / elapsed,
            mbit_per_second: bytes as f64 * 8.0 / elapsed / 1e6,
            mean_payload_bytes,
        },
        sent: Sent {
            audio: sent_after.audio - sent_before.audio,
            video: sent_after.video - sent_before.video,
            keyframes: sent_after.keyframes - sent_before.keyframes,
            keyframe_requests: sent_after.keyframe_requests - sent_before.keyframe_requests,
            errors: sent_after.errors - sent_before.errors,
        },
        server: server_load,
        harness_cores,
        floor,
        ratio_to_floor,
        subscribers,
        nats,
        postgres,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conferences_are_hosted_evenly_and_most_participants_reach_another_node() {
        let (nodes, seats) = (3, 6);
        let hosts: Vec<usize> = (0..3).map(|room| node_for(room, 0, nodes)).collect();
        assert_eq!(hosts, [0, 1, 2], "each chair, and so each host, on a node of its own");
        let mut per_node = [0; 3];
        let mut relayed = 0;
        for (room, host) in hosts.iter().enumerate() {
            for seat in 0..seats {
                let node = node_for(room, seat, nodes);
                per_node[node] += 1;
                relayed += usize::from(node != *host);
            }
        }
        assert_eq!(per_node, [6, 6, 6], "the WebSockets are spread evenly");
        assert_eq!(relayed, 12, "two in three participants reach another node than the host");
        assert!((0..10).all(|seat| node_for(4, seat, 1) == 0), "one node takes everyone");
    }
}
