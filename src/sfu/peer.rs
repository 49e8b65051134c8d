//! One participant's media: a publish connection (their camera and microphone, offered by the
//! browser) and a subscribe connection (everyone else, offered by us). A task owns both and
//! applies commands one at a time, so negotiations never interleave.
//!
//! The subscribe connection has a slot (a transceiver with a fixed SSRC) per track it carries.
//! When a track goes away its slot turns inactive and is reused for the next track of that kind,
//! so a long conference with people coming and going keeps a small SDP.

use super::SfuError;
use super::allocate::Share;
use super::engine::{AUDIO_LEVEL_URI, Built, Engine, PcEvent, Side, add_remote_candidate, candidates_gathered};
use super::estimate::AtomicInstant;
use super::publish::PublishedTrack;
use super::report::ListenerLoss;
use super::subscribe::Slot;
use crate::media::TrackId;
use crate::media::{Candidate, MediaKind, Pc, TrackInfo};
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{PeerConnection, RTCPeerConnectionState, RTCSessionDescription};

/// What a participant's browser must be told.
#[derive(Debug, Clone)]
pub enum ClientSignal {
    Candidate {
        pc: Pc,
        candidate: Option<Candidate>,
    },
    SubscribeOffer {
        sdp: String,
        tracks: Vec<TrackInfo>,
    },
    /// A connection failed for good; the client should rejoin.
    MediaFailed {
        pc: Pc,
    },
    /// The participant's link cannot carry even the lowest layer of `owner`'s video, which is
    /// therefore not sent (`paused`), or can again.
    VideoState {
        owner: Uuid,
        paused: bool,
    },
}

/// What the room must know about a participant's media.
#[derive(Debug, Clone)]
pub enum MediaEvent {
    Published { owner: Uuid, track: TrackId, kind: MediaKind },
    Ended { owner: Uuid, track: TrackId },
}

pub(super) enum Command {
    PublishOffer(String, oneshot::Sender<Result<String, SfuError>>),
    SubscribeAnswer(String, oneshot::Sender<Result<(), SfuError>>),
    Candidate(Pc, Candidate),
    Forward(TrackId),
    StopForward(TrackId),
    VideoView(Vec<(Uuid, u32)>),
    Close(oneshot::Sender<()>),
}

/// A handle to one participant's media task. Dropping every handle closes the media.
#[derive(Debug, Clone)]
pub struct Peer {
    pub participant: Uuid,
    commands: mpsc::UnboundedSender<Command>,
    /// When media last arrived from the participant: any packet of any track they publish.
    heard: Arc<AtomicInstant>,
}

impl Peer {
    /// Starts the media task of `participant`.
    pub(crate) fn spawn(
        engine: Arc<Engine>,
        participant: Uuid,
        client: mpsc::UnboundedSender<ClientSignal>,
        room: mpsc::UnboundedSender<MediaEvent>,
    ) -> Peer {
        let (commands, inbox) = mpsc::unbounded_channel();
        let (pc_events, pc_inbox) = mpsc::unbounded_channel();
        let heard = Arc::new(AtomicInstant::default());
        let task = PeerTask {
            engine,
            participant,
            heard: heard.clone(),
            client,
            room,
            pc_events,
            publish: None,
            subscribe: None,
            gathered: [None, None],
            remote_set: [false, false],
            queued: [Vec::new(), Vec::new()],
            slots: Vec::new(),
            in_flight: None,
            dirty: false,
            offer_wanted: false,
            subscribe_connected: false,
            awaiting_connection: Vec::new(),
            listener_loss: Arc::default(),
            share: Share::new(participant, std::time::Instant::now()),
        };
        tokio::spawn(task.run(inbox, pc_inbox));
        Peer::from_task(participant, commands, heard)
    }

    /// The handle of a media task that takes `commands` (the engine's or the loop's).
    pub(super) fn from_task(
        participant: Uuid,
        commands: mpsc::UnboundedSender<Command>,
        heard: Arc<AtomicInstant>,
    ) -> Peer {
        Peer { participant, commands, heard }
    }

