//! The control plane of one conference as a plain state machine: who is in it, who waits, who
//! chairs, who receives whose media. It takes one input at a time and answers with effects
//! (messages to send, forwarding to start or stop, facts to record); it does no I/O itself, so
//! every rule of the room is tested without a network (`tests.rs`). The chair's powers are in
//! `chair.rs`, what case events and audio levels do in `events.rs`.

use super::protocol::{ClientMessage, E2eeKey, MediaKind, MeetingInfo, Participant, Presence, ServerMessage};
use crate::domain::InviteKind;
use crate::events::CaseEvent;
use crate::storage::meetings::RoomMemory;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub use crate::media::TrackId;

/// One connection of a participant; a rejoin gets a new one.
pub type ConnId = u64;

/// The connection of a participant whose connection dropped (real ids start at 1).
const NO_CONN: ConnId = 0;

/// Who someone is across connections: the account, or the invite of a guest or client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum PrincipalKey {
    User(Uuid),
    Invite(Uuid),
}

/// Someone asking to enter.
#[derive(Debug, Clone)]
pub struct Joining {
    pub key: PrincipalKey,
    pub conn: ConnId,
    pub name: String,
    pub organisation: Option<String>,
    pub role: String,
    pub kind: InviteKind,
    pub chair: bool,
    /// The browser's public key for end-to-end encryption; `None`: it cannot encrypt.
    pub e2ee_key: Option<E2eeKey>,
}

/// What the room reacts to.
#[derive(Debug, Clone)]
pub enum Input {
    Join(Joining),
    /// A room-level message from a connection (media negotiation does not pass here).
    Message {
        conn: ConnId,
        message: ClientMessage,
    },
    /// A connection closed or stopped answering.
    Disconnected {
        conn: ConnId,
    },
    /// The reconnect grace period of a participant whose connection dropped is over.
    SeatExpired {
        participant: Uuid,
    },
    /// A participant's media arrived at the SFU.
    TrackPublished {
        owner: Uuid,
        track: TrackId,
        kind: MediaKind,
    },
    /// A published track ended.
    TrackEnded {
        track: TrackId,
    },
    /// Case data changed through the API.
    Case(CaseEvent),
    /// Recent audio levels (0 = silence … 127 = loudest) per participant.
    AudioLevels(Vec<(Uuid, u8)>),
}

/// What the room asks its surroundings to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send a message to a participant's current connection.
    Send { to: Uuid, message: ServerMessage },
    /// Send to a connection that is not (or no longer) a participant, then close it.
    Refuse { conn: ConnId, message: ServerMessage },
    /// Bind a connection to a participant id (after a join).
    Bind { conn: ConnId, participant: Uuid },
    /// Close a participant's connection (after the messages before it are sent).
    Close { participant: Uuid },
    /// Start forwarding a track to a participant.
    Forward { track: TrackId, to: Uuid },
    /// Stop forwarding a track to a participant.
    StopForward { track: TrackId, to: Uuid },
    /// Tear down a participant's media.
    DropMedia { participant: Uuid },
    /// A participant's connection dropped: keep the seat for the reconnect grace period, then
    /// answer with [`Input::SeatExpired`].
    HoldSeat { participant: Uuid },
    /// Record that a participant entered (for the minutes' attendance).
    RecordJoin { participant: Uuid },
    /// Record that a participant left.
    RecordLeave { participant: Uuid },
    /// The invite of a removed or turned-away participant no longer admits anyone.
    InviteRemoved { invite: Uuid },
    /// An account removed or turned away from this conference does not get in again.
    UserBarred { user: Uuid },
    /// The invite's holder was let in (guests may read the minutes from then on).
    InviteAdmitted { invite: Uuid },
    /// The professionals-only part started or ended.
    Debrief { active: bool },
    /// The conference has started (the first person is in).
    MeetingLive,
    /// The conference is over; the room closes.
    MeetingEnded,
}

#[derive(Debug, Clone)]
struct Member {
    participant: Participant,
    key: PrincipalKey,
    conn: ConnId,
}

#[derive(Debug, Clone)]
struct Track {
    id: TrackId,
    owner: Uuid,
    kind: MediaKind,
}

