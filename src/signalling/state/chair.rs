//! The chair's powers in the room: admitting and turning away, muting, removing, the
//! professionals-only part (debrief), ending the conference — and the participant's own
//! messages (mute, hand, leave).

use super::*;
use crate::signalling::protocol::{MAX_KEY_RECIPIENTS, WrappedKey};

impl RoomState {
    pub(super) fn message(&mut self, conn: ConnId, message: ClientMessage, out: &mut Vec<Effect>) {
        let Some(me) = self.members.iter().find(|m| m.conn == conn).map(|m| m.participant.clone()) else {
            return;
        };
        let chair_only = matches!(
            message,
            ClientMessage::Admit { .. }
                | ClientMessage::Deny { .. }
                | ClientMessage::RequestMute { .. }
                | ClientMessage::ForceMute { .. }
                | ClientMessage::MuteAll {}
                | ClientMessage::AllowSpeak { .. }
                | ClientMessage::LowerHand { .. }
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
            ClientMessage::Mute { audio, video } => self.own_mute(me.id, audio, video, out),
            ClientMessage::RaiseHand { raised } => self.hand(me.id, raised, out),
            ClientMessage::LowerHand { participant_id } => match self.member(participant_id) {
                Some(m) if self.in_room(&m.participant) && m.participant.hand_raised => {
                    self.hand(participant_id, false, out)
                }
                _ => self.refuse(conn, "unknown_participant", "nobody with that id has a hand raised", out),
            },
            ClientMessage::ForceMute { participant_id } if participant_id == me.id => {
                self.refuse(conn, "invalid", "mute your own microphone instead", out)
            }
            // Someone reconnecting holds a seat, and comes back with the mute (it belongs to the
            // person): a chair can mute the one whose line keeps dropping.
            ClientMessage::ForceMute { participant_id } => match self.member(participant_id) {
                Some(m) if Self::seated(&m.participant) => self.force_mute(participant_id, out),
                _ => self.refuse(conn, "unknown_participant", "nobody with that id is in the conference", out),
            },
            ClientMessage::MuteAll {} => {
                let seated: Vec<Uuid> =
                    self.members.iter().filter(|m| Self::seated(&m.participant)).map(|m| m.participant.id).collect();
                for id in seated.into_iter().filter(|&id| id != me.id) {
                    self.force_mute(id, out);
                }
            }
            ClientMessage::AllowSpeak { participant_id } => {
                match self.member(participant_id).map(|m| (Self::seated(&m.participant), self.silenced.get(&m.key))) {
                    Some((true, Some(Silence::Locked))) => self.allow_speak(participant_id, out),
                    Some((true, _)) => self.refuse(conn, "out_of_order", "a chair did not mute this person", out),
                    _ => self.refuse(conn, "unknown_participant", "nobody with that id is in the conference", out),
                }
            }
            ClientMessage::Admit { participant_id, unencrypted } => match self.member(participant_id) {
                Some(m) if m.participant.presence == Presence::Lobby => {
                    if m.participant.e2ee_key.is_none() && !unencrypted {
                        self.refuse(
                            conn,
                            "e2ee_required",
                            "this browser cannot encrypt end to end; admit with `unencrypted: true` to let them in anyway",
                            out,
                        );
                    } else if m.participant.kind == InviteKind::Client && self.client_out {
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
            ClientMessage::MediaKeys { keys } => self.relay_keys(conn, &me, keys, out),
            ClientMessage::SendOutClient {} => self.send_out_client(conn, out),
            ClientMessage::BringBackClient {} => self.bring_back_client(conn, out),
            ClientMessage::EndMeeting {} => self.end("ended_by_chair", out),
            ClientMessage::Join { .. } => self.refuse(conn, "out_of_order", "already joined", out),
            ClientMessage::PublishOffer { .. }
            | ClientMessage::SubscribeAnswer { .. }
            | ClientMessage::IceCandidate { .. }
            | ClientMessage::VideoView { .. } => {
                self.refuse(conn, "internal", "media negotiation is not handled by the room", out)
            }
        }
    }

    /// Relays media keys wrapped in a browser to their recipients, each only if that person is
    /// in the conference (not waiting, not the client while he is out, not reconnecting). The
    /// keys are opaque here; a refused message relays nothing.
    fn relay_keys(&self, conn: ConnId, me: &Participant, keys: Vec<WrappedKey>, out: &mut Vec<Effect>) {
        if !self.in_room(me) {
            return self.refuse(conn, "out_of_order", "you are not in the conference", out);
        }
        if keys.len() > MAX_KEY_RECIPIENTS {
            let limit = format!("at most {MAX_KEY_RECIPIENTS} keys in one message");
            return self.refuse(conn, "too_large", &limit, out);
        }
        if !keys.iter().all(WrappedKey::is_well_formed) {
            return self.refuse(conn, "malformed", "a wrapped key is base64url of at most 1024 characters", out);
        }
        for WrappedKey { to, key } in keys {
            match self.member(to) {
                Some(m) if to != me.id && self.in_room(&m.participant) => {
                    out.push(Effect::Send { to, message: ServerMessage::MediaKey { from: me.id, key } })
                }
                _ => tracing::debug!("a media key for someone not in the conference is not relayed"),
            }
        }
    }

    /// Keeps someone out of this conference for good (recorded, so a restarted room remembers).
    pub(super) fn bar(&mut self, key: PrincipalKey, out: &mut Vec<Effect>) {
        self.barred.insert(key);
        out.push(match key {
            PrincipalKey::Invite(invite) => Effect::InviteRemoved { invite },
            PrincipalKey::User(user) => Effect::UserBarred { user },
        });
    }

    /// The participant's own microphone and camera. Someone a chair muted stays muted (and is
    /// told so again); someone allowed to speak is heard again from the moment they unmute.
    fn own_mute(&mut self, id: Uuid, audio: bool, video: bool, out: &mut Vec<Effect>) {
        let Some(key) = self.member(id).map(|m| m.key) else { return };
        let audio = match self.silenced.get(&key) {
            Some(Silence::Locked) => {
                // Told again (the client may have missed it), but only inside the conference.
                if !audio && self.member(id).is_some_and(|m| self.in_room(&m.participant)) {
                    out.push(Effect::Send { to: id, message: ServerMessage::ForceMuted });
                }
                true
            }
            Some(Silence::Allowed) if !audio => {
                self.silenced.remove(&key);
                self.audio_flow(id, true, out);
                false
            }
            _ => audio,
        };
        self.update(id, |p| (p.audio_muted, p.video_muted) = (audio, video), out)
    }

    /// Mutes someone for real: their audio tracks stop being forwarded, now and after any
    /// rejoin, until a chair allows them to speak and they unmute.
    fn force_mute(&mut self, id: Uuid, out: &mut Vec<Effect>) {
        let Some(key) = self.member(id).map(|m| m.key) else { return };
        if self.silenced.insert(key, Silence::Locked).is_none() {
            // `flows` already reads the new lock: stop the audio that was flowing.
            self.audio_flow(id, false, out);
        }
        out.push(Effect::Send { to: id, message: ServerMessage::ForceMuted });
        self.update(id, |p| (p.audio_muted, p.audio_locked) = (true, true), out);
    }

    fn allow_speak(&mut self, id: Uuid, out: &mut Vec<Effect>) {
        let Some(key) = self.member(id).map(|m| m.key) else { return };
        self.silenced.insert(key, Silence::Allowed);
        out.push(Effect::Send { to: id, message: ServerMessage::SpeakAllowed });
        self.update(id, |p| p.audio_locked = false, out);
    }

    /// Starts or stops forwarding `owner`'s audio to everyone in the room with them.
    fn audio_flow(&self, owner: Uuid, on: bool, out: &mut Vec<Effect>) {
        let receivers = self.receivers_of(owner);
        for track in self.tracks.iter().filter(|t| t.owner == owner && t.kind == MediaKind::Audio) {
            for &to in &receivers {
                out.push(if on {
                    Effect::Forward { track: track.id, to }
                } else {
                    Effect::StopForward { track: track.id, to }
                });
            }
        }
    }

    /// A hand up or down; the queue keeps the order hands went up in.
    fn hand(&mut self, id: Uuid, raised: bool, out: &mut Vec<Effect>) {
        let before = self.hands.clone();
        if raised && !self.hands.contains(&id) {
            self.hands.push(id);
        } else if !raised {
            self.hands.retain(|&h| h != id);
        }
        self.update(id, |p| p.hand_raised = raised, out);
        if self.hands != before {
            self.hand_queue_changed(out);
        }
    }

    pub(super) fn hand_queue_changed(&self, out: &mut Vec<Effect>) {
        self.broadcast(ServerMessage::HandQueue { queue: self.hands.clone() }, None, out);
    }

    pub(super) fn update(&mut self, id: Uuid, change: impl FnOnce(&mut Participant), out: &mut Vec<Effect>) {
        let Some(member) = self.member_mut(id) else {
            return;
        };
        change(&mut member.participant);
        let participant = member.participant.clone();
        self.broadcast(ServerMessage::ParticipantUpdated { participant }, None, out);
    }

    /// The client's connections that are in the room proper.
    pub(super) fn clients_in_room(&self) -> Vec<Uuid> {
        self.members
            .iter()
            .filter(|m| m.participant.kind == InviteKind::Client && self.in_room(&m.participant))
            .map(|m| m.participant.id)
            .collect()
    }

    /// Puts a client in the room outside it for the debrief: no media either way.
    pub(super) fn move_out(&mut self, client: Uuid, out: &mut Vec<Effect>) {
        if self.fault_forward_to_sent_out {
            tracing::warn!("test fault: media keeps flowing to the client while he is out");
            self.disconnect_outbound(client, out);
        } else {
            self.disconnect_media(client, out);
        }
        if self.hands.contains(&client) {
            self.hands.retain(|&h| h != client);
            if let Some(member) = self.member_mut(client) {
                member.participant.hand_raised = false;
            }
            self.hand_queue_changed(out);
        }
        if let Some(member) = self.member_mut(client) {
            member.participant.presence = Presence::Out;
        }
        out.push(Effect::Send { to: client, message: ServerMessage::SentOut });
        self.broadcast(ServerMessage::ParticipantLeft { participant_id: client, reason: "sent_out".into() }, None, out);
    }

    /// Lets the client in while the professionals talk among themselves: he waits outside,
    /// receiving and sending nothing, until the chair brings him back.
    pub(super) fn admit_outside(&mut self, client: Uuid, out: &mut Vec<Effect>) {
        let Some(member) = self.member_mut(client) else { return };
        member.participant.presence = Presence::Out;
        let key = member.key;
        self.remember_admission(key, out);
        out.push(Effect::RecordJoin { participant: client });
        out.push(Effect::Send { to: client, message: ServerMessage::SentOut });
        self.lobby_changed(out);
    }

    pub(super) fn send_out_client(&mut self, conn: ConnId, out: &mut Vec<Effect>) {
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

    pub(super) fn bring_back_client(&mut self, conn: ConnId, out: &mut Vec<Effect>) {
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
            if self.fault_forward_to_sent_out {
                // What the fault kept flowing stops first; entering starts it again.
                self.disconnect_inbound(client, out);
            }
            out.push(Effect::Send { to: client, message: ServerMessage::BroughtBack });
            self.enter(client, out);
        }
    }

    pub(super) fn end(&mut self, reason: &str, out: &mut Vec<Effect>) {
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

    /// The node is stopping: every connection closes and every stay is recorded as over, but
    /// the conference is not ended; its participants come back to a new room.
    pub fn stop(&mut self) -> Vec<Effect> {
        let mut out = Vec::new();
        let ids: Vec<Uuid> = self.members.iter().map(|m| m.participant.id).collect();
        out.extend(ids.iter().map(|&participant| Effect::Close { participant }));
        for id in ids {
            self.depart(id, "server_stopping", &mut out);
        }
        self.ended = true;
        out
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
}
