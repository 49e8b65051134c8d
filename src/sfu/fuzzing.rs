//! Entry points for the fuzz targets in `fuzz/` (docs/fuzzing.md): what the SFU does with the
//! text and bytes a participant controls, without sockets. Hidden from the docs; not an API the
//! service uses.
//!
//! - [`publish_offer`]: a browser's offer through the negotiation the publish connection does
//!   (parse, set as remote description on the server's side with the service's codecs and
//!   settings, answer); an answer is parsed as `subscribe_answer` does first.
//! - [`inbound_rtp`] and [`inbound_rtcp`]: what arrives after SRTP from a participant, through the
//!   packet parsers and our own part of the forwarding path (audio level, extension stripping,
//!   keyframe detection, slot numbering, the keyframe-request interceptor).

use super::engine::{Engine, Nack, Side, media_engine_and_interceptors};
use super::keyframe::{KeyframeRequestsToApp, is_keyframe_request};
use super::publish::{Continuity, audio_level, strip_extensions, vp8_keyframe_start};
use crate::media::Pc;
use rtc::interceptor::{AttributedPacket, Packet, TaggedPacket};
use rtc::peer_connection::RTCPeerConnectionBuilder;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::sansio::Protocol;
use rtc::shared::marshal::{Marshal, Unmarshal};
use rtc::shared::{TransportContext, TransportMessage};
use std::time::Instant;

/// A browser's SDP as the publish connection takes an offer: parsed, set as the remote
/// description of a server-side connection built with the service's media engine and settings,
/// answered. Also parsed as an answer, as `subscribe_answer` does before anything else. Returns
/// whether an answer was produced.
pub fn publish_offer(sdp: &str) -> bool {
    let _ = RTCSessionDescription::answer(sdp.to_owned());
    let Ok(offer) = RTCSessionDescription::offer(sdp.to_owned()) else {
        return false;
    };
    let engine = Engine::new(super::SfuConfig::default());
    let Ok((media, interceptors, _, _)) = media_engine_and_interceptors(Pc::Publish, Side::Server, None, Nack::Library)
    else {
        return false;
    };
    let now = Instant::now();
    let Ok(mut pc) = RTCPeerConnectionBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(interceptors)
        .with_setting_engine(engine.settings(Side::Server))
        .build(now)
    else {
        return false;
    };
    if pc.set_remote_description(now, offer).is_err() {
        return false;
    }
    let Ok(answer) = pc.create_answer(None) else {
        return false;
    };
    let answered = pc.set_local_description(now, answer.clone()).is_ok();
    // What we answer must itself be a description a browser can parse.
    RTCSessionDescription::answer(answer.sdp).expect("our own answer parses");
    answered
}

/// One RTP packet from a publisher, through what the forwarding loop does with it, forwarded
/// into `slot` (one subscriber's outgoing slot). `level_extension` is the negotiated id of the
/// audio-level extension; `ts_step` the timestamp step of a slot that changes source. Returns
/// the rewritten packet's sequence number and timestamp, or `None` if it does not parse.
pub fn inbound_rtp(packet: &[u8], level_extension: Option<u8>, slot: &ForwardSlot, ts_step: u32) -> Option<(u16, u32)> {
    let mut packet = rtc::rtp::Packet::unmarshal(&mut &packet[..]).ok()?;
    if let Some(id) = level_extension
        && let Some(level) = audio_level(&packet.header, id)
    {
        assert!(level <= 127, "an inverted RFC 6464 level is 0..=127");
    }
    strip_extensions(&mut packet.header);
    let _ = vp8_keyframe_start(&packet.payload);
    let (seq, ts) = slot.continuity.map(packet.header.sequence_number, packet.header.timestamp, ts_step);
    let mut copy = packet.clone();
    copy.header.ssrc = slot.ssrc;
    copy.header.payload_type = slot.payload_type;
    (copy.header.sequence_number, copy.header.timestamp) = (seq, ts);
    // What we send on must be a well-formed packet that says what we set.
    if let Ok(bytes) = copy.marshal() {
        let again = rtc::rtp::Packet::unmarshal(&mut &bytes[..]).expect("a packet we wrote parses again");
        assert_eq!(
            (again.header.ssrc, again.header.payload_type, again.header.sequence_number, again.header.timestamp),
            (slot.ssrc, slot.payload_type, seq, ts)
        );
        assert!(!again.header.extension && again.header.extensions.is_empty(), "extensions were stripped");
        assert_eq!(again.payload, copy.payload);
    }
    let mut interceptor = KeyframeRequestsToApp::default();
    let _ = interceptor.handle_read(tagged(Packet::Rtp(packet)));
    assert!(interceptor.poll_read().is_some(), "RTP passes the keyframe-request interceptor");
    Some((seq, ts))
}

/// One subscriber's outgoing slot: its SSRC, payload type and numbering.
#[derive(Debug, Default)]
pub struct ForwardSlot {
    pub ssrc: u32,
    pub payload_type: u8,
    continuity: Continuity,
}

impl ForwardSlot {
    pub fn new(ssrc: u32, payload_type: u8) -> Self {
        ForwardSlot { ssrc, payload_type, continuity: Continuity::default() }
    }

    /// The slot starts carrying another source.
    pub fn restart(&self) {
        self.continuity.restart();
    }
}

/// A compound RTCP packet from a participant, through the parser and the interceptor that
/// passes keyframe requests to us. Returns how many keyframe requests reach the application.
pub fn inbound_rtcp(bytes: &[u8]) -> usize {
    let Ok(packets) = rtc::rtcp::packet::unmarshal(&mut &bytes[..]) else {
        return 0;
    };
    let requests = packets.iter().filter(|p| is_keyframe_request(p.as_ref())).count();
    for packet in &packets {
        // Every parsed packet can be written again (a relayed PLI is).
        if let Ok(raw) = packet.marshal() {
            let _ = rtc::rtcp::packet::unmarshal(&mut &raw[..]);
        }
    }
    let mut interceptor = KeyframeRequestsToApp::default();
    let _ = interceptor.handle_read(tagged(Packet::Rtcp(packets)));
    let delivered = match interceptor.poll_read() {
        Some(message) => match message.message.packet {
            Packet::Rtcp(kept) => kept.len(),
            other => panic!("RTCP in, {other:?} out"),
        },
        None => 0,
    };
    assert_eq!(delivered, requests, "exactly the keyframe requests reach the application");
    requests
}

fn tagged(packet: Packet) -> TaggedPacket {
    TransportMessage {
        now: Instant::now(),
        transport: TransportContext::default(),
        message: AttributedPacket::new(packet),
    }
}
