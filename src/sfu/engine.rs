//! Building peer connections: codecs (Opus, VP8), interceptors (NACK, reports, keyframe
//! requests), the media sockets (port range, large buffers), no mDNS, AES-GCM first.

use super::congestion::Bitrate;
use super::estimate::{EstimateHandle, SubscriberLink};
use super::keyframe::KeyframeRequestsToApp;
use super::pacer::SubscriberPacer;
use super::publish::PublishedTrack;
use super::report::{ListenerLoss, ListenerLossReports};
use super::runtime::MediaRuntime;
use super::{SfuConfig, SfuError};
use crate::media::{Candidate, Pc, TrackId};
use rtc::dtls::cipher_suite::CipherSuiteId;
use rtc::ice::mdns::MulticastDnsMode;
use rtc::interceptor::{NackGeneratorBuilder, NackResponderBuilder, Registry, Slot, TwccSenderBuilder};
use rtc::peer_connection::configuration::interceptor_registry::{
    configure_rtcp_reports, configure_simulcast_extension_headers, configure_twcc_receiver_only,
};
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpHeaderExtensionCapability, RtpCodecKind,
};
use std::net::{IpAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceCandidateInit, RTCIceGatheringState, RTCPeerConnectionIceEvent, RTCPeerConnectionState, SettingEngine,
    SettingEngineBuilder, SrtpProtectionProfile,
};

/// Connectivity checks per candidate pair before it counts as failed: three seconds' worth at the
/// configured interval, so slow networks (a prison link, a phone) are not given up on early.
const ICE_CHECKS_PER_PAIR: u16 = 300;

/// How long the server's (ICE Lite) side of a connection goes without a check from the browser
/// before it counts as disconnected. A lite agent sends no checks of its own, so this only hears
/// the browser's consent checks (RFC 7675): measured here, Chromium sends one every 2.5 s,
/// Firefox ESR 153 one every 4.0–6.0 s. The library's default of 5 s made every Firefox
/// connection flap between disconnected and connected, and each return asked every publisher
/// for a keyframe.
const SERVER_ICE_DISCONNECTED: std::time::Duration = std::time::Duration::from_secs(8);

/// After disconnected, this long again before failed: 30 s in all, as with the library's defaults.
const SERVER_ICE_FAILED_AFTER: std::time::Duration = std::time::Duration::from_secs(22);

/// The RTP header extension that carries audio levels (RFC 6464), for the active speaker.
pub(crate) const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

/// Opus, as browsers send it: 48 kHz stereo, in-band FEC.
pub(crate) fn opus() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48_000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

/// VP8 with retransmission requests and keyframe requests.
pub(crate) fn vp8() -> RTCRtpCodec {
    let feedback = |typ: &str, parameter: &str| RTCPFeedback { typ: typ.to_owned(), parameter: parameter.to_owned() };
    RTCRtpCodec {
        mime_type: MIME_TYPE_VP8.to_owned(),
        clock_rate: 90_000,
        channels: 0,
        sdp_fmtp_line: String::new(),
        rtcp_feedback: vec![feedback("nack", ""), feedback("nack", "pli"), feedback("ccm", "fir")],
    }
}

