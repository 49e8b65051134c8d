//! A dropped connection: the seat is held for the reconnect grace period, the others see
//! "reconnecting", and the same person takes the seat again — or is shown as left after it.

use super::*;

fn updates_of(effects: &[Effect], to: Uuid, about: Uuid) -> Vec<bool> {
    sent(effects, to)
        .into_iter()
        .filter_map(|m| match m {
            ServerMessage::ParticipantUpdated { participant } if participant.id == about => {
                Some(participant.reconnecting)
            }
            _ => None,
        })
        .collect()
}

fn left(effects: &[Effect], to: Uuid) -> Vec<(Uuid, String)> {
    sent(effects, to)
        .into_iter()
        .filter_map(|m| match m {
            ServerMessage::ParticipantLeft { participant_id, reason } => Some((*participant_id, reason.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_dropped_participant_is_shown_reconnecting_and_keeps_the_seat() {
    let (mut room, chair, partner) = two_in_the_room();

    let effects = room.handle(Input::Disconnected { conn: 2 });

    assert_eq!(updates_of(&effects, chair, partner), vec![true], "the chair sees the partner reconnecting");
    assert!(left(&effects, chair).is_empty(), "nobody is told the partner left");
    assert!(effects.contains(&Effect::HoldSeat { participant: partner }));
    assert!(effects.contains(&Effect::DropMedia { participant: partner }));
    assert!(!effects.contains(&Effect::RecordLeave { participant: partner }), "the stay goes on");
    let mut expected = vec![(10, partner), (11, partner), (20, chair), (21, chair)];
    expected.sort();
    assert_eq!(stops(&effects), expected, "media stops both ways");
    assert!(room.participants().any(|p| p.id == partner && p.reconnecting));
}

#[test]
fn back_within_the_grace_period_the_same_seat_is_taken_without_the_lobby() {
    let (mut room, chair, partner) = two_in_the_room();
    room.handle(msg(2, ClientMessage::RaiseHand { raised: true }));
    room.handle(Input::Disconnected { conn: 2 });

    let (again, effects) = join(&mut room, Joining { conn: 8, ..joining(2, InviteKind::Member, false) });

    assert_eq!(again, partner, "the same participant id: the others keep the tile");
    let to_partner = sent(&effects, partner);
    assert!(
        matches!(to_partner[0], ServerMessage::Welcome { you, .. } if !you.reconnecting && you.presence == Presence::Admitted)
    );
    assert!(matches!(to_partner[1], ServerMessage::Admitted { .. }), "no trip through the lobby");
    assert!(to_partner.iter().any(|m| matches!(m, ServerMessage::HandQueue { queue } if *queue == vec![partner])));
    assert_eq!(updates_of(&effects, chair, partner), vec![false], "the chair sees the partner back");
    assert!(left(&effects, chair).is_empty() && !effects.iter().any(|e| matches!(e, Effect::RecordJoin { .. })));
    assert_eq!(forwards(&effects), vec![(10, partner), (11, partner)], "the chair's media flows to him again");
    let effects = room.handle(Input::TrackPublished { owner: partner, track: 22, kind: MediaKind::Video });
    assert_eq!(forwards(&effects), vec![(22, chair)], "and his new media to the chair");
    let effects = room.handle(Input::SeatExpired { participant: partner });
    assert!(effects.is_empty(), "a grace period that ends after the return changes nothing");
}

#[test]
fn a_seat_not_taken_again_in_time_is_left_for_good() {
    let (mut room, chair, partner) = two_in_the_room();
    room.handle(Input::Disconnected { conn: 2 });

    let effects = room.handle(Input::SeatExpired { participant: partner });

    assert_eq!(left(&effects, chair), vec![(partner, "connection_lost".to_owned())]);
    assert!(effects.contains(&Effect::RecordLeave { participant: partner }));
    assert!(room.participants().all(|p| p.id != partner));
    let (again, effects) = join(&mut room, Joining { conn: 9, ..joining(2, InviteKind::Member, false) });
    assert_ne!(again, partner, "a later return is a new stay");
    assert!(matches!(sent(&effects, again)[1], ServerMessage::Admitted { .. }), "admitted once, admitted again");
}

#[test]
fn a_chair_who_drops_is_still_chair_when_back() {
    let (mut room, chair, partner) = two_in_the_room();
    room.handle(Input::Disconnected { conn: 1 });
    let effects = room.handle(msg(2, ClientMessage::EndMeeting {}));
    assert!(matches!(sent(&effects, partner)[..], [ServerMessage::Error { code, .. }] if code == "forbidden"));

    let (again, effects) = join(&mut room, Joining { conn: 5, ..joining(1, InviteKind::Member, true) });

    assert_eq!(again, chair);
    assert!(matches!(sent(&effects, chair)[0], ServerMessage::Welcome { you, .. } if you.chair));
    let (guest, effects) = join(&mut room, joining(3, InviteKind::Guest, false));
    assert!(
        sent(&effects, chair)
            .iter()
            .any(|m| matches!(m, ServerMessage::LobbyChanged { waiting } if waiting.len() == 1))
    );
    let effects = room.handle(msg(5, ClientMessage::Admit { participant_id: guest, unencrypted: false }));
    assert!(sent(&effects, guest).iter().any(|m| matches!(m, ServerMessage::Admitted { .. })));
}

#[test]
fn a_newcomer_sees_whoever_is_reconnecting() {
    let (mut room, _, partner) = two_in_the_room();
    room.handle(Input::Disconnected { conn: 2 });

    let (third, effects) = join(&mut room, joining(3, InviteKind::Member, true));

    let Some(ServerMessage::Admitted { participants }) =
        sent(&effects, third).into_iter().find(|m| matches!(m, ServerMessage::Admitted { .. }))
    else {
        panic!("the chair enters")
    };
    assert!(participants.iter().any(|p| p.id == partner && p.reconnecting));
    assert!(sent(&effects, partner).is_empty(), "nothing is sent to a seat without a connection");
}

#[test]
fn a_second_connection_takes_the_seat_while_the_first_is_not_yet_known_dead() {
    let (mut room, chair, partner) = two_in_the_room();

    let (again, effects) = join(&mut room, Joining { conn: 7, ..joining(2, InviteKind::Member, false) });

    assert_eq!(again, partner);
    assert!(effects.contains(&Effect::Close { participant: partner }));
    let close = effects.iter().position(|e| *e == Effect::Close { participant: partner });
    let bind = effects.iter().position(|e| *e == Effect::Bind { conn: 7, participant: partner });
    assert!(close < bind, "the old connection is closed before the new one is bound: {effects:?}");
    assert!(left(&effects, chair).is_empty(), "the chair never sees the partner leave");
    let effects = room.handle(Input::Disconnected { conn: 2 });
    assert!(effects.is_empty(), "the old connection closing later changes nothing");
}

#[test]
fn a_restarted_room_lets_whoever_was_admitted_back_in_and_keeps_the_client_outside() {
    let (partner, client) = (Uuid::new_v4(), Uuid::new_v4());
    let mut room = RoomState::new(
        MeetingInfo { id: Uuid::new_v4(), purpose: "x".into(), scheduled_at: Utc::now(), status: MeetingStatus::Live },
        RoomMemory {
            client_out: true,
            admitted_users: vec![partner],
            admitted_invites: vec![client],
            ..RoomMemory::default()
        },
    );

    let (p, effects) =
        join(&mut room, Joining { key: PrincipalKey::User(partner), ..joining(1, InviteKind::Member, false) });
    assert!(matches!(sent(&effects, p)[1], ServerMessage::Admitted { .. }), "no lobby after a restart");
    let (c, effects) =
        join(&mut room, Joining { key: PrincipalKey::Invite(client), ..joining(2, InviteKind::Client, false) });
    assert_eq!(sent(&effects, c)[1], &ServerMessage::SentOut, "the client is still outside");
    let (g, effects) = join(&mut room, joining(3, InviteKind::Guest, false));
    assert_eq!(sent(&effects, g)[1], &ServerMessage::Lobby, "who was never admitted still waits");
}

#[test]
fn a_chair_may_mute_someone_who_is_reconnecting_and_the_mute_holds_when_he_is_back() {
    let (mut room, chair, partner) = two_in_the_room();
    room.handle(Input::Disconnected { conn: 2 });

    let effects = room.handle(msg(1, ClientMessage::ForceMute { participant_id: partner }));
    assert!(
        sent(&effects, chair).iter().any(|m| matches!(m, ServerMessage::ParticipantUpdated { participant }
            if participant.id == partner && participant.reconnecting && participant.audio_locked)),
        "the chair sees the reconnecting partner muted: {effects:?}"
    );
    let (again, effects) = join(&mut room, Joining { conn: 8, ..joining(2, InviteKind::Member, false) });
    assert_eq!(again, partner);
    assert!(
        matches!(sent(&effects, partner)[0], ServerMessage::Welcome { you, .. } if you.audio_muted && you.audio_locked),
        "back in his seat, he is told he is muted"
    );
    let effects = room.handle(Input::TrackPublished { owner: partner, track: 22, kind: MediaKind::Audio });
    assert!(forwards(&effects).is_empty(), "his new audio is not forwarded");
    let effects = room.handle(msg(1, ClientMessage::AllowSpeak { participant_id: partner }));
    assert!(sent(&effects, partner).contains(&&ServerMessage::SpeakAllowed));
}

#[test]
fn mute_all_reaches_whoever_is_reconnecting() {
    let (mut room, chair, partner) = two_in_the_room();
    room.handle(Input::Disconnected { conn: 2 });
    room.handle(msg(1, ClientMessage::MuteAll {}));
    assert!(room.participants().any(|p| p.id == partner && p.reconnecting && p.audio_locked));
    assert!(room.participants().any(|p| p.id == chair && !p.audio_locked), "not the chair who asked");
}
