//! Building and running the service. [`build`] is what `main` and every test start: it opens
//! the store (running migrations), prepares keys and background work, and binds the router to
//! the listener it is given.

use crate::accounts;
use crate::auth::limiter::Limiter;
use crate::auth::login_limits::LoginLimits;
use crate::auth::token::{self, Keys};
use crate::config::{Config, Secret};
use crate::core::{Context, EscalationSettings, MailConfigError, Mailer, Outbox, Settings};
use crate::demo;
use crate::escalation::engine;
use crate::events::Events;
use crate::http::{self, AppState};
use crate::notifications::mail;
use crate::sfu::{Sfu, SfuConfig};
use crate::signalling::Signalling;
use crate::signalling::ice::IceConfig;
use crate::signalling::persist::Persister;
use crate::signalling::room::RoomDeps;
use crate::signalling::rooms::{OneNode, Rooms, Routing};
use crate::storage::{OpenError, Store};
use axum_server::tls_rustls::RustlsConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] OpenError),
    #[error("database error during start-up: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot prepare the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error("cannot use the listener: {0}")]
    Listener(std::io::Error),
    #[error("cannot listen for metrics on {0}: {1}")]
    Metrics(std::net::SocketAddr, std::io::Error),
    #[error("cannot load the TLS certificate or key: {0}")]
    Tls(std::io::Error),
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoError),
    #[error("{0} must be at least 32 random characters, not a placeholder")]
    WeakSecret(&'static str),
    #[error(transparent)]
    Mail(#[from] MailConfigError),
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    #[error("cannot start the media loop: {0}")]
    MediaLoop(crate::sfu::SfuError),
}

/// A built service, ready to run.
pub struct App {
    listener: TcpListener,
    /// How long SIGTERM waits for the running conferences (`--drain-timeout`).
    drain_timeout: Duration,
    tls: Option<RustlsConfig>,
    router: axum::Router,
    shutdown: CancellationToken,
    state: AppState,
    /// The background work (escalation engine, e-mail outbox). It stops with the shutdown
    /// token, or when the server ends on its own, or when the `App` is dropped unrun.
    background: Vec<JoinHandle<()>>,
    /// Cancels the background work (a child of `shutdown`) when dropped.
    stop_background: DropGuard,
    /// Stops the conference rooms (a child of `shutdown`): they close their connections and
    /// queue their last facts.
    stop_rooms: CancellationToken,
    /// The conference writer; it drains its queue once `stop_writer` is dropped.
    writer: JoinHandle<()>,
    stop_writer: DropGuard,
    /// With several nodes: the task that renews this node's conference leases, and its stop;
    /// stopped after the rooms, when it lets every lease go.
    leases: Option<(CancellationToken, JoinHandle<()>)>,
    /// The accounts printed at start-up (demo) or the bootstrap admin's one-time password.
    pub banner: Vec<String>,
}

impl App {
    /// The address the service listens on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// What stops the node gracefully: draining its conferences first (`--drain-timeout`).
    pub fn drain(&self) -> Drain {
        Drain { rooms: self.state.signalling.rooms.clone(), timeout: self.drain_timeout }
    }

    /// The shared state, for tests that look behind the API.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the shutdown token is cancelled, then lets requests in flight, the rooms and
    /// the background work finish, and the conference writer drain, before the store closes.
    pub async fn run(self) -> std::io::Result<()> {
        let App {
            listener,
            tls,
            router,
            shutdown,
            state,
            background,
            stop_background,
            stop_rooms,
            writer,
            stop_writer,
            leases,
            ..
        } = self;
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let served = match tls {
            None => axum::serve(listener, service).with_graceful_shutdown(shutdown.clone().cancelled_owned()).await,
            Some(tls) => {
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    shutdown.cancelled().await;
                    stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
                });
                axum_server::from_tcp_rustls(listener.into_std()?, tls)?.handle(handle).serve(service).await
            }
        };
        // Only our own child tokens: the caller's token is theirs to cancel.
        drop(stop_background);
        stop_rooms.cancel();
        state.signalling.rooms.stopped(ROOMS_STOP_LIMIT).await;
        // The rooms are closed: their conferences go to the other nodes at once.
        if let Some((stop, keeper)) = leases {
            stop.cancel();
            let _ = keeper.await;
        }
        for task in background {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a background task ended abnormally");
            }
        }
        // The rooms are gone: what they queued is written before the store closes.
        drop(stop_writer);
        if let Err(e) = writer.await {
            tracing::error!(error = %e, "the conference writer ended abnormally");
        }
        state.cx.store.close().await;
        served
    }
}

