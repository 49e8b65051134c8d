//! The load harness (`ketentafel-load`) and the headless participant it is built on: a package
//! of its own, so the server does not depend on the HTTP and WebSocket clients they need. The
//! harness runs conferences of headless participants against a real Ketentafel on this machine,
//! through the real signalling, lobby and SFU, measured from both ends. See docs/performance.md for what
//! it reports and how to read it.
//!
//! - [`headless`]: one participant, speaking the signalling protocol and sending and receiving
//!   real media; the server's integration tests use it too.
//! - [`server`]: the server under test (started here, or one or several nodes already running)
//!   and their process figures from `/proc`.
//! - [`cluster`]: what several nodes share, NATS and PostgreSQL, counted during the run.
//! - [`setup`]: conferences and guest invitations through the HTTP API.
//! - [`conference`]: joining, measuring a window of full media, leaving.
//! - [`soak`]: join/leave cycles and what they leave behind.
//! - [`floor`]: the cheapest possible forward on this machine, measured in the same run.
//! - [`media_loop`]: `--media-loop`, conferences on one owned media loop in this process.
//! - [`report`]: the figures, as JSON and as a table.

pub mod cluster;
pub mod conference;
pub mod floor;
pub mod headless;
pub mod media_loop;
pub mod report;
pub mod server;
pub mod setup;
pub mod soak;
mod table;
pub mod tap;

use clap::Parser;
use report::Report;
use std::path::PathBuf;
use std::time::Duration;

/// What to run. Every option has a default that finishes in well under a minute.
#[derive(Debug, Clone, Parser, serde::Serialize)]
#[command(
    name = "ketentafel-load",
    about = "Load harness for Ketentafel: conferences of headless participants through the real signalling and SFU",
    version
)]
pub struct Options {
    /// Start a fresh Ketentafel with its demo workspace for this run (loopback, a temporary data
    /// directory, stopped afterwards).
    #[arg(long, conflicts_with = "server")]
    pub spawn: bool,
    /// The `ketentafel` program to start with --spawn (default: the one next to this program).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// DATABASE_URL for the server started with --spawn (default: SQLite in its data directory).
    /// When it is PostgreSQL, with --spawn or --server, the report gives that database's
    /// activity during the window (`pg_stat_database`).
    #[arg(long)]
    #[serde(skip)]
    pub database_url: Option<String>,
    /// Pin the server started with --spawn to these CPUs (a `taskset` list: `0`, `0-1`, `0,2`),
    /// so that its cost per packet is measured on its own core. Pin the harness itself with
    /// `taskset -c 1 ketentafel-load …`; the report gives both CPU sets.
    #[arg(long, requires = "spawn", value_parser = parse_cpu_list)]
    pub server_cpus: Option<String>,
    /// Run the media of the server started with --spawn on the engine's tasks (its
    /// `--media-loop false`) instead of its owned loop, to compare the two.
    #[arg(long, requires = "spawn")]
    pub server_engine: bool,
    /// A running Ketentafel with the demo workspace, on this machine (e.g. http://127.0.0.1:8080);
    /// or several nodes of one region, comma-separated: each conference's participants are
    /// spread over them in turn, as a load balancer without sticky sessions would.
    #[arg(long, value_delimiter = ',')]
    #[serde(serialize_with = "one_or_many")]
    pub server: Vec<String>,
    /// The process id of that server (of each, comma-separated, in the order of --server), for
    /// its CPU time, memory and descriptors.
    #[arg(long, requires = "server", value_delimiter = ',')]
    #[serde(serialize_with = "one_or_many")]
    pub server_pid: Vec<u32>,
    /// The NATS server of those nodes (needs --nats-prefix): the report counts what the nodes
    /// publish under their prefix during the window.
    #[arg(long, requires = "nats_prefix")]
    #[serde(skip)]
    pub nats_url: Option<String>,
    /// The nodes' --nats-prefix.
    #[arg(long, requires = "nats_url")]
    pub nats_prefix: Option<String>,
    /// Password of the demo accounts.
    #[arg(long, env = "KETENTAFEL_LOAD_PASSWORD", default_value = "demo", hide_env_values = true)]
    #[serde(skip)]
    pub password: String,
    /// Conferences at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub rooms: u32,
    /// Participants per conference, the chair included.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..=30))]
    pub participants: u32,
    /// Seconds of full media that are measured.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of full media before the measurement starts.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Video bitrate each participant publishes, in bits per second.
    #[arg(long, default_value_t = 1_200_000)]
    pub video_bitrate: u32,
    /// Bytes of video payload per packet.
    #[arg(long, default_value_t = 1_100, value_parser = clap::value_parser!(u32).range(64..=1_200))]
    pub video_packet: u32,
    /// Publish video in three simulcast layers (VP8-shaped, rids l, m, h, at 12 %, 30 % and 100 %
    /// of --video-bitrate), as browsers do; the report gives the layer each subscriber received.
    #[arg(long)]
    pub simulcast: bool,
    /// Cap what the server sends to some subscribers at this many kbit/s: their subscribe
    /// connection goes through a relay with a bottleneck of that rate and a drop-tail queue of
    /// --cap-queue-ms (see --capped). Their figures are reported apart.
    #[arg(long, value_parser = clap::value_parser!(u64).range(50..=100_000))]
    pub subscriber_cap: Option<u64>,
    /// With --subscriber-cap: how many participants of each conference (the last to join) are
    /// capped.
    #[arg(long, default_value_t = 1, requires = "subscriber_cap")]
    pub capped: u32,
    /// With --subscriber-cap: the longest a packet may wait at the bottleneck, in milliseconds.
    #[arg(long, default_value_t = 200, requires = "subscriber_cap", value_parser = clap::value_parser!(u64).range(10..=5_000))]
    pub cap_queue_ms: u64,
    /// Seconds between scheduled keyframes.
    #[arg(long, default_value_t = 2.0)]
    pub keyframe_interval: f64,
    /// Seed of everything the run varies (each participant's send phase).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Instead of a conference run: this many join/publish/leave cycles, spread over --rooms
    /// conferences, with the server's memory, descriptors and tasks before and after.
    #[arg(long)]
    pub soak: Option<u32>,
    /// Seconds each soak cycle publishes before leaving.
    #[arg(long, default_value_t = 1.0)]
    pub soak_publish: f64,
    /// Soak cycles per conference before the first snapshot: the allocator's pools and the
    /// library's caches grow during the first ~100 cycles and then level off (docs/performance.md).
    #[arg(long, default_value_t = 25)]
    pub soak_warmup: u32,
    /// Instead of a run against a server: --rooms conferences of --participants on one owned
    /// media loop in this process (the rooms' media engine, without the rooms), its thread's CPU per
    /// forwarded packet against the floor.
    #[arg(long, conflicts_with_all = ["spawn", "server", "soak"])]
    pub media_loop: bool,
    /// The headless participants' interval between ICE connectivity checks, in milliseconds
    /// (the media library's own default is 200, a browser's about 50).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub client_ice_interval_ms: u64,
    /// Pin the --media-loop thread to this CPU (pin the harness with `taskset -c` on another).
    #[arg(long, requires = "media_loop")]
    pub loop_cpu: Option<usize>,
    /// Also write the report here as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Give up (and stop everything) after this many seconds.
    #[arg(long, default_value_t = 900)]
    pub timeout: u64,
}

