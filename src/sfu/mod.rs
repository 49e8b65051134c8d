//! The media plane: a small SFU on the `webrtc` family. This module is the only place that
//! touches `webrtc`/`rtc` types; the rest of the service sees [`Sfu`] and [`Peer`], so the media
//! engine can be replaced without touching signalling. The rooms' media runs on owned loops on
//! the sans-IO `rtc` core ([`shard`]) by default, or on the engine of before (`engine`, `peer`,
//! `publish`: a `webrtc` task per connection) with `--media-loop false`.
//!
//! - [`engine`]: how connections are built (codecs, interceptors, sockets, NAT announcement).
//! - [`peer`]: one participant's publish and subscribe connections and their negotiation;
//!   `subscribe`: the subscribe connection's slots and offers.
//! - [`publish`]: a published track and its forwarding loop (the hot path).
//! - [`floor`]: the SRTP half of the per-packet floor the load harness compares against.
//! - [`congestion`]: a subscriber's bandwidth estimate from its transport-wide feedback;
//!   `estimate`: the interceptor that feeds it on each of the server's connections.
//! - [`simulcast`]: which layer of each video a subscriber gets, and one continuous stream
//!   across layer switches; `allocate`: the share-out in each subscriber's media task.
//! - [`shard`]: the owned media loop on the sans-IO `rtc` core, one UDP port per loop, and a
//!   participant's media task on it (the default).
//! - `fuzzing` (hidden): entry points for the fuzz targets in `fuzz/` (docs/fuzzing.md).

mod allocate;
pub mod check;
mod client;
pub mod congestion;
mod engine;
mod estimate;
pub mod floor;
#[doc(hidden)]
pub mod fuzzing;
mod keyframe;
mod pacer;
mod peer;
mod publish;
mod report;
mod runtime;
pub mod shard;
pub mod simulcast;
mod subscribe;

pub use client::{
    CandidateSink, ClientPublisher, ClientSubscriber, LAYER_RIDS, PayloadSink, PublishedVideo, Received as ReceivedRtp,
};
pub use engine::{MediaTotals, live_peer_connections, media_totals};
pub use peer::{ClientSignal, MediaEvent, Peer};
pub use publish::{PublishedTrack, TrackCounters, vp8_descriptor};
pub use shard::{ConnId, Owner, Shard, ShardCounts, ShardEvent, hosted_connections as media_loop_connections};

use crate::media::TrackId;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

/// Media settings.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// The address media sockets bind to (`0.0.0.0` binds every non-loopback interface).
    pub media_ip: IpAddr,
    /// UDP ports for media, inclusive; `None` lets the system choose.
    pub port_range: Option<(u16, u16)>,
    /// The public address to announce when behind a 1:1 NAT (a container, a cloud VM).
    pub announce_ip: Option<IpAddr>,
    /// Requested size of each media socket's kernel buffers.
    pub socket_buffer: usize,
    /// Interval of a headless client's ICE connectivity checks (the server runs ICE Lite and
    /// sends none).
    pub ice_check_interval: Duration,
    /// Whether each subscriber's bandwidth estimate limits the video layers it gets (else the
    /// tile sizes alone choose). On by default.
    pub adapt_to_link: bool,
}

impl Default for SfuConfig {
    fn default() -> Self {
        SfuConfig {
            media_ip: IpAddr::from([127, 0, 0, 1]),
            port_range: None,
            announce_ip: None,
            socket_buffer: 4 << 20,
            ice_check_interval: Duration::from_millis(10),
            adapt_to_link: true,
        }
    }
}

/// Why a media operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SfuError {
    /// The SDP could not be parsed or applied.
    #[error("the SDP is not acceptable: {0}")]
    InvalidSdp(String),
    /// The message does not fit the negotiation's state.
    #[error("{0}")]
    OutOfOrder(&'static str),
    /// The participant's media is closed.
    #[error("the media connection is closed")]
    Closed,
    /// A fault in the media engine.
    #[error("media engine: {0}")]
    Internal(String),
}

impl SfuError {
    pub(crate) fn invalid_sdp(e: impl std::fmt::Display) -> Self {
        SfuError::InvalidSdp(e.to_string())
    }

    /// The signalling error code for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            SfuError::InvalidSdp(_) => "invalid_sdp",
            SfuError::OutOfOrder(_) => "out_of_order",
            SfuError::Closed => "closed",
            SfuError::Internal(_) => "media_error",
        }
    }
}

