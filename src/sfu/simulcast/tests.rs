//! Simulcast forwarding end to end on a simulated clock: a publisher sending three VP8 layers
//! and audio, the SFU's per-subscriber choice ([`allocate`], [`VideoForward`]) driven by the
//! subscriber's bandwidth estimate, and the subscriber's bottleneck link (`congestion::sim`).

use super::vp8::{Descriptor, write_descriptor};
use super::*;
use crate::sfu::congestion::sim::{Link, Path};
use crate::sfu::congestion::{BandwidthEstimator, Bitrate, ProbeCluster};
use std::time::{Duration, Instant};

const RATES: [u64; LAYERS] = [150, 500, 1500];
const AUDIO: Bitrate = Bitrate::kbps(40);
/// RTP header, SRTP tag and the transport-wide sequence number extension.
const OVERHEAD: u16 = 12 + 16 + 8;
const STEP: Duration = Duration::from_millis(1);

fn rates() -> LayerRates {
    LayerRates(RATES.map(|kbps| Some(Bitrate::kbps(kbps))))
}

/// One layer of the publisher's video: 30 frames a second at its rate.
struct Layer {
    sequence: u16,
    timestamp: u32,
    picture_id: u16,
    keyframe_due: bool,
}

/// What the subscriber received, for the assertions.
#[derive(Default)]
struct Trace {
    /// (time since start, layer forwarded) at every change of the forwarded layer, and whether
    /// the first packet after the change began a keyframe.
    switches: Vec<(Duration, Option<u8>, bool)>,
    /// Output sequence numbers of the video, in sending order.
    video_sequences: Vec<u16>,
    /// Every audio packet: when it was sent, and how long it took to arrive (if it did).
    audio: Vec<(Duration, Option<Duration>)>,
    /// The forwarded layer, its state and the estimate (kbit/s) at every 100 ms.
    layers: Vec<Option<u8>>,
    states: Vec<VideoState>,
    estimates: Vec<u64>,
}

struct Conference {
    start: Instant,
    now: Instant,
    layers: Vec<Layer>,
    forward: VideoForward,
    bwe: BandwidthEstimator,
    path: Path,
    probe: Option<(ProbeCluster, Instant)>,
    pad_credit: f64,
    wanted_layer: Option<u8>,
    trace: Trace,
}

impl Conference {
    fn new(capacity: Bitrate) -> Self {
        let start = Instant::now();
        Conference {
            start,
            now: start,
            layers: (0..LAYERS)
                .map(|l| Layer {
                    sequence: 1000 * l as u16,
                    timestamp: 7 * l as u32,
                    picture_id: 100 * l as u16,
                    keyframe_due: true,
                })
                .collect(),
            forward: VideoForward::default(),
            bwe: BandwidthEstimator::new(Bitrate::kbps(300)),
            path: Path::new(Link::new(capacity, Duration::from_millis(30)), start),
            probe: None,
            pad_credit: 0.0,
            wanted_layer: Some(2),
            trace: Trace::default(),
        }
    }

    fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    fn send(&mut self, size: u16) -> Option<Instant> {
        let probe = self.probe.map(|(cluster, _)| cluster.id);
        self.path.send(&mut self.bwe, size + OVERHEAD, probe, self.now)
    }

    fn run(&mut self, duration: Duration) {
        let end = self.now + duration;
        while self.now < end {
            let ms = self.elapsed().as_millis() as u64;
            if ms.is_multiple_of(100) {
                self.allocate();
            }
            if ms.is_multiple_of(20) {
                // Audio does not go through the video choice: it is always sent.
                let arrived = self.send(100);
                let entry = (self.elapsed(), arrived.map(|at| at - self.now));
                self.trace.audio.push(entry);
            }
            if ms.is_multiple_of(33) {
                for layer in 0..LAYERS as u8 {
                    self.frame(layer);
                }
            }
            if let Some(layer) = self.forward.keyframe_request(self.now) {
                self.layers[usize::from(layer)].keyframe_due = true;
            }
            self.pad();
            self.path.tick(&mut self.bwe, self.now);
            self.now += STEP;
        }
    }

    fn allocate(&mut self) {
        let demand = Demand { wanted: self.wanted_layer, rates: rates(), current: self.forward.current(), priority: 1 };
        let allocation = allocate(self.bwe.estimate(), AUDIO, &[demand]);
        self.forward.set_target(allocation.layers[0]);
        if self.probe.is_none()
            && let Some(cluster) = self.bwe.probe(allocation.wanted, self.now)
        {
            self.probe = Some((cluster, self.now + cluster.duration));
        }
        self.trace.layers.push(self.forward.current());
        self.trace.states.push(self.forward.state());
        self.trace.estimates.push(self.bwe.estimate().bps() / 1000);
    }

