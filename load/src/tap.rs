//! The SFU tap of docs/e2ee.md: a headless participant, let in like anyone else, that records
//! exactly what the SFU forwards and judges whether it could be watched. It reassembles VP8
//! frames and Opus packets, reads the SFrame header each browser puts after the bytes it leaves
//! in the clear, and decodes every VP8 keyframe as a still picture (a VP8 keyframe is what a
//! lossy WebP holds). Encrypted media shows a chain of SFrame headers (one key id, a counter
//! that only grows) and keyframes that decode to no picture; media in the clear shows the
//! reverse. The tap has no key: it announces the well-known headless key and never unwraps.

use ketentafel::media::MediaKind;
use ketentafel::sfu::{ReceivedRtp, vp8_descriptor};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// The AES-GCM tag at the end of every encrypted frame.
pub const TAG_LEN: usize = 16;

/// Key ids listed in a report.
const MAX_KEY_IDS_SHOWN: usize = 16;

/// Frames kept per stream for the judgement (a few seconds of video).
const MAX_FRAMES: usize = 600;

/// How many bytes at the start of a frame the browser leaves in the clear (docs/e2ee.md):
/// a VP8 keyframe's frame tag, start code and size (10), a VP8 delta frame's tag (3), the Opus
/// TOC byte (1).
pub fn clear_prefix(kind: MediaKind, frame: &[u8]) -> usize {
    let prefix = match kind {
        MediaKind::Audio => 1,
        MediaKind::Video if is_vp8_keyframe(frame) => 10,
        MediaKind::Video => 3,
    };
    prefix.min(frame.len())
}

/// The VP8 frame tag's P bit is 0 on a keyframe (RFC 6386 §9.1); it stays in the clear.
pub fn is_vp8_keyframe(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| b & 0x01 == 0)
}

/// An SFrame header (RFC 9605 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SframeHeader {
    pub kid: u64,
    pub ctr: u64,
    /// Its length in bytes.
    pub len: usize,
}

/// Reads an SFrame header: a config byte `X KKK Y CCC`, then the key id and the counter when
/// they do not fit in three bits.
pub fn parse_header(bytes: &[u8]) -> Option<SframeHeader> {
    let config = *bytes.first()?;
    let mut at = 1;
    let mut field = |extended: bool, bits: u8| -> Option<u64> {
        if !extended {
            return Some(u64::from(bits));
        }
        let len = usize::from(bits) + 1;
        let value = bytes.get(at..at + len)?.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b));
        at += len;
        Some(value)
    };
    let kid = field(config & 0x80 != 0, (config >> 4) & 0x07)?;
    let ctr = field(config & 0x08 != 0, config & 0x07)?;
    Some(SframeHeader { kid, ctr, len: at })
}

/// The SFrame header of an encrypted frame, if the frame is long enough to hold one and the tag.
pub fn frame_header(kind: MediaKind, frame: &[u8]) -> Option<SframeHeader> {
    let prefix = clear_prefix(kind, frame);
    let header = parse_header(&frame[prefix..])?;
    (frame.len() >= prefix + header.len + TAG_LEN).then_some(header)
}

/// Decodes a VP8 keyframe as the still picture a lossy WebP is, and says whether it shows a
/// picture: camera images (and the browsers' fake cameras) are smooth from pixel to pixel;
/// noise decoded from random bytes is not. `None`: the decoder refused the bytes.
pub fn keyframe_picture(frame: &[u8]) -> Option<Picture> {
    let webp = webp_of(frame);
    let mut decoder = image_webp::WebPDecoder::new(std::io::Cursor::new(webp)).ok()?;
    let (width, height) = decoder.dimensions();
    let channels = if decoder.has_alpha() { 4 } else { 3 };
    let mut pixels = vec![0u8; decoder.output_buffer_size()?];
    decoder.read_image(&mut pixels).ok()?;
    let luma = |x: u32, y: u32| {
        let i = ((y * width + x) * channels) as usize;
        (299 * u32::from(pixels[i]) + 587 * u32::from(pixels[i + 1]) + 114 * u32::from(pixels[i + 2])) / 1000
    };
    let (mut sum, mut n) = (0u64, 0u64);
    for y in 0..height {
        for x in 1..width {
            sum += u64::from(luma(x, y).abs_diff(luma(x - 1, y)));
            n += 1;
        }
    }
    let roughness = if n == 0 { 0.0 } else { sum as f64 / n as f64 };
    Some(Picture { width, height, roughness })
}

/// A decoded keyframe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    /// The mean luma step between horizontal neighbours (0–255).
    pub roughness: f64,
}

impl Picture {
    /// Roughness above which a decoded frame is noise, not a picture. A keyframe of Chromium's
    /// fake camera measures 0.4; a keyframe whose body was replaced by random bytes was refused
    /// by the decoder in each of 20 tries, and one that did decode would be noise.
    pub const NOISE: f64 = 15.0;

    pub fn is_picture(&self) -> bool {
        self.roughness < Self::NOISE
    }
}