impl From<rtc::shared::error::Error> for SfuError {
    fn from(e: rtc::shared::error::Error) -> Self {
        SfuError::Internal(e.to_string())
    }
}

/// The SFU: makes a [`Peer`] for each participant.
#[derive(Debug, Clone)]
pub struct Sfu {
    engine: Arc<engine::Engine>,
    /// The owned loops the participants' media runs on, if it does (`--media-loop`): each
    /// conference lives in one of them. Empty: the engine's tasks carry it.
    media_loops: Arc<[Shard]>,
}

impl Sfu {
    /// Media on the engine's tasks (`peer`).
    pub fn new(config: SfuConfig) -> Self {
        Sfu { engine: Arc::new(engine::Engine::new(config)), media_loops: Arc::new([]) }
    }

    /// Media on `loops` owned loops ([`shard`]; at least one): each a thread and a UDP port of
    /// its own on `media_ip`, which must be a concrete address (the first free ports of the
    /// range). A conference lives in one loop, chosen by its id.
    pub fn with_media_loops(config: SfuConfig, loops: usize) -> Result<Self, SfuError> {
        let engine = Arc::new(engine::Engine::new(config));
        let media_loops = (0..loops.max(1))
            .map(|i| {
                let media_loop = Shard::start(engine.clone(), &i.to_string(), None)?;
                tracing::info!(address = %media_loop.local_addr(), "media runs on an owned loop");
                Ok(media_loop)
            })
            .collect::<Result<Vec<_>, SfuError>>()?;
        Ok(Sfu { engine, media_loops: media_loops.into() })
    }

    /// The loop of conference `conference`, if the media runs on loops.
    fn loop_of(&self, conference: Uuid) -> Option<&Shard> {
        let n = self.media_loops.len();
        (n > 0).then(|| &self.media_loops[(conference.as_u128() % n as u128) as usize])
    }

    /// The addresses of the owned loops (none when the engine carries the media).
    pub fn media_loop_addresses(&self) -> Vec<std::net::SocketAddr> {
        self.media_loops.iter().map(Shard::local_addr).collect()
    }

    /// The loudest audio level of track `track` since the last call (0 for video, silence or a
    /// track that ended), for the active speaker.
    pub fn take_level(&self, track: TrackId) -> u8 {
        match self.engine.track(track) {
            Some(published) => published.take_level(),
            None => self.media_loops.iter().map(|media_loop| media_loop.take_level(track)).max().unwrap_or(0),
        }
    }

    /// Starts the media of a participant of conference `conference`. Signals for the browser go
    /// to `client`, published and ended tracks to `room`.
    pub fn peer(
        &self,
        conference: Uuid,
        participant: Uuid,
        client: mpsc::UnboundedSender<ClientSignal>,
        room: mpsc::UnboundedSender<MediaEvent>,
    ) -> Peer {
        match self.loop_of(conference) {
            Some(media_loop) => Peer::on_loop(self.engine.clone(), media_loop.clone(), participant, client, room),
            None => Peer::spawn(self.engine.clone(), participant, client, room),
        }
    }

    /// Answers a pre-join network check's offer (see [`check`]); `Ok(None)` when too many
    /// checks are open on this node.
    pub async fn network_check(&self, offer: String, patience: Duration) -> Result<Option<String>, SfuError> {
        match self.media_loops.first() {
            Some(media_loop) => check::answer_on_loop(media_loop, offer, patience).await,
            None => check::answer(&self.engine, offer, patience).await,
        }
    }

    /// A client-side publish connection with audio and video, and its offer (headless
    /// participants only).
    pub async fn client_publisher(
        &self,
        stream: &str,
        on_candidate: CandidateSink,
        video: PublishedVideo,
    ) -> Result<(ClientPublisher, String), SfuError> {
        ClientPublisher::new(&self.engine, stream, on_candidate, video).await
    }

    /// A new owned media loop of its own, on its own thread and UDP port, pinned to `cpu` if
    /// given (the load harness's `--media-loop`, which drives it without rooms).
    pub fn media_loop(&self, name: &str, cpu: Option<usize>) -> Result<Shard, SfuError> {
        Shard::start(self.engine.clone(), name, cpu)
    }

    /// A client-side subscribe connection (headless participants only).
    pub async fn client_subscriber(
        &self,
        on_candidate: CandidateSink,
        on_payload: PayloadSink,
    ) -> Result<ClientSubscriber, SfuError> {
        ClientSubscriber::new(&self.engine, on_candidate, on_payload).await
    }
}
