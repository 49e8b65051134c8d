//! A published track and its forwarding loop: the hot path.
//!
//! Each track a participant publishes gets one task that takes its packets from the media
//! library and writes them straight to the outgoing tracks of its subscribers. The subscriber
//! list is an `ArcSwap`: the loop reads it without a lock, the control plane replaces it when
//! someone subscribes or leaves. Per packet there is no channel of ours; the payload is shared
//! (reference-counted) between all subscribers. A simulcast video takes, per subscriber, the
//! uncontended lock of that subscriber's slot (its layer-switching state, which only this loop
//! uses), and copies the payload only for a subscriber whose picture numbering a layer switch
//! moved; audio and videos without layers take neither.
//! A subscriber whose connection cannot take a packet right now misses that packet (the
//! others do not wait for it); NACK retransmission covers such gaps.

use super::estimate::AtomicInstant;
use super::report::ListenerLoss;
use super::simulcast::vp8::Descriptor;
use super::simulcast::{LAYERS, LayerRates, VideoForward};
use crate::media::MediaKind;
use crate::media::TrackId;
use crate::sfu::congestion::{Bitrate, WIRE_OVERHEAD};
use arc_swap::ArcSwap;
use futures_util::FutureExt;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp::extension::audio_level_extension::AudioLevelExtension;
use rtc::rtp::header::Header;
use rtc::shared::marshal::Unmarshal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

/// At most one keyframe request per track in this interval: a new subscriber and a burst of
/// subscriber PLIs cost the publisher one keyframe, not ten. A request inside the interval is
/// sent when it ends rather than dropped, so nobody waits longer than this for a picture.
pub(crate) const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(300);

/// Packet counters of one published track, for tests and the load harness.
#[derive(Debug, Default)]
pub struct TrackCounters {
    pub received: AtomicU64,
    pub forwarded: AtomicU64,
    /// Packets a subscriber's connection could not take at that moment.
    pub dropped: AtomicU64,
}

/// A published track as the rooms and its subscribers' share-out see it, whichever engine
/// forwards it (the engine's task of the track, or the owned loop): read without a lock.
pub struct TrackState {
    pub id: TrackId,
    pub owner: Uuid,
    pub kind: MediaKind,
    /// The loudest level since it was last read (0 = silence … 127 = loudest).
    level: AtomicU8,
    /// The SSRC of each simulcast layer, once its first packet came (0: not yet).
    layer_ssrcs: [AtomicU32; LAYERS],
    /// Each layer's bitrate over the last half second, in bit/s (0: not arriving).
    layer_rates: [AtomicU64; LAYERS],
    /// Whether the publisher sends layers (rids).
    simulcast: AtomicBool,
    pub counters: TrackCounters,
    /// When anything last arrived from the publisher (on this track or another).
    heard: Arc<AtomicInstant>,
    /// What the listeners of this audio lose, told to the publisher (none for video).
    listener_loss: Option<Arc<ListenerLoss>>,
    /// The track ended (its publisher's connection closed).
    ended: AtomicBool,
}

/// One participant's audio or video track as the engine receives it: its [`TrackState`], and
/// the engine's half (the library's track, the subscribers' outgoing tracks, keyframe requests).
pub struct PublishedTrack {
    pub state: Arc<TrackState>,
    remote: Arc<dyn TrackRemote>,
    media_ssrc: u32,
    /// Header-extension id of the audio level, as negotiated with the publisher.
    level_extension: Option<u8>,
    fanout: ArcSwap<Vec<Arc<Forward>>>,
    /// Milliseconds since `epoch` of the last keyframe request, plus one interval.
    last_keyframe_request: AtomicU64,
    /// A request came inside the interval; it goes out when the interval ends.
    keyframe_request_deferred: AtomicBool,
    /// When the last request went out (`keyframe_clock`), until its keyframe arrives; 0: none.
    keyframe_awaited_since: AtomicU64,
    /// The layers (bit per layer) whose keyframe the next request asks for.
    keyframe_layers: AtomicU8,
    epoch: Instant,
}

impl std::ops::Deref for PublishedTrack {
    type Target = TrackState;

    fn deref(&self) -> &TrackState {
        &self.state
    }
}

impl std::fmt::Debug for TrackState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackState")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("kind", &self.kind)
            .finish()
    }
}