/// An enforced mute, held by the person (not the connection): it applies to every audio
/// track they publish now or after a rejoin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Silence {
    /// A chair muted them; they cannot unmute.
    Locked,
    /// A chair allowed them to speak; their audio flows again once they unmute.
    Allowed,
}

/// The state of one conference.
#[derive(Debug)]
pub struct RoomState {
    meeting: MeetingInfo,
    members: Vec<Member>,
    tracks: Vec<Track>,
    /// Who was admitted before: after a dropped connection they come straight back in.
    admitted_before: HashSet<PrincipalKey>,
    /// Who was removed or turned away: they do not get in again.
    barred: HashSet<PrincipalKey>,
    /// The client is out for a professionals-only part.
    client_out: bool,
    /// Enforced mutes by person: their audio is not forwarded while they have an entry.
    silenced: HashMap<PrincipalKey, Silence>,
    /// A stable, opaque id per person, so the others recognise someone who rejoined.
    persons: HashMap<PrincipalKey, Uuid>,
    /// Raised hands by participant id, first raised first.
    hands: Vec<Uuid>,
    speaker: Option<Uuid>,
    /// The speaker candidate and for how many level reports it has led.
    speaker_candidate: (Option<Uuid>, u8),
    live: bool,
    ended: bool,
    /// Test fault (docs/e2ee.md): media keeps flowing to the client while he is sent out, as
    /// a faulty SFU would do; end-to-end encryption must keep it unreadable to him.
    fault_forward_to_sent_out: bool,
}

impl RoomState {
    pub fn new(meeting: MeetingInfo, memory: RoomMemory) -> Self {
        let barred = memory
            .barred_users
            .into_iter()
            .map(PrincipalKey::User)
            .chain(memory.barred_invites.into_iter().map(PrincipalKey::Invite))
            .collect();
        let admitted_before = memory
            .admitted_users
            .into_iter()
            .map(PrincipalKey::User)
            .chain(memory.admitted_invites.into_iter().map(PrincipalKey::Invite))
            .collect();
        RoomState {
            meeting,
            members: Vec::new(),
            tracks: Vec::new(),
            admitted_before,
            barred,
            client_out: memory.client_out,
            silenced: HashMap::new(),
            persons: HashMap::new(),
            hands: Vec::new(),
            speaker: None,
            speaker_candidate: (None, 0),
            live: false,
            ended: false,
            fault_forward_to_sent_out: false,
        }
    }

    /// Turns on the test fault that keeps forwarding media to the client while he is out.
    pub fn with_fault_forward_to_sent_out(mut self, on: bool) -> Self {
        self.fault_forward_to_sent_out = on;
        self
    }

    /// Nobody is connected.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The participant a connection speaks for.
    pub fn participant_of(&self, conn: ConnId) -> Option<&Participant> {
        self.members.iter().find(|m| m.conn == conn).map(|m| &m.participant)
    }

    /// Whether a chair's enforced mute holds this participant's audio back (locked, or allowed
    /// but not yet unmuted).
    pub fn audio_held(&self, participant: Uuid) -> bool {
        self.member(participant).is_some_and(|m| self.silenced.contains_key(&m.key))
    }

    /// Who a participant is (account or invite).
    pub fn key_of(&self, participant: Uuid) -> Option<PrincipalKey> {
        self.member(participant).map(|m| m.key)
    }

    /// Everyone connected, lobby included.
    pub fn participants(&self) -> impl Iterator<Item = &Participant> {
        self.members.iter().map(|m| &m.participant)
    }

    /// Where everyone connected is now, by who they are (account or invite).
    pub fn presence(&self) -> Vec<(PrincipalKey, Presence)> {
        self.members.iter().map(|m| (m.key, m.participant.presence)).collect()
    }

