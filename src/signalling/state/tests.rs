//! The rules of the room, input by input.

use super::*;
use crate::domain::MeetingStatus;
use chrono::Utc;

pub(super) fn room() -> RoomState {
    RoomState::new(
        MeetingInfo {
            id: Uuid::new_v4(),
            purpose: "Netwerkberaad".into(),
            scheduled_at: Utc::now(),
            status: MeetingStatus::Scheduled,
        },
        RoomMemory::default(),
    )
}

pub(super) fn joining(conn: ConnId, kind: InviteKind, chair: bool) -> Joining {
    Joining {
        key: PrincipalKey::User(Uuid::from_u128(conn as u128)),
        conn,
        name: format!("P{conn}"),
        organisation: Some("Org".into()),
        role: if chair { "casemanager" } else { "partner" }.into(),
        kind,
        chair,
        e2ee_key: Some(E2eeKey::headless()),
    }
}

/// Joins and returns the new participant's id.
pub(super) fn join(room: &mut RoomState, j: Joining) -> (Uuid, Vec<Effect>) {
    let effects = room.handle(Input::Join(j));
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Bind { participant, .. } => Some(*participant),
            _ => None,
        })
        .expect("a join binds");
    (id, effects)
}

pub(super) fn sent(effects: &[Effect], to: Uuid) -> Vec<&ServerMessage> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { to: t, message } if *t == to => Some(message),
            _ => None,
        })
        .collect()
}

pub(super) fn forwards(effects: &[Effect]) -> Vec<(TrackId, Uuid)> {
    let mut f: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Forward { track, to } => Some((*track, *to)),
            _ => None,
        })
        .collect();
    f.sort();
    f
}

pub(super) fn stops(effects: &[Effect]) -> Vec<(TrackId, Uuid)> {
    let mut f: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::StopForward { track, to } => Some((*track, *to)),
            _ => None,
        })
        .collect();
    f.sort();
    f
}

pub(super) fn msg(conn: ConnId, message: ClientMessage) -> Input {
    Input::Message { conn, message }
}

/// A chair (conn 1) and a partner (conn 2) admitted, each publishing audio and video.
pub(super) fn two_in_the_room() -> (RoomState, Uuid, Uuid) {
    let mut room = room();
    let (chair, _) = join(&mut room, joining(1, InviteKind::Member, true));
    let (partner, _) = join(&mut room, joining(2, InviteKind::Member, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: partner, unencrypted: false }));
    room.handle(Input::TrackPublished { owner: chair, track: 10, kind: MediaKind::Audio });
    room.handle(Input::TrackPublished { owner: chair, track: 11, kind: MediaKind::Video });
    room.handle(Input::TrackPublished { owner: partner, track: 20, kind: MediaKind::Audio });
    room.handle(Input::TrackPublished { owner: partner, track: 21, kind: MediaKind::Video });
    (room, chair, partner)
}

mod e2ee;
mod reconnect;

#[test]
fn a_chair_enters_directly_and_the_conference_goes_live() {
    let mut room = room();
    let (chair, effects) = join(&mut room, joining(1, InviteKind::Member, true));
    assert!(effects.contains(&Effect::MeetingLive));
    assert!(effects.contains(&Effect::RecordJoin { participant: chair }));
    assert!(matches!(
        sent(&effects, chair)[..],
        [ServerMessage::Welcome { .. }, ServerMessage::Admitted { .. }, ServerMessage::LobbyChanged { .. }]
    ));
}

#[test]
fn a_guest_waits_in_the_lobby_receives_nothing_and_the_chair_sees_him_wait() {
    let mut room = room();
    let (chair, _) = join(&mut room, joining(1, InviteKind::Member, true));
    room.handle(Input::TrackPublished { owner: chair, track: 10, kind: MediaKind::Video });
    let (guest, effects) = join(&mut room, joining(2, InviteKind::Guest, false));
    assert!(matches!(sent(&effects, guest)[..], [ServerMessage::Welcome { .. }, ServerMessage::Lobby]));
    assert!(forwards(&effects).is_empty(), "nothing flows to the lobby");
    let ServerMessage::LobbyChanged { waiting } = sent(&effects, chair)[0] else {
        panic!("the chair hears of the lobby")
    };
    assert_eq!(waiting[0].id, guest);
    let effects = room.handle(Input::TrackPublished { owner: guest, track: 20, kind: MediaKind::Video });
    assert!(forwards(&effects).is_empty(), "nothing flows from the lobby");
}