/// The codecs and interceptors of one connection, and (on the server's side) the handle of its
/// bandwidth estimate and what the listeners of the audio it receives lose.
/// `initial`: where the server's estimate of the link starts (what it was on the participant's
/// last connection; `None` for the default).
pub(crate) fn media_engine_and_interceptors(
    pc: Pc,
    side: Side,
    initial: Option<Bitrate>,
    nack: Nack,
) -> Result<(MediaEngine, Registry, EstimateHandle, Arc<ListenerLoss>), SfuError> {
    let mut engine = MediaEngine::default();
    // Codecs first: registering the default interceptors adds feedback to registered codecs only.
    engine.register_codec(RTCRtpCodecParameters { rtp_codec: opus(), payload_type: 111 }, RtpCodecKind::Audio)?;
    engine.register_codec(RTCRtpCodecParameters { rtp_codec: vp8(), payload_type: 96 }, RtpCodecKind::Video)?;
    engine.register_header_extension(
        RTCRtpHeaderExtensionCapability { uri: AUDIO_LEVEL_URI.to_owned() },
        RtpCodecKind::Audio,
        None,
    )?;
    // The library's defaults (NACK, TWCC feedback, reports, the MID extensions), except that
    // the NACK responder keeps a shorter history (see `NACK_HISTORY`), or none where the
    // application answers NACKs itself. VP8's `nack` and `nack pli` feedback is in `vp8()`
    // already.
    let registry = Registry::new().with(Slot::NackGenerator, NackGeneratorBuilder::new().build());
    let registry = match nack {
        Nack::Library => {
            registry.with(Slot::NackResponder, NackResponderBuilder::new().with_size(NACK_HISTORY).build())
        }
        Nack::Application => registry,
    };
    configure_simulcast_extension_headers(&mut engine)?;
    let registry = configure_rtcp_reports(configure_twcc_receiver_only(registry, &mut engine)?);
    // Closest to the application, so it sees what the others left.
    let registry = registry.with(Slot::from(14_000), KeyframeRequestsToApp::new(nack == Nack::Application));
    // The server numbers what it sends for transport-wide feedback and estimates each
    // subscriber's link from it (`estimate`): what the layer allocation shares out, and what the
    // video is paced at when the allocation follows the link (`pacer`). Browsers
    // send the feedback because the transport-cc extension and feedback are negotiated above.
    let listener_loss = Arc::new(ListenerLoss::default());
    let (registry, estimate) = match side {
        Side::Server => {
            let (link, handle) = SubscriberLink::new(initial);
            let registry = registry
                .with(Slot::Pacer, SubscriberPacer::new(handle.clone()))
                .with(Slot::TwccSender, TwccSenderBuilder::new().build())
                .with(Slot::CongestionControl, link);
            (registry, handle)
        }
        Side::Client => (registry, EstimateHandle::default()),
    };
    // On the server's publishing connections only, which carry no media from the server (an
    // interceptor more on a subscribe connection is one more move of every forwarded packet).
    // Wire-ward of the receiver reports' generator, so it sees each report it makes.
    let registry = match (side, pc) {
        (Side::Server, Pc::Publish) => registry
            .with(Slot::from(Slot::ReceiverReport.slot() - 500), ListenerLossReports::new(listener_loss.clone())),
        _ => registry,
    };
    Ok((engine, registry, estimate, listener_loss))
}

/// Who answers the NACKs for what a connection sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nack {
    /// The library's NACK responder, from its own copy of each packet sent.
    Library,
    /// The application, from what it sent (the owned loop: `shard::history`); the NACKs reach
    /// it as RTCP for the track.
    Application,
}

/// Packets of each outgoing video stream kept for retransmission on a NACK (a power of two):
/// by the library's NACK responder on the engine's connections, by the loop's own history on
/// the loop's (`shard::history`, which shares each packet between the subscribers it went to
/// and keeps of a rewritten one only the bytes that differ). 256 is 2.5 s of the top layer a browser sends (1 Mbit/s, `web/js/room/layers.js`) and a
/// second of 2.5 Mbit/s: a NACK comes within a round trip or two, and the pacer resends no
/// packet first sent over a second (or three round trips) ago (`pacer::REPAIR_MAX_AGE`). The
/// library keeps 1,024; 512 took a quarter off the server's memory per participant, and 256
/// another 22 % (37 % with simulcast, where a subscriber whose layer switch moved the picture
/// numbering holds a rewritten copy of every packet; docs/performance.md).
pub(super) const NACK_HISTORY: u16 = 256;

/// How many peer-connection handlers are alive: one per open connection. A closed connection
/// that is not freed shows up here (the leak tests read it).
static LIVE_CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

/// What the SFU of this process forwarded since it started (Prometheus counters).
#[derive(Debug, Clone, Copy, Default)]
pub struct MediaTotals {
    pub received: u64,
    pub forwarded: u64,
    pub bytes_forwarded: u64,
    pub dropped: u64,
}

pub(crate) static RECEIVED: AtomicU64 = AtomicU64::new(0);
pub(crate) static FORWARDED: AtomicU64 = AtomicU64::new(0);
pub(crate) static BYTES_FORWARDED: AtomicU64 = AtomicU64::new(0);
pub(crate) static DROPPED: AtomicU64 = AtomicU64::new(0);

