//! Pacing what the server sends a subscriber whose layers follow its link.
//!
//! A video frame's packets reach the server together and, unpaced, leave together: a keyframe
//! of a few dozen packets crosses a 500 kbit/s link as a burst that queues for a couple of
//! hundred milliseconds. The subscriber's estimate reads that queue as over-use and falls, and
//! a link's buffer that is smaller than the burst drops its tail. So each subscriber's video
//! leaves through a leaky bucket at one and a half times what the allocation shares out (the
//! estimate, or a trial's budget above it; [`EstimateHandle::set_allowance`]): a keyframe is
//! spread over a few frames' time. Audio is never held (it is sent first and small), but it
//! spends from the same bucket, so the video behind it waits. Video that waited half a second
//! is dropped rather than sent late: it is late for the receiver's jitter buffer anyway, and
//! sending it faster to catch up would flood the link the pacing is there to spare (the
//! receiver asks again, or for a keyframe). Retransmissions get a share of their own and leave
//! at once or not at all ([`REPAIR_SHARE`]).
//!
//! A subscriber whose allocation does not follow its link (`--adapt-to-link false`) has no
//! allowance, and nothing is held. The pacer sits on the application's side of the
//! transport-wide numbering ([`Slot::Pacer`](rtc::interceptor::Slot)), so packets are numbered
//! in the order they leave and the estimate's send record sees the moment they left.

use super::congestion::WIRE_OVERHEAD;
use super::estimate::EstimateHandle;
use super::publish::vp8_keyframe_start;
use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use rtc::shared::marshal::MarshalSize;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// The bucket's rate over what the allocation shares out: room for a keyframe's excess without
/// a queue on a link the estimate is just under.
const PACING_FACTOR: f64 = 1.5;
/// What the bucket holds when full: this long at its rate, so a few packets leave back to back.
const BURST: Duration = Duration::from_millis(40);
/// ... and at least one full packet, whatever the rate.
const MIN_BURST_BITS: f64 = 1_500.0 * 8.0;
/// Video that waited this long is dropped.
const MAX_QUEUE: Duration = Duration::from_millis(500);
/// Retransmissions (answers to the receiver's NACKs) may use this share of what the allocation
/// shares out, and leave at once or not at all: after a link got worse, the receiver asks again
/// for everything the overflow lost, and resending all of it kept a 500 kbit/s link full for
/// six seconds with video the subscriber no longer even received (the `weak` e2e story).
const REPAIR_SHARE: f64 = 0.1;
/// What the repair bucket holds when full.
const REPAIR_BURST: Duration = Duration::from_millis(100);
/// A packet asked for again less than a round trip after it was resent is not resent: the
/// answer is still on its way (the receiver asks again each round trip or so until it comes,
/// sooner when its estimate of the round trip is short). As libwebrtc's packet history does.
/// Behind a link that loses 5 %, the repeats took the repair share the first requests needed.
/// Before the round trip is known, this long.
const RESEND_GAP: Duration = Duration::from_millis(100);
/// A packet first sent longer ago than this (or three round trips, if more) is not resent: as
/// libwebrtc's packet history forgets it. The NACK history keeps 256 packets per stream, which
/// on a low layer is many seconds; after a weak link's first overflow the receiver asked for a
/// thousand packets again and again (800 requests a second in one run), and the repair share
/// went to packets of pictures long given up while the running picture's own losses waited.
const REPAIR_MAX_AGE: Duration = Duration::from_secs(1);
/// When each of the last this many packets of a stream was first sent and last resent: as many
/// as the NACK history keeps (`engine::NACK_HISTORY`).
const SENT_RING: usize = super::engine::NACK_HISTORY as usize;
/// A time in [`Record`] that never was.
const NEVER: u32 = u32::MAX;

/// One of a stream's last packets: its sequence number, and when it was first sent and last
/// resent (milliseconds since the pacer's epoch, [`NEVER`] for not).
#[derive(Debug, Clone, Copy)]
struct Record {
    sequence: u16,
    sent: u32,
    resent: u32,
}

