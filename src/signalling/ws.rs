//! `GET /ws`: one WebSocket per participant. The connection authenticates, joins a room, then
//! reads messages (limited in size and rate), hands media negotiation to the participant's
//! SFU peer and everything else to the room, and writes what the room and the SFU send back.
//! A connection that stops answering pings is closed and its participant leaves.

use super::Signalling;
use super::frames::{FLOOD_LIMIT, MAX_FRAME_BYTES, RateLimit, unreadable};
use super::protocol::{self, ClientMessage, MeetingInfo, Refusal, ServerMessage};
use super::room::{Joined, Outgoing};
use super::rooms::{Host, RoomLink};
use super::state::{Joining, PrincipalKey};
use crate::auth::{Principal, session};
use crate::domain::InviteKind;
use crate::error::Error;
use crate::events::AccessChange;
use crate::meetings::{self, Viewer, invites};
use crate::secret::Secret;
use crate::sfu::ClientSignal;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    /// For clients that cannot set headers: the session token.
    access_token: Option<String>,
}

/// The upgrade: authenticated by the session cookie, a bearer token or `?access_token=`, and
/// only from our own origin (a page elsewhere cannot ride on a user's cookie).
pub async fn upgrade(
    State(state): State<Signalling>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    extensions: axum::http::Extensions,
    ws: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers) {
        return Error::Forbidden("WebSocket from another origin").into_response();
    }
    let principal = match (extensions.get::<Principal>(), query.access_token.clone()) {
        (Some(principal), _) => principal.clone(),
        (None, Some(token)) => match session::authenticate(&state.cx, &token).await {
            Ok(Some((principal, _))) => principal,
            Ok(None) => {
                return Error::Unauthorized("the session token is not valid").into_response();
            }
            Err(e) => return Error::from(e).into_response(),
        },
        (None, None) => {
            return Error::Unauthorized("log in first, or open your invite link").into_response();
        }
    };
    if let Err(e) = principal.ready() {
        return e.into_response();
    }
    // What a relay hands to the node that hosts the conference, which authenticates it again.
    let credential = query
        .access_token
        .or_else(|| session::token_from_headers(&headers, state.cx.settings.secure_cookies))
        .map(crate::secret::Secret::new);
    ws.max_message_size(MAX_FRAME_BYTES).on_upgrade(move |socket| route(state, principal, credential, socket))
}

/// The other nodes, reached over the nodes' bus: the one that hosts a conference takes its
/// connections and says who is where in it.
pub trait Relay: Send + Sync + std::fmt::Debug {
    /// Carries `socket` to node `node` until either side closes. `first` is the connection's
    /// first message (its `join`), `credential` the session token it was authenticated with.
    fn carry(&self, node: String, credential: Secret, first: String, socket: WebSocket) -> BoxFuture<'static, ()>;
    /// Where everyone connected to conference `meeting` is, asked of node `node` that hosts
    /// it; empty when it does not answer.
    fn presence(
        &self,
        node: String,
        meeting: uuid::Uuid,
    ) -> BoxFuture<'static, Vec<(PrincipalKey, protocol::Presence)>>;
}

/// With several nodes, the first message (the `join`) says which conference the connection is
/// for; when another node hosts it, the connection is relayed there whole (that node runs the
/// room and the media). Otherwise, and with one node, the connection is served here.
async fn route(state: Signalling, principal: Principal, credential: Option<Secret>, socket: WebSocket) {
    let (Some(relay), Some(credential)) = (state.relay.clone(), credential) else {
        let (sink, stream) = socket.split();
        return serve(state, principal, sink, stream).await;
    };
    let mut socket = socket;
    let first = match tokio::time::timeout(state.cx.settings.ws_ping * 3, socket.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) => text,
        Ok(Some(Ok(other))) => {
            // Not a join: served here, which answers it as it deserves.
            let (sink, stream) = socket.split();
            return serve(state, principal, sink, futures_util::stream::iter([Ok(other)]).chain(stream)).await;
        }
        Ok(Some(Err(_)) | None) | Err(_) => return,
    };
    if let Some(node) = hosted_elsewhere(&state, &principal, first.as_str()).await {
        return relay.carry(node, credential, first.as_str().to_owned(), socket).await;
    }
    let (sink, stream) = socket.split();
    serve(state, principal, sink, futures_util::stream::iter([Ok(Message::Text(first))]).chain(stream)).await;
}

