//! The control plane of one conference as a plain state machine: who is in it, who waits, who
//! chairs, who receives whose media. It takes one input at a time and answers with effects
//! (messages to send, forwarding to start or stop, facts to record); it does no I/O itself, so
//! every rule of the room is tested without a network (see the tests below).

use super::protocol::{ClientMessage, MediaKind, MeetingInfo, Participant, Presence, ServerMessage};
use crate::domain::InviteKind;
use crate::events::CaseEvent;
use std::collections::HashSet;
use uuid::Uuid;

/// A media track published to the SFU, as the room knows it.
pub type TrackId = u64;

/// One connection of a participant; a rejoin gets a new one.
pub type ConnId = u64;

/// Who someone is across connections: the account, or the invite of a guest or client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    speaker: Option<Uuid>,
    /// The speaker candidate and for how many level reports it has led.
    speaker_candidate: (Option<Uuid>, u8),
    live: bool,
    ended: bool,
}

/// Audio level (RFC 6464 inverted: higher is louder) below which nobody is speaking.
const SPEAKING_LEVEL: u8 = 40;
/// Level reports a new speaker must lead before being announced (no flapping).
const SPEAKER_HOLD: u8 = 2;

/// What a conference remembers across rooms (stored with the meeting): a room that ended and
/// starts again keeps the debrief going and keeps out whom the chair sent away.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomMemory {
    pub client_out: bool,
    pub barred_users: Vec<Uuid>,
    pub barred_invites: Vec<Uuid>,
}

