//! How much the link to one subscriber can carry: a send-side bandwidth estimator in the
//! manner of Google Congestion Control (draft-ietf-rmcat-gcc-02, and libwebrtc's and str0m's
//! public implementations), fed by transport-wide congestion control feedback (TWCC).
//!
//! The SFU numbers every packet it sends to a subscriber, remembers when it sent it and how big
//! it was ([`BandwidthEstimator::on_sent`]), and the subscriber's browser reports when each
//! arrived ([`BandwidthEstimator::on_feedback`], with the RTCP feedback read by [`twcc`]). Three
//! signals make the estimate:
//! - [`delay`]: queues building up on the path show as arrival gaps growing faster than send
//!   gaps; a trendline over them says whether the link is over-used, and the rate controller
//!   ([`rate`]) backs off multiplicatively or climbs;
//! - [`loss`]: heavy loss caps the estimate even when the delay signal is unclear;
//! - [`probe`]: short bursts above the current rate prove that more fits, which is how a
//!   subscriber climbs back to a higher layer after a drop (the rate controller will not climb
//!   far past what is actually being sent).
//!
//! Everything here is a plain state machine: time is an input (`now`), nothing blocks, and the
//! tests drive it through a simulated bottleneck on a simulated clock.

mod acked;
mod delay;
mod loss;
mod probe;
mod rate;
#[cfg(test)]
pub(crate) mod sim;
#[cfg(test)]
mod tests;
pub mod twcc;

pub use probe::ProbeCluster;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A bitrate in bits per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Bitrate(pub u64);

impl Bitrate {
    pub const ZERO: Bitrate = Bitrate(0);

    pub const fn kbps(kbps: u64) -> Bitrate {
        Bitrate(kbps * 1000)
    }

    pub fn bps(self) -> u64 {
        self.0
    }

    pub(crate) fn scaled(self, factor: f64) -> Bitrate {
        Bitrate((self.0 as f64 * factor).max(0.0) as u64)
    }

    /// The rate at which `bytes` pass in `over`.
    pub(crate) fn from_bytes(bytes: u64, over: Duration) -> Option<Bitrate> {
        let seconds = over.as_secs_f64();
        (seconds > 0.0).then(|| Bitrate((bytes as f64 * 8.0 / seconds) as u64))
    }

    pub fn saturating_sub(self, other: Bitrate) -> Bitrate {
        Bitrate(self.0.saturating_sub(other.0))
    }
}

impl std::ops::Add for Bitrate {
    type Output = Bitrate;
    fn add(self, other: Bitrate) -> Bitrate {
        Bitrate(self.0.saturating_add(other.0))
    }
}

impl std::fmt::Display for Bitrate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} kbit/s", self.0 / 1000)
    }
}

/// Whether the path is taking more than it can carry, from the delay signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    Normal,
    Over,
    Under,
}

/// A packet sent to the subscriber, numbered with the transport-wide sequence number.
#[derive(Debug, Clone, Copy)]
pub struct SentPacket {
    /// The transport-wide sequence number, unwrapped (it never goes back).
    pub sequence: u64,
    /// Bytes on the wire (RTP header, payload and SRTP tag; what the path carries).
    pub size: u16,
    pub at: Instant,
    /// The probe this packet belongs to, if any.
    pub probe: Option<u32>,
}

/// What the subscriber's feedback says of one packet: when it arrived on the subscriber's
/// clock (any epoch: only differences count), or that it did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketReport {
    pub sequence: u64,
    pub arrived: Option<Duration>,
}

/// What a media packet costs on the wire beyond its RTP bytes: the IPv4 and UDP headers (28)
/// and the SRTP authentication tag (16 with AES-GCM, which browsers choose; 10 with the
/// fallback). An estimate in RTP bytes alone took a 500 kbit/s link for about 60 kbit/s more
/// than it carries at the weak story's packet rate: three Opus streams are 150 small packets a
/// second, for which these 44 bytes are a third. Estimates, the pacer and the layers' rates all
/// count them, so that what fits in the share-out fits on the wire.
pub const WIRE_OVERHEAD: usize = 44;

/// The floor and ceiling of any estimate: below 50 kbit/s not even audio gets through, and
/// nobody in a case conference needs more than this.
const MIN_ESTIMATE: Bitrate = Bitrate::kbps(50);
const MAX_ESTIMATE: Bitrate = Bitrate::kbps(20_000);

