//! `room_state`: the room's state machine fed an arbitrary sequence of inputs — joins and
//! rejoins of a few principals, every client message with ids drawn from those seen, lost
//! connections, tracks published and ended, case events, audio levels, a stopping node — with
//! the room's promises checked after every step:
//!
//! - media flows exactly between those in the conference proper: every forward that is on goes
//!   from someone admitted to someone else admitted, every pair of admitted participants has
//!   each other's tracks (except the audio of someone a chair muted, which reaches nobody), and
//!   no forward is started twice or stopped when it was not on;
//! - nobody waiting in the lobby or sent out receives what is said in the conference, and the
//!   client never receives the minutes;
//! - only chairs hear about the lobby;
//! - one connection per person; nobody who was removed or turned away is in the room;
//! - an ended room does nothing but refuse.

use crate::bytes::Bytes;
use chrono::{DateTime, Utc};
use ketentafel::domain::{InviteKind, LifeDomain, MeetingStatus};
use ketentafel::events::CaseEvent;
use ketentafel::media::{MediaKind, Pc};
use ketentafel::signalling::protocol::{ClientMessage, E2eeKey, MeetingInfo, Presence, ServerMessage, WrappedKey};
use ketentafel::signalling::state::{ConnId, Effect, Input, Joining, PrincipalKey, RoomState, TrackId};
use ketentafel::storage::meetings::RoomMemory;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// The people who may knock: (who, what kind of invite, chair).
const PRINCIPALS: &[(PrincipalKey, InviteKind, bool)] = &[
    (PrincipalKey::User(Uuid::from_u128(1)), InviteKind::Member, true),
    (PrincipalKey::User(Uuid::from_u128(2)), InviteKind::Member, false),
    (PrincipalKey::User(Uuid::from_u128(3)), InviteKind::Member, true),
    (PrincipalKey::Invite(Uuid::from_u128(4)), InviteKind::Client, false),
    (PrincipalKey::Invite(Uuid::from_u128(5)), InviteKind::Guest, false),
    (PrincipalKey::Invite(Uuid::from_u128(6)), InviteKind::Client, false),
];

const MEETING: Uuid = Uuid::from_u128(0x4d);

/// What the harness knows of the room from its effects alone.
#[derive(Default)]
struct Model {
    /// Every connection opened, in order (messages may come from closed ones too).
    conns: Vec<ConnId>,
    /// Every participant id ever bound, and whose it is.
    ids: Vec<Uuid>,
    key_of: HashMap<Uuid, PrincipalKey>,
    /// The principal of each connection, from its join.
    conn_key: HashMap<ConnId, PrincipalKey>,
    /// Tracks published by someone present, and their owner.
    tracks: BTreeMap<TrackId, Uuid>,
    /// The audio tracks among them (held back while a chair's mute holds).
    audio: BTreeSet<TrackId>,
    next_track: TrackId,
    /// Forwards that are on: (track, receiver).
    forwards: BTreeSet<(TrackId, Uuid)>,
    barred: HashSet<PrincipalKey>,
    /// Participants a chair was asked to let in although their browser cannot encrypt.
    unencrypted_ok: HashSet<Uuid>,
    ended: bool,
}

/// Runs a room over the inputs the bytes describe.
pub fn room_state(data: &[u8]) {
    let mut bytes = Bytes::new(data);
    let mut model = Model::default();
    let mut memory = RoomMemory { client_out: bytes.bool(), ..RoomMemory::default() };
    let barred_at_start = bytes.u8();
    for (i, (key, _, _)) in PRINCIPALS.iter().enumerate() {
        if barred_at_start & (1 << i) != 0 && barred_at_start & 0x80 != 0 {
            model.barred.insert(*key);
            match key {
                PrincipalKey::User(id) => memory.barred_users.push(*id),
                PrincipalKey::Invite(id) => memory.barred_invites.push(*id),
            }
        }
    }
    let meeting = MeetingInfo {
        id: MEETING,
        purpose: "fuzz".into(),
        scheduled_at: DateTime::<Utc>::from_timestamp(1_796_000_000, 0).expect("a valid time"),
        status: MeetingStatus::Scheduled,
    };
    let mut room = RoomState::new(meeting, memory);
    let mut steps = 0;
    while !bytes.is_empty() && steps < 256 {
        steps += 1;
        let effects = match bytes.pick(10) {
            0 | 1 => {
                let (key, kind, chair) = PRINCIPALS[bytes.pick(PRINCIPALS.len())];
                let conn = model.conns.len() as ConnId + 1;
                model.conns.push(conn);
                model.conn_key.insert(conn, key);
                let joining = Joining {
                    key,
                    conn,
                    name: format!("P{conn}"),
                    organisation: None,
                    role: "partner".into(),
                    kind,
                    chair,
                    e2ee_key: (bytes.pick(4) != 0).then(E2eeKey::headless),
                };
                room.handle(Input::Join(joining))
            }
            2..=4 => {
                let conn = pick_conn(&mut bytes, &model);
                let message = client_message(&mut bytes, &model);
                if let ClientMessage::Admit { participant_id, unencrypted: true } = message {
                    model.unencrypted_ok.insert(participant_id);
                }
                room.handle(Input::Message { conn, message })
            }
            5 => {
                let conn = pick_conn(&mut bytes, &model);
                room.handle(Input::Disconnected { conn })
            }
            6 => {
                let owner = pick_id(&mut bytes, &model);
                let track = model.next_track;
                model.next_track += 1;
                if room.participants().any(|p| p.id == owner) {
                    model.tracks.insert(track, owner);
                }
                let kind = if bytes.bool() { MediaKind::Audio } else { MediaKind::Video };
                if kind == MediaKind::Audio {
                    model.audio.insert(track);
                }
                room.handle(Input::TrackPublished { owner, track, kind })
            }
            7 => {
                let track = bytes.u8() as TrackId % (model.next_track + 1);
                model.tracks.remove(&track);
                room.handle(Input::TrackEnded { track })
            }
            8 => {
                let event = case_event(&mut bytes);
                if let CaseEvent::InviteRevoked { invite_id, .. } = event {
                    model.barred.insert(PrincipalKey::Invite(invite_id));
                }
                room.handle(Input::Case(event))
            }
            _ => match bytes.pick(8) {
                0 => room.stop(),
                1 => room.end_if_abandoned(),
                _ => {
                    let levels = (0..bytes.pick(4)).map(|_| (pick_id(&mut bytes, &model), bytes.u8())).collect();
                    room.handle(Input::AudioLevels(levels))
                }
            },
        };
        check(&mut model, &room, &effects);
    }
}