/// A VP8 keyframe in a WebP container (RIFF, `WEBP`, one `VP8 ` chunk).
fn webp_of(frame: &[u8]) -> Vec<u8> {
    let padded = frame.len() + frame.len() % 2;
    let mut out = Vec::with_capacity(20 + padded);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((12 + padded) as u32).to_le_bytes());
    out.extend_from_slice(b"WEBPVP8 ");
    out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    out.extend_from_slice(frame);
    if frame.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// One forwarded stream, reassembled.
struct Stream {
    kind: MediaKind,
    packets: u64,
    frames: Vec<Vec<u8>>,
    /// The VP8 frame being put together, and the sequence number expected next.
    current: Option<Vec<u8>>,
    next_sequence: Option<u16>,
}

/// Everything the tap received, by SSRC.
#[derive(Default)]
pub struct Recorder {
    streams: Mutex<HashMap<u32, Stream>>,
}

impl Recorder {
    pub fn record(&self, packet: &ReceivedRtp<'_>) {
        let mut streams = self.streams.lock().expect("the tap's lock is never held across a panic");
        let stream = streams.entry(packet.ssrc).or_insert_with(|| Stream {
            kind: packet.kind,
            packets: 0,
            frames: Vec::new(),
            current: None,
            next_sequence: None,
        });
        stream.packets += 1;
        if stream.frames.len() >= MAX_FRAMES {
            return;
        }
        if stream.kind == MediaKind::Audio {
            stream.frames.push(packet.payload.to_vec());
            return;
        }
        // A gap drops the frame being put together: only whole frames are judged.
        if stream.next_sequence.is_some_and(|next| next != packet.sequence) {
            stream.current = None;
        }
        stream.next_sequence = Some(packet.sequence.wrapping_add(1));
        let Some((at, start)) = vp8_descriptor(packet.payload) else { return };
        if start {
            stream.current = Some(Vec::new());
        }
        if let Some(frame) = stream.current.as_mut() {
            frame.extend_from_slice(&packet.payload[at..]);
        }
        if packet.marker
            && let Some(frame) = stream.current.take()
        {
            stream.frames.push(frame);
        }
    }

    /// Packets received so far, of every stream.
    pub fn packets(&self) -> u64 {
        self.streams.lock().expect("the tap's lock is never held across a panic").values().map(|s| s.packets).sum()
    }

    /// The judgement over everything recorded so far.
    pub fn report(&self) -> TapReport {
        let streams = self.streams.lock().expect("the tap's lock is never held across a panic");
        let mut report = TapReport::default();
        for stream in streams.values() {
            let side = match stream.kind {
                MediaKind::Audio => &mut report.audio,
                MediaKind::Video => &mut report.video,
            };
            side.add(stream);
        }
        report
    }

    /// The VP8 keyframes recorded, for a closer look (`--dump`).
    pub fn keyframes(&self) -> Vec<Vec<u8>> {
        let streams = self.streams.lock().expect("the tap's lock is never held across a panic");
        streams
            .values()
            .filter(|s| s.kind == MediaKind::Video)
            .flat_map(|s| s.frames.iter().filter(|f| is_vp8_keyframe(f)).cloned())
            .collect()
    }
}

/// What the tap saw of one kind of media.
#[derive(Debug, Default, Clone, Serialize)]
pub struct KindReport {
    pub streams: u64,
    pub packets: u64,
    /// Whole frames judged (for audio: packets).
    pub frames: u64,
    /// Frames that continue an SFrame chain: a header whose key id the stream used before, with
    /// a counter above the one before (the first frame of each key only opens the chain).
    pub chained: u64,
    /// Frames that opened a chain.
    pub chain_starts: u64,
    /// Distinct key ids seen.
    pub key_ids: BTreeSet<u64>,
    /// VP8 keyframes, and how many of them decoded to a picture.
    pub keyframes: u64,
    pub pictures: u64,
    /// Keyframes the decoder refused outright.
    pub refused: u64,
}

impl KindReport {
    fn add(&mut self, stream: &Stream) {
        self.streams += 1;
        self.packets += stream.packets;
        let mut last: Option<SframeHeader> = None;
        let mut seen = BTreeSet::new();
        for frame in &stream.frames {
            self.frames += 1;
            let header = frame_header(stream.kind, frame);
            match (header, last) {
                (Some(h), Some(l)) if h.kid == l.kid && h.ctr > l.ctr => self.chained += 1,
                (Some(h), _) if !seen.contains(&h.kid) => self.chain_starts += 1,
                _ => {}
            }
            if let Some(h) = header {
                seen.insert(h.kid);
                // Media in the clear reads as many "key ids"; a few tell the story.
                if self.key_ids.len() < MAX_KEY_IDS_SHOWN {
                    self.key_ids.insert(h.kid);
                }
            }
            last = header;
            if stream.kind == MediaKind::Video && is_vp8_keyframe(frame) {
                self.keyframes += 1;
                match keyframe_picture(frame) {
                    Some(p) if p.is_picture() => self.pictures += 1,
                    Some(_) => {}
                    None => self.refused += 1,
                }
            }
        }
    }
}