#[test]
fn admitting_starts_media_both_ways_including_tracks_published_earlier() {
    let mut room = room();
    let (chair, _) = join(&mut room, joining(1, InviteKind::Member, true));
    room.handle(Input::TrackPublished { owner: chair, track: 10, kind: MediaKind::Video });
    let (guest, _) = join(&mut room, joining(2, InviteKind::Guest, false));
    room.handle(Input::TrackPublished { owner: guest, track: 20, kind: MediaKind::Video });
    let effects = room.handle(msg(1, ClientMessage::Admit { participant_id: guest, unencrypted: false }));
    assert_eq!(forwards(&effects), {
        let mut v = vec![(10, guest), (20, chair)];
        v.sort();
        v
    });
    assert!(matches!(sent(&effects, guest)[0], ServerMessage::Admitted { participants } if participants.len() == 2));
    assert!(
        sent(&effects, chair)
            .iter()
            .any(|m| matches!(m, ServerMessage::ParticipantJoined { participant } if participant.id == guest))
    );
}

#[test]
fn only_a_chair_admits() {
    let mut room = room();
    join(&mut room, joining(1, InviteKind::Member, true));
    let (partner, _) = join(&mut room, joining(2, InviteKind::Member, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: partner, unencrypted: false }));
    let (guest, _) = join(&mut room, joining(3, InviteKind::Guest, false));
    let effects = room.handle(msg(2, ClientMessage::Admit { participant_id: guest, unencrypted: false }));
    assert!(matches!(sent(&effects, partner)[..], [ServerMessage::Error { code, .. }] if code == "forbidden"));
    assert!(room.participants().any(|p| p.id == guest && p.presence == Presence::Lobby));
}

#[test]
fn a_later_track_goes_to_everyone_in_the_room_but_its_owner() {
    let (mut room, chair, partner) = two_in_the_room();
    let (third, _) = join(&mut room, joining(3, InviteKind::Member, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: third, unencrypted: false }));
    let effects = room.handle(Input::TrackPublished { owner: partner, track: 22, kind: MediaKind::Video });
    let mut expected = vec![(22, chair), (22, third)];
    expected.sort();
    assert_eq!(forwards(&effects), expected);
}

#[test]
fn a_leavers_tracks_stop_everywhere_and_the_others_are_told() {
    let (mut room, chair, partner) = two_in_the_room();
    let effects = room.handle(msg(2, ClientMessage::Leave {}));
    let mut expected = vec![(10, partner), (11, partner), (20, chair), (21, chair)];
    expected.sort();
    assert_eq!(stops(&effects), expected);
    assert!(effects.contains(&Effect::DropMedia { participant: partner }));
    assert!(effects.contains(&Effect::RecordLeave { participant: partner }));
    assert!(sent(&effects, chair).iter().any(|m| matches!(m, ServerMessage::ParticipantLeft { participant_id, reason } if *participant_id == partner && reason == "left")));
}

#[test]
fn a_second_connection_of_the_same_person_replaces_the_first() {
    let (mut room, _, partner) = two_in_the_room();
    let mut second = joining(2, InviteKind::Member, false);
    second.conn = 7;
    let (again, effects) = join(&mut room, second);
    assert!(effects.contains(&Effect::Close { participant: partner }));
    assert_eq!(room.participants().filter(|p| p.name == "P2").count(), 1);
    assert_eq!(room.participant_of(7).map(|p| p.id), Some(again));
}

