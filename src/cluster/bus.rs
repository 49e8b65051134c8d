//! The events bus of several nodes: what a node publishes reaches its own rooms and
//! connections at once (as with one node) and, over NATS, every other node's. A minutes write
//! through node B thereby reaches the minutes panel of a participant whose room runs on node A.
//!
//! Events leave in the order they were published (one task sends them); each carries the
//! publishing node's id, so a node does not hear its own twice. Core NATS delivers at most
//! once: a node that misses an event (NATS down) misses it as a lagging subscriber does, and
//! the rooms reload what they show when they reconnect.

use super::Node;
use crate::events::{AccessChange, CaseEvent, EventBus, InProcessBus};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

/// What travels between nodes.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope<T> {
    node: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    case_id: Option<Uuid>,
    event: T,
}

#[derive(Debug)]
enum Outbound {
    Case(Uuid, CaseEvent),
    Access(AccessChange),
}

/// The bus: this node's broadcast channels, fed also by the other nodes.
#[derive(Debug)]
pub struct NatsBus {
    local: std::sync::Arc<InProcessBus>,
    out: mpsc::UnboundedSender<Outbound>,
}

impl NatsBus {
    /// Starts sending this node's events and receiving the others'.
    pub async fn start(node: &Node) -> Result<NatsBus, super::ClusterError> {
        let local = std::sync::Arc::new(InProcessBus::default());
        let (out, mut outbox) = mpsc::unbounded_channel::<Outbound>();
        let (case_subject, access_subject) = (node.case_events(), node.access_events());
        let mut cases = node.nats.subscribe(case_subject.clone()).await?;
        let mut access = node.nats.subscribe(access_subject.clone()).await?;
        let (nats, me) = (node.nats.clone(), node.id.clone());
        tokio::spawn(async move {
            while let Some(outbound) = outbox.recv().await {
                let (subject, payload) = match outbound {
                    Outbound::Case(case_id, event) => {
                        let envelope = Envelope { node: me.clone(), case_id: Some(case_id), event };
                        (case_subject.clone(), serde_json::to_vec(&envelope))
                    }
                    Outbound::Access(change) => {
                        let envelope = Envelope { node: me.clone(), case_id: None, event: change };
                        (access_subject.clone(), serde_json::to_vec(&envelope))
                    }
                };
                let payload = payload.expect("events serialise");
                if let Err(e) = nats.publish(subject, payload.into()).await {
                    tracing::warn!(error = %e, "an event did not reach the other nodes");
                }
            }
        });
        let (into, me) = (local.clone(), node.id.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    Some(message) = cases.next() => match serde_json::from_slice::<Envelope<CaseEvent>>(&message.payload) {
                        Ok(Envelope { node, case_id: Some(case_id), event }) if node != me => into.publish(case_id, event),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "an unreadable case event from another node"),
                    },
                    Some(message) = access.next() => match serde_json::from_slice::<Envelope<AccessChange>>(&message.payload) {
                        Ok(Envelope { node, event, .. }) if node != me => into.access_changed(event),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "an unreadable access change from another node"),
                    },
                    else => break,
                }
            }
        });
        Ok(NatsBus { local, out })
    }
}

impl EventBus for NatsBus {
    fn publish(&self, case_id: Uuid, event: CaseEvent) {
        self.local.publish(case_id, event.clone());
        let _ = self.out.send(Outbound::Case(case_id, event));
    }

    fn subscribe(&self) -> broadcast::Receiver<(Uuid, CaseEvent)> {
        self.local.subscribe()
    }

    fn access_changed(&self, change: AccessChange) {
        self.local.access_changed(change);
        let _ = self.out.send(Outbound::Access(change));
    }

    fn subscribe_access(&self) -> broadcast::Receiver<AccessChange> {
        self.local.subscribe_access()
    }
}
