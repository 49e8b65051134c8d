//! What a run found: figures as JSON (for docs/performance.md and for comparing runs) and as a
//! readable table, each figure next to the target it is held to.

use crate::Options;
use crate::cluster::{NatsTraffic, PostgresActivity};
use crate::floor::Floor;
use crate::headless::stats::Received;
use crate::server::{ProcessFigures, Server};
use crate::setup::Runtime;
use serde::Serialize;
use std::sync::atomic::Ordering;
use uuid::Uuid;

/// Everything a run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    pub harness: String,
    /// When the run started (UTC).
    pub date: String,
    pub machine: Machine,
    /// The command line, to repeat the run.
    pub command: String,
    pub options: Options,
    pub server: ServerInfo,
    pub conference: Option<ConferenceResult>,
    pub soak: Option<SoakResult>,
    /// Each figure against the target it is held to.
    pub targets: Vec<Target>,
    /// What went wrong with the media (missing streams, altered packets, failed joins): a run
    /// with problems is not a valid measurement.
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
}

#[derive(Debug, Serialize)]
pub struct ServerInfo {
    pub url: String,
    pub spawned: bool,
    pub pid: Option<u32>,
    /// The CPUs the server may run on (`Cpus_allowed_list`), when its pid is known.
    pub cpus: Option<String>,
    /// The CPUs this harness may run on.
    pub harness_cpus: Option<String>,
    /// Every node, when the run drove several (the fields above are then the first node's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeInfo>,
}

/// One of several nodes the run drove.
#[derive(Debug, Serialize)]
pub struct NodeInfo {
    pub url: String,
    pub pid: Option<u32>,
    pub cpus: Option<String>,
}

impl NodeInfo {
    fn of(server: &Server) -> NodeInfo {
        NodeInfo {
            url: server.url().to_owned(),
            pid: server.pid(),
            cpus: server.pid().and_then(|pid| crate::server::allowed_cpus(&format!("/proc/{pid}"))),
        }
    }
}

/// A distribution's summary (nearest-rank percentiles).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Distribution {
    pub samples: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Distribution {
    pub fn of(mut values: Vec<f64>) -> Distribution {
        if values.is_empty() {
            return Distribution::default();
        }
        values.sort_by(f64::total_cmp);
        let rank = |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
        Distribution { samples: values.len(), p50: rank(0.50), p95: rank(0.95), p99: rank(0.99), max: rank(1.0) }
    }
}

/// A run of conferences with full media.
#[derive(Debug, Serialize)]
pub struct ConferenceResult {
    pub rooms: u32,
    pub participants: u32,
    pub measured_seconds: f64,
    /// WebSocket open → the first packet of every stream of everyone already in the room, in
    /// milliseconds (the lobby and the chair's admission included).
    pub join_ms: Distribution,
    pub failed_joins: usize,
    /// Send → receive on this host, in microseconds, over every packet of the window.
    pub delay_us: Distribution,
    pub streams: Streams,
    pub forwarded: Throughput,
    pub sent: Sent,
    pub server: Option<ServerLoad>,
    /// CPU cores the harness itself used meanwhile (its participants share the machine).
    pub harness_cores: f64,
    pub floor: Floor,
    /// Server CPU per forwarded packet ÷ the floor.
    pub ratio_to_floor: Option<f64>,
    /// What each subscriber received of the videos sent in layers, and how each capped one
    /// fared (`--simulcast`, `--subscriber-cap`; empty without either). The capped subscribers'
    /// streams are here only, not in `streams`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subscribers: Vec<SubscriberLayers>,
    /// What the nodes published on NATS, when the run was told where (`--nats-url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats: Option<NatsTraffic>,
    /// What their PostgreSQL database did, when the run was told which (`--database-url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres: Option<PostgresActivity>,
}

/// Streams in the window: each participant receives the audio and video of every other one.
#[derive(Debug, Default, Serialize)]
pub struct Streams {
    pub expected: usize,
    pub received: usize,
    pub packets: u64,
    pub lost: u64,
    pub duplicates: u64,
    pub corrupt: u64,
    pub loss_percent: f64,
}

