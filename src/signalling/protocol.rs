//! The signalling protocol, version 1: one JSON message type per direction, tagged by `type`.
//! `docs/signalling.md` describes the conversation; this file is its definition.

use crate::domain::{InviteKind, MeetingStatus};
use crate::error::Error;
use crate::events::CaseEvent;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::media::{Candidate, MediaKind, Pc, TrackInfo};

/// The protocol version this server speaks.
pub const VERSION: u32 = 1;

/// The largest message the server accepts (an SDP offer with simulcast is ~10 KiB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// What a participant sends to the server.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// The first message: which conference, in which protocol version. `e2ee_key`: the
    /// browser's public key for end-to-end encryption (docs/e2ee.md); absent when the browser
    /// cannot encrypt, and then a chair must let the person in knowingly.
    Join {
        v: u32,
        meeting_id: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        e2ee_key: Option<E2eeKey>,
    },
    /// The offer of the publish connection (the participant's camera and microphone).
    PublishOffer { sdp: String },
    /// The answer to the server's latest `subscribe_offer`.
    SubscribeAnswer { sdp: String },
    /// A trickled ICE candidate for one of the two connections; `null` ends the trickle.
    IceCandidate { pc: Pc, candidate: Option<Candidate> },
    /// The participant's own microphone and camera state.
    Mute { audio: bool, video: bool },
    /// Hand up or down.
    RaiseHand { raised: bool },
    /// Chair: let someone in from the lobby. Someone whose browser cannot encrypt end to end
    /// is let in only with `unencrypted: true` (the conference is then not encrypted).
    Admit {
        participant_id: Uuid,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unencrypted: bool,
    },
    /// Chair: turn someone away from the lobby.
    Deny { participant_id: Uuid },
    /// Chair: ask someone to mute.
    RequestMute { participant_id: Uuid, kind: MediaKind },
    /// Chair: mute someone for real: the server stops forwarding their audio, now and after a
    /// rejoin, until the chair allows them to speak and they unmute.
    ForceMute { participant_id: Uuid },
    /// Chair: mute everyone in the conference except yourself (as `force_mute`).
    MuteAll {},
    /// Chair: lift an enforced mute; the person's audio flows again once they unmute.
    AllowSpeak { participant_id: Uuid },
    /// Chair: lower someone's hand.
    LowerHand { participant_id: Uuid },
    /// Chair: remove someone; their invite stops working.
    Remove { participant_id: Uuid },
    /// Chair: send the client out for a professionals-only part (debrief).
    SendOutClient {},
    /// Chair: bring the client back.
    BringBackClient {},
    /// Chair: end the conference for everyone.
    EndMeeting {},
    /// Leaving on purpose (closing the tab works too).
    Leave {},
    /// The sender's media key, wrapped in the browser for each recipient (opaque to the
    /// server, which relays each entry to its recipient if that person is in the room).
    MediaKeys { keys: Vec<WrappedKey> },
    /// How big this page shows each other participant's video, so that the server sends each
    /// in the simulcast layer that size can use (docs/media.md). At most [`MAX_VIDEO_VIEWS`].
    VideoView { views: Vec<VideoView> },
}

/// One other participant's video as this page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VideoView {
    pub participant_id: Uuid,
    /// The rendered height in device pixels; 0 when not visible.
    pub height: u32,
}

/// The most entries one `video_view` may carry (a conference has far fewer people).
pub const MAX_VIDEO_VIEWS: usize = 64;

/// A browser's public key for end-to-end encryption: base64url without padding of the raw
/// uncompressed P-256 point (65 bytes, `0x04` first). The server only checks its form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct E2eeKey(String);

impl E2eeKey {
    /// The encoded length of 65 bytes in base64url without padding.
    const ENCODED_LEN: usize = 87;

