//! One participant's media on the owned loop: the same [`Peer`] commands and signals as the
//! engine's media task (`sfu::peer`), carried out on the loop's connections. The room cannot
//! tell the two apart.
//!
//! The loop is an ICE Lite agent on one port whose address is in every description it makes,
//! so the browser's trickled candidates are not needed (it learns the browser's address from
//! its checks) and none are trickled back.
//!
//! Which layer of each video the participant gets is shared out here exactly as in the
//! engine's task (`allocate::Share`: the tiles, the estimate from the subscribe connection's
//! feedback, the climb back); the loop carries the targets out at the next keyframe.

use super::{Carried, ConnId, Owner, Shard, ShardEvent};
use crate::media::{Candidate, Pc, TrackId};
use crate::sfu::SfuError;
use crate::sfu::allocate::{INTERVAL, Share};
use crate::sfu::engine::Engine;
use crate::sfu::peer::{ClientSignal, Command, MediaEvent, Peer};
use crate::sfu::publish::{TrackState, VideoSlot};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use uuid::Uuid;

impl Peer {
    /// Starts the media task of `participant` on `shard`.
    pub(crate) fn on_loop(
        engine: Arc<Engine>,
        shard: Shard,
        participant: Uuid,
        client: mpsc::UnboundedSender<ClientSignal>,
        room: mpsc::UnboundedSender<MediaEvent>,
    ) -> Peer {
        let (commands, inbox) = mpsc::unbounded_channel();
        let (events, shard_events) = mpsc::unbounded_channel();
        let owner = Owner::new(participant);
        let heard = owner.heard.clone();
        let task = LoopPeer {
            engine,
            shard,
            owner,
            client,
            room,
            events,
            publish: None,
            subscribe: None,
            in_flight: false,
            dirty: false,
            offer_wanted: false,
            carried: HashMap::new(),
            share: Share::new(participant, Instant::now()),
        };
        tokio::spawn(task.run(inbox, shard_events));
        Peer::from_task(participant, commands, heard)
    }
}

struct LoopPeer {
    engine: Arc<Engine>,
    shard: Shard,
    owner: Owner,
    client: mpsc::UnboundedSender<ClientSignal>,
    room: mpsc::UnboundedSender<MediaEvent>,
    /// Where the loop sends what happens on this participant's connections.
    events: mpsc::UnboundedSender<ShardEvent>,
    publish: Option<ConnId>,
    subscribe: Option<ConnId>,
    /// A subscribe offer awaits its answer.
    in_flight: bool,
    /// The subscribe connection changed since the offer in flight was made: offer again after
    /// its answer.
    dirty: bool,
    /// The commands being applied changed the subscribe connection: offer when they are done.
    offer_wanted: bool,
    /// The tracks the subscribe connection carries, for the share-out.
    carried: HashMap<TrackId, Carried>,
    /// Which layer of each video the participant gets.
    share: Share,
}