fn pick_conn(bytes: &mut Bytes<'_>, model: &Model) -> ConnId {
    let i = bytes.pick(model.conns.len() + 1);
    model.conns.get(i).copied().unwrap_or(ConnId::MAX)
}

/// One of the ids seen so far, or one nobody has.
fn pick_id(bytes: &mut Bytes<'_>, model: &Model) -> Uuid {
    let i = bytes.pick(model.ids.len() + 1);
    model.ids.get(i).copied().unwrap_or(Uuid::from_u128(0xdead))
}

fn client_message(bytes: &mut Bytes<'_>, model: &Model) -> ClientMessage {
    let kind = if bytes.bool() { MediaKind::Audio } else { MediaKind::Video };
    match bytes.pick(19) {
        0 => ClientMessage::Join { v: 1, meeting_id: MEETING, e2ee_key: None },
        1 => ClientMessage::PublishOffer { sdp: "v=0".into() },
        2 => ClientMessage::SubscribeAnswer { sdp: "v=0".into() },
        3 => ClientMessage::IceCandidate { pc: Pc::Publish, candidate: None },
        4 => ClientMessage::Mute { audio: bytes.bool(), video: bytes.bool() },
        5 => ClientMessage::RaiseHand { raised: bytes.bool() },
        6 => ClientMessage::Admit { participant_id: pick_id(bytes, model), unencrypted: bytes.bool() },
        7 => ClientMessage::Deny { participant_id: pick_id(bytes, model) },
        8 => ClientMessage::RequestMute { participant_id: pick_id(bytes, model), kind },
        9 => ClientMessage::Remove { participant_id: pick_id(bytes, model) },
        10 => ClientMessage::SendOutClient {},
        11 => ClientMessage::BringBackClient {},
        12 => ClientMessage::EndMeeting {},
        13 => ClientMessage::ForceMute { participant_id: pick_id(bytes, model) },
        14 => ClientMessage::MuteAll {},
        15 => ClientMessage::AllowSpeak { participant_id: pick_id(bytes, model) },
        16 => ClientMessage::LowerHand { participant_id: pick_id(bytes, model) },
        17 => ClientMessage::MediaKeys {
            keys: (0..bytes.pick(4)).map(|_| WrappedKey { to: pick_id(bytes, model), key: "AQID".into() }).collect(),
        },
        _ => ClientMessage::Leave {},
    }
}

fn case_event(bytes: &mut Bytes<'_>) -> CaseEvent {
    let meeting_id = if bytes.bool() { MEETING } else { Uuid::from_u128(0x4e) };
    match bytes.pick(4) {
        0 => CaseEvent::DomainWritten { meeting_id, domain: LifeDomain::Id, revision: 1 },
        1 => CaseEvent::ActionChanged { action_id: Uuid::from_u128(7) },
        2 => CaseEvent::Finalised { meeting_id },
        _ => {
            let (key, _, _) = PRINCIPALS[bytes.pick(PRINCIPALS.len())];
            let invite_id = match key {
                PrincipalKey::Invite(id) | PrincipalKey::User(id) => id,
            };
            CaseEvent::InviteRevoked { meeting_id, invite_id }
        }
    }
}