    /// Whether the participant's media arrived in the last `window`: a participant whose
    /// WebSocket is silent while their media still arrives is on a weak link, not gone.
    pub fn media_heard_within(&self, window: Duration) -> bool {
        self.heard.load().is_some_and(|at| at.elapsed() <= window)
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<Result<T, SfuError>>) -> Command) -> Result<T, SfuError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(make(reply)).map_err(|_| SfuError::Closed)?;
        answer.await.map_err(|_| SfuError::Closed)?
    }

    /// Applies the browser's offer for its publish connection; returns our answer.
    pub async fn publish_offer(&self, sdp: String) -> Result<String, SfuError> {
        self.ask(|reply| Command::PublishOffer(sdp, reply)).await
    }

    /// Applies the browser's answer to our latest subscribe offer.
    pub async fn subscribe_answer(&self, sdp: String) -> Result<(), SfuError> {
        self.ask(|reply| Command::SubscribeAnswer(sdp, reply)).await
    }

    /// A trickled candidate of the browser.
    pub fn add_candidate(&self, pc: Pc, candidate: Candidate) {
        let _ = self.commands.send(Command::Candidate(pc, candidate));
    }

    /// Starts sending `track` to this participant (renegotiates).
    pub fn forward(&self, track: TrackId) {
        let _ = self.commands.send(Command::Forward(track));
    }

    /// Stops sending a track to this participant (renegotiates).
    pub fn stop_forward(&self, track: TrackId) {
        let _ = self.commands.send(Command::StopForward(track));
    }

    /// How big this participant's page shows each other participant's video: the rendered
    /// height in device pixels, 0 when not visible. Replaces what it said before; someone not
    /// named gets the top layer their link carries.
    pub fn video_view(&self, views: Vec<(Uuid, u32)>) {
        let _ = self.commands.send(Command::VideoView(views));
    }

    /// Closes both connections and waits until they are down.
    pub async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.commands.send(Command::Close(done)).is_ok() {
            let _ = closed.await;
        }
    }
}

pub(super) struct PeerTask {
    pub(super) engine: Arc<Engine>,
    pub(super) participant: Uuid,
    heard: Arc<AtomicInstant>,
    pub(super) client: mpsc::UnboundedSender<ClientSignal>,
    pub(super) room: mpsc::UnboundedSender<MediaEvent>,
    pub(super) pc_events: mpsc::UnboundedSender<PcEvent>,
    pub(super) publish: Option<Arc<dyn PeerConnection>>,
    pub(super) subscribe: Option<Arc<dyn PeerConnection>>,
    /// Per connection: whether its local candidates are all known.
    pub(super) gathered: [Option<watch::Receiver<bool>>; 2],
    /// Whether each connection has its remote description (candidates wait until it has).
    pub(super) remote_set: [bool; 2],
    pub(super) queued: [Vec<Candidate>; 2],
    pub(super) slots: Vec<Slot>,
    /// The subscribe offer awaiting its answer, with the (slot, track) assignments it carries.
    pub(super) in_flight: Option<Vec<(usize, TrackId)>>,
    /// Slots changed since the offer in flight was made: offer again after its answer.
    pub(super) dirty: bool,
    /// Slots changed by the commands being applied: offer when they are all done.
    pub(super) offer_wanted: bool,
    /// Whether the subscribe connection is up: packets sent before are lost (the library drops
    /// them before DTLS is done), so forwarding and keyframe requests wait for it.
    pub(super) subscribe_connected: bool,
    /// Negotiated (slot, track) assignments that start forwarding once the connection is up.
    pub(super) awaiting_connection: Vec<(usize, TrackId)>,
    /// What the listeners of the participant's audio lose, for the publish connection's reports.
    listener_loss: Arc<ListenerLoss>,
    /// Which layer of each video the participant gets.
    pub(super) share: Share,
}

pub(super) fn index(pc: Pc) -> usize {
    match pc {
        Pc::Publish => 0,
        Pc::Subscribe => 1,
    }
}

pub(super) fn codec_kind(kind: MediaKind) -> RtpCodecKind {
    match kind {
        MediaKind::Audio => RtpCodecKind::Audio,
        MediaKind::Video => RtpCodecKind::Video,
    }
}

