//! A headless participant: it speaks the signalling protocol over a real WebSocket and sends
//! and receives real RTP through the SFU, with the same media library the server uses. The
//! integration tests and the load harness (`ketentafel-load`) are built on it; the server
//! itself never uses it.
//!
//! It publishes synthetic audio (50 packets/s, with an audio level) and video (frames at 30/s
//! sized to a bitrate, keyframes on a schedule and on request) whose payloads are stamped
//! ([`payload`]), and records everything it receives ([`stats`]).

pub mod link;
pub mod payload;
mod sender;
pub mod stats;

use futures_util::{SinkExt, StreamExt};
use ketentafel::sfu::{ClientSubscriber, PayloadSink, ReceivedRtp, Sfu, SfuConfig};
use ketentafel::signalling::protocol::{
    Candidate, ClientMessage, E2eeKey, Participant as Member, Pc, ServerMessage, VERSION,
};
pub(crate) use sender::Publisher;
use stats::Received;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

use link::{Cap, Link, LinkCounters};
pub use sender::{MediaPlan, SentCounters};

/// Where and as whom to join.
#[derive(Debug, Clone)]
pub struct JoinConfig {
    /// `http://host:port` of the service.
    pub server: String,
    /// A session token (login or accepted invite).
    pub token: String,
    pub meeting_id: Uuid,
    /// What to publish; `None` publishes nothing.
    pub media: Option<MediaPlan>,
}

/// Why a headless participant could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error("WebSocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("the server refused: {0}")]
    Refused(String),
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    #[error("media: {0}")]
    Media(String),
}

/// A participant in a conference, driven by a test or the harness.
pub struct Participant {
    /// The id the room gave this participant.
    pub id: Uuid,
    /// When the WebSocket was open (the start of a join, for join-time figures).
    pub connected_at: Instant,
    /// Everything the server sent, for the caller to inspect.
    inbox: mpsc::UnboundedReceiver<ServerMessage>,
    outgoing: mpsc::UnboundedSender<ClientMessage>,
    pub received: Arc<Received>,
    pub sent: Arc<SentCounters>,
    /// What crossed the capped downlink, when it has one.
    pub downlink: Option<Arc<LinkCounters>>,
    task: JoinHandle<()>,
}

impl Participant {
    /// Connects, joins and (with a media plan) starts publishing at once, also from the lobby.
    pub async fn join(config: JoinConfig) -> Result<Participant, HeadlessError> {
        Self::join_with(config, None, None).await
    }

    /// Joins with everything the server sends it through a bottleneck of `cap` ([`link`]).
    pub async fn join_capped(config: JoinConfig, cap: Cap) -> Result<Participant, HeadlessError> {
        Self::join_with(config, None, Some(cap)).await
    }

    /// Joins, and hands every received packet to `tap` instead of the stamped-payload
    /// statistics (the SFU tap of docs/e2ee.md records what the server forwards).
    pub async fn join_tapped(config: JoinConfig, tap: PayloadSink) -> Result<Participant, HeadlessError> {
        Self::join_with(config, Some(tap), None).await
    }