impl LoopPeer {
    async fn run(
        mut self,
        mut inbox: mpsc::UnboundedReceiver<Command>,
        mut shard_events: mpsc::UnboundedReceiver<ShardEvent>,
    ) {
        let mut reallocate = tokio::time::interval(INTERVAL);
        reallocate.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let done = 'run: loop {
            let estimate = self.share.estimate.clone();
            tokio::select! {
                _ = reallocate.tick() => self.allocate(),
                () = estimate.fell() => self.allocate(),
                command = inbox.recv() => {
                    // Commands that queued up meanwhile are applied before the subscribe
                    // connection is offered: someone who joins gets every track in one offer.
                    let mut next = command;
                    while let Some(command) = next.take() {
                        if let Command::Close(done) = command {
                            break 'run Some(done);
                        }
                        self.command(command).await;
                        next = inbox.try_recv().ok();
                    }
                    if std::mem::take(&mut self.offer_wanted) {
                        self.allocate();
                        self.renegotiate().await;
                    }
                    if inbox.is_closed() && inbox.is_empty() {
                        break None;
                    }
                }
                Some(event) = shard_events.recv() => self.event(event).await,
            }
        };
        self.close().await;
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::PublishOffer(sdp, reply) => {
                let _ = reply.send(self.publish_offer(sdp).await);
            }
            Command::SubscribeAnswer(sdp, reply) => {
                let _ = reply.send(self.subscribe_answer(sdp).await);
            }
            Command::Candidate(pc, candidate) => self.candidate(pc, &candidate),
            Command::Forward(track) => {
                let result = match self.connection(Pc::Subscribe).await {
                    Ok(conn) => self.shard.carry(conn, track).await,
                    Err(e) => Err(e),
                };
                match result {
                    Ok(Some(carried)) => {
                        self.carried.insert(track, carried);
                        self.offer_wanted = true;
                    }
                    Ok(None) => {}
                    // A track that ended meanwhile is simply not forwarded.
                    Err(SfuError::OutOfOrder(why)) => {
                        tracing::debug!(participant = %self.owner.participant, track, why, "not forwarded")
                    }
                    Err(e) => {
                        tracing::warn!(participant = %self.owner.participant, error = %e, "cannot add a track to the subscribe connection")
                    }
                }
            }
            Command::StopForward(track) => {
                let Some(conn) = self.subscribe else { return };
                self.carried.remove(&track);
                match self.shard.stop_forward(conn, track).await {
                    Ok(stopped) => self.offer_wanted |= stopped,
                    Err(e) => tracing::warn!(participant = %self.owner.participant, error = %e, "cannot stop a track"),
                }
            }
            Command::VideoView(views) => {
                self.share.views = views.into_iter().collect();
                self.allocate();
            }
            Command::Close(_) => unreachable!("handled by the run loop"),
        }
    }

    /// The participant's connection of `role`, opened on first use.
    async fn connection(&mut self, role: Pc) -> Result<ConnId, SfuError> {
        let slot = match role {
            Pc::Publish => &mut self.publish,
            Pc::Subscribe => &mut self.subscribe,
        };
        if let Some(conn) = *slot {
            return Ok(conn);
        }
        let (conn, estimate) = self.shard.open_linked(role, self.owner.clone(), self.events.clone()).await?;
        *slot = Some(conn);
        if role == Pc::Subscribe {
            self.share.estimate = estimate;
        }
        Ok(conn)
    }

    fn role(&self, conn: ConnId) -> Option<Pc> {
        if self.publish == Some(conn) {
            Some(Pc::Publish)
        } else if self.subscribe == Some(conn) {
            Some(Pc::Subscribe)
        } else {
            None
        }
    }

    async fn publish_offer(&mut self, sdp: String) -> Result<String, SfuError> {
        let conn = self.connection(Pc::Publish).await?;
        self.shard.publish_offer(conn, sdp).await
    }

    async fn subscribe_answer(&mut self, sdp: String) -> Result<(), SfuError> {
        let (Some(conn), true) = (self.subscribe, self.in_flight) else {
            return Err(SfuError::OutOfOrder("there is no subscribe offer to answer"));
        };
        self.shard.answer(conn, sdp).await?;
        self.in_flight = false;
        if std::mem::take(&mut self.dirty) {
            self.renegotiate().await;
        }
        Ok(())
    }

    /// The loop learns the browser's address from its checks; a trickled candidate adds
    /// nothing.
    fn candidate(&self, pc: Pc, candidate: &Candidate) {
        tracing::trace!(participant = %self.owner.participant, ?pc, candidate = %candidate.candidate, "a candidate the loop does not need");
    }

    /// Shares the estimate out over the videos the participant receives (the tracks that ended
    /// are dropped first: their slots are free).
    fn allocate(&mut self) {
        self.carried.retain(|_, carried| !carried.state.ended());
        let carried: Vec<(&TrackState, Option<&Arc<VideoSlot>>)> =
            self.carried.values().map(|c| (&*c.state, c.video.as_ref())).collect();
        self.share.allocate(&self.engine, &self.client, &carried);
    }

    /// Offers the subscribe connection's current state, unless an offer is still out.
    async fn renegotiate(&mut self) {
        let Some(conn) = self.subscribe else { return };
        if self.in_flight {
            self.dirty = true;
            return;
        }
        match self.shard.offer(conn).await {
            Ok((sdp, tracks)) => {
                self.in_flight = true;
                let _ = self.client.send(ClientSignal::SubscribeOffer { sdp, tracks });
            }
            Err(e) => {
                tracing::warn!(participant = %self.owner.participant, error = %e, "cannot renegotiate the subscribe connection")
            }
        }
    }

    async fn event(&mut self, event: ShardEvent) {
        let participant = self.owner.participant;
        match event {
            ShardEvent::Published { track, kind, .. } => {
                let _ = self.room.send(MediaEvent::Published { owner: participant, track, kind });
            }
            ShardEvent::Ended { track, .. } => {
                let _ = self.room.send(MediaEvent::Ended { owner: participant, track });
            }
            // The loop logs each connection's states itself.
            ShardEvent::Connected { .. } => {}
            ShardEvent::Failed { conn } => {
                if let Some(pc) = self.role(conn) {
                    tracing::info!(participant = %participant, ?pc, "media connection failed");
                    let _ = self.client.send(ClientSignal::MediaFailed { pc });
                }
            }
            ShardEvent::NegotiationNeeded { .. } => self.renegotiate().await,
        }
    }

    async fn close(&mut self) {
        for conn in [self.publish.take(), self.subscribe.take()].into_iter().flatten() {
            self.shard.close(conn).await;
        }
    }
}