impl Streams {
    /// Adds the streams one participant received from the senders `counts` accepts (the others
    /// of its room), and their packets' delays to `delays`.
    pub fn count(&mut self, received: &Received, counts: impl Fn(Uuid) -> bool, delays: &mut Vec<f64>) {
        self.corrupt += received.corrupt.load(Ordering::Relaxed);
        for ((sender, _video), stats) in received.all() {
            if !counts(sender) {
                continue;
            }
            self.received += usize::from(stats.packets > 0);
            self.packets += stats.packets;
            self.lost += stats.lost();
            self.duplicates += stats.duplicates;
            delays.extend(stats.delays_us.iter().map(|&d| f64::from(d)));
        }
    }

    /// Sets the loss in percent, once everything is counted.
    pub fn finish(&mut self) {
        self.loss_percent = 100.0 * self.lost as f64 / (self.packets + self.lost).max(1) as f64;
    }
}

/// What one subscriber received in the window, over every publisher of its room.
#[derive(Debug, Default, Serialize)]
pub struct SubscriberLayers {
    pub room: u32,
    /// 0 is the chair, then the order of joining.
    pub seat: u32,
    /// Its downlink's cap in kbit/s, if it had one.
    pub cap_kbps: Option<u64>,
    /// Video packets of each layer (low, medium, high).
    pub layer_packets: [u64; 3],
    pub layer_percent: [f64; 3],
    /// The layer most of its video came in, per publisher (`null`: no video arrived).
    pub main_layers: Vec<Option<u8>>,
    pub switches: u64,
    /// Switches that did not start at a keyframe, and frames whose picture id did not follow
    /// the previous one: both zero when the server switches and renumbers as it should (a
    /// capped link's losses add gaps).
    pub switches_off_keyframe: u64,
    pub picture_id_gaps: u64,
    pub video_kbps: f64,
    pub video_loss_percent: f64,
    /// Audio is never to be given up for video.
    pub audio_packets: u64,
    pub audio_loss_percent: f64,
    pub audio_delay_p99_ms: f64,
    /// Datagrams its capped link dropped at the queue, since it joined.
    pub link_dropped: Option<u64>,
}

