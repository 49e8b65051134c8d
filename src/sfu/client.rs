//! The client side of the media, for headless participants (tests and the load harness): a
//! publish connection that offers audio and video (one stream, or three simulcast layers) and
//! sends what it is given, and a subscribe connection that answers the server's offers and
//! hands every received payload on. Kept here so that no other module touches the media
//! library's types.

use super::SfuError;
use super::engine::{Built, Engine, PcEvent, Side, add_remote_candidate, candidates_gathered, opus, vp8};
use super::keyframe::is_keyframe_request;
use crate::media::{Candidate, MediaKind, Pc};
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp;
use rtc::rtp::extension::HeaderExtension;
use rtc::rtp::extension::audio_level_extension::AudioLevelExtension;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind};
use rtc::shared::marshal::{Marshal, MarshalSize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, watch};
use tokio::task::JoinHandle;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::TrackRemoteEvent;
use webrtc::peer_connection::{PeerConnection, RTCPeerConnectionState, RTCSessionDescription};
use webrtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};

/// Called with each local ICE candidate, to send it to the server.
pub type CandidateSink = Box<dyn Fn(Candidate) + Send + Sync>;
/// Called with each received RTP packet.
pub type PayloadSink = Arc<dyn Fn(&Received<'_>) + Send + Sync>;

/// One received RTP packet, as a headless participant sees it.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub kind: MediaKind,
    pub ssrc: u32,
    pub sequence: u16,
    pub timestamp: u32,
    /// The last packet of a video frame.
    pub marker: bool,
    pub payload: &'a [u8],
}

/// Candidates that arrive before the remote description wait here.
struct Remote {
    described: bool,
    queued: Vec<Candidate>,
}

async fn add_candidate(pc: &Arc<dyn PeerConnection>, remote: &Mutex<Remote>, candidate: Candidate) {
    let mut remote = remote.lock().await;
    if !remote.described {
        remote.queued.push(candidate);
        return;
    }
    let _ = add_remote_candidate(pc, candidate).await;
}

async fn described(pc: &Arc<dyn PeerConnection>, remote: &Mutex<Remote>) {
    let queued = {
        let mut remote = remote.lock().await;
        remote.described = true;
        std::mem::take(&mut remote.queued)
    };
    for candidate in queued {
        add_candidate(pc, remote, candidate).await;
    }
}

/// A connection's events: candidates out, connection state into a watch, tracks to `on_track`.
fn pump(
    mut events: mpsc::UnboundedReceiver<PcEvent>,
    on_candidate: CandidateSink,
    connected: watch::Sender<bool>,
    on_track: Option<PayloadSink>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                PcEvent::Candidate(_, Some(candidate)) => on_candidate(candidate),
                PcEvent::Candidate(_, None) => {}
                PcEvent::State(_, state) => {
                    let _ = connected.send(state == RTCPeerConnectionState::Connected);
                }
                PcEvent::Track(remote) => {
                    if let Some(sink) = on_track.clone() {
                        tokio::spawn(async move {
                            let kind = match remote.kind().await {
                                RtpCodecKind::Audio => MediaKind::Audio,
                                _ => MediaKind::Video,
                            };
                            while let Some(event) = remote.poll().await {
                                match event {
                                    TrackRemoteEvent::OnRtpPacket(packet) => sink(&Received {
                                        kind,
                                        ssrc: packet.header.ssrc,
                                        sequence: packet.header.sequence_number,
                                        timestamp: packet.header.timestamp,
                                        marker: packet.header.marker,
                                        payload: &packet.payload,
                                    }),
                                    TrackRemoteEvent::OnEnded => break,
                                    _ => {}
                                }
                            }
                        });
                    }
                }
            }
        }
    })
}

/// The simulcast layers' `rid`s, low to high, as browsers name them.
pub const LAYER_RIDS: [&str; 3] = ["l", "m", "h"];

/// What a headless publisher's video is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PublishedVideo {
    /// One stream, as a browser that refused simulcast sends it.
    #[default]
    Single,
    /// Three simulcast layers ([`LAYER_RIDS`]), each packet naming its layer and the video's
    /// media section in header extensions, as a browser's do.
    Layers,
}

/// `ssrcs` holds one SSRC per encoding; with `rids`, each encoding is that layer.
fn local_track(kind: MediaKind, ssrcs: &[u32], rids: Option<&[&str]>, stream: &str) -> Arc<TrackLocalStaticRTP> {
    let (codec, codec_kind, id) = match kind {
        MediaKind::Audio => (opus(), RtpCodecKind::Audio, "audio"),
        MediaKind::Video => (vp8(), RtpCodecKind::Video, "video"),
    };
    let encodings = ssrcs
        .iter()
        .enumerate()
        .map(|(i, &ssrc)| RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                rid: rids.map(|rids| rids[i].to_owned()).unwrap_or_default(),
                ..Default::default()
            },
            codec: codec.clone(),
            ..Default::default()
        })
        .collect();
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        stream.to_owned(),
        id.to_owned(),
        id.to_owned(),
        codec_kind,
        encodings,
    )))
}

