//! Live conferences: the WebSocket signalling protocol (`protocol`, documented in
//! `docs/signalling.md`), the room's rules as a state machine (`state`), the task that runs a
//! room (`room`) and the registry of rooms (`rooms`), the connection handler (`ws`) and its
//! limits on what participants send (`frames`), what rooms record (`persist`) and the ICE
//! servers handed to browsers (`ice`), and the pre-join network check (`check`).

pub mod check;
pub mod frames;
pub mod ice;
pub mod persist;
pub mod protocol;
pub mod room;
pub mod rooms;
pub mod state;
pub mod ws;

use crate::core::Context;
use rooms::Rooms;

/// What a conference connection needs: the core context and this node's rooms.
#[derive(Debug, Clone)]
pub struct Signalling {
    pub cx: Context,
    pub rooms: Rooms,
    /// The pre-join network check's SFU, ICE servers and limits.
    pub check: check::NetworkCheck,
    /// With several nodes: the way to the node that hosts a conference (`ws::route`).
    pub relay: Option<std::sync::Arc<dyn ws::Relay>>,
}

impl Signalling {
    /// Where everyone connected to conference `meeting` is now, by account or invite, asked
    /// of the node that hosts it; empty when it runs nowhere (or its host does not answer).
    pub async fn presence(&self, meeting: uuid::Uuid) -> Vec<(state::PrincipalKey, protocol::Presence)> {
        if let Some(relay) = &self.relay
            && let Some(node) = self.rooms.holder(meeting).await
        {
            return relay.presence(node, meeting).await;
        }
        self.rooms.presence(meeting).await
    }
}