impl std::fmt::Debug for PublishedTrack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.state.fmt(f)
    }
}

/// Sequence numbers and timestamps of an outgoing slot stay continuous when the slot passes
/// from one publisher to another, so the browser's jitter buffer never sees a jump.
#[derive(Debug, Default)]
pub(crate) struct Continuity {
    /// Set when the slot starts carrying a (new) source; the next packet computes the offsets.
    restart: AtomicBool,
    seq_offset: AtomicU16,
    ts_offset: AtomicU32,
    last_seq: AtomicU16,
    last_ts: AtomicU32,
}

impl Continuity {
    /// Marks the start of a new source in this slot.
    pub fn restart(&self) {
        self.restart.store(true, Ordering::Relaxed);
    }

    /// Maps a source's sequence number and timestamp into the slot's numbering. Only the loop of
    /// the one track the slot carries calls this, so relaxed atomics suffice.
    pub(crate) fn map(&self, seq: u16, ts: u32, ts_step: u32) -> (u16, u32) {
        if self.restart.swap(false, Ordering::Relaxed) {
            let next_seq = self.last_seq.load(Ordering::Relaxed).wrapping_add(1);
            let next_ts = self.last_ts.load(Ordering::Relaxed).wrapping_add(ts_step);
            self.seq_offset.store(next_seq.wrapping_sub(seq), Ordering::Relaxed);
            self.ts_offset.store(next_ts.wrapping_sub(ts), Ordering::Relaxed);
        }
        let out_seq = seq.wrapping_add(self.seq_offset.load(Ordering::Relaxed));
        let out_ts = ts.wrapping_add(self.ts_offset.load(Ordering::Relaxed));
        self.last_seq.store(out_seq, Ordering::Relaxed);
        self.last_ts.store(out_ts, Ordering::Relaxed);
        (out_seq, out_ts)
    }
}

/// One subscriber's copy of a published track: an outgoing track on the subscriber's connection,
/// with the SSRC and payload type negotiated there.
pub(crate) struct Forward {
    pub subscriber: Uuid,
    pub out: Arc<TrackLocalStaticRTP>,
    pub ssrc: u32,
    pub payload_type: u8,
    pub continuity: Arc<Continuity>,
    /// For video: which layer this subscriber gets, and the switching between layers.
    pub video: Option<Arc<VideoSlot>>,
}

/// A layer value meaning none.
const NO_LAYER: u8 = u8::MAX;

fn encode_layer(layer: Option<u8>) -> u8 {
    layer.unwrap_or(NO_LAYER)
}

fn decode_layer(value: u8) -> Option<u8> {
    (value != NO_LAYER).then_some(value)
}

/// The keyframe-request mask of every layer.
const ALL_LAYERS: u8 = (1 << LAYERS) - 1;

/// One subscriber's video slot: the layer it should get (set by the allocation in the
/// subscriber's media task), the layer it gets (set by the forwarding loop), and the
/// switching state. The state lives with the slot, not with the published track, so that the
/// slot's numbering continues when it passes to another publisher. Its lock is only ever
/// taken by the forwarding loop of the one track the slot carries (and when the slot passes
/// on), so it is never contended.
#[derive(Debug)]
pub(crate) struct VideoSlot {
    target: AtomicU8,
    current: AtomicU8,
    forward: std::sync::Mutex<VideoForward>,
}

impl Default for VideoSlot {
    fn default() -> Self {
        VideoSlot {
            target: AtomicU8::new(NO_LAYER),
            current: AtomicU8::new(NO_LAYER),
            forward: std::sync::Mutex::new(VideoForward::default()),
        }
    }
}

impl VideoSlot {
    /// The layer the subscriber should get (`None`: none, paused).
    pub fn set_target(&self, layer: Option<u8>) {
        self.target.store(encode_layer(layer), Ordering::Relaxed);
    }

    pub fn target(&self) -> Option<u8> {
        decode_layer(self.target.load(Ordering::Relaxed))
    }

    /// The layer the subscriber receives now.
    pub fn current(&self) -> Option<u8> {
        decode_layer(self.current.load(Ordering::Relaxed))
    }