/// An RTP header extension that is a short text (RFC 8852's SDES items: `mid`, `rid`).
struct SdesItem(String);

impl MarshalSize for SdesItem {
    fn marshal_size(&self) -> usize {
        self.0.len()
    }
}

impl Marshal for SdesItem {
    fn marshal_to(&self, buf: &mut [u8]) -> Result<usize, rtc::shared::error::Error> {
        let out = buf.get_mut(..self.0.len()).ok_or(rtc::shared::error::Error::ErrBufferTooSmall)?;
        out.copy_from_slice(self.0.as_bytes());
        Ok(self.0.len())
    }
}

fn sdes(uri: &'static str, value: &str) -> HeaderExtension {
    HeaderExtension::Custom { uri: uri.into(), extension: Box::new(SdesItem(value.to_owned())) }
}

/// The `a=mid` of the media section of `kind` in an SDP (the first one of that kind).
fn mid_of(sdp: &str, kind: &str) -> Option<String> {
    let section = sdp.split("m=").skip(1).find(|section| section.starts_with(kind))?;
    section.lines().find_map(|line| line.strip_prefix("a=mid:")).map(|mid| mid.trim().to_owned())
}

fn packet(ssrc: u32, payload_type: u8, seq: u16, timestamp: u32, marker: bool, payload: bytes::Bytes) -> rtp::Packet {
    let header = rtp::header::Header {
        version: 2,
        marker,
        payload_type,
        sequence_number: seq,
        timestamp,
        ssrc,
        ..Default::default()
    };
    rtp::Packet { header, payload }
}

/// A headless participant's publish connection.
pub struct ClientPublisher {
    pc: Arc<dyn PeerConnection>,
    remote: Mutex<Remote>,
    audio: Arc<TrackLocalStaticRTP>,
    video: Arc<TrackLocalStaticRTP>,
    audio_ssrc: u32,
    /// One per layer (one in all without simulcast).
    video_ssrcs: Vec<u32>,
    /// With layers: the video's media section, for the `mid` extension of each packet.
    video_mid: Option<String>,
    connected: watch::Receiver<bool>,
    /// Keyframe requests (PLI/FIR) that reached the video track, per layer.
    keyframe_requests: Arc<[AtomicU64]>,
    tasks: Vec<JoinHandle<()>>,
}

