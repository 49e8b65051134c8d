//! The conferences running on this node, by meeting. A room is created by its first join and
//! removes itself when it ends; the next join starts a fresh one.
//!
//! Which node hosts a conference is asked of a [`Routing`] first. With one node (the embedded
//! default) that is always this one ([`OneNode`]); with several, an implementation backed by
//! the database (a lease per conference) answers, and a join for a conference hosted elsewhere
//! is handed to that node instead of starting a second room here.

use super::protocol::{ClientMessage, MeetingInfo, Refusal};
use super::room::{Command, Joined, Outgoing, RoomActor, RoomDeps};
use super::state::{ConnId, Joining};
use crate::sfu::ClientSignal;
use crate::storage::Store;
use crate::storage::meetings::RoomMemory;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

struct Entry {
    instance: u64,
    commands: mpsc::UnboundedSender<Command>,
}

/// Where a conference runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// On this node: join its room here.
    Here,
    /// On another node, known by its id: that node runs the room, and a connection that wants
    /// in is relayed there.
    Elsewhere(String),
    /// Cannot be told now (the database or the node holding the conference does not answer):
    /// try again in a moment.
    Unknown,
}

/// Which node hosts which conference.
pub trait Routing: Send + Sync + std::fmt::Debug {
    /// The node that hosts conference `meeting`; when none does, this node takes it (and
    /// answers [`Host::Here`]).
    fn host(&self, meeting: Uuid) -> BoxFuture<'_, Host>;
    /// The room of `meeting` starts here (after [`Routing::host`] said [`Host::Here`]); `stop`
    /// is cancelled if this node loses the conference, and the room then closes its
    /// connections so that its participants reconnect to the new host.
    fn hosting(&self, meeting: Uuid, stop: CancellationToken);
    /// The room of `meeting` ended here: another node may take it at once.
    fn ended(&self, meeting: Uuid);
    /// The other node that hosts `meeting` now, if one does (never takes it).
    fn holder(&self, meeting: Uuid) -> BoxFuture<'_, Option<String>>;
}

/// The embedded default: this node hosts every conference.
#[derive(Debug, Default)]
pub struct OneNode;

impl Routing for OneNode {
    fn host(&self, _meeting: Uuid) -> BoxFuture<'_, Host> {
        Box::pin(std::future::ready(Host::Here))
    }

    fn hosting(&self, _meeting: Uuid, _stop: CancellationToken) {}

    fn ended(&self, _meeting: Uuid) {}

    fn holder(&self, _meeting: Uuid) -> BoxFuture<'_, Option<String>> {
        Box::pin(std::future::ready(None))
    }
}

/// The registry of rooms. Its lock is taken only to find or create a room at join time.
#[derive(Clone)]
pub struct Rooms {
    rooms: Arc<Mutex<HashMap<Uuid, Entry>>>,
    deps: RoomDeps,
    store: Store,
    counter: Arc<AtomicU64>,
    /// Every room's task, so shutdown can wait for them.
    tasks: TaskTracker,
    routing: Arc<dyn Routing>,
}

impl std::fmt::Debug for Rooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rooms").field("active", &self.active()).finish()
    }
}

/// A joined connection's line to its room.
#[derive(Debug, Clone)]
pub struct RoomLink {
    commands: mpsc::UnboundedSender<Command>,
    conn: ConnId,
}

impl RoomLink {
    /// Passes a room-level message on.
    pub fn message(&self, message: ClientMessage) {
        let _ = self.commands.send(Command::Message { conn: self.conn, message });
    }

    /// Tells the room this connection is gone.
    pub fn disconnected(&self) {
        let _ = self.commands.send(Command::Disconnected { conn: self.conn });
    }
}

impl Rooms {
    pub(crate) fn new(deps: RoomDeps, store: Store, routing: Arc<dyn Routing>) -> Self {
        Rooms {
            routing,
            rooms: Arc::new(Mutex::new(HashMap::new())),
            deps,
            store,
            counter: Arc::new(AtomicU64::new(1)),
            tasks: TaskTracker::new(),
        }
    }

    /// Stops taking new conferences (SIGTERM): the running ones go on until they end. A join for
    /// a conference that does not run here is refused with `draining`; the browser tries again,
    /// and a load balancer that reads `/readyz` sends it to another node.
    pub fn drain(&self) {
        if !self.deps.draining.swap(true, Ordering::SeqCst) {
            tracing::info!(conferences = self.active(), "draining: no new conferences on this node");
        }
    }

    pub fn is_draining(&self) -> bool {
        self.deps.draining.load(Ordering::SeqCst)
    }

    /// Waits until no conference runs here any more, or `limit` passed; true when none runs.
    pub async fn drained(&self, limit: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while self.active() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        true
    }