    /// The keyframe-request mask of a slot: its video's target layer, or every layer (audio, or
    /// a video with no target yet).
    pub fn keyframe_layers(video: Option<&VideoSlot>) -> u8 {
        video.and_then(VideoSlot::target).map_or(ALL_LAYERS, |layer| 1 << layer)
    }

    /// For a video without simulcast (one stream, forwarded as it comes): whether this
    /// subscriber gets it now (not while its tile is hidden); notes it as layer 0.
    fn takes_whole(&self) -> bool {
        let takes = self.target().is_some();
        self.current.store(encode_layer(takes.then_some(0)), Ordering::Relaxed);
        takes
    }

    /// The slot passes to another published video: it starts again at that video's keyframe.
    pub fn restart(&self) {
        if let Ok(mut forward) = self.forward.lock() {
            forward.restart();
        }
        self.current.store(NO_LAYER, Ordering::Relaxed);
    }
}

/// The simulcast layer a `rid` names: the browser publishes `l`, `m` and `h` (low to high);
/// a video without simulcast is one layer, the lowest.
fn layer_of_rid(rid: Option<&str>) -> u8 {
    match rid {
        Some("m") => 1,
        Some("h") => 2,
        _ => 0,
    }
}

/// How often a track's layer rates are measured.
const RATE_WINDOW: Duration = Duration::from_millis(500);
/// The weight of each window's rate in the smoothed one.
const RATE_SMOOTHING: f64 = 0.25;

impl TrackState {
    pub(crate) fn new(
        owner: Uuid,
        kind: MediaKind,
        heard: Arc<AtomicInstant>,
        listener_loss: &Arc<ListenerLoss>,
    ) -> TrackState {
        TrackState {
            id: next_track_id(),
            owner,
            kind,
            level: AtomicU8::new(0),
            layer_ssrcs: Default::default(),
            layer_rates: Default::default(),
            simulcast: AtomicBool::new(false),
            counters: TrackCounters::default(),
            heard,
            listener_loss: (kind == MediaKind::Audio).then(|| listener_loss.clone()),
            ended: AtomicBool::new(false),
        }
    }

    /// `listener`'s link loses `fraction` (a report's fraction lost, in 256ths) of what it
    /// receives: the publisher of this audio is told the worst of its listeners' loss, so that
    /// its encoder adds redundancy ([`super::report`]). Nothing for video.
    pub fn note_listener_loss(&self, listener: Uuid, fraction: u8, now: Instant) {
        if let Some(loss) = &self.listener_loss {
            loss.note(listener, fraction, now);
        }
    }

    /// The loudest audio level since the last call (0 for video or silence).
    pub fn take_level(&self) -> u8 {
        self.level.swap(0, Ordering::Relaxed)
    }

    /// The measured bitrate of each layer (`None`: not arriving).
    pub fn layer_rates(&self) -> LayerRates {
        LayerRates(std::array::from_fn(|l| match self.layer_rates[l].load(Ordering::Relaxed) {
            0 => None,
            bps => Some(Bitrate(bps)),
        }))
    }

    /// Whether the publisher sends this video in layers.
    pub fn simulcast(&self) -> bool {
        self.simulcast.load(Ordering::Relaxed)
    }

    /// Which layers have sent anything (bit per layer).
    pub fn open_layers(&self) -> u8 {
        (0..LAYERS).filter(|&l| self.layer_ssrcs[l].load(Ordering::Relaxed) != 0).fold(0, |mask, l| mask | 1 << l)
    }

    /// The SSRC of `layer`, once it sent anything.
    pub(crate) fn layer_ssrc(&self, layer: usize) -> Option<u32> {
        self.layer_ssrcs.get(layer).map(|ssrc| ssrc.load(Ordering::Relaxed)).filter(|&ssrc| ssrc != 0)
    }

    /// Whether the track ended.
    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    pub(crate) fn end(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }
}

impl PublishedTrack {
    pub(crate) fn new(
        owner: Uuid,
        kind: MediaKind,
        remote: Arc<dyn TrackRemote>,
        media_ssrc: u32,
        level_extension: Option<u8>,
        heard: Arc<AtomicInstant>,
        listener_loss: Arc<ListenerLoss>,
    ) -> Arc<Self> {
        Arc::new(PublishedTrack {
            state: Arc::new(TrackState::new(owner, kind, heard, &listener_loss)),
            remote,
            media_ssrc,
            level_extension,
            fanout: ArcSwap::from_pointee(Vec::new()),
            last_keyframe_request: AtomicU64::new(0),
            keyframe_request_deferred: AtomicBool::new(false),
            keyframe_awaited_since: AtomicU64::new(0),
            keyframe_layers: AtomicU8::new(0),
            epoch: Instant::now(),
        })
    }

