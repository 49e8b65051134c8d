//! The synthetic publisher: audio every 20 ms, video as 30 frames a second sized to a bitrate,
//! keyframes on a schedule and whenever the server asks for one. With simulcast, the video
//! is three layers at a browser's proportions of the bitrate, each numbering its own frames
//! and keyframing on its own requests.

use super::payload::{self, Stamp};
use ketentafel::sfu::{ClientPublisher, PublishedVideo, Sfu, SfuConfig};
use ketentafel::signalling::protocol::{ClientMessage, MediaKind, Pc};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// What a headless participant publishes.
#[derive(Debug, Clone)]
pub struct MediaPlan {
    /// The video's bitrate; with simulcast its top layer's (see `layer_bitrates`).
    pub video_bitrate_bps: u32,
    /// One stream, or three simulcast layers.
    pub video: PublishedVideo,
    pub video_packet_bytes: usize,
    /// A keyframe at least this often (and whenever the server requests one).
    pub keyframe_interval: Duration,
    pub audio_packet_bytes: usize,
    /// RFC 6464 level of the audio: 0 loudest, 127 silence.
    pub audio_level: u8,
    /// Where in its 20 ms (audio) and 33 ms (video) period this participant sends, so that a
    /// run with many participants does not depend on when each happened to connect.
    pub phase: Duration,
    /// The interval between the ICE connectivity checks of its connections (the media
    /// library's own default is 200 ms, a browser's about 50).
    pub ice_check_interval: Duration,
}

impl Default for MediaPlan {
    fn default() -> Self {
        MediaPlan {
            video_bitrate_bps: 1_200_000,
            video: PublishedVideo::Single,
            video_packet_bytes: 1_100,
            keyframe_interval: Duration::from_secs(2),
            audio_packet_bytes: 160,
            audio_level: 30,
            phase: Duration::ZERO,
            ice_check_interval: SfuConfig::default().ice_check_interval,
        }
    }
}

/// What was sent.
#[derive(Debug, Default)]
pub struct SentCounters {
    pub audio: AtomicU64,
    pub video: AtomicU64,
    pub keyframes: AtomicU64,
    /// Keyframe requests the server sent (PLI/FIR).
    pub keyframe_requests: AtomicU64,
    pub errors: AtomicU64,
}

pub(crate) struct Publisher {
    client: Arc<ClientPublisher>,
    loops: Vec<JoinHandle<()>>,
}

impl Publisher {
    /// Builds the publish connection, sends its offer, and starts sending once connected.
    pub async fn start(
        sfu: &Sfu,
        me: Uuid,
        plan: MediaPlan,
        sent: Arc<SentCounters>,
        outgoing: mpsc::UnboundedSender<ClientMessage>,
    ) -> Result<Publisher, String> {
        let candidates = outgoing.clone();
        let on_candidate = Box::new(move |candidate| {
            let _ = candidates.send(ClientMessage::IceCandidate { pc: Pc::Publish, candidate: Some(candidate) });
        });
        let (client, offer) =
            sfu.client_publisher(&me.to_string(), on_candidate, plan.video).await.map_err(|e| e.to_string())?;
        let client = Arc::new(client);
        let _ = outgoing.send(ClientMessage::PublishOffer { sdp: offer });
        let loops = vec![
            tokio::spawn(audio(client.clone(), me, plan.clone(), sent.clone())),
            tokio::spawn(video(client.clone(), me, plan, sent)),
        ];
        Ok(Publisher { client, loops })
    }

    pub async fn answer(&self, sdp: String) -> Result<(), String> {
        self.client.answer(sdp).await.map_err(|e| e.to_string())
    }

    pub async fn add_candidate(&self, candidate: ketentafel::signalling::protocol::Candidate) {
        self.client.add_candidate(candidate).await;
    }

    pub async fn close(self) {
        for task in &self.loops {
            task.abort();
        }
        self.client.close().await;
    }
}

/// A timer every `period`, the first tick `phase` (modulo the period) from now.
fn phased_interval(period: Duration, phase: Duration) -> tokio::time::Interval {
    let offset = Duration::from_nanos((phase.as_nanos() % period.as_nanos()) as u64);
    tokio::time::interval_at(tokio::time::Instant::now() + offset, period)
}

