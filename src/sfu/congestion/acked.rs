//! What the path actually delivered lately: the bytes that arrived in the last half second of
//! the subscriber's clock. The rate controller backs off to a fraction of this and does not
//! climb far above it.

use super::Bitrate;
use std::collections::VecDeque;
use std::time::Duration;

/// The window the delivered rate is measured over.
const WINDOW: Duration = Duration::from_millis(500);

/// Less than this much history says nothing about the rate.
const MIN_SPAN: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
pub(super) struct AckedRate {
    arrivals: VecDeque<(Duration, u16)>,
    bytes: u64,
}

impl AckedRate {
    pub(super) fn on_arrival(&mut self, arrived: Duration, size: u16) {
        // Reports come in sequence order, arrivals nearly so; an arrival before the newest
        // (reordering on the path) still counts, in the window of the newest.
        let at = self.arrivals.back().map_or(arrived, |&(newest, _)| newest.max(arrived));
        self.arrivals.push_back((at, size));
        self.bytes += u64::from(size);
        while let Some(&(oldest, size)) = self.arrivals.front() {
            if at.saturating_sub(oldest) <= WINDOW {
                break;
            }
            self.arrivals.pop_front();
            self.bytes -= u64::from(size);
        }
    }

    /// The delivered rate, once there is enough history.
    pub(super) fn rate(&self) -> Option<Bitrate> {
        let (&(first, _), &(last, _)) = (self.arrivals.front()?, self.arrivals.back()?);
        let span = last.saturating_sub(first);
        if span < MIN_SPAN {
            return None;
        }
        Bitrate::from_bytes(self.bytes, span)
    }
}
