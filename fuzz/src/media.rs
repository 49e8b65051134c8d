//! `sdp` and `rtp_rtcp`: what a malicious participant can send the SFU — the SDP of an offer or
//! answer, and (after SRTP, which only the participant's own keys pass) RTP and RTCP packets.

use crate::bytes::Bytes;
use ketentafel::sfu::fuzzing::{ForwardSlot, inbound_rtcp, inbound_rtp, publish_offer};

/// Arbitrary text as a browser's SDP: parsed as an offer and an answer, and negotiated as the
/// publish connection would.
pub fn sdp(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    publish_offer(&text);
}

/// A stream of RTP and RTCP packets from one publisher, forwarded into one subscriber's slot
/// that sometimes changes source: the parsers do not panic, and the slot's numbering stays
/// continuous (consecutive packets keep their distance; a new source continues one after the
/// last packet sent).
pub fn rtp_rtcp(data: &[u8]) {
    let mut bytes = Bytes::new(data);
    let level_extension = match bytes.u8() % 16 {
        0 => None,
        id => Some(id),
    };
    let ts_step = if bytes.bool() { 3_000 } else { 960 };
    let slot = ForwardSlot::new(0x5eed, 96);
    slot.restart();
    // (input sequence number, output sequence number) of the last packet forwarded, and whether
    // the slot changed source since (the next packet that parses continues the numbering).
    let mut last: Option<(u16, u16)> = None;
    let mut restarted = true;
    let mut packets = 0;
    while !bytes.is_empty() && packets < 64 {
        packets += 1;
        match bytes.u8() % 4 {
            0 => {
                inbound_rtcp(bytes.slice(1500));
            }
            op => {
                if op == 1 {
                    slot.restart();
                    restarted = true;
                }
                if let Some(sent) = forward(&slot, bytes.slice(1500), level_extension, ts_step) {
                    match last {
                        Some((_, previous_out)) if restarted => {
                            assert_eq!(sent.1, previous_out.wrapping_add(1), "a new source continues the numbering")
                        }
                        Some((previous_in, previous_out)) => assert_eq!(
                            sent.1.wrapping_sub(previous_out),
                            sent.0.wrapping_sub(previous_in),
                            "the slot keeps the source's distances"
                        ),
                        None => {}
                    }
                    last = Some(sent);
                    restarted = false;
                }
            }
        }
    }
}

/// Forwards one packet; (input, output) sequence numbers if it parsed.
fn forward(slot: &ForwardSlot, packet: &[u8], level_extension: Option<u8>, ts_step: u32) -> Option<(u16, u16)> {
    let input = (packet.len() >= 4).then(|| u16::from_be_bytes([packet[2], packet[3]]))?;
    let (out, _) = inbound_rtp(packet, level_extension, slot, ts_step)?;
    Some((input, out))
}
