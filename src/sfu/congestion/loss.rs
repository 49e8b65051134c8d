//! The loss cap (GCC's loss-based controller, draft-ietf-rmcat-gcc-02 §6): more than 10 %
//! loss cuts the cap by half the loss fraction, at most once per round trip and a bit; under
//! 2 % lets it climb 8 % a second; in between it holds while the delay signal shows a queue,
//! and climbs like under 2 % while it does not. A link that loses a few percent by nature (a
//! radio link, a prison's Wi-Fi) is not mistaken for congestion: there the delay signal
//! decides. (Holding in that band whatever the delay said left a subscriber whose cap was cut
//! by an overload at its floor for good, on a link that loses 5 %: the `weak` e2e story.)

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
    /// `queue`: the delay signal shows a queue building up (over-use).
    pub(super) fn update(
        &mut self,
        lost: u32,
        total: u32,
        estimate: Bitrate,
        queue: bool,
        rtt: Duration,
        now: Instant,
    ) -> Bitrate {
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
        } else if fraction < LOW_LOSS || !queue {
            let climbed = current.scaled(CLIMB_PER_SECOND.powf(elapsed.as_secs_f64().min(1.0))) + Bitrate::kbps(1);
            // Once the cap has climbed past the delay-based estimate it no longer limits anything.
            self.cap = (climbed < estimate).then_some(climbed);
        }
        self.cap.unwrap_or(estimate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `seconds` of reports, each 100 ms with `lost` of 20 packets lost; the cap after.
    fn feed(cap: &mut LossCap, lost: u32, queue: bool, at: &mut Instant, seconds: u64) -> Bitrate {
        let estimate = Bitrate::kbps(3_000);
        let mut out = estimate;
        for _ in 0..seconds * 10 {
            *at += Duration::from_millis(100);
            out = cap.update(lost, 20, estimate, queue, Duration::from_millis(150), *at);
        }
        out
    }

    #[test]
    fn heavy_loss_cuts_and_a_few_percent_holds_while_a_queue_shows() {
        let mut at = Instant::now();
        let mut cap = LossCap::default();
        feed(&mut cap, 12, true, &mut at, 3);
        // The window the heavy loss ended in is judged first.
        let cut = feed(&mut cap, 1, true, &mut at, 2);
        assert!(cut.bps() <= 1_500_000, "60 % loss for 3 s cuts the cap: {cut}");
        let held = feed(&mut cap, 1, true, &mut at, 10);
        assert_eq!(held, cut, "5 % loss with a queue holds the cap");
    }

    #[test]
    fn a_few_percent_of_loss_without_a_queue_lets_the_cap_climb_again() {
        let mut at = Instant::now();
        let mut cap = LossCap::default();
        feed(&mut cap, 12, true, &mut at, 3);
        let cut = feed(&mut cap, 1, true, &mut at, 2);
        // 5 % loss by nature, no queue (the link is not full): the cap climbs 8 % a second.
        let climbed = feed(&mut cap, 1, false, &mut at, 10);
        assert!(climbed >= cut.scaled(1.8), "ten seconds of 5 % loss on a link without a queue: {cut} → {climbed}");
    }
}
