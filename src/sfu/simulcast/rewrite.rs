//! One continuous stream out of several: a subscriber receives one simulcast layer at a time,
//! and each layer has its own sequence numbers, timestamps and picture ids. At a switch the
//! rewriter moves the new layer's numbering on from where the old one stopped, so the
//! subscriber's jitter buffer and decoder see one stream without a gap or a jump back.

use super::vp8::Descriptor;
use std::time::Instant;

/// The numbering a subscriber receives for one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewritten {
    pub sequence: u16,
    pub timestamp: u32,
}

/// The last packet sent out, in the subscriber's numbering.
#[derive(Debug, Clone, Copy)]
struct Sent {
    sequence: u16,
    timestamp: u32,
    picture_id: u16,
    tl0_pic_idx: u8,
    key_idx: u8,
    at: Instant,
}

/// Offsets from the current layer's numbering to the subscriber's.
#[derive(Debug, Clone, Copy, Default)]
struct Offsets {
    sequence: u16,
    timestamp: u32,
    picture_id: u16,
    tl0_pic_idx: u8,
    key_idx: u8,
}

/// The rewriting state of one subscriber's copy of one published video.
#[derive(Debug, Clone, Default)]
pub struct Rewriter {
    offsets: Offsets,
    /// The current layer's sequence number at the keyframe it started with: anything older
    /// belongs to before the switch and is not sent.
    start: Option<u16>,
    last: Option<Sent>,
}

/// RTP video's clock: 90 kHz.
const VIDEO_CLOCK_PER_MS: u64 = 90;

/// Picture ids are 15 bits on the wire.
const PICTURE_ID_MODULUS: u16 = 1 << 15;

/// Whether sequence number `a` comes after `b`, across the wrap.
fn sequence_after(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

impl Rewriter {
    /// Starts the subscriber's copy at a keyframe of another layer (or the first one): the
    /// keyframe gets the number after the last packet sent, and a timestamp as far after the
    /// last one as time has passed, so playout keeps its pace.
    pub fn switch(&mut self, sequence: u16, timestamp: u32, descriptor: &Descriptor, now: Instant) {
        let pid = descriptor.picture_id.map_or(0, |p| p.value);
        let tl0 = descriptor.tl0_pic_idx.unwrap_or(0);
        let key = descriptor.key_idx.unwrap_or(0);
        self.offsets = match self.last {
            None => Offsets::default(),
            Some(last) => {
                let elapsed_ms = now.saturating_duration_since(last.at).as_millis() as u64;
                let advance = (elapsed_ms * VIDEO_CLOCK_PER_MS).clamp(1, u64::from(u32::MAX)) as u32;
                Offsets {
                    sequence: last.sequence.wrapping_add(1).wrapping_sub(sequence),
                    timestamp: last.timestamp.wrapping_add(advance).wrapping_sub(timestamp),
                    picture_id: (last.picture_id + 1 + PICTURE_ID_MODULUS - pid % PICTURE_ID_MODULUS)
                        % PICTURE_ID_MODULUS,
                    tl0_pic_idx: last.tl0_pic_idx.wrapping_add(1).wrapping_sub(tl0),
                    key_idx: last.key_idx.wrapping_add(1).wrapping_sub(key) & 0x1f,
                }
            }
        };
        self.start = Some(sequence);
    }

    /// The subscriber's numbering for a packet of the current layer, with its descriptor
    /// rewritten in `payload`; `None` for a packet from before the switch.
    pub fn rewrite(
        &mut self,
        sequence: u16,
        timestamp: u32,
        descriptor: &Descriptor,
        payload: &mut [u8],
        now: Instant,
    ) -> Option<Rewritten> {
        let (out, ids) = self.number(sequence, timestamp, descriptor, now)?;
        ids.write(descriptor, payload);
        Some(out)
    }

    /// The subscriber's numbering for a packet of the current layer and the picture numbering
    /// its descriptor must carry; `None` for a packet from before the switch. The payload is
    /// not touched: [`PictureIds::write`] does that, where they differ from the packet's own.
    pub fn number(
        &mut self,
        sequence: u16,
        timestamp: u32,
        descriptor: &Descriptor,
        now: Instant,
    ) -> Option<(Rewritten, PictureIds)> {
        let start = self.start?;
        if sequence != start && !sequence_after(sequence, start) {
            return None;
        }
        let out = Rewritten {
            sequence: sequence.wrapping_add(self.offsets.sequence),
            timestamp: timestamp.wrapping_add(self.offsets.timestamp),
        };
        let picture_id = (descriptor.picture_id.map_or(0, |p| p.value) % PICTURE_ID_MODULUS + self.offsets.picture_id)
            % PICTURE_ID_MODULUS;
        let tl0_pic_idx = descriptor.tl0_pic_idx.unwrap_or(0).wrapping_add(self.offsets.tl0_pic_idx);
        let key_idx = descriptor.key_idx.unwrap_or(0).wrapping_add(self.offsets.key_idx) & 0x1f;
        // A retransmission or a late packet keeps the numbering of its place; only the newest
        // packet moves "last" on.
        if self.last.is_none_or(|l| sequence_after(out.sequence, l.sequence)) {
            self.last = Some(Sent {
                sequence: out.sequence,
                timestamp: out.timestamp,
                picture_id,
                tl0_pic_idx,
                key_idx,
                at: now,
            });
        }
        Some((out, PictureIds { picture_id, tl0_pic_idx, key_idx }))
    }
}

/// The picture numbering one packet's descriptor carries for the subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureIds {
    pub picture_id: u16,
    pub tl0_pic_idx: u8,
    pub key_idx: u8,
}

