//! End-to-end encryption in the room (docs/e2ee.md): who may come in without a key, and where
//! the wrapped media keys go. The keys themselves are opaque here.

use super::*;
use crate::signalling::protocol::WrappedKey;

fn keyless(conn: ConnId, kind: InviteKind, chair: bool) -> Joining {
    Joining { e2ee_key: None, ..joining(conn, kind, chair) }
}

fn keys_to(to: &[Uuid]) -> ClientMessage {
    ClientMessage::MediaKeys {
        keys: to.iter().map(|&to| WrappedKey { to, key: format!("k{}", to.simple()) }).collect(),
    }
}

fn keys_received(effects: &[Effect], to: Uuid) -> Vec<Uuid> {
    sent(effects, to)
        .into_iter()
        .filter_map(|m| match m {
            ServerMessage::MediaKey { from, .. } => Some(*from),
            _ => None,
        })
        .collect()
}

fn refusal(effects: &[Effect], to: Uuid) -> Option<String> {
    sent(effects, to).into_iter().find_map(|m| match m {
        ServerMessage::Error { code, .. } => Some(code.clone()),
        _ => None,
    })
}

#[test]
fn someone_who_cannot_encrypt_is_let_in_only_by_an_explicit_word_of_the_chair() {
    let mut room = room();
    let (chair, _) = join(&mut room, joining(1, InviteKind::Member, true));
    let (guest, effects) = join(&mut room, keyless(2, InviteKind::Guest, false));
    assert!(matches!(sent(&effects, guest)[..], [ServerMessage::Welcome { .. }, ServerMessage::Lobby]));
    let ServerMessage::LobbyChanged { waiting } = sent(&effects, chair)[0] else { panic!("the chair sees the lobby") };
    assert_eq!(waiting[0].e2ee_key, None, "the chair sees that this browser cannot encrypt");

    let effects = room.handle(msg(1, ClientMessage::Admit { participant_id: guest, unencrypted: false }));
    assert_eq!(refusal(&effects, chair).as_deref(), Some("e2ee_required"));
    assert!(!effects.iter().any(|e| matches!(e, Effect::RecordJoin { .. })), "a refused admit changes nothing");

    let effects = room.handle(msg(1, ClientMessage::Admit { participant_id: guest, unencrypted: true }));
    assert!(matches!(sent(&effects, guest)[0], ServerMessage::Admitted { .. }));
    let joined = sent(&effects, chair).into_iter().any(
        |m| matches!(m, ServerMessage::ParticipantJoined { participant } if participant.id == guest && participant.e2ee_key.is_none()),
    );
    assert!(joined, "everyone sees who is in without a key");
}

#[test]
fn admitted_before_is_not_enough_to_come_back_without_a_key() {
    let mut room = room();
    join(&mut room, joining(1, InviteKind::Member, true));
    let (partner, _) = join(&mut room, joining(2, InviteKind::Member, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: partner, unencrypted: false }));
    room.handle(msg(2, ClientMessage::Leave {}));

    // Back from a browser that cannot encrypt: the lobby, although let in before.
    let (again, effects) = join(&mut room, keyless(3, InviteKind::Member, false));
    assert_eq!(sent(&effects, again)[1], &ServerMessage::Lobby);
    // From one that can: straight in, as before.
    room.handle(msg(3, ClientMessage::Leave {}));
    let (again, effects) = join(&mut room, Joining { conn: 4, ..joining(2, InviteKind::Member, false) });
    assert!(matches!(sent(&effects, again)[1], ServerMessage::Admitted { .. }));
}

#[test]
fn a_seat_held_while_reconnecting_is_taken_back_only_with_a_key() {
    let (mut room, chair, partner) = two_in_the_room();
    room.handle(Input::Disconnected { conn: 2 });
    let (again, effects) = join(&mut room, keyless(7, InviteKind::Member, false));
    assert_ne!(again, partner, "not the encrypted seat");
    assert_eq!(sent(&effects, again)[1], &ServerMessage::Lobby);

    // A reloaded page with a new key pair takes the seat; the others learn the new key.
    let (mut room, chair2, partner) = two_in_the_room();
    let _ = chair;
    room.handle(Input::Disconnected { conn: 2 });
    let fresh =
        E2eeKey::parse("BGsX0fLhLFJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU");
    let fresh = fresh.expect("well formed");
    let (again, effects) =
        join(&mut room, Joining { conn: 8, e2ee_key: Some(fresh.clone()), ..joining(2, InviteKind::Member, false) });
    assert_eq!(again, partner);
    let updated = sent(&effects, chair2).into_iter().any(
        |m| matches!(m, ServerMessage::ParticipantUpdated { participant } if participant.id == partner && participant.e2ee_key.as_ref() == Some(&fresh)),
    );
    assert!(updated, "the others see the new key");
}

