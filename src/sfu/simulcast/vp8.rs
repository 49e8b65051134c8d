//! The VP8 payload descriptor (RFC 7741 §4.2): where a packet's picture id, TL0PICIDX and
//! KEYIDX sit, whether it starts a keyframe, and rewriting those fields in place so that a
//! subscriber sees one continuous picture numbering across simulcast layer switches.
//!
//! ```text
//!       0 1 2 3 4 5 6 7
//!      +-+-+-+-+-+-+-+-+
//!      |X|R|N|S|R| PID | (REQUIRED)
//!      +-+-+-+-+-+-+-+-+
//! X:   |I|L|T|K| RSV   | (OPTIONAL)
//!      +-+-+-+-+-+-+-+-+
//! I:   |M| PictureID   | (OPTIONAL, M: a second byte follows: 15 bits)
//!      +-+-+-+-+-+-+-+-+
//! L:   |   TL0PICIDX   | (OPTIONAL)
//!      +-+-+-+-+-+-+-+-+
//! T/K: |TID|Y| KEYIDX  | (OPTIONAL)
//!      +-+-+-+-+-+-+-+-+
//! ```

/// Where the optional fields of one packet's descriptor are, and what they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptor {
    /// The first packet of a frame (S set and partition 0).
    pub frame_start: bool,
    /// The first packet of a keyframe: a subscriber can start decoding here.
    pub keyframe: bool,
    /// The picture id and whether it is 15 bits wide (else 7).
    pub picture_id: Option<PictureId>,
    /// The temporal-layer-0 picture index.
    pub tl0_pic_idx: Option<u8>,
    /// The temporal layer of this frame (0 when not signalled).
    pub temporal_layer: u8,
    /// The temporal key index (5 bits).
    pub key_idx: Option<u8>,
    offsets: Offsets,
}

/// A picture id with its width on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureId {
    pub value: u16,
    pub wide: bool,
}

