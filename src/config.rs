//! Configuration from flags and environment. Every flag has an environment variable so a
//! container can be configured without a command line.

use crate::clock::{SharedClock, SystemClock};
use crate::domain::LifeDomain;
use crate::domain::readiness::LeadDays;
use crate::domain::rules::RuleConfig;
use clap::Parser;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

pub use crate::secret::Secret;

/// Ketentafel: video case conferences for the re-integration of detainees.
#[derive(Debug, Clone, Parser)]
#[command(name = "ketentafel", version, about)]
pub struct Config {
    /// Address to listen on for HTTP(S) and WebSocket.
    #[arg(long, env = "KETENTAFEL_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Folder for the SQLite database and other local state.
    #[arg(long, env = "KETENTAFEL_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database URL: `sqlite://…` or `postgres://…`. Default: `ketentafel.db` in the data dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<Secret>,

    /// Seed a fictional demo workspace (idempotent) and print its accounts.
    #[arg(long)]
    pub demo: bool,

    /// With `--demo`: also seed a year of fictional history (six more cases in two
    /// municipalities, conferences, actions, escalations and decisions) so the figures show
    /// something. `--demo-history false` keeps the demo to its one case.
    #[arg(long, env = "KETENTAFEL_DEMO_HISTORY", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo_history: bool,

    /// Log filter, e.g. `info` or `ketentafel=debug,tower_http=info`.
    #[arg(long, env = "KETENTAFEL_LOG", default_value = "info")]
    pub log: String,

    /// The address users reach this service at, used in invite links.
    /// Default: derived from `--bind`.
    #[arg(long, env = "KETENTAFEL_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Key that signs session tokens. Default: generated once and kept in the database, so
    /// every node sharing the database uses the same key.
    #[arg(long, env = "KETENTAFEL_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// Minutes a login session lasts without activity.
    #[arg(long, env = "KETENTAFEL_SESSION_MINUTES", default_value_t = 60)]
    pub session_minutes: i64,

    /// Hours after login when a session ends, however active (then log in again).
    #[arg(long, env = "KETENTAFEL_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: i64,

    /// Days a closed case is kept before it is deleted (the audit trail stays).
    #[arg(long, env = "KETENTAFEL_RETENTION_DAYS", default_value_t = 730)]
    pub retention_days: i64,

    /// Hours an invite link stays valid after the conference's scheduled start.
    #[arg(long, env = "KETENTAFEL_INVITE_HOURS", default_value_t = 24)]
    pub invite_hours: i64,

    /// Largest accepted request body in bytes.
    #[arg(long, env = "KETENTAFEL_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// TLS certificate chain (PEM). With `--tls-key`, Ketentafel serves HTTPS itself: browsers
    /// give camera and microphone only to https pages (or localhost).
    #[arg(long, env = "KETENTAFEL_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// TLS private key (PEM) for `--tls-cert`.
    #[arg(long, env = "KETENTAFEL_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Address the media (UDP) sockets bind to. Default: the `--bind` address (so loopback stays
    /// loopback); `0.0.0.0` binds every non-loopback interface.
    #[arg(long, env = "KETENTAFEL_MEDIA_IP")]
    pub media_ip: Option<IpAddr>,

    /// UDP ports for media, e.g. `40000-40999`: each media loop takes one, which the pre-join
    /// network checks share (the engine, with `--media-loop false`, takes two per participant and
    /// one per check). Default: any free port.
    #[arg(long, env = "KETENTAFEL_MEDIA_PORTS", value_parser = parse_port_range)]
    pub media_ports: Option<(u16, u16)>,

    /// The public address to announce for media when behind a 1:1 NAT (container, cloud VM).
    #[arg(long, env = "KETENTAFEL_PUBLIC_IP")]
    pub public_ip: Option<IpAddr>,

    /// STUN servers for browsers, e.g. `stun:stun.example.org:3478` (comma-separated).
    #[arg(long, env = "KETENTAFEL_STUN", value_delimiter = ',')]
    pub stun: Vec<String>,

