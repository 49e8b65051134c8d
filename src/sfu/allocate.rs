//! Which layer of each video a subscriber gets: twice a second, and whenever what it shows or
//! what it receives changes, the subscriber's media task shares its bandwidth estimate out over
//! the videos it receives ([`simulcast::allocate`]: audio first, then every visible video's
//! lowest layer, biggest tile first, then upgrades up to what each tile can use) and sets each
//! video slot's target. The forwarding loops carry the targets out at the next keyframe of the
//! target layer. A video the link cannot carry even at its lowest layer is paused, and the
//! subscriber is told (`video_state`).

use super::congestion::Bitrate;
use super::peer::{ClientSignal, PeerTask};
use super::simulcast::select::UPGRADE_MARGIN;
use super::simulcast::{self, Demand, LAYERS, LayerRates, layer_for_height};
use crate::media::MediaKind;
use std::time::{Duration, Instant};

/// How often the allocation runs without a reason (the estimate moves continuously).
pub(super) const INTERVAL: Duration = Duration::from_millis(500);

/// A layer's rate until it is measured (just opened): what the browser's encodings are capped
/// at (`web/js/room/layers.js`; browsers publish layers 0 and 2 of a 640×480 camera).
const NOMINAL: [Bitrate; LAYERS] = [Bitrate::kbps(200), Bitrate::kbps(400), Bitrate::kbps(1_000)];

/// An audio track's rate until it is measured: Opus at a browser's default, with headers.
const NOMINAL_AUDIO: Bitrate = Bitrate::kbps(50);

/// What a subscriber without any feedback (a peer that sends none) is assumed to carry:
/// everything.
const UNLIMITED: Bitrate = Bitrate::kbps(1_000_000);

/// How long the path must stay calm (no over-use in the feedback) before the allocation tries
/// a layer above what the estimate carries.
const CALM: Duration = Duration::from_secs(2);

/// At most one step up per this interval, so each step's feedback is in before the next.
const STEP: Duration = Duration::from_millis(1500);

/// A trial's first second is shielded from over-use: the layer it adds starts with a keyframe,
/// whose burst queues on a link near its limit however well the layer fits once it runs.
const TRIAL_SHIELD: Duration = Duration::from_secs(1);

/// After a video was cut (a lower layer, or paused), nothing goes up for this long. A link
/// near its limit makes the estimate swing by half within a second; following every swing
/// would switch layers, and so ask for keyframes, which on such a link cost the most of all.
const HOLD: Duration = Duration::from_secs(4);

/// Climbing back up after a drop. The estimator does not let its estimate run far above what
/// the subscriber actually receives (a link is only proven by what crosses it), so a
/// subscriber held at low layers would stay there. Instead of padding, the media itself
/// probes: once the path has been calm for [`CALM`], the allocation allows one more layer
/// than the estimate carries, and one more every [`STEP`] while it stays calm. What the
/// subscriber then receives raises the estimate if the link carries it; the first sign of a
/// queue (over-use) after the first second ends the trial, and the estimate, which fell with it,
/// decides again.
#[derive(Debug)]
pub(super) struct Climb {
    /// The budget of the trial in flight, above the estimate.
    trial: Option<Bitrate>,
    /// Since when the feedback has shown no over-use.
    calm_since: Instant,
    last_step: Instant,
    overuses: u64,
    /// When a video was last cut.
    last_cut: Option<Instant>,
}

impl Climb {
    pub fn new(now: Instant) -> Climb {
        Climb { trial: None, calm_since: now, last_step: now, overuses: 0, last_cut: None }
    }

    /// Holds the share-out's `layers` against the slots' current `targets`: a cut for the link
    /// (below what the tile `wanted`) is taken at once, and then for [`HOLD`] no video goes up
    /// (a video not yet started, `held` false, starts all the same: `held[i]` says video i has
    /// a target of the share-out's making).
    fn hold(
        &mut self,
        layers: &mut [Option<u8>],
        targets: &[Option<u8>],
        wanted: &[Option<u8>],
        held: &[bool],
        now: Instant,
    ) {
        let cut = (0..layers.len()).any(|i| held[i] && layers[i] < targets[i] && layers[i] < wanted[i]);
        if cut {
            self.last_cut = Some(now);
            self.calm_since = self.calm_since.max(now);
            self.trial = None;
        }
        if self.last_cut.is_some_and(|at| now.saturating_duration_since(at) < HOLD) {
            for ((new, old), &held) in layers.iter_mut().zip(targets).zip(held) {
                if held && *new > *old {
                    *new = *old;
                }
            }
        }
    }