    /// Takes one input and returns what must happen because of it.
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.ended {
            if let Input::Join(joining) = input {
                out.push(Effect::Refuse {
                    conn: joining.conn,
                    message: ServerMessage::MeetingEnded { reason: "ended".into() },
                });
            }
            return out;
        }
        match input {
            Input::Join(joining) => self.join(joining, &mut out),
            Input::Message { conn, message } => self.message(conn, message, &mut out),
            Input::Disconnected { conn } => self.disconnected(conn, &mut out),
            Input::SeatExpired { participant } => {
                if self.member(participant).is_some_and(|m| m.participant.reconnecting) {
                    self.depart(participant, "connection_lost", &mut out);
                }
            }
            Input::TrackPublished { owner, track, kind } => {
                if self.member(owner).is_some() {
                    let track = Track { id: track, owner, kind };
                    // A person muted by a chair stays muted on every track they publish.
                    if self.flows(&track) {
                        out.extend(
                            self.receivers_of(owner).into_iter().map(|to| Effect::Forward { track: track.id, to }),
                        );
                    }
                    self.tracks.push(track);
                }
            }
            Input::TrackEnded { track } => {
                if let Some(pos) = self.tracks.iter().position(|t| t.id == track) {
                    let ended = self.tracks.remove(pos);
                    if self.flows(&ended) {
                        out.extend(
                            self.receivers_of(ended.owner).into_iter().map(|to| Effect::StopForward { track, to }),
                        );
                    }
                }
            }
            Input::Case(event) => self.case_event(event, &mut out),
            Input::AudioLevels(levels) => self.levels(levels, &mut out),
        }
        out
    }

    fn member(&self, id: Uuid) -> Option<&Member> {
        self.members.iter().find(|m| m.participant.id == id)
    }

    /// Whether a track is forwarded to those in the room with its owner: not the audio of
    /// someone a chair muted (until they were allowed to speak and unmuted).
    fn flows(&self, track: &Track) -> bool {
        track.kind != MediaKind::Audio || self.member(track.owner).is_none_or(|m| !self.silenced.contains_key(&m.key))
    }

    fn member_mut(&mut self, id: Uuid) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.participant.id == id)
    }

    /// In the conference and receiving: admitted (the client only while not sent out) and
    /// connected.
    fn in_room(&self, p: &Participant) -> bool {
        p.presence == Presence::Admitted && !p.reconnecting
    }

    /// Shown in the conference: in it, or holding a seat while reconnecting.
    fn seated(p: &Participant) -> bool {
        p.presence == Presence::Admitted
    }

    fn in_room_ids(&self) -> Vec<Uuid> {
        self.members.iter().filter(|m| self.in_room(&m.participant)).map(|m| m.participant.id).collect()
    }

    /// Who receives the media of `owner` (everyone else in the room, if the owner is in it).
    fn receivers_of(&self, owner: Uuid) -> Vec<Uuid> {
        match self.member(owner) {
            Some(m) if self.in_room(&m.participant) => {
                self.in_room_ids().into_iter().filter(|&id| id != owner).collect()
            }
            _ => Vec::new(),
        }
    }

    fn chairs(&self) -> Vec<Uuid> {
        self.members
            .iter()
            .filter(|m| m.participant.chair && self.in_room(&m.participant))
            .map(|m| m.participant.id)
            .collect()
    }

    fn broadcast(&self, message: ServerMessage, except: Option<Uuid>, out: &mut Vec<Effect>) {
        for id in self.in_room_ids() {
            if Some(id) != except {
                out.push(Effect::Send { to: id, message: message.clone() });
            }
        }
    }

    fn lobby_changed(&self, out: &mut Vec<Effect>) {
        let waiting: Vec<Participant> = self
            .members
            .iter()
            .filter(|m| m.participant.presence == Presence::Lobby)
            .map(|m| m.participant.clone())
            .collect();
        for chair in self.chairs() {
            out.push(Effect::Send { to: chair, message: ServerMessage::LobbyChanged { waiting: waiting.clone() } });
        }
    }

    fn refuse(&self, conn: ConnId, code: &str, message: &str, out: &mut Vec<Effect>) {
        if let Some(id) = self.members.iter().find(|m| m.conn == conn).map(|m| m.participant.id) {
            out.push(Effect::Send {
                to: id,
                message: ServerMessage::Error { code: code.into(), message: message.into() },
            });
        }
    }
}

mod chair;
mod events;
mod presence;

#[cfg(test)]
mod tests;
