//! Which layer of each video a subscriber gets: twice a second, and whenever what it shows or
//! what it receives changes, the subscriber's media task shares its bandwidth estimate out over
//! the videos it receives ([`simulcast::allocate`]: audio first, then every visible video's
//! lowest layer, biggest tile first, then upgrades up to what each tile can use) and sets each
//! video slot's target. The forwarding loops carry the targets out at the next keyframe of the
//! target layer. A video the link cannot carry even at its lowest layer is paused, and the
//! subscriber is told (`video_state`).

use super::congestion::Bitrate;
use super::engine::Engine;
use super::estimate::EstimateHandle;
use super::peer::{ClientSignal, PeerTask};
use super::publish::{TrackState, VideoSlot};
use super::simulcast::{self, Demand, LAYERS, LayerRates, layer_for_height};
use crate::media::MediaKind;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use uuid::Uuid;

/// How often the allocation runs without a reason (the estimate moves continuously).
pub(super) const INTERVAL: Duration = Duration::from_millis(500);

/// A layer's rate until it is measured (just opened): what the browser's encodings are capped
/// at (`web/js/room/layers.js`; browsers publish layers 0 and 2 of a 640×480 camera).
const NOMINAL: [Bitrate; LAYERS] = [Bitrate::kbps(150), Bitrate::kbps(400), Bitrate::kbps(1_000)];

/// An audio track's rate until it is measured: Opus at a browser's default, with its headers
/// on the wire (50 packets a second).
const NOMINAL_AUDIO: Bitrate = Bitrate::kbps(60);

/// What a subscriber without any feedback (a peer that sends none) is assumed to carry:
/// everything.
const UNLIMITED: Bitrate = Bitrate::kbps(1_000_000);

/// How long the path must stay calm (no over-use in the feedback) before the allocation tries
/// a layer above what the estimate carries.
const CALM: Duration = Duration::from_secs(2);

/// After a trial that failed, the calm the next one waits for doubles, up to this: on a link
/// that carries what it gets and no more, each trial costs a burst of loss (audio included).
const MAX_PATIENCE: Duration = Duration::from_secs(8);

/// At most one step up per this interval, so each step's feedback is in before the next.
const STEP: Duration = Duration::from_millis(1500);

/// A trial that ran this long without over-use past its shield has proven the link carries it.
const PROOF: Duration = Duration::from_millis(2500);

/// On a path that loses nothing (below [`CLEAN`]), a trial is proven sooner, and one that
/// passed there lets the next try twice what is shared out ([`BOLD`]). Loss is what makes a
/// trial slow to judge: on a lossy link, each over-use may be loss read as a queue, and a
/// layer too many shows late. A link whose trouble ended (the round trip back to a few
/// milliseconds, no loss) otherwise took five trials of 2.5 s back from one low picture to
/// three full ones (the `weak` e2e story); libwebrtc probes such a path at twice the estimate
/// and more.
const PROOF_CLEAN: Duration = Duration::from_millis(1800);

/// The loss (a report's fraction lost, in 256ths: about 1 %) under which a path counts as
/// losing nothing ([`PROOF_CLEAN`]).
const CLEAN: u8 = 3;

/// What a trial after one that passed on a clean path tries, as a multiple of what is shared
/// out: GCC's probes after a good one go to twice the estimate.
const BOLD: f64 = 2.0;

/// A trial's first second is shielded from over-use: the layer it adds starts with a keyframe,
/// whose burst queues on a link near its limit however well the layer fits once it runs.
const TRIAL_SHIELD: Duration = Duration::from_secs(1);

/// The last picture a subscriber still gets is paused for the link only once the estimate has
/// stayed too low for it this long. A cut for a moment's queue (a keyframe's, a hiccup of the
/// receiver) is undone within a couple of seconds if the picture keeps running, because the
/// estimate follows what the path keeps delivering; paused, the picture proves nothing, and on
/// a 500 kbit/s link it stayed paused for the seconds until a trial, and ran less than half the
/// time (the `weak` e2e story). An overload that lasts still pauses it, and the pacer drops
/// what the link cannot take meanwhile rather than let it queue in front of the audio.
///
/// The grace counts only while the path does not keep up with what it is sent
/// ([`Climb::keeps_up`]): on a link that loses a few percent by nature, the delay signal reads
/// a queue every second or two, each time the estimate falls to 85 % of what arrived, and what
/// arrived was the audio and the one picture, so the estimate spent most of its time just
/// under them while the link carried both (the `weak` e2e story: 500 kbit/s carrying 360, the
/// picture paused for 4 s at a time). Paused, nothing shows the estimate wrong; running, a
/// link that cannot carry it shows a queue building up or heavy loss within a second or two.
const PAUSE_GRACE: Duration = Duration::from_secs(2);

/// A path keeps up with what it is sent while its round trip is less than this above its
/// least of the last few seconds (no queue building up in front of the audio) ...
const QUEUE_BUILDING: Duration = Duration::from_millis(80);

/// ... and while it loses less than this (a report's fraction lost, in 256ths: 10 %, where
/// the loss-based controller starts to cut).
const HEAVY_LOSS: u8 = 26;

/// A level a trial failed at is not tried again for this long, unless the path changed (its
/// round trip halved against its floor, [`Climb::path`]). On a link that carries
/// the audio and one low layer, a second low layer fails every time, and each try costs a burst
/// of loss, the audio's included; with the calm doubling to 8 s it was tried every 10 s or so.
const FAILED_MEMORY: Duration = Duration::from_secs(30);

/// On a lossy path ([`CLEAN`] not), a trial reaches at most this far above the estimate. Loss
/// makes a trial slow to judge, and the delay signal noisy, so the estimate sits below what a
/// weak link carries; a second low picture tried from there (the estimate 240–350 kbit/s, the
/// audio and one low picture 350, the trial 480–500, on the `weak` e2e story's 500 kbit/s link
/// that loses 5 %) overflowed the link before it was judged, and the picture that ran lost
/// half its frames. On a path that carries more, the estimate rises up to half above what
/// arrives (`congestion::rate::delivered_ceiling`), and the trial comes within reach.
const LOSSY_REACH: f64 = 1.25;

/// A trial during which the estimate fell below this share of what was shared out before it
/// failed, over-use or not.
const TRIAL_FALL: f64 = 0.9;

/// After a video was cut (a lower layer, or paused), nothing goes up for this long. A link
/// near its limit makes the estimate swing by half within a second; following every swing
/// would switch layers, and so ask for keyframes, which on such a link cost the most of all.
const HOLD: Duration = Duration::from_secs(4);

/// The path's floor is the least round trip without its queue over this long ...
const FLOOR_WINDOW: Duration = Duration::from_secs(10);

/// ... bar the last second (the round trip is smoothed over about that, so a path that got
/// better shows in it over a few reports, not at once) ...
const FLOOR_LAG: Duration = Duration::from_secs(1);

/// ... kept as the least of each half second.
const FLOOR_SLOT: Duration = Duration::from_millis(500);

