//! The delay signal: is a queue building up on the path?
//!
//! Packets sent within a few milliseconds of each other form a group (a frame's packets leave
//! together). For each pair of consecutive groups, the growth of the gap on arrival over the
//! gap at sending is how much the queue grew. A trendline (least squares over the last groups
//! of the smoothed accumulated growth) gives its slope; multiplied up and compared with an
//! adaptive threshold, it says over-use, under-use or normal. The threshold follows the
//! signal so that a path with steady jitter does not read as congestion, but not so fast that
//! a real queue is hidden. The constants are GCC's (draft-ietf-rmcat-gcc-02 §5; libwebrtc's
//! `trendline_estimator.cc`).

use super::Usage;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Packets sent within this of a group's first packet belong to that group.
const GROUP_LENGTH: Duration = Duration::from_millis(5);
/// A packet that arrives within this of the group's last one, and sooner after it than it was
/// sent, is part of a burst draining out of a queue (the packets behind a keyframe): it joins
/// the group, so that one big frame is read as one event and not as a queue that keeps growing.
const BURST_ARRIVAL: Duration = Duration::from_millis(5);
/// A burst group spans at most this much arrival time.
const MAX_BURST: Duration = Duration::from_millis(100);
/// Groups in the trendline's window.
const WINDOW: usize = 20;
/// Smoothing of the accumulated delay.
const SMOOTHING: f64 = 0.9;
/// The slope is multiplied by this (and by the number of samples, up to 60) before comparing.
const THRESHOLD_GAIN: f64 = 4.0;
const SAMPLES_CAP: f64 = 60.0;
/// The adaptive threshold in ms: its start, bounds, and how fast it follows up and down.
const THRESHOLD_START: f64 = 12.5;
const THRESHOLD_RANGE: (f64, f64) = (6.0, 600.0);
const K_UP: f64 = 0.0087;
const K_DOWN: f64 = 0.039;
/// A sample this far above the threshold is an outlier the threshold does not follow.
const MAX_ADAPT_OFFSET: f64 = 15.0;
/// Over-use is only declared after it has lasted this long (in send time).
const OVERUSE_TIME: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, Copy)]
struct Group {
    first_sent: Instant,
    last_sent: Instant,
    first_arrived: Duration,
    last_arrived: Duration,
}

impl Group {
    fn new(sent: Instant, arrived: Duration) -> Self {
        Group { first_sent: sent, last_sent: sent, first_arrived: arrived, last_arrived: arrived }
    }

    fn takes(&self, sent: Instant, arrived: Duration) -> bool {
        if sent.duration_since(self.first_sent) <= GROUP_LENGTH {
            return true;
        }
        let Some(arrival_gap) = arrived.checked_sub(self.last_arrived) else { return false };
        let send_gap = sent.duration_since(self.last_sent);
        arrival_gap < BURST_ARRIVAL && arrival_gap < send_gap && arrived.saturating_sub(self.first_arrived) < MAX_BURST
    }
}

#[derive(Debug)]
pub(super) struct DelayDetector {
    current: Option<Group>,
    previous: Option<Group>,
    trend: Trendline,
}

impl Default for DelayDetector {
    fn default() -> Self {
        DelayDetector { current: None, previous: None, trend: Trendline::new() }
    }
}

impl DelayDetector {
    pub(super) fn usage(&self) -> Usage {
        self.trend.usage
    }

    /// One packet that arrived: sent at `sent`, arrived at `arrived` on the remote clock.
    pub(super) fn on_arrival(&mut self, sent: Instant, arrived: Duration, now: Instant) {
        let Some(group) = self.current.as_mut() else {
            self.current = Some(Group::new(sent, arrived));
            return;
        };
        if sent < group.first_sent {
            // Sent before the current group began (reordered): it says nothing new.
            return;
        }
        if group.takes(sent, arrived) {
            group.last_sent = group.last_sent.max(sent);
            group.last_arrived = group.last_arrived.max(arrived);
            return;
        }
        let done = *group;
        self.current = Some(Group::new(sent, arrived));
        if let Some(previous) = self.previous.replace(done) {
            let send_gap = done.last_sent.duration_since(previous.last_sent);
            let arrival_gap = done.last_arrived.as_secs_f64() - previous.last_arrived.as_secs_f64();
            if arrival_gap < 0.0 {
                // The remote clock went back (a reset, or heavy reordering): start afresh.
                self.trend = Trendline { usage: self.trend.usage, ..Trendline::new() };
                return;
            }
            let growth_ms = (arrival_gap - send_gap.as_secs_f64()) * 1000.0;
            self.trend.add(growth_ms, done.last_arrived, send_gap, now);
        }
    }
}

