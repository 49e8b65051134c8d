//! The subscribe side of a participant's media: the slots of the subscribe connection (a
//! transceiver with a fixed SSRC per track it carries, reused by the next track of its kind),
//! the offers the server makes when they change, and starting the forwarding once the
//! connection is up.

use super::SfuError;
use super::engine::{opus, vp8};
use super::peer::{ClientSignal, PeerTask, codec_kind, index};
use super::publish::{Continuity, Forward, PublishedTrack, VideoSlot};
use crate::media::TrackId;
use crate::media::{MediaKind, Pc, TrackInfo};
use arc_swap::ArcSwapOption;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodingParameters, RTCRtpEncodingParameters};
use std::sync::Arc;
use tokio::task::JoinHandle;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::peer_connection::RTCSessionDescription;
use webrtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit, RtpTransceiver};

/// One outgoing transceiver of the subscribe connection.
pub(super) struct Slot {
    pub(super) kind: MediaKind,
    pub(super) transceiver: Arc<dyn RtpTransceiver>,
    pub(super) out: Arc<TrackLocalStaticRTP>,
    pub(super) ssrc: u32,
    pub(super) continuity: Arc<Continuity>,
    /// The track this slot carries, and whether forwarding has started (after negotiation).
    pub(super) carries: Option<(Arc<PublishedTrack>, bool)>,
    /// The track whose publisher gets this slot's keyframe requests.
    pub(super) current: Arc<ArcSwapOption<PublishedTrack>>,
    pub(super) payload_type: Option<u8>,
    pub(super) feedback: JoinHandle<()>,
    /// For a video slot: the layer the subscriber gets, and the switching between layers.
    pub(super) video: Option<Arc<VideoSlot>>,
}

impl Slot {
    /// The layers a keyframe request for this slot asks for.
    pub(super) fn keyframe_layers(&self) -> u8 {
        VideoSlot::keyframe_layers(self.video.as_deref())
    }
}

impl PeerTask {
    pub(super) async fn forward(&mut self, track: TrackId) {
        // A track that ended meanwhile is simply not forwarded.
        let Some(track) = self.engine.track(track) else {
            return;
        };
        if self.slots.iter().any(|s| s.carries.as_ref().is_some_and(|(t, _)| t.id == track.id)) {
            return;
        }
        let result = match self.slots.iter().position(|s| s.kind == track.kind && s.carries.is_none()) {
            Some(free) => self.reuse_slot(free, track).await,
            None => self.new_slot(track).await,
        };
        match result {
            Ok(()) => self.offer_wanted = true,
            Err(e) => {
                tracing::warn!(participant = %self.participant, error = %e, "cannot add a track to the subscribe connection")
            }
        }
    }