impl SubscriberLayers {
    /// Sums what `received` holds from the senders `counts` accepts.
    pub fn of(received: &Received, counts: impl Fn(Uuid) -> bool, seconds: f64) -> SubscriberLayers {
        let mut this = SubscriberLayers::default();
        let (mut video_bytes, mut video_lost, mut video_packets, mut audio_lost) = (0, 0, 0, 0);
        let mut audio_delays = Vec::new();
        let mut streams = received.all();
        streams.sort_by_key(|((sender, video), _)| (*sender, *video));
        for ((sender, video), stats) in streams {
            if !counts(sender) {
                continue;
            }
            if video {
                for (sum, layer) in this.layer_packets.iter_mut().zip(stats.layers) {
                    *sum += layer;
                }
                this.main_layers.push(stats.main_layer());
                this.switches += stats.layer_switches;
                this.switches_off_keyframe += stats.switches_off_keyframe;
                this.picture_id_gaps += stats.picture_id_gaps;
                video_bytes += stats.bytes;
                video_packets += stats.packets;
                video_lost += stats.lost();
            } else {
                this.audio_packets += stats.packets;
                audio_lost += stats.lost();
                audio_delays.extend(stats.delays_us.iter().map(|&d| f64::from(d)));
            }
        }
        let layered: u64 = this.layer_packets.iter().sum();
        this.layer_percent = this.layer_packets.map(|p| 100.0 * p as f64 / layered.max(1) as f64);
        this.video_kbps = video_bytes as f64 * 8.0 / seconds.max(1e-9) / 1e3;
        this.video_loss_percent = 100.0 * video_lost as f64 / (video_packets + video_lost).max(1) as f64;
        this.audio_loss_percent = 100.0 * audio_lost as f64 / (this.audio_packets + audio_lost).max(1) as f64;
        this.audio_delay_p99_ms = Distribution::of(audio_delays).p99 / 1_000.0;
        this
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Throughput {
    pub packets_per_second: f64,
    pub bytes_per_second: f64,
    pub mbit_per_second: f64,
    pub mean_payload_bytes: f64,
}

/// What the participants sent in the window.
#[derive(Debug, Default, Serialize)]
pub struct Sent {
    pub audio: u64,
    pub video: u64,
    pub keyframes: u64,
    pub keyframe_requests: u64,
    pub errors: u64,
}

/// The server's share of the machine during the window.
#[derive(Debug, Serialize)]
pub struct ServerLoad {
    pub cpu_seconds: f64,
    /// CPU seconds per second of the window.
    pub cores: f64,
    pub us_per_forwarded_packet: f64,
    pub ms_per_participant_minute: f64,
    /// Before anyone joined.
    pub rss_before_kib: u64,
    pub rss_kib: u64,
    pub rss_per_participant_kib: f64,
    pub open_fds: usize,
    pub threads: u64,
    pub runtime: Option<Runtime>,
    /// Each node's share, when the run drove several (the figures above are then their sums;
    /// CPU and memory per packet and participant are the whole region's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeLoad>,
}

/// One node's share of the window.
#[derive(Debug, Serialize)]
pub struct NodeLoad {
    pub url: String,
    pub pid: Option<u32>,
    pub cpu_seconds: f64,
    pub cores: f64,
    /// Before anyone joined.
    pub rss_before_kib: u64,
    pub rss_kib: u64,
    pub open_fds: usize,
    pub threads: u64,
    /// The node's own counts: the conferences it hosts, their peer connections, its tasks.
    pub runtime: Option<Runtime>,
}

/// Join/leave cycles and what they left behind.
#[derive(Debug, Serialize)]
pub struct SoakResult {
    pub cycles: u32,
    pub failed_cycles: u32,
    pub seconds: f64,
    /// After the warm-up cycles (`--soak-warmup` per conference).
    pub before: Snapshot,
    /// After the last cycle, once the server had a moment to tear down.
    pub after: Snapshot,
    pub rss_change_percent: Option<f64>,
    /// (cycles done, the server's resident memory in KiB) in ten steps.
    pub rss_trace: Vec<(u32, u64)>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Snapshot {
    pub process: Option<ProcessFigures>,
    pub runtime: Option<Runtime>,
}

impl Snapshot {
    /// Whether every UDP socket and other descriptor (database connections aside) opened since
    /// `before` is closed again; `None` without process figures.
    pub fn descriptors_back_to(&self, before: &Snapshot) -> Option<bool> {
        let (b, a) = (before.process?, self.process?);
        Some(a.udp_sockets <= b.udp_sockets && a.other_fds <= b.other_fds)
    }

    /// Whether every task and peer connection started since `before` is gone again; `None`
    /// without the server's own figures.
    pub fn runtime_back_to(&self, before: &Snapshot) -> Option<bool> {
        let (b, a) = (before.runtime?, self.runtime?);
        Some(a.tasks <= b.tasks && a.peer_connections <= b.peer_connections)
    }
}

/// One figure against its target.
#[derive(Debug, Serialize)]
pub struct Target {
    pub what: &'static str,
    pub target: String,
    pub measured: String,
    pub met: bool,
}

impl Report {
    pub fn new(options: &Options, servers: &[Server]) -> Report {
        let server = &servers[0];
        Report {
            harness: format!("ketentafel-load {}", env!("CARGO_PKG_VERSION")),
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            machine: Machine::this(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
            options: options.clone(),
            server: ServerInfo {
                url: server.url().to_owned(),
                spawned: server.spawned(),
                pid: server.pid(),
                cpus: server.pid().and_then(|pid| crate::server::allowed_cpus(&format!("/proc/{pid}"))),
                harness_cpus: crate::server::allowed_cpus("/proc/self"),
                nodes: if servers.len() > 1 { servers.iter().map(NodeInfo::of).collect() } else { Vec::new() },
            },
            conference: None,
            soak: None,
            targets: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Holds the figures to the targets of docs/performance.md and lists problems.
    pub fn finish(&mut self) {
        let mut targets = Vec::new();
        let mut problems = Vec::new();
        if let Some(c) = &self.conference {
            if c.streams.received < c.streams.expected {
                problems.push(format!(
                    "{} of {} streams never arrived",
                    c.streams.expected - c.streams.received,
                    c.streams.expected
                ));
            }
            if c.streams.corrupt > 0 {
                problems.push(format!("{} packets arrived altered", c.streams.corrupt));
            }
            if c.failed_joins > 0 {
                problems.push(format!("{} participants did not get everyone's media in time", c.failed_joins));
            }
            if c.sent.errors > 0 {
                problems.push(format!("{} packets could not be sent", c.sent.errors));
            }
            // Without a lost packet, a switch off a keyframe or a gap in the picture ids is the
            // server's doing (a lost keyframe start or frame explains either).
            let whole = || c.subscribers.iter().filter(|s| s.video_loss_percent == 0.0);
            let off_keyframe: u64 = whole().map(|s| s.switches_off_keyframe).sum();
            let gaps: u64 = whole().map(|s| s.picture_id_gaps).sum();
            if off_keyframe > 0 || gaps > 0 {
                problems.push(format!(
                    "{off_keyframe} layer switches off a keyframe and {gaps} picture id gaps without a lost packet"
                ));
            }
            if let Some(ratio) = c.ratio_to_floor {
                targets.push(Target {
                    what: "server CPU per forwarded packet",
                    target: "≤ 3× the floor (stretch 2×)".into(),
                    measured: format!(
                        "{ratio:.1}× ({:.2} µs vs {:.2} µs)",
                        ratio * c.floor.per_packet_us,
                        c.floor.per_packet_us
                    ),
                    met: ratio <= 3.0,
                });
            }
            targets.push(Target {
                what: "loss",
                target: "< 0.5 %".into(),
                measured: format!("{:.3} %", c.streams.loss_percent),
                met: c.streams.loss_percent < 0.5,
            });
            targets.push(Target {
                what: "forwarding delay p99",
                target: "≤ 1 ms".into(),
                measured: format!("{:.2} ms", c.delay_us.p99 / 1_000.0),
                met: c.delay_us.p99 <= 1_000.0,
            });
            if let Some(server) = &c.server {
                targets.push(Target {
                    what: "server CPU",
                    target: "under one core".into(),
                    measured: format!("{:.2} cores", server.cores),
                    met: server.cores < 1.0,
                });
            }
            targets.push(Target {
                what: "join time p50",
                target: "≤ 300 ms".into(),
                measured: format!("{:.0} ms", c.join_ms.p50),
                met: c.join_ms.samples > 0 && c.join_ms.p50 <= 300.0,
            });
        }
        if let Some(s) = &self.soak {
            if s.failed_cycles > 0 {
                problems.push(format!("{} of {} cycles failed", s.failed_cycles, s.cycles));
            }
            if let Some(change) = s.rss_change_percent {
                targets.push(Target {
                    what: "resident memory after the cycles",
                    target: "within 5 % of the start".into(),
                    measured: format!("{change:+.1} %"),
                    met: change.abs() <= 5.0,
                });
            }
            if let (Some(before), Some(after)) = (s.before.process, s.after.process) {
                targets.push(Target {
                    what: "file descriptors left behind",
                    target: "none (database connections aside)".into(),
                    measured: format!(
                        "UDP sockets {} → {}, others {} → {}",
                        before.udp_sockets, after.udp_sockets, before.other_fds, after.other_fds
                    ),
                    met: s.after.descriptors_back_to(&s.before) == Some(true),
                });
            }
            if let (Some(before), Some(after)) = (s.before.runtime, s.after.runtime) {
                targets.push(Target {
                    what: "tasks and peer connections left behind",
                    target: "none".into(),
                    measured: format!(
                        "tasks {} → {}, connections {} → {}",
                        before.tasks, after.tasks, before.peer_connections, after.peer_connections
                    ),
                    met: s.after.runtime_back_to(&s.before) == Some(true),
                });
            }
        }
        self.targets = targets;
        self.problems = problems;
    }
}

impl Machine {
    fn this() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
        Machine { cpus: std::thread::available_parallelism().map_or(1, |n| n.get()), cpu_model, kernel }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let d = Distribution::of((1..=100).map(f64::from).rev().collect());
        assert_eq!((d.samples, d.p50, d.p95, d.p99, d.max), (100, 50.0, 95.0, 99.0, 100.0));
        let one = Distribution::of(vec![7.0]);
        assert_eq!((one.p50, one.max), (7.0, 7.0));
        assert_eq!(Distribution::of(vec![]).samples, 0);
    }
}