    /// A fresh connection id.
    pub fn next_conn(&self) -> ConnId {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// Waits until every room has closed its connections and queued what it must record, after
    /// the rooms' stop token was cancelled (or `limit` passed).
    pub async fn stopped(&self, limit: std::time::Duration) {
        self.tasks.close();
        if tokio::time::timeout(limit, self.tasks.wait()).await.is_err() {
            tracing::warn!(rooms = self.tasks.len(), "rooms still running at shutdown");
        }
    }

    /// How many conferences run now.
    pub fn active(&self) -> usize {
        self.rooms.lock().expect("the rooms lock is never held across a panic").len()
    }

    fn running(&self, meeting: Uuid) -> Option<mpsc::UnboundedSender<Command>> {
        let rooms = self.rooms.lock().expect("the rooms lock is never held across a panic");
        rooms.get(&meeting).filter(|e| !e.commands.is_closed()).map(|e| e.commands.clone())
    }

    fn commands_for(&self, meeting: &MeetingInfo, memory: RoomMemory, case_id: Uuid) -> mpsc::UnboundedSender<Command> {
        let mut rooms = self.rooms.lock().expect("the rooms lock is never held across a panic");
        if let Some(entry) = rooms.get(&meeting.id).filter(|e| !e.commands.is_closed()) {
            return entry.commands.clone();
        }
        let (commands, inbox) = mpsc::unbounded_channel();
        let instance = self.counter.fetch_add(1, Ordering::Relaxed);
        rooms.insert(meeting.id, Entry { instance, commands: commands.clone() });
        // The room stops when the node stops, or when this node loses the conference.
        let mut deps = self.deps.clone();
        deps.stop = self.deps.stop.child_token();
        self.routing.hosting(meeting.id, deps.stop.clone());
        let (actor, media) = RoomActor::new(meeting.clone(), memory, case_id, deps);
        let registry = self.rooms.clone();
        let routing = self.routing.clone();
        let meeting_id = meeting.id;
        self.tasks.spawn(async move {
            actor.run(inbox, media).await;
            let mut rooms = registry.lock().expect("the rooms lock is never held across a panic");
            if rooms.get(&meeting_id).is_some_and(|e| e.instance == instance) {
                rooms.remove(&meeting_id);
                routing.ended(meeting_id);
            }
        });
        commands
    }

    /// Who hosts conference `meeting`: this node when its room runs here; otherwise the
    /// routing answers (and may take it for this node).
    pub async fn host(&self, meeting: Uuid) -> Host {
        if self.running(meeting).is_some() {
            return Host::Here;
        }
        self.routing.host(meeting).await
    }

    /// The other node that hosts `meeting`, if its room runs elsewhere.
    pub async fn holder(&self, meeting: Uuid) -> Option<String> {
        if self.running(meeting).is_some() {
            return None;
        }
        self.routing.holder(meeting).await
    }

    /// Where everyone connected to a conference is now (lobby, in the room, sent out), by
    /// account or invite; empty when its room does not run on this node.
    pub async fn presence(&self, meeting: Uuid) -> Vec<(super::state::PrincipalKey, super::protocol::Presence)> {
        let Some(commands) = self.running(meeting) else {
            return Vec::new();
        };
        let (reply, answer) = oneshot::channel();
        if commands.send(Command::InvitePresence { reply }).is_err() {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }

    /// Joins a conference (starting its room if needed). `None` when the room refused; the
    /// refusal was sent on `outgoing`.
    pub async fn join(
        &self,
        meeting: &MeetingInfo,
        case_id: Uuid,
        joining: Joining,
        outgoing: mpsc::Sender<Outgoing>,
        signals: mpsc::UnboundedSender<ClientSignal>,
    ) -> Option<(Joined, RoomLink)> {
        let conn = joining.conn;
        // A running room is this node's (its lease is renewed, or the room stops); otherwise
        // ask who hosts the conference, taking it when nobody does. A connection is relayed to
        // the host before it joins (`ws::route`); one that joins a second conference on the
        // same connection, hosted elsewhere, is asked to reconnect.
        let commands = match self.running(meeting.id) {
            Some(commands) => commands,
            None if self.is_draining() => {
                tracing::info!(meeting = %meeting.id, "a new conference refused while draining");
                refuse(&outgoing, Refusal::new("draining", "this node is stopping; try again in a moment"));
                return None;
            }
            None => {
                match self.routing.host(meeting.id).await {
                    Host::Here => {}
                    Host::Elsewhere(node) => {
                        tracing::info!(meeting = %meeting.id, node, "a join on a connection for a conference hosted elsewhere");
                        refuse(&outgoing, Refusal::new("elsewhere", "this conference runs on another node; reconnect"));
                        return None;
                    }
                    Host::Unknown => {
                        refuse(&outgoing, Refusal::unavailable());
                        return None;
                    }
                }
                // A new room starts from what the conference remembers (debrief, removals).
                let memory = match self.store.room_memory(meeting.id).await {
                    Ok(memory) => memory,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot load what a conference remembers");
                        return None;
                    }
                };
                self.commands_for(meeting, memory, case_id)
            }
        };
        let (reply, answer) = oneshot::channel();
        commands.send(Command::Join { joining, outgoing, signals, reply }).ok()?;
        let joined = answer.await.ok().flatten()?;
        Some((joined, RoomLink { commands, conn }))
    }
}

/// Tells a connection the node will not take its join, and closes it.
fn refuse(outgoing: &mpsc::Sender<Outgoing>, refusal: Refusal) {
    let _ = outgoing.try_send(Outgoing::Message(refusal.to_message()));
    let _ = outgoing.try_send(Outgoing::Close);
}
