//! The loss cap (GCC's loss-based controller, draft-ietf-rmcat-gcc-02 §6): more than 10 %
//! loss cuts the cap by half the loss fraction, at most once per round trip and a bit; under
//! 2 % lets it climb 8 % a second; in between it holds. A link that loses a few percent by
//! nature (a radio link, a prison's Wi-Fi) is not mistaken for congestion: 2–10 % holds, and
//! the delay signal decides.

use super::Bitrate;
use std::time::{Duration, Instant};

/// Reports are pooled until they cover this many packets and this much time, so that a few
/// unlucky losses in a small sample are not read as heavy loss: at 5 % random loss, 20 packets
/// show more than 10 % one time in thirteen; 150 packets (a second of video) one time in three
/// hundred. RTCP receiver reports, which this controller was made for, come about once a second.
const MIN_PACKETS: u32 = 20;
const MIN_WINDOW: Duration = Duration::from_secs(1);
const HIGH_LOSS: f64 = 0.10;
const LOW_LOSS: f64 = 0.02;
const CLIMB_PER_SECOND: f64 = 1.08;

#[derive(Debug, Default)]
pub(super) struct LossCap {
    /// The cap; none while loss has not mattered (the delay-based estimate rules).
    cap: Option<Bitrate>,
    lost: u32,
    total: u32,
    window_start: Option<Instant>,
    last_decrease: Option<Instant>,
    last_update: Option<Instant>,
}

impl LossCap {
    /// Takes a report's counts; returns the cap to apply to `estimate`.
    pub(super) fn update(&mut self, lost: u32, total: u32, estimate: Bitrate, rtt: Duration, now: Instant) -> Bitrate {
        self.lost += lost;
        self.total += total;
        let start = *self.window_start.get_or_insert(now);
        if self.total < MIN_PACKETS || now.saturating_duration_since(start) < MIN_WINDOW {
            return self.cap.unwrap_or(estimate);
        }
        let fraction = f64::from(self.lost) / f64::from(self.total);
        (self.lost, self.total, self.window_start) = (0, 0, Some(now));
        let elapsed = self.last_update.replace(now).map_or(Duration::ZERO, |l| now.saturating_duration_since(l));
        let current = self.cap.unwrap_or(estimate);
        if fraction > HIGH_LOSS {
            let due =
                self.last_decrease.is_none_or(|d| now.saturating_duration_since(d) >= rtt + Duration::from_millis(300));
            if due {
                self.cap = Some(current.min(estimate).scaled(1.0 - fraction / 2.0));
                self.last_decrease = Some(now);
            }
        } else if fraction < LOW_LOSS {
            let climbed = current.scaled(CLIMB_PER_SECOND.powf(elapsed.as_secs_f64().min(1.0))) + Bitrate::kbps(1);
            // Once the cap has climbed past the delay-based estimate it no longer limits anything.
            self.cap = (climbed < estimate).then_some(climbed);
        }
        self.cap.unwrap_or(estimate)
    }
}