/// The media totals of this process.
pub fn media_totals() -> MediaTotals {
    MediaTotals {
        received: RECEIVED.load(Ordering::Relaxed),
        forwarded: FORWARDED.load(Ordering::Relaxed),
        bytes_forwarded: BYTES_FORWARDED.load(Ordering::Relaxed),
        dropped: DROPPED.load(Ordering::Relaxed),
    }
}

/// Open peer connections in this process.
pub fn live_peer_connections() -> usize {
    LIVE_CONNECTIONS.load(Ordering::SeqCst)
}

/// What a connection reports to its peer's task.
pub(crate) enum PcEvent {
    Candidate(Pc, Option<Candidate>),
    Track(Arc<dyn TrackRemote>),
    State(Pc, RTCPeerConnectionState),
}

/// The callbacks of one connection. They run on the connection's own driver task, which also
/// moves its packets, so they only hand events over and never wait.
struct Handler {
    pc: Pc,
    events: mpsc::UnboundedSender<PcEvent>,
    /// Set once the local candidates are all known.
    gathered: watch::Sender<bool>,
}

/// A new connection, and whether its local candidates are all known yet.
pub(crate) struct Built {
    pub pc: Arc<dyn PeerConnection>,
    pub gathered: watch::Receiver<bool>,
    /// What the link to the other side carries, as its feedback shows (server side only).
    pub estimate: EstimateHandle,
    /// What the listeners of the audio this connection receives lose, for the reports to its
    /// publisher (server side only; [`super::report`]).
    pub listener_loss: Arc<ListenerLoss>,
}

/// Waits (briefly) until all local candidates are known, so the description we send carries
/// them. The media library only starts connectivity checks towards candidates it had when the
/// other side's description arrived, or at its next timer — up to a second later — for ones
/// trickled afterwards; candidates in the description avoid that wait.
pub(crate) async fn candidates_gathered(gathered: &watch::Receiver<bool>) {
    let mut gathered = gathered.clone();
    let _ = tokio::time::timeout(GATHERING_PATIENCE, gathered.wait_for(|done| *done)).await;
}

/// Host candidates are known within milliseconds; this only bounds a pathological case.
const GATHERING_PATIENCE: std::time::Duration = std::time::Duration::from_millis(250);

impl Drop for Handler {
    fn drop(&mut self) {
        LIVE_CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        match event.candidate.to_json() {
            Ok(init) => {
                let candidate = Candidate {
                    candidate: init.candidate,
                    sdp_mid: init.sdp_mid,
                    sdp_m_line_index: init.sdp_mline_index,
                    username_fragment: init.username_fragment,
                };
                let _ = self.events.send(PcEvent::Candidate(self.pc, Some(candidate)));
            }
            Err(e) => tracing::warn!(error = %e, "cannot serialise a local ICE candidate"),
        }
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(true);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.events.send(PcEvent::State(self.pc, state));
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.events.send(PcEvent::Track(track));
    }
}

/// Builds connections with the service's media settings.
/// Which end of a connection we build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

#[derive(Debug)]
pub(crate) struct Engine {
    pub config: SfuConfig,
    runtime: Arc<MediaRuntime>,
    /// Where the next search for a free port in the range starts.
    next_port: AtomicUsize,
    /// The tracks published on this node, by id: rooms name tracks by id only, the engine
    /// holds them. Locked when a track comes, goes or is bound to a subscriber, never per packet.
    tracks: std::sync::Mutex<std::collections::HashMap<TrackId, Arc<PublishedTrack>>>,
    /// Each participant's latest link estimate, so that a connection made again (a rejoin after
    /// a drop, on the same weak link) starts from what the link carried instead of from the
    /// default, which on a link of a few hundred kilobits floods it for the first seconds.
    estimates: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, (Bitrate, std::time::Instant)>>,
}

/// How long a participant's estimate is remembered after it was last seen.
const RECALL: std::time::Duration = std::time::Duration::from_secs(60);

impl Engine {
    pub fn new(config: SfuConfig) -> Self {
        let runtime = Arc::new(MediaRuntime { socket_buffer: config.socket_buffer });
        Engine {
            config,
            runtime,
            next_port: AtomicUsize::new(0),
            tracks: Default::default(),
            estimates: Default::default(),
        }
    }