    /// Padding during a probe, so that media and padding together reach its target.
    fn pad(&mut self) {
        let Some((cluster, until)) = self.probe else { return };
        if self.now >= until {
            self.probe = None;
            return;
        }
        let media = AUDIO + self.forward.current().map_or(Bitrate::ZERO, |l| Bitrate::kbps(RATES[usize::from(l)]));
        let padding = cluster.target.saturating_sub(media);
        self.pad_credit += padding.bps() as f64 / 8.0 * STEP.as_secs_f64();
        while self.pad_credit >= 1000.0 {
            self.pad_credit -= 1000.0;
            self.send(1000 - OVERHEAD);
        }
    }

    /// One frame of `layer`, cut into packets, each offered to the subscriber's forwarder.
    fn frame(&mut self, layer: u8) {
        let source = &mut self.layers[usize::from(layer)];
        let keyframe = std::mem::take(&mut source.keyframe_due);
        let bytes = (RATES[usize::from(layer)] * 1000 / 8 / 30) as usize * if keyframe { 3 } else { 1 };
        let packets = bytes.div_ceil(1100);
        source.picture_id = (source.picture_id + 1) % (1 << 15);
        source.timestamp = source.timestamp.wrapping_add(3000);
        let (timestamp, picture_id) = (source.timestamp, source.picture_id);
        for i in 0..packets {
            let source = &mut self.layers[usize::from(layer)];
            source.sequence = source.sequence.wrapping_add(1);
            let sequence = source.sequence;
            let mut payload = Vec::with_capacity(1110);
            write_descriptor(&mut payload, i == 0, keyframe, picture_id, 0, 0);
            payload.resize(bytes / packets, 0);
            let before = self.forward.current();
            if let Some(out) = self.forward.on_packet(layer, sequence, timestamp, &mut payload, self.now) {
                if self.forward.current() != before {
                    let keyframe_start = Descriptor::parse(&payload).is_ok_and(|d| d.keyframe);
                    self.trace.switches.push((self.elapsed(), self.forward.current(), keyframe_start));
                }
                self.trace.video_sequences.push(out.sequence);
                self.send(payload.len() as u16);
            }
        }
    }
}

/// The layer forwarded at `seconds` into the run.
fn layer_at(trace: &Trace, seconds: f64) -> Option<u8> {
    trace.layers[(seconds * 10.0) as usize]
}

#[test]
fn a_subscriber_whose_link_shrinks_drops_a_layer_within_a_second_and_climbs_back() {
    let mut conference = Conference::new(Bitrate::kbps(4000));
    conference.run(Duration::from_secs(15));
    assert_eq!(layer_at(&conference.trace, 14.9), Some(2), "a 4 Mbit/s link carries the top layer");

    conference.path.link.capacity = Bitrate::kbps(900);
    conference.run(Duration::from_secs(15));
    assert!(layer_at(&conference.trace, 16.0).is_some_and(|l| l <= 1), "a second after the link shrank to 900 kbit/s");
    assert_eq!(
        conference.trace.layers[200..300],
        [Some(1); 100],
        "the middle layer fits 900 kbit/s, and the subscriber's own probes do not push it off; estimates: {:?}",
        &conference.trace.estimates[150..300]
    );

    conference.path.link.capacity = Bitrate::kbps(4000);
    conference.run(Duration::from_secs(15));
    let back = conference.trace.layers[300..].iter().position(|&l| l == Some(2));
    assert!(back.is_some_and(|i| i <= 150), "back at the top layer within 15 s of the link recovering");
}

#[test]
fn layers_change_only_at_a_keyframe_and_the_stream_stays_continuous() {
    let mut conference = Conference::new(Bitrate::kbps(4000));
    conference.run(Duration::from_secs(10));
    conference.path.link.capacity = Bitrate::kbps(600);
    conference.run(Duration::from_secs(10));
    conference.path.link.capacity = Bitrate::kbps(4000);
    conference.run(Duration::from_secs(15));
    let trace = &conference.trace;

    assert!(trace.switches.len() >= 3, "switches: {:?}", trace.switches);
    for &(at, layer, keyframe) in &trace.switches {
        assert!(keyframe, "switched to {layer:?} at {at:?} on a packet that does not start a keyframe");
    }
    for pair in trace.video_sequences.windows(2) {
        assert_eq!(pair[1], pair[0].wrapping_add(1), "the subscriber's video numbering has a gap or a jump");
    }
}

/// Of the audio sent from `from` on: the share that arrived, and the share that arrived within
/// 100 ms (the one-way delay is 30 ms; the rest is queueing behind video).
fn audio_delivery(trace: &Trace, from: Duration) -> (f64, f64) {
    let sent: Vec<_> = trace.audio.iter().filter(|(at, _)| *at >= from).collect();
    let arrived = sent.iter().filter(|(_, delay)| delay.is_some()).count();
    let prompt = sent.iter().filter(|(_, delay)| delay.is_some_and(|d| d <= Duration::from_millis(100))).count();
    (arrived as f64 / sent.len() as f64, prompt as f64 / sent.len() as f64)
}

