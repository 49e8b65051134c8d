//! The metrics listener (`--metrics-bind`): the node's own metrics (`crate::metrics`) and what
//! is read at each scrape (conferences, media connections and packets, the database pool). The
//! operator keeps this listener inside the cluster; the public port has no `/metrics`.

use crate::cluster::Node;
use crate::metrics::{Metrics, RequestLabels};
use crate::signalling::rooms::Rooms;
use crate::storage::Store;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The registry a scrape encodes: our metrics and what is read live.
pub struct Exporter {
    registry: Mutex<Registry>,
}

impl Exporter {
    pub fn new(metrics: &Arc<Metrics>, rooms: Rooms, store: Store, node: Option<Node>) -> Self {
        let mut registry = Registry::with_prefix("ketentafel");
        registry.register(
            "api_request_duration_seconds",
            "API and page requests by route template, method and status",
            metrics.requests.clone(),
        );
        registry.register("join_duration_seconds", "From a WebSocket join to the room's answer", metrics.joins.clone());
        registry.register("login_refusals", "Refused logins by error code", metrics.login_refusals.clone());
        registry.register("escalation_engine_runs", "Runs of the escalation engine", metrics.escalation_runs.clone());
        registry.register(
            "participants",
            "Participants connected to a conference on this node",
            metrics.participants.clone(),
        );
        registry.register_collector(Box::new(Live { rooms, store, node }));
        Exporter { registry: Mutex::new(registry) }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().expect("the metrics lock is never held across a panic");
        prometheus_client::encoding::text::encode(&mut out, &registry).expect("writing to a String works");
        out
    }
}

/// Values read at each scrape.
#[derive(Debug)]
struct Live {
    rooms: Rooms,
    store: Store,
    node: Option<Node>,
}

impl Collector for Live {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let media = crate::sfu::media_totals();
        let pool = self.store.pool_state();
        let gauges: [(&str, &str, i64); 6] = [
            ("conferences", "Conferences running on this node", self.rooms.active() as i64),
            ("peer_connections", "Open media connections", crate::sfu::live_peer_connections() as i64),
            (
                "media_loop_connections",
                "Open media connections on the owned media loop (--media-loop)",
                crate::sfu::media_loop_connections() as i64,
            ),
            ("draining", "1 while the node drains (SIGTERM)", i64::from(self.rooms.is_draining())),
            ("db_pool_connections", "Database connections open", i64::from(pool.size)),
            ("db_pool_idle_connections", "Database connections idle", pool.idle as i64),
        ];
        let nats = self.node.as_ref().map(|node| {
            ("nats_connected", "1 while the NATS connection to the other nodes is up", i64::from(node.connected()))
        });
        for (name, help, value) in gauges.into_iter().chain(nats) {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        let counters: [(&str, &str, u64); 4] = [
            ("media_packets_received", "RTP packets received from publishers", media.received),
            ("media_packets_forwarded", "RTP packets forwarded to subscribers", media.forwarded),
            ("media_bytes_forwarded", "RTP payload bytes forwarded to subscribers", media.bytes_forwarded),
            ("media_packets_dropped", "RTP packets a subscriber's connection could not take", media.dropped),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)?;
        }
        Ok(())
    }
}

/// Times every request, labelled by route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map_or("(static)", MatchedPath::as_str).to_owned();
    let response = next.run(request).await;
    let labels = RequestLabels { method, route, status: response.status().as_u16() };
    metrics.requests.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics` on the metrics listener.
pub async fn serve(State(exporter): State<Arc<Exporter>>) -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        exporter.encode(),
    )
}

/// The metrics listener's router.
pub fn router(exporter: Arc<Exporter>) -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(serve)).with_state(exporter)
}