    async fn join_with(
        config: JoinConfig,
        tap: Option<PayloadSink>,
        cap: Option<Cap>,
    ) -> Result<Participant, HeadlessError> {
        let link = match cap {
            Some(cap) => {
                Some(Link::start(cap).await.map_err(|e| HeadlessError::Media(format!("the capped link: {e}")))?)
            }
            None => None,
        };
        let url = format!("{}/ws", config.server.replacen("http", "ws", 1));
        let mut request = url.into_client_request()?;
        let bearer = format!("Bearer {}", config.token)
            .parse()
            .map_err(|_| HeadlessError::Refused("the token is not header text".into()))?;
        request.headers_mut().insert("authorization", bearer);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        let connected_at = Instant::now();
        // Headless participants announce the well-known headless key (they do not encrypt).
        let join =
            ClientMessage::Join { v: VERSION, meeting_id: config.meeting_id, e2ee_key: Some(E2eeKey::headless()) };
        socket.send(Message::Text(serde_json::to_string(&join).expect("messages serialise").into())).await?;
        let text = loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
                .await
                .map_err(|_| HeadlessError::Timeout("welcome"))?;
            match frame {
                // The server's liveness message may come before the welcome.
                Some(Ok(Message::Text(text))) if is_ping(text.as_str()) => continue,
                Some(Ok(Message::Text(text))) => break text,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                _ => return Err(HeadlessError::Refused("the connection closed".into())),
            }
        };
        let you = match serde_json::from_str::<ServerMessage>(text.as_str()) {
            Ok(ServerMessage::Welcome { you, .. }) => you,
            Ok(ServerMessage::Error { code, message }) => {
                return Err(HeadlessError::Refused(format!("{code}: {message}")));
            }
            Ok(other) => return Err(HeadlessError::Refused(format!("unexpected {other:?}"))),
            Err(e) => return Err(HeadlessError::Refused(e.to_string())),
        };
        let (outgoing, outbox) = mpsc::unbounded_channel();
        let (inbox_tx, inbox) = mpsc::unbounded_channel();
        let received = Arc::new(Received::default());
        let sent = Arc::new(SentCounters::default());
        let ice_check_interval =
            config.media.as_ref().map_or(SfuConfig::default().ice_check_interval, |plan| plan.ice_check_interval);
        let sfu = Sfu::new(SfuConfig { ice_check_interval, ..SfuConfig::default() });
        let publisher = match config.media {
            Some(plan) => Some(
                Publisher::start(&sfu, you.id, plan, sent.clone(), outgoing.clone())
                    .await
                    .map_err(HeadlessError::Media)?,
            ),
            None => None,
        };
        let downlink = link.as_ref().map(|link| link.counters.clone());
        let driver = Driver {
            sfu,
            outgoing: outgoing.clone(),
            inbox: inbox_tx,
            received: received.clone(),
            publisher,
            subscriber: None,
            tap,
            link,
        };
        let task = tokio::spawn(driver.run(socket, outbox));
        Ok(Participant { id: you.id, connected_at, inbox, outgoing, received, sent, downlink, task })
    }

    /// Sends a message to the server.
    pub fn send(&self, message: ClientMessage) {
        let _ = self.outgoing.send(message);
    }

    /// The next message from the server that `wanted` accepts (others are skipped).
    pub async fn expect<T>(
        &mut self,
        timeout: Duration,
        mut wanted: impl FnMut(&ServerMessage) -> Option<T>,
    ) -> Result<T, HeadlessError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let message = tokio::time::timeout_at(deadline, self.inbox.recv())
                .await
                .map_err(|_| HeadlessError::Timeout("a message"))?;
            let Some(message) = message else {
                return Err(HeadlessError::Refused("the connection closed".into()));
            };
            if let Some(found) = wanted(&message) {
                return Ok(found);
            }
        }
    }

    /// Waits until a chair admits this participant; returns who is in the room.
    pub async fn admitted(&mut self, timeout: Duration) -> Result<Vec<Member>, HeadlessError> {
        self.expect(timeout, |m| match m {
            ServerMessage::Admitted { participants } => Some(participants.clone()),
            _ => None,
        })
        .await
    }

    /// Leaves and closes the connection and media.
    pub async fn leave(self) {
        self.send(ClientMessage::Leave {});
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }

    /// Drops the connection without saying goodbye (a crash, a pulled cable).
    pub fn vanish(self) {
        self.task.abort();
    }
}

/// Owns the WebSocket and the connections of one headless participant.
struct Driver {
    sfu: Sfu,
    outgoing: mpsc::UnboundedSender<ClientMessage>,
    inbox: mpsc::UnboundedSender<ServerMessage>,
    received: Arc<Received>,
    publisher: Option<Publisher>,
    subscriber: Option<ClientSubscriber>,
    tap: Option<PayloadSink>,
    /// The capped downlink the subscribe connection goes through, if any.
    link: Option<Link>,
}

