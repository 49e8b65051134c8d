//! Live conferences: the WebSocket signalling protocol and the rooms that run on it.

pub mod protocol;
pub mod state;