/// A list option as it was written before it took lists: nothing as `null`, one value as that
/// value, several as a list; so a one-server report reads as it always did.
fn one_or_many<T: serde::Serialize, S: serde::Serializer>(values: &[T], serializer: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match values {
        [] => serializer.serialize_none(),
        [one] => one.serialize(serializer),
        many => many.serialize(serializer),
    }
}

/// A CPU list as `taskset -c` takes it: numbers and ranges, comma-separated.
fn parse_cpu_list(list: &str) -> Result<String, String> {
    let valid = !list.is_empty()
        && list.split(',').all(|part| {
            let mut ends = part.splitn(2, '-').map(|n| n.parse::<u16>());
            match (ends.next(), ends.next()) {
                (Some(Ok(_)), None) => true,
                (Some(Ok(from)), Some(Ok(to))) => from <= to,
                _ => false,
            }
        });
    if valid { Ok(list.to_owned()) } else { Err(format!("{list:?} is not a CPU list such as 0, 0-1 or 0,2")) }
}

impl Options {
    fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, value: f64| {
            if value.is_finite() && value > 0.0 { Ok(()) } else { Err(format!("--{name} must be a positive number")) }
        };
        positive("duration", self.duration)?;
        positive("keyframe-interval", self.keyframe_interval)?;
        positive("soak-publish", self.soak_publish)?;
        if !(self.warmup.is_finite() && self.warmup >= 0.0) {
            return Err("--warmup must be zero or more".into());
        }
        if !self.spawn && self.server.is_empty() && !self.media_loop {
            return Err("say which server: --spawn, or --server URL of a running one".into());
        }
        for url in &self.server {
            server::require_loopback(url)?;
        }
        if !self.server_pid.is_empty() && self.server_pid.len() != self.server.len() {
            return Err(format!(
                "--server-pid names {} processes for {} servers: one per server, in the same order",
                self.server_pid.len(),
                self.server.len()
            ));
        }
        if self.subscriber_cap.is_some() && self.capped >= self.participants {
            return Err(format!(
                "--capped {} leaves no subscriber without a cap in conferences of {}: the chair is never capped",
                self.capped, self.participants
            ));
        }
        if self.soak.is_some() && self.server.len() > 1 {
            return Err("the soak measures what one node keeps: give it one --server".into());
        }
        Ok(())
    }
}

