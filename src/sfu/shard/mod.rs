//! The owned media loop (issue 12, first stage): one thread that owns one UDP socket and drives
//! the sans-IO `rtc` connections of the conferences it hosts, with no task, channel hop or lock
//! per packet.
//!
//! - **One port.** Every hosted connection shares the shard's socket. A datagram finds its
//!   connection by the remote address, or, for a browser's first check, by the ufrag it names
//!   (`demux`); each connection's ufrag is fixed when it is made, so a check that arrives before
//!   the answer is applied still finds it, and waits (`early`) until it can be handled.
//! - **One pass per packet.** A datagram is read in a batch (`recvmmsg`), handed to its
//!   connection (SRTP decrypted once), and each subscriber's copy is written into that
//!   subscriber's connection in the same pass (the payload is shared, only the header differs).
//!   What the connections have to send goes out in batches (`sendmmsg`) once the read batch is
//!   done.
//! - **NACKs are answered from what was sent** (`history`): each subscriber's video slot keeps
//!   its last packets as they arrived, shared with the other subscribers, with its own numbering
//!   and the few bytes of a descriptor it rewrote, instead of the library's copy of each.
//! - **Time is an input.** Each connection says when it next needs the clock
//!   (`poll_timeout`); the loop keeps those deadlines ordered and wakes for the first.
//! - **Commands are the control plane** (open, negotiate, forward, close): they come over a
//!   channel, never per packet, and are answered over a oneshot.
//!
//! The rooms' media runs here by default: `peer` is a participant's media task on the loop, with
//! the same commands and signals as the engine's. [`super::Sfu::media_loop`] starts one on its
//! own for the load harness (`ketentafel-load --media-loop`), which measures it against the
//! floor. See docs/media.md, "The owned loop".

mod batch;
mod control;
mod demux;
mod history;
mod peer;
#[cfg(test)]
mod tests;

pub use demux::ConnId;

use super::SfuError;
use super::engine::{AUDIO_LEVEL_URI, Engine, Nack, Side, media_engine_and_interceptors, opus, vp8};
use super::estimate::{AtomicInstant, EstimateHandle};
use super::floor::thread_cpu_ns;
use super::keyframe::is_keyframe_request;
use super::publish::{Continuity, Ingest, KEYFRAME_REQUEST_INTERVAL, TrackState, VideoSlot, count_forwarded};
use super::report::ListenerLoss;
use super::runtime::enlarge_buffers;
use super::simulcast::LAYERS;
use crate::media::{MediaKind, Pc, TrackId, TrackInfo};
use bytes::BytesMut;
use demux::Routes;
use history::History;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::RTCPeerConnection;
use rtc::peer_connection::RTCPeerConnectionBuilder;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::event::{RTCPeerConnectionEvent, RTCTrackEvent};
use rtc::peer_connection::message::{RTCMessage, TaggedRTCMessage};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::peer_connection::transport::{CandidateConfig, CandidateHostConfig, RTCIceCandidate};
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind};
use rtc::rtp_transceiver::{
    RTCRtpReceiverId, RTCRtpSenderId, RTCRtpTransceiverDirection, RTCRtpTransceiverId, RTCRtpTransceiverInit,
};
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// What a hosted connection tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardEvent {
    /// A track arrived on a publish connection.
    Published { conn: ConnId, track: TrackId, kind: MediaKind },
    /// A published track ended (its connection closed).
    Ended { conn: ConnId, track: TrackId },
    /// The connection is up (DTLS done; `Disconnected` counts as up, media still leaves on the
    /// selected pair), or no longer.
    Connected { conn: ConnId, up: bool },
    /// The connection failed for good.
    Failed { conn: ConnId },
    /// A subscribe connection's tracks changed without its owner asking (a publisher left):
    /// offer it again.
    NegotiationNeeded { conn: ConnId },
}

/// What the loop holds and has done, for the leak checks and the load harness.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShardCounts {
    pub connections: usize,
    pub addresses: usize,
    pub tracks: usize,
    pub forwards: usize,
    pub timers: usize,
    /// Packets written into subscribers' connections.
    pub forwarded: u64,
    /// Datagrams read from the socket.
    pub datagrams_in: u64,
    /// Of those, from an address no check named (dropped, and not logged one by one).
    pub unrouted: u64,
    /// Datagrams sent, and system calls that sent them.
    pub datagrams_out: u64,
    pub send_calls: u64,
    /// Datagrams that arrived for a connection before its remote description was applied (a
    /// browser's first checks and DTLS hello, sent as soon as it has our description) and were
    /// handled once it was.
    pub early: u64,
    /// Times a connection's clock was run (its deadline had come).
    pub timer_runs: u64,
    /// CPU time the loop's thread used since it started.
    pub cpu_ns: u64,
}

