//! Which layer of each published video a subscriber gets, and switching between them.
//!
//! [`allocate`] shares a subscriber's bandwidth estimate out over the videos it shows: audio
//! first (it is never dropped to make room for video), then every visible video its lowest
//! layer in order of priority (the speaker, then the biggest tile), then upgrades in the same
//! order up to the layer its tile can use. A video that does not fit even at its lowest layer
//! is paused, and the subscriber is told. A layer above the one being received costs 15 %
//! more than its measured rate, so a subscriber does not flap between two layers on every
//! small change of the estimate.
//!
//! [`VideoForward`] carries out the choice for one video: it keeps forwarding the current
//! layer until a keyframe of the target layer arrives (a decoder cannot start anywhere else),
//! asks the publisher for that keyframe, and rewrites the numbering so the subscriber sees one
//! stream ([`super::rewrite`]).

use super::rewrite::{PictureIds, Rewriter, Rewritten};
use super::vp8::Descriptor;
use crate::sfu::congestion::Bitrate;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// Simulcast layers per video: low, medium, high (for example 180p, 360p, 720p).
pub const LAYERS: usize = 3;

/// The measured bitrate of each layer of one published video; `None` for a layer that is not
/// arriving (not sent, or paused by the publisher).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerRates(pub [Option<Bitrate>; LAYERS]);

impl LayerRates {
    /// The lowest layer that arrives, up to `up_to`.
    pub fn lowest(&self, up_to: u8) -> Option<u8> {
        (0..=up_to).find(|&l| self.0[usize::from(l)].is_some())
    }

    /// The rate of `layer`, zero when it does not arrive.
    pub(crate) fn rate(&self, layer: u8) -> Bitrate {
        self.0[usize::from(layer)].unwrap_or_default()
    }
}

/// The layer a tile of this many CSS pixels high (times the device pixel ratio) can use.
pub fn layer_for_height(pixels: u32) -> u8 {
    match pixels {
        0..=240 => 0,
        241..=480 => 1,
        _ => 2,
    }
}

/// What a subscriber wants of one video.
#[derive(Debug, Clone, Copy)]
pub struct Demand {
    /// The highest layer its tile can use; `None` when the tile is not visible.
    pub wanted: Option<u8>,
    pub rates: LayerRates,
    /// The layer it receives now.
    pub current: Option<u8>,
    /// Higher first: the active speaker above the others, bigger tiles above smaller.
    pub priority: u32,
}

/// A subscriber's share-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The layer each demand gets (same order as the demands), `None` for paused or hidden.
    pub layers: Vec<Option<u8>>,
    /// What the subscriber would need for every visible video to get the layer it wants (with
    /// the upgrade margin): above the estimate, it is what a probe should try.
    pub wanted: Bitrate,
}

/// A running video's lowest layer is kept while this share of its rate fits.
const KEEP_LOWEST: f64 = 0.6;

/// Upgrades above the current layer cost this much more than their measured rate.
pub(crate) const UPGRADE_MARGIN: f64 = 1.15;

/// Shares `estimate` out: `audio` first, then the videos.
pub fn allocate(estimate: Bitrate, audio: Bitrate, demands: &[Demand]) -> Allocation {
    let mut layers = vec![None; demands.len()];
    let mut order: Vec<usize> = (0..demands.len()).collect();
    // Videos that run first, then the biggest tiles: when not all fit, the one the subscriber
    // sees keeps going rather than being swapped for another (a swap costs a keyframe and
    // a picture that was moving).
    order.sort_by_key(|&i| std::cmp::Reverse((demands[i].current.is_some(), demands[i].priority)));
    let cost = |d: &Demand, layer: u8| {
        let rate = d.rates.rate(layer);
        // A band either side of the measured rate: a layer is taken with room to spare and
        // kept until it is clearly too much, so a rate that wobbles does not switch layers
        // (each switch costs a keyframe).
        if d.current.is_some_and(|c| layer <= c) {
            rate.scaled(1.0 / UPGRADE_MARGIN)
        } else {
            rate.scaled(UPGRADE_MARGIN)
        }
    };
    // Pausing the one picture that is running is the last resort: the first running video's
    // lowest layer is kept down to this share of its rate. One over-use of the delay signal
    // cuts the estimate to 85 % of what arrived, which on a link that carries the audio and one
    // low layer with little to spare paused the only picture the subscriber had (the `weak`
    // e2e story); an overload that lasts cuts again, and then it goes. The discount only
    // decides whether it is kept: what it leaves for the others is reckoned at its usual cost,
    // or a second low layer fitted beside one kept cheap on a link that carries one, and the
    // two together starved the audio.
    let mut spared = false;
    let mut left = estimate.saturating_sub(audio);
    for &i in &order {
        let d = &demands[i];
        let Some(lowest) = d.wanted.and_then(|w| d.rates.lowest(w)) else { continue };
        let price = if d.current.is_some() && !spared {
            spared = true;
            d.rates.rate(lowest).scaled(KEEP_LOWEST)
        } else {
            cost(d, lowest)
        };
        if price <= left {
            left = left.saturating_sub(cost(d, lowest));
            layers[i] = Some(lowest);
        }
    }
    for &i in &order {
        let (d, Some(now), Some(wanted)) = (&demands[i], layers[i], demands[i].wanted) else { continue };
        let mut best = now;
        for layer in now + 1..=wanted {
            if d.rates.0[usize::from(layer)].is_none() {
                continue;
            }
            let extra = cost(d, layer).saturating_sub(cost(d, now));
            if extra <= left {
                best = layer;
            }
        }
        left = left.saturating_sub(cost(d, best).saturating_sub(cost(d, now)));
        layers[i] = Some(best);
    }
    // Priced as an upgrade where it is one, so that a probe aims high enough to allow it.
    let wanted = demands
        .iter()
        .filter_map(|d| {
            d.wanted.and_then(|w| (0..=w).rev().find(|&l| d.rates.0[usize::from(l)].is_some())).map(|l| cost(d, l))
        })
        .fold(audio, |sum, rate| sum + rate);
    Allocation { layers, wanted }
}

