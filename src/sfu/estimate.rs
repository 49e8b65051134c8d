//! Each subscriber's bandwidth estimate, inside the media library's interceptor chain.
//!
//! The server's side of every connection numbers each RTP packet it sends with a
//! transport-wide sequence number (the library's TWCC sender). [`SubscriberLink`], the
//! wire-most interceptor, records each packet as it leaves (its number, size and the moment)
//! and reads the browser's TWCC feedback, which says when each packet arrived or that it did
//! not; both go to Ketentafel's own estimator ([`super::congestion`]). Only what a feedback
//! names counts: a feedback that was itself lost on the way says nothing (the library's own
//! congestion-control interceptor counts every packet it never heard of as lost, which on a
//! link that loses 5 % each way doubled the loss and starved the subscriber). The estimate is
//! published to the participant's media task through atomics ([`EstimateHandle`]), which the
//! layer allocation reads twice a second.

use super::congestion::twcc::{self, unwrap_near};
use super::congestion::{BandwidthEstimator, Bitrate, PacketReport, SentPacket, Usage, WIRE_OVERHEAD};
use super::report::fraction_of;
use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::transport_feedbacks::transport_layer_cc::TransportLayerCc;
use rtc::rtp::extension::transport_cc_extension::TransportCcExtension;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use rtc::shared::marshal::{MarshalSize, Unmarshal};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Instant;

/// What a new subscriber is assumed to carry from its first feedback on, until the feedback
/// says otherwise: everyone's top layer in a conference of three, and down within a second or
/// two on a link that cannot take it.
const INITIAL: Bitrate = Bitrate::kbps(3_000);

/// An estimate below this share of the last one told is told at once ([`EstimateHandle::fell`]).
const FELL: f64 = 0.8;

/// The latest estimate of one connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct EstimateHandle(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    /// bit/s; 0 until the first feedback arrives.
    bps: AtomicU64,
    /// Feedback reports after which the path read as over-used.
    overuses: AtomicU64,
    /// bit/s the allocation shares out (the pacer's measure); 0 while it does not follow the
    /// link.
    allowance: AtomicU64,
    /// Until when over-use is a keyframe's own doing; none for never.
    shield_until: AtomicInstant,
    /// Set when the allocation's trial passed: the next feedback takes what the link delivered
    /// as proven.
    proven: std::sync::atomic::AtomicBool,
    /// Told when the estimate falls by a fifth or more: the allocation follows at once instead
    /// of at its next round, half a second on, while a link that just got worse overflows.
    fell: tokio::sync::Notify,
    /// The round trip the feedback shows, in microseconds; 0 until known.
    rtt_micros: AtomicU64,
    /// The share of packets the link lost lately, as a report's fraction lost (256ths).
    loss: AtomicU8,
    /// How much longer the round trip is than its least of the last few seconds, in
    /// microseconds: a queue building up on the path (0 also while unknown).
    queue_micros: AtomicU64,
}

/// A duration as kept in an atomic: whole microseconds.
fn micros(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// A rate kept in an atomic, 0 standing for none.
fn rate_of(bps: &AtomicU64) -> Option<Bitrate> {
    match bps.load(Ordering::Relaxed) {
        0 => None,
        bps => Some(Bitrate(bps)),
    }
}

/// An instant kept in an atomic (atomics hold numbers, not instants): nanoseconds after the
/// process's first use of one, 0 standing for none.
#[derive(Debug, Default)]
pub(crate) struct AtomicInstant(AtomicU64);

impl AtomicInstant {
    fn epoch() -> Instant {
        static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *EPOCH.get_or_init(Instant::now)
    }

    fn nanos(at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(Self::epoch()).as_nanos()).unwrap_or(u64::MAX).max(1)
    }

    pub(crate) fn store(&self, at: Instant) {
        self.0.store(Self::nanos(at), Ordering::Relaxed);
    }

    /// Keeps `at` unless a later instant is kept already.
    pub(crate) fn store_max(&self, at: Instant) {
        self.0.fetch_max(Self::nanos(at), Ordering::Relaxed);
    }

    pub(crate) fn load(&self) -> Option<Instant> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(Self::epoch() + std::time::Duration::from_nanos(nanos)),
        }
    }
}