    pub(crate) fn add_forward(&self, forward: Arc<Forward>) {
        self.fanout.rcu(|current| {
            let mut next: Vec<Arc<Forward>> = current
                .iter()
                .filter(|f| f.subscriber != forward.subscriber || !Arc::ptr_eq(&f.out, &forward.out))
                .cloned()
                .collect();
            next.push(forward.clone());
            next
        });
    }

    /// Stops forwarding to `out` (one subscriber's slot).
    pub(crate) fn remove_forward(&self, out: &Arc<TrackLocalStaticRTP>) {
        self.fanout.rcu(|current| current.iter().filter(|f| !Arc::ptr_eq(&f.out, out)).cloned().collect::<Vec<_>>());
    }

    /// Asks the publisher for a keyframe of `layers` (a bit per layer; a new subscriber, a
    /// layer switch, or a subscriber that lost one): now, or when the interval since the last
    /// request ends, never more often. Requests inside one interval are sent together.
    pub fn request_keyframe(self: &Arc<Self>, layers: u8) {
        if self.kind != MediaKind::Video {
            return;
        }
        self.keyframe_layers.fetch_or(layers, Ordering::Relaxed);
        let interval = KEYFRAME_REQUEST_INTERVAL.as_millis() as u64;
        let now = self.keyframe_clock();
        let last = self.last_keyframe_request.load(Ordering::Relaxed);
        let wait = (last + interval).saturating_sub(now);
        if wait > 0 || self.keyframe_request_deferred.load(Ordering::Relaxed) {
            if !self.keyframe_request_deferred.swap(true, Ordering::Relaxed) {
                let track = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    track.last_keyframe_request.store(track.keyframe_clock(), Ordering::Relaxed);
                    track.keyframe_request_deferred.store(false, Ordering::Relaxed);
                    track.send_keyframe_request().await;
                });
            }
            return;
        }
        if self.last_keyframe_request.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            let track = self.clone();
            tokio::spawn(async move { track.send_keyframe_request().await });
        }
    }

    /// Milliseconds since `epoch`, offset by one interval so that the very first request passes.
    fn keyframe_clock(&self) -> u64 {
        (self.epoch.elapsed() + KEYFRAME_REQUEST_INTERVAL).as_millis() as u64
    }

    async fn send_keyframe_request(&self) {
        let layers = self.keyframe_layers.swap(0, Ordering::Relaxed);
        let mut requests: Vec<Box<dyn rtc::rtcp::Packet>> = (0..LAYERS)
            .filter(|&l| layers & (1 << l) != 0)
            .filter_map(|l| self.layer_ssrc(l))
            .map(|ssrc| Box::new(PictureLossIndication { sender_ssrc: 0, media_ssrc: ssrc }) as _)
            .collect();
        if requests.is_empty() {
            requests.push(Box::new(PictureLossIndication { sender_ssrc: 0, media_ssrc: self.media_ssrc }));
        }
        self.keyframe_awaited_since.store(self.keyframe_clock(), Ordering::Relaxed);
        match self.remote.write_rtcp(requests).await {
            Ok(()) => tracing::debug!(track = self.id, "keyframe requested"),
            Err(e) => tracing::debug!(error = %e, track = self.id, "keyframe request not sent"),
        }
    }

    /// Logs how long a requested keyframe took to arrive (the larger part of a join's wait for
    /// its first picture). `starts`: the packet starts a keyframe.
    fn note_keyframe(&self, starts: bool) {
        let since = self.keyframe_awaited_since.load(Ordering::Relaxed);
        if starts && since != 0 {
            self.keyframe_awaited_since.store(0, Ordering::Relaxed);
            let waited = self.keyframe_clock().saturating_sub(since);
            tracing::debug!(track = self.id, waited_ms = waited, "requested keyframe arrived");
        }
    }

    /// Forwards every packet until the publisher's connection closes.
    pub(crate) async fn run(self: Arc<Self>) {
        let mut ingest = Ingest::new(self.kind, self.level_extension, Instant::now());
        while let Some(event) = self.remote.poll().await {
            let mut packet = match event {
                TrackRemoteEvent::OnRtpPacket(packet) => packet,
                TrackRemoteEvent::OnOpen(init) => {
                    ingest.open(&self.state, init.ssrc, init.rid.as_deref());
                    continue;
                }
                TrackRemoteEvent::OnEnded => break,
                _ => continue,
            };
            let now = Instant::now();
            let Some(incoming) = ingest.packet(&self.state, &mut packet, now) else { continue };
            self.note_keyframe(incoming.starts_keyframe);
            let forwards = self.fanout.load();
            let (mut forwarded, mut dropped, mut keyframes) = (0u64, 0u64, 0u8);
            for forward in forwards.iter() {
                // Header fields are plain values and the payload is shared: no allocation here
                // (but for a video whose picture numbering a layer switch moved).
                let Some((sequence, timestamp, payload)) =
                    incoming.copy(forward.video.as_deref(), &forward.continuity, &packet, now, &mut keyframes)
                else {
                    continue;
                };
                let mut copy = packet.clone();
                copy.header.ssrc = forward.ssrc;
                copy.header.payload_type = forward.payload_type;
                (copy.header.sequence_number, copy.header.timestamp) = (sequence, timestamp);
                if let Some(payload) = payload {
                    copy.payload = payload;
                }
                match forward.out.write_rtp(copy).now_or_never() {
                    Some(Ok(())) => forwarded += 1,
                    _ => dropped += 1,
                };
            }
            if keyframes != 0 {
                self.request_keyframe(keyframes);
            }
            // Once per packet, not per copy: the node's totals for its metrics.
            self.counters.forwarded.fetch_add(forwarded, Ordering::Relaxed);
            self.counters.dropped.fetch_add(dropped, Ordering::Relaxed);
            count_forwarded(forwarded, packet.payload.len());
            if dropped > 0 {
                super::engine::DROPPED.fetch_add(dropped, Ordering::Relaxed);
            }
        }
        self.state.end();
    }
}