/// A graceful stop: no new conferences, the running ones until they end or the timeout.
#[derive(Clone)]
pub struct Drain {
    rooms: crate::signalling::rooms::Rooms,
    timeout: Duration,
}

impl Drain {
    /// Drains; returns when no conference runs here any more or the timeout passed (at once
    /// when the timeout is 0). The caller then stops the node.
    pub async fn run(&self) {
        if self.timeout.is_zero() {
            return;
        }
        self.rooms.drain();
        if self.rooms.drained(self.timeout).await {
            tracing::info!("drained: no conference runs on this node");
        } else {
            tracing::warn!(conferences = self.rooms.active(), "drain timeout: stopping with conferences running");
        }
    }
}

/// How long stopping waits for the rooms to close their connections.
const ROOMS_STOP_LIMIT: Duration = Duration::from_secs(3);

/// Refuses a configured secret that is short or a placeholder left in a manifest.
fn strong(flag: &'static str, secret: Option<&Secret>) -> Result<(), StartError> {
    match secret {
        Some(secret) if secret.expose().len() < 32 || secret.expose().to_ascii_uppercase().contains("CHANGE-ME") => {
            Err(StartError::WeakSecret(flag))
        }
        _ => Ok(()),
    }
}

/// Builds the service on `listener`; it stops when `shutdown` is cancelled.
pub async fn build(config: Config, listener: TcpListener, shutdown: CancellationToken) -> Result<App, StartError> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| StartError::DataDir(config.data_dir.display().to_string(), e))?;
    }
    let store = Store::open(&config.database_url()).await?;
    strong("--jwt-secret", config.jwt_secret.as_ref())?;
    strong("--turn-secret", config.turn_secret.as_ref())?;
    let secret = match &config.jwt_secret {
        Some(secret) => secret.clone(),
        None => Secret::new(store.setting_or_insert("jwt_secret", &token::random_secret()).await?),
    };
    let bound = listener.local_addr().map_err(StartError::Listener)?;
    let public_url = config.public_url(bound);
    let settings = Settings {
        secure_cookies: public_url.starts_with("https://"),
        public_url,
        session_minutes: config.session_minutes.max(5),
        session_max_hours: config.session_max_hours.max(1),
        retention_days: config.retention_days.max(1),
        invite_hours: config.invite_hours.max(1),
        max_body_bytes: config.max_body_bytes,
        ws_ping: std::time::Duration::from_millis(config.ws_ping_ms.max(100)),
    };
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            // One process-wide provider; a second install (tests) is harmless.
            let _ = rustls::crypto::ring::default_provider().install_default();
            Some(RustlsConfig::from_pem_file(cert, key).await.map_err(StartError::Tls)?)
        }
        _ => None,
    };
    // Several nodes: NATS for what they tell each other, PostgreSQL for who hosts what.
    let node = match &config.nats_url {
        Some(url) => {
            if !store.is_postgres() {
                return Err(crate::cluster::ClusterError::NotPostgres.into());
            }
            let node = crate::cluster::Node::connect(url, config.node_id.clone(), &config.nats_prefix).await?;
            tracing::info!(node = node.id, "joining the other nodes over NATS");
            Some(node)
        }
        None => None,
    };
    let events = match &node {
        Some(node) => Events::on(crate::cluster::bus::NatsBus::start(node).await?),
        None => Events::default(),
    };
    let cx = Context {
        store: store.clone(),
        clock: config.clock.clone(),
        events,
        outbox: Outbox::new(match &config.smtp_url {
            Some(url) => Some(Mailer::new(url, &config.smtp_from)?),
            None => None,
        }),
        settings: Arc::new(settings),
        escalation: Arc::new(EscalationSettings {
            rules: config.rules(),
            lead_days: config.lead_days(),
            interval: (config.engine_interval_secs > 0).then(|| Duration::from_secs(config.engine_interval_secs)),
        }),
        keys: Arc::new(Keys::from_secret(&secret)),
        metrics: Arc::new(crate::metrics::Metrics::default()),
    };
    let sfu_config = SfuConfig {
        media_ip: config.media_ip(),
        port_range: config.media_ports,
        announce_ip: config.public_ip,
        adapt_to_link: config.adapt_to_link,
        ..SfuConfig::default()
    };
    let sfu = match config.media_loop {
        true => Sfu::with_media_loops(sfu_config, usize::from(config.media_loops)).map_err(StartError::MediaLoop)?,
        false => Sfu::new(sfu_config),
    };
    let ice = IceConfig {
        stun: config.stun.clone(),
        turn: config.turn.clone(),
        turn_secret: config.turn_secret.clone(),
        turn_ttl: chrono::Duration::minutes(config.turn_ttl_minutes.max(1)),
        relay_only: config.ice_relay_only,
    };
    let ice = Arc::new(ice);
    if config.test_fault_forward_to_sent_out {
        tracing::warn!(
            "TEST FAULT ON: media keeps flowing to the client while he is sent out; never run this in production"
        );
    }
    let check = crate::signalling::check::NetworkCheck::new(sfu.clone(), ice.clone());
    let stop_writer = CancellationToken::new();
    let (persister, writer) = Persister::spawn(store.clone(), stop_writer.clone());
    let stop_rooms = shutdown.child_token();
    let draining = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let leases = node.as_ref().map(|node| {
        let ttl = Duration::from_secs(config.lease_seconds);
        crate::cluster::lease::Leases::new(store.clone(), node.clone(), ttl, draining.clone())
    });
    let routing: Arc<dyn Routing> = match &leases {
        Some(leases) => leases.clone(),
        None => Arc::new(OneNode),
    };
    let rooms = Rooms::new(
        RoomDeps {
            sfu,
            ice,
            clock: config.clock.clone(),
            persister,
            events: cx.events.clone(),
            grace: std::time::Duration::from_secs(config.room_grace_seconds),
            seat_grace: std::time::Duration::from_secs(config.seat_grace_seconds),
            stop: stop_rooms.clone(),
            fault_forward_to_sent_out: config.test_fault_forward_to_sent_out,
            draining,
            metrics: cx.metrics.clone(),
        },
        store,
        routing,
    );
    let relay = node.as_ref().map(|node| {
        Arc::new(crate::cluster::relay::Carrier::new(node.clone(), cx.settings.ws_ping))
            as Arc<dyn crate::signalling::ws::Relay>
    });
    let state = AppState {
        signalling: Signalling { cx: cx.clone(), rooms, check, relay },
        login_limits: Arc::new(LoginLimits::new(&secret)),
        invite_limiter: Arc::new(Limiter::new(60, chrono::Duration::minutes(1))),
        node: node.clone(),
        cx,
    };
    let cx = &state.cx;
    let mut banner = Vec::new();
    if config.demo {
        demo::seed(cx, config.demo_history).await?;
        if !bound.ip().is_loopback() {
            banner.push("LET OP / WARNING: demo accounts with password `demo` on a non-loopback address".into());
        }
        banner.extend(demo::banner(&cx.settings.public_url, config.demo_history));
    } else {
        let admins = accounts::bootstrap_admins(cx).await?;
        for (email, password) in &admins {
            banner.push(format!("Beheerdersaccount / administrator: {email}"));
            banner.push(format!("Eenmalig wachtwoord / one-time password: {password}"));
        }
        if !admins.is_empty() {
            banner.push("Geef elk aan een andere persoon; wijzig het bij de eerste keer inloggen. / Give each to a different person; change it at the first login.".into());
        }
    }
    let router = http::router(state.clone());
    let stop = shutdown.child_token();
    let mut background = Vec::new();
    if let Some(interval) = cx.escalation.interval {
        background.push(engine::spawn(cx.clone(), interval, stop.clone()));
    }
    if cx.outbox.mails() {
        background.push(mail::spawn_outbox(cx.clone(), stop.clone()));
    }
    let mut leases_keeper = None;
    if let (Some(node), Some(leases)) = (&node, leases) {
        background.push(crate::cluster::relay::accept(node, state.signalling.clone(), stop.clone()).await?);
        background.push(node.answer_alive(stop.clone()).await?);
        let stop_leases = CancellationToken::new();
        leases_keeper = Some((stop_leases.clone(), tokio::spawn(leases.keep(stop_leases))));
    }
    if let Some(address) = config.metrics_bind {
        let exporter =
            http::metrics::Exporter::new(&cx.metrics, state.signalling.rooms.clone(), cx.store.clone(), node.clone());
        let listener = TcpListener::bind(address).await.map_err(|e| StartError::Metrics(address, e))?;
        tracing::info!(address = %listener.local_addr().unwrap_or(address), "metrics at /metrics");
        let metrics = http::metrics::router(Arc::new(exporter));
        let stop = stop.clone();
        background.push(tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, metrics).with_graceful_shutdown(stop.cancelled_owned()).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        }));
    }
    Ok(App {
        listener,
        drain_timeout: Duration::from_secs(config.drain_timeout),
        tls,
        router,
        shutdown,
        state,
        background,
        stop_background: stop.drop_guard(),
        stop_rooms,
        writer,
        stop_writer: stop_writer.drop_guard(),
        leases: leases_keeper,
        banner,
    })
}