/// Climbing back up after a drop. The estimator does not let its estimate run far above what
/// the subscriber actually receives (a link is only proven by what crosses it), so a
/// subscriber held at low layers would stay there. Instead of padding, the media itself
/// probes: once the path has been calm for [`CALM`], the allocation allows one more layer
/// than the estimate carries, and one more every [`STEP`] while it stays calm. What the
/// subscriber then receives raises the estimate if the link carries it; the first sign of a
/// queue (over-use) after the first second ends the trial, and the estimate, which fell with it,
/// decides again. Each failed trial doubles the calm the next one waits for (up to
/// [`MAX_PATIENCE`]); a trial the estimate caught up with sets it back to [`CALM`].
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
    /// The calm the next trial waits for: [`CALM`], doubled by each failed trial.
    patience: Duration,
    /// What was shared out before the trial in flight.
    base: Bitrate,
    /// What was sent before the trial in flight (audio and the layers sent, at their rates): on
    /// a clean path, an estimate that falls below [`TRIAL_FALL`] of it fails the trial. Less
    /// than what was shared out when the share-out had room to spare: a bold trial's budget is
    /// twice the last, and judged by the budget, the estimate that followed what the path then
    /// delivered failed the next trial on a path that carried it (the `weak` story, after the
    /// lift). On a lossy path the budget stays the measure: judged by what was sent, trials
    /// that overflowed a weak link ran on for longer and froze the picture that ran.
    sent: Bitrate,
    /// After a failed trial, until when what was shared out before it still is: the trial's
    /// own overflow cuts the estimate below what the link carried before it, and following that
    /// would take away the layers that worked along with the one that did not.
    fallback: Option<(Bitrate, Instant)>,
    /// A trial passed: the estimate is to take what the link delivered as proven.
    proved: bool,
    /// After a trial passed, until when its budget (and its layers) still stand, unless the
    /// path shows a queue or the estimate reaches it: what the estimate takes as proven is what
    /// arrived over the last half second, and a layer the trial switched to late (at its
    /// keyframe, a round trip and more on) counted for little of it. Taken at its word, the
    /// estimate cut the layers the trial had just proven, and held the climb for 4 s.
    kept: Option<(Bitrate, Instant)>,
    /// Since when the share-out would pause the last picture ([`PAUSE_GRACE`]).
    short_since: Option<Instant>,
    /// The path's round trip, as last seen.
    rtt: Option<Duration>,
    /// The last failed trial: its budget and when ([`FAILED_MEMORY`]).
    failed: Option<(Bitrate, Instant)>,
    /// The share of packets the path lost lately (a report's fraction lost, in 256ths).
    loss: u8,
    /// How much longer the round trip is than its least of the last few seconds: a queue
    /// building up on the path.
    queue: Duration,
    /// The last trial passed on a clean path, and nothing was cut since: the next may be bold
    /// ([`BOLD`]) while the path stays clean.
    bold: bool,
    /// The path's round trip without its queue, the least of each [`FLOOR_SLOT`] over the last
    /// [`FLOOR_WINDOW`], and whether it lost packets ([`CLEAN`] not) all that slot: what the
    /// path itself is like ([`Climb::path`]).
    floor: VecDeque<(Instant, Duration, bool)>,
}

impl Climb {
    pub fn new(now: Instant) -> Climb {
        Climb {
            trial: None,
            calm_since: now,
            last_step: now,
            overuses: 0,
            last_cut: None,
            patience: CALM,
            base: Bitrate::ZERO,
            sent: Bitrate::ZERO,
            fallback: None,
            proved: false,
            kept: None,
            short_since: None,
            rtt: None,
            failed: None,
            loss: 0,
            queue: Duration::ZERO,
            bold: false,
            floor: VecDeque::new(),
        }
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
        // A trial's layers stand until it is judged (by the estimate and the delay signal, in
        // [`Climb::budget`]), from the allocation after the one that started it, unless a tile
        // wants less. A layer the trial added is priced again meanwhile, and its keyframe's
        // bytes put it just over a budget it fitted (a bold trial's budget is twice the last,
        // not what the layers need): the cut took the trial with it, and held the climb for
        // four seconds (the `weak` e2e story, a climb back after the lift of over 15 s). And
        // the share-out priced again may lift another video beside the one the trial chose:
        // two keyframes, and a trial of more than its budget. So too while a trial that passed
        // still keeps its budget ([`Climb::kept`]).
        if (self.trial.is_some() || self.kept.is_some()) && now > self.last_step {
            for i in 0..layers.len() {
                if held[i] && wanted[i] >= targets[i] {
                    layers[i] = targets[i];
                }
            }
        }
        let cut = (0..layers.len()).any(|i| held[i] && layers[i] < targets[i] && layers[i] < wanted[i]);
        if cut {
            self.last_cut = Some(now);
            self.calm_since = self.calm_since.max(now);
            self.trial = None;
            // The climb after a cut starts with one step again.
            self.bold = false;
        }
        if self.held(now) {
            for ((new, old), &held) in layers.iter_mut().zip(targets).zip(held) {
                if held && *new > *old {
                    *new = *old;
                }
            }
        }
    }

    /// Whether a cut holds everything back ([`HOLD`]).
    fn held(&self, now: Instant) -> bool {
        self.last_cut.is_some_and(|at| now.saturating_duration_since(at) < HOLD)
    }

    /// Takes the path's round trip, loss (in 256ths) and the queue building up as the feedback
    /// shows them `now`. A path that lost packets all along its floor's window and now loses
    /// none, at a round trip under half its floor, changed (a weak link that got better): what
    /// failed on it may be tried again at once, and a cut before the change holds nothing back
    /// any more. It is a lossy path's caution that this undoes: a lossy path keeps trials within
    /// reach, and often has no failed trial to go by, so when the `weak` e2e story's link
    /// recovered, the climb went one step at a time, 10–15 s back to three full pictures. The
    /// first trial after the change is one step all the same (the change is a guess); once it
    /// passed on the clean path, the next is bold ([`BOLD`]).
    ///
    /// A round trip halved alone is no change of path: a queue of the server's own making that
    /// drains halves it too, whenever the buffer had stood full long enough for the estimator's
    /// least round trip (of 2–4 s) to include it. Measured against the round trip at a failed
    /// trial or a cut, the drain let the top layer try again and again behind a 200 ms
    /// drop-tail buffer on loopback (the capped subscriber's API test, 2 of 9 runs under load),
    /// and on the weak link two paused pictures back at once, 3 s after a cut made while her
    /// buffer filled. Against a floor of 10 s alone, the first still failed, 1 run in 6: that
    /// buffer stood full from the join on, and a bold first trial went straight to the top.
    fn path(&mut self, rtt: Option<Duration>, loss: u8, queue: Duration, now: Instant) {
        self.rtt = rtt;
        self.loss = loss;
        self.queue = queue;
        let Some(rtt) = rtt else { return };
        let (mut floor, mut lossy) = (None::<Duration>, true);
        for &(at, least, lost) in &self.floor {
            if now.saturating_duration_since(at) >= FLOOR_LAG {
                floor = Some(floor.map_or(least, |floor| floor.min(least)));
                lossy &= lost;
            }
        }
        if let Some(floor) = floor
            && lossy
            && self.clean()
            && rtt < floor / 2
        {
            tracing::debug!(?rtt, ?floor, "the path changed: failed trials and cuts forgotten");
            self.failed = None;
            self.patience = CALM;
            self.last_cut = None;
            self.floor.clear();
        }
        let (least, lost) = (rtt.saturating_sub(queue), !self.clean());
        match self.floor.back_mut() {
            Some((at, slot, slot_lost)) if now.saturating_duration_since(*at) < FLOOR_SLOT => {
                *slot = (*slot).min(least);
                *slot_lost &= lost;
            }
            _ => self.floor.push_back((now, least, lost)),
        }
        while self.floor.front().is_some_and(|(at, _, _)| now.saturating_duration_since(*at) > FLOOR_WINDOW) {
            self.floor.pop_front();
        }
    }

