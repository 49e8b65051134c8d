//! A conference's task: it owns the [`RoomState`] and carries out its effects — messages to
//! connections, media forwarding through the SFU, and the facts the database must keep. One
//! event at a time; media packets never pass through here.

mod record;

use record::chair_action;

use super::ice::IceConfig;
use super::persist::{Persist, Persister};
use super::protocol::{MeetingInfo, ServerMessage};
use super::state::{ConnId, Effect, Input, Joining, PrincipalKey, RoomState, TrackId};
use crate::clock::SharedClock;
use crate::events::{CaseEvent, Events};
use crate::sfu::{ClientSignal, MediaEvent, Peer, Sfu};
use crate::signalling::protocol::MediaKind;
use crate::storage::audit::{Actor, NewAudit};
use crate::storage::meetings::RoomMemory;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// What a connection's writer is asked to do.
#[derive(Debug)]
pub enum Outgoing {
    Message(ServerMessage),
    Close,
}

/// A participant's way into the room, as the connection keeps it.
#[derive(Debug, Clone)]
pub struct Joined {
    pub participant: Uuid,
    pub peer: Peer,
}

pub(crate) enum Command {
    Join {
        joining: Joining,
        outgoing: mpsc::Sender<Outgoing>,
        signals: mpsc::UnboundedSender<ClientSignal>,
        reply: oneshot::Sender<Option<Joined>>,
    },
    Message {
        conn: ConnId,
        message: super::protocol::ClientMessage,
    },
    Disconnected {
        conn: ConnId,
    },
    /// Where everyone connected is now (lobby, in the room, sent out), for the chair's list of
    /// invites.
    InvitePresence {
        reply: oneshot::Sender<Vec<(PrincipalKey, super::protocol::Presence)>>,
    },
}

/// What a room needs from the service.
#[derive(Clone)]
pub(crate) struct RoomDeps {
    pub sfu: Sfu,
    pub ice: Arc<IceConfig>,
    pub clock: SharedClock,
    pub persister: Persister,
    pub events: Events,
    /// How long an empty conference waits before it ends.
    pub grace: Duration,
    /// How long someone whose connection dropped keeps their seat (shown as reconnecting)
    /// before they are taken to have left.
    pub seat_grace: Duration,
    /// Cancelled when the node stops: every room closes its connections and ends.
    pub stop: CancellationToken,
    /// Test fault: media keeps flowing to the client while he is sent out (docs/e2ee.md).
    pub fault_forward_to_sent_out: bool,
    /// The node drains (SIGTERM): an empty room ends without waiting for its grace period.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// The node's metrics (connected participants).
    pub metrics: Arc<crate::metrics::Metrics>,
}

struct Connection {
    outgoing: mpsc::Sender<Outgoing>,
    signals: mpsc::UnboundedSender<ClientSignal>,
    reply: Option<oneshot::Sender<Option<Joined>>>,
    key: PrincipalKey,
}

pub(crate) struct RoomActor {
    state: RoomState,
    meeting_id: Uuid,
    case_id: Uuid,
    deps: RoomDeps,
    connections: HashMap<ConnId, Connection>,
    bound: HashMap<Uuid, ConnId>,
    peers: HashMap<Uuid, Peer>,
    /// The published tracks of this room: whose and which kind. The media engine holds the
    /// tracks themselves; the room names them by id.
    tracks: HashMap<TrackId, (Uuid, MediaKind)>,
    attendance: HashMap<Uuid, Uuid>,
    media_tx: mpsc::UnboundedSender<MediaEvent>,
    empty_since: Option<Instant>,
    /// Seats held for participants whose connection dropped, until when.
    seats: HashMap<Uuid, Instant>,
    /// Who sent the message being handled, for the audit trail of what it causes.
    acting: Option<Actor>,
    /// The connection of that message, told if what it did could not be recorded.
    acting_conn: Option<ConnId>,
    /// Facts to queue for the writer once the effects at hand are carried out.
    facts: Vec<Persist>,
    /// Inputs that carrying out effects gave rise to (a connection found dead).
    follow_ups: Vec<Input>,
}