impl ClientPublisher {
    /// A connection with an audio and a video track, and its offer.
    pub(crate) async fn new(
        engine: &Engine,
        stream: &str,
        on_candidate: CandidateSink,
        sent_as: PublishedVideo,
    ) -> Result<(Self, String), SfuError> {
        let (events, inbox) = mpsc::unbounded_channel();
        let Built { pc, gathered, .. } = engine.build(Pc::Publish, Side::Client, events, None).await?;
        let audio_ssrc = rand::random::<u32>() | 1;
        let (video_ssrcs, rids) = match sent_as {
            PublishedVideo::Single => (vec![rand::random::<u32>() | 1], None),
            PublishedVideo::Layers => (LAYER_RIDS.map(|_| rand::random::<u32>() | 1).to_vec(), Some(&LAYER_RIDS[..])),
        };
        let audio = local_track(MediaKind::Audio, &[audio_ssrc], None, stream);
        let video = local_track(MediaKind::Video, &video_ssrcs, rids, stream);
        for track in [&audio, &video] {
            let init = RTCRtpTransceiverInit { direction: RTCRtpTransceiverDirection::Sendonly, ..Default::default() };
            pc.add_transceiver_from_track(track.clone(), Some(init)).await?;
        }
        let offer = pc.create_offer(None).await?;
        pc.set_local_description(offer.clone()).await?;
        candidates_gathered(&gathered).await;
        let sdp = pc.local_description().await.map_or(offer.sdp, |d| d.sdp);
        let video_mid = match sent_as {
            PublishedVideo::Single => None,
            PublishedVideo::Layers => {
                Some(mid_of(&sdp, "video").ok_or_else(|| SfuError::invalid_sdp("the offer has no video section"))?)
            }
        };
        let (connected_tx, connected) = watch::channel(false);
        let keyframe_requests: Arc<[AtomicU64]> = video_ssrcs.iter().map(|_| AtomicU64::new(0)).collect();
        let counter = keyframe_requests.clone();
        let layers = video_ssrcs.clone();
        let watcher = video.clone();
        let tasks = vec![
            pump(inbox, on_candidate, connected_tx, None),
            tokio::spawn(async move {
                while let Some(event) = watcher.poll().await {
                    let TrackLocalEvent::OnRtcpPacket(packets) = event else { continue };
                    for request in packets.iter().filter(|p| is_keyframe_request(p.as_ref())) {
                        // A request names its layer's SSRC; one naming none asks every layer.
                        let named: Vec<usize> = request
                            .destination_ssrc()
                            .iter()
                            .filter_map(|ssrc| layers.iter().position(|s| s == ssrc))
                            .collect();
                        let asked = if named.is_empty() { (0..layers.len()).collect() } else { named };
                        for layer in asked {
                            counter[layer].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }),
        ];
        let publisher = ClientPublisher {
            pc,
            remote: Mutex::new(Remote { described: false, queued: Vec::new() }),
            audio,
            video,
            audio_ssrc,
            video_ssrcs,
            video_mid,
            connected,
            keyframe_requests,
            tasks,
        };
        Ok((publisher, sdp))
    }

    /// Applies the server's answer.
    pub async fn answer(&self, sdp: String) -> Result<(), SfuError> {
        let answer = RTCSessionDescription::answer(sdp).map_err(SfuError::invalid_sdp)?;
        self.pc.set_remote_description(answer).await.map_err(SfuError::invalid_sdp)?;
        described(&self.pc, &self.remote).await;
        Ok(())
    }

    /// A candidate of the server.
    pub async fn add_candidate(&self, candidate: Candidate) {
        add_candidate(&self.pc, &self.remote, candidate).await;
    }

    /// Waits until the connection is up.
    pub async fn connected(&self, timeout: Duration) -> bool {
        let mut connected = self.connected.clone();
        tokio::time::timeout(timeout, connected.wait_for(|c| *c)).await.is_ok_and(|r| r.is_ok())
    }

    /// How many keyframe requests the server sent so far, for any layer.
    pub fn keyframe_requests(&self) -> u64 {
        self.keyframe_requests.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// How many keyframe requests the server sent so far for one layer (0 without simulcast).
    pub fn keyframe_requests_of(&self, layer: u8) -> u64 {
        self.keyframe_requests.get(usize::from(layer)).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Sends one RTP packet (Opus payload type 111, VP8 96); audio carries its level.
    pub async fn send(
        &self,
        kind: MediaKind,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: bytes::Bytes,
        level: u8,
    ) -> Result<(), SfuError> {
        match kind {
            MediaKind::Audio => {
                let packet = packet(self.audio_ssrc, 111, seq, timestamp, marker, payload);
                let level = HeaderExtension::AudioLevel(AudioLevelExtension { level, voice: level < 60 });
                self.audio.write_rtp_with_extensions(packet, &[level]).await?;
            }
            MediaKind::Video => self.send_layer(0, seq, timestamp, marker, payload).await?,
        }
        Ok(())
    }

    /// Whether the video is sent in simulcast layers.
    pub fn layered(&self) -> bool {
        self.video_mid.is_some()
    }

    /// Sends one RTP packet of the video's `layer` (0 without simulcast), with the `mid` and
    /// `rid` extensions that tell the server which layer a new stream is.
    pub async fn send_layer(
        &self,
        layer: u8,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: bytes::Bytes,
    ) -> Result<(), SfuError> {
        let ssrc = *self
            .video_ssrcs
            .get(usize::from(layer))
            .ok_or_else(|| SfuError::Internal(format!("this publisher sends no layer {layer}")))?;
        let packet = packet(ssrc, 96, seq, timestamp, marker, payload);
        match &self.video_mid {
            Some(mid) => {
                let extensions = [
                    sdes(rtc::sdp::extmap::SDES_MID_URI, mid),
                    sdes(rtc::sdp::extmap::SDES_RTP_STREAM_ID_URI, LAYER_RIDS[usize::from(layer)]),
                ];
                self.video.write_rtp_with_extensions(packet, &extensions).await?;
            }
            None => self.video.write_rtp(packet).await?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        let _ = self.pc.close().await;
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A headless participant's subscribe connection.
pub struct ClientSubscriber {
    pc: Arc<dyn PeerConnection>,
    gathered: watch::Receiver<bool>,
    remote: Mutex<Remote>,
    task: JoinHandle<()>,
}

impl ClientSubscriber {
    pub(crate) async fn new(
        engine: &Engine,
        on_candidate: CandidateSink,
        on_payload: PayloadSink,
    ) -> Result<Self, SfuError> {
        let (events, inbox) = mpsc::unbounded_channel();
        let Built { pc, gathered, .. } = engine.build(Pc::Subscribe, Side::Client, events, None).await?;
        let (connected, _) = watch::channel(false);
        let task = pump(inbox, on_candidate, connected, Some(on_payload));
        Ok(ClientSubscriber { pc, gathered, remote: Mutex::new(Remote { described: false, queued: Vec::new() }), task })
    }

    /// Applies an offer of the server; returns the answer.
    pub async fn answer(&self, sdp: String) -> Result<String, SfuError> {
        let offer = RTCSessionDescription::offer(sdp).map_err(SfuError::invalid_sdp)?;
        self.pc.set_remote_description(offer).await.map_err(SfuError::invalid_sdp)?;
        let answer = self.pc.create_answer(None).await?;
        self.pc.set_local_description(answer.clone()).await?;
        described(&self.pc, &self.remote).await;
        candidates_gathered(&self.gathered).await;
        Ok(self.pc.local_description().await.map_or(answer.sdp, |d| d.sdp))
    }

    pub async fn add_candidate(&self, candidate: Candidate) {
        add_candidate(&self.pc, &self.remote, candidate).await;
    }

    pub async fn close(&self) {
        let _ = self.pc.close().await;
        self.task.abort();
    }
}