/// Runs what the options say and reports; `Err` when the run could not be carried out (the
/// report's `problems` list what went wrong with media in a run that was).
pub async fn run(options: Options) -> Result<Report, String> {
    options.validate()?;
    let budget = Duration::from_secs(options.timeout);
    let servers = server::Server::start_all(&options).await?;
    let outcome = tokio::time::timeout(budget, run_against(&options, &servers)).await;
    for server in servers {
        server.stop().await;
    }
    match outcome {
        Ok(result) => result,
        Err(_) => Err(format!("the run did not finish within --timeout {} s", options.timeout)),
    }
}

async fn run_against(options: &Options, servers: &[server::Server]) -> Result<Report, String> {
    let mut report = Report::new(options, servers);
    // The conferences and invitations are made on the first node; every node shares them.
    let api = setup::Api::login(servers[0].url(), &options.password).await?;
    if let Some(cycles) = options.soak {
        report.soak = Some(soak::run(options, &servers[0], &api, cycles).await?);
    } else {
        conference::run(options, servers, &api, &mut report).await?;
    }
    report.finish();
    Ok(report)
}

/// A small deterministic generator (SplitMix64) for the seeded choices of a run.
#[derive(Debug, Clone)]
pub struct Seeded(u64);

impl Seeded {
    pub fn new(seed: u64) -> Self {
        Seeded(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A phase within a 100 ms period (it is taken modulo each stream's own period).
    pub fn phase(&mut self) -> Duration {
        Duration::from_micros(self.next_u64() % 100_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_gives_the_same_phases() {
        let phases = |seed| {
            let mut rng = Seeded::new(seed);
            (0..5).map(|_| rng.phase()).collect::<Vec<_>>()
        };
        assert_eq!(phases(7), phases(7));
        assert_ne!(phases(7), phases(8));
        assert!(phases(7).iter().all(|p| *p < Duration::from_millis(100)));
    }

    #[test]
    fn a_remote_server_is_refused() {
        let options = Options::try_parse_from(["ketentafel-load", "--server", "http://192.0.2.1:8080"]).unwrap();
        assert!(options.validate().unwrap_err().contains("loopback"));
        let options = Options::try_parse_from(["ketentafel-load", "--server", "http://127.0.0.1:8080"]).unwrap();
        assert!(options.validate().is_ok());
        let options = Options::try_parse_from(["ketentafel-load"]).unwrap();
        assert!(options.validate().is_err(), "a server must be named");
    }

    #[test]
    fn several_nodes_and_their_pids_are_given_as_lists_in_one_order() {
        let parse = |args: &[&str]| Options::try_parse_from([&["ketentafel-load"], args].concat()).unwrap();
        let nodes = "http://127.0.0.1:8081,http://127.0.0.1:8082,http://[::1]:8083";
        let options = parse(&["--server", nodes, "--server-pid", "11,12,13"]);
        assert_eq!(options.server.len(), 3);
        assert_eq!(options.server_pid, [11, 12, 13]);
        assert!(options.validate().is_ok());
        let short = parse(&["--server", nodes, "--server-pid", "11,12"]).validate().unwrap_err();
        assert!(short.contains("one per server"), "{short}");
        let remote = parse(&["--server", "http://127.0.0.1:8081,http://192.0.2.1:8082"]).validate().unwrap_err();
        assert!(remote.contains("loopback"), "{remote}");
        let soak = parse(&["--server", nodes, "--soak", "10"]).validate().unwrap_err();
        assert!(soak.contains("one --server"), "{soak}");
    }

    #[test]
    fn a_report_of_one_server_names_it_as_before_and_several_as_a_list() {
        let json = |args: &[&str]| {
            serde_json::to_value(Options::try_parse_from([&["ketentafel-load"], args].concat()).unwrap()).unwrap()
        };
        let one = json(&["--server", "http://127.0.0.1:8080", "--server-pid", "42"]);
        assert_eq!(
            (&one["server"], &one["server_pid"]),
            (&serde_json::json!("http://127.0.0.1:8080"), &serde_json::json!(42))
        );
        let spawned = json(&["--spawn"]);
        assert!(spawned["server"].is_null() && spawned["server_pid"].is_null(), "{spawned}");
        let two = json(&["--server", "http://127.0.0.1:8081,http://127.0.0.1:8082", "--server-pid", "11,12"]);
        assert_eq!(two["server_pid"], serde_json::json!([11, 12]));
        assert!(two.get("nats_url").is_none(), "the NATS URL may hold a password: {two}");
    }
}