impl PictureId {
    /// The modulus of this width: 2^15 or 2^7.
    pub fn modulus(self) -> u16 {
        if self.wide { 1 << 15 } else { 1 << 7 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Offsets {
    picture_id: Option<usize>,
    tl0_pic_idx: Option<usize>,
    tid_key: Option<usize>,
}

/// Why a payload is not a VP8 packet this SFU can forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Vp8Error {
    #[error("the VP8 payload ends inside its descriptor")]
    Truncated,
}

impl Descriptor {
    /// Reads the descriptor at the start of an RTP payload.
    pub fn parse(payload: &[u8]) -> Result<Descriptor, Vp8Error> {
        let byte = |i: usize| payload.get(i).copied().ok_or(Vp8Error::Truncated);
        let first = byte(0)?;
        let extended = first & 0x80 != 0;
        let start = first & 0x10 != 0;
        let partition = first & 0x07;
        let mut at = 1;
        let mut offsets = Offsets::default();
        let (mut picture_id, mut tl0_pic_idx, mut key_idx, mut temporal_layer) = (None, None, None, 0);
        if extended {
            let x = byte(at)?;
            at += 1;
            if x & 0x80 != 0 {
                offsets.picture_id = Some(at);
                let m = byte(at)?;
                if m & 0x80 != 0 {
                    let value = (u16::from(m & 0x7f) << 8) | u16::from(byte(at + 1)?);
                    picture_id = Some(PictureId { value, wide: true });
                    at += 2;
                } else {
                    picture_id = Some(PictureId { value: u16::from(m), wide: false });
                    at += 1;
                }
            }
            if x & 0x40 != 0 {
                offsets.tl0_pic_idx = Some(at);
                tl0_pic_idx = Some(byte(at)?);
                at += 1;
            }
            if x & 0x30 != 0 {
                offsets.tid_key = Some(at);
                let b = byte(at)?;
                if x & 0x20 != 0 {
                    temporal_layer = b >> 6;
                }
                if x & 0x10 != 0 {
                    key_idx = Some(b & 0x1f);
                }
                at += 1;
            }
        }
        let frame_start = start && partition == 0;
        // The VP8 payload header's P bit (RFC 6386 §9.1) is 0 on a key frame; it is only
        // present in the first packet of a frame.
        let keyframe = frame_start && payload.get(at).is_some_and(|b| b & 0x01 == 0);
        Ok(Descriptor { frame_start, keyframe, picture_id, tl0_pic_idx, temporal_layer, key_idx, offsets })
    }

    /// Writes new picture id, TL0PICIDX and KEYIDX values into `payload`, which must be the
    /// payload this descriptor was parsed from. Fields the packet does not carry stay absent;
    /// values are reduced to the field's width.
    pub fn rewrite(&self, payload: &mut [u8], picture_id: u16, tl0_pic_idx: u8, key_idx: u8) {
        if let (Some(at), Some(pid)) = (self.offsets.picture_id, self.picture_id) {
            let value = picture_id % pid.modulus();
            if pid.wide {
                payload[at] = 0x80 | (value >> 8) as u8;
                payload[at + 1] = value as u8;
            } else {
                payload[at] = value as u8;
            }
        }
        if let Some(at) = self.offsets.tl0_pic_idx {
            payload[at] = tl0_pic_idx;
        }
        if let (Some(at), Some(_)) = (self.offsets.tid_key, self.key_idx) {
            payload[at] = (payload[at] & 0xe0) | (key_idx & 0x1f);
        }
    }
}

/// Builds a descriptor and the first payload byte for tests and the load harness's simulcast
/// publisher: 15-bit picture id, TL0PICIDX, TID and KEYIDX all present.
pub fn write_descriptor(out: &mut Vec<u8>, frame_start: bool, keyframe: bool, picture_id: u16, tl0: u8, tid: u8) {
    out.push(0x80 | if frame_start { 0x10 } else { 0 });
    out.push(0x80 | 0x40 | 0x20 | 0x10);
    out.push(0x80 | ((picture_id >> 8) as u8 & 0x7f));
    out.push(picture_id as u8);
    out.push(tl0);
    out.push((tid & 0x03) << 6);
    // The VP8 payload header's first byte: P = 0 on a keyframe. Only meaningful at a frame start.
    out.push(if keyframe { 0x10 } else { 0x11 });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(frame_start: bool, keyframe: bool, picture_id: u16) -> Vec<u8> {
        let mut out = Vec::new();
        write_descriptor(&mut out, frame_start, keyframe, picture_id, 7, 1);
        out.extend_from_slice(&[0xaa; 20]);
        out
    }

    #[test]
    fn a_keyframe_is_recognised_only_at_the_start_of_its_frame() {
        let start = Descriptor::parse(&packet(true, true, 300)).unwrap();
        assert!(start.frame_start && start.keyframe);
        let middle = Descriptor::parse(&packet(false, true, 300)).unwrap();
        assert!(!middle.keyframe);
        let delta = Descriptor::parse(&packet(true, false, 301)).unwrap();
        assert!(delta.frame_start && !delta.keyframe);
    }

    #[test]
    fn the_fields_are_read_where_the_extension_bits_say() {
        let d = Descriptor::parse(&packet(true, false, 0x1234)).unwrap();
        assert_eq!(d.picture_id, Some(PictureId { value: 0x1234, wide: true }));
        assert_eq!(d.tl0_pic_idx, Some(7));
        assert_eq!(d.temporal_layer, 1);
        assert_eq!(d.key_idx, Some(0));
    }

    #[test]
    fn a_rewrite_changes_only_the_numbering() {
        let mut payload = packet(true, true, 100);
        let before = payload.clone();
        let d = Descriptor::parse(&payload).unwrap();
        d.rewrite(&mut payload, 40_000, 9, 3);
        let after = Descriptor::parse(&payload).unwrap();
        assert_eq!(after.picture_id.unwrap().value, 40_000 % (1 << 15));
        assert_eq!((after.tl0_pic_idx, after.key_idx, after.temporal_layer), (Some(9), Some(3), 1));
        assert!(after.keyframe);
        assert_eq!(payload[6..], before[6..], "the VP8 frame itself is untouched");
    }

    #[test]
    fn a_seven_bit_picture_id_stays_seven_bits() {
        let mut payload = vec![0x90, 0x80, 0x05, 0x10, 0, 0];
        let d = Descriptor::parse(&payload).unwrap();
        assert_eq!(d.picture_id, Some(PictureId { value: 5, wide: false }));
        d.rewrite(&mut payload, 130, 0, 0);
        assert_eq!(payload[2], 2, "130 mod 128");
        assert_eq!(payload[3], 0x10, "the byte after the descriptor is untouched");
    }

    #[test]
    fn a_descriptor_cut_short_is_refused() {
        assert_eq!(Descriptor::parse(&[]), Err(Vp8Error::Truncated));
        assert_eq!(Descriptor::parse(&[0x90, 0x80, 0x81]), Err(Vp8Error::Truncated));
        assert_eq!(Descriptor::parse(&[0x90, 0xf0]), Err(Vp8Error::Truncated));
    }
}