/// Counts one received packet and its `copies` into the node's totals (the metrics).
pub(crate) fn count_forwarded(copies: u64, payload: usize) {
    super::engine::RECEIVED.fetch_add(1, Ordering::Relaxed);
    if copies > 0 {
        super::engine::FORWARDED.fetch_add(copies, Ordering::Relaxed);
        super::engine::BYTES_FORWARDED.fetch_add(copies * payload as u64, Ordering::Relaxed);
    }
}

/// What the forwarder of a track (the engine's task of the track, or the owned loop) keeps of
/// its packets for itself: which SSRC is which layer, and the bytes of each in the current rate
/// window. Nothing here is shared; what others read goes into the [`TrackState`].
pub(crate) struct Ingest {
    kind: MediaKind,
    /// Header-extension id of the audio level, as negotiated with the publisher.
    level_extension: Option<u8>,
    layers: Vec<(u32, u8)>,
    /// Whether the publisher sends layers (rids). A video without them is forwarded as it
    /// comes (headless participants send payloads that are not VP8), or not at all when the
    /// share-out pauses it.
    simulcast: bool,
    window: RateWindow,
}

/// One packet as read once for all its copies ([`Ingest::packet`]).
pub(crate) struct Incoming {
    /// Its simulcast layer (0 for a video without layers, and for audio).
    pub layer: u8,
    /// Its VP8 descriptor, for the layer switching of a video in layers; `None` otherwise, or
    /// when the payload is not VP8 (it then reaches no subscriber of layers).
    descriptor: Option<Descriptor>,
    simulcast: bool,
    ts_step: u32,
    pub starts_keyframe: bool,
}

impl Ingest {
    pub(crate) fn new(kind: MediaKind, level_extension: Option<u8>, now: Instant) -> Ingest {
        Ingest {
            kind,
            level_extension,
            layers: Vec::with_capacity(LAYERS),
            simulcast: false,
            window: RateWindow::new(now),
        }
    }