#[test]
fn a_removed_guest_cannot_come_back_with_the_same_invite() {
    let mut room = room();
    join(&mut room, joining(1, InviteKind::Member, true));
    let invite = Uuid::new_v4();
    let guest_joining = Joining { key: PrincipalKey::Invite(invite), ..joining(2, InviteKind::Guest, false) };
    let (guest, _) = join(&mut room, guest_joining.clone());
    room.handle(msg(1, ClientMessage::Admit { participant_id: guest, unencrypted: false }));
    let effects = room.handle(msg(1, ClientMessage::Remove { participant_id: guest }));
    assert!(effects.contains(&Effect::InviteRemoved { invite }));
    assert!(sent(&effects, guest).contains(&&ServerMessage::Removed));
    let effects = room.handle(Input::Join(Joining { conn: 9, ..guest_joining }));
    assert!(matches!(&effects[..], [Effect::Refuse { conn: 9, message: ServerMessage::Removed }]));
}

#[test]
fn the_client_sent_out_receives_and_sends_nothing_until_brought_back() {
    let (mut room, chair, partner) = two_in_the_room();
    let (client, _) = join(&mut room, joining(3, InviteKind::Client, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: client, unencrypted: false }));
    room.handle(Input::TrackPublished { owner: client, track: 30, kind: MediaKind::Video });

    let effects = room.handle(msg(1, ClientMessage::SendOutClient {}));
    let mut expected = vec![(10, client), (11, client), (20, client), (21, client), (30, chair), (30, partner)];
    expected.sort();
    assert_eq!(stops(&effects), expected);
    assert_eq!(sent(&effects, client), vec![&ServerMessage::SentOut]);
    let effects = room.handle(Input::TrackPublished { owner: partner, track: 23, kind: MediaKind::Video });
    assert_eq!(forwards(&effects), vec![(23, chair)], "new media does not reach the client while out");
    let effects = room.handle(Input::Case(CaseEvent::ActionChanged { action_id: Uuid::new_v4() }));
    assert!(sent(&effects, client).is_empty(), "nor do the minutes");

    let effects = room.handle(msg(1, ClientMessage::BringBackClient {}));
    assert_eq!(sent(&effects, client)[0], &ServerMessage::BroughtBack);
    assert!(forwards(&effects).contains(&(30, chair)) && forwards(&effects).contains(&(23, client)));
}

#[test]
fn a_client_who_reconnects_during_the_debrief_stays_out() {
    let (mut room, _, _) = two_in_the_room();
    let client_joining = joining(3, InviteKind::Client, false);
    let (client, _) = join(&mut room, client_joining.clone());
    room.handle(msg(1, ClientMessage::Admit { participant_id: client, unencrypted: false }));
    room.handle(msg(1, ClientMessage::SendOutClient {}));
    room.handle(Input::Disconnected { conn: 3 });
    let (again, effects) = join(&mut room, Joining { conn: 8, ..client_joining });
    assert_eq!(sent(&effects, again)[1], &ServerMessage::SentOut);
    assert!(forwards(&effects).is_empty());
}

#[test]
fn chairs_see_the_lobby_empty_after_admitting_the_last_one_waiting() {
    let mut room = room();
    let (chair, _) = join(&mut room, joining(1, InviteKind::Member, true));
    let (guest, _) = join(&mut room, joining(2, InviteKind::Guest, false));
    let effects = room.handle(msg(1, ClientMessage::Admit { participant_id: guest, unencrypted: false }));
    assert!(sent(&effects, chair).contains(&&ServerMessage::LobbyChanged { waiting: vec![] }));
}

#[test]
fn the_client_in_the_room_hears_that_his_plan_changed_but_not_how() {
    let (mut room, _, _) = two_in_the_room();
    let (client, _) = join(&mut room, joining(3, InviteKind::Client, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: client, unencrypted: false }));
    let effects = room.handle(Input::Case(CaseEvent::ActionChanged { action_id: Uuid::new_v4() }));
    assert_eq!(sent(&effects, client), vec![&ServerMessage::PlanChanged]);
}

#[test]
fn minutes_changes_reach_professionals_in_the_room_but_not_the_client_or_the_lobby() {
    let (mut room, chair, partner) = two_in_the_room();
    let (client, _) = join(&mut room, joining(3, InviteKind::Client, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: client, unencrypted: false }));
    let (waiting, _) = join(&mut room, joining(4, InviteKind::Guest, false));
    let effects = room.handle(Input::Case(CaseEvent::ActionChanged { action_id: Uuid::new_v4() }));
    assert!(matches!(sent(&effects, chair)[..], [ServerMessage::MinutesChanged { .. }]));
    assert!(matches!(sent(&effects, partner)[..], [ServerMessage::MinutesChanged { .. }]));
    assert!(sent(&effects, client).iter().all(|m| !matches!(m, ServerMessage::MinutesChanged { .. })));
    assert!(sent(&effects, waiting).is_empty());
}

