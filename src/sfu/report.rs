//! Tells a publisher's audio encoder what its listeners lose. A browser's Opus encoder adds
//! in-band redundancy (each packet carries a coarser copy of the one before it, which the
//! receiver decodes when that one was lost) only when the receiver reports of its audio show
//! loss, in proportion to it (libwebrtc's `ChannelSend::OnReportBlockDataUpdated` feeds the
//! report's fraction lost to the encoder). The server receives the audio; its own reports
//! speak of the publisher's uplink alone, so a listener behind a lossy link heard every loss as
//! a gap. This interceptor, on the server's side of a publishing connection, raises the
//! fraction lost of the reports about each audio stream to the worst of what the listeners'
//! links lose ([`ListenerLoss`], which the listeners' media tasks keep up to date). The
//! cumulative counts stay the server's own, so the publisher's bandwidth estimate, which
//! reads those, is not misled. mediasoup does the same (a producer's receiver reports carry
//! its consumers' worst fraction lost).

use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A listener's loss counts this long after it was last told (a listener that left, or whose
/// link no longer reports, stops counting).
const FRESH: Duration = Duration::from_secs(5);

/// What the listeners of one publisher's audio lose: each listener's share (as a report's
/// fraction lost, in 256ths) and when it was told.
#[derive(Debug, Default)]
pub(crate) struct ListenerLoss {
    listeners: Mutex<Vec<(Uuid, u8, Instant)>>,
}

impl ListenerLoss {
    /// `listener`'s link loses `fraction` (in 256ths) as of `now`.
    pub fn note(&self, listener: Uuid, fraction: u8, now: Instant) {
        let mut listeners = self.listeners.lock().expect("the listener loss lock is never held across a panic");
        listeners.retain(|&(who, _, _)| who != listener);
        listeners.push((listener, fraction, now));
    }

    /// The worst a listener loses, of those told lately (in 256ths).
    pub fn worst(&self, now: Instant) -> u8 {
        let mut listeners = self.listeners.lock().expect("the listener loss lock is never held across a panic");
        listeners.retain(|&(_, _, at)| now.saturating_duration_since(at) < FRESH);
        listeners.iter().map(|&(_, fraction, _)| fraction).max().unwrap_or(0)
    }
}

/// A share lost (0–1) as a report's fraction lost (256ths, at most 255).
pub(crate) fn fraction_of(share: f64) -> u8 {
    (share.clamp(0.0, 1.0) * 256.0).min(255.0) as u8
}

/// The interceptor; a pass-through queue in both directions that rewrites outgoing receiver
/// reports about audio.
pub(crate) struct ListenerLossReports {
    loss: Arc<ListenerLoss>,
    /// The SSRCs of the audio the connection receives.
    audio: HashSet<u32>,
    reads: VecDeque<TaggedPacket>,
    writes: VecDeque<TaggedPacket>,
}

impl ListenerLossReports {
    pub fn new(loss: Arc<ListenerLoss>) -> Self {
        ListenerLossReports { loss, audio: HashSet::new(), reads: VecDeque::new(), writes: VecDeque::new() }
    }

    /// `report` with each audio block's fraction lost raised to `worst`, if any was lower.
    fn raised(&self, report: &ReceiverReport, worst: u8) -> Option<ReceiverReport> {
        let low =
            |b: &rtc::rtcp::reception_report::ReceptionReport| self.audio.contains(&b.ssrc) && b.fraction_lost < worst;
        if !report.reports.iter().any(low) {
            return None;
        }
        let mut report = report.clone();
        for block in report.reports.iter_mut().filter(|b| self.audio.contains(&b.ssrc)) {
            block.fraction_lost = block.fraction_lost.max(worst);
        }
        Some(report)
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for ListenerLossReports {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, message: TaggedPacket) -> Result<(), Error> {
        self.reads.push_back(message);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.reads.pop_front()
    }

    fn handle_write(&mut self, mut message: TaggedPacket) -> Result<(), Error> {
        // Most of what leaves here is other feedback (transport-wide, NACKs): the listeners'
        // loss is looked up only for a receiver report about audio.
        if !self.audio.is_empty()
            && let Packet::Rtcp(packets) = &mut message.message.packet
        {
            for packet in packets.iter_mut() {
                let Some(report) = packet.as_any().downcast_ref::<ReceiverReport>() else { continue };
                if let Some(raised) = self.raised(report, self.loss.worst(message.now)) {
                    *packet = Box::new(raised);
                }
            }
        }
        self.writes.push_back(message);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.writes.pop_front()
    }
}

impl Interceptor for ListenerLossReports {
    fn bind_local_stream(&mut self, _: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _: &StreamInfo) {}