    /// A stream of the track opens: one layer (`rid`) of a video in layers, or the track's one
    /// stream.
    pub(crate) fn open(&mut self, state: &TrackState, ssrc: u32, rid: Option<&str>) {
        if rid.is_some() {
            self.simulcast = true;
            state.simulcast.store(true, Ordering::Relaxed);
        }
        let layer = layer_of_rid(rid);
        tracing::debug!(track = state.id, rid, ssrc, layer, "a layer opens");
        self.layers.retain(|&(known, l)| known != ssrc && l != layer);
        self.layers.push((ssrc, layer));
        state.layer_ssrcs[usize::from(layer)].store(ssrc, Ordering::Relaxed);
    }

    /// Reads a packet once for all its copies: its audio level, its layer's rate, whether it
    /// starts a keyframe; strips its header extensions. `None`: a packet of a stream that has
    /// not opened (yet), which no subscriber gets.
    pub(crate) fn packet(
        &mut self,
        state: &TrackState,
        packet: &mut rtc::rtp::Packet,
        now: Instant,
    ) -> Option<Incoming> {
        state.counters.received.fetch_add(1, Ordering::Relaxed);
        state.heard.store(now);
        let layer = self.layers.iter().find(|(ssrc, _)| *ssrc == packet.header.ssrc).map(|&(_, l)| l)?;
        if let Some(id) = self.level_extension
            && let Some(level) = audio_level(&packet.header, id)
        {
            state.level.fetch_max(level, Ordering::Relaxed);
        }
        strip_extensions(&mut packet.header);
        // Read once, for the layer's rate and the wait for a requested keyframe.
        let starts_keyframe = self.kind == MediaKind::Video && vp8_keyframe_start(&packet.payload);
        // A packet without payload is padding (the publisher's browser probing its own
        // uplink, on the highest layer's stream even while that layer is switched off): it
        // says nothing about whether a layer's pictures arrive. Counted, it made a layer the
        // browser had dropped look alive, and every subscriber asked for its keyframe every
        // 300 ms for as long as the publisher's uplink was weak (the `weak` e2e story).
        if !packet.payload.is_empty() {
            let keyframe = self.window.keyframe(layer, packet.header.timestamp, starts_keyframe);
            self.measure(state, layer, packet.payload.len(), keyframe, now);
        }
        Some(Incoming {
            layer,
            descriptor: if self.simulcast { Descriptor::parse(&packet.payload).ok() } else { None },
            simulcast: self.simulcast,
            ts_step: if self.kind == MediaKind::Video { 3_000 } else { 960 },
            starts_keyframe,
        })
    }

    /// Counts a packet into its layer's rate (`keyframe`: it carries part of a keyframe); every
    /// half second, publishes the rates.
    fn measure(&mut self, state: &TrackState, layer: u8, payload: usize, keyframe: bool, now: Instant) {
        let window = &mut self.window;
        // What the packet costs on the way to a subscriber: the RTP header (12 bytes), the
        // transport-wide sequence number the server adds (8, with the extension header), and
        // what every packet carries on the wire (IP, UDP, the SRTP tag).
        let bytes = (payload + 12 + 8 + WIRE_OVERHEAD) as u64;
        let l = usize::from(layer);
        window.bytes[l] += bytes;
        if keyframe {
            window.keyframe_bytes[l] += bytes;
        }
        let elapsed = now.saturating_duration_since(window.start);
        if elapsed < RATE_WINDOW {
            return;
        }
        for l in 0..LAYERS {
            let rate = |bytes: u64| Bitrate::from_bytes(bytes, elapsed).unwrap_or_default().bps();
            // What the layer costs while it runs: its keyframes left out, which come when a
            // subscriber asks (a switch, a loss) and cost once. Counted, one keyframe of the
            // full picture raised its rate by half for seconds, and the allocation after a trial
            // that had just switched a subscriber to it took it away again as too dear (the
            // `weak` e2e story). A window of nothing but a keyframe (a layer that opens) counts
            // whole.
            let (all, running) = (rate(window.bytes[l]), rate(window.bytes[l] - window.keyframe_bytes[l]));
            let rate = if running > 0 { running } else { all };
            // Smoothed over about two seconds. A layer that went silent is gone at once.
            let before = state.layer_rates[l].load(Ordering::Relaxed);
            let smoothed = match (before, rate) {
                (_, 0) => 0,
                (0, rate) => rate,
                (before, rate) => (before as f64 * (1.0 - RATE_SMOOTHING) + rate as f64 * RATE_SMOOTHING) as u64,
            };
            state.layer_rates[l].store(smoothed.max(u64::from(rate != 0)), Ordering::Relaxed);
        }
        *window = RateWindow { keyframes: window.keyframes, ..RateWindow::new(now) };
    }
}

