//! Things that happened to a case's data through the API, for everyone in a conference of that
//! case to see at once (the live minutes panel). The REST handlers publish; the signalling rooms
//! subscribe and forward to their participants.

use crate::domain::LifeDomain;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

/// A change to a case's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum CaseEvent {
    /// A domain's minutes of a conference were written.
    DomainWritten { meeting_id: Uuid, domain: LifeDomain, revision: i64 },
    /// An action of the case was added or changed.
    ActionChanged { action_id: Uuid },
    /// A conference's minutes were finalised; the conference is closed.
    Finalised { meeting_id: Uuid },
    /// An invite was revoked; its holder must leave the conference.
    InviteRevoked { meeting_id: Uuid, invite_id: Uuid },
}

/// A change of who may be where. Long-lived connections (the conference room) hear it and
/// check again whether their caller may still be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessChange {
    /// A session ended (logout).
    Session(Uuid),
    /// An account changed (deactivated, password reset or changed, role or organisation).
    User(Uuid),
    /// A case's need-to-know list changed.
    Case(Uuid),
}

/// The bus, cheap to clone. Slow subscribers lose old events rather than slow down writers;
/// a room that lags simply tells its participants to reload the minutes.
#[derive(Debug, Clone)]
pub struct Events {
    sender: broadcast::Sender<(Uuid, CaseEvent)>,
    access: broadcast::Sender<AccessChange>,
}

impl Default for Events {
    fn default() -> Self {
        Self { sender: broadcast::channel(1024).0, access: broadcast::channel(256).0 }
    }
}

impl Events {
    /// Announces a change to the data of case `case_id`. Nobody listening is fine.
    pub fn publish(&self, case_id: Uuid, event: CaseEvent) {
        let _ = self.sender.send((case_id, event));
    }

    /// The sending side, for whoever subscribes later (the rooms).
    pub fn sender(&self) -> broadcast::Sender<(Uuid, CaseEvent)> {
        self.sender.clone()
    }

    /// Every change from now on, for all cases.
    pub fn subscribe(&self) -> broadcast::Receiver<(Uuid, CaseEvent)> {
        self.sender.subscribe()
    }

    /// Announces a change of who may be where.
    pub fn access_changed(&self, change: AccessChange) {
        let _ = self.access.send(change);
    }

    /// Every change of access from now on.
    pub fn subscribe_access(&self) -> broadcast::Receiver<AccessChange> {
        self.access.subscribe()
    }
}