/// How long after a cut of the estimate the sender may still send at the rate before it: an SFU
/// follows a cut at the allocation after it (twice a second) and, for a lower layer, at that
/// layer's next keyframe. Loss of packets sent before then does not cut again.
const REACTION: Duration = Duration::from_millis(500);

/// A rate the path delivered this long without a sign of a queue (no over-use, no cut for
/// loss) is one it carries: an estimate below it rises to just under the least it delivered
/// meanwhile. A sender that follows a cut slowly (an SFU switches layers at keyframes; one
/// that keeps the only picture running keeps sending it) shows within seconds whether the cut
/// was the link or a moment's queue: one keyframe's, or a receiver's hiccup. Without this, a cut
/// for such a moment on a 500 kbit/s link took the estimate below the one low layer it carried
/// well, and it climbed back at 8 % a second, a cut every few seconds kept it there, and the
/// picture was paused more than it ran (the `weak` e2e story).
const SUSTAINED: Duration = Duration::from_secs(2);

/// What an estimate takes of a rate the path proved it carries (as GCC takes of a probe's).
const PROVEN_SHARE: f64 = 0.95;

/// How long the least round trip is remembered, the base a queue building up is measured
/// from ([`BandwidthEstimator::queue`]). Kept in two halves, so the least of the older half
/// drops out as the newer one fills: the base is the least of the last 2 to 4 s. A queue that
/// keeps building up always shows above it; one that stopped growing either drains (the link
/// carries what it is sent) or is full and drops (which the loss shows); and a path whose
/// round trip changed for good (a link shaped, a route changed) is its new self within 4 s.
const BASE_RTT_WINDOW: Duration = Duration::from_secs(4);

/// Sent packets kept for matching feedback: two seconds at the most the estimate ever says
/// ([`MAX_ESTIMATE`], 20 Mbit/s of 1,250-byte packets), which is more than any feedback is
/// late. 8,192 packets of 40 bytes were 336 KiB per subscriber, a seventh of the server's
/// memory per participant at 2×10 with simulcast (docs/performance.md).
const HISTORY: usize = 4096;

/// One subscriber's bandwidth estimate.
#[derive(Debug)]
pub struct BandwidthEstimator {
    sent: VecDeque<SentPacket>,
    delay: delay::DelayDetector,
    rate: rate::AimdRate,
    loss: loss::LossCap,
    /// The share of packets lost, for the publishers' audio encoders.
    lost: loss::LossRatio,
    acked: acked::AckedRate,
    prober: probe::Prober,
    rtt: Option<Duration>,
    /// The least round trip lately ([`BASE_RTT_WINDOW`]): what the round trip is above it is
    /// a queue building up on the path.
    base_rtt: BaseRtt,
    estimate: Bitrate,
    /// Until when over-use is the sender's media probe ([`BandwidthEstimator::shield`]).
    shield: Option<Instant>,
    /// Since when the path showed no queue, and the least it delivered since ([`SUSTAINED`]).
    calm: Option<(Instant, Option<Bitrate>)>,
}

impl BandwidthEstimator {
    /// A new estimate starting at `initial` (what a new subscriber is assumed to carry until
    /// feedback says otherwise).
    pub fn new(initial: Bitrate) -> Self {
        let initial = initial.clamp(MIN_ESTIMATE, MAX_ESTIMATE);
        BandwidthEstimator {
            sent: VecDeque::with_capacity(1024),
            delay: delay::DelayDetector::default(),
            rate: rate::AimdRate::new(initial),
            loss: loss::LossCap::default(),
            lost: loss::LossRatio::default(),
            acked: acked::AckedRate::default(),
            prober: probe::Prober::default(),
            rtt: None,
            base_rtt: BaseRtt::default(),
            estimate: initial,
            shield: None,
            calm: None,
        }
    }

    /// The current estimate of what the path carries.
    pub fn estimate(&self) -> Bitrate {
        self.estimate
    }

    /// The delay signal's current hypothesis.
    pub fn usage(&self) -> Usage {
        self.delay.usage()
    }

    /// Over-use until `until` is a probe's doing that the sender runs with media (a layer it
    /// tries) rather than padding: the estimate holds meanwhile, and the sender judges the probe.
    pub fn shield(&mut self, until: Instant) {
        self.shield = Some(until);
    }