    /// TURN servers for browsers, e.g. `turns:turn.example.org:443?transport=tcp`
    /// (comma-separated). Needs `--turn-secret`.
    #[arg(long, env = "KETENTAFEL_TURN", value_delimiter = ',', requires = "turn_secret")]
    pub turn: Vec<String>,

    /// The secret shared with the TURN server (coturn `static-auth-secret`).
    #[arg(long, env = "KETENTAFEL_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<Secret>,

    /// Minutes that TURN credentials handed to a participant stay valid.
    #[arg(long, env = "KETENTAFEL_TURN_TTL_MINUTES", default_value_t = 720)]
    pub turn_ttl_minutes: i64,

    /// Make every browser use TURN relay candidates only (`iceTransportPolicy: "relay"`), for a
    /// deployment whose clients sit behind firewalls that let only TCP 443 out, or that must not
    /// reveal their addresses to the media server. Needs `--turn`.
    #[arg(long, env = "KETENTAFEL_ICE_RELAY_ONLY", default_value_t = false, requires = "turn")]
    pub ice_relay_only: bool,

    /// Let each participant's bandwidth estimate (from the browser's transport-wide feedback)
    /// choose the video layers they get, pace their video and pause video their link cannot
    /// carry (docs/media.md, "Simulcast"). On by default; `--adapt-to-link false` leaves the
    /// choice to the tile sizes alone.
    #[arg(long, env = "KETENTAFEL_ADAPT_TO_LINK", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub adapt_to_link: bool,

    /// Run the participants' media on the owned media loop: one thread and one UDP port per
    /// loop, on `--media-ip` (docs/media.md, "The owned loop"). On by default; `--media-loop
    /// false` runs it on the engine's tasks instead (a task and a UDP port per connection), the
    /// engine of before, kept as a fallback.
    #[arg(long, env = "KETENTAFEL_MEDIA_LOOP", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub media_loop: bool,

    /// How many owned media loops run with `--media-loop`: each is a thread and a UDP port of
    /// its own (the first free ports of `--media-ports`), and each conference lives in one. One
    /// per core spreads conferences over the cores; the firewall then opens one port per loop.
    #[arg(long, env = "KETENTAFEL_MEDIA_LOOPS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub media_loops: u16,

    /// Seconds an empty conference waits for someone to come back before it ends.
    #[arg(long, env = "KETENTAFEL_ROOM_GRACE_SECONDS", default_value_t = 120)]
    pub room_grace_seconds: u64,

    /// Seconds someone whose connection dropped keeps their seat in a conference (the others
    /// see "reconnecting") before they are shown as left.
    #[arg(long, env = "KETENTAFEL_SEAT_GRACE_SECONDS", default_value_t = 30)]
    pub seat_grace_seconds: u64,

    /// Milliseconds between WebSocket pings (and the `ping` message browsers watch); a
    /// connection silent for three is closed. Short, so a dropped link is noticed within a few
    /// seconds on both sides.
    #[arg(long, env = "KETENTAFEL_WS_PING_MS", default_value_t = 1000, hide = true)]
    pub ws_ping_ms: u64,

    /// Seconds a node that got SIGTERM keeps its running conferences before it stops (drain):
    /// meanwhile `/readyz` says "draining" and no new conference starts on it; a second signal
    /// stops it at once. 0 (the default) stops at once, as one node on its own should; several
    /// nodes behind a load balancer drain (infra/, with the matching grace period).
    #[arg(long, env = "KETENTAFEL_DRAIN_TIMEOUT", default_value_t = 0)]
    pub drain_timeout: u64,

    /// Serve Prometheus metrics on this address (`GET /metrics`), e.g. `0.0.0.0:9464` inside a
    /// cluster; none by default. Counts and timings only: no person, case or conference.
    #[arg(long, env = "KETENTAFEL_METRICS_BIND")]
    pub metrics_bind: Option<std::net::SocketAddr>,