impl Incoming {
    /// One subscriber's copy of the packet: its sequence number and timestamp in the slot's
    /// numbering, and its payload if a layer switch moved the picture numbering; `None` when
    /// the subscriber does not get this packet now (another layer than its own, before the
    /// keyframe its switch waits for, a video it does not show). A layer whose keyframe a
    /// switch waits for is added to `keyframes` (a bit per layer) for the caller to request.
    pub(crate) fn copy(
        &self,
        video: Option<&VideoSlot>,
        continuity: &Continuity,
        packet: &rtc::rtp::Packet,
        now: Instant,
        keyframes: &mut u8,
    ) -> Option<(u16, u32, Option<bytes::Bytes>)> {
        let (seq, ts) = (packet.header.sequence_number, packet.header.timestamp);
        match video.filter(|_| self.simulcast) {
            Some(video) => {
                let descriptor = self.descriptor.as_ref()?;
                let mut forward = video.forward.lock().ok()?;
                let target = video.target();
                if forward.target() != target {
                    forward.set_target(target);
                }
                if let Some(wanted) = forward.keyframe_request(now) {
                    *keyframes |= 1 << wanted;
                }
                let copy = forward.forward(self.layer, seq, ts, &packet.payload, descriptor, now);
                video.current.store(encode_layer(forward.current()), Ordering::Relaxed);
                let (numbers, payload) = copy?;
                Some((numbers.sequence, numbers.timestamp, Some(payload)))
            }
            None => {
                if video.is_some_and(|video| !video.takes_whole()) {
                    return None;
                }
                let (sequence, timestamp) = continuity.map(seq, ts, self.ts_step);
                Some((sequence, timestamp, None))
            }
        }
    }
}

/// The bytes of each layer since `start`, for its rate ([`PublishedTrack::measure`]).
struct RateWindow {
    start: Instant,
    bytes: [u64; LAYERS],
    /// Of which keyframes'.
    keyframe_bytes: [u64; LAYERS],
    /// The RTP timestamp of each layer's last keyframe: the packets that carry it share it.
    keyframes: [Option<u32>; LAYERS],
}

impl RateWindow {
    fn new(start: Instant) -> RateWindow {
        RateWindow { start, bytes: [0; LAYERS], keyframe_bytes: [0; LAYERS], keyframes: [None; LAYERS] }
    }

    /// Whether a VP8 packet of `layer` with `timestamp` carries part of a keyframe (`starts`:
    /// it starts one).
    fn keyframe(&mut self, layer: u8, timestamp: u32, starts: bool) -> bool {
        let last = &mut self.keyframes[usize::from(layer)];
        if starts {
            *last = Some(timestamp);
        }
        *last == Some(timestamp)
    }
}

/// The audio level (RFC 6464) a packet's header carries under extension `id`, inverted so that
/// 0 is silence and 127 the loudest (RFC 6464 counts -dBov: 0 is loudest, 127 silence).
#[inline]
pub(crate) fn audio_level(header: &Header, id: u8) -> Option<u8> {
    let raw = header.get_extension(id)?;
    let level = AudioLevelExtension::unmarshal(&mut &raw[..]).ok()?;
    Some(127u8.saturating_sub(level.level))
}

