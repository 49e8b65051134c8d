//! The synthetic publisher: audio every 20 ms, video as 30 frames a second sized to a bitrate,
//! keyframes on a schedule and whenever the server asks for one.

use super::payload::{self, Stamp};
use ketentafel::sfu::{ClientPublisher, Sfu, SfuConfig};
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
    pub video_bitrate_bps: u32,
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
        let (client, offer) = sfu.client_publisher(&me.to_string(), on_candidate).await.map_err(|e| e.to_string())?;
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
        let stamp = Stamp { sender: me, video: false, keyframe: false, seq: n, sent_ns: payload::now_ns() };
        let data = payload::encode(stamp, plan.audio_packet_bytes).into();
        match client.send(MediaKind::Audio, seq, timestamp, n == 0, data, plan.audio_level).await {
            Ok(()) => sent.audio.fetch_add(1, Ordering::Relaxed),
            Err(_) => sent.errors.fetch_add(1, Ordering::Relaxed),
        };
        seq = seq.wrapping_add(1);
        timestamp = timestamp.wrapping_add(960);
    }
}

async fn video(client: Arc<ClientPublisher>, me: Uuid, plan: MediaPlan, sent: Arc<SentCounters>) {
    if !client.connected(Duration::from_secs(30)).await {
        return;
    }
    let frame_bytes = (plan.video_bitrate_bps / 8 / 30) as usize;
    let per_frame = frame_bytes.div_ceil(plan.video_packet_bytes).max(1);
    let mut tick = phased_interval(Duration::from_millis(33), plan.phase);
    let (mut seq, mut timestamp) = (rand::random::<u16>(), rand::random::<u32>());
    let mut last_keyframe: Option<Instant> = None;
    let mut requests_seen = 0;
    let mut n: u32 = 0;
    loop {
        tick.tick().await;
        let requests = client.keyframe_requests();
        sent.keyframe_requests.store(requests, Ordering::Relaxed);
        let keyframe =
            last_keyframe.is_none_or(|at| at.elapsed() >= plan.keyframe_interval) || requests > requests_seen;
        if keyframe {
            requests_seen = requests;
            last_keyframe = Some(Instant::now());
            sent.keyframes.fetch_add(1, Ordering::Relaxed);
        }
        for i in 0..per_frame {
            let stamp = Stamp { sender: me, video: true, keyframe, seq: n, sent_ns: payload::now_ns() };
            let data = payload::encode(stamp, plan.video_packet_bytes).into();
            match client.send(MediaKind::Video, seq, timestamp, i + 1 == per_frame, data, 127).await {
                Ok(()) => sent.video.fetch_add(1, Ordering::Relaxed),
                Err(_) => sent.errors.fetch_add(1, Ordering::Relaxed),
            };
            seq = seq.wrapping_add(1);
            n = n.wrapping_add(1);
        }
        timestamp = timestamp.wrapping_add(3_000);
    }
}