    /// Join other nodes through this NATS server, e.g. `nats://nats:4222`. With a PostgreSQL
    /// `DATABASE_URL` this is all several nodes need to serve one region together: conferences
    /// are leased per node in PostgreSQL, and events and the signalling of participants who
    /// reached another node travel over NATS (docs/operations.md, "Several nodes").
    #[arg(long, env = "KETENTAFEL_NATS_URL")]
    pub nats_url: Option<Secret>,

    /// This node's name among the others (unique per running process); the host name and a
    /// random suffix when not given. In Kubernetes, the pod's name.
    #[arg(long, env = "KETENTAFEL_NODE_ID")]
    pub node_id: Option<String>,

    /// The first part of every NATS subject the nodes use: one per deployment, so that several
    /// regions (or test runs) can share a NATS server without hearing each other.
    #[arg(long, env = "KETENTAFEL_NATS_PREFIX", default_value = "ketentafel")]
    pub nats_prefix: String,

    /// Seconds a conference's lease runs without renewal (the node renews it every second).
    /// When a node dies, another takes its conferences at most this long after.
    #[arg(long, env = "KETENTAFEL_LEASE_SECONDS", default_value_t = 4, value_parser = clap::value_parser!(u64).range(2..=60))]
    pub lease_seconds: u64,

    /// Test fault, never for production: media keeps flowing to the client while he is sent out
    /// for the debrief, as a faulty SFU would do, so a test can show that end-to-end encryption
    /// keeps it unreadable to him (docs/e2ee.md). Logged loudly at start.
    #[arg(long, env = "KETENTAFEL_TEST_FAULT_FORWARD_TO_SENT_OUT", default_value_t = false, hide = true)]
    pub test_fault_forward_to_sent_out: bool,
    /// Days past its due date after which an action that is not done escalates (`overdue`).
    #[arg(long, env = "KETENTAFEL_OVERDUE_DAYS", default_value_t = 14)]
    pub overdue_days: u32,

    /// Days an action may stay `blocked` before it escalates (`blocked`).
    #[arg(long, env = "KETENTAFEL_BLOCKED_DAYS", default_value_t = 7)]
    pub blocked_days: u32,

    /// Consecutive finalised conferences at which an action may be on the table, still pending,
    /// before it escalates (`carried_over`).
    #[arg(long, env = "KETENTAFEL_CARRY_OVER_CONFERENCES", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub carry_over_conferences: u32,

    /// Seconds between background runs of the escalation engine (which also sends the due-date
    /// reminders and the e-mail outbox); 0 switches the background run off.
    #[arg(long, env = "KETENTAFEL_ENGINE_INTERVAL_SECS", default_value_t = 900)]
    pub engine_interval_secs: u64,

    /// Readiness lead time of the ID domain, in days before release.
    #[arg(long, env = "KETENTAFEL_LEAD_DAYS_ID", default_value_t = LifeDomain::Id.default_lead_days())]
    pub lead_days_id: u32,

    /// Readiness lead time of the housing domain, in days before release.
    #[arg(long, env = "KETENTAFEL_LEAD_DAYS_HOUSING", default_value_t = LifeDomain::Housing.default_lead_days())]
    pub lead_days_housing: u32,

    /// Readiness lead time of the work-and-income domain, in days before release.
    #[arg(long, env = "KETENTAFEL_LEAD_DAYS_WORK_INCOME", default_value_t = LifeDomain::WorkIncome.default_lead_days())]
    pub lead_days_work_income: u32,

    /// Readiness lead time of the debts domain, in days before release.
    #[arg(long, env = "KETENTAFEL_LEAD_DAYS_DEBTS", default_value_t = LifeDomain::Debts.default_lead_days())]
    pub lead_days_debts: u32,