/// The node that hosts the conference a `join` names, when it is another node and the caller
/// may enter it (nobody makes a node take a conference he may not see).
async fn hosted_elsewhere(state: &Signalling, principal: &Principal, first: &str) -> Option<String> {
    let Ok(ClientMessage::Join { meeting_id, .. }) = protocol::parse(first) else { return None };
    match meetings::load(&state.cx, principal, meeting_id).await {
        Ok((_, _, viewer)) if invites::may_enter(&viewer).is_ok() => {}
        _ => return None,
    }
    match state.rooms.host(meeting_id).await {
        Host::Elsewhere(node) => Some(node),
        Host::Here | Host::Unknown => None,
    }
}

/// Browsers send `Origin`; it must name the host the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin.split_once("://").map(|(_, rest)| rest) == Some(host)
}

struct Session {
    state: Signalling,
    principal: Principal,
    outgoing: mpsc::Sender<Outgoing>,
    signals: mpsc::UnboundedSender<ClientSignal>,
    joined: Option<(Joined, RoomLink)>,
    /// The conference joined, its case, and whether the caller chairs it (to notice a change).
    place: Option<(uuid::Uuid, uuid::Uuid, bool)>,
    /// For the client: the only purpose he may read (the plain-language one the chair wrote for
    /// him). The room's welcome carries the professionals' purpose; the writer puts this in
    /// its place before it leaves the server.
    client_purpose: ClientPurpose,
}

/// Shared between a client's connection and its writer (see `Session::client_purpose`).
type ClientPurpose = std::sync::Arc<std::sync::Mutex<Option<String>>>;

/// What a participant may read of a message: a client's welcome names his own purpose.
fn for_reader(mut message: ServerMessage, client_purpose: &ClientPurpose) -> ServerMessage {
    if let ServerMessage::Welcome { meeting, .. } = &mut message
        && let Some(purpose) = client_purpose.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
    {
        meeting.purpose.clone_from(purpose);
    }
    message
}

/// How many pings a WebSocket may stay silent while the participant's media still arrives.
/// On a weak link that just got worse (the `weak` e2e story: 3 Mbit/s of video meeting a
/// 500 kbit/s link) the queue drops most of what crosses it for a second or two, and TCP's
/// retransmission timer backs off (0.2, 0.4, 0.8, 1.6 s): the WebSocket went silent for over
/// three seconds while the participant's audio kept coming, and closing it sent them through
/// a rejoin. Without media (the network gone), three pings still close it, so the others see
/// "reconnecting" as soon as before.
const SILENT_PINGS_WITH_MEDIA: u32 = 10;

/// Whether a WebSocket silent for `silent` is taken for dead: after three pings, or after
/// [`SILENT_PINGS_WITH_MEDIA`] while the participant's `media` still arrives.
fn stopped_answering(silent: Duration, media: bool, ping: Duration) -> bool {
    silent > ping * if media { SILENT_PINGS_WITH_MEDIA } else { 3 }
}