    fn bind_remote_stream(&mut self, info: &StreamInfo) {
        if info.mime_type.to_ascii_lowercase().starts_with("audio/") {
            self.audio.insert(info.ssrc);
        }
    }

    fn unbind_remote_stream(&mut self, info: &StreamInfo) {
        self.audio.remove(&info.ssrc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::interceptor::AttributedPacket;
    use rtc::rtcp::reception_report::ReceptionReport;
    use rtc::shared::{TransportContext, TransportMessage};

    fn stream(ssrc: u32, mime: &str) -> StreamInfo {
        StreamInfo { ssrc, mime_type: mime.to_owned(), ..Default::default() }
    }

    fn report(now: Instant, blocks: &[(u32, u8)]) -> TaggedPacket {
        let reports = blocks
            .iter()
            .map(|&(ssrc, fraction_lost)| ReceptionReport { ssrc, fraction_lost, total_lost: 7, ..Default::default() })
            .collect();
        let rr = ReceiverReport { ssrc: 1, reports, ..Default::default() };
        TransportMessage {
            now,
            transport: TransportContext::default(),
            message: AttributedPacket::new(Packet::Rtcp(vec![Box::new(rr)])),
        }
    }

    fn blocks(message: TaggedPacket) -> Vec<(u32, u8, u32)> {
        let Packet::Rtcp(packets) = message.message.packet else { panic!("not RTCP") };
        let rr = packets[0].as_any().downcast_ref::<ReceiverReport>().expect("a receiver report");
        rr.reports.iter().map(|b| (b.ssrc, b.fraction_lost, b.total_lost)).collect()
    }

    #[test]
    fn the_audio_blocks_report_the_worst_listener_and_the_video_blocks_stay_the_servers() {
        let now = Instant::now();
        let loss = Arc::new(ListenerLoss::default());
        let mut reports = ListenerLossReports::new(loss.clone());
        reports.bind_remote_stream(&stream(10, "audio/opus"));
        reports.bind_remote_stream(&stream(20, "video/VP8"));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        loss.note(a, 3, now);
        loss.note(b, fraction_of(0.05), now);
        loss.note(a, 1, now);

        reports.handle_write(report(now, &[(10, 2), (20, 0)])).unwrap();
        assert_eq!(blocks(reports.poll_write().unwrap()), vec![(10, 12, 7), (20, 0, 7)]);

        // The server's own loss, when higher, stands.
        reports.handle_write(report(now, &[(10, 40)])).unwrap();
        assert_eq!(blocks(reports.poll_write().unwrap()), vec![(10, 40, 7)]);

        // A listener not heard of for a while no longer counts; the other still does.
        let later = now + FRESH;
        loss.note(a, 2, later);
        reports.handle_write(report(later, &[(10, 0)])).unwrap();
        assert_eq!(blocks(reports.poll_write().unwrap()), vec![(10, 2, 7)]);
        reports.handle_write(report(later + FRESH, &[(10, 0)])).unwrap();
        assert_eq!(blocks(reports.poll_write().unwrap()), vec![(10, 0, 7)]);
    }

    #[test]
    fn a_stream_unbound_is_no_longer_rewritten() {
        let now = Instant::now();
        let loss = Arc::new(ListenerLoss::default());
        let mut reports = ListenerLossReports::new(loss.clone());
        reports.bind_remote_stream(&stream(10, "audio/opus"));
        loss.note(Uuid::new_v4(), 30, now);
        reports.unbind_remote_stream(&stream(10, "audio/opus"));
        reports.handle_write(report(now, &[(10, 0)])).unwrap();
        assert_eq!(blocks(reports.poll_write().unwrap()), vec![(10, 0, 7)]);
    }

    #[test]
    fn a_share_becomes_a_reports_fraction() {
        assert_eq!(fraction_of(0.0), 0);
        assert_eq!(fraction_of(0.05), 12);
        assert_eq!(fraction_of(1.0), 255);
        assert_eq!(fraction_of(-1.0), 0);
    }
}
