//! The synthetic media of headless participants: every packet says who sent it, its own
//! sequence number, when it was sent and whether it starts a keyframe, and fills the rest with
//! bytes derived from those, so the receiver can prove that nothing was lost, duplicated,
//! reordered beyond repair or altered on the way.
//!
//! A video sent in simulcast layers is VP8-shaped, as the server needs it to be: each payload
//! starts with an RFC 7741 descriptor (picture id, TL0PICIDX, TID; see [`vp8_prefix`]) and the
//! first byte of a VP8 frame header, then the stamp, which also names the layer.

use uuid::Uuid;

/// Bytes before the filler.
pub const HEADER_LEN: usize = 32;
const MAGIC: &[u8; 2] = b"KT";

/// What a packet carries besides its filler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub sender: Uuid,
    pub video: bool,
    pub keyframe: bool,
    /// The simulcast layer (0 lowest) of a video sent in layers.
    pub layer: Option<u8>,
    /// The sender's own counter per stream (RTP sequence numbers are rewritten by the SFU).
    pub seq: u32,
    /// Nanoseconds since the Unix epoch when the packet was made.
    pub sent_ns: u64,
}

fn filler(seq: u32, index: usize, video: bool) -> u8 {
    (seq as usize).wrapping_mul(31).wrapping_add(index.wrapping_mul(7)).wrapping_add(video as usize) as u8
}

/// A payload of `len` bytes (at least [`HEADER_LEN`]).
pub fn encode(stamp: Stamp, len: usize) -> Vec<u8> {
    let len = len.max(HEADER_LEN);
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(MAGIC);
    out.push(1);
    let layer = stamp.layer.map_or(0, |layer| (layer & 0x03) + 1);
    out.push(u8::from(stamp.keyframe) | (u8::from(stamp.video) << 1) | (layer << 2));
    out.extend_from_slice(stamp.sender.as_bytes());
    out.extend_from_slice(&stamp.sent_ns.to_be_bytes());
    out.extend_from_slice(&stamp.seq.to_be_bytes());
    out.extend((HEADER_LEN..len).map(|i| filler(stamp.seq, i, stamp.video)));
    out
}

/// The VP8 descriptor and frame-header byte that precede the stamp of a layered video's
/// packet: `picture_id` (15 bits) and `tl0` number the layer's frames.
pub fn vp8_prefix(frame_start: bool, keyframe: bool, picture_id: u16, tl0: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(8);
    ketentafel::sfu::simulcast::vp8::write_descriptor(&mut out, frame_start, keyframe, picture_id, tl0, 0);
    out
}

/// Where the stamp starts: at once, or past a VP8 descriptor and the frame-header byte.
fn stamp_offset(payload: &[u8]) -> Option<usize> {
    if payload.starts_with(MAGIC) {
        return Some(0);
    }
    ketentafel::sfu::vp8_descriptor(payload).map(|(at, _)| at + 1)
}

/// The stamp of an intact payload; `None` if any byte is not what the sender wrote.
pub fn decode(payload: &[u8]) -> Option<Stamp> {
    let payload = &payload[stamp_offset(payload)?..];
    if payload.len() < HEADER_LEN || &payload[..2] != MAGIC || payload[2] != 1 {
        return None;
    }
    let flags = payload[3];
    let stamp = Stamp {
        sender: Uuid::from_slice(&payload[4..20]).ok()?,
        keyframe: flags & 1 != 0,
        video: flags & 2 != 0,
        layer: match flags >> 2 & 0x07 {
            0 => None,
            n => Some(n - 1),
        },
        sent_ns: u64::from_be_bytes(payload[20..28].try_into().ok()?),
        seq: u32::from_be_bytes(payload[28..32].try_into().ok()?),
    };
    let intact =
        payload[HEADER_LEN..].iter().enumerate().all(|(i, &b)| b == filler(stamp.seq, HEADER_LEN + i, stamp.video));
    intact.then_some(stamp)
}

/// Nanoseconds since the Unix epoch.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_round_trips_and_any_changed_byte_is_noticed() {
        let stamp = Stamp { sender: Uuid::new_v4(), video: true, keyframe: true, layer: None, seq: 4711, sent_ns: 123 };
        let mut payload = encode(stamp, 1100);
        assert_eq!(payload.len(), 1100);
        assert_eq!(decode(&payload), Some(stamp));
        payload[600] ^= 1;
        assert_eq!(decode(&payload), None);
        assert_eq!(decode(&payload[..10]), None);
    }

    #[test]
    fn a_layered_payload_is_read_past_its_vp8_prefix_and_names_its_layer() {
        for layer in 0..3 {
            let stamp =
                Stamp { sender: Uuid::new_v4(), video: true, keyframe: false, layer: Some(layer), seq: 9, sent_ns: 1 };
            let mut payload = vp8_prefix(true, true, 0x1234, 7);
            payload.extend(encode(stamp, 500));
            let descriptor = ketentafel::sfu::simulcast::vp8::Descriptor::parse(&payload).unwrap();
            assert!(descriptor.keyframe, "the server sees the keyframe in the prefix");
            assert_eq!(descriptor.picture_id.map(|p| p.value), Some(0x1234));
            assert_eq!(decode(&payload), Some(stamp));
        }
    }
}
