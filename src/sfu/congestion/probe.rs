//! Probing: proving that the path carries more than is being sent.
//!
//! A subscriber on a lower layer sends less than a higher layer needs, and the rate controller
//! does not climb far above what is delivered — so without probing a subscriber that dropped a
//! layer would never get it back. A probe is a short cluster (100 ms) sent at the rate the
//! subscriber would want: media plus padding, all marked with the cluster's id. If the packets
//! arrive as fast as they left, the path carries that rate, and the estimate jumps to it. If
//! they arrive slower, the path was saturated and the arrival rate is what it carries: the
//! estimate is set just under it, down as well as up (this is how a new subscriber on a thin
//! link is found out within a second, not after the queue has overflowed for a while). A probe
//! that proved nothing more waits longer before the next one: 1, 2, 4, then 8 seconds.
//!
//! A probe that does not fit builds a queue, and the delay signal over-uses. That says the
//! probe's rate does not fit, not that the rate before it did not: while a probe runs and for
//! half a second after (while its queue drains), over-use fails the probe instead of cutting the
//! estimate. Without that shield, every failed probe would cut the estimate to a fraction of a
//! rate the subscriber is held to anyway, and a subscriber on a steady 900 kbit/s link would be
//! pushed down a layer by its own probes.

use super::{Bitrate, SentPacket};
use std::time::{Duration, Instant};

/// A probe to send: between now and `duration` from now, send padding so that everything sent
/// to the subscriber, marked with `id`, adds up to `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeCluster {
    pub id: u32,
    pub target: Bitrate,
    pub duration: Duration,
}

const CLUSTER: Duration = Duration::from_millis(100);
/// A probe goes at most this far above the current estimate: further than that, a failed
/// probe costs the subscriber's media a burst of queueing or loss.
const MAX_STEP: f64 = 2.0;
/// How long after a probe ends its queue may still show in the delay signal.
const SHADOW: Duration = Duration::from_millis(500);
/// How much above what the allocation wants to probe, so the next layer fits with headroom.
const OVERSHOOT: f64 = 1.15;
const MIN_PACKETS: u32 = 5;
const INTERVAL: Duration = Duration::from_secs(1);
const MAX_INTERVAL: Duration = Duration::from_secs(8);
/// Feedback about a cluster that has not come this long after it ended is not coming.
const RESULT_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Default, Clone, Copy)]
struct Span {
    count: u32,
    bytes: u64,
    last_size: u16,
}

#[derive(Debug)]
struct Active {
    cluster: ProbeCluster,
    started: Instant,
    sent: Span,
    first_sent: Option<Instant>,
    last_sent: Option<Instant>,
    arrived: Span,
    /// Packets reported lost: with the arrived ones, when all are accounted for the result is in.
    lost: u32,
    first_arrived: Option<(Duration, u16)>,
    last_arrived: Option<Duration>,
}

#[derive(Debug, Default)]
pub(super) struct Prober {
    next_id: u32,
    active: Option<Active>,
    interval: Option<Duration>,
    next_allowed: Option<Instant>,
    shadow_until: Option<Instant>,
}

impl Prober {
    /// Whether over-use now is (or may be) a probe's doing.
    pub(super) fn shields(&self, now: Instant) -> bool {
        self.active.is_some() || self.shadow_until.is_some_and(|until| now < until)
    }

    pub(super) fn start(&mut self, wanted: Bitrate, estimate: Bitrate, now: Instant) -> Option<ProbeCluster> {
        if self.active.is_some() || self.next_allowed.is_some_and(|at| now < at) {
            return None;
        }
        self.next_id = self.next_id.wrapping_add(1);
        let target = wanted.scaled(OVERSHOOT).min(estimate.scaled(MAX_STEP));
        let cluster = ProbeCluster { id: self.next_id, target, duration: CLUSTER };
        self.active = Some(Active {
            cluster,
            started: now,
            sent: Span::default(),
            first_sent: None,
            last_sent: None,
            arrived: Span::default(),
            lost: 0,
            first_arrived: None,
            last_arrived: None,
        });
        Some(cluster)
    }