#[test]
fn finalising_the_minutes_ends_the_conference_and_later_joins_are_refused() {
    let (mut room, chair, _) = two_in_the_room();
    let meeting_id = room.meeting.id;
    let effects = room.handle(Input::Case(CaseEvent::Finalised { meeting_id }));
    assert!(effects.contains(&Effect::MeetingEnded));
    assert!(sent(&effects, chair).iter().any(|m| matches!(m, ServerMessage::MeetingEnded { .. })));
    assert!(room.is_ended() && room.is_empty());
    let effects = room.handle(Input::Join(joining(5, InviteKind::Member, true)));
    assert!(matches!(&effects[..], [Effect::Refuse { message: ServerMessage::MeetingEnded { .. }, .. }]));
}

#[test]
fn a_partner_cannot_end_the_conference_but_the_chair_can() {
    let (mut room, _, partner) = two_in_the_room();
    let effects = room.handle(msg(2, ClientMessage::EndMeeting {}));
    assert!(matches!(sent(&effects, partner)[..], [ServerMessage::Error { code, .. }] if code == "forbidden"));
    let effects = room.handle(msg(1, ClientMessage::EndMeeting {}));
    assert!(effects.contains(&Effect::MeetingEnded));
}

#[test]
fn the_active_speaker_is_announced_after_leading_twice_and_never_while_muted() {
    let (mut room, chair, partner) = two_in_the_room();
    let effects = room.handle(Input::AudioLevels(vec![(chair, 20), (partner, 90)]));
    assert!(sent(&effects, chair).is_empty(), "one report is not enough");
    let effects = room.handle(Input::AudioLevels(vec![(chair, 20), (partner, 90)]));
    assert_eq!(sent(&effects, chair), vec![&ServerMessage::ActiveSpeaker { participant_id: Some(partner) }]);
    room.handle(msg(1, ClientMessage::Mute { audio: true, video: false }));
    room.handle(Input::AudioLevels(vec![(chair, 100)]));
    let effects = room.handle(Input::AudioLevels(vec![(chair, 100)]));
    assert!(sent(&effects, partner).is_empty(), "a muted microphone never speaks");
}

#[test]
fn a_revoked_invite_takes_its_holder_out_of_the_room() {
    let mut room = room();
    join(&mut room, joining(1, InviteKind::Member, true));
    let invite = Uuid::new_v4();
    let (guest, _) =
        join(&mut room, Joining { key: PrincipalKey::Invite(invite), ..joining(2, InviteKind::Guest, false) });
    let effects = room.handle(Input::Case(CaseEvent::InviteRevoked { meeting_id: room.meeting.id, invite_id: invite }));
    assert!(sent(&effects, guest).contains(&&ServerMessage::Removed));
    assert!(room.participants().all(|p| p.id != guest));
}

#[test]
fn a_hand_cannot_be_raised_from_the_lobby() {
    let mut room = room();
    join(&mut room, joining(1, InviteKind::Member, true));
    let (guest, _) = join(&mut room, joining(2, InviteKind::Guest, false));
    let effects = room.handle(msg(2, ClientMessage::RaiseHand { raised: true }));
    assert!(matches!(sent(&effects, guest)[..], [ServerMessage::Error { code, .. }] if code == "out_of_order"));
}

#[test]
fn an_empty_room_ends_after_its_grace_period() {
    let (mut room, _, _) = two_in_the_room();
    room.handle(msg(2, ClientMessage::Leave {}));
    room.handle(msg(1, ClientMessage::Leave {}));
    assert!(room.is_empty());
    assert_eq!(room.end_if_abandoned(), vec![Effect::MeetingEnded]);
    assert!(room.is_ended());
}