    pub fn parse(text: &str) -> Option<Self> {
        use base64::Engine;
        if text.len() != Self::ENCODED_LEN {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
        (bytes.len() == 65 && bytes[0] == 0x04).then(|| E2eeKey(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key headless participants (tests, the load harness, the SFU tap) announce: the
    /// P-256 base point, whose private key is 1. It is well formed, so browsers wrap keys for
    /// it; anybody could unwrap those, which is why only test tools use it. They never encrypt.
    pub fn headless() -> Self {
        E2eeKey(HEADLESS_KEY.to_owned())
    }
}

const HEADLESS_KEY: &str = "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU";

impl<'de> Deserialize<'de> for E2eeKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        E2eeKey::parse(&text).ok_or_else(|| {
            serde::de::Error::custom("`e2ee_key` is base64url of a raw uncompressed P-256 public key (65 bytes)")
        })
    }
}

/// The most recipients one `media_keys` message may name (more than any conference seats).
pub const MAX_KEY_RECIPIENTS: usize = 64;
/// The longest wrapped key (base64url); a wrapped 16-byte secret with its header is ~80.
pub const MAX_WRAPPED_KEY_CHARS: usize = 1024;

/// One wrapped media key, for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WrappedKey {
    pub to: Uuid,
    pub key: String,
}

impl WrappedKey {
    /// base64url characters only, and not longer than [`MAX_WRAPPED_KEY_CHARS`].
    pub fn is_well_formed(&self) -> bool {
        !self.key.is_empty()
            && self.key.len() <= MAX_WRAPPED_KEY_CHARS
            && self.key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }
}

impl ClientMessage {
    /// The `type` tag, for logs and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMessage::Join { .. } => "join",
            ClientMessage::PublishOffer { .. } => "publish_offer",
            ClientMessage::SubscribeAnswer { .. } => "subscribe_answer",
            ClientMessage::IceCandidate { .. } => "ice_candidate",
            ClientMessage::Mute { .. } => "mute",
            ClientMessage::RaiseHand { .. } => "raise_hand",
            ClientMessage::Admit { .. } => "admit",
            ClientMessage::Deny { .. } => "deny",
            ClientMessage::RequestMute { .. } => "request_mute",
            ClientMessage::ForceMute { .. } => "force_mute",
            ClientMessage::MuteAll {} => "mute_all",
            ClientMessage::AllowSpeak { .. } => "allow_speak",
            ClientMessage::LowerHand { .. } => "lower_hand",
            ClientMessage::Remove { .. } => "remove",
            ClientMessage::SendOutClient {} => "send_out_client",
            ClientMessage::BringBackClient {} => "bring_back_client",
            ClientMessage::EndMeeting {} => "end_meeting",
            ClientMessage::Leave {} => "leave",
            ClientMessage::MediaKeys { .. } => "media_keys",
            ClientMessage::VideoView { .. } => "video_view",
        }
    }
}

/// Where a participant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Waiting to be admitted.
    Lobby,
    /// In the conference.
    Admitted,
    /// The client, sent out for a professionals-only part.
    Out,
}

/// A participant as the others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// This connection's participant id (a rejoin gets a new one).
    pub id: Uuid,
    /// The same person across rejoins in this conference (opaque; not an account or invite id).
    #[serde(default)]
    pub person: Uuid,
    pub name: String,
    pub organisation: Option<String>,
    /// `casemanager`, `coordinator`, `partner`, `guest` or `client`.
    pub role: String,
    pub kind: InviteKind,
    /// Chairs admit, mute, remove, send out and end.
    pub chair: bool,
    pub presence: Presence,
    pub audio_muted: bool,
    pub video_muted: bool,
    pub hand_raised: bool,
    /// A chair muted this person: their audio is not forwarded and they cannot unmute until a
    /// chair allows them to speak.
    #[serde(default)]
    pub audio_locked: bool,
    /// The connection dropped: the seat is kept for the room's reconnect grace period, and
    /// the others show "reconnecting" instead of "left" until the person is back or the period
    /// is over (then `participant_left` with `connection_lost`).
    #[serde(default)]
    pub reconnecting: bool,
    /// The public key of the person's browser for end-to-end encryption; `None`: the browser
    /// cannot encrypt (a chair let them in knowingly, and the conference is not encrypted).
    #[serde(default)]
    pub e2ee_key: Option<E2eeKey>,
}

