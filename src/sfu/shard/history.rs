//! What a subscriber's video slot sent lately, for its NACKs (RFC 4585's generic NACK): each
//! packet as it arrived from the publisher, shared with every other subscriber it went to, with
//! this slot's numbering and, where a layer switch moved the picture numbering, the few bytes
//! of the VP8 descriptor that differ. The library's NACK responder kept a whole copy of every
//! packet sent, and a subscriber whose switch had moved the numbering held a rewritten copy of
//! every payload: with simulcast, most of the server's memory per participant
//! (docs/performance.md, "Simulcast through the harness").

use super::super::engine::NACK_HISTORY;
use bytes::Bytes;
use rtc::rtp::Packet;
use std::sync::Arc;

/// A VP8 payload descriptor is at most this long (RFC 7741 §4.2: the first byte, the extension
/// byte, a 15-bit picture id, TL0PICIDX, and TID/KEYIDX), and a rewrite of the numbering touches
/// nothing after it.
const DESCRIPTOR_MAX: usize = 6;

/// One packet sent.
struct Entry {
    /// As it arrived (after the publisher's side took what it takes from it).
    packet: Arc<Packet>,
    sequence: u16,
    timestamp: u32,
    /// The payload's first bytes as sent, when a rewrite of the numbering changed them.
    rewritten: Option<([u8; DESCRIPTOR_MAX], u8)>,
}

/// The last [`NACK_HISTORY`] packets of one outgoing stream, at `sequence % NACK_HISTORY`.
#[derive(Default)]
pub(super) struct History {
    entries: Vec<Option<Entry>>,
}

impl History {
    /// Keeps `packet`, sent as `sequence` and `timestamp` with `payload`: the packet's own
    /// payload, or a copy whose descriptor was rewritten.
    pub fn record(&mut self, packet: &Arc<Packet>, sequence: u16, timestamp: u32, payload: &Bytes) {
        if self.entries.is_empty() {
            self.entries.resize_with(usize::from(NACK_HISTORY), || None);
        }
        let original = &packet.payload;
        let rewritten = if payload.as_ptr() == original.as_ptr() && payload.len() == original.len() {
            None
        } else {
            let n = payload.len().min(DESCRIPTOR_MAX);
            if payload.len() != original.len() {
                // Not a rewrite of the numbering: nothing to resend it from.
                self.entries[index(sequence)] = None;
                return;
            }
            // A rewrite of the numbering touches the descriptor only (`vp8::Descriptor::rewrite`):
            // not compared byte by byte on every packet.
            debug_assert_eq!(payload[n..], original[n..], "a rewrite reached past the descriptor");
            let mut prefix = [0; DESCRIPTOR_MAX];
            prefix[..n].copy_from_slice(&payload[..n]);
            Some((prefix, n as u8))
        };
        self.entries[index(sequence)] = Some(Entry { packet: packet.clone(), sequence, timestamp, rewritten });
    }

    /// The packet sent as `sequence`, to send again with the slot's `ssrc` and `payload_type`,
    /// if it is still kept.
    pub fn resend(&self, sequence: u16, ssrc: u32, payload_type: u8) -> Option<Packet> {
        let entry = self.entries.get(index(sequence))?.as_ref().filter(|e| e.sequence == sequence)?;
        let mut copy = renumbered(&entry.packet, ssrc, payload_type, entry.sequence, entry.timestamp);
        if let Some((prefix, n)) = entry.rewritten {
            let mut payload = copy.payload.to_vec();
            payload[..usize::from(n)].copy_from_slice(&prefix[..usize::from(n)]);
            copy.payload = payload.into();
        }
        Some(copy)
    }
}

/// `packet` as a slot sends it: with the slot's SSRC and payload type, and in its numbering.
pub(super) fn renumbered(packet: &Packet, ssrc: u32, payload_type: u8, sequence: u16, timestamp: u32) -> Packet {
    let mut copy = packet.clone();
    copy.header.ssrc = ssrc;
    copy.header.payload_type = payload_type;
    (copy.header.sequence_number, copy.header.timestamp) = (sequence, timestamp);
    copy
}

fn index(sequence: u16) -> usize {
    usize::from(sequence % NACK_HISTORY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrived(sequence: u16, payload: &[u8]) -> Arc<Packet> {
        let mut packet = Packet::default();
        packet.header.sequence_number = sequence;
        packet.header.ssrc = 7;
        packet.header.marker = true;
        packet.payload = Bytes::copy_from_slice(payload);
        Arc::new(packet)
    }

    #[test]
    fn a_packet_sent_is_sent_again_as_it_was_sent() {
        let mut history = History::default();
        let shared = arrived(900, &[0x90, 0x80, 0x81, 0x02, 9, 9, 42, 43]);
        // Sent as it arrived, in the slot's numbering.
        history.record(&shared, 100, 3_000, &shared.payload.clone());
        // Its next packet with its picture id rewritten (0x0102 to 0x0205).
        let next = arrived(901, &[0x90, 0x80, 0x81, 0x02, 9, 9, 44, 45]);
        let sent = Bytes::from_static(&[0x90, 0x80, 0x82, 0x05, 9, 9, 44, 45]);
        history.record(&next, 101, 3_000, &sent);

        let again = history.resend(100, 55, 96).expect("kept");
        assert_eq!((again.header.ssrc, again.header.payload_type), (55, 96));
        assert_eq!((again.header.sequence_number, again.header.timestamp), (100, 3_000));
        assert!(again.header.marker, "the rest of the header as it arrived");
        assert_eq!(again.payload.as_ptr(), shared.payload.as_ptr(), "the payload shared, not copied");
        let again = history.resend(101, 55, 96).expect("kept");
        assert_eq!(again.payload, sent, "the payload as it was sent: the descriptor rewritten");
        assert_eq!(next.payload[2..4], [0x81, 0x02], "the publisher's packet untouched");
    }

    #[test]
    fn only_the_last_packets_are_kept() {
        let mut history = History::default();
        let shared = arrived(1, &[0x10, 1, 2, 3]);
        history.record(&shared, 65_500, 0, &shared.payload.clone());
        assert!(history.resend(65_500, 1, 96).is_some());
        assert!(history.resend(65_501, 1, 96).is_none(), "never sent");
        // NACK_HISTORY later (across the wrap of the numbering) its place is taken.
        let later = 65_500u16.wrapping_add(NACK_HISTORY);
        history.record(&shared, later, 0, &shared.payload.clone());
        assert!(history.resend(65_500, 1, 96).is_none(), "forgotten");
        assert!(history.resend(later, 1, 96).is_some());
        // A payload that is no rewrite of the numbering (another length) is not kept.
        history.record(&shared, later, 0, &Bytes::from_static(&[0x10, 1, 2]));
        assert!(history.resend(later, 1, 96).is_none());
    }
}
