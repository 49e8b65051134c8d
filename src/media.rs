//! The vocabulary that the media engine ([`crate::sfu`]) and the conference rooms
//! ([`crate::signalling`]) share, and nothing more: which of a participant's two connections,
//! ICE candidates, audio or video, and track ids. Rooms decide who receives which [`TrackId`];
//! the engine moves the packets. These types are also part of the signalling protocol.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A published track, numbered by the node that receives it.
pub type TrackId = u64;

/// Which of a participant's two peer connections a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pc {
    /// The participant sends its camera and microphone to the server.
    Publish,
    /// The server sends everyone else's media to the participant.
    Subscribe,
}

/// A trickled ICE candidate, as the browser's `RTCIceCandidateInit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub candidate: String,
    #[serde(rename = "sdpMid", default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(rename = "sdpMLineIndex", default, skip_serializing_if = "Option::is_none")]
    pub sdp_m_line_index: Option<u16>,
    #[serde(rename = "usernameFragment", default, skip_serializing_if = "Option::is_none")]
    pub username_fragment: Option<String>,
}

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Audio,
    Video,
}

/// Which participant a forwarded stream belongs to. The stream id in the SDP (`msid`) is the
/// participant id too; this map also says which is audio and which video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackInfo {
    /// The transceiver's `mid` in the subscribe connection.
    pub mid: String,
    pub participant_id: Uuid,
    pub kind: MediaKind,
}