/// The tap's findings (the e2e story reads them; docs/e2ee.md).
#[derive(Debug, Default, Clone, Serialize)]
pub struct TapReport {
    pub video: KindReport,
    pub audio: KindReport,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real VP8 keyframe from Chromium's fake camera, 640×480, recorded by this tap from a
    /// conference without end-to-end encryption (before it existed).
    const KEYFRAME: &[u8] = include_bytes!("../tests/fixtures/chromium-keyframe.vp8");

    #[test]
    fn a_real_keyframe_decodes_to_a_picture() {
        assert!(is_vp8_keyframe(KEYFRAME));
        let picture = keyframe_picture(KEYFRAME).expect("the decoder takes a real keyframe");
        assert_eq!((picture.width, picture.height), (640, 480));
        assert!(picture.is_picture(), "roughness {}", picture.roughness);
    }

    #[test]
    fn a_keyframe_whose_body_is_ciphertext_decodes_to_no_picture() {
        for _ in 0..20 {
            let mut frame = KEYFRAME.to_vec();
            frame[10..].iter_mut().for_each(|b| *b = rand::random());
            if let Some(picture) = keyframe_picture(&frame) {
                assert!(!picture.is_picture(), "random bytes decoded to a picture (roughness {})", picture.roughness);
            }
        }
    }

    #[test]
    fn sframe_headers_read_as_rfc_9605_writes_them() {
        // KID 3, CTR 5: both fit in the config byte.
        assert_eq!(parse_header(&[0x35]), Some(SframeHeader { kid: 3, ctr: 5, len: 1 }));
        // KID 0x1234 (2 bytes), CTR 7.
        assert_eq!(parse_header(&[0x97, 0x12, 0x34]), Some(SframeHeader { kid: 0x1234, ctr: 7, len: 3 }));
        // KID 1, CTR 0x010203 (3 bytes).
        assert_eq!(parse_header(&[0x1a, 0x01, 0x02, 0x03]), Some(SframeHeader { kid: 1, ctr: 0x010203, len: 4 }));
        // Both extended: 6-byte KID, 1-byte CTR.
        let bytes = [0xd8, 1, 2, 3, 4, 5, 6, 9];
        assert_eq!(parse_header(&bytes), Some(SframeHeader { kid: 0x0102_0304_0506, ctr: 9, len: 8 }));
        assert_eq!(parse_header(&[0x97, 0x12]), None, "cut short");
    }

    #[test]
    fn the_clear_prefix_is_what_the_sfu_and_the_depacketiser_need() {
        assert_eq!(clear_prefix(MediaKind::Video, KEYFRAME), 10);
        assert_eq!(clear_prefix(MediaKind::Video, &[0x31, 0, 0, 9, 9]), 3);
        assert_eq!(clear_prefix(MediaKind::Audio, &[0x78, 1, 2]), 1);
        assert_eq!(clear_prefix(MediaKind::Video, &[0x30]), 1, "never past the end");
    }

    fn packet(kind: MediaKind, sequence: u16, marker: bool, payload: &[u8]) -> ReceivedRtp<'_> {
        ReceivedRtp { kind, ssrc: 7, sequence, timestamp: 0, marker, payload }
    }

    #[test]
    fn encrypted_frames_chain_and_frames_in_the_clear_do_not() {
        let recorder = Recorder::default();
        // Twenty encrypted delta frames of key 0x2a, each in two RTP packets.
        let mut seq = 100u16;
        for ctr in 40..60u8 {
            let body: Vec<u8> = (0..60).map(|_| rand::random()).collect();
            let frame: Vec<u8> = [&[0x31, 0x20, 0x01][..], &[0x88, 0x2a, ctr], &body].concat();
            let (a, b) = frame.split_at(30);
            recorder.record(&packet(MediaKind::Video, seq, false, &[&[0x10][..], a].concat()));
            recorder.record(&packet(MediaKind::Video, seq + 1, true, &[&[0x00][..], b].concat()));
            seq += 2;
        }
        let report = recorder.report().video;
        assert_eq!((report.frames, report.chain_starts, report.chained), (20, 1, 19));
        assert_eq!(report.key_ids, BTreeSet::from([0x2a]));

        // The real keyframe in the clear, sent ten times: no chain.
        let recorder = Recorder::default();
        for i in 0..10u16 {
            let mut payload = vec![0x10];
            payload.extend_from_slice(KEYFRAME);
            recorder.record(&packet(MediaKind::Video, i, true, &payload));
        }
        let report = recorder.report().video;
        assert_eq!((report.frames, report.keyframes, report.pictures), (10, 10, 10));
        assert!(report.chained <= 1, "a clear keyframe repeated does not look like a growing counter");
    }

    #[test]
    fn a_lost_packet_drops_its_frame() {
        let recorder = Recorder::default();
        recorder.record(&packet(MediaKind::Video, 1, false, &[0x10, 0x31, 0, 0]));
        recorder.record(&packet(MediaKind::Video, 3, true, &[0x00, 1, 2, 3]));
        recorder.record(&packet(MediaKind::Video, 4, true, &[0x10, 0x31, 0, 0]));
        assert_eq!(recorder.report().video.frames, 1);
    }
}