/// A new track id, unique in this process (whichever engine publishes the track).
pub(crate) fn next_track_id() -> TrackId {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Strips the publisher's header extensions: their ids mean nothing on the subscribers'
/// connections (and the library refuses ids it did not negotiate there). Done once per packet,
/// before the copies.
#[inline]
pub(crate) fn strip_extensions(header: &mut Header) {
    header.extension = false;
    header.extensions.clear();
    header.extensions_padding = 0;
}

/// Where the VP8 payload (the frame's bytes) starts in an RTP payload, past the RFC 7741
/// payload descriptor, and whether the packet starts partition 0 of a frame (S = 1, PID = 0).
/// `None` when the descriptor is cut short.
#[inline]
pub fn vp8_descriptor(payload: &[u8]) -> Option<(usize, bool)> {
    let first = *payload.first()?;
    let start = first & 0x10 != 0 && first & 0x07 == 0;
    let mut at = 1;
    if first & 0x80 != 0 {
        let ext = *payload.get(1)?;
        at = 2;
        if ext & 0x80 != 0 {
            // PictureID: 7 bits, or 15 when its M bit is set.
            at += if payload.get(at)? & 0x80 != 0 { 2 } else { 1 };
        }
        if ext & 0x40 != 0 {
            at += 1; // TL0PICIDX
        }
        if ext & 0x30 != 0 {
            at += 1; // TID / KEYIDX
        }
    }
    (at <= payload.len()).then_some((at, start))
}

/// Whether a VP8 RTP payload (RFC 7741) starts a keyframe: the first packet of partition 0
/// (S = 1, PID = 0) whose frame header has P = 0.
pub(crate) fn vp8_keyframe_start(payload: &[u8]) -> bool {
    matches!(vp8_descriptor(payload), Some((at, true)) if payload.get(at).is_some_and(|header| header & 0x01 == 0))
}

#[cfg(test)]
mod tests {
    use super::{Continuity, RateWindow, vp8_keyframe_start};
    use std::time::Instant;

    #[test]
    fn a_keyframes_packets_are_told_by_the_timestamp_of_its_first() {
        let mut window = RateWindow::new(Instant::now());
        let (key, delta, middle) = ([0x10, 0x00], [0x10, 0x01], [0x00, 0x00]);
        let mut keyframe =
            |layer, timestamp, payload: &[u8]| window.keyframe(layer, timestamp, vp8_keyframe_start(payload));
        assert!(!keyframe(2, 100, &delta), "an interframe");
        assert!(keyframe(2, 200, &key), "a keyframe starts");
        assert!(keyframe(2, 200, &middle), "the rest of its packets");
        assert!(!keyframe(0, 200, &middle), "another layer's picture of the same moment");
        assert!(!keyframe(2, 300, &delta), "the next picture");
        assert!(!keyframe(2, 300, &middle));
    }

    #[test]
    fn vp8_keyframes_are_recognised_with_and_without_extensions() {
        // Plain descriptor, S = 1: keyframe (P = 0) and interframe (P = 1).
        assert!(vp8_keyframe_start(&[0x10, 0x00]));
        assert!(!vp8_keyframe_start(&[0x10, 0x01]));
        // Not the start of a partition, or a later partition.
        assert!(!vp8_keyframe_start(&[0x00, 0x00]));
        assert!(!vp8_keyframe_start(&[0x11, 0x00]));
        // X = 1 with a 15-bit picture id, TL0PICIDX and TID (as Chrome sends it).
        assert!(vp8_keyframe_start(&[0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x50]));
        assert!(!vp8_keyframe_start(&[0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x51]));
        // A 7-bit picture id only.
        assert!(vp8_keyframe_start(&[0x90, 0x80, 0x12, 0x9c]));
        // Truncated payloads are not keyframes.
        assert!(!vp8_keyframe_start(&[]));
        assert!(!vp8_keyframe_start(&[0x90, 0xe0, 0x81]));
    }

    #[test]
    fn a_slot_continues_its_numbering_when_the_source_changes() {
        let slot = Continuity::default();
        slot.restart();
        assert_eq!(slot.map(1000, 50_000, 3000), (1, 3000));
        assert_eq!(slot.map(1001, 53_000, 3000), (2, 6000));
        slot.restart();
        assert_eq!(slot.map(7, 900, 3000), (3, 9000), "the new source continues where the old stopped");
        assert_eq!(slot.map(8, 3900, 3000), (4, 12_000));
    }

    #[test]
    fn numbering_wraps_around_like_rtp() {
        let slot = Continuity::default();
        slot.restart();
        slot.map(u16::MAX - 1, u32::MAX - 10, 3000);
        assert_eq!(slot.map(u16::MAX, u32::MAX, 3000).0, 2);
        assert_eq!(slot.map(0, 9, 3000), (3, 3020));
    }
}