#[test]
fn sending_out_with_no_client_in_the_room_is_refused_and_changes_nothing() {
    let (mut room, _, chair_conn_partner) = two_in_the_room();
    let _ = chair_conn_partner;
    let effects = room.handle(msg(1, ClientMessage::SendOutClient {}));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Send { message: ServerMessage::Error { code, .. }, .. } if code == "no_client")
        )
    );
    assert!(!effects.contains(&Effect::Debrief { active: true }));
}

#[test]
fn every_connection_of_the_client_goes_out_and_a_client_admitted_during_the_debrief_waits_outside() {
    let (mut room, chair, _) = two_in_the_room();
    let (first, _) =
        join(&mut room, Joining { key: PrincipalKey::Invite(Uuid::new_v4()), ..joining(3, InviteKind::Client, false) });
    let (second, _) =
        join(&mut room, Joining { key: PrincipalKey::Invite(Uuid::new_v4()), ..joining(4, InviteKind::Client, false) });
    room.handle(msg(1, ClientMessage::Admit { participant_id: first, unencrypted: false }));
    room.handle(msg(1, ClientMessage::Admit { participant_id: second, unencrypted: false }));
    let effects = room.handle(msg(1, ClientMessage::SendOutClient {}));
    assert!(sent(&effects, first).contains(&&ServerMessage::SentOut));
    assert!(sent(&effects, second).contains(&&ServerMessage::SentOut), "his second connection goes out too");
    assert!(effects.contains(&Effect::Debrief { active: true }));

    let (third, _) =
        join(&mut room, Joining { key: PrincipalKey::Invite(Uuid::new_v4()), ..joining(5, InviteKind::Client, false) });
    let effects = room.handle(msg(1, ClientMessage::Admit { participant_id: third, unencrypted: false }));
    assert!(sent(&effects, third).contains(&&ServerMessage::SentOut), "admitted into the debrief, he waits outside");
    assert!(!effects.iter().any(|e| matches!(e, Effect::Forward { to, .. } if *to == third)), "and receives nothing");
    let _ = chair;
}

#[test]
fn a_room_remembers_the_debrief_and_whom_the_chair_sent_away() {
    let barred = Uuid::new_v4();
    let mut room = RoomState::new(
        MeetingInfo { id: Uuid::new_v4(), purpose: "x".into(), scheduled_at: Utc::now(), status: MeetingStatus::Live },
        RoomMemory { client_out: true, barred_users: vec![barred], ..RoomMemory::default() },
    );
    let effects =
        room.handle(Input::Join(Joining { key: PrincipalKey::User(barred), ..joining(1, InviteKind::Member, false) }));
    assert!(matches!(&effects[..], [Effect::Refuse { message: ServerMessage::Removed, .. }]));
    let (chair, _) = join(&mut room, joining(2, InviteKind::Member, true));
    let effects = room.handle(msg(2, ClientMessage::BringBackClient {}));
    assert!(effects.contains(&Effect::Debrief { active: false }), "the debrief was still on");
    let _ = chair;
}

#[test]
fn a_guest_turned_away_from_the_lobby_cannot_knock_again() {
    let mut room = room();
    join(&mut room, joining(1, InviteKind::Member, true));
    let invite = Uuid::new_v4();
    let guest = Joining { key: PrincipalKey::Invite(invite), ..joining(2, InviteKind::Guest, false) };
    let (id, _) = join(&mut room, guest.clone());
    let effects = room.handle(msg(1, ClientMessage::Deny { participant_id: id }));
    assert!(effects.contains(&Effect::InviteRemoved { invite }));
    let effects = room.handle(Input::Join(Joining { conn: 7, ..guest }));
    assert!(matches!(&effects[..], [Effect::Refuse { message: ServerMessage::Removed, .. }]));
}

fn queue(effects: &[Effect], to: Uuid) -> Option<Vec<Uuid>> {
    sent(effects, to).into_iter().rev().find_map(|m| match m {
        ServerMessage::HandQueue { queue } => Some(queue.clone()),
        _ => None,
    })
}

