//! The loss cap (GCC's loss-based controller, draft-ietf-rmcat-gcc-02 §6): more than 10 %
//! loss cuts the cap by half the loss fraction, at most once per round trip and a bit, and not
//! below 85 % of what the path delivered meanwhile (the sender of an SFU cannot follow a cut
//! at once, and cutting again for the overload it is still sending drove the cap to its floor); under
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
/// A cut for heavy loss goes no lower than this share of what the path delivered.
const DELIVERED_SHARE: f64 = 0.85;

/// Reports' counts pooled until they cover [`MIN_PACKETS`] and [`MIN_WINDOW`].
#[derive(Debug, Default)]
struct Window {
    lost: u32,
    total: u32,
    start: Option<Instant>,
}

impl Window {
    /// Adds one report's counts; the share lost once the window is full (it starts over then).
    fn add(&mut self, lost: u32, total: u32, now: Instant) -> Option<f64> {
        self.lost += lost;
        self.total += total;
        let start = *self.start.get_or_insert(now);
        if self.total < MIN_PACKETS || now.saturating_duration_since(start) < MIN_WINDOW {
            return None;
        }
        let fraction = f64::from(self.lost) / f64::from(self.total);
        *self = Window { lost: 0, total: 0, start: Some(now) };
        Some(fraction)
    }
}

#[derive(Debug, Default)]
pub(super) struct LossCap {
    /// The cap; none while loss has not mattered (the delay-based estimate rules).
    cap: Option<Bitrate>,
    window: Window,
    last_decrease: Option<Instant>,
    last_update: Option<Instant>,
}

impl LossCap {
    /// When the cap was last cut.
    pub(super) fn last_decrease(&self) -> Option<Instant> {
        self.last_decrease
    }

    /// The cap, if loss set one.
    pub(super) fn cap(&self) -> Option<Bitrate> {
        self.cap
    }

    /// A probe proved the path carries `proven`: a cap below it is lifted to it.
    pub(super) fn lift_to(&mut self, proven: Bitrate) {
        if let Some(cap) = self.cap.as_mut() {
            *cap = (*cap).max(proven);
        }
    }

    /// Takes a report's counts; returns the cap to apply to `estimate`.
    /// `queue`: the delay signal shows a queue building up (over-use).
    /// `delivered`: what the path delivered lately, when known.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn update(
        &mut self,
        lost: u32,
        total: u32,
        estimate: Bitrate,
        delivered: Option<Bitrate>,
        queue: bool,
        rtt: Duration,
        now: Instant,
    ) -> Bitrate {
        let Some(fraction) = self.window.add(lost, total, now) else {
            return self.cap.unwrap_or(estimate);
        };
        let elapsed = self.last_update.replace(now).map_or(Duration::ZERO, |l| now.saturating_duration_since(l));
        let current = self.cap.unwrap_or(estimate);
        if fraction > HIGH_LOSS {
            let due =
                self.last_decrease.is_none_or(|d| now.saturating_duration_since(d) >= rtt + Duration::from_millis(300));
            if due {
                // Not below what the path carried while it lost: loss from sending far more
                // than a full link carries says the link is full, and what arrived says how
                // much it carries. Random loss (a lossy radio link) keeps cutting by half the
                // loss while it stays heavy.
                let carried = delivered.map_or(Bitrate::ZERO, |d| d.scaled(DELIVERED_SHARE));
                let from = current.min(estimate);
                self.cap = Some(from.scaled(1.0 - fraction / 2.0).max(carried.min(from)));
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

/// The share of packets the path loses, as a receiver report would say it: every packet a
/// feedback names, pooled in the same windows as [`LossCap`]'s (at least [`MIN_PACKETS`] and
/// [`MIN_WINDOW`]), whatever the rate did meanwhile. What a subscriber loses is told to the
/// publishers of the audio it receives, so that their encoders add Opus's in-band redundancy
/// (`super::super::report`).
#[derive(Debug, Default)]
pub(super) struct LossRatio {
    window: Window,
    last: f64,
}

impl LossRatio {
    /// Takes one feedback's counts.
    pub(super) fn update(&mut self, lost: u32, total: u32, now: Instant) {
        if let Some(fraction) = self.window.add(lost, total, now) {
            self.last = fraction;
        }
    }

    /// The share lost over the last full window (0 before the first).
    pub(super) fn get(&self) -> f64 {
        self.last
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
            out = cap.update(lost, 20, estimate, None, queue, Duration::from_millis(150), *at);
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

    #[test]
    fn an_overload_is_cut_to_what_the_link_delivered_not_below() {
        let mut at = Instant::now();
        let mut cap = LossCap::default();
        let (estimate, delivered) = (Bitrate::kbps(3_000), Some(Bitrate::kbps(475)));
        // Sending 3 Mbit/s into a link that delivers 475 kbit/s: 84 % lost, for six seconds
        // (a sender that does not follow at all).
        let mut out = estimate;
        for _ in 0..60 {
            at += Duration::from_millis(100);
            out = cap.update(17, 20, estimate, delivered, true, Duration::from_millis(150), at);
        }
        assert!(out.bps() >= 400_000 && out.bps() <= 410_000, "85 % of what arrived: {out}");
        // Random loss of 20 % on a link that carries everything still cuts by half the loss.
        let mut cap = LossCap::default();
        let mut out = Bitrate::kbps(2_000);
        for _ in 0..30 {
            at += Duration::from_millis(100);
            out = cap.update(4, 20, Bitrate::kbps(2_000), Some(out.scaled(0.8)), true, Duration::from_millis(150), at);
        }
        assert!(out.bps() < 1_700_000, "20 % random loss for 3 s: {out}");
    }

    #[test]
    fn the_share_lost_is_pooled_over_a_second_and_kept_until_the_next() {
        let mut at = Instant::now();
        let mut ratio = LossRatio::default();
        assert_eq!(ratio.get(), 0.0);
        // 1 of 20 lost every 100 ms: known after a second, not before.
        for _ in 0..10 {
            at += Duration::from_millis(100);
            ratio.update(1, 20, at);
        }
        assert_eq!(ratio.get(), 0.0, "not a second yet");
        at += Duration::from_millis(100);
        ratio.update(1, 20, at);
        assert!((ratio.get() - 0.05).abs() < 1e-9, "{}", ratio.get());
        // A few packets over a long while are pooled until there are enough.
        at += Duration::from_secs(2);
        ratio.update(5, 10, at);
        assert!((ratio.get() - 0.05).abs() < 1e-9, "10 packets are too few to say");
        at += Duration::from_millis(100);
        ratio.update(0, 10, at);
        assert!((ratio.get() - 0.25).abs() < 1e-9, "{}", ratio.get());
    }
}
