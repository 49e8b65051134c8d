//! Who is where: joining (and rejoining), entering from the lobby, media flowing to and from
//! those in the room, and leaving.

use super::*;

impl RoomState {
    pub(super) fn join(&mut self, joining: Joining, out: &mut Vec<Effect>) {
        if self.barred.contains(&joining.key) {
            out.push(Effect::Refuse { conn: joining.conn, message: ServerMessage::Removed });
            return;
        }
        // The same person again (a reload, a dropped connection): someone who holds a seat in
        // the room takes it again, with the same participant id, so the others keep their tile.
        let previous = self.members.iter().find(|m| m.key == joining.key).map(|m| (m.participant.id, m.conn));
        // Someone who was in encrypted and comes back with a browser that cannot encrypt
        // waits in the lobby: a chair decides again.
        if let Some((previous, conn)) = previous
            && self.member(previous).is_some_and(|m| {
                Self::seated(&m.participant)
                    && (joining.e2ee_key.is_some() || joining.chair || m.participant.e2ee_key.is_none())
            })
        {
            return self.resume(previous, conn, joining, out);
        }
        // Anyone else (waiting, or the client outside): the new connection replaces the old
        // one and they continue where they were.
        let mut was_in = self.admitted_before.contains(&joining.key);
        if let Some((previous, _)) = previous {
            was_in |= self.member(previous).is_some_and(|m| m.participant.presence != Presence::Lobby);
            self.replace(previous, out);
            self.depart(previous, "left", out);
        }
        // Back in without a chair's word only with a browser that encrypts: letting someone in
        // unencrypted is a chair's decision each time (docs/e2ee.md).
        was_in &= joining.e2ee_key.is_some();
        let presence = if joining.kind == InviteKind::Client && self.client_out && was_in {
            Presence::Out
        } else if joining.chair || was_in {
            Presence::Admitted
        } else {
            Presence::Lobby
        };
        let person = *self.persons.entry(joining.key).or_insert_with(Uuid::new_v4);
        let silence = self.silenced.get(&joining.key).copied();
        let participant = Participant {
            id: Uuid::now_v7(),
            person,
            name: joining.name,
            organisation: joining.organisation,
            role: joining.role,
            kind: joining.kind,
            chair: joining.chair,
            presence,
            audio_muted: silence.is_some(),
            video_muted: false,
            hand_raised: false,
            audio_locked: silence == Some(Silence::Locked),
            reconnecting: false,
            e2ee_key: joining.e2ee_key,
        };
        let id = participant.id;
        self.welcome(joining.conn, &participant, out);
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
    pub(super) fn enter(&mut self, id: Uuid, out: &mut Vec<Effect>) {
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
        self.broadcast(ServerMessage::ParticipantJoined { participant }, Some(id), out);
        self.seat(id, out);
    }

    /// What someone entering (or back in their seat) is told, and their media both ways.
    fn seat(&self, id: Uuid, out: &mut Vec<Effect>) {
        // Those reconnecting are listed too (with their flag): they still have a tile.
        let everyone: Vec<Participant> =
            self.members.iter().filter(|m| Self::seated(&m.participant)).map(|m| m.participant.clone()).collect();
        out.push(Effect::Send { to: id, message: ServerMessage::Admitted { participants: everyone } });
        if let Some(speaker) = self.speaker {
            out.push(Effect::Send { to: id, message: ServerMessage::ActiveSpeaker { participant_id: Some(speaker) } });
        }
        if !self.hands.is_empty() {
            out.push(Effect::Send { to: id, message: ServerMessage::HandQueue { queue: self.hands.clone() } });
        }
        self.connect_media(id, out);
        // Chairs always get the lobby as it is now, also when this admission emptied it.
        self.lobby_changed(out);
    }

    /// The old connection of someone who joined again is told why and closed, its media torn
    /// down.
    fn replace(&mut self, previous: Uuid, out: &mut Vec<Effect>) {
        out.push(Effect::Send {
            to: previous,
            message: ServerMessage::Error {
                code: "replaced".into(),
                message: "you joined from another connection".into(),
            },
        });
        out.push(Effect::Close { participant: previous });
    }

    /// Someone with a seat in the room joined again (back after a dropped connection, or a
    /// second connection while the first one is not yet known dead): the new connection takes
    /// the seat — same participant id, presence, chair, hand and mutes — and media is set up
    /// afresh. The others see the "reconnecting" flag go.
    fn resume(&mut self, id: Uuid, old_conn: ConnId, joining: Joining, out: &mut Vec<Effect>) {
        if old_conn != NO_CONN {
            self.replace(id, out);
            self.drop_media(id, out);
        }
        let Some(member) = self.member_mut(id) else { return };
        member.conn = joining.conn;
        let p = &mut member.participant;
        p.reconnecting = false;
        p.name = joining.name;
        p.organisation = joining.organisation;
        p.role = joining.role;
        p.chair = joining.chair;
        // A reloaded page has a new key pair: the others wrap their keys for the new one.
        p.e2ee_key = joining.e2ee_key;
        let participant = p.clone();
        self.welcome(joining.conn, &participant, out);
        self.broadcast(ServerMessage::ParticipantUpdated { participant }, Some(id), out);
        self.seat(id, out);
    }

    /// Binds the connection to the participant and welcomes them (the room fills in the ICE
    /// servers and the relay policy).
    fn welcome(&self, conn: ConnId, participant: &Participant, out: &mut Vec<Effect>) {
        out.push(Effect::Bind { conn, participant: participant.id });
        out.push(Effect::Send {
            to: participant.id,
            message: ServerMessage::Welcome {
                v: crate::signalling::protocol::VERSION,
                you: Box::new(participant.clone()),
                meeting: self.meeting.clone(),
                ice_servers: Vec::new(),
                ice_relay_only: false,
            },
        });
    }

    /// A connection closed or stopped answering. Someone in the room keeps their seat for the
    /// reconnect grace period (the others see "reconnecting"); anyone else leaves.
    pub(super) fn disconnected(&mut self, conn: ConnId, out: &mut Vec<Effect>) {
        let Some(member) = self.members.iter().find(|m| m.conn == conn) else { return };
        let id = member.participant.id;
        if !self.in_room(&member.participant) {
            return self.depart(id, "connection_lost", out);
        }
        self.drop_media(id, out);
        if self.speaker == Some(id) {
            self.speaker = None;
            self.broadcast(ServerMessage::ActiveSpeaker { participant_id: None }, Some(id), out);
        }
        let Some(member) = self.member_mut(id) else { return };
        member.conn = NO_CONN;
        member.participant.reconnecting = true;
        let participant = member.participant.clone();
        self.broadcast(ServerMessage::ParticipantUpdated { participant }, Some(id), out);
        out.push(Effect::HoldSeat { participant: id });
    }

    /// Stops all media to and from a connected participant who stays a member, and tears
    /// their media connections down.
    fn drop_media(&mut self, id: Uuid, out: &mut Vec<Effect>) {
        if self.member(id).is_some_and(|m| self.in_room(&m.participant)) {
            self.disconnect_media(id, out);
        }
        self.tracks.retain(|t| t.owner != id);
        out.push(Effect::DropMedia { participant: id });
    }

    /// Forwarding both ways between `id` and everyone else in the room.
    pub(super) fn connect_media(&self, id: Uuid, out: &mut Vec<Effect>) {
        for track in &self.tracks {
            if track.owner != id
                && self.flows(track)
                && self.member(track.owner).is_some_and(|m| self.in_room(&m.participant))
            {
                out.push(Effect::Forward { track: track.id, to: id });
            }
        }
        for track in self.tracks.iter().filter(|t| t.owner == id && self.flows(t)) {
            for to in self.receivers_of(id) {
                out.push(Effect::Forward { track: track.id, to });
            }
        }
    }

    /// The reverse of [`connect_media`], computed while `id` is still in the room.
    pub(super) fn disconnect_media(&self, id: Uuid, out: &mut Vec<Effect>) {
        self.disconnect_inbound(id, out);
        self.disconnect_outbound(id, out);
    }

    /// Stops the media of everyone else in the room to `id`.
    pub(super) fn disconnect_inbound(&self, id: Uuid, out: &mut Vec<Effect>) {
        for track in &self.tracks {
            if track.owner != id
                && self.flows(track)
                && self.member(track.owner).is_some_and(|m| self.in_room(&m.participant))
            {
                out.push(Effect::StopForward { track: track.id, to: id });
            }
        }
    }

    /// Stops the media of `id` to everyone else in the room.
    pub(super) fn disconnect_outbound(&self, id: Uuid, out: &mut Vec<Effect>) {
        for track in self.tracks.iter().filter(|t| t.owner == id && self.flows(t)) {
            for to in self.receivers_of(id) {
                out.push(Effect::StopForward { track: track.id, to });
            }
        }
    }

    /// Someone leaves: the others are told, media stops, the room ends when it empties.
    pub(super) fn depart(&mut self, id: Uuid, reason: &str, out: &mut Vec<Effect>) {
        let Some(member) = self.member(id) else {
            return;
        };
        let connected = self.in_room(&member.participant);
        let was_in = Self::seated(&member.participant);
        let was_waiting = member.participant.presence == Presence::Lobby;
        let attended = member.participant.presence != Presence::Lobby;
        if connected {
            self.disconnect_media(id, out);
        }
        let had_hand = self.hands.contains(&id);
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
        if had_hand {
            self.hands.retain(|&h| h != id);
            self.hand_queue_changed(out);
        }
        if self.speaker == Some(id) {
            self.speaker = None;
            self.broadcast(ServerMessage::ActiveSpeaker { participant_id: None }, None, out);
        }
    }

    /// Remembers that someone was let in: after a dropped connection they come straight back,
    /// and a guest's invite now opens the minutes.
    pub(super) fn remember_admission(&mut self, key: PrincipalKey, out: &mut Vec<Effect>) {
        if self.admitted_before.insert(key)
            && let PrincipalKey::Invite(invite) = key
        {
            out.push(Effect::InviteAdmitted { invite });
        }
    }
}