    /// The sender's media probe passed: what the path delivers now is proven, and the estimate
    /// (with the loss cap) rises to just under it if it is below.
    pub fn accept_delivered(&mut self, now: Instant) {
        let Some(delivered) = self.acked.rate() else { return };
        let (raised, _) = self.take_as_proven(delivered, now);
        self.estimate =
            self.estimate.max(raised.min(self.loss.cap().unwrap_or(MAX_ESTIMATE))).clamp(MIN_ESTIMATE, MAX_ESTIMATE);
    }

    /// The path proved it carries `delivered`: the delay-based rate rises to just under it
    /// ([`PROVEN_SHARE`]), and a loss cap below that to that, not to the delay-based rate,
    /// which may be far above what was proven. Returns the delay-based rate and what was proven.
    fn take_as_proven(&mut self, delivered: Bitrate, now: Instant) -> (Bitrate, Bitrate) {
        let raised = self.rate.raise_to(delivered, now);
        let proven = delivered.scaled(PROVEN_SHARE);
        self.loss.lift_to(proven);
        (raised, proven)
    }

    /// Follows what the path keeps delivering ([`SUSTAINED`]): the delay-based rate and the
    /// loss cap, raised to just under the least delivered over a calm stretch that long.
    fn sustained(
        &mut self,
        acked: Option<Bitrate>,
        delay_based: Bitrate,
        capped: Bitrate,
        now: Instant,
    ) -> (Bitrate, Bitrate) {
        // Over-use breaks the stretch even while shielded: a trial's keyframe is judged by the
        // allocation, but what was delivered meanwhile proves nothing.
        let queue = self.delay.usage() == Usage::Over;
        let cut = [self.rate.last_decrease(), self.loss.last_decrease()]
            .into_iter()
            .flatten()
            .any(|at| self.calm.is_none_or(|(since, _)| at > since));
        if queue || cut {
            self.calm = Some((now, None)).filter(|_| !queue);
            return (delay_based, capped);
        }
        let (since, least) = self.calm.get_or_insert((now, None));
        if let Some(acked) = acked {
            *least = Some(least.map_or(acked, |l| l.min(acked)));
        }
        let (Some(least), true) = (*least, now.saturating_duration_since(*since) >= SUSTAINED) else {
            return (delay_based, capped);
        };
        self.calm = Some((now, None));
        if least.scaled(PROVEN_SHARE) <= delay_based.min(capped) {
            return (delay_based, capped);
        }
        let (raised, proven) = self.take_as_proven(least, now);
        tracing::debug!(delivered = %least, estimate = %raised.min(capped.max(proven)), "the path kept delivering more than the estimate: raised to it");
        (raised.max(delay_based), capped.max(proven))
    }

    /// The share of packets the path lost over the last second or so, every packet counted
    /// (also those sent before a cut, which the loss cap leaves out).
    pub fn loss(&self) -> f64 {
        self.lost.get()
    }

    /// The round trip as the feedback shows it (send → feedback back), once known.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// How much longer the round trip is now than its least of the last few seconds
    /// ([`BASE_RTT_WINDOW`]): a queue building up on the path, once the round trip is known.
    pub fn queue(&self) -> Option<Duration> {
        Some(self.rtt?.saturating_sub(self.base_rtt.get()?))
    }

    /// Records a packet as it is sent. Sequence numbers must increase by one per packet.
    pub fn on_sent(&mut self, packet: SentPacket) {
        if let Some(last) = self.sent.back()
            && packet.sequence != last.sequence + 1
        {
            // A gap in our own numbering: start over rather than match reports wrongly.
            self.sent.clear();
        }
        if self.sent.len() == HISTORY {
            self.sent.pop_front();
        }
        self.sent.push_back(packet);
        self.prober.on_sent(&packet);
    }

    fn lookup(&self, sequence: u64) -> Option<&SentPacket> {
        let first = self.sent.front()?.sequence;
        let index = usize::try_from(sequence.checked_sub(first)?).ok()?;
        self.sent.get(index)
    }