    /// Whether the path carries what it is sent: no queue building up ([`QUEUE_BUILDING`]) and
    /// no heavy loss ([`HEAVY_LOSS`]).
    fn keeps_up(&self) -> bool {
        self.queue < QUEUE_BUILDING && self.loss < HEAVY_LOSS
    }

    /// Whether the path loses nothing to speak of ([`CLEAN`]).
    fn clean(&self) -> bool {
        self.loss < CLEAN
    }

    /// Keeps the last picture running (at `lowest`, the lowest layer of each video that
    /// arrives) when the share-out in `layers` would pause it for the link, until the shortfall
    /// has lasted [`PAUSE_GRACE`] with a path that does not keep up with it. `targets` are the
    /// current ones; `wanted` what each tile can use (a hidden tile is no picture to keep).
    fn spare_last_picture(
        &mut self,
        layers: &mut [Option<u8>],
        targets: &[Option<u8>],
        wanted: &[Option<u8>],
        lowest: &[Option<u8>],
        now: Instant,
    ) {
        let running = |i: usize| targets[i].is_some() && wanted[i].is_some();
        let last = (layers.iter().all(Option::is_none)).then(|| (0..layers.len()).find(|&i| running(i))).flatten();
        let Some(i) = last else {
            self.short_since = None;
            return;
        };
        if self.keeps_up() {
            self.short_since = None;
            layers[i] = lowest[i];
            return;
        }
        let since = *self.short_since.get_or_insert(now);
        if now.saturating_duration_since(since) < PAUSE_GRACE {
            layers[i] = lowest[i];
        }
    }

    /// What the allocation may share out now: the estimate, or the trial's budget above it.
    fn budget(&mut self, estimate: Bitrate, overuses: u64, now: Instant) -> Bitrate {
        let shielded = self.trial.is_some() && now.saturating_duration_since(self.last_step) < TRIAL_SHIELD;
        // A full queue shows in loss, not in the delay's growth: a trial whose link fills up
        // and drops cuts the estimate without any over-use. Such a trial failed too.
        let floor = if self.clean() { self.sent } else { self.base };
        let fell = self.trial.is_some() && !shielded && estimate < floor.scaled(TRIAL_FALL);
        if overuses != self.overuses || fell {
            self.overuses = overuses;
            if !shielded {
                self.calm_since = now;
                self.kept = None;
                if let Some(trial) = self.trial.take() {
                    self.bold = false;
                    self.failed = Some((trial, now));
                    self.patience = (self.patience * 2).min(MAX_PATIENCE);
                    self.fallback = Some((self.base, now + HOLD));
                    tracing::debug!(%estimate, base = %self.base, patience = ?self.patience, "a trial layer overflowed the link (over-use, or an estimate that fell): back to what was shared out before it");
                }
            }
        }
        let clean = self.clean();
        let proof = if clean { PROOF_CLEAN } else { PROOF };
        let budget = match self.trial {
            Some(trial) if now.saturating_duration_since(self.last_step) >= proof => {
                // No over-use past its keyframe for a while: the link carries the trial. The
                // estimate, which climbs only 8 % a second, is told to take what arrived as
                // proven (a probe's result), and the next trial may follow.
                self.trial = None;
                self.patience = CALM;
                self.proved = true;
                self.bold = clean;
                self.kept = Some((trial, now + HOLD));
                trial.max(estimate)
            }
            // While shielded the estimate holds through the trial's own queue: its climb then
            // is no proof. Taken as one, a trial half a second old whose keyframe had not even
            // crossed the link passed, and its overflow a moment later was a cut (a hold of 4
            // s, the patience back at 2 s) rather than a failure (the `weak` e2e story: the
            // same second picture tried again 8 s later, each try freezing the one that ran).
            Some(trial) if trial > estimate || shielded => trial.max(estimate),
            Some(_) => {
                // The estimate caught up with the trial: the link carries it.
                self.trial = None;
                self.patience = CALM;
                self.bold = clean;
                estimate
            }
            None => estimate,
        };
        let budget = match self.kept {
            Some((kept, until)) if now < until && estimate < kept => budget.max(kept),
            _ => {
                self.kept = None;
                budget
            }
        };
        match self.fallback {
            Some((base, until)) if now < until => budget.max(base),
            _ => {
                self.fallback = None;
                budget
            }
        }
    }

    /// Whether a trial passed since the last look (the estimate should take it as proven).
    fn take_proved(&mut self) -> bool {
        std::mem::take(&mut self.proved)
    }

    /// After an allocation of `budget` that left something out, and sends `sent`: tries `next`
    /// (one more layer), or after a trial that passed on a clean path twice `budget` if that is
    /// more, when the path has been calm long enough (and, if it loses, `next` is within
    /// [`LOSSY_REACH`] of `budget`). Whether a trial started.
    fn step(&mut self, budget: Bitrate, sent: Bitrate, next: Bitrate, now: Instant) -> bool {
        let calm = now.saturating_duration_since(self.calm_since) >= self.patience;
        // Nothing goes up while a cut holds, so a trial then would change nothing, and the
        // next one, reckoned from the same layers, would take two steps at once.
        let held = self.held(now);
        // One trial at a time: a second on top of one not yet proven is two keyframes into a
        // link that may carry one.
        // Not what failed a moment ago (or more) on the same path.
        let failed = |next: Bitrate| {
            self.failed.is_some_and(|(level, at)| {
                now.saturating_duration_since(at) < FAILED_MEMORY && next >= level.scaled(0.95)
            })
        };
        let bold = budget.scaled(BOLD);
        let next = if self.bold && self.clean() && bold > next && !failed(bold) { bold } else { next };
        let failed = failed(next);
        // On a lossy path a trial reaches at most a quarter above the estimate ([`LOSSY_REACH`]).
        let far = !self.clean() && next > budget.scaled(LOSSY_REACH);
        let due = calm
            && !held
            && !failed
            && !far
            && self.trial.is_none()
            && now.saturating_duration_since(self.last_step) >= STEP;
        if due {
            self.base = budget;
            self.sent = sent;
            self.trial = Some(next);
            self.last_step = now;
        }
        due
    }
}