/// One outgoing video stream: the newest sequence number sent (an older one is a
/// retransmission), and its last [`SENT_RING`] packets, at `sequence % SENT_RING`.
struct Sent {
    newest: u16,
    records: Box<[Record]>,
}
/// Over-use in the feedback this long after a keyframe left is the keyframe's own queue: a
/// 240p keyframe is ten times a frame, and even paced it queues for a moment on a link the
/// video fits well. Read as the link overflowing, each keyframe (and every layer switch or
/// lost picture on any of the subscriber's videos asks for one) cut the estimate by 15 %, and
/// on a 500 kbit/s link the only picture still sent was paused every few seconds (the `weak`
/// e2e story). As for a trial's keyframe ([`EstimateHandle::shield`]).
const KEYFRAME_SHIELD: Duration = Duration::from_secs(1);
/// ... but at most one keyframe in this interval is shielded, so that keyframes in a row (a
/// publisher asked again and again) cannot hide an overflow for good. Loss still counts.
const KEYFRAME_SHIELD_GAP: Duration = Duration::from_secs(3);

/// The interceptor: a leaky bucket per connection.
pub(crate) struct SubscriberPacer {
    handle: EstimateHandle,
    audio: HashSet<u32>,
    /// Each video stream's newest sequence number and when its last packets were first sent.
    sent: HashMap<u32, Sent>,
    /// What the sending times in [`Sent`] count from.
    epoch: Instant,
    /// Retransmissions of packets first sent too long ago ([`REPAIR_MAX_AGE`]), not sent.
    repairs_stale: u64,
    /// Bits retransmissions may use now.
    repair: f64,
    /// Retransmissions not sent for want of room.
    repairs_dropped: u64,
    /// Requests for a packet resent less than a round trip before, not answered.
    repeats_skipped: u64,
    queue: VecDeque<TaggedPacket>,
    /// Bits that may leave now (negative after audio went past an empty bucket).
    bucket: f64,
    refilled: Option<Instant>,
    /// Video packets dropped for waiting too long.
    dropped: u64,
    /// When the last keyframe that shielded the estimate left.
    keyframe_shielded: Option<Instant>,
    reads: VecDeque<TaggedPacket>,
    writes: VecDeque<TaggedPacket>,
}

impl SubscriberPacer {
    pub fn new(handle: EstimateHandle) -> SubscriberPacer {
        SubscriberPacer {
            handle,
            audio: HashSet::new(),
            sent: HashMap::new(),
            epoch: Instant::now(),
            repairs_stale: 0,
            repair: 0.0,
            repairs_dropped: 0,
            repeats_skipped: 0,
            queue: VecDeque::new(),
            bucket: MIN_BURST_BITS,
            refilled: None,
            dropped: 0,
            keyframe_shielded: None,
            reads: VecDeque::new(),
            writes: VecDeque::new(),
        }
    }

    /// The bucket's rate in bit/s, `None` while nothing is paced.
    fn rate(&self) -> Option<f64> {
        let allowance = self.handle.allowance()?;
        let shared = allowance.max(self.handle.get().unwrap_or_default());
        Some(shared.bps() as f64 * PACING_FACTOR)
    }

    fn refill(&mut self, rate: f64, now: Instant) {
        let elapsed = self.refilled.map_or(Duration::ZERO, |at| now.saturating_duration_since(at));
        self.refilled = Some(now);
        let full = (rate * BURST.as_secs_f64()).max(MIN_BURST_BITS);
        self.bucket = (self.bucket + rate * elapsed.as_secs_f64()).min(full);
        let repair_rate = rate / PACING_FACTOR * REPAIR_SHARE;
        let repair_full = (repair_rate * REPAIR_BURST.as_secs_f64()).max(MIN_BURST_BITS);
        self.repair = (self.repair + repair_rate * elapsed.as_secs_f64()).min(repair_full);
    }

    /// Whether `rtp`, a video packet leaving at `now`, repeats one sent before (a NACK's
    /// answer); notes it as the newest, and when it left, if not.
    fn resent(&mut self, rtp: &rtc::rtp::Packet, now: Instant) -> bool {
        let sequence = rtp.header.sequence_number;
        let sent = self.millis(now);
        let stream = self.sent.entry(rtp.header.ssrc).or_insert_with(|| Sent {
            newest: sequence.wrapping_sub(1),
            records: vec![Record { sequence: 0, sent: NEVER, resent: NEVER }; SENT_RING].into(),
        });
        if (sequence.wrapping_sub(stream.newest) as i16) <= 0 {
            return true;
        }
        stream.newest = sequence;
        stream.records[usize::from(sequence) % SENT_RING] = Record { sequence, sent, resent: NEVER };
        false
    }

