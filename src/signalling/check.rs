//! What the pre-join network check needs from this node: the SFU that answers the check's
//! offer, the ICE servers a participant would get, and a limit per person (each check holds a
//! UDP port for up to [`CHECK_PATIENCE`]).

use super::ice::IceConfig;
use crate::auth::limiter::Limiter;
use crate::sfu::Sfu;
use std::sync::Arc;
use std::time::Duration;

/// How long a check's server connection waits for the browser to connect.
pub const CHECK_PATIENCE: Duration = Duration::from_secs(20);

/// Requests (two per check) one person or invite link may make per minute: a page checks once,
/// and again when asked.
pub const CHECKS_PER_MINUTE: u32 = 20;

/// The network check's share of this node.
#[derive(Debug, Clone)]
pub struct NetworkCheck {
    pub sfu: Sfu,
    pub ice: Arc<IceConfig>,
    /// Check requests per person or invite link and minute.
    pub limiter: Arc<Limiter>,
}

impl NetworkCheck {
    pub fn new(sfu: Sfu, ice: Arc<IceConfig>) -> Self {
        NetworkCheck { sfu, ice, limiter: Arc::new(Limiter::new(CHECKS_PER_MINUTE, chrono::Duration::minutes(1))) }
    }
}