#[test]
fn a_chair_who_cannot_encrypt_enters_and_everyone_sees_it() {
    let mut room = room();
    let (chair, effects) = join(&mut room, keyless(1, InviteKind::Member, true));
    let ServerMessage::Admitted { participants } = sent(&effects, chair)[1] else { panic!("the chair is in") };
    assert_eq!(participants[0].e2ee_key, None);
}

#[test]
fn keys_reach_only_those_in_the_room() {
    let (mut room, chair, partner) = two_in_the_room();
    let (client, _) = join(&mut room, joining(3, InviteKind::Client, false));
    let (guest, _) = join(&mut room, joining(4, InviteKind::Guest, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: client, unencrypted: false }));

    let all = [chair, partner, client, guest, Uuid::new_v4()];
    let effects = room.handle(msg(1, keys_to(&all)));
    assert_eq!(keys_received(&effects, partner), vec![chair]);
    assert_eq!(keys_received(&effects, client), vec![chair]);
    assert!(keys_received(&effects, guest).is_empty(), "not to the lobby");
    assert!(keys_received(&effects, chair).is_empty(), "not back to the sender");

    // The client out for the debrief gets no key, and cannot hand his own out.
    room.handle(msg(1, ClientMessage::SendOutClient {}));
    let effects = room.handle(msg(2, keys_to(&all)));
    assert_eq!(keys_received(&effects, chair), vec![partner]);
    assert!(keys_received(&effects, client).is_empty(), "not to the client while he is out");
    let effects = room.handle(msg(3, keys_to(&[chair])));
    assert_eq!(refusal(&effects, client).as_deref(), Some("out_of_order"));
    assert!(keys_received(&effects, chair).is_empty());

    // Nor does someone reconnecting, or someone waiting in the lobby, send any.
    room.handle(Input::Disconnected { conn: 2 });
    let effects = room.handle(msg(1, keys_to(&[partner])));
    assert!(keys_received(&effects, partner).is_empty(), "not to someone reconnecting");
    let effects = room.handle(msg(4, keys_to(&[chair])));
    assert_eq!(refusal(&effects, guest).as_deref(), Some("out_of_order"));
}

#[test]
fn malformed_or_too_many_keys_are_refused_whole() {
    let (mut room, chair, partner) = two_in_the_room();
    let bad = ClientMessage::MediaKeys {
        keys: vec![WrappedKey { to: partner, key: "AQID".into() }, WrappedKey { to: partner, key: "a/b".into() }],
    };
    let effects = room.handle(msg(1, bad));
    assert_eq!(refusal(&effects, chair).as_deref(), Some("malformed"));
    assert!(keys_received(&effects, partner).is_empty(), "the good entry is not relayed either");
    let effects = room.handle(msg(1, keys_to(&vec![partner; 65])));
    assert_eq!(refusal(&effects, chair).as_deref(), Some("too_large"));
    assert!(keys_received(&effects, partner).is_empty());
}

#[test]
fn the_test_fault_keeps_media_flowing_to_the_client_while_he_is_out() {
    let (room, chair, partner) = two_in_the_room();
    let mut room = room.with_fault_forward_to_sent_out(true);
    let (client, _) = join(&mut room, joining(3, InviteKind::Client, false));
    room.handle(msg(1, ClientMessage::Admit { participant_id: client, unencrypted: false }));
    room.handle(Input::TrackPublished { owner: client, track: 30, kind: MediaKind::Video });

    let effects = room.handle(msg(1, ClientMessage::SendOutClient {}));
    assert_eq!(stops(&effects), vec![(30, chair), (30, partner)], "only his own media stops");
    assert_eq!(sent(&effects, client), vec![&ServerMessage::SentOut], "he is told he is out, as always");

    let effects = room.handle(msg(1, ClientMessage::BringBackClient {}));
    let mut kept = vec![(10, client), (11, client), (20, client), (21, client)];
    kept.sort();
    assert_eq!(stops(&effects), kept, "what the fault kept flowing stops first");
    let started = forwards(&effects);
    assert!(kept.iter().all(|f| started.contains(f)) && started.contains(&(30, chair)), "and entering starts it again");
}