    pub(super) fn on_sent(&mut self, packet: &SentPacket) {
        let Some(active) = self.active.as_mut().filter(|a| packet.probe == Some(a.cluster.id)) else { return };
        active.sent.count += 1;
        active.sent.bytes += u64::from(packet.size);
        active.sent.last_size = packet.size;
        active.first_sent.get_or_insert(packet.at);
        active.last_sent = Some(packet.at);
    }

    pub(super) fn on_arrival(&mut self, packet: &SentPacket, arrived: Duration) {
        let Some(active) = self.active.as_mut().filter(|a| packet.probe == Some(a.cluster.id)) else { return };
        active.arrived.count += 1;
        active.arrived.bytes += u64::from(packet.size);
        active.first_arrived.get_or_insert((arrived, packet.size));
        active.last_arrived = Some(active.last_arrived.map_or(arrived, |l| l.max(arrived)));
    }

    pub(super) fn on_lost(&mut self, packet: &SentPacket) {
        if let Some(active) = self.active.as_mut().filter(|a| packet.probe == Some(a.cluster.id)) {
            active.lost += 1;
        }
    }

    /// The delay signal over-used: a running probe has failed.
    pub(super) fn on_overuse(&mut self, now: Instant) {
        if self.active.take().is_some() {
            self.shadow_until = Some(now + SHADOW);
            self.back_off(now);
        }
    }

    /// What a finished probe found, if it found anything.
    pub(super) fn take_result(&mut self, now: Instant) -> Option<Found> {
        let active = self.active.as_ref()?;
        let ended = active.started + active.cluster.duration;
        let complete =
            now >= ended && active.sent.count >= MIN_PACKETS && active.arrived.count + active.lost >= active.sent.count;
        if !complete && now < ended + RESULT_TIMEOUT {
            return None;
        }
        let active = self.active.take()?;
        self.shadow_until = Some(now + SHADOW);
        let found = measure(&active);
        match found {
            Some(Found::Carries(_)) => {
                self.interval = None;
                self.next_allowed = Some(now + INTERVAL);
            }
            Some(Found::Saturated(_)) | None => self.back_off(now),
        }
        found
    }

    fn back_off(&mut self, now: Instant) {
        let interval = self.interval.map_or(INTERVAL * 2, |i| (i * 2).min(MAX_INTERVAL));
        self.interval = Some(interval);
        self.next_allowed = Some(now + interval);
    }
}

/// What a probe found out about the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// It arrived as fast as it left: the path carries at least this.
    Carries(Bitrate),
    /// It arrived slower than it left: the path carries about this, and no more.
    Saturated(Bitrate),
}

/// Arrivals slower than this share of the sending rate mean the probe filled the path.
const UNSATURATED: f64 = 0.9;
/// Aim this far under a saturated path's rate, so as not to over-use it at once.
const UNDER_SATURATION: f64 = 0.95;

/// The lower of a cluster's send and arrival rates, or, if it arrived markedly slower than it
/// left, the arrival rate as the path's capacity (libwebrtc's `ProbeBitrateEstimator` does the
/// same).
fn measure(active: &Active) -> Option<Found> {
    if active.sent.count < MIN_PACKETS || active.arrived.count < MIN_PACKETS {
        return None;
    }
    // Over n packets there are n - 1 gaps: leave out the last packet sent and the first arrived.
    let send_span = active.last_sent?.saturating_duration_since(active.first_sent?);
    let sent = Bitrate::from_bytes(active.sent.bytes - u64::from(active.sent.last_size), send_span)?;
    let (first_arrival, first_size) = active.first_arrived?;
    let arrival_span = active.last_arrived?.saturating_sub(first_arrival);
    let arrived = Bitrate::from_bytes(active.arrived.bytes - u64::from(first_size), arrival_span)?;
    if (arrived.bps() as f64) < UNSATURATED * sent.bps() as f64 {
        Some(Found::Saturated(arrived.scaled(UNDER_SATURATION)))
    } else {
        Some(Found::Carries(sent.min(arrived)))
    }
}