impl EstimateHandle {
    /// The estimate, or `None` while no feedback arrived (a peer that sends none is not held
    /// back by a guess).
    pub fn get(&self) -> Option<Bitrate> {
        rate_of(&self.0.bps)
    }

    /// The round trip the feedback shows (send → feedback back), once known.
    pub fn rtt(&self) -> Option<std::time::Duration> {
        match self.0.rtt_micros.load(Ordering::Relaxed) {
            0 => None,
            micros => Some(std::time::Duration::from_micros(micros)),
        }
    }

    /// The share of packets the link lost lately, as a report's fraction lost (256ths).
    pub fn loss(&self) -> u8 {
        self.0.loss.load(Ordering::Relaxed)
    }

    /// How much longer the round trip is now than its least of the last few seconds: a queue
    /// building up on the path (zero while unknown).
    pub fn queue(&self) -> std::time::Duration {
        std::time::Duration::from_micros(self.0.queue_micros.load(Ordering::Relaxed))
    }

    /// How many feedback reports so far showed a queue building up on the path: a change
    /// means the link was over-used since the last look.
    pub fn overuses(&self) -> u64 {
        self.0.overuses.load(Ordering::Relaxed)
    }

    /// What the layer allocation shares out over the subscriber's media, when it follows the
    /// link: the pacer ([`super::pacer`]) releases video at a multiple of it.
    pub fn set_allowance(&self, allowance: Option<Bitrate>) {
        self.0.allowance.store(allowance.map_or(0, |a| a.bps().max(1)), Ordering::Relaxed);
    }

    /// The allocation's trial (one more layer, media as the probe) ran without over-use: what
    /// the link delivers meanwhile is proven, as a padding probe's result would be.
    pub fn prove(&self) {
        self.0.proven.store(true, Ordering::Relaxed);
    }

    /// Returns when the estimate fell by a fifth or more since the last time this returned.
    pub async fn fell(&self) {
        self.0.fell.notified().await;
    }

    /// Over-use until `until` is a keyframe's doing (a trial's layer starts with one; the
    /// pacer lets others pass): its burst queues on a link near its limit however well the
    /// video fits once it runs. The estimate holds meanwhile, as it does for its own probes. A
    /// shield already set for longer stays.
    pub fn shield(&self, until: Instant) {
        self.0.shield_until.store_max(until);
    }

    pub(super) fn shielded_until(&self) -> Option<Instant> {
        self.0.shield_until.load()
    }

    pub fn allowance(&self) -> Option<Bitrate> {
        rate_of(&self.0.allowance)
    }
}

/// The interceptor: a send record and the feedback, into one estimator per connection.
pub(crate) struct SubscriberLink {
    estimator: BandwidthEstimator,
    handle: EstimateHandle,
    /// The transport-cc extension id of each local stream that negotiated it.
    streams: HashMap<u32, u8>,
    /// The 64-bit number of the newest packet sent; `None` before the first.
    last_sent: Option<u64>,
    /// The estimate the allocation was last told of a fall from (the highest since).
    told: Option<Bitrate>,
    reports: Vec<PacketReport>,
    reads: VecDeque<TaggedPacket>,
    writes: VecDeque<TaggedPacket>,
}

impl SubscriberLink {
    /// A link whose estimate starts at `initial`, or at [`INITIAL`].
    pub fn new(initial: Option<Bitrate>) -> (SubscriberLink, EstimateHandle) {
        let handle = EstimateHandle::default();
        let link = SubscriberLink {
            estimator: BandwidthEstimator::new(initial.unwrap_or(INITIAL)),
            handle: handle.clone(),
            streams: HashMap::new(),
            last_sent: None,
            told: None,
            reports: Vec::new(),
            reads: VecDeque::new(),
            writes: VecDeque::new(),
        };
        (link, handle)
    }