/// A STUN or TURN server for the browser's `RTCPeerConnection`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The conference as the lobby shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingInfo {
    pub id: Uuid,
    pub purpose: String,
    pub scheduled_at: DateTime<Utc>,
    pub status: MeetingStatus,
}

/// What the server sends to a participant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to `join`: who you are, what conference, which ICE servers to use.
    /// `ice_relay_only`: use TURN relay candidates only (`iceTransportPolicy: "relay"`).
    Welcome {
        v: u32,
        /// Boxed: the largest message, and sent once per connection.
        you: Box<Participant>,
        meeting: MeetingInfo,
        ice_servers: Vec<IceServer>,
        #[serde(default)]
        ice_relay_only: bool,
    },
    /// You wait in the lobby until a chair admits you.
    Lobby,
    /// You are in: everyone who is in the conference now (you included).
    Admitted { participants: Vec<Participant> },
    /// A chair turned you away from the lobby.
    Denied,
    /// To chairs: who waits in the lobby.
    LobbyChanged { waiting: Vec<Participant> },
    /// Someone entered the conference.
    ParticipantJoined { participant: Participant },
    /// Someone's state changed (mute, hand, sent out).
    ParticipantUpdated { participant: Participant },
    /// Someone left (`left`, `removed`, `connection_lost` after the reconnect grace period,
    /// `sent_out`).
    ParticipantLeft { participant_id: Uuid, reason: String },
    /// The answer to your `publish_offer`.
    PublishAnswer { sdp: String },
    /// A (re)negotiation of your subscribe connection: answer with `subscribe_answer`.
    SubscribeOffer { sdp: String, tracks: Vec<TrackInfo> },
    /// A trickled ICE candidate of the server.
    IceCandidate { pc: Pc, candidate: Option<Candidate> },
    /// Your connection cannot carry even the lowest layer of this participant's video, so the
    /// server does not send it (`paused`; their audio keeps coming), or it can again.
    VideoState { participant_id: Uuid, paused: bool },
    /// The chair asks you to mute.
    MuteRequested { kind: MediaKind },
    /// A chair muted you: your audio reaches nobody until a chair allows you to speak.
    ForceMuted,
    /// A chair allows you to speak again: unmute when you are ready.
    SpeakAllowed,
    /// Raised hands, first raised first (participant ids); sent to everyone in the room on
    /// every change and on entering.
    HandQueue { queue: Vec<Uuid> },
    /// Who speaks now (loudest recent audio), or nobody.
    ActiveSpeaker { participant_id: Option<Uuid> },
    /// To the client: you are out for a professionals-only part; you receive no media meanwhile.
    SentOut,
    /// To the client: you are back in.
    BroughtBack,
    /// The minutes or actions changed: reload what the event names.
    MinutesChanged { event: CaseEvent },
    /// To the client: his plan changed; fetch it again (`GET /api/meetings/{id}/plan`).
    PlanChanged,
    /// The chair removed you; your invite no longer admits you.
    Removed,
    /// The conference is over.
    MeetingEnded { reason: String },
    /// The last message was refused; the connection and the room are unchanged.
    Error { code: String, message: String },
    /// Sent every ping interval so the browser notices a dead link (a WebSocket has no timeout
    /// of its own); needs no answer.
    Ping,
    /// A media key another participant wrapped for you (opaque to the server).
    MediaKey { from: Uuid, key: String },
}

/// Why a message from a participant was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Refusal { code, message: message.into() }
    }

    /// The conference's room cannot be reached now (its host is unknown or did not answer): the
    /// page tries again by itself.
    pub fn unavailable() -> Self {
        Refusal::new("unavailable", "the conference cannot be reached now; try again")
    }

    pub fn to_message(&self) -> ServerMessage {
        ServerMessage::Error { code: self.code.to_owned(), message: self.message.clone() }
    }
}