/// Connections hosted by the loops of this process (the metrics' `media_loop_connections`; the
/// tests read it to see that nothing is left behind).
static HOSTED: AtomicUsize = AtomicUsize::new(0);

/// Open connections on the owned loops of this process.
pub fn hosted_connections() -> usize {
    HOSTED.load(Ordering::SeqCst)
}

type Reply<T> = oneshot::Sender<Result<T, SfuError>>;

enum Command {
    Open { role: Pc, owner: Owner, events: mpsc::UnboundedSender<ShardEvent>, reply: Reply<(ConnId, EstimateHandle)> },
    PublishOffer { conn: ConnId, sdp: String, reply: Reply<String> },
    Forward { subscriber: ConnId, track: TrackId, reply: Reply<Option<Carried>> },
    StopForward { subscriber: ConnId, track: TrackId, reply: Reply<bool> },
    Offer { conn: ConnId, reply: Reply<(String, Vec<TrackInfo>)> },
    Answer { conn: ConnId, sdp: String, reply: Reply<()> },
    Close { conn: ConnId, reply: oneshot::Sender<()> },
    Counts { reply: oneshot::Sender<ShardCounts> },
}

/// Whose a connection is: the participant (a subscriber's browser groups a publisher's audio
/// and video by this id, and the offer names it per track), and when anything they publish
/// last arrived.
#[derive(Debug, Clone, Default)]
pub struct Owner {
    pub participant: Uuid,
    pub(crate) heard: Arc<AtomicInstant>,
}

impl Owner {
    pub fn new(participant: Uuid) -> Owner {
        Owner { participant, heard: Arc::default() }
    }
}

/// A track a subscribe connection now carries: what its share-out reads of the track, and the
/// slot's layer choice for a video.
#[derive(Debug, Clone)]
pub(crate) struct Carried {
    pub state: Arc<TrackState>,
    pub video: Option<Arc<VideoSlot>>,
}

/// A handle to one loop. Dropping every handle stops the loop and closes its connections.
#[derive(Debug, Clone)]
pub struct Shard {
    commands: mpsc::UnboundedSender<Command>,
    local: SocketAddr,
    levels: Levels,
}

/// The published tracks of the loop as others read them (the audio level for the room's
/// active-speaker sampling): the loop updates each per packet, without the lock; the map is
/// locked when a track comes or goes.
type Levels = Arc<Mutex<HashMap<TrackId, Arc<TrackState>>>>;