/// How often audio levels are sampled for the active speaker.
const LEVEL_INTERVAL: Duration = Duration::from_millis(300);

impl RoomActor {
    pub fn new(
        meeting: MeetingInfo,
        memory: RoomMemory,
        case_id: Uuid,
        deps: RoomDeps,
    ) -> (Self, mpsc::UnboundedReceiver<MediaEvent>) {
        let (media_tx, media_rx) = mpsc::unbounded_channel();
        let actor = RoomActor {
            meeting_id: meeting.id,
            state: RoomState::new(meeting, memory).with_fault_forward_to_sent_out(deps.fault_forward_to_sent_out),
            case_id,
            deps,
            connections: HashMap::new(),
            bound: HashMap::new(),
            peers: HashMap::new(),
            tracks: HashMap::new(),
            attendance: HashMap::new(),
            media_tx,
            empty_since: Some(Instant::now()),
            seats: HashMap::new(),
            acting: None,
            acting_conn: None,
            facts: Vec::new(),
            follow_ups: Vec::new(),
        };
        (actor, media_rx)
    }

    /// Runs until the conference ends or the node stops.
    pub async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut media: mpsc::UnboundedReceiver<MediaEvent>,
    ) {
        let mut case_events = self.deps.events.subscribe();
        let mut ticker = tokio::time::interval(LEVEL_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stop = self.deps.stop.clone();
        while !self.state.is_ended() {
            tokio::select! {
                () = stop.cancelled() => {
                    let effects = self.state.stop();
                    self.execute(effects).await;
                }
                command = commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    None => break,
                },
                Some(event) = media.recv() => self.media(event).await,
                event = case_events.recv() => match event {
                    Ok((case_id, event)) if case_id == self.case_id => self.apply(Input::Case(event)).await,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a room missed case events; telling participants to reload");
                        self.apply(Input::Case(CaseEvent::ActionChanged { action_id: Uuid::nil() })).await;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                now = ticker.tick() => self.tick(now).await,
            }
        }
        // What the room still has to record goes to the writer before the room is gone.
        self.queue_facts().await;
        for (_, peer) in self.peers.drain() {
            peer.close().await;
        }
        self.deps.metrics.participants.dec_by(self.bound.len() as i64);
        self.bound.clear();
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Join { joining, outgoing, signals, reply } => {
                let conn = joining.conn;
                self.connections.insert(conn, Connection { outgoing, signals, reply: Some(reply), key: joining.key });
                self.apply(Input::Join(joining)).await;
                // Refused joins are answered (and forgotten) by their effects.
                if let Some(connection) = self.connections.get_mut(&conn)
                    && let Some(reply) = connection.reply.take()
                {
                    let _ = reply.send(None);
                }
            }
            Command::Message { conn, message } => {
                let key = self.connections.get(&conn).map(|c| c.key);
                self.acting = self.state.participant_of(conn).map(|p| Actor {
                    kind: if matches!(key, Some(PrincipalKey::Invite(_))) { "invite" } else { "user" },
                    id: key.map(|(PrincipalKey::User(id) | PrincipalKey::Invite(id))| id),
                    label: format!("{} ({})", p.name, p.organisation.as_deref().unwrap_or("—")),
                });
                self.acting_conn = Some(conn);
                // Whom it is about, named before the message may make them leave.
                let audited = chair_action(&message).map(|(action, target)| {
                    let name =
                        target.and_then(|id| self.state.participants().find(|p| p.id == id).map(|p| p.name.clone()));
                    (action, name)
                });
                let effects = self.state.handle(Input::Message { conn, message });
                if let (Some((action, target)), Some(actor)) = (audited, self.acting.clone()) {
                    let refused =
                        effects.iter().any(|e| matches!(e, Effect::Send { message: ServerMessage::Error { .. }, .. }));
                    if !refused {
                        self.facts.push(Persist::Audit(NewAudit {
                            at: self.deps.clock.now(),
                            actor,
                            action,
                            case_id: Some(self.case_id),
                            subject: Some(("meeting", self.meeting_id)),
                            detail: target,
                        }));
                    }
                }
                self.execute(effects).await;
                self.acting = None;
                self.acting_conn = None;
            }
            Command::Disconnected { conn } => {
                self.apply(Input::Disconnected { conn }).await;
                self.connections.remove(&conn);
            }
            Command::InvitePresence { reply } => {
                let _ = reply.send(self.state.presence());
            }
        }
    }

    async fn media(&mut self, event: MediaEvent) {
        match event {
            MediaEvent::Published { owner, track, kind } => {
                if !self.peers.contains_key(&owner) {
                    return; // Its publisher left before the first packet arrived.
                }
                self.tracks.insert(track, (owner, kind));
                self.apply(Input::TrackPublished { owner, track, kind }).await;
            }
            MediaEvent::Ended { track, .. } => {
                if self.tracks.remove(&track).is_some() {
                    self.apply(Input::TrackEnded { track }).await;
                }
            }
        }
    }

    async fn tick(&mut self, now: Instant) {
        let mut levels: HashMap<Uuid, u8> = HashMap::new();
        for (&track, &(owner, _)) in self.tracks.iter().filter(|(_, (_, kind))| *kind == MediaKind::Audio) {
            let level = self.deps.sfu.take_level(track);
            let entry = levels.entry(owner).or_insert(0);
            *entry = (*entry).max(level);
        }
        if !levels.is_empty() {
            self.apply(Input::AudioLevels(levels.into_iter().collect())).await;
        }
        let expired: Vec<Uuid> = self.seats.iter().filter(|(_, until)| now >= **until).map(|(id, _)| *id).collect();
        for participant in expired {
            self.seats.remove(&participant);
            self.apply(Input::SeatExpired { participant }).await;
        }
        match (self.state.is_empty(), self.empty_since) {
            (false, _) => self.empty_since = None,
            (true, None) => self.empty_since = Some(now),
            (true, Some(since)) if now.saturating_duration_since(since) >= self.grace() => {
                let effects = self.state.end_if_abandoned();
                self.execute(effects).await;
            }
            (true, Some(_)) => {}
        }
    }

    /// How long an empty room waits for someone to come back: not at all while the node drains.
    fn grace(&self) -> Duration {
        if self.deps.draining.load(std::sync::atomic::Ordering::SeqCst) { Duration::ZERO } else { self.deps.grace }
    }

    async fn apply(&mut self, input: Input) {
        let effects = self.state.handle(input);
        self.execute(effects).await;
    }

    /// Carries out effects. What a chair is told has happened (a removal, an admission, the
    /// client sent out or back) and who entered are in the database before anyone is told;
    /// everything else is queued for the writer in order.
    async fn execute(&mut self, effects: Vec<Effect>) {
        let mut batches = VecDeque::from([effects]);
        while let Some(effects) = batches.pop_front() {
            for effect in &effects {
                let fact = match *effect {
                    Effect::RecordJoin { participant } => self.record_join(participant),
                    _ => self.durable_fact(effect),
                };
                if let Some(fact) = fact
                    && let Err(e) = self.deps.persister.durable(fact).await
                {
                    tracing::error!(error = %e, meeting = %self.meeting_id, "a conference event that is recorded before anyone hears of it could not be recorded");
                    self.tell_actor_not_recorded();
                }
            }
            for effect in effects {
                self.carry_out(effect);
            }
            for input in std::mem::take(&mut self.follow_ups) {
                batches.push_back(self.state.handle(input));
            }
        }
        self.queue_facts().await;
    }

    fn send(&mut self, participant: Uuid, message: ServerMessage) {
        let Some(&conn) = self.bound.get(&participant) else {
            return;
        };
        let Some(connection) = self.connections.get(&conn) else {
            return;
        };
        let message = match message {
            ServerMessage::Welcome { v, you, meeting, .. } => {
                let ice_servers = self.deps.ice.servers_for(&you.id.to_string(), self.deps.clock.now());
                let ice_relay_only = self.deps.ice.relay_only;
                ServerMessage::Welcome { v, you, meeting, ice_servers, ice_relay_only }
            }
            other => other,
        };
        match connection.outgoing.try_send(Outgoing::Message(message)) {
            Ok(()) => {}
            // A connection that does not read its messages is as good as gone.
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::info!(%participant, "closing a connection that does not keep up");
                let _ = connection.outgoing.try_send(Outgoing::Close);
                self.follow_ups.push(Input::Disconnected { conn });
            }
            // Already closed by its own side: what it sent last (a `leave`) and then its
            // `Disconnected` are on their way in order. Taking it for dropped here would hold
            // the seat of someone who left.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    fn carry_out(&mut self, effect: Effect) {
        match effect {
            Effect::Send { to, message } => self.send(to, message),
            Effect::Refuse { conn, message } => {
                if let Some(connection) = self.connections.remove(&conn) {
                    let _ = connection.outgoing.try_send(Outgoing::Message(message));
                    let _ = connection.outgoing.try_send(Outgoing::Close);
                    if let Some(reply) = connection.reply {
                        let _ = reply.send(None);
                    }
                }
            }
            Effect::Bind { conn, participant } => self.bind(conn, participant),
            Effect::Close { participant } => {
                if let Some(connection) = self.bound.get(&participant).and_then(|c| self.connections.get(c)) {
                    let _ = connection.outgoing.try_send(Outgoing::Close);
                }
            }
            Effect::Forward { track, to } => {
                if let (true, Some(peer)) = (self.tracks.contains_key(&track), self.peers.get(&to)) {
                    peer.forward(track);
                }
            }
            Effect::StopForward { track, to } => {
                if let Some(peer) = self.peers.get(&to) {
                    peer.stop_forward(track);
                }
            }
            Effect::DropMedia { participant } => {
                self.tracks.retain(|_, (owner, _)| *owner != participant);
                if let Some(peer) = self.peers.remove(&participant) {
                    tokio::spawn(async move { peer.close().await });
                }
                if let Some(conn) = self.bound.remove(&participant) {
                    self.deps.metrics.participants.dec();
                    self.connections.remove(&conn);
                }
            }
            Effect::HoldSeat { participant } => {
                self.seats.insert(participant, Instant::now() + self.deps.seat_grace);
            }
            Effect::RecordLeave { participant } => {
                if let Some(row) = self.attendance.remove(&participant) {
                    self.facts.push(Persist::Leave { row, at: self.deps.clock.now() });
                }
            }
            // Written before this batch was carried out (`durable_fact`, `record_join`).
            Effect::InviteRemoved { .. }
            | Effect::UserBarred { .. }
            | Effect::InviteAdmitted { .. }
            | Effect::Debrief { .. }
            | Effect::RecordJoin { .. } => {}
            Effect::MeetingLive => {
                self.facts.push(Persist::Live { meeting: self.meeting_id, at: self.deps.clock.now() })
            }
            Effect::MeetingEnded => {
                self.facts.push(Persist::Ended { meeting: self.meeting_id, at: self.deps.clock.now() })
            }
        }
    }

    fn bind(&mut self, conn: ConnId, participant: Uuid) {
        let Some(connection) = self.connections.get_mut(&conn) else {
            return;
        };
        let peer = self.deps.sfu.peer(self.meeting_id, participant, connection.signals.clone(), self.media_tx.clone());
        if self.bound.insert(participant, conn).is_none() {
            self.deps.metrics.participants.inc();
        }
        self.peers.insert(participant, peer.clone());
        if let Some(reply) = connection.reply.take() {
            let _ = reply.send(Some(Joined { participant, peer }));
        }
    }
}

#[cfg(test)]
mod tests;