impl PictureIds {
    /// Whether the packet's descriptor already says this (no switch moved the numbering): then
    /// its payload can be forwarded as it is, shared with the other subscribers.
    pub fn unchanged(&self, descriptor: &Descriptor) -> bool {
        let same_picture = descriptor.picture_id.is_none_or(|p| p.value % p.modulus() == self.picture_id % p.modulus());
        let same_tl0 = descriptor.tl0_pic_idx.is_none_or(|t| t == self.tl0_pic_idx);
        let same_key = descriptor.key_idx.is_none_or(|k| k == self.key_idx);
        same_picture && same_tl0 && same_key
    }

    /// Writes the numbering into `payload`, the payload `descriptor` was parsed from.
    pub fn write(&self, descriptor: &Descriptor, payload: &mut [u8]) {
        descriptor.rewrite(payload, self.picture_id, self.tl0_pic_idx, self.key_idx);
    }
}

#[cfg(test)]
mod tests {
    use super::super::vp8::write_descriptor;
    use super::*;
    use std::time::Duration;

    fn payload(keyframe: bool, picture_id: u16, tl0: u8) -> Vec<u8> {
        let mut out = Vec::new();
        write_descriptor(&mut out, true, keyframe, picture_id, tl0, 0);
        out.push(0);
        out
    }

    fn send(
        r: &mut Rewriter,
        seq: u16,
        ts: u32,
        pid: u16,
        keyframe: bool,
        now: Instant,
    ) -> Option<(Rewritten, Descriptor)> {
        let mut p = payload(keyframe, pid, pid as u8);
        let d = Descriptor::parse(&p).unwrap();
        let out = r.rewrite(seq, ts, &d, &mut p, now)?;
        Some((out, Descriptor::parse(&p).unwrap()))
    }

    #[test]
    fn a_switch_continues_the_numbering_where_the_old_layer_stopped() {
        let t0 = Instant::now();
        let mut r = Rewriter::default();
        let first = payload(true, 500, 500u16 as u8);
        r.switch(1000, 90_000, &Descriptor::parse(&first).unwrap(), t0);
        let mut last = None;
        for i in 0..10u16 {
            last = send(
                &mut r,
                1000 + i,
                90_000 + u32::from(i) * 3000,
                500 + i,
                i == 0,
                t0 + Duration::from_millis(33 * u64::from(i)),
            );
        }
        let (before, before_d) = last.unwrap();

        // The other layer numbers everything differently; its keyframe comes 33 ms later.
        let at = t0 + Duration::from_millis(33 * 10);
        let key = payload(true, 20_000, 20_000u16 as u8);
        r.switch(60_000, 4_000_000_000, &Descriptor::parse(&key).unwrap(), at);
        let (after, after_d) = send(&mut r, 60_000, 4_000_000_000, 20_000, true, at).unwrap();

        assert_eq!(after.sequence, before.sequence.wrapping_add(1));
        assert_eq!(after.timestamp.wrapping_sub(before.timestamp), 33 * 90);
        assert_eq!(after_d.picture_id.unwrap().value, before_d.picture_id.unwrap().value + 1);
        assert_eq!(after_d.tl0_pic_idx.unwrap(), before_d.tl0_pic_idx.unwrap().wrapping_add(1));
    }

    #[test]
    fn packets_from_before_the_switch_are_not_sent() {
        let t0 = Instant::now();
        let mut r = Rewriter::default();
        r.switch(65_530, 0, &Descriptor::parse(&payload(true, 1, 1)).unwrap(), t0);
        assert!(send(&mut r, 65_529, 0, 0, false, t0).is_none(), "older than the keyframe");
        assert!(send(&mut r, 65_530, 0, 1, true, t0).is_some());
        assert!(send(&mut r, 3, 0, 2, false, t0).is_some(), "newer, across the wrap");
    }

    #[test]
    fn a_retransmission_keeps_its_place_in_the_numbering() {
        let t0 = Instant::now();
        let mut r = Rewriter::default();
        r.switch(10, 0, &Descriptor::parse(&payload(true, 1, 1)).unwrap(), t0);
        let a = send(&mut r, 10, 0, 1, true, t0).unwrap().0;
        let c = send(&mut r, 12, 0, 1, false, t0).unwrap().0;
        let b = send(&mut r, 11, 0, 1, false, t0).unwrap().0;
        assert_eq!((a.sequence, b.sequence, c.sequence), (10, 11, 12));
        // The next switch continues after 12, not after the late 11.
        r.switch(500, 0, &Descriptor::parse(&payload(true, 9, 9)).unwrap(), t0);
        assert_eq!(send(&mut r, 500, 0, 9, true, t0).unwrap().0.sequence, 13);
    }

    #[test]
    fn nothing_is_sent_before_the_first_keyframe() {
        let mut r = Rewriter::default();
        assert!(send(&mut r, 1, 0, 1, false, Instant::now()).is_none());
    }
}