#[test]
fn audio_keeps_arriving_when_the_link_shrinks_below_the_video() {
    let mut conference = Conference::new(Bitrate::kbps(4000));
    conference.run(Duration::from_secs(5));
    conference.path.link.capacity = Bitrate::kbps(120);
    conference.run(Duration::from_secs(15));
    // Two seconds to notice and drain the queue the top layer left behind.
    let (arrived, prompt) = audio_delivery(&conference.trace, Duration::from_secs(7));
    assert!(arrived >= 0.99, "{:.1} % of the audio arrived", arrived * 100.0);
    assert!(prompt >= 0.95, "{:.1} % of the audio arrived within 100 ms", prompt * 100.0);
}

#[test]
fn a_link_below_the_lowest_layer_pauses_the_video_and_keeps_the_audio() {
    let mut conference = Conference::new(Bitrate::kbps(120));
    conference.run(Duration::from_secs(10));
    assert_eq!(conference.trace.states.last(), Some(&VideoState::Paused));
    let (arrived, prompt) = audio_delivery(&conference.trace, Duration::from_secs(2));
    assert!(arrived >= 0.99 && prompt >= 0.95, "audio: {arrived:.3} arrived, {prompt:.3} promptly");
}

#[test]
fn a_hidden_tile_gets_no_video() {
    let mut conference = Conference::new(Bitrate::kbps(4000));
    conference.wanted_layer = None;
    conference.run(Duration::from_secs(3));
    assert!(conference.trace.video_sequences.is_empty());
    assert_eq!(conference.trace.states.last(), Some(&VideoState::Paused));
}

fn demand(wanted: Option<u8>, current: Option<u8>, priority: u32) -> Demand {
    Demand { wanted, rates: rates(), current, priority }
}

#[test]
fn audio_is_served_before_any_video() {
    let allocation = allocate(Bitrate::kbps(180), Bitrate::kbps(40), &[demand(Some(2), None, 1)]);
    assert_eq!(allocation.layers, vec![None], "150 kbit/s of video does not fit beside 40 of audio in 180");
}

#[test]
fn every_visible_video_gets_its_lowest_layer_before_any_gets_more() {
    let demands = [demand(Some(2), Some(0), 3), demand(Some(2), Some(0), 2), demand(Some(2), Some(0), 1)];
    // Room for one upgrade to the middle layer (575 with its margin, less the 150 it replaces).
    let allocation = allocate(Bitrate::kbps(40 + 150 * 3 + 450), Bitrate::kbps(40), &demands);
    assert_eq!(allocation.layers, vec![Some(1), Some(0), Some(0)], "the speaker gets the upgrade");
    let top_as_upgrade = Bitrate::kbps(1500).scaled(1.15);
    assert_eq!(allocation.wanted, Bitrate::kbps(40) + top_as_upgrade + top_as_upgrade + top_as_upgrade);
}

#[test]
fn a_small_tile_gets_the_low_layer_however_much_room_there_is() {
    let allocation = allocate(Bitrate::kbps(10_000), AUDIO, &[demand(Some(layer_for_height(180)), None, 1)]);
    assert_eq!(allocation.layers, vec![Some(0)]);
}

#[test]
fn an_upgrade_needs_headroom_but_keeping_a_layer_does_not() {
    // 40 + 500 = 540: exactly enough to keep the middle layer, not enough to move up to it.
    let budget = Bitrate::kbps(540);
    assert_eq!(allocate(budget, AUDIO, &[demand(Some(2), Some(1), 1)]).layers, vec![Some(1)]);
    assert_eq!(allocate(budget, AUDIO, &[demand(Some(2), Some(0), 1)]).layers, vec![Some(0)]);
}

#[test]
fn the_picture_kept_cheap_leaves_no_room_for_a_second() {
    // Low layers at 150: one running, one paused. 40 + 150 × 0.6 = 130 keeps the running one
    // on the discount.
    let demands = [demand(Some(2), Some(0), 2), demand(Some(2), None, 1)];
    assert_eq!(allocate(Bitrate::kbps(140), AUDIO, &demands).layers, vec![Some(0), None]);
    // The second starts only when both fit at their usual prices (130 kept, 172.5 to start).
    assert_eq!(allocate(Bitrate::kbps(320), AUDIO, &demands).layers, vec![Some(0), None], "a discount is no room");
    assert_eq!(allocate(Bitrate::kbps(345), AUDIO, &demands).layers, vec![Some(0), Some(0)]);
}