    /// Notes `participant`'s current link estimate (twice a second, from the allocation).
    pub fn remember_estimate(&self, participant: uuid::Uuid, estimate: Bitrate) {
        let now = std::time::Instant::now();
        let mut estimates = self.estimates.lock().expect("the estimate lock is never held across a panic");
        if estimates.len() >= 1024 {
            estimates.retain(|_, (_, at)| now.saturating_duration_since(*at) < RECALL);
        }
        estimates.insert(participant, (estimate, now));
    }

    /// `participant`'s estimate, if one was noted lately.
    pub fn recall_estimate(&self, participant: uuid::Uuid) -> Option<Bitrate> {
        let estimates = self.estimates.lock().expect("the estimate lock is never held across a panic");
        let &(estimate, at) = estimates.get(&participant)?;
        (at.elapsed() < RECALL).then_some(estimate)
    }

    /// Keeps a newly published track until [`Engine::forget`].
    pub fn register(&self, track: Arc<PublishedTrack>) {
        self.tracks.lock().expect("the track registry lock is never held across a panic").insert(track.id, track);
    }

    /// The published track with this id, while it lives.
    pub fn track(&self, id: TrackId) -> Option<Arc<PublishedTrack>> {
        self.tracks.lock().expect("the track registry lock is never held across a panic").get(&id).cloned()
    }

    /// Drops an ended track.
    pub fn forget(&self, id: TrackId) {
        self.tracks.lock().expect("the track registry lock is never held across a panic").remove(&id);
    }

    /// A free UDP port in the configured range (0 = any), checked by binding it briefly. The
    /// library binds its own socket right after; losing that race to another process is
    /// possible but rare, and the connection then fails visibly.
    fn pick_port(&self, ip: IpAddr) -> Result<u16, SfuError> {
        let Some((low, high)) = self.config.port_range else {
            return Ok(0);
        };
        let span = usize::from(high - low) + 1;
        for _ in 0..span {
            let offset = self.next_port.fetch_add(1, Ordering::Relaxed) % span;
            let port = low + offset as u16;
            if UdpSocket::bind((ip, port)).is_ok() {
                return Ok(port);
            }
        }
        Err(SfuError::Internal(format!("no free UDP port in {low}-{high}")))
    }

    /// A new connection whose events go to `events`: the server's side of a participant's
    /// connection, or (`Side::Client`) a headless participant's.
    pub async fn build(
        &self,
        pc: Pc,
        side: Side,
        events: mpsc::UnboundedSender<PcEvent>,
        initial: Option<Bitrate>,
    ) -> Result<Built, SfuError> {
        let (media, interceptors, estimate, listener_loss) =
            media_engine_and_interceptors(pc, side, initial, Nack::Library)?;
        let settings = self.settings(side);
        let ip = self.config.media_ip;
        let port = self.pick_port(ip)?;
        LIVE_CONNECTIONS.fetch_add(1, Ordering::SeqCst);
        let (gathered_tx, gathered) = watch::channel(false);
        let handler = Arc::new(Handler { pc, events, gathered: gathered_tx });
        let connection = PeerConnectionBuilder::new()
            .with_runtime(self.runtime.clone())
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(media)
            .with_interceptor_registry(interceptors)
            .with_setting_engine(settings)
            .with_handler(handler)
            .with_udp_addrs(vec![format!("{ip}:{port}")])
            .build()
            .await?;
        Ok(Built { pc: Arc::new(connection), gathered, estimate, listener_loss })
    }

    /// The connection settings of one side (the server's, or a headless participant's).
    pub(crate) fn settings(&self, side: Side) -> SettingEngine {
        self.setting_builder(side).build()
    }