#[test]
fn hands_queue_up_first_raised_first_and_a_chair_lowers_one() {
    let (mut room, chair, partner) = two_in_the_room();
    let (third, _) = join(&mut room, joining(3, InviteKind::Member, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: third, unencrypted: false }));
    let effects = room.handle(msg(3, ClientMessage::RaiseHand { raised: true }));
    assert_eq!(queue(&effects, chair), Some(vec![third]));
    let effects = room.handle(msg(2, ClientMessage::RaiseHand { raised: true }));
    assert_eq!(queue(&effects, chair), Some(vec![third, partner]), "first raised first");
    assert_eq!(queue(&effects, partner), Some(vec![third, partner]), "everyone in the room sees the queue");
    // Raising again changes nothing: the place in the queue is kept.
    let effects = room.handle(msg(3, ClientMessage::RaiseHand { raised: true }));
    assert_eq!(queue(&effects, chair), None);

    // Only a chair lowers someone else's hand.
    let effects = room.handle(msg(2, ClientMessage::LowerHand { participant_id: third }));
    assert!(matches!(sent(&effects, partner)[..], [ServerMessage::Error { code, .. }] if code == "forbidden"));
    let effects = room.handle(msg(1, ClientMessage::LowerHand { participant_id: third }));
    assert_eq!(queue(&effects, chair), Some(vec![partner]));
    assert!(sent(&effects, third).iter().any(|m| matches!(m, ServerMessage::ParticipantUpdated { participant } if participant.id == third && !participant.hand_raised)));
    let effects = room.handle(msg(1, ClientMessage::LowerHand { participant_id: third }));
    assert!(matches!(sent(&effects, chair)[..], [ServerMessage::Error { code, .. }] if code == "unknown_participant"));

    // Lowering your own hand, and leaving, take you out of the queue.
    room.handle(msg(3, ClientMessage::RaiseHand { raised: true }));
    let effects = room.handle(msg(2, ClientMessage::RaiseHand { raised: false }));
    assert_eq!(queue(&effects, chair), Some(vec![third]));
    let effects = room.handle(msg(3, ClientMessage::Leave {}));
    assert_eq!(queue(&effects, chair), Some(vec![]));
}

#[test]
fn someone_entering_hears_the_hand_queue_as_it_is() {
    let (mut room, _, partner) = two_in_the_room();
    room.handle(msg(2, ClientMessage::RaiseHand { raised: true }));
    let (late, _) = join(&mut room, joining(3, InviteKind::Member, false));
    let effects = room.handle(msg(1, ClientMessage::Admit { participant_id: late, unencrypted: false }));
    assert_eq!(queue(&effects, late), Some(vec![partner]));
}

#[test]
fn an_enforced_mute_stops_the_audio_until_allowed_and_unmuted() {
    let (mut room, chair, partner) = two_in_the_room();
    let effects = room.handle(msg(1, ClientMessage::ForceMute { participant_id: partner }));
    assert_eq!(stops(&effects), vec![(20, chair)], "only the audio stops");
    assert!(sent(&effects, partner).contains(&&ServerMessage::ForceMuted));
    assert!(sent(&effects, chair).iter().any(|m| matches!(m, ServerMessage::ParticipantUpdated { participant } if participant.id == partner && participant.audio_muted && participant.audio_locked)));

    // Unmuting by oneself does not work: the audio stays off and the person is told again.
    let effects = room.handle(msg(2, ClientMessage::Mute { audio: false, video: false }));
    assert!(forwards(&effects).is_empty());
    assert!(sent(&effects, partner).contains(&&ServerMessage::ForceMuted));
    assert!(room.participants().any(|p| p.id == partner && p.audio_muted && p.audio_locked));

    // A non-chair may not allow; a chair may, and the audio flows once the person unmutes.
    let effects = room.handle(msg(2, ClientMessage::AllowSpeak { participant_id: partner }));
    assert!(matches!(sent(&effects, partner)[..], [ServerMessage::Error { code, .. }] if code == "forbidden"));
    let effects = room.handle(msg(1, ClientMessage::AllowSpeak { participant_id: partner }));
    assert!(sent(&effects, partner).contains(&&ServerMessage::SpeakAllowed));
    assert!(forwards(&effects).is_empty(), "allowed is not yet unmuted");
    let effects = room.handle(msg(2, ClientMessage::Mute { audio: true, video: false }));
    assert!(forwards(&effects).is_empty(), "staying muted keeps the audio off");
    let effects = room.handle(msg(2, ClientMessage::Mute { audio: false, video: false }));
    assert_eq!(forwards(&effects), vec![(20, chair)]);
    assert!(room.participants().any(|p| p.id == partner && !p.audio_muted && !p.audio_locked));
    // Allowing someone who is not muted by a chair is refused.
    let effects = room.handle(msg(1, ClientMessage::AllowSpeak { participant_id: partner }));
    assert!(matches!(sent(&effects, chair)[..], [ServerMessage::Error { code, .. }] if code == "out_of_order"));
    let effects = room.handle(msg(1, ClientMessage::ForceMute { participant_id: chair }));
    assert!(matches!(sent(&effects, chair)[..], [ServerMessage::Error { code, .. }] if code == "invalid"));
}