/// Serves a participant's connection on this node: `sink` and `stream` are the two halves of
/// the browser's WebSocket, or of a connection relayed from another node.
pub async fn serve<Si, St>(state: Signalling, principal: Principal, mut sink: Si, mut stream: St)
where
    Si: futures_util::Sink<Message, Error = axum::Error> + Unpin + Send + 'static,
    St: futures_util::Stream<Item = Result<Message, axum::Error>> + Unpin + Send,
{
    let (outgoing, mut outbox) = mpsc::channel::<Outgoing>(256);
    let (signals, mut signal_inbox) = mpsc::unbounded_channel::<ClientSignal>();
    let ping = state.cx.settings.ws_ping;
    let client_purpose = ClientPurpose::default();
    let for_writer = client_purpose.clone();
    let writer = tokio::spawn(async move {
        let mut pinger = tokio::time::interval(ping);
        loop {
            tokio::select! {
                next = outbox.recv() => match next {
                    Some(Outgoing::Message(message)) => {
                        let message = for_reader(message, &for_writer);
                        let text = serde_json::to_string(&message).expect("server messages serialise");
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            break;
                        }
                    }
                    Some(Outgoing::Close) | None => {
                        let _ = sink.send(Message::Close(None)).await;
                        break;
                    }
                },
                _ = pinger.tick() => {
                    // A protocol ping keeps the server's side alive (browsers answer it
                    // themselves); the `ping` message is what a page can see and time out on.
                    let text = serde_json::to_string(&ServerMessage::Ping).expect("server messages serialise");
                    if sink.send(Message::Ping(Default::default())).await.is_err()
                        || sink.send(Message::Text(text.into())).await.is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    let mut session = Session { state, principal, outgoing, signals, joined: None, place: None, client_purpose };
    let mut limit = RateLimit::new(Instant::now());
    let mut last_seen = Instant::now();
    let mut liveness = tokio::time::interval(ping);
    let mut access = session.state.cx.events.subscribe_access();
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.reset();
    loop {
        tokio::select! {
            change = access.recv() => {
                let relevant = match change {
                    Ok(change) => session.concerns(change),
                    Err(_) => true, // Missed some: check anyway.
                };
                if relevant && !session.still_allowed().await {
                    break;
                }
            }
            _ = recheck.tick() => if !session.still_allowed().await {
                break;
            },
            frame = stream.next() => {
                last_seen = Instant::now();
                match frame {
                    // Every message counts against the rate, whatever its kind: a binary frame
                    // costs us as much to answer as a text one.
                    Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                        if !limit.allow(last_seen) {
                            if limit.refused > FLOOD_LIMIT {
                                tracing::info!(refused = limit.refused, "closing a WebSocket that keeps flooding");
                                session.refuse(Refusal::new("rate_limited", "too many messages; the connection closes")).await;
                                break;
                            }
                            session.refuse(Refusal::new("rate_limited", "too many messages; slow down")).await;
                            continue;
                        }
                        let Message::Text(text) = message else {
                            session.refuse(Refusal::new("malformed", "messages are JSON text")).await;
                            continue;
                        };
                        if session.text(text.as_str()).await.is_break() {
                            break;
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Err(error)) => {
                        if let Some(refusal) = unreadable(error) {
                            session.refuse(refusal).await;
                        }
                        break;
                    }
                }
            }
            Some(signal) = signal_inbox.recv() => session.send(match signal {
                ClientSignal::Candidate { pc, candidate } => ServerMessage::IceCandidate { pc, candidate },
                ClientSignal::SubscribeOffer { sdp, tracks } => ServerMessage::SubscribeOffer { sdp, tracks },
                ClientSignal::MediaFailed { pc } => ServerMessage::Error {
                    code: "media_failed".into(),
                    message: format!("the {pc:?} media connection failed; rejoin to recover").to_lowercase(),
                },
                ClientSignal::VideoState { owner, paused } => ServerMessage::VideoState { participant_id: owner, paused },
            }).await,
            _ = liveness.tick() => {
                let media = session.joined.as_ref().is_some_and(|(joined, _)| joined.peer.media_heard_within(ping * 3));
                if stopped_answering(last_seen.elapsed(), media, ping) {
                    tracing::info!(media, "closing a WebSocket that stopped answering");
                    break;
                }
            },
        }
    }
    if let Some((_, link)) = &session.joined {
        link.disconnected();
    }
    let _ = session.outgoing.try_send(Outgoing::Close);
    drop(session);
    let _ = writer.await;
}

/// How often a connection checks that its caller may still be in the conference (a session
/// can also simply expire).
const RECHECK: Duration = Duration::from_secs(60);

impl Session {
    /// Whether an access change may affect this connection.
    fn concerns(&self, change: AccessChange) -> bool {
        match change {
            AccessChange::Session(id) => id == self.principal.session_id(),
            AccessChange::User(id) => matches!(&self.principal, Principal::User(u) if u.user.id == id),
            AccessChange::Case(id) => self.place.is_some_and(|(_, case, _)| case == id),
        }
    }

    /// Checks again that the caller may be here, as they are: a session that ended, an account
    /// that was deactivated or taken off the case, or a chair who is no longer one, is shown out
    /// (a changed chair may come straight back in with the new rights).
    async fn still_allowed(&mut self) -> bool {
        let Some((meeting_id, _, chaired)) = self.place else { return true };
        let fresh = match session::refresh(&self.state.cx, &self.principal).await {
            Ok(Some(fresh)) => fresh,
            Ok(None) => return self.show_out("your session has ended").await,
            Err(e) => {
                tracing::error!(error = %e, "cannot check a participant's access");
                return true;
            }
        };
        match meetings::load(&self.state.cx, &fresh, meeting_id).await {
            Ok((meeting, _, viewer)) if invites::may_enter(&viewer).is_ok() => {
                if viewer.chairs(&meeting) != chaired {
                    self.refuse(Refusal::new("rights_changed", "your rights changed; join again")).await;
                    return false;
                }
                self.principal = fresh;
                true
            }
            Ok(_) | Err(_) => self.show_out("you may no longer take part in this conference").await,
        }
    }

    async fn show_out(&mut self, why: &str) -> bool {
        tracing::info!(reason = why, "a participant lost access and leaves the conference");
        self.send(ServerMessage::Removed).await;
        // Gone for good, not a dropped connection: no seat is held for them.
        if let Some((_, link)) = &self.joined {
            link.message(ClientMessage::Leave {});
        }
        false
    }

    async fn send(&self, message: ServerMessage) {
        let _ = self.outgoing.send(Outgoing::Message(message)).await;
    }

    async fn refuse(&self, refusal: Refusal) {
        tracing::debug!(code = refusal.code, "signalling message refused");
        self.send(refusal.to_message()).await;
    }

    /// Handles one text frame; `Break` ends the connection.
    async fn text(&mut self, text: &str) -> std::ops::ControlFlow<()> {
        let message = match protocol::parse(text) {
            Ok(message) => message,
            Err(refusal) => {
                self.refuse(refusal).await;
                return std::ops::ControlFlow::Continue(());
            }
        };
        let Some((joined, link)) = &self.joined else {
            return match message {
                ClientMessage::Join { v, meeting_id, e2ee_key } if v == protocol::VERSION => {
                    self.join(meeting_id, e2ee_key).await
                }
                ClientMessage::Join { v, .. } => {
                    self.refuse(Refusal::new(
                        "unsupported_version",
                        format!("this server speaks version {}, not {v}", protocol::VERSION),
                    ))
                    .await;
                    std::ops::ControlFlow::Continue(())
                }
                _ => {
                    self.refuse(Refusal::new("out_of_order", "send `join` first")).await;
                    std::ops::ControlFlow::Continue(())
                }
            };
        };
        match message {
            ClientMessage::PublishOffer { sdp } => match joined.peer.publish_offer(sdp).await {
                Ok(sdp) => self.send(ServerMessage::PublishAnswer { sdp }).await,
                Err(e) => self.refuse(Refusal::new(e.code(), e.to_string())).await,
            },
            ClientMessage::SubscribeAnswer { sdp } => {
                if let Err(e) = joined.peer.subscribe_answer(sdp).await {
                    self.refuse(Refusal::new(e.code(), e.to_string())).await;
                }
            }
            ClientMessage::IceCandidate { pc, candidate: Some(candidate) } => joined.peer.add_candidate(pc, candidate),
            ClientMessage::IceCandidate { candidate: None, .. } => {}
            ClientMessage::VideoView { views } if views.len() > protocol::MAX_VIDEO_VIEWS => {
                let said = format!("at most {} videos per video_view", protocol::MAX_VIDEO_VIEWS);
                self.refuse(Refusal::new("malformed", said)).await;
            }
            ClientMessage::VideoView { views } => {
                joined.peer.video_view(views.into_iter().map(|v| (v.participant_id, v.height)).collect())
            }
            ClientMessage::Leave {} => {
                link.message(ClientMessage::Leave {});
                return std::ops::ControlFlow::Break(());
            }
            other => link.message(other),
        }
        std::ops::ControlFlow::Continue(())
    }

    async fn join(&mut self, meeting_id: uuid::Uuid, e2ee_key: Option<protocol::E2eeKey>) -> std::ops::ControlFlow<()> {
        let state = self.state.clone();
        let (meeting, case, viewer) = match meetings::load(&state.cx, &self.principal, meeting_id).await {
            Ok(loaded) => loaded,
            Err(e) => {
                if let Error::Internal(source) = &e {
                    tracing::error!(error = %source, "cannot load a conference to join");
                }
                self.refuse(Refusal::from(&e)).await;
                return std::ops::ControlFlow::Continue(());
            }
        };
        if meeting.finalised_at.is_some() {
            self.refuse(Refusal::new("meeting_closed", "the minutes of this conference are final; it is over")).await;
            return std::ops::ControlFlow::Continue(());
        }
        if case.status == crate::domain::CaseStatus::Closed {
            self.refuse(Refusal::new("case_closed", "this case is closed")).await;
            return std::ops::ControlFlow::Continue(());
        }
        if let Err(e) = invites::may_enter(&viewer) {
            self.refuse(Refusal::from(&e)).await;
            return std::ops::ControlFlow::Break(());
        }
        if viewer.kind() == InviteKind::Client {
            *self.client_purpose.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(meetings::purpose_for(&meeting, InviteKind::Client));
        }
        let joining = joining(&viewer, &meeting, state.rooms.next_conn(), e2ee_key);
        let info = MeetingInfo {
            id: meeting.id,
            purpose: meeting.purpose.clone(),
            scheduled_at: meeting.scheduled_at,
            status: meeting.status,
        };
        let now = state.cx.clock.now();
        let audit = viewer.principal().audit(now, "meeting.join", Some(case.id), Some(("meeting", meeting.id)), None);
        if let Err(e) = state.cx.store.record_audit(&audit).await {
            tracing::error!(error = %e, "cannot audit a join");
            self.refuse(Refusal::new("internal", "try again")).await;
            return std::ops::ControlFlow::Continue(());
        }
        let started = std::time::Instant::now();
        let joined = state.rooms.join(&info, case.id, joining, self.outgoing.clone(), self.signals.clone()).await;
        state.cx.metrics.joins.observe(started.elapsed().as_secs_f64());
        match joined {
            Some(joined) => {
                self.joined = Some(joined);
                self.place = Some((meeting.id, case.id, viewer.chairs(&meeting)));
                std::ops::ControlFlow::Continue(())
            }
            // The room sent its refusal and closes the connection.
            None => std::ops::ControlFlow::Continue(()),
        }
    }
}

/// Who someone is in the room.
fn joining(
    viewer: &Viewer,
    meeting: &crate::storage::models::Meeting,
    conn: u64,
    e2ee_key: Option<protocol::E2eeKey>,
) -> Joining {
    let chair = viewer.chairs(meeting);
    match viewer {
        Viewer::Staff { user, .. } => Joining {
            key: PrincipalKey::User(user.user.id),
            conn,
            name: user.user.name.clone(),
            organisation: Some(user.user.organisation_name.clone()),
            role: user.user.role.to_string(),
            kind: InviteKind::Member,
            chair,
            e2ee_key,
        },
        Viewer::Invitee(invitee) => Joining {
            key: PrincipalKey::Invite(invitee.invite.id),
            conn,
            name: invitee.invite.name.clone(),
            organisation: invitee.invite.organisation_name.clone(),
            role: invitee.invite.kind.to_string(),
            kind: invitee.invite.kind,
            chair,
            e2ee_key,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_websocket_is_dead_after_three_pings_or_ten_while_media_arrives() {
        let ping = Duration::from_secs(1);
        assert!(!stopped_answering(Duration::from_millis(2_900), false, ping));
        assert!(stopped_answering(Duration::from_millis(3_100), false, ping), "the network gone");
        assert!(!stopped_answering(Duration::from_millis(3_100), true, ping), "a weak link: the media still arrives");
        assert!(!stopped_answering(Duration::from_millis(9_900), true, ping));
        assert!(stopped_answering(Duration::from_millis(10_100), true, ping), "but not for ever");
    }
}