/// A domain refusal, told to a participant with the same code the API would give; our own
/// faults say only "try again" (the cause is logged where it happened).
impl From<&Error> for Refusal {
    fn from(error: &Error) -> Self {
        match error {
            Error::NotFound => Refusal::new("not_found", "no such conference, or not yours"),
            Error::Internal(_) => Refusal::new("internal", "try again"),
            other => Refusal::new(other.code(), other.to_string()),
        }
    }
}

/// Reads one text frame into a message, or says precisely why not.
pub fn parse(text: &str) -> Result<ClientMessage, Refusal> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(Refusal::new("too_large", format!("messages are at most {MAX_MESSAGE_BYTES} bytes")));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Refusal::new("malformed", bounded(format!("not JSON: {e}"), MAX_REFUSAL_CHARS)))?;
    let Some(kind) = value.get("type").and_then(|t| t.as_str()).map(str::to_owned) else {
        return Err(Refusal::new("malformed", "a message is an object with a string `type`"));
    };
    const KNOWN: &[&str] = &[
        "join",
        "publish_offer",
        "subscribe_answer",
        "ice_candidate",
        "mute",
        "raise_hand",
        "admit",
        "deny",
        "request_mute",
        "force_mute",
        "mute_all",
        "allow_speak",
        "lower_hand",
        "remove",
        "send_out_client",
        "bring_back_client",
        "end_meeting",
        "leave",
        "media_keys",
        "video_view",
    ];
    if !KNOWN.contains(&kind.as_str()) {
        return Err(Refusal::new(
            "unknown_type",
            format!("unknown message type `{}`", kind.chars().take(40).collect::<String>()),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| Refusal::new("malformed", bounded(format!("invalid `{kind}`: {e}"), MAX_REFUSAL_CHARS)))
}

/// The longest explanation of a refused frame: serde's messages quote the unknown field or
/// value, which the sender chose, and a refusal must not echo a frame of 64 KiB back.
const MAX_REFUSAL_CHARS: usize = 200;

/// `text`, cut to `max` characters with an ellipsis when longer.
fn bounded(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_join_message_parses() {
        let id = Uuid::new_v4();
        let text = format!(r#"{{"type":"join","v":1,"meeting_id":"{id}"}}"#);
        assert_eq!(parse(&text).unwrap(), ClientMessage::Join { v: 1, meeting_id: id, e2ee_key: None });
    }

    fn test_key() -> E2eeKey {
        E2eeKey::headless()
    }

    #[test]
    fn a_public_key_must_be_a_raw_uncompressed_p256_point() {
        assert!(E2eeKey::parse(HEADLESS_KEY).is_some());
        // Right length, but compressed-point prefix 0x02.
        let mut compressed = HEADLESS_KEY.to_owned();
        compressed.replace_range(0..2, "Am");
        assert!(E2eeKey::parse(&compressed).is_none());
        assert!(E2eeKey::parse(&HEADLESS_KEY[..86]).is_none(), "too short");
        assert!(E2eeKey::parse(&format!("{HEADLESS_KEY}A")).is_none(), "too long");
        assert!(E2eeKey::parse(&HEADLESS_KEY.replace('-', "+")).is_none(), "base64, not base64url");
        let id = Uuid::new_v4();
        let text = format!(r#"{{"type":"join","v":1,"meeting_id":"{id}","e2ee_key":"{HEADLESS_KEY}"}}"#);
        assert_eq!(parse(&text).unwrap(), ClientMessage::Join { v: 1, meeting_id: id, e2ee_key: Some(test_key()) });
        let text = format!(r#"{{"type":"join","v":1,"meeting_id":"{id}","e2ee_key":"bm90IGEga2V5"}}"#);
        assert_eq!(parse(&text).unwrap_err().code, "malformed");
    }

    #[test]
    fn a_wrapped_key_is_bounded_base64url() {
        let to = Uuid::new_v4();
        let key = |k: &str| WrappedKey { to, key: k.to_owned() };
        assert!(key("AQID-_az").is_well_formed());
        assert!(!key("").is_well_formed());
        assert!(!key("AQ+/").is_well_formed());
        assert!(!key("AQ==").is_well_formed());
        assert!(!key(&"A".repeat(MAX_WRAPPED_KEY_CHARS + 1)).is_well_formed());
        let text = format!(r#"{{"type":"media_keys","keys":[{{"to":"{to}","key":"AQID","extra":1}}]}}"#);
        assert_eq!(parse(&text).unwrap_err().code, "malformed");
    }

    #[test]
    fn a_candidate_uses_the_browsers_field_names() {
        let text = r#"{"type":"ice_candidate","pc":"publish","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}"#;
        let ClientMessage::IceCandidate { pc, candidate: Some(c) } = parse(text).unwrap() else {
            panic!("a candidate")
        };
        assert_eq!((pc, c.sdp_mid.as_deref(), c.sdp_m_line_index), (Pc::Publish, Some("0"), Some(0)));
    }

    #[test]
    fn broken_json_unknown_types_and_bad_fields_are_told_apart() {
        assert_eq!(parse("{").unwrap_err().code, "malformed");
        assert_eq!(parse("[]").unwrap_err().code, "malformed");
        assert_eq!(parse(r#"{"type":"dance"}"#).unwrap_err().code, "unknown_type");
        assert_eq!(parse(r#"{"type":"mute","audio":"yes","video":false}"#).unwrap_err().code, "malformed");
        assert_eq!(parse(r#"{"type":"leave","extra":1}"#).unwrap_err().code, "malformed");
    }

    #[test]
    fn a_refusal_does_not_echo_a_long_field_name_back() {
        // Found by the signalling_message fuzz target: serde quotes the unknown field.
        let text = format!(r#"{{"type":"leave","{}":1}}"#, "x".repeat(10_000));
        let refusal = parse(&text).unwrap_err();
        assert_eq!(refusal.code, "malformed");
        assert!(refusal.message.chars().count() <= MAX_REFUSAL_CHARS + 1, "{} chars", refusal.message.len());
    }

    #[test]
    fn an_oversized_message_is_refused_before_parsing() {
        let text = format!(r#"{{"type":"publish_offer","sdp":"{}"}}"#, "a".repeat(MAX_MESSAGE_BYTES));
        assert_eq!(parse(&text).unwrap_err().code, "too_large");
    }

    #[test]
    fn every_known_type_round_trips() {
        let id = Uuid::new_v4();
        let messages = vec![
            ClientMessage::Join { v: 1, meeting_id: id, e2ee_key: None },
            ClientMessage::Join { v: 1, meeting_id: id, e2ee_key: Some(test_key()) },
            ClientMessage::PublishOffer { sdp: "v=0".into() },
            ClientMessage::SubscribeAnswer { sdp: "v=0".into() },
            ClientMessage::IceCandidate { pc: Pc::Subscribe, candidate: None },
            ClientMessage::Mute { audio: true, video: false },
            ClientMessage::RaiseHand { raised: true },
            ClientMessage::Admit { participant_id: id, unencrypted: false },
            ClientMessage::Admit { participant_id: id, unencrypted: true },
            ClientMessage::Deny { participant_id: id },
            ClientMessage::RequestMute { participant_id: id, kind: MediaKind::Audio },
            ClientMessage::ForceMute { participant_id: id },
            ClientMessage::MuteAll {},
            ClientMessage::AllowSpeak { participant_id: id },
            ClientMessage::LowerHand { participant_id: id },
            ClientMessage::Remove { participant_id: id },
            ClientMessage::SendOutClient {},
            ClientMessage::BringBackClient {},
            ClientMessage::EndMeeting {},
            ClientMessage::Leave {},
            ClientMessage::MediaKeys { keys: vec![WrappedKey { to: id, key: "AQID-_".into() }] },
        ];
        for message in messages {
            let text = serde_json::to_string(&message).unwrap();
            assert_eq!(parse(&text).unwrap(), message, "{text}");
            assert!(text.contains(&format!("\"type\":\"{}\"", message.kind())));
        }
    }
}