    /// What the allocation may share out now: the estimate, or the trial's budget above it.
    fn budget(&mut self, estimate: Bitrate, overuses: u64, now: Instant) -> Bitrate {
        if overuses != self.overuses {
            self.overuses = overuses;
            let shielded = self.trial.is_some() && now.saturating_duration_since(self.last_step) < TRIAL_SHIELD;
            if !shielded {
                self.calm_since = now;
                if self.trial.take().is_some() {
                    tracing::debug!(%estimate, "a trial layer over-used the link: back to the estimate");
                }
            }
        }
        match self.trial {
            Some(trial) if trial > estimate => trial,
            _ => {
                self.trial = None;
                estimate
            }
        }
    }

    /// After an allocation that left something out: tries `next` (one more layer) when the
    /// path has been calm long enough.
    fn step(&mut self, next: Bitrate, now: Instant) {
        let calm = now.saturating_duration_since(self.calm_since) >= CALM;
        if calm && now.saturating_duration_since(self.last_step) >= STEP {
            self.trial = Some(next);
            self.last_step = now;
        }
    }
}

/// The budget that lets one more video one layer higher than `layers` gives it: `budget`
/// plus the cheapest such step; `None` when every video has what it wants.
fn one_step_up(budget: Bitrate, demands: &[Demand], layers: &[Option<u8>]) -> Option<Bitrate> {
    let cost = |d: &Demand, layer: u8| d.rates.0[usize::from(layer)].unwrap_or_default();
    demands
        .iter()
        .zip(layers)
        .filter_map(|(d, &now)| {
            let wanted = d.wanted?;
            let from = now.map_or(0, |l| l + 1);
            let next = (from..=wanted).find(|&l| d.rates.0[usize::from(l)].is_some())?;
            let held = now.map_or(Bitrate::ZERO, |l| cost(d, l));
            Some(cost(d, next).scaled(UPGRADE_MARGIN).saturating_sub(held))
        })
        .min()
        .map(|step| budget + step)
}

/// The rates a video's layers are shared out by: measured, or nominal for a layer that has
/// opened but not been measured yet.
fn rates(measured: LayerRates, open: u8) -> LayerRates {
    if measured.0.iter().any(Option::is_some) {
        return measured;
    }
    LayerRates(std::array::from_fn(|l| (open & (1 << l) != 0).then_some(NOMINAL[l])))
}

/// The layer a tile that can use `wanted` should ask for among those that arrive: the smallest
/// at least as big, or else the biggest there is (a tile between two layers gets the sharper).
fn fit(wanted: u8, rates: &LayerRates) -> u8 {
    let arriving = |l: &u8| rates.0[usize::from(*l)].is_some();
    (wanted..LAYERS as u8).find(arriving).or_else(|| (0..wanted).rev().find(arriving)).unwrap_or(wanted)
}