impl Shard {
    /// Binds the shard's socket (`media_ip`, the first free port of the range or any) and
    /// starts its thread, pinned to `cpu` if given.
    pub(crate) fn start(engine: Arc<Engine>, name: &str, cpu: Option<usize>) -> Result<Shard, SfuError> {
        let socket = bind(&engine)?;
        let port = socket.local_addr().map_err(|e| SfuError::Internal(e.to_string()))?.port();
        // The address the connections announce and take datagrams at.
        let local = SocketAddr::new(host_address(engine.config.media_ip)?, port);
        let (commands, inbox) = mpsc::unbounded_channel();
        let levels = Levels::default();
        let loop_levels = levels.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SfuError::Internal(e.to_string()))?;
        std::thread::Builder::new()
            .name(format!("media-{name}"))
            .spawn(move || {
                if let Some(cpu) = cpu {
                    pin_to(cpu);
                }
                runtime.block_on(async move {
                    match UdpSocket::from_std(socket) {
                        Ok(socket) => Loop::new(engine, socket, local, loop_levels).run(inbox).await,
                        Err(e) => tracing::error!(error = %e, "the media loop cannot use its socket"),
                    }
                });
            })
            .map_err(|e| SfuError::Internal(e.to_string()))?;
        Ok(Shard { commands, local, levels })
    }

    /// The loudest audio level of `track` since the last call: 0 (silence) to 127, 0 for a video
    /// or a track that ended.
    pub fn take_level(&self, track: TrackId) -> u8 {
        let levels = self.levels.lock().expect("the level map's lock is never held across a panic");
        levels.get(&track).map_or(0, |state| state.take_level())
    }

    /// The one address every connection of this shard uses.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, SfuError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(make(reply)).map_err(|_| SfuError::Closed)?;
        answer.await.map_err(|_| SfuError::Closed)
    }

    /// A new connection of `owner` whose events go to `events`.
    pub async fn open(
        &self,
        role: Pc,
        owner: Owner,
        events: mpsc::UnboundedSender<ShardEvent>,
    ) -> Result<ConnId, SfuError> {
        Ok(self.open_linked(role, owner, events).await?.0)
    }

    /// [`Shard::open`], and what the connection's feedback says its link carries (for a
    /// subscribe connection's share-out).
    pub(crate) async fn open_linked(
        &self,
        role: Pc,
        owner: Owner,
        events: mpsc::UnboundedSender<ShardEvent>,
    ) -> Result<(ConnId, EstimateHandle), SfuError> {
        self.ask(|reply| Command::Open { role, owner, events, reply }).await?
    }

    /// Applies a browser's offer to a publish connection; returns the answer.
    pub async fn publish_offer(&self, conn: ConnId, sdp: String) -> Result<String, SfuError> {
        self.ask(|reply| Command::PublishOffer { conn, sdp, reply }).await?
    }

    /// Adds `track` to a subscribe connection; it flows once an offer made after this is
    /// answered. `false`: it was there already. Without a share-out (the load harness, the
    /// tests), the subscriber gets a video's top layer.
    pub async fn forward(&self, subscriber: ConnId, track: TrackId) -> Result<bool, SfuError> {
        let carried = self.carry(subscriber, track).await?;
        if let Some(video) = carried.as_ref().and_then(|c| c.video.as_ref()) {
            video.set_target(Some(LAYERS as u8 - 1));
        }
        Ok(carried.is_some())
    }

    /// [`Shard::forward`], and what the subscriber's share-out needs of the track; `None`: it
    /// was there already.
    pub(crate) async fn carry(&self, subscriber: ConnId, track: TrackId) -> Result<Option<Carried>, SfuError> {
        self.ask(|reply| Command::Forward { subscriber, track, reply }).await?
    }

    /// Stops sending `track` on a subscribe connection (its slot waits for the next track of
    /// its kind); the next offer tells the browser. `false`: it was not sent there (any more).
    pub async fn stop_forward(&self, subscriber: ConnId, track: TrackId) -> Result<bool, SfuError> {
        self.ask(|reply| Command::StopForward { subscriber, track, reply }).await?
    }

    /// An offer of the subscribe connection's current state, and which publisher's track each
    /// of its media sections carries.
    pub async fn offer(&self, conn: ConnId) -> Result<(String, Vec<TrackInfo>), SfuError> {
        self.ask(|reply| Command::Offer { conn, reply }).await?
    }

    /// Applies the browser's answer to the latest offer.
    pub async fn answer(&self, conn: ConnId, sdp: String) -> Result<(), SfuError> {
        self.ask(|reply| Command::Answer { conn, sdp, reply }).await?
    }

    /// Closes a connection; its tracks end and its forwards stop.
    pub async fn close(&self, conn: ConnId) {
        let _ = self.ask(|reply| Command::Close { conn, reply }).await;
    }

    /// What the loop holds now.
    pub async fn counts(&self) -> Result<ShardCounts, SfuError> {
        self.ask(|reply| Command::Counts { reply }).await
    }
}

/// The address a loop on `media_ip` announces in its host candidate: `media_ip` itself, or for
/// the unspecified address (every interface, as containers bind) the first non-loopback IPv4
/// address of an interface that is up. `--public-ip` still replaces it in the descriptions.
fn host_address(media_ip: IpAddr) -> Result<IpAddr, SfuError> {
    if !media_ip.is_unspecified() {
        return Ok(media_ip);
    }
    interface_addresses()
        .into_iter()
        .find(|ip| ip.is_ipv4() && !ip.is_loopback())
        .ok_or_else(|| SfuError::Internal("no non-loopback IPv4 interface to announce: set --media-ip".into()))
}

/// The addresses of the interfaces that are up, in the system's order.
fn interface_addresses() -> Vec<IpAddr> {
    let mut addresses = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list that we only read, and free once.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return addresses;
        }
        let mut entry = list;
        while let Some(interface) = entry.as_ref() {
            let up = interface.ifa_flags & libc::IFF_UP as libc::c_uint != 0;
            if up
                && let Some(address) = interface.ifa_addr.as_ref()
                && i32::from(address.sa_family) == libc::AF_INET
            {
                let v4 = &*(interface.ifa_addr as *const libc::sockaddr_in);
                addresses.push(IpAddr::from(u32::from_be(v4.sin_addr.s_addr).to_be_bytes()));
            }
            entry = interface.ifa_next;
        }
        libc::freeifaddrs(list);
    }
    addresses
}