impl Driver {
    async fn run(
        mut self,
        mut socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
        mut outbox: mpsc::UnboundedReceiver<ClientMessage>,
    ) {
        loop {
            tokio::select! {
                frame = socket.next() => match frame {
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerMessage>(text.as_str()) {
                        Ok(ServerMessage::Ping) => {}
                        Ok(message) => self.handle(message).await,
                        Err(e) => tracing::warn!(error = %e, "headless: unreadable server message"),
                    },
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) | Some(Ok(Message::Binary(_))) | Some(Ok(Message::Frame(_))) => {}
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                },
                Some(message) = outbox.recv() => {
                    let leaving = matches!(message, ClientMessage::Leave {});
                    let text = serde_json::to_string(&message).expect("messages serialise");
                    if socket.send(Message::Text(text.into())).await.is_err() || leaving {
                        break;
                    }
                }
            }
        }
        let _ = socket.close(None).await;
        if let Some(publisher) = self.publisher.take() {
            publisher.close().await;
        }
        if let Some(subscriber) = self.subscriber.take() {
            subscriber.close().await;
        }
    }

    async fn handle(&mut self, mut message: ServerMessage) {
        // Through a capped link, the subscribe connection knows the server only as the relay.
        if let Some(link) = &self.link {
            match &mut message {
                ServerMessage::SubscribeOffer { sdp, .. } => *sdp = link.rewrite_offer(sdp),
                ServerMessage::IceCandidate { pc: Pc::Subscribe, candidate: Some(candidate) } => {
                    match link.rewrite_candidate(&candidate.candidate) {
                        Some(rewritten) => candidate.candidate = rewritten,
                        None => return,
                    }
                }
                _ => {}
            }
        }
        match &message {
            ServerMessage::PublishAnswer { sdp } => {
                if let Some(publisher) = &self.publisher
                    && let Err(e) = publisher.answer(sdp.clone()).await
                {
                    tracing::warn!(error = %e, "headless: publish answer refused");
                }
            }
            ServerMessage::SubscribeOffer { sdp, .. } => {
                if self.subscriber.is_none() {
                    let candidates = self.outgoing.clone();
                    let direct = self.link.is_none();
                    let on_candidate = Box::new(move |candidate: Candidate| {
                        if direct {
                            let _ = candidates
                                .send(ClientMessage::IceCandidate { pc: Pc::Subscribe, candidate: Some(candidate) });
                        }
                    });
                    let received = self.received.clone();
                    let tap = self.tap.clone();
                    let on_payload = Arc::new(move |packet: &ReceivedRtp<'_>| match &tap {
                        Some(tap) => tap(packet),
                        None => received.record(packet),
                    });
                    match self.sfu.client_subscriber(on_candidate, on_payload).await {
                        Ok(subscriber) => self.subscriber = Some(subscriber),
                        Err(e) => {
                            return tracing::warn!(error = %e, "headless: cannot build the subscribe connection");
                        }
                    }
                }
                if let Some(subscriber) = &self.subscriber {
                    match subscriber.answer(sdp.clone()).await {
                        Ok(answer) => {
                            let answer = match self.link {
                                Some(_) => without_candidates(&answer),
                                None => answer,
                            };
                            let _ = self.outgoing.send(ClientMessage::SubscribeAnswer { sdp: answer });
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "headless: cannot answer a subscribe offer")
                        }
                    }
                }
            }
            ServerMessage::IceCandidate { pc, candidate: Some(candidate) } => match pc {
                Pc::Publish => {
                    if let Some(publisher) = &self.publisher {
                        publisher.add_candidate(candidate.clone()).await;
                    }
                }
                Pc::Subscribe => {
                    if let Some(subscriber) = &self.subscriber {
                        subscriber.add_candidate(candidate.clone()).await;
                    }
                }
            },
            _ => {}
        }
        let _ = self.inbox.send(message);
    }
}

/// An SDP without its `a=candidate` lines.
fn without_candidates(sdp: &str) -> String {
    sdp.split_inclusive('\n').filter(|line| !line.starts_with("a=candidate:")).collect()
}

/// Whether a text frame is the server's liveness `ping` (it needs no answer).
fn is_ping(text: &str) -> bool {
    matches!(serde_json::from_str::<ServerMessage>(text), Ok(ServerMessage::Ping))
}