#[test]
fn an_enforced_mute_belongs_to_the_person_and_holds_on_the_tracks_of_a_rejoin() {
    let (mut room, chair, partner) = two_in_the_room();
    // A rejoin first (new participant id, new tracks), then the mute.
    room.handle(Input::Disconnected { conn: 2 });
    let (again, effects) = join(&mut room, joining(2, InviteKind::Member, false));
    let person = room.participants().find(|p| p.id == again).unwrap().person;
    assert!(
        sent(&effects, chair)
            .iter()
            .any(|m| matches!(m, ServerMessage::ParticipantUpdated { participant } if participant.person == person))
    );
    room.handle(Input::TrackPublished { owner: again, track: 30, kind: MediaKind::Audio });
    room.handle(Input::TrackPublished { owner: again, track: 31, kind: MediaKind::Video });
    let effects = room.handle(msg(2, ClientMessage::RaiseHand { raised: true }));
    assert_eq!(queue(&effects, chair), Some(vec![again]));
    let effects = room.handle(msg(1, ClientMessage::ForceMute { participant_id: again }));
    assert_eq!(stops(&effects), vec![(30, chair)], "the new audio track stops, not the old one");

    // Rejoining again does not lift the mute: the next audio track is never forwarded.
    let mut third = joining(2, InviteKind::Member, false);
    third.conn = 9;
    let (latest, effects) = join(&mut room, third);
    let Some(ServerMessage::Welcome { you, .. }) =
        sent(&effects, latest).into_iter().find(|m| matches!(m, ServerMessage::Welcome { .. }))
    else {
        panic!("a welcome")
    };
    assert!(you.audio_muted && you.audio_locked && you.person == person, "{you:?}");
    let effects = room.handle(Input::TrackPublished { owner: latest, track: 40, kind: MediaKind::Audio });
    assert!(forwards(&effects).is_empty(), "the muted person's new audio is not forwarded");
    let effects = room.handle(Input::TrackPublished { owner: latest, track: 41, kind: MediaKind::Video });
    assert_eq!(forwards(&effects), vec![(41, chair)], "their video is");

    // Allowed and unmuted: this connection's audio flows.
    room.handle(msg(1, ClientMessage::AllowSpeak { participant_id: latest }));
    let effects = room.handle(msg(9, ClientMessage::Mute { audio: false, video: false }));
    assert_eq!(forwards(&effects), vec![(40, chair)]);
    let _ = partner;
}

#[test]
fn mute_all_mutes_everyone_but_the_chair_who_asked() {
    let (mut room, chair, partner) = two_in_the_room();
    let (third, _) = join(&mut room, joining(3, InviteKind::Member, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: third, unencrypted: false }));
    room.handle(Input::TrackPublished { owner: third, track: 30, kind: MediaKind::Audio });
    let effects = room.handle(msg(1, ClientMessage::MuteAll {}));
    let mut expected = vec![(20, chair), (20, third), (30, chair), (30, partner)];
    expected.sort();
    assert_eq!(stops(&effects), expected);
    assert!(room.participants().all(|p| p.audio_locked == (p.id != chair)));
    let effects = room.handle(msg(2, ClientMessage::MuteAll {}));
    assert!(matches!(sent(&effects, partner)[..], [ServerMessage::Error { code, .. }] if code == "forbidden"));
}