/// What the subscriber is told about one video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoState {
    /// Receiving this layer.
    Forwarding(u8),
    /// Waiting for the first keyframe.
    Starting,
    /// Not sent: hidden, or the link cannot carry even the lowest layer.
    Paused,
}

/// At most one keyframe request per video and subscriber in this interval.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(300);

/// One subscriber's copy of one published video.
#[derive(Debug, Default)]
pub struct VideoForward {
    target: Option<u8>,
    current: Option<u8>,
    rewriter: Rewriter,
    last_keyframe_request: Option<Instant>,
}

impl VideoForward {
    /// The layer the allocation chose (`None`: pause). Pausing takes effect at once; any other
    /// change at the next keyframe of the new layer.
    pub fn set_target(&mut self, target: Option<u8>) {
        self.target = target;
        if target.is_none() {
            self.current = None;
        }
    }

    pub fn current(&self) -> Option<u8> {
        self.current
    }

    pub fn target(&self) -> Option<u8> {
        self.target
    }

    /// The copy passes to another published video (a slot reused): it starts again at that
    /// video's next keyframe, numbered on from where this one stopped.
    pub fn restart(&mut self) {
        self.current = None;
        self.last_keyframe_request = None;
    }

    pub fn state(&self) -> VideoState {
        match (self.target, self.current) {
            (None, _) => VideoState::Paused,
            (Some(_), Some(layer)) => VideoState::Forwarding(layer),
            (Some(_), None) => VideoState::Starting,
        }
    }

    /// The layer to ask the publisher for a keyframe on, when a switch is waiting for one and
    /// no request went out in the last 300 ms.
    pub fn keyframe_request(&mut self, now: Instant) -> Option<u8> {
        let target = self.target?;
        if self.current == Some(target) {
            return None;
        }
        if self.last_keyframe_request.is_some_and(|at| now.saturating_duration_since(at) < KEYFRAME_REQUEST_INTERVAL) {
            return None;
        }
        self.last_keyframe_request = Some(now);
        Some(target)
    }

    /// A packet of layer `layer` of this video: its numbering for the subscriber (and its
    /// payload's descriptor rewritten), or `None` if this subscriber does not get it.
    pub fn on_packet(
        &mut self,
        layer: u8,
        sequence: u16,
        timestamp: u32,
        payload: &mut [u8],
        now: Instant,
    ) -> Option<Rewritten> {
        let descriptor = Descriptor::parse(payload).ok()?;
        let (out, ids) = self.admit(layer, sequence, timestamp, &descriptor, now)?;
        ids.write(&descriptor, payload);
        Some(out)
    }

    /// As [`VideoForward::on_packet`], for a payload shared between subscribers, whose
    /// `descriptor` the caller parsed once for all of them: the same payload when its
    /// descriptor stays as it is, a rewritten copy when a switch moved the picture numbering.
    pub fn forward(
        &mut self,
        layer: u8,
        sequence: u16,
        timestamp: u32,
        payload: &Bytes,
        descriptor: &Descriptor,
        now: Instant,
    ) -> Option<(Rewritten, Bytes)> {
        let (out, ids) = self.admit(layer, sequence, timestamp, descriptor, now)?;
        if ids.unchanged(descriptor) {
            return Some((out, payload.clone()));
        }
        let mut copy = payload.to_vec();
        ids.write(descriptor, &mut copy);
        Some((out, Bytes::from(copy)))
    }

    /// Whether this subscriber gets the packet (switching layers at a keyframe of the target),
    /// and its numbering if so.
    fn admit(
        &mut self,
        layer: u8,
        sequence: u16,
        timestamp: u32,
        descriptor: &Descriptor,
        now: Instant,
    ) -> Option<(Rewritten, PictureIds)> {
        let target = self.target?;
        if self.current != Some(layer) && target != layer {
            return None;
        }
        if self.current != Some(target) && layer == target && descriptor.keyframe {
            self.rewriter.switch(sequence, timestamp, descriptor, now);
            self.current = Some(layer);
        }
        if self.current != Some(layer) {
            return None;
        }
        self.rewriter.number(sequence, timestamp, descriptor, now)
    }
}