    /// `now` as a [`Record`] keeps it.
    fn millis(&self, now: Instant) -> u32 {
        u32::try_from(now.saturating_duration_since(self.epoch).as_millis()).unwrap_or(NEVER - 1)
    }

    /// How long before `now` a [`Record`]'s time was.
    fn since(&self, millis: u32, now: Instant) -> Duration {
        now.saturating_duration_since(self.epoch + Duration::from_millis(u64::from(millis)))
    }

    /// The record of packet `sequence` of `ssrc`, while the stream's last packets hold it.
    fn record(&mut self, ssrc: u32, sequence: u16) -> Option<&mut Record> {
        let record = self.sent.get_mut(&ssrc)?.records.get_mut(usize::from(sequence) % SENT_RING)?;
        (record.sequence == sequence && record.sent != NEVER).then_some(record)
    }

    /// Sends a fresh video packet; the first packet of a keyframe shields the estimate from
    /// the queue it makes ([`KEYFRAME_SHIELD`]).
    fn send_video(&mut self, packet: TaggedPacket) {
        let now = packet.now;
        if let Packet::Rtp(rtp) = &packet.message.packet
            && self.keyframe_shielded.is_none_or(|at| now.saturating_duration_since(at) >= KEYFRAME_SHIELD_GAP)
            && vp8_keyframe_start(&rtp.payload)
        {
            self.keyframe_shielded = Some(now);
            self.handle.shield(now + KEYFRAME_SHIELD);
        }
        self.writes.push_back(packet);
    }

    /// Lets queued packets go while the bucket allows, as leaving at `now`.
    fn release(&mut self, now: Instant) {
        let Some(rate) = self.rate() else {
            // Pacing was switched off: everything goes.
            self.writes.extend(self.queue.drain(..).map(|mut p| {
                p.now = now;
                p
            }));
            return;
        };
        self.refill(rate, now);
        while let Some(head) = self.queue.front() {
            let bits = bits_of(head);
            if now.saturating_duration_since(head.now) > MAX_QUEUE {
                self.queue.pop_front();
                if tally(&mut self.dropped) {
                    tracing::debug!(dropped = self.dropped, "video held too long by the pacer, dropped");
                }
                continue;
            }
            if self.bucket < bits {
                break;
            }
            self.bucket -= bits;
            let mut packet = self.queue.pop_front().expect("the head was just looked at");
            packet.now = now;
            self.send_video(packet);
        }
    }
}

/// Counts one more; whether to log it (at 1, 2, 4, 8 …, so a flood logs a few lines).
fn tally(counter: &mut u64) -> bool {
    *counter += 1;
    counter.is_power_of_two()
}

