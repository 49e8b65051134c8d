//! A simulated path to a subscriber, for the tests: a bottleneck of some capacity with a
//! drop-tail queue and random loss, a one-way delay, and a receiver that reports every 50 ms
//! which packets arrived when (as a browser's transport-wide feedback does). All on a
//! simulated clock: a test runs a minute of traffic in milliseconds, and the same every time.

use super::{BandwidthEstimator, Bitrate, PacketReport, SentPacket};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A small deterministic random source (a linear congruential generator): the same losses in
/// every run.
#[derive(Debug, Clone)]
pub(crate) struct Lcg(u64);

impl Lcg {
    pub(crate) fn new(seed: u64) -> Self {
        Lcg(seed)
    }

    pub(crate) fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The bottleneck.
#[derive(Debug)]
pub(crate) struct Link {
    pub capacity: Bitrate,
    pub one_way: Duration,
    /// Packets that would wait longer than this in the queue are dropped (a router's buffer).
    pub queue_limit: Duration,
    /// The chance that any packet is lost on the way, whatever the load.
    pub loss: f64,
    free_at: Option<Instant>,
    random: Lcg,
}

impl Link {
    pub(crate) fn new(capacity: Bitrate, one_way: Duration) -> Self {
        Link {
            capacity,
            one_way,
            queue_limit: Duration::from_millis(300),
            loss: 0.0,
            free_at: None,
            random: Lcg::new(7),
        }
    }

    /// When a packet of `size` bytes sent at `now` arrives, or `None` when it is lost.
    pub(crate) fn carry(&mut self, size: u16, now: Instant) -> Option<Instant> {
        let start = self.free_at.map_or(now, |free| free.max(now));
        if start.saturating_duration_since(now) > self.queue_limit {
            return None;
        }
        let transmit = Duration::from_secs_f64(f64::from(size) * 8.0 / self.capacity.bps().max(1) as f64);
        self.free_at = Some(start + transmit);
        if self.random.unit() < self.loss {
            return None;
        }
        Some(start + transmit + self.one_way)
    }

    /// How long a packet sent now would queue.
    pub(crate) fn queueing(&self, now: Instant) -> Duration {
        self.free_at.map_or(Duration::ZERO, |free| free.saturating_duration_since(now))
    }
}

const REPORT_INTERVAL: Duration = Duration::from_millis(50);

/// The link plus the sender's numbering and the receiver's feedback.
#[derive(Debug)]
pub(crate) struct Path {
    pub link: Link,
    epoch: Instant,
    next_sequence: u64,
    /// Sent packets the receiver has not reported yet, with their arrival.
    unreported: VecDeque<(u64, Option<Instant>)>,
    /// Reports on their way back: when they reach the sender, and what they say.
    returning: VecDeque<(Instant, Vec<PacketReport>)>,
    next_report: Instant,
}

impl Path {
    pub(crate) fn new(link: Link, start: Instant) -> Self {
        Path {
            link,
            epoch: start,
            next_sequence: 0,
            unreported: VecDeque::new(),
            returning: VecDeque::new(),
            next_report: start + REPORT_INTERVAL,
        }
    }

    /// Sends one packet; returns when it arrives, if it does.
    pub(crate) fn send(
        &mut self,
        estimator: &mut BandwidthEstimator,
        size: u16,
        probe: Option<u32>,
        now: Instant,
    ) -> Option<Instant> {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        estimator.on_sent(SentPacket { sequence, size, at: now, probe });
        let arrival = self.link.carry(size, now);
        self.unreported.push_back((sequence, arrival));
        arrival
    }

    /// Runs the receiver's report timer up to `now` and hands the estimator every report that
    /// has reached the sender.
    pub(crate) fn tick(&mut self, estimator: &mut BandwidthEstimator, now: Instant) {
        while self.next_report <= now {
            let at = self.next_report;
            self.next_report += REPORT_INTERVAL;
            let report = self.report(at);
            if !report.is_empty() {
                self.returning.push_back((at + self.link.one_way, report));
            }
        }
        while self.returning.front().is_some_and(|(back_at, _)| *back_at <= now) {
            if let Some((back_at, report)) = self.returning.pop_front() {
                estimator.on_feedback(&report, back_at);
            }
        }
    }

    /// What the receiver knows at `at`: everything that arrived by then, and as lost every
    /// packet that did not arrive although a later one did (the queue is first in, first out).
    fn report(&mut self, at: Instant) -> Vec<PacketReport> {
        let mut report = Vec::new();
        let mut lost = Vec::new();
        while let Some(&(sequence, arrival)) = self.unreported.front() {
            match arrival {
                Some(arrived) if arrived <= at => {
                    report.append(&mut lost);
                    report.push(PacketReport { sequence, arrived: Some(arrived - self.epoch) });
                }
                Some(_) => break,
                None => lost.push(PacketReport { sequence, arrived: None }),
            }
            self.unreported.pop_front();
        }
        // Losses not yet followed by an arrival are reported later.
        for packet in lost.into_iter().rev() {
            self.unreported.push_front((packet.sequence, None));
        }
        report
    }
}