    /// Readiness lead time of the care domain, in days before release.
    #[arg(long, env = "KETENTAFEL_LEAD_DAYS_CARE", default_value_t = LifeDomain::Care.default_lead_days())]
    pub lead_days_care: u32,

    /// SMTP server for e-mail notifications, e.g. `smtps://user:pass@mail.example:465` or
    /// `smtp://relay.example:587?tls=required`. Without it, notifications are in-app only.
    #[arg(long, env = "KETENTAFEL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// The sender of notification e-mails.
    #[arg(long, env = "KETENTAFEL_SMTP_FROM", default_value = "Ketentafel <noreply@ketentafel.invalid>")]
    pub smtp_from: String,

    /// The clock; tests replace it to move time.
    #[arg(skip = default_clock())]
    pub clock: SharedClock,
}

fn parse_port_range(text: &str) -> Result<(u16, u16), String> {
    let (low, high) = text.split_once('-').ok_or("write a range as LOW-HIGH, e.g. 40000-40999")?;
    let low: u16 = low.trim().parse().map_err(|_| "the low port is not a number")?;
    let high: u16 = high.trim().parse().map_err(|_| "the high port is not a number")?;
    if low == 0 || high < low {
        return Err("the range must be 1 <= LOW <= HIGH".into());
    }
    Ok((low, high))
}

fn default_clock() -> SharedClock {
    Arc::new(SystemClock)
}

impl Config {
    /// A configuration with every default, for tests and embedding.
    pub fn defaults() -> Self {
        Config::parse_from(["ketentafel"])
    }

    /// The database URL to use, falling back to the SQLite file in the data dir.
    pub fn database_url(&self) -> Secret {
        match &self.database_url {
            Some(url) => url.clone(),
            None => {
                let file = self.data_dir.join("ketentafel.db");
                Secret::new(format!("sqlite://{}?mode=rwc", file.display()))
            }
        }
    }

    /// The address media sockets bind to.
    pub fn media_ip(&self) -> IpAddr {
        self.media_ip.unwrap_or(self.bind.ip())
    }

    /// The escalation rules as configured.
    pub fn rules(&self) -> RuleConfig {
        RuleConfig {
            overdue_days: self.overdue_days.into(),
            blocked_days: self.blocked_days.into(),
            carry_over_conferences: self.carry_over_conferences.max(1) as usize,
        }
    }

    /// The readiness lead times as configured.
    pub fn lead_days(&self) -> LeadDays {
        LeadDays::from_fn(|domain| {
            i64::from(match domain {
                LifeDomain::Id => self.lead_days_id,
                LifeDomain::Housing => self.lead_days_housing,
                LifeDomain::WorkIncome => self.lead_days_work_income,
                LifeDomain::Debts => self.lead_days_debts,
                LifeDomain::Care => self.lead_days_care,
            })
        })
    }

    /// Where invite links point, without a trailing slash.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None if self.tls_cert.is_some() => format!("https://{bound}"),
            None => format!("http://{bound}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_range_is_low_dash_high() {
        assert_eq!(parse_port_range("40000-40999"), Ok((40000, 40999)));
        assert!(parse_port_range("40999-40000").is_err());
        assert!(parse_port_range("40000").is_err());
        assert!(parse_port_range("0-10").is_err());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let config = Config::parse_from([
            "ketentafel",
            "--jwt-secret",
            "hunter2",
            "--turn",
            "turn:x",
            "--turn-secret",
            "s3cret",
        ]);
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("s3cret"));
    }

    #[test]
    fn relay_only_is_off_by_default_and_needs_a_turn_server() {
        assert!(!Config::parse_from(["ketentafel"]).ice_relay_only);
        assert!(Config::try_parse_from(["ketentafel", "--ice-relay-only"]).is_err());
        let config = Config::parse_from([
            "ketentafel",
            "--ice-relay-only",
            "--turn",
            "turns:t.example.org:443",
            "--turn-secret",
            "s",
        ]);
        assert!(config.ice_relay_only);
    }
}