#[derive(Debug)]
struct Trendline {
    /// (arrival ms since the first group, smoothed accumulated delay ms)
    window: VecDeque<(f64, f64)>,
    first_arrival: Option<Duration>,
    samples: u32,
    accumulated: f64,
    smoothed: f64,
    threshold: f64,
    last_threshold_update: Option<Instant>,
    previous_trend: f64,
    overuse_time: Option<Duration>,
    overuse_count: u32,
    usage: Usage,
}

impl Trendline {
    fn new() -> Self {
        Trendline {
            window: VecDeque::with_capacity(WINDOW + 1),
            first_arrival: None,
            samples: 0,
            accumulated: 0.0,
            smoothed: 0.0,
            threshold: THRESHOLD_START,
            last_threshold_update: None,
            previous_trend: 0.0,
            overuse_time: None,
            overuse_count: 0,
            usage: Usage::Normal,
        }
    }

    fn add(&mut self, growth_ms: f64, arrived: Duration, send_gap: Duration, now: Instant) {
        let first = *self.first_arrival.get_or_insert(arrived);
        self.samples = self.samples.saturating_add(1);
        self.accumulated += growth_ms;
        self.smoothed = SMOOTHING * self.smoothed + (1.0 - SMOOTHING) * self.accumulated;
        let x = arrived.saturating_sub(first).as_secs_f64() * 1000.0;
        self.window.push_back((x, self.smoothed));
        if self.window.len() > WINDOW {
            self.window.pop_front();
        }
        if self.window.len() == WINDOW
            && let Some(trend) = self.slope()
        {
            self.detect(trend, send_gap, now);
        }
    }

    fn slope(&self) -> Option<f64> {
        let n = self.window.len() as f64;
        let (sx, sy) = self.window.iter().fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
        let (mx, my) = (sx / n, sy / n);
        let (num, den) = self
            .window
            .iter()
            .fold((0.0, 0.0), |(num, den), (x, y)| (num + (x - mx) * (y - my), den + (x - mx) * (x - mx)));
        (den != 0.0).then(|| num / den)
    }

    fn detect(&mut self, trend: f64, send_gap: Duration, now: Instant) {
        let modified = f64::from(self.samples).min(SAMPLES_CAP) * trend * THRESHOLD_GAIN;
        if modified > self.threshold {
            let time = match self.overuse_time {
                None => send_gap / 2,
                Some(t) => t + send_gap,
            };
            self.overuse_time = Some(time);
            self.overuse_count += 1;
            if time > OVERUSE_TIME && self.overuse_count > 1 && trend >= self.previous_trend {
                self.overuse_time = Some(Duration::ZERO);
                self.overuse_count = 0;
                self.usage = Usage::Over;
            }
        } else if modified < -self.threshold {
            self.overuse_time = None;
            self.overuse_count = 0;
            self.usage = Usage::Under;
        } else {
            self.overuse_time = None;
            self.overuse_count = 0;
            self.usage = Usage::Normal;
        }
        self.previous_trend = trend;
        self.adapt_threshold(modified, now);
    }

    fn adapt_threshold(&mut self, modified: f64, now: Instant) {
        let last = self.last_threshold_update.replace(now);
        if modified.abs() > self.threshold + MAX_ADAPT_OFFSET {
            return;
        }
        let elapsed_ms = last.map_or(0.0, |l| now.saturating_duration_since(l).as_secs_f64() * 1000.0).min(100.0);
        let k = if modified.abs() < self.threshold { K_DOWN } else { K_UP };
        self.threshold += k * (modified.abs() - self.threshold) * elapsed_ms;
        self.threshold = self.threshold.clamp(THRESHOLD_RANGE.0, THRESHOLD_RANGE.1);
    }
}