    pub(super) async fn new_slot(&mut self, track: Arc<PublishedTrack>) -> Result<(), SfuError> {
        let pc = self.connection(Pc::Subscribe).await?;
        let ssrc = loop {
            let candidate: u32 = rand::random();
            if candidate != 0 && self.slots.iter().all(|s| s.ssrc != candidate) {
                break candidate;
            }
        };
        let codec = match track.kind {
            MediaKind::Audio => opus(),
            MediaKind::Video => vp8(),
        };
        let encoding = RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters { ssrc: Some(ssrc), ..Default::default() },
            codec,
            ..Default::default()
        };
        let n = self.slots.len();
        let out = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            track.owner.to_string(),
            format!("slot-{n}"),
            format!("slot-{n}"),
            codec_kind(track.kind),
            vec![encoding],
        )));
        let init = RTCRtpTransceiverInit { direction: RTCRtpTransceiverDirection::Sendonly, ..Default::default() };
        let transceiver = pc.add_transceiver_from_track(out.clone(), Some(init)).await?;
        let current: Arc<ArcSwapOption<PublishedTrack>> = Arc::new(ArcSwapOption::empty());
        let video = (track.kind == MediaKind::Video).then(|| Arc::new(VideoSlot::default()));
        let feedback = tokio::spawn(relay_keyframe_requests(out.clone(), current.clone(), video.clone()));
        self.slots.push(Slot {
            kind: track.kind,
            transceiver,
            out,
            ssrc,
            continuity: Arc::new(Continuity::default()),
            carries: Some((track, false)),
            current,
            payload_type: None,
            feedback,
            video,
        });
        Ok(())
    }

    pub(super) async fn reuse_slot(&mut self, index: usize, track: Arc<PublishedTrack>) -> Result<(), SfuError> {
        let slot = &mut self.slots[index];
        slot.transceiver.set_direction(RTCRtpTransceiverDirection::Sendonly).await?;
        if let Some(sender) = slot.transceiver.sender().await? {
            sender.set_streams(vec![track.owner.to_string()]).await?;
        }
        slot.carries = Some((track, false));
        Ok(())
    }

    pub(super) async fn stop_forward(&mut self, track: TrackId) {
        let Some(slot) = self.slots.iter_mut().find(|s| s.carries.as_ref().is_some_and(|(t, _)| t.id == track)) else {
            return;
        };
        if let Some((published, _)) = slot.carries.take() {
            published.remove_forward(&slot.out);
        }
        slot.current.store(None);
        if let Err(e) = slot.transceiver.set_direction(RTCRtpTransceiverDirection::Inactive).await {
            tracing::warn!(error = %e, "cannot deactivate a subscribe slot");
        }
        self.offer_wanted = true;
    }

    /// Offers the subscribe connection's current state, unless an offer is still out.
    pub(super) async fn renegotiate(&mut self) {
        if self.in_flight.is_some() {
            self.dirty = true;
            return;
        }
        match self.offer().await {
            Ok(()) => self.dirty = false,
            Err(e) => {
                tracing::warn!(participant = %self.participant, error = %e, "cannot renegotiate the subscribe connection")
            }
        }
    }

    pub(super) async fn offer(&mut self) -> Result<(), SfuError> {
        let Some(pc) = self.subscribe.clone() else {
            return Ok(());
        };
        let offer = pc.create_offer(None).await?;
        pc.set_local_description(offer.clone()).await?;
        self.gathered(Pc::Subscribe).await;
        let mut tracks = Vec::new();
        let mut carried = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            let Some((track, active)) = &slot.carries else {
                continue;
            };
            if let Some(mid) = slot.transceiver.mid().await? {
                tracks.push(TrackInfo { mid, participant_id: track.owner, kind: track.kind });
            }
            if !active {
                carried.push((i, track.id));
            }
        }
        let sdp = pc.local_description().await.map_or(offer.sdp, |d| d.sdp);
        self.in_flight = Some(carried);
        let _ = self.client.send(ClientSignal::SubscribeOffer { sdp: self.engine.announce_sdp(&sdp), tracks });
        Ok(())
    }

    pub(super) async fn subscribe_answer(&mut self, sdp: String) -> Result<(), SfuError> {
        let (Some(pc), Some(carried)) = (self.subscribe.clone(), self.in_flight.clone()) else {
            return Err(SfuError::OutOfOrder("there is no subscribe offer to answer"));
        };
        let answer = RTCSessionDescription::answer(sdp).map_err(SfuError::invalid_sdp)?;
        pc.set_remote_description(answer).await.map_err(SfuError::invalid_sdp)?;
        self.in_flight = None;
        self.remote_set[index(Pc::Subscribe)] = true;
        self.flush_candidates(Pc::Subscribe).await;
        if self.subscribe_connected {
            for (i, track_id) in carried {
                self.activate_or_warn(i, track_id).await;
            }
        } else {
            self.awaiting_connection.extend(carried);
        }
        if self.dirty {
            self.renegotiate().await;
        }
        Ok(())
    }

    pub(super) async fn activate_or_warn(&mut self, index: usize, track_id: TrackId) {
        if let Err(e) = self.activate(index, track_id).await {
            tracing::warn!(participant = %self.participant, error = %e, "cannot start forwarding a track");
        }
    }

    /// Starts forwarding on a negotiated slot, if it still carries the same track.
    pub(super) async fn activate(&mut self, index: usize, track_id: TrackId) -> Result<(), SfuError> {
        let slot = &mut self.slots[index];
        let Some((track, false)) = slot.carries.clone() else {
            return Ok(());
        };
        if track.id != track_id {
            return Ok(());
        }
        let payload_type = match slot.payload_type {
            Some(pt) => pt,
            None => {
                let sender =
                    slot.transceiver.sender().await?.ok_or(SfuError::Internal("a slot without a sender".into()))?;
                let parameters = sender.get_parameters().await?;
                let pt = parameters
                    .rtp_parameters
                    .codecs
                    .first()
                    .ok_or(SfuError::Internal("no codec negotiated".into()))?
                    .payload_type;
                slot.payload_type = Some(pt);
                pt
            }
        };
        slot.continuity.restart();
        if let Some(video) = &slot.video {
            video.restart();
        }
        track.add_forward(Arc::new(Forward {
            subscriber: self.participant,
            out: slot.out.clone(),
            ssrc: slot.ssrc,
            payload_type,
            continuity: slot.continuity.clone(),
            video: slot.video.clone(),
        }));
        slot.current.store(Some(track.clone()));
        slot.carries = Some((track.clone(), true));
        tracing::debug!(participant = %self.participant, track = track.id, "forwarding starts");
        // Which layer this subscriber gets; then it sees nothing until that layer's keyframe.
        self.allocate();
        let layers = self.slots[index].keyframe_layers();
        track.request_keyframe(layers);
        Ok(())
    }
}

/// Relays a subscriber's keyframe requests for a slot to the publisher it currently carries
/// (for the layer the subscriber gets).
async fn relay_keyframe_requests(
    out: Arc<TrackLocalStaticRTP>,
    current: Arc<ArcSwapOption<PublishedTrack>>,
    video: Option<Arc<VideoSlot>>,
) {
    while let Some(event) = out.poll().await {
        if let TrackLocalEvent::OnRtcpPacket(packets) = event
            && packets.iter().any(|p| super::keyframe::is_keyframe_request(p.as_ref()))
            && let Some(track) = current.load_full()
        {
            track.request_keyframe(VideoSlot::keyframe_layers(video.as_deref()));
        }
    }
}