impl PeerTask {
    async fn run(
        mut self,
        mut inbox: mpsc::UnboundedReceiver<Command>,
        mut pc_inbox: mpsc::UnboundedReceiver<PcEvent>,
    ) {
        let mut reallocate = tokio::time::interval(super::allocate::INTERVAL);
        reallocate.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let done = 'run: loop {
            let estimate = self.share.estimate.clone();
            tokio::select! {
                _ = reallocate.tick() => self.allocate(),
                () = estimate.fell() => self.allocate(),
                command = inbox.recv() => {
                    // Commands that queued up meanwhile are applied before the subscribe
                    // connection is offered again: someone who joins gets every track in one
                    // offer, not one round trip per track.
                    let mut next = command;
                    while let Some(command) = next.take() {
                        if let Command::Close(done) = command {
                            break 'run Some(done);
                        }
                        self.command(command).await;
                        next = inbox.try_recv().ok();
                    }
                    if std::mem::take(&mut self.offer_wanted) {
                        self.renegotiate().await;
                    }
                    if inbox.is_closed() && inbox.is_empty() {
                        break None;
                    }
                }
                Some(event) = pc_inbox.recv() => self.pc_event(event).await,
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
            Command::Candidate(pc, candidate) => self.candidate(pc, candidate).await,
            Command::Forward(track) => self.forward(track).await,
            Command::StopForward(track) => self.stop_forward(track).await,
            Command::VideoView(views) => {
                self.share.views = views.into_iter().collect();
                self.allocate();
            }
            Command::Close(_) => unreachable!("handled by the loop"),
        }
    }

    async fn pc_event(&mut self, event: PcEvent) {
        if let PcEvent::State(pc, state) = &event {
            // Which participant's connection changed, which the library's own line does not say.
            tracing::info!(participant = %self.participant, ?pc, ?state, "media connection state");
        }
        match event {
            PcEvent::Candidate(pc, candidate) => {
                let candidate = candidate.map(|c| Candidate { candidate: self.engine.announce(&c.candidate), ..c });
                let _ = self.client.send(ClientSignal::Candidate { pc, candidate });
            }
            PcEvent::State(pc, RTCPeerConnectionState::Failed) => {
                tracing::info!(participant = %self.participant, ?pc, "media connection failed");
                let _ = self.client.send(ClientSignal::MediaFailed { pc });
            }
            PcEvent::State(Pc::Subscribe, state) => {
                // `Disconnected` is not down: media still leaves on the selected pair. The ICE
                // library only ever follows the browser's first nomination, so when Chromium
                // moves to a better pair (a second interface, a VPN) our pair hears from it only
                // on its backup checks, every 25 s, and flips to `Disconnected` in between while
                // the browser receives everything. Waiting for `Connected` there held new tracks
                // back for up to 25 s, and asked every publisher for a keyframe each time.
                let up = matches!(state, RTCPeerConnectionState::Connected | RTCPeerConnectionState::Disconnected);
                let came_up = up && !self.subscribe_connected;
                self.subscribe_connected = up;
                if came_up {
                    tracing::debug!(participant = %self.participant, "subscribe connection up");
                    // After a reconnection, whatever flowed while it was down missed its keyframe.
                    for slot in &self.slots {
                        if let Some((track, true)) = &slot.carries {
                            track.request_keyframe(slot.keyframe_layers());
                        }
                    }
                    for (i, track_id) in std::mem::take(&mut self.awaiting_connection) {
                        self.activate_or_warn(i, track_id).await;
                    }
                }
            }
            PcEvent::State(..) => {}
            PcEvent::Track(remote) => self.published(remote).await,
        }
    }

    pub(super) async fn connection(&mut self, pc: Pc) -> Result<Arc<dyn PeerConnection>, SfuError> {
        let existing = match pc {
            Pc::Publish => &self.publish,
            Pc::Subscribe => &self.subscribe,
        };
        if let Some(connection) = existing {
            return Ok(connection.clone());
        }
        let Built { pc: connection, gathered, estimate, listener_loss } = self
            .engine
            .build(pc, Side::Server, self.pc_events.clone(), self.engine.recall_estimate(self.participant))
            .await?;
        self.gathered[index(pc)] = Some(gathered);
        match pc {
            Pc::Publish => {
                self.listener_loss = listener_loss;
                self.publish = Some(connection.clone());
            }
            Pc::Subscribe => {
                self.share.estimate = estimate;
                self.subscribe = Some(connection.clone());
            }
        }
        Ok(connection)
    }