impl PeerTask {
    /// Shares the subscriber's estimate out over the videos it receives, and sets their targets.
    pub(super) fn allocate(&mut self) {
        // What is sent whatever the link: audio (never dropped to make room for video), and
        // videos without layers.
        let mut fixed = Bitrate::ZERO;
        let mut videos = Vec::new();
        for slot in &self.slots {
            let Some((track, true)) = &slot.carries else { continue };
            let view = self.views.get(&track.owner).copied();
            match (&slot.video, track.kind) {
                (Some(video), MediaKind::Video) if track.simulcast() => {
                    let rates = rates(track.layer_rates(), track.open_layers());
                    let demand = Demand {
                        wanted: match view {
                            Some(0) => None,
                            Some(height) => Some(fit(layer_for_height(height), &rates)),
                            None => Some(LAYERS as u8 - 1),
                        },
                        rates,
                        current: video.current(),
                        priority: view.unwrap_or(0),
                    };
                    videos.push((track.owner, video.clone(), demand));
                }
                // A video without layers (a headless participant, a browser that refused
                // simulcast) has nothing to choose from: it is sent whole while its tile is
                // seen, and costs what it costs, like audio.
                (Some(video), MediaKind::Video) => {
                    let seen = view != Some(0);
                    video.set_target(seen.then_some(0));
                    if seen {
                        fixed = fixed + track.layer_rates().0[0].unwrap_or(NOMINAL[LAYERS - 1]);
                    }
                }
                _ => fixed = fixed + track.layer_rates().0[0].unwrap_or(NOMINAL_AUDIO),
            }
        }
        if videos.is_empty() {
            return;
        }
        let demands: Vec<Demand> = videos.iter().map(|(_, _, d)| *d).collect();
        // Without `adapt_to_link` the estimate is measured (and logged) but the tiles alone
        // choose.
        let measured = self.estimate.get();
        let estimate = measured.filter(|_| self.engine.config.adapt_to_link).unwrap_or(UNLIMITED);
        let now = Instant::now();
        let budget = self.climb.budget(estimate, self.estimate.overuses(), now);
        let mut layers = simulcast::allocate(budget, fixed, &demands).layers;
        let targets: Vec<Option<u8>> = videos.iter().map(|(_, video, _)| video.target()).collect();
        let held: Vec<bool> = videos
            .iter()
            .zip(&targets)
            .map(|((owner, _, _), target)| target.is_some() || self.paused.contains(owner))
            .collect();
        let wanted: Vec<Option<u8>> = demands.iter().map(|d| d.wanted).collect();
        self.climb.hold(&mut layers, &targets, &wanted, &held, now);
        if let Some(next) = one_step_up(budget, &demands, &layers) {
            self.climb.step(next, now);
        }
        for ((owner, video, demand), layer) in videos.iter().zip(layers) {
            if video.target() != layer {
                tracing::debug!(participant = %self.participant, publisher = %owner, ?layer, ?measured, %budget, "video layer");
            }
            video.set_target(layer);
            // Paused for the link, not because the tile is hidden or the camera is off.
            let arriving = demand.rates.0.iter().any(Option::is_some);
            let paused = demand.wanted.is_some() && layer.is_none() && arriving;
            let told = self.paused.contains(owner);
            if paused != told {
                if paused {
                    self.paused.insert(*owner);
                } else {
                    self.paused.remove(owner);
                }
                tracing::info!(participant = %self.participant, publisher = %owner, paused, %budget, "video paused for the link");
                let _ = self.client.send(ClientSignal::VideoState { owner: *owner, paused });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_between_two_layers_asks_for_the_sharper_one_that_arrives() {
        let two = LayerRates([Some(Bitrate::kbps(200)), None, Some(Bitrate::kbps(900))]);
        assert_eq!(fit(0, &two), 0);
        assert_eq!(fit(1, &two), 2, "no middle layer: the full picture");
        assert_eq!(fit(2, &two), 2);
        let low_only = LayerRates([Some(Bitrate::kbps(200)), None, None]);
        assert_eq!(fit(2, &low_only), 0, "nothing bigger arrives: the biggest there is");
    }

    fn video(wanted: Option<u8>) -> Demand {
        Demand {
            wanted,
            rates: LayerRates([Some(Bitrate::kbps(200)), None, Some(Bitrate::kbps(1_000))]),
            current: None,
            priority: 0,
        }
    }

    #[test]
    fn one_step_up_is_the_cheapest_next_layer_of_any_video() {
        let demands = [video(Some(2)), video(Some(2)), video(None)];
        // Both visible videos at the low layer: the next step is one of them at the full
        // picture (1,150 with the margin, less the 200 it has).
        // (The margin is a float: a bit per second either way.)
        let near = |up: Option<Bitrate>, kbps: u64| up.is_some_and(|b| b.bps().abs_diff(kbps * 1000) <= 1);
        let up = one_step_up(Bitrate::kbps(600), &demands, &[Some(0), Some(0), None]);
        assert!(near(up, 1_550), "{up:?}");
        // One paused: its low layer is the cheapest step.
        let up = one_step_up(Bitrate::kbps(600), &demands, &[Some(2), None, None]);
        assert!(near(up, 830), "{up:?}");
        // Everything it wants (the hidden one wants nothing).
        assert_eq!(one_step_up(Bitrate::kbps(3_000), &demands, &[Some(2), Some(2), None]), None);
    }

    #[test]
    fn a_trial_waits_for_calm_climbs_a_step_at_a_time_and_ends_at_an_overuse_past_its_keyframe() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let estimate = Bitrate::kbps(600);
        let mut climb = Climb::new(t0);
        assert_eq!(climb.budget(estimate, 0, at(500)), estimate);
        climb.step(Bitrate::kbps(1_500), at(500));
        assert_eq!(climb.budget(estimate, 0, at(1_000)), estimate, "not calm for long enough yet");
        climb.step(Bitrate::kbps(1_500), at(2_000));
        assert_eq!(climb.budget(estimate, 0, at(2_100)), Bitrate::kbps(1_500), "calm for 2 s: one step");
        climb.step(Bitrate::kbps(2_500), at(2_600));
        assert_eq!(
            climb.budget(estimate, 0, at(2_700)),
            Bitrate::kbps(1_500),
            "the next step waits for this one's feedback"
        );
        climb.step(Bitrate::kbps(2_500), at(3_600));
        assert_eq!(climb.budget(estimate, 0, at(3_700)), Bitrate::kbps(2_500));
        // The step's keyframe queues for a moment: its first second is shielded.
        assert_eq!(climb.budget(estimate, 1, at(3_800)), Bitrate::kbps(2_500));
        // A queue that lasts: straight back to the estimate, and calm must come again.
        assert_eq!(climb.budget(estimate, 2, at(4_700)), estimate);
        climb.step(Bitrate::kbps(1_500), at(5_900));
        assert_eq!(climb.budget(estimate, 2, at(6_000)), estimate);
        climb.step(Bitrate::kbps(1_500), at(6_800));
        assert_eq!(climb.budget(estimate, 2, at(6_900)), Bitrate::kbps(1_500));
        // The estimate caught up with the trial: the trial is over.
        assert_eq!(climb.budget(Bitrate::kbps(1_800), 2, at(7_500)), Bitrate::kbps(1_800));
        assert_eq!(climb.budget(Bitrate::kbps(900), 2, at(7_600)), Bitrate::kbps(900));
    }

    #[test]
    fn after_a_cut_nothing_goes_up_for_a_while_but_a_new_video_starts() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut climb = Climb::new(t0);
        let wanted = [Some(2); 3];
        // A tile scrolled out of view is no cut for the link: nothing is held.
        let mut layers = [None, Some(2), Some(2)];
        climb.hold(&mut layers, &[Some(2), Some(0), Some(0)], &[None, Some(2), Some(2)], &[true; 3], at(500));
        assert_eq!(layers, [None, Some(2), Some(2)]);
        // Video 0 cut from the full picture to the low layer, video 1 paused: taken at once.
        let mut layers = [Some(0), None, Some(2)];
        climb.hold(&mut layers, &[Some(2), Some(0), None], &wanted, &[true, true, false], at(1_000));
        assert_eq!(layers, [Some(0), None, Some(2)], "the cuts at once; the new video starts");
        // Half a second later the estimate swings up: held.
        let mut layers = [Some(2), Some(0), Some(2)];
        climb.hold(&mut layers, &[Some(0), None, Some(2)], &wanted, &[true; 3], at(1_500));
        assert_eq!(layers, [Some(0), None, Some(2)]);
        // Four seconds after the cut: up it goes.
        let mut layers = [Some(2), Some(0), Some(2)];
        climb.hold(&mut layers, &[Some(0), None, Some(2)], &wanted, &[true; 3], at(5_000));
        assert_eq!(layers, [Some(2), Some(0), Some(2)]);
    }

    #[test]
    fn a_layer_that_opened_counts_at_its_nominal_rate_until_it_is_measured() {
        let nothing = LayerRates::default();
        assert_eq!(rates(nothing, 0b101), LayerRates([Some(NOMINAL[0]), None, Some(NOMINAL[2])]));
        let measured = LayerRates([Some(Bitrate::kbps(180)), None, None]);
        assert_eq!(rates(measured, 0b101), measured, "measured rates win, a silent layer is not arriving");
    }
}