    /// Takes one feedback report (its packets in sequence order) received at `now`.
    pub fn on_feedback(&mut self, reports: &[PacketReport], now: Instant) {
        let (mut lost, mut total, mut reported, mut missing, mut newest_sent) =
            (0u32, 0u32, 0u32, 0u32, None::<Instant>);
        // The loss of packets sent before the last cut took effect speaks of the rate before it.
        let judged_from = self.rate.last_decrease().max(self.loss.last_decrease()).map(|cut| cut + REACTION);
        for report in reports {
            let Some(sent) = self.lookup(report.sequence).copied() else { continue };
            reported += 1;
            let judged = judged_from.is_none_or(|from| sent.at >= from);
            total += u32::from(judged);
            match report.arrived {
                None => {
                    missing += 1;
                    lost += u32::from(judged);
                    self.prober.on_lost(&sent);
                }
                Some(arrived) => {
                    newest_sent = Some(newest_sent.map_or(sent.at, |n| n.max(sent.at)));
                    self.acked.on_arrival(arrived, sent.size);
                    self.delay.on_arrival(sent.at, arrived, now);
                    self.prober.on_arrival(&sent, arrived);
                }
            }
        }
        if reported == 0 {
            return;
        }
        self.lost.update(missing, reported, now);
        if let Some(sent_at) = newest_sent {
            let sample = now.saturating_duration_since(sent_at);
            let rtt = self.rtt.map_or(sample, |rtt| (rtt * 7 + sample) / 8);
            self.rtt = Some(rtt);
            self.base_rtt.update(rtt, now);
        }
        let rtt = self.rtt.unwrap_or(Duration::from_millis(100));
        let acked = self.acked.rate();
        let mut usage = self.delay.usage();
        if usage == Usage::Over && (self.prober.shields(now) || self.shield.is_some_and(|until| now < until)) {
            // The probe's own queue: the probe fails (below), the estimate holds.
            usage = Usage::Under;
        }
        let mut delay_based = self.rate.update(usage, acked, rtt, now);
        let mut ceiling = self.estimate.max(acked.map_or(MAX_ESTIMATE, rate::delivered_ceiling));
        match self.prober.take_result(now) {
            Some(probe::Found::Carries(proved)) => {
                delay_based = self.rate.raise_to(proved, now);
                ceiling = ceiling.max(delay_based);
            }
            Some(probe::Found::Saturated(capacity)) => delay_based = self.rate.set(capacity, now),
            None => {}
        }
        let capped = self.loss.update(lost, total, delay_based, acked, usage == Usage::Over, rtt, now);
        let (delay_based, capped) = self.sustained(acked, delay_based, capped, now);
        // No climb far above what is delivered without a probe, whichever signal lets go: when
        // the loss cap lifts while the subscriber receives little, the delay-based rate behind
        // it is stale.
        let estimate = delay_based.min(capped).min(ceiling);
        self.estimate = estimate.clamp(MIN_ESTIMATE, MAX_ESTIMATE);
        tracing::trace!(lost, total, ?usage, ?acked, %delay_based, %capped, %ceiling, estimate = %self.estimate, rtt = ?self.rtt, "feedback");
        if self.delay.usage() == Usage::Over {
            self.prober.on_overuse(now);
        }
    }

    /// A probe to send now, when `wanted` (what the subscriber's allocation would use if it
    /// could) is above the estimate and the path has been calm for a while. The caller sends
    /// padding, marked with the cluster's id, so that everything sent during the cluster adds up
    /// to its target rate.
    pub fn probe(&mut self, wanted: Bitrate, now: Instant) -> Option<ProbeCluster> {
        if wanted <= self.estimate
            || self.delay.usage() != Usage::Normal
            || !self.rate.calm_since(now, Duration::from_secs(1))
        {
            return None;
        }
        self.prober.start(wanted.min(MAX_ESTIMATE), self.estimate, now)
    }
}

/// The least of a value over the last [`BASE_RTT_WINDOW`] or a little more: the least of the
/// half window being filled and of the one before it.
#[derive(Debug, Default)]
struct BaseRtt {
    current: Option<(Instant, Duration)>,
    previous: Option<Duration>,
}

impl BaseRtt {
    fn update(&mut self, rtt: Duration, now: Instant) {
        match &mut self.current {
            Some((since, least)) if now.saturating_duration_since(*since) < BASE_RTT_WINDOW / 2 => {
                *least = (*least).min(rtt);
            }
            current => {
                self.previous = current.map(|(_, least)| least);
                *current = Some((now, rtt));
            }
        }
    }

    fn get(&self) -> Option<Duration> {
        let current = self.current.map(|(_, least)| least);
        current.into_iter().chain(self.previous).min()
    }
}