async fn audio(client: Arc<ClientPublisher>, me: Uuid, plan: MediaPlan, sent: Arc<SentCounters>) {
    if !client.connected(Duration::from_secs(30)).await {
        return;
    }
    let mut tick = phased_interval(Duration::from_millis(20), plan.phase);
    let (mut seq, mut timestamp) = (rand::random::<u16>(), rand::random::<u32>());
    for n in 0u32.. {
        tick.tick().await;
        let stamp =
            Stamp { sender: me, video: false, keyframe: false, layer: None, seq: n, sent_ns: payload::now_ns() };
        let data = payload::encode(stamp, plan.audio_packet_bytes).into();
        match client.send(MediaKind::Audio, seq, timestamp, n == 0, data, plan.audio_level).await {
            Ok(()) => sent.audio.fetch_add(1, Ordering::Relaxed),
            Err(_) => sent.errors.fetch_add(1, Ordering::Relaxed),
        };
        seq = seq.wrapping_add(1);
        timestamp = timestamp.wrapping_add(960);
    }
}

/// The bitrate of each layer a plan sends (one without simulcast): a browser's 720p simulcast
/// sends the 360p layer at about 30 % and the 180p layer at about 12 % of the top layer.
fn layer_bitrates(plan: &MediaPlan) -> Vec<u32> {
    let top = plan.video_bitrate_bps;
    match plan.video {
        PublishedVideo::Single => vec![top],
        PublishedVideo::Layers => vec![top / 8, top * 3 / 10, top],
    }
}

/// One video stream (a layer, or the whole video) and its own numbering.
struct Stream {
    layer: Option<u8>,
    per_frame: usize,
    /// Payload bytes per packet: the plan's, or for a layer its frame shared evenly (a 180p
    /// layer's frame is a few hundred bytes, not a full packet).
    packet_bytes: usize,
    seq: u16,
    timestamp: u32,
    /// The stamp's own packet counter.
    n: u32,
    picture_id: u16,
    tl0: u8,
    last_keyframe: Option<Instant>,
    requests_seen: u64,
}

async fn video(client: Arc<ClientPublisher>, me: Uuid, plan: MediaPlan, sent: Arc<SentCounters>) {
    if !client.connected(Duration::from_secs(30)).await {
        return;
    }
    let layered = client.layered();
    let mut streams: Vec<Stream> = layer_bitrates(&plan)
        .into_iter()
        .zip(0u8..)
        .map(|(bitrate, layer)| {
            let frame_bytes = (bitrate / 8 / 30) as usize;
            let per_frame = frame_bytes.div_ceil(plan.video_packet_bytes).max(1);
            Stream {
                layer: layered.then_some(layer),
                per_frame,
                packet_bytes: if layered {
                    (frame_bytes / per_frame).max(payload::HEADER_LEN + 8)
                } else {
                    plan.video_packet_bytes
                },
                seq: rand::random(),
                timestamp: rand::random(),
                n: 0,
                picture_id: rand::random::<u16>() & 0x7fff,
                tl0: rand::random(),
                last_keyframe: None,
                requests_seen: 0,
            }
        })
        .collect();
    let mut tick = phased_interval(Duration::from_millis(33), plan.phase);
    loop {
        tick.tick().await;
        sent.keyframe_requests.store(client.keyframe_requests(), Ordering::Relaxed);
        for stream in &mut streams {
            let requests = client.keyframe_requests_of(stream.layer.unwrap_or(0));
            let keyframe = stream.last_keyframe.is_none_or(|at| at.elapsed() >= plan.keyframe_interval)
                || requests > stream.requests_seen;
            if keyframe {
                stream.requests_seen = requests;
                stream.last_keyframe = Some(Instant::now());
                sent.keyframes.fetch_add(1, Ordering::Relaxed);
            }
            for i in 0..stream.per_frame {
                let stamp = Stamp {
                    sender: me,
                    video: true,
                    keyframe,
                    layer: stream.layer,
                    seq: stream.n,
                    sent_ns: payload::now_ns(),
                };
                let data = match stream.layer {
                    Some(_) => {
                        let mut data = payload::vp8_prefix(i == 0, keyframe, stream.picture_id, stream.tl0);
                        data.extend(payload::encode(stamp, stream.packet_bytes.saturating_sub(data.len())));
                        data
                    }
                    None => payload::encode(stamp, stream.packet_bytes),
                };
                let last = i + 1 == stream.per_frame;
                let layer = stream.layer.unwrap_or(0);
                match client.send_layer(layer, stream.seq, stream.timestamp, last, data.into()).await {
                    Ok(()) => sent.video.fetch_add(1, Ordering::Relaxed),
                    Err(_) => sent.errors.fetch_add(1, Ordering::Relaxed),
                };
                stream.seq = stream.seq.wrapping_add(1);
                stream.n = stream.n.wrapping_add(1);
            }
            stream.timestamp = stream.timestamp.wrapping_add(3_000);
            stream.picture_id = (stream.picture_id + 1) & 0x7fff;
            stream.tl0 = stream.tl0.wrapping_add(1);
        }
    }
}
