//! What a room records: the facts that must be in the database before anyone hears of them
//! (written and waited for: a chair's actions, and who entered), the rest queued for the writer
//! in order.

use super::RoomActor;
use crate::signalling::persist::Persist;
use crate::signalling::protocol::{ClientMessage, ServerMessage};
use crate::signalling::state::{Effect, PrincipalKey};
use crate::storage::audit::Actor;
use crate::storage::models::AttendanceLine;
use uuid::Uuid;

impl RoomActor {
    pub(super) async fn queue_facts(&mut self) {
        for fact in std::mem::take(&mut self.facts) {
            self.deps.persister.send(fact).await;
        }
    }

    /// The fact an effect must have recorded before anyone hears of it.
    pub(super) fn durable_fact(&self, effect: &Effect) -> Option<Persist> {
        let by = || self.acting.clone().unwrap_or_else(|| Actor::system("conference room"));
        let (meeting, case_id, at) = (self.meeting_id, self.case_id, self.deps.clock.now());
        match *effect {
            Effect::InviteRemoved { invite } => Some(Persist::InviteRemoved { invite, case_id, at, by: by() }),
            Effect::UserBarred { user } => Some(Persist::UserBarred { meeting, user, case_id, at, by: by() }),
            Effect::InviteAdmitted { invite } => Some(Persist::InviteAdmitted { invite, at }),
            Effect::Debrief { active } => Some(Persist::Debrief { meeting, active, case_id, at, by: by() }),
            _ => None,
        }
    }

    pub(super) fn tell_actor_not_recorded(&mut self) {
        let Some(participant) = self.acting_conn.and_then(|conn| self.state.participant_of(conn)).map(|p| p.id) else {
            return;
        };
        let message = ServerMessage::Error {
            code: "not_recorded".into(),
            message: "this could not be recorded; it holds until the conference restarts".into(),
        };
        self.send(participant, message);
    }

    /// The attendance row of a participant who entered, to be written before the batch that
    /// admits them is carried out: whoever is told they are in is in the minutes' attendance,
    /// even when the chair finalises the minutes a moment later. `None` when they are back from
    /// a debrief (still the same stay in the conference).
    pub(super) fn record_join(&mut self, participant: Uuid) -> Option<Persist> {
        if self.attendance.contains_key(&participant) {
            return None;
        }
        let p = self.state.participants().find(|p| p.id == participant).cloned()?;
        let (user, invite) = match self.state.key_of(participant) {
            Some(PrincipalKey::User(id)) => (Some(id), None),
            Some(PrincipalKey::Invite(id)) => (None, Some(id)),
            None => (None, None),
        };
        let row = Uuid::now_v7();
        self.attendance.insert(participant, row);
        let line = AttendanceLine {
            name: p.name,
            organisation: p.organisation,
            role: p.role,
            joined_at: self.deps.clock.now(),
            left_at: None,
        };
        Some(Persist::Join { row, meeting: self.meeting_id, user, invite, line })
    }
}

/// The audit action of a chair's message (and whom it is about); the debrief and removals are
/// recorded with their own effects.
pub(super) fn chair_action(message: &ClientMessage) -> Option<(&'static str, Option<Uuid>)> {
    match message {
        ClientMessage::Admit { participant_id, unencrypted: false } => {
            Some(("conference.admit", Some(*participant_id)))
        }
        // Letting someone in whose browser cannot encrypt makes the conference unencrypted.
        ClientMessage::Admit { participant_id, unencrypted: true } => {
            Some(("conference.admit_unencrypted", Some(*participant_id)))
        }
        ClientMessage::Deny { participant_id } => Some(("conference.deny", Some(*participant_id))),
        ClientMessage::RequestMute { participant_id, .. } => Some(("conference.request_mute", Some(*participant_id))),
        ClientMessage::ForceMute { participant_id } => Some(("conference.force_mute", Some(*participant_id))),
        ClientMessage::MuteAll {} => Some(("conference.mute_all", None)),
        ClientMessage::AllowSpeak { participant_id } => Some(("conference.allow_speak", Some(*participant_id))),
        ClientMessage::LowerHand { participant_id } => Some(("conference.lower_hand", Some(*participant_id))),
        ClientMessage::Remove { participant_id } => Some(("conference.remove", Some(*participant_id))),
        ClientMessage::EndMeeting {} => Some(("conference.end", None)),
        _ => None,
    }
}
