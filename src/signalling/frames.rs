//! The limits on what a participant sends over the WebSocket: how many messages per second
//! (text and binary alike) and how long a frame may be; and what the participant is told when a
//! frame cannot be read at all. Time is passed in.

use super::protocol::{self, Refusal};
use std::time::Instant;

/// Messages per second a participant may send (ICE candidates come in bursts at the start).
pub const RATE: f64 = 50.0;
pub const BURST: f64 = 200.0;
/// Refused messages after which a flooding connection is closed.
pub const FLOOD_LIMIT: u32 = 500;
/// Messages longer than this are not even read: the connection closes with `too_large`
/// (shorter ones over [`protocol::MAX_MESSAGE_BYTES`] are refused and the connection stays).
pub const MAX_FRAME_BYTES: usize = 1 << 20;

/// A token bucket for incoming messages, text or binary alike; time is passed in.
pub struct RateLimit {
    tokens: f64,
    last: Instant,
    /// Messages refused so far; past [`FLOOD_LIMIT`] the connection closes.
    pub refused: u32,
}

impl RateLimit {
    pub fn new(now: Instant) -> Self {
        RateLimit { tokens: BURST, last: now, refused: 0 }
    }

    /// Whether one more message may pass at `now`.
    pub fn allow(&mut self, now: Instant) -> bool {
        self.tokens = (self.tokens + now.saturating_duration_since(self.last).as_secs_f64() * RATE).min(BURST);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.refused += 1;
            false
        }
    }
}

/// Why a frame could not be read, for the participant, when it was his doing (a message over
/// the frame limit, a broken frame); the log says why the connection closes. `None` when the
/// connection itself is gone.
pub fn unreadable(error: axum::Error) -> Option<Refusal> {
    use tungstenite::Error as WsError;
    match error.into_inner().downcast::<WsError>().map(|e| *e) {
        Ok(WsError::Capacity(e)) => {
            tracing::info!(error = %e, "closing a WebSocket: a message far over the size limit");
            Some(Refusal::new(
                "too_large",
                format!(
                    "messages are at most {} bytes; one over {MAX_FRAME_BYTES} bytes closes the connection",
                    protocol::MAX_MESSAGE_BYTES
                ),
            ))
        }
        Ok(e @ (WsError::Protocol(_) | WsError::Utf8(_))) => {
            tracing::info!(error = %e, "closing a WebSocket: a frame that breaks the WebSocket protocol");
            Some(Refusal::new("protocol_error", format!("{e}; the connection closes")))
        }
        Ok(e) => {
            tracing::debug!(error = %e, "a WebSocket read ended");
            None
        }
        Err(e) => {
            tracing::debug!(error = %e, "a WebSocket read ended");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_then_the_rate_holds_and_a_second_refills_fifty() {
        let t0 = Instant::now();
        let mut limit = RateLimit::new(t0);
        assert!((0..200).all(|_| limit.allow(t0)), "the burst of ICE candidates at the start passes");
        assert!(!limit.allow(t0));
        assert_eq!(limit.refused, 1);
        let later = t0 + Duration::from_secs(1);
        assert_eq!((0..60).filter(|_| limit.allow(later)).count(), 50);
    }
}