impl RoomState {
    pub fn new(meeting: MeetingInfo, memory: RoomMemory) -> Self {
        let barred = memory
            .barred_users
            .into_iter()
            .map(PrincipalKey::User)
            .chain(memory.barred_invites.into_iter().map(PrincipalKey::Invite))
            .collect();
        RoomState {
            meeting,
            members: Vec::new(),
            tracks: Vec::new(),
            admitted_before: HashSet::new(),
            barred,
            client_out: memory.client_out,
            speaker: None,
            speaker_candidate: (None, 0),
            live: false,
            ended: false,
        }
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

    /// Everyone connected, lobby included.
    pub fn participants(&self) -> impl Iterator<Item = &Participant> {
        self.members.iter().map(|m| &m.participant)
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
            Input::Disconnected { conn } => {
                if let Some(id) = self.members.iter().find(|m| m.conn == conn).map(|m| m.participant.id) {
                    self.depart(id, "connection_lost", &mut out);
                }
            }
            Input::TrackPublished { owner, track, kind: _ } => {
                if self.member(owner).is_some() {
                    self.tracks.push(Track { id: track, owner });
                    let receivers: Vec<Uuid> = self.receivers_of(owner);
                    out.extend(receivers.into_iter().map(|to| Effect::Forward { track, to }));
                }
            }
            Input::TrackEnded { track } => {
                if let Some(pos) = self.tracks.iter().position(|t| t.id == track) {
                    let owner = self.tracks.remove(pos).owner;
                    out.extend(self.receivers_of(owner).into_iter().map(|to| Effect::StopForward { track, to }));
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

    fn member_mut(&mut self, id: Uuid) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.participant.id == id)
    }

    /// In the conference and receiving: admitted (the client only while not sent out).
    fn in_room(&self, p: &Participant) -> bool {
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

    fn join(&mut self, joining: Joining, out: &mut Vec<Effect>) {
        if self.barred.contains(&joining.key) {
            out.push(Effect::Refuse { conn: joining.conn, message: ServerMessage::Removed });
            return;
        }
        // The same person again (a reload, a dropped connection): the new connection replaces
        // the old one and they continue where they were.
        let mut was_in = self.admitted_before.contains(&joining.key);
        if let Some(previous) = self.members.iter().find(|m| m.key == joining.key).map(|m| m.participant.id) {
            was_in |= self.member(previous).is_some_and(|m| m.participant.presence != Presence::Lobby);
            out.push(Effect::Send {
                to: previous,
                message: ServerMessage::Error {
                    code: "replaced".into(),
                    message: "you joined from another connection".into(),
                },
            });
            out.push(Effect::Close { participant: previous });
            self.depart(previous, "left", out);
        }
        let presence = if joining.kind == InviteKind::Client && self.client_out && was_in {
            Presence::Out
        } else if joining.chair || was_in {
            Presence::Admitted
        } else {
            Presence::Lobby
        };
        let participant = Participant {
            id: Uuid::now_v7(),
            name: joining.name,
            organisation: joining.organisation,
            role: joining.role,
            kind: joining.kind,
            chair: joining.chair,
            presence,
            audio_muted: false,
            video_muted: false,
            hand_raised: false,
        };
        let id = participant.id;
        out.push(Effect::Bind { conn: joining.conn, participant: id });
        out.push(Effect::Send {
            to: id,
            message: ServerMessage::Welcome {
                v: super::protocol::VERSION,
                you: participant.clone(),
                meeting: self.meeting.clone(),
                ice_servers: Vec::new(),
            },
        });
        self.members.push(Member { participant, key: joining.key, conn: joining.conn });
        match presence {
            Presence::Admitted => self.enter(id, out),
            Presence::Lobby => {
                out.push(Effect::Send { to: id, message: ServerMessage::Lobby });
                self.lobby_changed(out);
            }
            Presence::Out => out.push(Effect::Send { to: id, message: ServerMessage::SentOut }),
        }
    }

    /// Someone enters the conference proper: everyone sees them, media starts flowing both ways.
    fn enter(&mut self, id: Uuid, out: &mut Vec<Effect>) {
        let Some(member) = self.member_mut(id) else {
            return;
        };
        member.participant.presence = Presence::Admitted;
        let key = member.key;
        let participant = member.participant.clone();
        self.remember_admission(key, out);
        if !self.live {
            self.live = true;
            out.push(Effect::MeetingLive);
        }
        out.push(Effect::RecordJoin { participant: id });
        let everyone: Vec<Participant> =
            self.members.iter().filter(|m| self.in_room(&m.participant)).map(|m| m.participant.clone()).collect();
        out.push(Effect::Send { to: id, message: ServerMessage::Admitted { participants: everyone } });
        self.broadcast(ServerMessage::ParticipantJoined { participant }, Some(id), out);
        if let Some(speaker) = self.speaker {
            out.push(Effect::Send { to: id, message: ServerMessage::ActiveSpeaker { participant_id: Some(speaker) } });
        }
        self.connect_media(id, out);
        // Chairs always get the lobby as it is now, also when this admission emptied it.
        self.lobby_changed(out);
    }

    /// Forwarding both ways between `id` and everyone else in the room.
    fn connect_media(&self, id: Uuid, out: &mut Vec<Effect>) {
        for track in &self.tracks {
            if track.owner != id && self.member(track.owner).is_some_and(|m| self.in_room(&m.participant)) {
                out.push(Effect::Forward { track: track.id, to: id });
            }
        }
        for track in self.tracks.iter().filter(|t| t.owner == id) {
            for to in self.receivers_of(id) {
                out.push(Effect::Forward { track: track.id, to });
            }
        }
    }

    /// The reverse of [`connect_media`], computed while `id` is still in the room.
    fn disconnect_media(&self, id: Uuid, out: &mut Vec<Effect>) {
        for track in &self.tracks {
            if track.owner != id && self.member(track.owner).is_some_and(|m| self.in_room(&m.participant)) {
                out.push(Effect::StopForward { track: track.id, to: id });
            }
        }
        for track in self.tracks.iter().filter(|t| t.owner == id) {
            for to in self.receivers_of(id) {
                out.push(Effect::StopForward { track: track.id, to });
            }
        }
    }

    /// Someone leaves: the others are told, media stops, the room ends when it empties.
    fn depart(&mut self, id: Uuid, reason: &str, out: &mut Vec<Effect>) {
        let Some(member) = self.member(id) else {
            return;
        };
        let was_in = self.in_room(&member.participant);
        let was_waiting = member.participant.presence == Presence::Lobby;
        let attended = member.participant.presence != Presence::Lobby;
        if was_in {
            self.disconnect_media(id, out);
        }
        self.members.retain(|m| m.participant.id != id);
        self.tracks.retain(|t| t.owner != id);
        out.push(Effect::DropMedia { participant: id });
        if attended {
            out.push(Effect::RecordLeave { participant: id });
        }
        if was_in {
            self.broadcast(ServerMessage::ParticipantLeft { participant_id: id, reason: reason.to_owned() }, None, out);
        }
        if was_waiting {
            self.lobby_changed(out);
        }
        if self.speaker == Some(id) {
            self.speaker = None;
            self.broadcast(ServerMessage::ActiveSpeaker { participant_id: None }, None, out);
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

    fn message(&mut self, conn: ConnId, message: ClientMessage, out: &mut Vec<Effect>) {
        let Some(me) = self.members.iter().find(|m| m.conn == conn).map(|m| m.participant.clone()) else {
            return;
        };
        let chair_only = matches!(
            message,
            ClientMessage::Admit { .. }
                | ClientMessage::Deny { .. }
                | ClientMessage::RequestMute { .. }
                | ClientMessage::Remove { .. }
                | ClientMessage::SendOutClient {}
                | ClientMessage::BringBackClient {}
                | ClientMessage::EndMeeting {}
        );
        if chair_only && !(me.chair && self.in_room(&me)) {
            return self.refuse(conn, "forbidden", "only a chair in the conference may do this", out);
        }
        let in_room = self.in_room(&me);
        match message {
            ClientMessage::Leave {} => self.depart(me.id, "left", out),
            ClientMessage::RaiseHand { .. } if !in_room => {
                self.refuse(conn, "out_of_order", "you are not in the conference yet", out)
            }
            ClientMessage::Mute { audio, video } => {
                self.update(me.id, |p| (p.audio_muted, p.video_muted) = (audio, video), out)
            }
            ClientMessage::RaiseHand { raised } => self.update(me.id, |p| p.hand_raised = raised, out),
            ClientMessage::Admit { participant_id } => match self.member(participant_id) {
                Some(m) if m.participant.presence == Presence::Lobby => {
                    if m.participant.kind == InviteKind::Client && self.client_out {
                        self.admit_outside(participant_id, out);
                    } else {
                        self.enter(participant_id, out);
                    }
                }
                _ => self.refuse(conn, "unknown_participant", "nobody with that id waits in the lobby", out),
            },
            ClientMessage::Deny { participant_id } => match self.member(participant_id) {
                Some(m) if m.participant.presence == Presence::Lobby => {
                    // Turned away is turned away: the same invite or account does not knock again.
                    self.bar(m.key, out);
                    out.push(Effect::Send { to: participant_id, message: ServerMessage::Denied });
                    out.push(Effect::Close { participant: participant_id });
                    self.depart(participant_id, "denied", out);
                }
                _ => self.refuse(conn, "unknown_participant", "nobody with that id waits in the lobby", out),
            },
            ClientMessage::RequestMute { participant_id, kind } => match self.member(participant_id) {
                Some(m) if self.in_room(&m.participant) => {
                    out.push(Effect::Send { to: participant_id, message: ServerMessage::MuteRequested { kind } })
                }
                _ => self.refuse(conn, "unknown_participant", "nobody with that id is in the conference", out),
            },
            ClientMessage::Remove { participant_id } if participant_id == me.id => {
                self.refuse(conn, "invalid", "leave instead of removing yourself", out)
            }
            ClientMessage::Remove { participant_id } => {
                match self.member(participant_id).map(|m| (m.key, m.participant.presence)) {
                    Some((key, _)) => {
                        self.bar(key, out);
                        out.push(Effect::Send { to: participant_id, message: ServerMessage::Removed });
                        out.push(Effect::Close { participant: participant_id });
                        self.depart(participant_id, "removed", out);
                    }
                    None => self.refuse(conn, "unknown_participant", "nobody with that id is here", out),
                }
            }
            ClientMessage::SendOutClient {} => self.send_out_client(conn, out),
            ClientMessage::BringBackClient {} => self.bring_back_client(conn, out),
            ClientMessage::EndMeeting {} => self.end("ended_by_chair", out),
            ClientMessage::Join { .. } => self.refuse(conn, "out_of_order", "already joined", out),
            ClientMessage::PublishOffer { .. }
            | ClientMessage::SubscribeAnswer { .. }
            | ClientMessage::IceCandidate { .. } => {
                self.refuse(conn, "internal", "media negotiation is not handled by the room", out)
            }
        }
    }

    /// Remembers that someone was let in: after a dropped connection they come straight back,
    /// and a guest's invite now opens the minutes.
    fn remember_admission(&mut self, key: PrincipalKey, out: &mut Vec<Effect>) {
        if self.admitted_before.insert(key)
            && let PrincipalKey::Invite(invite) = key
        {
            out.push(Effect::InviteAdmitted { invite });
        }
    }

    /// Keeps someone out of this conference for good (recorded, so a restarted room remembers).
    fn bar(&mut self, key: PrincipalKey, out: &mut Vec<Effect>) {
        self.barred.insert(key);
        out.push(match key {
            PrincipalKey::Invite(invite) => Effect::InviteRemoved { invite },
            PrincipalKey::User(user) => Effect::UserBarred { user },
        });
    }

    fn update(&mut self, id: Uuid, change: impl FnOnce(&mut Participant), out: &mut Vec<Effect>) {
        let Some(member) = self.member_mut(id) else {
            return;
        };
        change(&mut member.participant);
        let participant = member.participant.clone();
        self.broadcast(ServerMessage::ParticipantUpdated { participant }, None, out);
    }

    /// The client's connections that are in the room proper.
    fn clients_in_room(&self) -> Vec<Uuid> {
        self.members
            .iter()
            .filter(|m| m.participant.kind == InviteKind::Client && self.in_room(&m.participant))
            .map(|m| m.participant.id)
            .collect()
    }

    /// Puts a client in the room outside it for the debrief: no media either way.
    fn move_out(&mut self, client: Uuid, out: &mut Vec<Effect>) {
        self.disconnect_media(client, out);
        if let Some(member) = self.member_mut(client) {
            member.participant.presence = Presence::Out;
        }
        out.push(Effect::Send { to: client, message: ServerMessage::SentOut });
        self.broadcast(ServerMessage::ParticipantLeft { participant_id: client, reason: "sent_out".into() }, None, out);
    }

    /// Lets the client in while the professionals talk among themselves: he waits outside,
    /// receiving and sending nothing, until the chair brings him back.
    fn admit_outside(&mut self, client: Uuid, out: &mut Vec<Effect>) {
        let Some(member) = self.member_mut(client) else { return };
        member.participant.presence = Presence::Out;
        let key = member.key;
        self.remember_admission(key, out);
        out.push(Effect::RecordJoin { participant: client });
        out.push(Effect::Send { to: client, message: ServerMessage::SentOut });
        self.lobby_changed(out);
    }

    fn send_out_client(&mut self, conn: ConnId, out: &mut Vec<Effect>) {
        if self.client_out {
            return self.refuse(conn, "out_of_order", "the client is already out", out);
        }
        let clients = self.clients_in_room();
        if clients.is_empty() {
            return self.refuse(conn, "no_client", "the client is not in the conference", out);
        }
        self.client_out = true;
        out.push(Effect::Debrief { active: true });
        // Every connection of the client: a second link must not keep listening.
        for client in clients {
            self.move_out(client, out);
        }
    }

    fn bring_back_client(&mut self, conn: ConnId, out: &mut Vec<Effect>) {
        if !self.client_out {
            return self.refuse(conn, "out_of_order", "the client is not out", out);
        }
        self.client_out = false;
        out.push(Effect::Debrief { active: false });
        let waiting: Vec<Uuid> = self
            .members
            .iter()
            .filter(|m| m.participant.kind == InviteKind::Client && m.participant.presence == Presence::Out)
            .map(|m| m.participant.id)
            .collect();
        for client in waiting {
            out.push(Effect::Send { to: client, message: ServerMessage::BroughtBack });
            self.enter(client, out);
        }
    }

    fn end(&mut self, reason: &str, out: &mut Vec<Effect>) {
        for member in &self.members {
            out.push(Effect::Send {
                to: member.participant.id,
                message: ServerMessage::MeetingEnded { reason: reason.to_owned() },
            });
            out.push(Effect::Close { participant: member.participant.id });
        }
        let ids: Vec<Uuid> = self.members.iter().map(|m| m.participant.id).collect();
        for id in ids {
            self.depart(id, "ended", out);
        }
        self.ended = true;
        out.push(Effect::MeetingEnded);
    }

    /// Ends a conference that stayed empty past its grace period.
    pub fn end_if_abandoned(&mut self) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.members.is_empty() && !self.ended {
            self.ended = true;
            if self.live {
                out.push(Effect::MeetingEnded);
            }
        }
        out
    }

    fn case_event(&mut self, event: CaseEvent, out: &mut Vec<Effect>) {
        match &event {
            CaseEvent::Finalised { meeting_id } if *meeting_id == self.meeting.id => {
                self.notify_professionals(&event, out);
                self.end("finalised", out);
            }
            CaseEvent::InviteRevoked { invite_id, .. } => {
                let key = PrincipalKey::Invite(*invite_id);
                self.barred.insert(key);
                if let Some(id) = self.members.iter().find(|m| m.key == key).map(|m| m.participant.id) {
                    out.push(Effect::Send { to: id, message: ServerMessage::Removed });
                    out.push(Effect::Close { participant: id });
                    self.depart(id, "removed", out);
                }
            }
            _ => self.notify_professionals(&event, out),
        }
    }

    /// Minutes are for the professionals (and guests) in the room; the client in the room only
    /// hears that his plan changed, never what the professionals wrote.
    fn notify_professionals(&self, event: &CaseEvent, out: &mut Vec<Effect>) {
        for m in self.members.iter().filter(|m| self.in_room(&m.participant)) {
            let message = match m.participant.kind {
                InviteKind::Client => ServerMessage::PlanChanged,
                _ => ServerMessage::MinutesChanged { event: event.clone() },
            };
            out.push(Effect::Send { to: m.participant.id, message });
        }
    }

    fn levels(&mut self, levels: Vec<(Uuid, u8)>, out: &mut Vec<Effect>) {
        let loudest = levels
            .into_iter()
            .filter(|(id, level)| {
                *level >= SPEAKING_LEVEL
                    && self.member(*id).is_some_and(|m| self.in_room(&m.participant) && !m.participant.audio_muted)
            })
            .max_by_key(|(_, level)| *level)
            .map(|(id, _)| id);
        let Some(candidate) = loudest else { return };
        if self.speaker_candidate.0 == Some(candidate) {
            self.speaker_candidate.1 = self.speaker_candidate.1.saturating_add(1);
        } else {
            self.speaker_candidate = (Some(candidate), 1);
        }
        if self.speaker != Some(candidate) && self.speaker_candidate.1 >= SPEAKER_HOLD {
            self.speaker = Some(candidate);
            self.broadcast(ServerMessage::ActiveSpeaker { participant_id: Some(candidate) }, None, out);
        }
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
