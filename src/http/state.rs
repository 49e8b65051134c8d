//! What the HTTP layer holds: the core [`Context`] that domain operations take, and what only
//! the edge needs (the rooms of this node, the limits on guessing). Handlers take the part they
//! use through axum's `FromRef`.

use crate::auth::limiter::Limiter;
use crate::auth::login_limits::LoginLimits;
use crate::core::Context;
use crate::signalling::Signalling;
use axum::extract::FromRef;
use std::sync::Arc;

/// What every handler can reach. Cheap to clone: everything inside is shared.
#[derive(Debug, Clone)]
pub struct AppState {
    pub cx: Context,
    /// The conferences running on this node, and what their connections need.
    pub signalling: Signalling,
    /// Slows down password guessing per account, address and known device.
    pub login_limits: Arc<LoginLimits>,
    /// Limits invite-link look-ups per address (guessing is hopeless, but cheap to stop).
    pub invite_limiter: Arc<Limiter>,
    /// With several nodes: this node among the others (its NATS connection, for readiness).
    pub node: Option<crate::cluster::Node>,
}

impl FromRef<AppState> for Context {
    fn from_ref(state: &AppState) -> Context {
        state.cx.clone()
    }
}

impl FromRef<AppState> for Signalling {
    fn from_ref(state: &AppState) -> Signalling {
        state.signalling.clone()
    }
}
