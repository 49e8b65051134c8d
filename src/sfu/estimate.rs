//! Each subscriber's bandwidth estimate, inside the media library's interceptor chain.
//!
//! The server's side of every connection numbers each RTP packet it sends with a
//! transport-wide sequence number (the library's TWCC sender) and keeps a send history (the
//! library's congestion-control interceptor, which sits wire-most, so it records the moment a
//! packet leaves). The browser reports when each packet arrived (TWCC feedback), the
//! interceptor matches the reports to the history, and hands them to [`SubscriberEstimate`]:
//! Ketentafel's own estimator ([`super::congestion`]) behind the library's estimator trait.
//! The estimate is published to the participant's media task through an atomic
//! ([`EstimateHandle`]), which the layer allocation reads twice a second.

use super::congestion::{BandwidthEstimator, Bitrate, SentPacket, Usage};
use rtc::interceptor::PacketReport;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// What a new subscriber is assumed to carry from its first feedback on, until the feedback
/// says otherwise: everyone's top layer in a conference of three, and down within a second or
/// two on a link that cannot take it.
const INITIAL: Bitrate = Bitrate::kbps(3_000);

/// The latest estimate of one connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct EstimateHandle(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    /// bit/s; 0 until the first feedback arrives.
    bps: AtomicU64,
    /// Feedback reports after which the path read as over-used.
    overuses: AtomicU64,
}

impl EstimateHandle {
    /// The estimate, or `None` while no feedback arrived (a peer that sends none is not held
    /// back by a guess).
    pub fn get(&self) -> Option<Bitrate> {
        match self.0.bps.load(Ordering::Relaxed) {
            0 => None,
            bps => Some(Bitrate(bps)),
        }
    }

    /// How many feedback reports so far showed a queue building up on the path: a change
    /// means the link was over-used since the last look.
    pub fn overuses(&self) -> u64 {
        self.0.overuses.load(Ordering::Relaxed)
    }
}

/// The estimator the library's congestion-control interceptor drives.
pub(crate) struct SubscriberEstimate {
    estimator: BandwidthEstimator,
    handle: EstimateHandle,
}

impl SubscriberEstimate {
    pub fn new() -> (SubscriberEstimate, EstimateHandle) {
        let handle = EstimateHandle::default();
        (SubscriberEstimate { estimator: BandwidthEstimator::new(INITIAL), handle: handle.clone() }, handle)
    }
}

impl rtc::interceptor::BandwidthEstimator for SubscriberEstimate {
    fn on_reports(&mut self, now: Instant, reports: &[PacketReport]) {
        if reports.is_empty() {
            return;
        }
        let acknowledged = reports.iter().map(|r| {
            let sent = SentPacket {
                sequence: r.id,
                size: u16::try_from(r.size).unwrap_or(u16::MAX),
                at: r.departure,
                probe: None,
            };
            (sent, r.arrival.filter(|_| r.arrived))
        });
        self.estimator.on_acknowledged(acknowledged, now);
        let estimate = self.estimator.estimate();
        if self.estimator.usage() == Usage::Over {
            self.handle.0.overuses.fetch_add(1, Ordering::Relaxed);
        }
        if self.handle.0.bps.swap(estimate.bps().max(1), Ordering::Relaxed) == 0 {
            tracing::debug!(%estimate, reports = reports.len(), "first transport-wide feedback");
        }
    }

    fn target_bitrate(&self) -> f64 {
        self.estimator.estimate().bps() as f64
    }
}