fn bits_of(packet: &TaggedPacket) -> f64 {
    match &packet.message.packet {
        Packet::Rtp(rtp) => ((rtp.marshal_size() + WIRE_OVERHEAD) * 8) as f64,
        _ => 0.0,
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for SubscriberPacer {
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

    fn handle_write(&mut self, message: TaggedPacket) -> Result<(), Error> {
        let Some(rate) = self.rate() else {
            self.writes.push_back(message);
            return Ok(());
        };
        let (audio, resent) = match &message.message.packet {
            Packet::Rtp(rtp) if self.audio.contains(&rtp.header.ssrc) => (true, None),
            Packet::Rtp(rtp) => {
                (false, self.resent(rtp, message.now).then_some((rtp.header.ssrc, rtp.header.sequence_number)))
            }
            // Control traffic is only useful fresh.
            _ => {
                self.writes.push_back(message);
                return Ok(());
            }
        };
        self.refill(rate, message.now);
        let bits = bits_of(&message);
        if let Some((ssrc, sequence)) = resent {
            let now = message.now;
            let rtt = self.handle.rtt();
            let max_age = REPAIR_MAX_AGE.max(rtt.unwrap_or_default() * 3);
            let gap = rtt.unwrap_or(RESEND_GAP);
            let times = self.record(ssrc, sequence).map(|r| (r.sent, r.resent));
            // Not known any more (further back than the stream's last packets), or too old for a
            // receiver to use.
            if times.is_none_or(|(sent, _)| self.since(sent, now) > max_age) {
                if tally(&mut self.repairs_stale) {
                    tracing::debug!(
                        stale = self.repairs_stale,
                        "a packet asked for again too long after it was sent: not resent"
                    );
                }
            } else if times.is_some_and(|(_, resent)| resent != NEVER && self.since(resent, now) < gap) {
                if tally(&mut self.repeats_skipped) {
                    tracing::debug!(
                        skipped = self.repeats_skipped,
                        "a packet asked for again within a round trip of its resending: not resent"
                    );
                }
            } else if self.repair >= bits && self.bucket >= bits {
                self.repair -= bits;
                self.bucket -= bits;
                let resent = self.millis(now);
                if let Some(record) = self.record(ssrc, sequence) {
                    record.resent = resent;
                }
                self.writes.push_back(message);
            } else {
                if tally(&mut self.repairs_dropped) {
                    tracing::debug!(dropped = self.repairs_dropped, "no room for a retransmission, dropped");
                }
            }
            return Ok(());
        }
        if audio {
            // Audio goes at once and is paid for by the video behind it.
            self.bucket -= bits;
            self.writes.push_back(message);
        } else if self.queue.is_empty() && self.bucket >= bits {
            self.bucket -= bits;
            self.send_video(message);
        } else {
            self.queue.push_back(message);
        }
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.writes.pop_front()
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        if !self.queue.is_empty() {
            self.release(now);
        }
        Ok(())
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        let head = self.queue.front()?;
        let (Some(rate), Some(refilled)) = (self.rate(), self.refilled) else { return Some(head.now) };
        let missing = (bits_of(head) - self.bucket).max(0.0);
        // A millisecond at least: a deadline at the instant just handled would spin.
        Some(refilled + Duration::from_secs_f64(missing / rate).max(Duration::from_millis(1)))
    }
}

impl Interceptor for SubscriberPacer {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if info.mime_type.to_ascii_lowercase().starts_with("audio/") {
            self.audio.insert(info.ssrc);
        }
    }

    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.audio.remove(&info.ssrc);
        self.sent.remove(&info.ssrc);
    }

    fn bind_remote_stream(&mut self, _: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _: &StreamInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sfu::congestion::Bitrate;
    use rtc::interceptor::AttributedPacket;
    use rtc::shared::{TransportContext, TransportMessage};

    const AUDIO: u32 = 1;
    const VIDEO: u32 = 2;

    fn packet(ssrc: u32, sequence: u16, payload: usize, now: Instant) -> TaggedPacket {
        let mut rtp = rtc::rtp::Packet::default();
        rtp.header.version = 2;
        rtp.header.ssrc = ssrc;
        rtp.header.sequence_number = sequence;
        rtp.payload = vec![0u8; payload].into();
        TransportMessage {
            now,
            transport: TransportContext::default(),
            message: AttributedPacket::new(Packet::Rtp(rtp)),
        }
    }

    fn pacer(allowance: Option<Bitrate>) -> SubscriberPacer {
        let handle = EstimateHandle::default();
        handle.set_allowance(allowance);
        let mut pacer = SubscriberPacer::new(handle);
        let audio = StreamInfo { ssrc: AUDIO, mime_type: "audio/opus".into(), ..Default::default() };
        pacer.bind_local_stream(&audio);
        pacer
    }

    /// Everything the pacer lets go until `until`, driven by its own timeouts; (ssrc, sequence,
    /// when) of each.
    fn drain(pacer: &mut SubscriberPacer, until: Instant) -> Vec<(u32, u16, Instant)> {
        let mut out = Vec::new();
        loop {
            while let Some(p) = pacer.poll_write() {
                let Packet::Rtp(rtp) = &p.message.packet else { continue };
                out.push((rtp.header.ssrc, rtp.header.sequence_number, p.now));
            }
            match pacer.poll_timeout() {
                Some(at) if at <= until => pacer.handle_timeout(at).unwrap(),
                _ => return out,
            }
        }
    }

    #[test]
    fn without_an_allowance_nothing_is_held() {
        let t0 = Instant::now();
        let mut pacer = pacer(None);
        for sequence in 0..50 {
            pacer.handle_write(packet(VIDEO, sequence, 1_200, t0)).unwrap();
        }
        assert_eq!(drain(&mut pacer, t0).len(), 50, "a burst passes whole at once");
    }

    #[test]
    fn a_keyframe_burst_leaves_at_the_paced_rate_and_audio_is_never_held() {
        let t0 = Instant::now();
        // 400 kbit/s shared out: paced at 600.
        let mut pacer = pacer(Some(Bitrate::kbps(400)));
        for sequence in 0..20 {
            pacer.handle_write(packet(VIDEO, sequence, 1_200, t0)).unwrap();
        }
        pacer.handle_write(packet(AUDIO, 0, 100, t0)).unwrap();
        let sent = drain(&mut pacer, t0 + Duration::from_secs(1));
        assert_eq!(sent.len(), 21);
        let audio = sent.iter().find(|(ssrc, ..)| *ssrc == AUDIO).unwrap();
        assert_eq!(audio.2, t0, "audio goes at once, past the queued video");
        let last = sent.iter().filter(|(ssrc, ..)| *ssrc == VIDEO).map(|s| s.2).max().unwrap();
        // 20 packets of 1,256 bytes on the wire (and the audio's 156) at 600 kbit/s: about
        // 335 ms, less the first bucketful.
        let spread = last.duration_since(t0);
        assert!(
            spread >= Duration::from_millis(250) && spread <= Duration::from_millis(350),
            "the burst took {spread:?}"
        );
        let in_order: Vec<u16> = sent.iter().filter(|(ssrc, ..)| *ssrc == VIDEO).map(|s| s.1).collect();
        assert_eq!(in_order, (0..20).collect::<Vec<_>>(), "in the order they came");
    }

    #[test]
    fn video_held_past_half_a_second_is_dropped() {
        let t0 = Instant::now();
        // 40 kbit/s shared out (60 paced): 60 packets of 1,256 bytes on the wire would take 10 s.
        let mut pacer = pacer(Some(Bitrate::kbps(40)));
        for sequence in 0..60 {
            pacer.handle_write(packet(VIDEO, sequence, 1_200, t0)).unwrap();
        }
        let sent = drain(&mut pacer, t0 + Duration::from_secs(2));
        assert!(sent.len() <= 5, "{} sent", sent.len());
        assert!(sent.iter().all(|s| s.2.duration_since(t0) <= MAX_QUEUE + Duration::from_millis(5)));
        assert!(pacer.queue.is_empty(), "the rest was dropped, not kept");
    }

    #[test]
    fn retransmissions_get_a_share_and_never_wait() {
        let t0 = Instant::now();
        let mut pacer = pacer(Some(Bitrate::kbps(1_000)));
        let mut at = t0;
        // A second of fresh video at 500 kbit/s (a packet every 20 ms), and after each a
        // receiver asking for two old packets again.
        let (mut fresh, mut resent) = (0u16, 0);
        for sequence in 0..50u16 {
            pacer.handle_write(packet(VIDEO, 100 + sequence, 1_200, at)).unwrap();
            for old in [98, 99] {
                pacer.handle_write(packet(VIDEO, old + sequence, 1_200, at)).unwrap();
            }
            for (_, sent, _) in drain(&mut pacer, at) {
                if sent == 100 + fresh {
                    fresh += 1;
                } else {
                    resent += 1;
                }
            }
            at += Duration::from_millis(20);
        }
        assert_eq!(fresh, 50, "fresh video all went");
        // 100 kbit/s of repairs (a tenth of the allowance), plus the first bucketful: about 11
        // or 12 packets of 1,256 bytes on the wire, not the 100 asked for.
        assert!((8..=16).contains(&resent), "{resent} retransmissions went");
        assert!(pacer.queue.is_empty(), "none waited");
    }

    #[test]
    fn a_packet_asked_for_again_within_a_round_trip_is_resent_once() {
        let t0 = Instant::now();
        // Room for every retransmission asked for here: only the repeats are left out.
        let mut pacer = pacer(Some(Bitrate::kbps(5_000)));
        for sequence in 0..10 {
            pacer.handle_write(packet(VIDEO, sequence, 1_200, t0)).unwrap();
        }
        drain(&mut pacer, t0 + Duration::from_millis(100));
        let at = |ms: u64| t0 + Duration::from_millis(100 + ms);
        // The round trip is not known yet: 100 ms.
        let mut resent = Vec::new();
        for (ms, sequence) in [(0, 3), (30, 3), (60, 4), (90, 3), (130, 3), (140, 4)] {
            pacer.handle_write(packet(VIDEO, sequence, 1_200, at(ms))).unwrap();
            resent.extend(
                drain(&mut pacer, at(ms)).into_iter().map(|(_, s, t)| (s, t.duration_since(at(0)).as_millis())),
            );
        }
        assert_eq!(resent, vec![(3, 0), (4, 60), (3, 130)], "once per round trip, each");
        assert_eq!(pacer.repeats_skipped, 3);
    }

    #[test]
    fn a_packet_sent_more_than_a_second_ago_is_not_resent() {
        let t0 = Instant::now();
        let mut pacer = pacer(Some(Bitrate::kbps(5_000)));
        for sequence in 0..10 {
            pacer.handle_write(packet(VIDEO, sequence, 1_200, t0)).unwrap();
        }
        drain(&mut pacer, t0 + Duration::from_millis(100));
        let later = t0 + Duration::from_millis(600);
        pacer.handle_write(packet(VIDEO, 10, 1_200, later)).unwrap();
        pacer.handle_write(packet(VIDEO, 2, 1_200, later)).unwrap();
        let late = t0 + Duration::from_millis(1_200);
        pacer.handle_write(packet(VIDEO, 3, 1_200, late)).unwrap();
        pacer.handle_write(packet(VIDEO, 10, 1_200, late)).unwrap();
        let sent: Vec<u16> = drain(&mut pacer, late).into_iter().map(|(_, s, _)| s).collect();
        assert_eq!(sent, vec![10, 2, 10], "2 resent after 600 ms, 3 not after 1.2 s; 10 after 600 ms");
        assert_eq!(pacer.repairs_stale, 1);
        // One the stream's record no longer holds (more than `SENT_RING` packets back) is not resent.
        for sequence in 11..600 {
            pacer.handle_write(packet(VIDEO, sequence, 100, late)).unwrap();
        }
        drain(&mut pacer, late + Duration::from_secs(1));
        let now = late + Duration::from_secs(1);
        pacer.handle_write(packet(VIDEO, 50, 100, now)).unwrap();
        assert!(drain(&mut pacer, now).is_empty());
        assert_eq!(pacer.repairs_stale, 2);
    }

    #[test]
    fn a_keyframe_that_leaves_shields_the_estimate_once_in_a_while() {
        let t0 = Instant::now();
        let mut pacer = pacer(Some(Bitrate::kbps(400)));
        let keyframe = |sequence: u16, now: Instant| {
            let mut p = packet(VIDEO, sequence, 1_000, now);
            if let Packet::Rtp(rtp) = &mut p.message.packet {
                // VP8 descriptor with S = 1, then a payload header with P = 0: a keyframe starts.
                let mut payload = vec![0u8; 1_000];
                payload[0] = 0x10;
                rtp.payload = payload.into();
            }
            p
        };
        pacer.handle_write(packet(VIDEO, 0, 1_000, t0)).unwrap();
        drain(&mut pacer, t0 + Duration::from_millis(100));
        assert_eq!(pacer.handle.shielded_until(), None, "a delta frame shields nothing");
        let at = t0 + Duration::from_millis(100);
        pacer.handle_write(keyframe(1, at)).unwrap();
        drain(&mut pacer, at);
        assert_eq!(pacer.handle.shielded_until(), Some(at + KEYFRAME_SHIELD));
        // Another a second later: not shielded again (at most one in 3 s)...
        let later = at + Duration::from_secs(1);
        pacer.handle_write(keyframe(2, later)).unwrap();
        drain(&mut pacer, later);
        assert_eq!(pacer.handle.shielded_until(), Some(at + KEYFRAME_SHIELD));
        // ... one 3 s after the first is.
        let again = at + KEYFRAME_SHIELD_GAP;
        pacer.handle_write(keyframe(3, again)).unwrap();
        drain(&mut pacer, again);
        assert_eq!(pacer.handle.shielded_until(), Some(again + KEYFRAME_SHIELD));
    }
}