/// The shard's socket: non-blocking, with large buffers, on the configured address and range.
fn bind(engine: &Engine) -> Result<std::net::UdpSocket, SfuError> {
    let ip = engine.config.media_ip;
    // Port 0: the system chooses.
    let (low, high) = engine.config.port_range.unwrap_or((0, 0));
    let mut last = None;
    for port in low..=high {
        match std::net::UdpSocket::bind((ip, port)) {
            Ok(socket) => {
                socket.set_nonblocking(true).map_err(|e| SfuError::Internal(e.to_string()))?;
                enlarge_buffers(&socket, engine.config.socket_buffer);
                return Ok(socket);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(SfuError::Internal(format!(
        "no free UDP port for the media loop: {}",
        last.map_or(String::new(), |e| e.to_string())
    )))
}

/// Datagrams kept per connection while its description is not yet applied.
const EARLY_DATAGRAMS: usize = 64;
/// Read batches handled before what they caused is sent: bounds the delay a burst adds.
const READS_PER_FLUSH: usize = 8;

/// One hosted connection.
struct Conn {
    pc: RTCPeerConnection,
    role: Pc,
    owner: Owner,
    events: mpsc::UnboundedSender<ShardEvent>,
    /// Whether its remote description is applied (datagrams before it wait in `early`).
    described: bool,
    early: Vec<(SocketAddr, BytesMut)>,
    connected: bool,
    /// The deadline this connection has in the loop's timers.
    scheduled: Option<Instant>,
    /// Queued for the next flush.
    touched: bool,
    /// Publish side: the library's track id → the track's id in the service.
    received: HashMap<String, TrackId>,
    /// Publish side: what the listeners of its audio lose, for its reports to the publisher.
    listener_loss: Arc<ListenerLoss>,
    /// Subscribe side: one send-only transceiver per track carried, reused by the next track
    /// of its kind.
    slots: Vec<Slot>,
    /// Subscribe side: the (slot, track) assignments the offer in flight carries; its answer
    /// starts them.
    offered: Vec<(usize, TrackId)>,
}

/// One outgoing transceiver of a subscribe connection.
struct Slot {
    kind: MediaKind,
    transceiver: RTCRtpTransceiverId,
    sender: RTCRtpSenderId,
    ssrc: u32,
    /// The library's id of the slot's outgoing track: the subscriber's RTCP for it names it.
    local_id: String,
    /// Known once the slot was first negotiated.
    payload_type: Option<u8>,
    /// Sequence numbers and timestamps stay continuous from one track to the next.
    continuity: Continuity,
    /// For video: the layer the subscriber gets, and the switching between layers.
    video: Option<Arc<VideoSlot>>,
    /// The track the slot carries, and whether it flows (its offer was answered).
    carries: Option<(TrackId, bool)>,
    /// What it sent lately, for the subscriber's NACKs (video only: audio negotiates none).
    history: History,
}

/// A published track and who gets it.
struct Published {
    publisher: ConnId,
    receiver: RTCRtpReceiverId,
    /// The SSRC of its first stream (a keyframe request names it when no layer is known).
    ssrc: u32,
    state: Arc<TrackState>,
    /// The loop's own view of its packets: layers, rates.
    ingest: Ingest,
    keyframes: KeyframeRequests,
    /// The subscribers' slots it flows to.
    forwards: Vec<(ConnId, usize)>,
}

/// The keyframe requests of one published video: at most one per
/// [`KEYFRAME_REQUEST_INTERVAL`] (a new subscriber and a burst of subscriber PLIs cost the
/// publisher one keyframe, not ten); the layers asked for inside an interval go out together
/// when it ends.
#[derive(Debug, Default)]
struct KeyframeRequests {
    last: Option<Instant>,
    /// The layers (a bit per layer) the next request asks for.
    pending: u8,
    /// When the next request goes out, if one waits.
    due: Option<Instant>,
}

struct Loop {
    engine: Arc<Engine>,
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    conns: HashMap<ConnId, Conn>,
    next_conn: ConnId,
    routes: Routes,
    timers: BTreeSet<(Instant, ConnId)>,
    /// Keyframe requests that wait for their interval to end.
    keyframe_timers: BTreeSet<(Instant, TrackId)>,
    tracks: HashMap<TrackId, Published>,
    /// Connections with something to send or report.
    touched: Vec<ConnId>,
    /// What the connections have to send, gathered for one `sendmmsg` pass.
    outgoing: Vec<(SocketAddr, BytesMut)>,
    /// Reusable: the messages one connection has for the application.
    reads: Vec<TaggedRTCMessage>,
    forwarded: u64,
    levels: Levels,
    datagrams_in: u64,
    unrouted: u64,
    datagrams_out: u64,
    send_calls: u64,
    early: u64,
    timer_runs: u64,
}

impl Loop {
    fn new(engine: Arc<Engine>, socket: UdpSocket, local: SocketAddr, levels: Levels) -> Self {
        Loop {
            engine,
            socket: Arc::new(socket),
            local,
            conns: HashMap::new(),
            next_conn: 1,
            routes: Routes::default(),
            timers: BTreeSet::new(),
            keyframe_timers: BTreeSet::new(),
            tracks: HashMap::new(),
            touched: Vec::new(),
            outgoing: Vec::new(),
            reads: Vec::new(),
            forwarded: 0,
            levels,
            datagrams_in: 0,
            unrouted: 0,
            datagrams_out: 0,
            send_calls: 0,
            early: 0,
            timer_runs: 0,
        }
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let socket = self.socket.clone();
        let fd = socket.as_raw_fd();
        let mut receiver = batch::Receiver::default();
        loop {
            // Due timers run every turn, not only when the socket is quiet: a loop kept busy by
            // media must still answer checks, retransmit handshakes and send its reports.
            self.expire(Instant::now());
            self.flush(Instant::now());
            self.send_outgoing(fd).await;
            let wake = [self.timers.first().map(|&(at, _)| at), self.keyframe_timers.first().map(|&(at, _)| at)]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                biased;
                command = commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => break,
                },
                ready = socket.readable() => {
                    if let Err(e) = ready {
                        tracing::error!(error = %e, "the media loop's socket failed");
                        break;
                    }
                    for _ in 0..READS_PER_FLUSH {
                        let now = Instant::now();
                        let read = socket.try_io(Interest::READABLE, || {
                            receiver.receive(fd, |datagram, from| self.datagram(now, datagram, from))
                        });
                        match read {
                            Ok(_) => {}
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                            Err(e) => {
                                tracing::debug!(error = %e, "a media read failed");
                                break;
                            }
                        }
                    }
                }
                () = tokio::time::sleep_until(wake.into()) => self.expire(Instant::now()),
            }
        }
        for (_, mut conn) in self.conns.drain() {
            let _ = conn.pc.close();
            HOSTED.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn touch(&mut self, id: ConnId) {
        if let Some(conn) = self.conns.get_mut(&id)
            && !conn.touched
        {
            conn.touched = true;
            self.touched.push(id);
        }
    }

    /// One datagram from the socket.
    fn datagram(&mut self, now: Instant, datagram: &[u8], from: SocketAddr) {
        self.datagrams_in += 1;
        let Some(id) = self.routes.route(from, datagram) else {
            self.unrouted += 1;
            return;
        };
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if !conn.described {
            if conn.early.len() < EARLY_DATAGRAMS {
                conn.early.push((from, BytesMut::from(datagram)));
            } else {
                tracing::debug!(conn = id, "a datagram before the description was dropped: too many wait");
            }
            return;
        }
        self.feed(now, id, from, BytesMut::from(datagram));
    }

    fn feed(&mut self, now: Instant, id: ConnId, from: SocketAddr, message: BytesMut) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let transport = TransportContext {
            local_addr: self.local,
            peer_addr: from,
            ecn: None,
            transport_protocol: TransportProtocol::UDP,
        };
        if let Err(e) = conn.pc.handle_read(TaggedBytesMut { now, transport, message }) {
            tracing::debug!(conn = id, error = %e, "a media datagram was not accepted");
        }
        self.touch(id);
        self.deliver(now, id);
    }

    /// What a connection has for the application: its events first (a layer that opened, so
    /// that its first packets find it), then media to forward and keyframe requests to relay.
    fn deliver(&mut self, now: Instant, id: ConnId) {
        self.events(now, id);
        let mut reads = std::mem::take(&mut self.reads);
        if let Some(conn) = self.conns.get_mut(&id) {
            while let Some(message) = conn.pc.poll_read() {
                reads.push(message);
            }
        }
        for TaggedRTCMessage { message, .. } in reads.drain(..) {
            match message {
                RTCMessage::RtpPacket(track_id, packet) => {
                    let track = self.conns.get(&id).and_then(|c| c.received.get(&track_id)).copied();
                    if let Some(track) = track {
                        self.forward(now, track, packet);
                    }
                }
                RTCMessage::RtcpPacket(track_id, packets) => {
                    for nack in packets.iter().filter_map(|p| p.as_any().downcast_ref::<TransportLayerNack>()) {
                        self.resend(now, id, &track_id, nack);
                    }
                    let carried = self.conns.get(&id).and_then(|c| {
                        let slot = c.slots.iter().find(|slot| slot.local_id == track_id)?;
                        Some((slot.carries?, VideoSlot::keyframe_layers(slot.video.as_deref())))
                    });
                    if let Some(((track, true), layers)) = carried
                        && packets.iter().any(|p| is_keyframe_request(p.as_ref()))
                    {
                        self.request_keyframe(now, track, layers);
                    }
                }
                _ => {}
            }
        }
        self.reads = reads;
    }

    /// Writes each subscriber's copy of a packet into its connection.
    fn forward(&mut self, now: Instant, track: TrackId, mut packet: rtc::rtp::Packet) {
        let Some(published) = self.tracks.get_mut(&track) else {
            return;
        };
        let Some(incoming) = published.ingest.packet(&published.state, &mut packet, now) else {
            return;
        };
        // Shared with the histories of the subscribers it goes to.
        let packet = Arc::new(packet);
        let before = self.forwarded;
        let mut keyframes = 0;
        for &(subscriber, index) in &published.forwards {
            let Some(conn) = self.conns.get_mut(&subscriber) else {
                continue;
            };
            if !conn.connected {
                continue;
            }
            let Some(slot) = conn.slots.get(index) else {
                continue;
            };
            let Some(payload_type) = slot.payload_type else {
                continue;
            };
            let Some((sequence, timestamp, payload)) =
                incoming.copy(slot.video.as_deref(), &slot.continuity, &packet, now, &mut keyframes)
            else {
                continue;
            };
            let mut copy = history::renumbered(&packet, slot.ssrc, payload_type, sequence, timestamp);
            if let Some(payload) = payload {
                copy.payload = payload;
            }
            let Conn { pc, slots, .. } = conn;
            let slot = &mut slots[index];
            if slot.kind == MediaKind::Video {
                slot.history.record(&packet, sequence, timestamp, &copy.payload);
            }
            if let Some(mut sender) = pc.rtp_sender(slot.sender)
                && sender.write_rtp(now, copy).is_ok()
            {
                self.forwarded += 1;
                if !conn.touched {
                    conn.touched = true;
                    self.touched.push(subscriber);
                }
            }
        }
        // Once per packet, not per copy: the track's and the node's totals.
        let copies = self.forwarded - before;
        published.state.counters.forwarded.fetch_add(copies, Ordering::Relaxed);
        count_forwarded(copies, packet.payload.len());
        if keyframes != 0 {
            self.request_keyframe(now, track, keyframes);
        }
    }

    /// Answers a subscriber's NACK for the slot whose track the library calls `track_id`: the
    /// packets it names that the slot's history still keeps go out again (the pacer decides
    /// whether they leave: `pacer::REPAIR_SHARE`).
    fn resend(&mut self, now: Instant, id: ConnId, track_id: &str, nack: &TransportLayerNack) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let Conn { pc, slots, .. } = conn;
        let Some(slot) = slots.iter().find(|slot| slot.local_id == track_id && slot.ssrc == nack.media_ssrc) else {
            return;
        };
        let Some(payload_type) = slot.payload_type else {
            return;
        };
        let mut resent = false;
        for sequence in nack.nacks.iter().flat_map(|pair| pair.into_iter()) {
            if let Some(packet) = slot.history.resend(sequence, slot.ssrc, payload_type)
                && let Some(mut sender) = pc.rtp_sender(slot.sender)
                && sender.write_rtp(now, packet).is_ok()
            {
                resent = true;
            }
        }
        if resent {
            self.touch(id);
        }
    }

    /// Asks a video's publisher for a keyframe of `layers` (a bit per layer): now, or when the
    /// interval since the last request ends.
    fn request_keyframe(&mut self, now: Instant, track: TrackId, layers: u8) {
        let Some(published) = self.tracks.get_mut(&track) else {
            return;
        };
        if published.state.kind != MediaKind::Video {
            return;
        }
        let requests = &mut published.keyframes;
        requests.pending |= layers;
        if requests.due.is_some() {
            return; // It goes out with the one that waits.
        }
        if let Some(last) = requests.last
            && now < last + KEYFRAME_REQUEST_INTERVAL
        {
            let due = last + KEYFRAME_REQUEST_INTERVAL;
            requests.due = Some(due);
            self.keyframe_timers.insert((due, track));
            return;
        }
        self.send_keyframe_request(now, track);
    }

    /// Sends a track's pending keyframe request: a PLI for each layer asked for that has
    /// arrived, or for its first stream.
    fn send_keyframe_request(&mut self, now: Instant, track: TrackId) {
        let Some(published) = self.tracks.get_mut(&track) else {
            return;
        };
        let requests = &mut published.keyframes;
        let layers = std::mem::take(&mut requests.pending);
        requests.last = Some(now);
        requests.due = None;
        let mut plis: Vec<Box<dyn rtc::rtcp::Packet>> = (0..LAYERS)
            .filter(|&l| layers & (1 << l) != 0)
            .filter_map(|l| published.state.layer_ssrc(l))
            .map(|ssrc| Box::new(PictureLossIndication { sender_ssrc: 0, media_ssrc: ssrc }) as _)
            .collect();
        if plis.is_empty() {
            plis.push(Box::new(PictureLossIndication { sender_ssrc: 0, media_ssrc: published.ssrc }));
        }
        let (publisher, receiver) = (published.publisher, published.receiver);
        if let Some(conn) = self.conns.get_mut(&publisher)
            && let Some(mut receiver) = conn.pc.rtp_receiver(receiver)
        {
            if let Err(e) = receiver.write_rtcp(now, plis) {
                tracing::debug!(track, error = %e, "cannot ask for a keyframe");
            }
            self.touch(publisher);
        }
    }

    /// Drains what the touched connections have to send and report, until nothing more moves.
    fn flush(&mut self, now: Instant) {
        while let Some(id) = self.touched.pop() {
            let Some(conn) = self.conns.get_mut(&id) else {
                continue;
            };
            conn.touched = false;
            while let Some(write) = conn.pc.poll_write() {
                self.outgoing.push((write.transport.peer_addr, write.message));
            }
            let next = conn.pc.poll_timeout();
            if conn.scheduled != next {
                if let Some(old) = conn.scheduled.take() {
                    self.timers.remove(&(old, id));
                }
                if let Some(at) = next {
                    self.timers.insert((at, id));
                }
                conn.scheduled = next;
            }
            // Events can make a connection read again (a track opened with packets behind it).
            self.deliver(now, id);
        }
    }

    /// Handles a connection's events.
    fn events(&mut self, now: Instant, id: ConnId) {
        let mut events = Vec::new();
        if let Some(conn) = self.conns.get_mut(&id) {
            while let Some(event) = conn.pc.poll_event() {
                events.push(event);
            }
        }
        for event in events {
            self.event(now, id, event);
        }
    }

    fn event(&mut self, now: Instant, id: ConnId, event: RTCPeerConnectionEvent) {
        match event {
            RTCPeerConnectionEvent::OnTrack(RTCTrackEvent::OnOpen(init)) => {
                let Some(conn) = self.conns.get_mut(&id) else { return };
                if conn.role != Pc::Publish {
                    return;
                }
                if let Some(track) = conn.received.get(&init.track_id) {
                    // Another layer of a video in layers.
                    if let Some(published) = self.tracks.get_mut(track) {
                        published.ingest.open(&published.state, init.ssrc, init.rid.as_deref());
                    }
                    return;
                }
                let Some((kind, level_extension)) = conn.pc.rtp_receiver(init.receiver_id).map(|mut receiver| {
                    if receiver.track().kind() != RtpCodecKind::Audio {
                        return (MediaKind::Video, None);
                    }
                    let extensions = &receiver.get_parameters().rtp_parameters.header_extensions;
                    (MediaKind::Audio, extensions.iter().find(|e| e.uri == AUDIO_LEVEL_URI).map(|e| e.id as u8))
                }) else {
                    return;
                };
                let state = Arc::new(TrackState::new(
                    conn.owner.participant,
                    kind,
                    conn.owner.heard.clone(),
                    &conn.listener_loss,
                ));
                let track = state.id;
                let mut ingest = Ingest::new(kind, level_extension, now);
                ingest.open(&state, init.ssrc, init.rid.as_deref());
                conn.received.insert(init.track_id, track);
                let _ = conn.events.send(ShardEvent::Published { conn: id, track, kind });
                self.levels
                    .lock()
                    .expect("the level map's lock is never held across a panic")
                    .insert(track, state.clone());
                self.tracks.insert(
                    track,
                    Published {
                        publisher: id,
                        receiver: init.receiver_id,
                        ssrc: init.ssrc,
                        state,
                        ingest,
                        keyframes: KeyframeRequests::default(),
                        forwards: Vec::new(),
                    },
                );
            }
            RTCPeerConnectionEvent::OnIceConnectionStateChangeEvent(state) => {
                tracing::debug!(conn = id, ?state, "media loop ICE state");
            }
            RTCPeerConnectionEvent::OnConnectionStateChangeEvent(state) => {
                let Some(conn) = self.conns.get_mut(&id) else { return };
                // Whose connection changed, as the engine's media task logs it.
                tracing::info!(participant = %conn.owner.participant, pc = ?conn.role, conn = id, ?state, "media connection state");
                // `Disconnected` is not down: media still leaves on the selected pair. A lite
                // agent only hears the browser's checks, and Chromium checks a pair it moved away
                // from every 25 s, so the pair the library keeps flips to `Disconnected` in
                // between while the browser receives everything (see `peer.rs`).
                let up = matches!(state, RTCPeerConnectionState::Connected | RTCPeerConnectionState::Disconnected);
                if state == RTCPeerConnectionState::Failed {
                    let _ = conn.events.send(ShardEvent::Failed { conn: id });
                } else if up != conn.connected {
                    let _ = conn.events.send(ShardEvent::Connected { conn: id, up });
                }
                let came_up = up && !conn.connected;
                conn.connected = up;
                if came_up && conn.role == Pc::Subscribe {
                    // What flows from now on starts with a keyframe.
                    let carried: Vec<(TrackId, u8)> = conn
                        .slots
                        .iter()
                        .filter_map(|slot| match slot.carries {
                            Some((track, true)) => Some((track, VideoSlot::keyframe_layers(slot.video.as_deref()))),
                            _ => None,
                        })
                        .collect();
                    for (track, layers) in carried {
                        self.request_keyframe(now, track, layers);
                    }
                }
            }
            _ => {}
        }
    }

    /// Runs the clocks of the connections whose deadline passed.
    fn expire(&mut self, now: Instant) {
        while let Some(&(at, id)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            let Some(conn) = self.conns.get_mut(&id) else { continue };
            conn.scheduled = None;
            self.timer_runs += 1;
            if let Err(e) = conn.pc.handle_timeout(now) {
                tracing::debug!(conn = id, error = %e, "a media connection's timer failed");
            }
            self.touch(id);
            self.deliver(now, id);
        }
        while let Some(&(at, track)) = self.keyframe_timers.first() {
            if at > now {
                break;
            }
            self.keyframe_timers.pop_first();
            self.send_keyframe_request(now, track);
        }
    }

    async fn send_outgoing(&mut self, fd: RawFd) {
        if self.outgoing.is_empty() {
            return;
        }
        let outgoing = std::mem::take(&mut self.outgoing);
        let datagrams: Vec<(SocketAddr, &[u8])> = outgoing.iter().map(|(to, bytes)| (*to, bytes.as_ref())).collect();
        let mut sent = 0;
        self.datagrams_out += datagrams.len() as u64;
        self.send_calls += datagrams.len().div_ceil(batch::BATCH) as u64;
        while sent < datagrams.len() {
            match self.socket.try_io(Interest::WRITABLE, || batch::send(fd, &datagrams, &mut sent)) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if self.socket.writable().await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "a media send failed");
                    break;
                }
            }
        }
        drop(datagrams);
        self.outgoing = outgoing;
        self.outgoing.clear();
    }
}

/// An ICE credential: letters and digits (RFC 8445 §5.3 allows these), from the OS's generator.
fn random_token(length: usize) -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// Keeps this thread on one CPU (a loop per core).
fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is empty; CPU_SET and sched_setaffinity only touch the set we pass.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            tracing::warn!(cpu, error = %std::io::Error::last_os_error(), "cannot pin the media loop");
        }
    }
}