/// The least budget with which the share-out gives more than `layers` (what the videos get
/// now, after the last picture was spared and cuts held): a layer up, or a paused video its
/// lowest, to a kilobit a second; `None` when every video has what it wants, or when the
/// share-out of `budget` itself already gives more (a hold keeps it down; a trial would add
/// nothing). Found by bisecting the share-out itself, so the step is priced as the share-out
/// prices it (the running picture's discount, the bands around a layer's rate). A step priced
/// from the layers' rates alone was too generous once, and one compared with the share-out of
/// `budget` rather than with what is sent gave two videos at once when the last picture had
/// been spared: two keyframes into a link that carried one (the `weak` e2e story).
fn one_step_up(budget: Bitrate, fixed: Bitrate, demands: &[Demand], layers: &[Option<u8>]) -> Option<Bitrate> {
    let wanted = steps(layers) + 1;
    let more = |b: Bitrate| steps(&simulcast::allocate(b, fixed, demands).layers) >= wanted;
    if more(budget) || !more(UNLIMITED) {
        return None;
    }
    let (mut low, mut high) = (budget, UNLIMITED);
    while high.bps() - low.bps() > 1_000 {
        let middle = Bitrate((low.bps() + high.bps()) / 2);
        if more(middle) {
            high = middle;
        } else {
            low = middle;
        }
    }
    Some(high)
}