/// Messages with what is said or shown in the conference proper.
fn is_conference_content(message: &ServerMessage) -> bool {
    matches!(
        message,
        ServerMessage::ParticipantJoined { .. }
            | ServerMessage::ParticipantUpdated { .. }
            | ServerMessage::ActiveSpeaker { .. }
            | ServerMessage::MinutesChanged { .. }
            | ServerMessage::PlanChanged
            | ServerMessage::MuteRequested { .. }
            | ServerMessage::ForceMuted
            | ServerMessage::SpeakAllowed
            | ServerMessage::HandQueue { .. }
            | ServerMessage::LobbyChanged { .. }
            | ServerMessage::MediaKey { .. }
    )
}

fn check(model: &mut Model, room: &RoomState, effects: &[Effect]) {
    let was_ended = model.ended;
    for effect in effects {
        if was_ended {
            assert!(matches!(effect, Effect::Refuse { .. }), "an ended room only refuses: {effect:?}");
        }
        match effect {
            Effect::Bind { conn, participant } => {
                model.ids.push(*participant);
                let key = model.conn_key[conn];
                model.key_of.insert(*participant, key);
            }
            Effect::Forward { track, to } => {
                assert!(model.forwards.insert((*track, *to)), "forward {track} to {to} started twice");
            }
            Effect::StopForward { track, to } => {
                assert!(model.forwards.remove(&(*track, *to)), "forward {track} to {to} stopped but was not on");
            }
            Effect::InviteRemoved { invite } => {
                model.barred.insert(PrincipalKey::Invite(*invite));
            }
            Effect::UserBarred { user } => {
                model.barred.insert(PrincipalKey::User(*user));
            }
            // A dropped connection takes its tracks with it (the seat may stay, reconnecting).
            Effect::DropMedia { participant } => model.tracks.retain(|_, owner| owner != participant),
            Effect::MeetingEnded => model.ended = true,
            _ => {}
        }
    }
    if room.is_ended() {
        model.ended = true;
    }

    let present: HashMap<Uuid, (Presence, InviteKind, bool)> =
        room.participants().map(|p| (p.id, (p.presence, p.kind, p.chair))).collect();
    let reconnecting: HashSet<Uuid> = room.participants().filter(|p| p.reconnecting).map(|p| p.id).collect();
    model.tracks.retain(|_, owner| present.contains_key(owner));
    // In the conference proper and connected: someone reconnecting holds a seat but no media.
    let admitted = |id: &Uuid| {
        present.get(id).is_some_and(|(presence, _, _)| *presence == Presence::Admitted) && !reconnecting.contains(id)
    };

    if model.ended {
        assert!(present.is_empty(), "an ended room is empty");
    }

    // Media: exactly between those in the conference proper.
    for (track, to) in &model.forwards {
        let owner = model.tracks.get(track);
        assert!(admitted(to), "track {track} forwarded to {to}, who is not in the conference");
        assert!(owner.is_some_and(admitted), "track {track} forwarded while its owner is not in the conference");
        assert_ne!(owner, Some(to), "a track forwarded to its own owner");
    }
    for (track, owner) in &model.tracks {
        if !admitted(owner) {
            continue;
        }
        if model.audio.contains(track) && room.audio_held(*owner) {
            assert!(
                !model.forwards.iter().any(|(t, _)| t == track),
                "the audio {track} of a muted person is forwarded"
            );
            continue;
        }
        for id in present.keys().filter(|id| *id != owner && admitted(id)) {
            assert!(model.forwards.contains(&(*track, *id)), "{id} is in the conference but misses track {track}");
        }
    }

    // What is said in the conference stays there; the minutes are not for the client.
    for effect in effects {
        let Effect::Send { to, message } = effect else { continue };
        if let Some((presence, kind, chair)) = present.get(to) {
            if *presence != Presence::Admitted {
                assert!(!is_conference_content(message), "{presence:?} participant {to} was sent {message:?}");
            }
            if *kind == InviteKind::Client {
                assert!(!matches!(message, ServerMessage::MinutesChanged { .. }), "the client was sent the minutes");
            }
            // A media key reaches only someone in the conference and connected.
            if let ServerMessage::MediaKey { from, .. } = message {
                assert!(admitted(to), "a media key went to {to}, who is not in the conference");
                assert_ne!(from, to, "a media key came back to its sender");
            }
            if matches!(message, ServerMessage::LobbyChanged { .. }) {
                assert!(*chair, "the lobby was shown to {to}, who is not a chair");
            }
        }
    }

    // Nobody whose browser cannot encrypt is in without a chair's explicit word (a chair
    // decides for himself).
    for p in room.participants() {
        if p.e2ee_key.is_none() && !p.chair && p.presence != Presence::Lobby {
            assert!(model.unencrypted_ok.contains(&p.id), "{} is in unencrypted without a chair's word", p.id);
        }
    }

    // One connection per person; the barred stay out.
    let mut keys = HashSet::new();
    for id in present.keys() {
        let key = model.key_of[id];
        assert!(keys.insert(key), "{key:?} is in the room twice");
        assert!(!model.barred.contains(&key), "{key:?} was removed or turned away but is in the room");
    }
}
