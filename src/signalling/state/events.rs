//! What the room does with changes to its case's data and with audio levels.

use super::*;

/// Audio level (RFC 6464 inverted: higher is louder) below which nobody is speaking.
const SPEAKING_LEVEL: u8 = 40;
/// Level reports a new speaker must lead before being announced (no flapping).
const SPEAKER_HOLD: u8 = 2;

impl RoomState {
    pub(super) fn case_event(&mut self, event: CaseEvent, out: &mut Vec<Effect>) {
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
    pub(super) fn notify_professionals(&self, event: &CaseEvent, out: &mut Vec<Effect>) {
        for m in self.members.iter().filter(|m| self.in_room(&m.participant)) {
            let message = match m.participant.kind {
                InviteKind::Client => ServerMessage::PlanChanged,
                _ => ServerMessage::MinutesChanged { event: event.clone() },
            };
            out.push(Effect::Send { to: m.participant.id, message });
        }
    }

    pub(super) fn levels(&mut self, levels: Vec<(Uuid, u8)>, out: &mut Vec<Effect>) {
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
