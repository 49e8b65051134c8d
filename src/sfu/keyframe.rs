//! Lets keyframe requests reach us. In `webrtc` 0.21 inbound RTCP stops at the end of the
//! interceptor chain unless an interceptor marks it for the application; this one passes on
//! exactly the picture-loss and full-intra requests (PLI, FIR) that subscribers send about the
//! tracks we forward, so they can be relayed to the publisher, and the NACKs where the
//! application answers them (the owned loop, `shard::history`). Everything else was already
//! used by the interceptors below it (the library's NACK responder, reports) and is dropped
//! here.

use rtc::interceptor::{Attribute, Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use std::collections::VecDeque;
use std::time::Instant;

/// Whether an RTCP packet asks for a keyframe.
pub(crate) fn is_keyframe_request(packet: &dyn rtc::rtcp::Packet) -> bool {
    let any = packet.as_any();
    any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>()
}

/// The interceptor; a pass-through queue in both directions.
#[derive(Default)]
pub(crate) struct KeyframeRequestsToApp {
    /// Whether NACKs are passed on too.
    nacks: bool,
    reads: VecDeque<TaggedPacket>,
    writes: VecDeque<TaggedPacket>,
}

impl KeyframeRequestsToApp {
    /// One that passes on the NACKs too, if `nacks`.
    pub(crate) fn new(nacks: bool) -> Self {
        KeyframeRequestsToApp { nacks, ..Default::default() }
    }

    fn wanted(&self, packet: &dyn rtc::rtcp::Packet) -> bool {
        is_keyframe_request(packet) || (self.nacks && packet.as_any().is::<TransportLayerNack>())
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for KeyframeRequestsToApp {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, mut message: TaggedPacket) -> Result<(), Error> {
        if let Packet::Rtcp(packets) = &message.message.packet {
            let keep: Vec<Box<dyn rtc::rtcp::Packet>> =
                packets.iter().filter(|p| self.wanted(p.as_ref())).cloned().collect();
            if keep.is_empty() {
                return Ok(());
            }
            message.message.packet = Packet::Rtcp(keep);
            message.message.add(Attribute::DeliverToApplication);
        }
        self.reads.push_back(message);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.reads.pop_front()
    }

    fn handle_write(&mut self, message: TaggedPacket) -> Result<(), Error> {
        self.writes.push_back(message);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.writes.pop_front()
    }
}

impl Interceptor for KeyframeRequestsToApp {
    fn bind_local_stream(&mut self, _: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _: &StreamInfo) {}
}