/// How much `layers` give: a layer for a paused video's lowest, one more for each above it.
fn steps(layers: &[Option<u8>]) -> u32 {
    layers.iter().map(|l| l.map_or(0, |l| u32::from(l) + 1)).sum()
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

/// One subscriber's share-out: what its page shows, what its link carries, the climb back after
/// a cut, and which videos it was told are paused. Its media task (the engine's or the loop's)
/// owns it and runs [`Share::allocate`] twice a second and whenever something changes.
pub(super) struct Share {
    participant: Uuid,
    /// How big the participant's page shows each publisher's video (`video_view`).
    pub(super) views: HashMap<Uuid, u32>,
    /// What the subscribe connection carries, from the browser's transport-wide feedback.
    pub(super) estimate: EstimateHandle,
    /// Publishers whose video the participant was told is paused.
    paused: HashSet<Uuid>,
    /// Climbing back to higher layers after a drop.
    climb: Climb,
}

impl PeerTask {
    /// Shares the subscriber's estimate out over the videos it receives, and sets their targets.
    pub(super) fn allocate(&mut self) {
        let carried: Vec<(&TrackState, Option<&Arc<VideoSlot>>)> = self
            .slots
            .iter()
            .filter_map(|slot| match &slot.carries {
                Some((track, true)) => Some((&*track.state, slot.video.as_ref())),
                _ => None,
            })
            .collect();
        self.share.allocate(&self.engine, &self.client, &carried);
    }
}

impl Share {
    pub(super) fn new(participant: Uuid, now: Instant) -> Share {
        Share {
            participant,
            views: HashMap::new(),
            estimate: EstimateHandle::default(),
            paused: HashSet::new(),
            climb: Climb::new(now),
        }
    }

    /// Shares the estimate out over the videos of `carried` (the tracks that flow to the
    /// subscriber, with the video slot of each video), sets their targets, and tells the
    /// subscriber's `client` which videos its link cannot carry.
    pub(super) fn allocate(
        &mut self,
        engine: &Engine,
        client: &mpsc::UnboundedSender<ClientSignal>,
        carried: &[(&TrackState, Option<&Arc<VideoSlot>>)],
    ) {
        // The publishers of the audio this subscriber receives hear what its link loses, so
        // that their encoders add redundancy for it ([`super::report`]).
        if self.estimate.get().is_some() {
            let (loss, now) = (self.estimate.loss(), Instant::now());
            for (track, _) in carried {
                track.note_listener_loss(self.participant, loss, now);
            }
        }
        // What is sent whatever the link: audio (never dropped to make room for video), and
        // videos without layers.
        let mut fixed = Bitrate::ZERO;
        let mut videos = Vec::new();
        for &(track, video) in carried {
            let view = self.views.get(&track.owner).copied();
            match (video, track.kind) {
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
        if let Some(measured) = measured {
            engine.remember_estimate(self.participant, measured);
        }
        let followed = measured.filter(|_| engine.config.adapt_to_link);
        let estimate = followed.unwrap_or(UNLIMITED);
        let now = Instant::now();
        let targets: Vec<Option<u8>> = videos.iter().map(|(_, video, _)| video.target()).collect();
        let held: Vec<bool> = videos
            .iter()
            .zip(&targets)
            .map(|((owner, _, _), target)| target.is_some() || self.paused.contains(owner))
            .collect();
        let wanted: Vec<Option<u8>> = demands.iter().map(|d| d.wanted).collect();
        self.climb.path(self.estimate.rtt(), self.estimate.loss(), self.estimate.queue(), now);
        let mut budget = self.climb.budget(estimate, self.estimate.overuses(), now);
        if self.climb.take_proved() {
            self.estimate.prove();
        }
        let lowest: Vec<Option<u8>> = demands.iter().map(|d| d.wanted.and_then(|w| d.rates.lowest(w))).collect();
        // What each video gets of `budget`: the share-out, the last picture spared, cuts held.
        let share_out = |climb: &mut Climb, budget: Bitrate| {
            let mut layers = simulcast::allocate(budget, fixed, &demands).layers;
            climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, now);
            climb.hold(&mut layers, &targets, &wanted, &held, now);
            layers
        };
        let mut layers = share_out(&mut self.climb, budget);
        // What `layers` send, with the audio: each video's layer at its rate.
        let sent = |layers: &[Option<u8>]| {
            demands
                .iter()
                .zip(layers)
                .fold(fixed, |sum, (d, layer)| sum + layer.map_or(Bitrate::ZERO, |l| d.rates.rate(l)))
        };
        if let Some(next) = one_step_up(budget, fixed, &demands, &layers)
            && self.climb.step(budget, sent(&layers), next, now)
        {
            // A trial starts now, not half a second later: its shield counts from here. The
            // estimate is told too, so that the keyframe the trial's layer starts with is not
            // read as the link over-flowing (it is, when the trial fails: after the shield).
            let before = budget;
            budget = self.climb.budget(estimate, self.estimate.overuses(), now);
            tracing::debug!(participant = %self.participant, %fixed, trial = %budget, %before, one_step = %next, layers = ?layers, rates = ?demands.iter().map(|d| d.rates).collect::<Vec<_>>(), "a trial of one more layer");
            layers = share_out(&mut self.climb, budget);
            self.estimate.shield(now + TRIAL_SHIELD);
        }
        // The pacer lets through what the share-out sends: a last picture kept beside an
        // estimate below it, too.
        self.estimate.set_allowance(followed.map(|_| budget.max(sent(&layers))));
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
                tracing::info!(participant = %self.participant, publisher = %owner, paused, %budget, queue = ?self.climb.queue, loss = self.climb.loss, "video paused for the link");
                let _ = client.send(ClientSignal::VideoState { owner: *owner, paused });
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

    /// 5 % loss, as a report's fraction lost.
    const LOSSY: u8 = 13;

    fn video(wanted: Option<u8>) -> Demand {
        Demand {
            wanted,
            rates: LayerRates([Some(Bitrate::kbps(200)), None, Some(Bitrate::kbps(1_000))]),
            current: None,
            priority: 0,
        }
    }

    #[test]
    fn one_step_up_adds_one_step_as_the_share_out_prices_it() {
        let audio = Bitrate::kbps(140);
        // One picture running at its low layer (its rate swollen by keyframes, and kept
        // cheap), two paused that send less, one hidden.
        let mut running = video(Some(2));
        running.current = Some(0);
        running.rates.0[0] = Some(Bitrate::kbps(400));
        let mut small = video(Some(2));
        small.rates.0[0] = Some(Bitrate::kbps(100));
        let demands = [running, small, small, video(None)];
        let budget = Bitrate::kbps(400);
        let before = simulcast::allocate(budget, audio, &demands).layers;
        assert_eq!(before, vec![Some(0), None, None, None]);
        let up = one_step_up(budget, audio, &demands, &before).expect("the paused ones want more");
        let after = simulcast::allocate(up, audio, &demands).layers;
        assert_eq!(steps(&after), steps(&before) + 1, "one step: {after:?}");
        let below = simulcast::allocate(Bitrate(up.bps() - 1_000), audio, &demands).layers;
        assert_eq!(below, before, "and no less would do");
        // The budget is too small even for the running picture, which is spared for now (the
        // share-out of the budget pauses it): the step is reckoned from what is sent, one video
        // more than that, not from the share-out that paused it.
        let low = Bitrate::kbps(200);
        assert_eq!(simulcast::allocate(low, audio, &demands).layers, vec![None; 4]);
        let up = one_step_up(low, audio, &demands, &before).expect("the paused ones want more");
        assert_eq!(steps(&simulcast::allocate(up, audio, &demands).layers), steps(&before) + 1);
        // A hold keeps what is sent below the share-out of the budget: no trial.
        assert_eq!(one_step_up(Bitrate::kbps(700), audio, &demands, &before), None);
        // Everything it wants (the hidden one wants nothing).
        let all = simulcast::allocate(Bitrate::kbps(10_000), audio, &demands).layers;
        assert_eq!(one_step_up(Bitrate::kbps(10_000), audio, &demands, &all), None);
    }

    #[test]
    fn a_trial_waits_for_calm_runs_alone_is_proven_or_ends_at_an_overuse_past_its_keyframe() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let estimate = Bitrate::kbps(600);
        let mut climb = Climb::new(t0);
        // A path that loses 5 % (a clean one proves sooner: the next test).
        climb.path(None, LOSSY, Duration::ZERO, t0);
        assert_eq!(climb.budget(estimate, 0, at(500)), estimate);
        assert!(!climb.step(estimate, estimate, Bitrate::kbps(750), at(500)), "not calm for long enough yet");
        assert!(climb.step(estimate, estimate, Bitrate::kbps(750), at(2_000)), "calm for 2 s: one step");
        assert_eq!(climb.budget(estimate, 0, at(2_000)), Bitrate::kbps(750));
        assert!(
            !climb.step(Bitrate::kbps(750), Bitrate::kbps(750), Bitrate::kbps(900), at(3_600)),
            "one trial at a time"
        );
        // The step's keyframe queues for a moment: its first second is shielded.
        assert_eq!(climb.budget(estimate, 1, at(2_800)), Bitrate::kbps(750));
        // A queue that lasts: back to what was shared out before the trial, for a while, even
        // though the trial's own overflow cut the estimate.
        assert_eq!(climb.budget(Bitrate::kbps(400), 2, at(3_300)), estimate);
        assert_eq!(climb.budget(Bitrate::kbps(400), 2, at(7_200)), estimate);
        assert_eq!(climb.budget(Bitrate::kbps(400), 2, at(7_400)), Bitrate::kbps(400), "4 s on, the estimate again");
        assert!(!climb.take_proved());
        // Calm must come again, for twice as long after a failed trial (for a smaller step:
        // the failed one is not tried again soon, see the next test).
        assert!(
            !climb.step(estimate, estimate, Bitrate::kbps(700), at(5_400)),
            "calm for 2 s is not enough after a failure"
        );
        assert!(climb.step(estimate, estimate, Bitrate::kbps(700), at(7_400)), "calm for 4 s");
        // No over-use for 2.5 s: the link carries it. The estimate is to take it as proven, the
        // trial is over, and the next may follow at once.
        assert_eq!(climb.budget(estimate, 2, at(9_000)), Bitrate::kbps(700));
        assert!(!climb.take_proved());
        assert_eq!(climb.budget(estimate, 2, at(9_900)), Bitrate::kbps(700));
        assert!(climb.take_proved());
        assert_eq!(climb.budget(Bitrate::kbps(900), 2, at(10_000)), Bitrate::kbps(900));
        assert!(
            climb.step(Bitrate::kbps(600), Bitrate::kbps(600), Bitrate::kbps(700), at(10_000)),
            "calm, and the patience is back at 2 s"
        );
    }

    #[test]
    fn on_a_clean_path_a_trial_is_proven_sooner_and_the_next_one_doubles() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut climb = Climb::new(t0);
        climb.path(Some(Duration::from_millis(5)), 0, Duration::ZERO, t0);
        let estimate = Bitrate::kbps(400);
        assert!(climb.step(estimate, estimate, Bitrate::kbps(550), at(2_000)), "the first trial is one step");
        assert_eq!(climb.budget(estimate, 0, at(2_000)), Bitrate::kbps(550));
        assert_eq!(climb.budget(estimate, 0, at(3_700)), Bitrate::kbps(550));
        assert!(!climb.take_proved());
        assert_eq!(climb.budget(estimate, 0, at(3_800)), Bitrate::kbps(550), "1.8 s without over-use: passed");
        assert!(climb.take_proved());
        // The next tries twice what is shared out, not one step. (The estimate took the
        // trial's rate as proven.)
        let estimate = Bitrate::kbps(550);
        assert!(climb.step(estimate, estimate, Bitrate::kbps(700), at(3_800)));
        assert_eq!(climb.budget(estimate, 0, at(3_800)), Bitrate::kbps(1_100));
        // It overflows: back to one step at a time, and the doubled level is remembered.
        assert_eq!(climb.budget(estimate, 1, at(5_000)), estimate);
        assert!(climb.step(estimate, estimate, Bitrate::kbps(700), at(9_000)));
        assert_eq!(climb.budget(estimate, 1, at(9_000)), Bitrate::kbps(700));
        // Passed again, clean: bold again, but not up to the level that failed.
        assert_eq!(climb.budget(estimate, 1, at(10_800)), Bitrate::kbps(700));
        let estimate = Bitrate::kbps(700);
        assert!(climb.step(estimate, estimate, Bitrate::kbps(900), at(10_800)));
        assert_eq!(climb.budget(estimate, 1, at(10_800)), Bitrate::kbps(900), "1,400 ≥ 95 % of the 1,100 that failed");
        // On a path that loses, no trial is bold and each takes 2.5 s.
        let estimate = Bitrate::kbps(450);
        let mut lossy = Climb::new(t0);
        lossy.path(Some(Duration::from_millis(5)), LOSSY, Duration::ZERO, t0);
        assert!(lossy.step(estimate, estimate, Bitrate::kbps(550), at(2_000)));
        assert_eq!(lossy.budget(estimate, 0, at(3_800)), Bitrate::kbps(550));
        assert!(!lossy.take_proved());
        assert_eq!(lossy.budget(estimate, 0, at(4_500)), Bitrate::kbps(550));
        assert!(lossy.take_proved());
        assert!(lossy.step(Bitrate::kbps(550), Bitrate::kbps(550), Bitrate::kbps(680), at(4_500)));
        assert_eq!(lossy.budget(estimate, 0, at(4_500)), Bitrate::kbps(680));
        // A budget with room to spare (the layers send 700 of 1,100): on a clean path a trial is
        // judged by what is sent, not by the budget.
        let mut roomy = Climb::new(t0);
        roomy.path(Some(Duration::from_millis(5)), 0, Duration::ZERO, t0);
        assert!(roomy.step(Bitrate::kbps(1_100), Bitrate::kbps(700), Bitrate::kbps(1_200), at(2_000)));
        assert_eq!(roomy.budget(Bitrate::kbps(700), 0, at(2_000)), Bitrate::kbps(1_200));
        // The estimate follows what the path delivered (700): no fall below 90 % of that.
        assert_eq!(roomy.budget(Bitrate::kbps(700), 0, at(3_100)), Bitrate::kbps(1_200));
        assert_eq!(roomy.budget(Bitrate::kbps(620), 0, at(3_200)), Bitrate::kbps(1_100), "620 < 630: failed");
        // On a lossy path, by the budget.
        let mut lossy = Climb::new(t0);
        lossy.path(Some(Duration::from_millis(5)), LOSSY, Duration::ZERO, t0);
        assert!(lossy.step(Bitrate::kbps(1_100), Bitrate::kbps(700), Bitrate::kbps(1_200), at(2_000)));
        assert_eq!(lossy.budget(Bitrate::kbps(980), 0, at(3_100)), Bitrate::kbps(1_100), "980 < 990: failed");
        // A pass on a clean path that starts to lose: the next is one step.
        let mut turning = Climb::new(t0);
        turning.path(Some(Duration::from_millis(5)), 0, Duration::ZERO, t0);
        assert!(turning.step(estimate, estimate, Bitrate::kbps(550), at(2_000)));
        assert_eq!(turning.budget(estimate, 0, at(3_800)), Bitrate::kbps(550));
        turning.path(Some(Duration::from_millis(5)), LOSSY, Duration::ZERO, t0);
        let estimate = Bitrate::kbps(550);
        assert!(turning.step(estimate, estimate, Bitrate::kbps(680), at(3_800)));
        assert_eq!(turning.budget(estimate, 0, at(3_800)), Bitrate::kbps(680));
    }

    #[test]
    fn a_passed_trials_budget_stands_until_the_estimate_reaches_it_a_queue_shows_or_4_s_pass() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let passed = |estimate: u64| {
            let mut climb = Climb::new(t0);
            climb.path(Some(Duration::from_millis(180)), LOSSY, Duration::ZERO, t0);
            assert!(climb.step(Bitrate::kbps(450), Bitrate::kbps(450), Bitrate::kbps(550), at(2_000)));
            assert_eq!(climb.budget(Bitrate::kbps(estimate), 0, at(4_500)), Bitrate::kbps(550), "passed");
            assert!(climb.take_proved());
            climb
        };
        // The estimate took what arrived over the last half second as proven, and the layer the
        // trial added switched late: it is below the trial. The trial's budget stands.
        let mut climb = passed(480);
        assert_eq!(climb.budget(Bitrate::kbps(480), 0, at(5_000)), Bitrate::kbps(550));
        assert_eq!(climb.budget(Bitrate::kbps(500), 0, at(8_000)), Bitrate::kbps(550));
        assert_eq!(climb.budget(Bitrate::kbps(500), 0, at(8_500)), Bitrate::kbps(500), "4 s on, the estimate");
        // Until the path shows a queue.
        let mut climb = passed(480);
        assert_eq!(climb.budget(Bitrate::kbps(480), 1, at(5_000)), Bitrate::kbps(480));
        assert_eq!(climb.budget(Bitrate::kbps(480), 1, at(5_500)), Bitrate::kbps(480));
        // Or until the estimate reaches it: then the estimate is the measure, up or down.
        let mut climb = passed(480);
        assert_eq!(climb.budget(Bitrate::kbps(560), 0, at(5_000)), Bitrate::kbps(560));
        assert_eq!(climb.budget(Bitrate::kbps(520), 0, at(5_500)), Bitrate::kbps(520));
    }

    #[test]
    fn a_trial_whose_link_fills_up_and_drops_fails_without_overuse() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut climb = Climb::new(t0);
        climb.path(None, LOSSY, Duration::ZERO, t0);
        let estimate = Bitrate::kbps(420);
        assert!(climb.step(estimate, estimate, Bitrate::kbps(520), at(2_000)));
        // Its keyframe's loss in the first second is shielded.
        assert_eq!(climb.budget(Bitrate::kbps(330), 0, at(2_500)), Bitrate::kbps(520));
        // After it, the loss-cut estimate ends the trial: back to what was shared out before.
        assert_eq!(climb.budget(Bitrate::kbps(330), 0, at(3_500)), estimate);
        assert_eq!(climb.budget(Bitrate::kbps(330), 0, at(5_000)), estimate, "held for a while");
        assert!(!climb.take_proved(), "not proven");
        assert!(
            !climb.step(Bitrate::kbps(330), Bitrate::kbps(330), Bitrate::kbps(520), at(6_000)),
            "and the next waits longer"
        );
    }

    #[test]
    fn a_level_that_failed_is_not_tried_again_on_the_same_path() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut climb = Climb::new(t0);
        let estimate = Bitrate::kbps(400);
        climb.path(Some(Duration::from_millis(180)), LOSSY, Duration::ZERO, t0);
        assert!(climb.step(estimate, estimate, Bitrate::kbps(460), at(2_000)));
        assert_eq!(climb.budget(estimate, 1, at(3_500)), estimate, "over-use past the shield: failed");
        // Calm again for long enough, but 460 failed on this path: not before 30 s.
        assert!(!climb.step(estimate, estimate, Bitrate::kbps(460), at(12_000)));
        assert!(!climb.step(estimate, estimate, Bitrate::kbps(450), at(20_000)), "nor just under it");
        assert!(climb.step(estimate, estimate, Bitrate::kbps(460), at(33_600)), "30 s on, again");
        assert_eq!(climb.budget(estimate, 2, at(35_000)), estimate, "failed again");
        // The round trip halves against the path's floor (the link got better): tried again
        // at once.
        for ms in (34_000..44_000).step_by(500) {
            climb.path(Some(Duration::from_millis(180)), LOSSY, Duration::ZERO, at(ms));
        }
        climb.path(Some(Duration::from_millis(100)), LOSSY, Duration::ZERO, at(44_000));
        assert!(!climb.step(estimate, estimate, Bitrate::kbps(460), at(44_000)));
        climb.path(Some(Duration::from_millis(20)), 0, Duration::ZERO, at(44_500));
        assert!(climb.step(estimate, estimate, Bitrate::kbps(460), at(44_500)));
        // A cut just before the change holds nothing back. The first trial after it is one
        // step, and once that passed on the path that loses nothing, the next is bold.
        let mut climb = Climb::new(t0);
        climb.path(Some(Duration::from_millis(180)), LOSSY, Duration::ZERO, t0);
        assert!(climb.step(estimate, estimate, Bitrate::kbps(460), at(2_000)));
        assert_eq!(climb.budget(estimate, 1, at(3_500)), estimate, "failed");
        let mut layers = [None, Some(0)];
        climb.hold(&mut layers, &[Some(0), Some(0)], &[Some(2); 2], &[true; 2], at(6_000));
        climb.path(Some(Duration::from_millis(20)), 0, Duration::ZERO, at(8_000));
        assert!(climb.step(estimate, estimate, Bitrate::kbps(460), at(8_000)), "calm since the cut, and no hold");
        assert_eq!(climb.budget(estimate, 1, at(8_000)), Bitrate::kbps(460), "one step");
        assert_eq!(climb.budget(estimate, 1, at(9_800)), Bitrate::kbps(460), "passed");
        let budget = Bitrate::kbps(460);
        assert!(climb.step(budget, budget, Bitrate::kbps(560), at(11_300)));
        assert_eq!(climb.budget(budget, 1, at(11_300)), Bitrate::kbps(920), "twice what is shared out");
    }

    #[test]
    fn a_trial_is_not_proven_by_an_estimate_that_climbs_while_it_is_shielded() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut climb = Climb::new(t0);
        climb.path(Some(Duration::from_millis(180)), LOSSY, Duration::ZERO, t0);
        let estimate = Bitrate::kbps(490);
        assert!(climb.step(estimate, estimate, Bitrate::kbps(505), at(2_000)));
        // Half a second in, the held estimate crept past the trial: no proof yet.
        assert_eq!(climb.budget(Bitrate::kbps(510), 0, at(2_500)), Bitrate::kbps(510));
        assert!(!climb.take_proved());
        // Its overflow shows past the shield: the trial failed, and is remembered as failed.
        assert_eq!(climb.budget(Bitrate::kbps(349), 0, at(3_200)), estimate, "back to what was shared out before it");
        assert!(!climb.step(estimate, estimate, Bitrate::kbps(505), at(12_000)), "the level failed on this path");
        // Past the shield, an estimate that reaches the trial is the link carrying it.
        let mut climb = Climb::new(t0);
        climb.path(Some(Duration::from_millis(180)), LOSSY, Duration::ZERO, t0);
        assert!(climb.step(estimate, estimate, Bitrate::kbps(505), at(2_000)));
        assert_eq!(climb.budget(Bitrate::kbps(510), 0, at(3_100)), Bitrate::kbps(510));
        assert!(
            climb.step(Bitrate::kbps(510), Bitrate::kbps(510), Bitrate::kbps(560), at(5_100)),
            "calm, and the next"
        );
    }

    #[test]
    fn on_a_lossy_path_a_trial_reaches_a_quarter_above_the_estimate() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // The audio and one low picture send 350; the estimate is below that, and a second low
        // picture would need 490: on a lossy path, out of reach; on a clean one, tried.
        let (estimate, sent, next) = (Bitrate::kbps(300), Bitrate::kbps(350), Bitrate::kbps(490));
        for (loss, tried) in [(LOSSY, false), (0, true)] {
            let mut climb = Climb::new(t0);
            climb.path(Some(Duration::from_millis(180)), loss, Duration::ZERO, t0);
            assert_eq!(climb.step(estimate, sent, next, at(3_000)), tried, "loss {loss}/256");
        }
        // Once the estimate rose to within a quarter of it, it is tried on the lossy path too.
        let mut climb = Climb::new(t0);
        climb.path(Some(Duration::from_millis(180)), LOSSY, Duration::ZERO, t0);
        assert!(!climb.step(Bitrate::kbps(390), sent, next, at(3_000)));
        assert!(climb.step(Bitrate::kbps(392), sent, next, at(3_500)));
    }

    #[test]
    fn the_last_picture_is_paused_only_when_the_shortfall_lasts() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut climb = Climb::new(t0);
        // A path with a queue standing: it does not keep up with what it is sent.
        climb.path(Some(Duration::from_millis(330)), LOSSY, Duration::from_millis(150), t0);
        let (targets, wanted, lowest) = ([Some(2), None, Some(0)], [Some(2), Some(2), None], [Some(0); 3]);
        // Video 0 runs, video 1 is paused, video 2's tile is hidden. The share-out would pause
        // video 0 too: it runs on at its lowest layer for two seconds.
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(1_000));
        assert_eq!(layers, [Some(0), None, None]);
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(2_900));
        assert_eq!(layers, [Some(0), None, None]);
        // The estimate recovered for a moment: the grace starts again at the next shortfall.
        let mut layers = [Some(0), None, None];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(3_000));
        assert_eq!(layers, [Some(0), None, None]);
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(3_500));
        assert_eq!(layers, [Some(0), None, None]);
        // A shortfall that lasts pauses it.
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(5_500));
        assert_eq!(layers, [None; 3]);
        // A path that keeps up with the picture (no queue, 5 % loss) keeps it past the grace,
        // however low the estimate: until it shows a queue, or loses heavily.
        let mut climb = Climb::new(t0);
        climb.path(Some(Duration::from_millis(180)), LOSSY, Duration::from_millis(20), t0);
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(1_000));
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(9_000));
        assert_eq!(layers, [Some(0), None, None], "kept: the path carries it");
        // A queue building up: the grace starts, and once it is over the picture is paused.
        climb.path(Some(Duration::from_millis(280)), LOSSY, Duration::from_millis(100), t0);
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(9_500));
        assert_eq!(layers, [Some(0), None, None], "a queue building up: the grace starts");
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(11_500));
        assert_eq!(layers, [None; 3], "a queue building up for 2 s: paused");
        // Heavy loss for 2 s after a moment that kept up: paused.
        climb.path(Some(Duration::from_millis(180)), LOSSY, Duration::from_millis(20), t0);
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(12_000));
        assert_eq!(layers, [Some(0), None, None]);
        climb.path(Some(Duration::from_millis(180)), 40, Duration::from_millis(20), t0);
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(12_500));
        assert_eq!(layers, [Some(0), None, None], "15 % lost: the grace starts");
        let mut layers = [None; 3];
        climb.spare_last_picture(&mut layers, &targets, &wanted, &lowest, at(14_500));
        assert_eq!(layers, [None; 3], "15 % lost for 2 s: paused");
        // Another picture still running: nothing to spare.
        let mut climb = Climb::new(t0);
        let mut layers = [None, Some(0), None];
        climb.spare_last_picture(&mut layers, &[Some(0), Some(0), None], &wanted, &lowest, at(1_000));
        assert_eq!(layers, [None, Some(0), None]);
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
        // A cut on a path of 180 ms that loses 5 %, which then halves and loses nothing (the
        // link got better): the hold ends at once.
        let mut climb = Climb::new(t0);
        climb.path(Some(Duration::from_millis(180)), LOSSY, Duration::ZERO, t0);
        let mut layers = [Some(0), None];
        climb.hold(&mut layers, &[Some(0), Some(0)], &wanted[..2], &[true; 2], at(1_000));
        climb.path(Some(Duration::from_millis(120)), LOSSY, Duration::ZERO, at(2_000));
        let mut layers = [Some(0), Some(0)];
        climb.hold(&mut layers, &[Some(0), None], &wanted[..2], &[true; 2], at(2_000));
        assert_eq!(layers, [Some(0), None], "the same path: held");
        // A queue of the server's making drains after a cut: the same path, still held. On a
        // link that just got worse (5 ms, then 180 and a buffer filling to 320 ms more), and
        // behind a clean drop-tail buffer that stood full from the start, so long that the
        // estimator's least round trip of 2–4 s (taken as the queue's zero) includes it.
        for (loss, before, drained) in [
            (LOSSY, vec![(0, 5, 0), (500, 500, 320)], (1_000, 180)),
            (0, (0..5_000).step_by(500).map(|ms| (ms, 205, 0)).collect(), (5_000, 5)),
        ] {
            let mut filling = Climb::new(t0);
            for &(ms, rtt, queue) in &before {
                filling.path(Some(Duration::from_millis(rtt)), loss, Duration::from_millis(queue), at(ms));
            }
            let mut layers = [Some(0), None];
            filling.hold(&mut layers, &[Some(0), Some(0)], &wanted[..2], &[true; 2], at(before[before.len() - 1].0));
            let (ms, rtt) = drained;
            filling.path(Some(Duration::from_millis(rtt)), loss, Duration::ZERO, at(ms));
            let mut layers = [Some(0), Some(0)];
            filling.hold(&mut layers, &[Some(0), None], &wanted[..2], &[true; 2], at(ms));
            assert_eq!(layers, [Some(0), None], "the queue drained to {rtt} ms: held");
        }
        let budget = Bitrate::kbps(400);
        assert!(!climb.step(budget, budget, Bitrate::kbps(480), at(3_000)), "held");
        climb.path(Some(Duration::from_millis(20)), 0, Duration::ZERO, at(3_000));
        let mut layers = [Some(0), Some(0)];
        climb.hold(&mut layers, &[Some(0), None], &wanted[..2], &[true; 2], at(3_000));
        assert_eq!(layers, [Some(0), Some(0)], "the path changed: no hold");
        assert!(climb.step(budget, budget, Bitrate::kbps(480), at(3_000)));
        assert_eq!(climb.budget(budget, 0, at(3_000)), Bitrate::kbps(480), "one step");
    }

    #[test]
    fn a_trials_layers_stand_until_it_is_judged() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut climb = Climb::new(t0);
        climb.path(Some(Duration::from_millis(5)), 0, Duration::ZERO, t0);
        let wanted = [Some(2); 2];
        assert!(climb.step(Bitrate::kbps(500), Bitrate::kbps(500), Bitrate::kbps(1_000), at(2_000)));
        assert_eq!(climb.budget(Bitrate::kbps(500), 0, at(2_000)), Bitrate::kbps(1_000));
        // The allocation that starts it may share out anything (targets are those before it).
        let mut layers = [Some(2), Some(0)];
        climb.hold(&mut layers, &[Some(0), Some(0)], &wanted, &[true; 2], at(2_000));
        assert_eq!(layers, [Some(2), Some(0)]);
        // Half a second on, the layer it added is priced at its keyframe: still the trial's.
        let mut layers = [Some(0), Some(0)];
        climb.hold(&mut layers, &[Some(2), Some(0)], &wanted, &[true; 2], at(2_500));
        assert_eq!(layers, [Some(2), Some(0)], "not cut while the trial runs");
        // Priced again, the share-out would lift the other video instead: not beside it.
        let mut layers = [Some(0), Some(2)];
        climb.hold(&mut layers, &[Some(2), Some(0)], &wanted, &[true; 2], at(2_500));
        assert_eq!(layers, [Some(2), Some(0)], "nothing else goes up while the trial runs");
        // A tile made smaller is no cut for the link: taken.
        let mut layers = [Some(0), Some(0)];
        climb.hold(&mut layers, &[Some(2), Some(0)], &[Some(0), Some(2)], &[true; 2], at(2_600));
        assert_eq!(layers, [Some(0), Some(0)]);
        // It passes (1.8 s on a clean path): its layers stand while its budget does.
        let mut passed = Climb::new(t0);
        passed.path(Some(Duration::from_millis(5)), 0, Duration::ZERO, t0);
        assert!(passed.step(Bitrate::kbps(500), Bitrate::kbps(500), Bitrate::kbps(1_000), at(2_000)));
        assert_eq!(passed.budget(Bitrate::kbps(700), 0, at(3_800)), Bitrate::kbps(1_000), "passed");
        assert_eq!(passed.budget(Bitrate::kbps(700), 0, at(4_300)), Bitrate::kbps(1_000));
        let mut layers = [Some(0), Some(0)];
        passed.hold(&mut layers, &[Some(2), Some(0)], &wanted, &[true; 2], at(4_300));
        assert_eq!(layers, [Some(2), Some(0)], "the passed trial's layers stand");
        // The trial fails: its layers go.
        assert_eq!(climb.budget(Bitrate::kbps(400), 1, at(3_100)), Bitrate::kbps(500));
        let mut layers = [Some(0), Some(0)];
        climb.hold(&mut layers, &[Some(2), Some(0)], &wanted, &[true; 2], at(3_100));
        assert_eq!(layers, [Some(0), Some(0)]);
    }

    #[test]
    fn a_layer_that_opened_counts_at_its_nominal_rate_until_it_is_measured() {
        let nothing = LayerRates::default();
        assert_eq!(rates(nothing, 0b101), LayerRates([Some(NOMINAL[0]), None, Some(NOMINAL[2])]));
        let measured = LayerRates([Some(Bitrate::kbps(180)), None, None]);
        assert_eq!(rates(measured, 0b101), measured, "measured rates win, a silent layer is not arriving");
    }
}