    /// Waits until the connection's own candidates are known, so our description carries them.
    pub(super) async fn gathered(&self, pc: Pc) {
        if let Some(gathered) = &self.gathered[index(pc)] {
            candidates_gathered(gathered).await;
        }
    }

    async fn publish_offer(&mut self, sdp: String) -> Result<String, SfuError> {
        let offer = RTCSessionDescription::offer(sdp).map_err(SfuError::invalid_sdp)?;
        let pc = self.connection(Pc::Publish).await?;
        pc.set_remote_description(offer).await.map_err(SfuError::invalid_sdp)?;
        let answer = pc.create_answer(None).await?;
        pc.set_local_description(answer.clone()).await?;
        self.remote_set[index(Pc::Publish)] = true;
        self.flush_candidates(Pc::Publish).await;
        self.gathered(Pc::Publish).await;
        let sdp = pc.local_description().await.map_or(answer.sdp, |d| d.sdp);
        Ok(self.engine.announce_sdp(&sdp))
    }

    async fn candidate(&mut self, pc: Pc, candidate: Candidate) {
        if self.remote_set[index(pc)] {
            self.apply_candidate(pc, candidate).await;
        } else if self.queued[index(pc)].len() < 64 {
            self.queued[index(pc)].push(candidate);
        }
    }

    pub(super) async fn flush_candidates(&mut self, pc: Pc) {
        for candidate in std::mem::take(&mut self.queued[index(pc)]) {
            self.apply_candidate(pc, candidate).await;
        }
    }

    async fn apply_candidate(&mut self, pc: Pc, candidate: Candidate) {
        let connection = match pc {
            Pc::Publish => self.publish.clone(),
            Pc::Subscribe => self.subscribe.clone(),
        };
        let Some(connection) = connection else { return };
        if let Err(e) = add_remote_candidate(&connection, candidate).await {
            tracing::debug!(participant = %self.participant, error = %e, "ignored an unusable ICE candidate");
        }
    }

    async fn published(&mut self, remote: Arc<dyn TrackRemote>) {
        let Some(&ssrc) = remote.ssrcs().await.first() else {
            return;
        };
        let kind = match remote.kind().await {
            RtpCodecKind::Audio => MediaKind::Audio,
            _ => MediaKind::Video,
        };
        let level_extension = match (kind, &self.publish) {
            (MediaKind::Audio, Some(pc)) => audio_level_id(pc, &remote).await,
            _ => None,
        };
        let track = PublishedTrack::new(
            self.participant,
            kind,
            remote,
            ssrc,
            level_extension,
            self.heard.clone(),
            self.listener_loss.clone(),
        );
        let (room, owner, id, engine) = (self.room.clone(), self.participant, track.id, self.engine.clone());
        self.engine.register(track.clone());
        tokio::spawn(async move {
            track.run().await;
            engine.forget(id);
            let _ = room.send(MediaEvent::Ended { owner, track: id });
        });
        let _ = self.room.send(MediaEvent::Published { owner, track: id, kind });
    }

    async fn close(&mut self) {
        for slot in self.slots.drain(..) {
            if let Some((track, _)) = &slot.carries {
                track.remove_forward(&slot.out);
            }
            slot.feedback.abort();
        }
        for pc in [self.publish.take(), self.subscribe.take()].into_iter().flatten() {
            if let Err(e) = pc.close().await {
                tracing::debug!(error = %e, "closing a media connection");
            }
        }
    }
}

/// The negotiated id of the audio-level extension on the receiver of `remote`.
async fn audio_level_id(pc: &Arc<dyn PeerConnection>, remote: &Arc<dyn TrackRemote>) -> Option<u8> {
    let track_id = remote.track_id().await;
    for receiver in pc.get_receivers().await {
        if receiver.track().track_id().await == track_id {
            let parameters = receiver.get_parameters().await.ok()?;
            return parameters
                .rtp_parameters
                .header_extensions
                .iter()
                .find(|e| e.uri == AUDIO_LEVEL_URI)
                .map(|e| e.id as u8);
        }
    }
    None
}
