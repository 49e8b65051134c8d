//! Prometheus metrics of one node that the service updates as it goes: counts and timings,
//! never who. No label carries a person, a case or a conference: routes are their templates
//! (`/api/cases/{id}`), refusals their error code. `http::metrics` adds what is read at each
//! scrape and serves them on a listener of its own (`--metrics-bind`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

/// One API request's labels.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route template, never the path (invite tokens and ids travel in paths).
    pub route: String,
    pub status: u16,
}

/// Why a login was refused, by error code.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    pub code: String,
}

/// How a run of the escalation engine ended.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RunLabels {
    pub outcome: String,
}

/// The metrics this node updates as it goes; the rest is read at each scrape.
#[derive(Debug)]
pub struct Metrics {
    pub requests: Family<RequestLabels, Histogram>,
    /// Seconds from a WebSocket's `join` to the room's answer (welcome, or a refusal).
    pub joins: Histogram,
    pub login_refusals: Family<RefusalLabels, Counter>,
    pub escalation_runs: Family<RunLabels, Counter>,
    /// Participants connected to a room on this node (lobby and sent out included).
    pub participants: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            // 1 ms … 16 s.
            requests: Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 15))),
            joins: Histogram::new(exponential_buckets(0.001, 2.0, 15)),
            login_refusals: Family::default(),
            escalation_runs: Family::default(),
            participants: Gauge::default(),
        }
    }
}
