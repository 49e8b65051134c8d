//! The synthetic media of headless participants: every packet says who sent it, its own
//! sequence number, when it was sent and whether it starts a keyframe, and fills the rest with
//! bytes derived from those, so the receiver can prove that nothing was lost, duplicated,
//! reordered beyond repair or altered on the way.

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
    out.push(u8::from(stamp.keyframe) | (u8::from(stamp.video) << 1));
    out.extend_from_slice(stamp.sender.as_bytes());
    out.extend_from_slice(&stamp.sent_ns.to_be_bytes());
    out.extend_from_slice(&stamp.seq.to_be_bytes());
    out.extend((HEADER_LEN..len).map(|i| filler(stamp.seq, i, stamp.video)));
    out
}

/// The stamp of an intact payload; `None` if any byte is not what the sender wrote.
pub fn decode(payload: &[u8]) -> Option<Stamp> {
    if payload.len() < HEADER_LEN || &payload[..2] != MAGIC || payload[2] != 1 {
        return None;
    }
    let flags = payload[3];
    let stamp = Stamp {
        sender: Uuid::from_slice(&payload[4..20]).ok()?,
        keyframe: flags & 1 != 0,
        video: flags & 2 != 0,
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
        let stamp = Stamp { sender: Uuid::new_v4(), video: true, keyframe: true, seq: 4711, sent_ns: 123 };
        let mut payload = encode(stamp, 1100);
        assert_eq!(payload.len(), 1100);
        assert_eq!(decode(&payload), Some(stamp));
        payload[600] ^= 1;
        assert_eq!(decode(&payload), None);
        assert_eq!(decode(&payload[..10]), None);
    }
}