    fn sent(&mut self, packet: &rtc::rtp::Packet, now: Instant) {
        let Some(&id) = self.streams.get(&packet.header.ssrc) else { return };
        let Some(mut raw) = packet.header.get_extension(id) else { return };
        let Ok(extension) = TransportCcExtension::unmarshal(&mut raw) else { return };
        let sequence = match self.last_sent {
            None => u64::from(extension.transport_sequence),
            Some(last) => unwrap_near(extension.transport_sequence, last),
        };
        self.last_sent = Some(sequence);
        let size = u16::try_from(packet.marshal_size() + WIRE_OVERHEAD).unwrap_or(u16::MAX);
        self.estimator.on_sent(SentPacket { sequence, size, at: now, probe: None });
    }

    fn feedback(&mut self, feedback: &TransportLayerCc, now: Instant) {
        let Some(last_sent) = self.last_sent else { return };
        self.reports.clear();
        twcc::reports(feedback, last_sent, &mut self.reports);
        if self.handle.0.proven.swap(false, Ordering::Relaxed) {
            self.estimator.accept_delivered(now);
        }
        let shield = self.handle.shielded_until();
        if let Some(until) = shield {
            self.estimator.shield(until);
        }
        self.estimator.on_feedback(&self.reports, now);
        if let Some(rtt) = self.estimator.rtt() {
            self.handle.0.rtt_micros.store(micros(rtt).max(1), Ordering::Relaxed);
        }
        self.handle.0.loss.store(fraction_of(self.estimator.loss()), Ordering::Relaxed);
        let queue = self.estimator.queue().unwrap_or_default();
        self.handle.0.queue_micros.store(micros(queue), Ordering::Relaxed);
        let estimate = self.estimator.estimate();
        // Over-use while shielded is a keyframe's (a trial's, or one the pacer let pass): the
        // allocation judges a trial by what comes after.
        if self.estimator.usage() == Usage::Over && shield.is_none_or(|until| now >= until) {
            self.handle.0.overuses.fetch_add(1, Ordering::Relaxed);
        }
        if self.handle.0.bps.swap(estimate.bps().max(1), Ordering::Relaxed) == 0 {
            tracing::debug!(%estimate, "first transport-wide feedback");
        }
        match self.told {
            Some(told) if estimate.bps() as f64 > told.bps() as f64 * FELL => {
                self.told = Some(told.max(estimate));
            }
            _ => {
                self.told = Some(estimate);
                self.handle.0.fell.notify_one();
            }
        }
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for SubscriberLink {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, message: TaggedPacket) -> Result<(), Error> {
        if let Packet::Rtcp(packets) = &message.message.packet {
            for packet in packets {
                if let Some(feedback) = packet.as_any().downcast_ref::<TransportLayerCc>() {
                    self.feedback(feedback, message.now);
                }
            }
        }
        self.reads.push_back(message);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.reads.pop_front()
    }

    fn handle_write(&mut self, message: TaggedPacket) -> Result<(), Error> {
        if let Packet::Rtp(packet) = &message.message.packet {
            self.sent(packet, message.now);
        }
        self.writes.push_back(message);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.writes.pop_front()
    }
}

impl Interceptor for SubscriberLink {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if let Some(ext) = info.rtp_header_extensions.iter().find(|e| e.uri == rtc::sdp::extmap::TRANSPORT_CC_URI)
            && ext.id != 0
        {
            self.streams.insert(info.ssrc, ext.id as u8);
        }
    }

    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.streams.remove(&info.ssrc);
    }

    fn bind_remote_stream(&mut self, _: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _: &StreamInfo) {}
}
