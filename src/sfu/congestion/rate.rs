//! The rate controller behind the delay signal (GCC's AIMD, draft-ietf-rmcat-gcc-02 §5.5):
//! on over-use, back off to 85 % of what the path delivered (not further: another round trip
//! of the same queue does not cut again); while normal, climb — by 8 % a
//! second when far from the link's known capacity, by about a packet per round trip when
//! close to it; never climb more than half again above what is being delivered, because a rate
//! nobody sends at proves nothing (probes do that: [`AimdRate::raise_to`]).

use super::{Bitrate, Usage};
use std::time::{Duration, Instant};

const BETA: f64 = 0.85;
const MULTIPLICATIVE_PER_SECOND: f64 = 1.08;
/// The additive climb's packet size, and its least climb per second.
const PACKET_BITS: f64 = 1200.0 * 8.0;
const MIN_ADDITIVE_PER_SECOND: f64 = 4000.0;
/// How far above the delivered rate the estimate may go without a probe.
const DELIVERED_HEADROOM: f64 = 1.5;
const DELIVERED_SLACK: Bitrate = Bitrate::kbps(10);

/// The highest estimate that `delivered` backs without a probe.
pub(super) fn delivered_ceiling(delivered: Bitrate) -> Bitrate {
    delivered.scaled(DELIVERED_HEADROOM) + DELIVERED_SLACK
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Hold,
    Increase,
}

/// What the path carried when it last over-flowed: an average with its variance (normalised
/// by the average), in kbit/s as GCC keeps it.
#[derive(Debug, Clone, Copy)]
struct Capacity {
    average: f64,
    variance: f64,
}

impl Capacity {
    fn near(&self, rate: Bitrate) -> bool {
        let kbps = rate.bps() as f64 / 1000.0;
        let deviation = (self.variance * self.average).sqrt();
        kbps <= self.average + 3.0 * deviation
    }
}

#[derive(Debug)]
pub(super) struct AimdRate {
    estimate: Bitrate,
    state: State,
    capacity: Option<Capacity>,
    last_update: Option<Instant>,
    last_decrease: Option<Instant>,
}

impl AimdRate {
    pub(super) fn new(initial: Bitrate) -> Self {
        AimdRate { estimate: initial, state: State::Increase, capacity: None, last_update: None, last_decrease: None }
    }

    /// Whether the estimate has not been cut for `calm` up to `now`.
    pub(super) fn calm_since(&self, now: Instant, calm: Duration) -> bool {
        self.last_decrease.is_none_or(|d| now.saturating_duration_since(d) >= calm)
    }

    /// When the estimate was last cut.
    pub(super) fn last_decrease(&self) -> Option<Instant> {
        self.last_decrease
    }

    /// A probe proved the path carries `proved`: take it (a little under, as GCC does) if it
    /// is more than the estimate.
    pub(super) fn raise_to(&mut self, proved: Bitrate, now: Instant) -> Bitrate {
        let proved = proved.scaled(super::PROVEN_SHARE);
        if proved > self.estimate {
            self.estimate = proved;
            // The old capacity was measured below this; it no longer bounds the climb.
            self.capacity = None;
        }
        self.last_update = Some(now);
        self.estimate
    }

    /// A probe filled the path at `capacity`: the estimate is that, up or down.
    pub(super) fn set(&mut self, capacity: Bitrate, now: Instant) -> Bitrate {
        if capacity < self.estimate {
            self.last_decrease = Some(now);
        }
        self.estimate = capacity;
        self.learn_capacity(capacity);
        self.last_update = Some(now);
        self.estimate
    }

    pub(super) fn update(&mut self, usage: Usage, delivered: Option<Bitrate>, rtt: Duration, now: Instant) -> Bitrate {
        let elapsed =
            self.last_update.map_or(Duration::ZERO, |l| now.saturating_duration_since(l)).min(Duration::from_secs(1));
        self.last_update = Some(now);
        match usage {
            Usage::Over => {
                // Back off at most once per round trip: the feedback after a cut still shows
                // the queue the cut is draining.
                if self
                    .last_decrease
                    .is_none_or(|d| now.saturating_duration_since(d) >= rtt.max(Duration::from_millis(100)))
                {
                    // To just under what the path delivers, never below it again for the
                    // same queue: a sender that follows the estimate late (an SFU switches
                    // layers at keyframes) keeps the queue up for a while, and cutting from the
                    // last cut each round trip took a 500 kbit/s link's estimate to its floor
                    // (libwebrtc's `AimdRateControl` does the same).
                    let decreased = delivered.unwrap_or(self.estimate).scaled(BETA);
                    if decreased < self.estimate {
                        self.estimate = decreased;
                    }
                    self.last_decrease = Some(now);
                    if let Some(delivered) = delivered {
                        self.learn_capacity(delivered);
                    }
                }
                self.state = State::Hold;
            }
            Usage::Under => self.state = State::Hold,
            Usage::Normal => {
                if self.state == State::Hold {
                    self.state = State::Increase;
                } else {
                    self.increase(elapsed, rtt, delivered);
                }
            }
        }
        self.estimate
    }

    fn increase(&mut self, elapsed: Duration, rtt: Duration, delivered: Option<Bitrate>) {
        let seconds = elapsed.as_secs_f64();
        if let Some(capacity) = self.capacity
            && !capacity.near(self.estimate)
        {
            // Well above where the path over-flowed last time: that capacity is stale.
            self.capacity = None;
        }
        let step = match self.capacity {
            Some(_) => {
                let response = rtt.as_secs_f64() + 0.1;
                (PACKET_BITS / response).max(MIN_ADDITIVE_PER_SECOND) * seconds
            }
            None => {
                (self.estimate.bps() as f64 * (MULTIPLICATIVE_PER_SECOND.powf(seconds) - 1.0)).max(1000.0 * seconds)
            }
        };
        let mut next = Bitrate(self.estimate.bps() + step as u64);
        if let Some(delivered) = delivered {
            let ceiling = delivered_ceiling(delivered);
            next = next.min(ceiling.max(self.estimate));
        }
        self.estimate = next;
    }

    fn learn_capacity(&mut self, delivered: Bitrate) {
        let kbps = delivered.bps() as f64 / 1000.0;
        let capacity = match self.capacity {
            Some(c) if (kbps - c.average).abs() <= 3.0 * (c.variance * c.average).sqrt() => {
                let average = 0.95 * c.average + 0.05 * kbps;
                let norm = average.max(1.0);
                let variance = (0.95 * c.variance + 0.05 * (average - kbps).powi(2) / norm).clamp(0.4, 2.5);
                Capacity { average, variance }
            }
            // Far from what was known (or nothing was): start again from this sample.
            _ => Capacity { average: kbps, variance: 0.4 },
        };
        self.capacity = Some(capacity);
    }
}