    /// [`Engine::settings`], still open for more (the media loop adds fixed ICE credentials).
    pub(crate) fn setting_builder(&self, side: Side) -> SettingEngineBuilder {
        let builder = SettingEngineBuilder::new()
            // The default mode binds UDP 5353 and joins multicast: useless on a server, and it
            // fails in containers and network namespaces without multicast.
            .with_multicast_dns_mode(MulticastDnsMode::Disabled)
            // DTLS with forward secrecy and AEAD only (no CBC suites): the certificates made
            // here are ECDSA P-256, and every browser offers these two.
            .with_dtls_cipher_suites(vec![
                CipherSuiteId::Tls_Ecdhe_Ecdsa_With_Aes_128_Gcm_Sha256,
                CipherSuiteId::Tls_Ecdhe_Ecdsa_With_ChaCha20_Poly1305_Sha256,
            ])
            // AES-GCM costs a fifth of AES-CM + HMAC per packet; browsers offer both.
            .with_srtp_protection_profiles(vec![
                SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm,
                SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm,
                SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80,
            ])
            // A client's connectivity checks every 10 ms instead of 200: joins complete in tens
            // of ms.
            .with_ice_connection_attempts(Some(self.config.ice_check_interval), Some(ICE_CHECKS_PER_PAIR))
            // The server runs ICE Lite (RFC 8445 §2.5), as SFUs with a public address do: it only
            // answers checks, and the browser, always controlling, picks the pair. As a full agent
            // it would nominate on the subscribe connection itself, and wait a second before it
            // accepts a peer-reflexive pair, which is what every browser that hides its address
            // behind an mDNS name gets (two seconds for a relayed one).
            .with_lite(side == Side::Server);
        match side {
            Side::Server => {
                builder.with_ice_timeouts(Some(SERVER_ICE_DISCONNECTED), Some(SERVER_ICE_FAILED_AFTER), None)
            }
            Side::Client => builder,
        }
    }

    /// Rewrites our host candidates to the announced public address (NAT 1:1), which the media
    /// library accepts as a setting but does not apply.
    pub fn announce(&self, candidate: &str) -> String {
        match self.config.announce_ip {
            Some(public) => rewrite_candidate_ip(candidate, self.config.media_ip, public),
            None => candidate.to_owned(),
        }
    }

    /// The same rewrite for every `a=candidate` line of an SDP.
    pub fn announce_sdp(&self, sdp: &str) -> String {
        if self.config.announce_ip.is_none() {
            return sdp.to_owned();
        }
        sdp.split_inclusive('\n')
            .map(|line| match line.strip_prefix("a=") {
                Some(rest) if rest.starts_with("candidate:") => {
                    format!("a={}", self.announce(rest))
                }
                _ => line.to_owned(),
            })
            .collect()
    }
}

/// `candidate:<foundation> <component> <protocol> <priority> <ip> <port> typ host …`: replaces
/// the address field when it is `from` (or any address, when we bound the wildcard).
fn rewrite_candidate_ip(candidate: &str, from: IpAddr, to: IpAddr) -> String {
    let mut fields: Vec<String> = candidate.split(' ').map(str::to_owned).collect();
    let is_host = fields.windows(2).any(|w| w[0] == "typ" && w[1] == "host");
    if fields.len() > 5 && is_host && (from.is_unspecified() || fields[4] == from.to_string()) {
        fields[4] = to.to_string();
    }
    fields.join(" ")
}

/// Adds a trickled remote candidate of the other side.
pub(crate) async fn add_remote_candidate(pc: &Arc<dyn PeerConnection>, candidate: Candidate) -> Result<(), SfuError> {
    let init = RTCIceCandidateInit {
        candidate: candidate.candidate,
        sdp_mid: candidate.sdp_mid,
        sdp_mline_index: candidate.sdp_m_line_index,
        username_fragment: candidate.username_fragment,
        ..Default::default()
    };
    pc.add_ice_candidate(init).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_candidate_is_announced_at_the_public_address() {
        let from: IpAddr = "10.0.0.5".parse().unwrap();
        let to: IpAddr = "203.0.113.7".parse().unwrap();
        let line = "candidate:1 1 udp 2130706431 10.0.0.5 40012 typ host generation 0";
        assert_eq!(
            rewrite_candidate_ip(line, from, to),
            "candidate:1 1 udp 2130706431 203.0.113.7 40012 typ host generation 0"
        );
    }

    #[test]
    fn other_addresses_and_types_are_left_alone() {
        let from: IpAddr = "10.0.0.5".parse().unwrap();
        let to: IpAddr = "203.0.113.7".parse().unwrap();
        let other = "candidate:1 1 udp 2130706431 10.0.0.6 40012 typ host";
        assert_eq!(rewrite_candidate_ip(other, from, to), other);
        let relay = "candidate:2 1 udp 16777215 10.0.0.5 3478 typ relay raddr 0.0.0.0 rport 0";
        assert_eq!(rewrite_candidate_ip(relay, from, to), relay);
    }
}
