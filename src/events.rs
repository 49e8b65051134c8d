//! Things that happened to a case's data through the API, for everyone in a conference of that
//! case to see at once (the live minutes panel). The REST handlers publish; the signalling rooms
//! subscribe and forward to their participants.

use crate::domain::LifeDomain;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
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
    /// The client's plain-language purpose of a conference was written.
    ClientPurposeChanged { meeting_id: Uuid },
}

/// A change of who may be where. Long-lived connections (the conference room) hear it and
/// check again whether their caller may still be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", content = "id", rename_all = "snake_case")]
pub enum AccessChange {
    /// A session ended (logout).
    Session(Uuid),
    /// An account changed (deactivated, password reset or changed, role or organisation).
    User(Uuid),
    /// A case's need-to-know list changed.
    Case(Uuid),
}

/// Where case events and access changes travel. This node's rooms and connections subscribe
/// here; an implementation for several nodes forwards what is published to the other nodes and
/// feeds what they publish into its local subscriptions (the interface does not change).
pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Announces a change to the data of case `case_id`. Nobody listening is fine.
    fn publish(&self, case_id: Uuid, event: CaseEvent);
    /// Every change from now on, for all cases. A subscriber that lags loses the oldest events
    /// and is told so (`RecvError::Lagged`); it reloads instead of slowing down writers.
    fn subscribe(&self) -> broadcast::Receiver<(Uuid, CaseEvent)>;
    /// Announces a change of who may be where.
    fn access_changed(&self, change: AccessChange);
    /// Every change of access from now on.
    fn subscribe_access(&self) -> broadcast::Receiver<AccessChange>;
}

/// The bus of one node: two broadcast channels in this process.
#[derive(Debug)]
pub struct InProcessBus {
    cases: broadcast::Sender<(Uuid, CaseEvent)>,
    access: broadcast::Sender<AccessChange>,
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self { cases: broadcast::channel(1024).0, access: broadcast::channel(256).0 }
    }
}

impl EventBus for InProcessBus {
    fn publish(&self, case_id: Uuid, event: CaseEvent) {
        let _ = self.cases.send((case_id, event));
    }

    fn subscribe(&self) -> broadcast::Receiver<(Uuid, CaseEvent)> {
        self.cases.subscribe()
    }

    fn access_changed(&self, change: AccessChange) {
        let _ = self.access.send(change);
    }

    fn subscribe_access(&self) -> broadcast::Receiver<AccessChange> {
        self.access.subscribe()
    }
}

/// The service's handle on its bus, cheap to clone.
#[derive(Debug, Clone)]
pub struct Events(Arc<dyn EventBus>);

impl Default for Events {
    /// The embedded default: one node, one process.
    fn default() -> Self {
        Events::on(InProcessBus::default())
    }
}

impl Events {
    /// A handle on `bus`.
    pub fn on(bus: impl EventBus + 'static) -> Self {
        Events(Arc::new(bus))
    }
}

impl std::ops::Deref for Events {
    type Target = dyn EventBus;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
