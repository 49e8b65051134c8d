//! Relayed signalling: a participant's WebSocket reached node B, but node A hosts the
//! conference. B carries the connection's frames to A over NATS and A serves it exactly as if
//! the browser were connected to A (the same handler: authentication again, limits, the room,
//! the media negotiation — the ICE candidates and SDP are A's own, so the media flows between
//! the browser and A). Nobody has to know which node that is; a load balancer needs no sticky
//! sessions.
//!
//! A frame on NATS is one tag byte and its body: `t` text, `b` binary, `p` ping, `o` pong,
//! `c` close. A's connection pings every second as a direct one does; B closes the browser's
//! WebSocket when A has been silent for three pings (A died), and the browser reconnects —
//! to a node that then takes the conference over. A closes the relayed connection when B has
//! been silent as long (B died), as it would a browser's.

use super::Node;
use crate::auth::session;
use crate::secret::Secret;
use crate::signalling::Signalling;
use crate::signalling::frames::unreadable;
use crate::signalling::protocol::{Presence, Refusal};
use crate::signalling::state::PrincipalKey;
use crate::signalling::ws::{self, Relay};
use axum::extract::ws::{Message, WebSocket};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// B's request to A: take this connection.
#[derive(Serialize, Deserialize)]
struct Open {
    conn: Uuid,
    credential: String,
    first: String,
}

/// How long B waits for A to take a connection.
const OPEN_TIMEOUT: Duration = Duration::from_secs(3);

fn encode(message: Message) -> Bytes {
    let (tag, body): (u8, &[u8]) = match &message {
        Message::Text(text) => (b't', text.as_bytes()),
        Message::Binary(bytes) => (b'b', bytes),
        Message::Ping(_) => (b'p', &[]),
        Message::Pong(_) => (b'o', &[]),
        Message::Close(_) => (b'c', &[]),
    };
    let mut frame = Vec::with_capacity(body.len() + 1);
    frame.push(tag);
    frame.extend_from_slice(body);
    frame.into()
}

fn decode(frame: &[u8]) -> Option<Message> {
    let (&tag, body) = frame.split_first()?;
    Some(match tag {
        b't' => Message::Text(String::from_utf8(body.to_vec()).ok()?.into()),
        b'b' => Message::Binary(Bytes::copy_from_slice(body)),
        b'p' => Message::Ping(Bytes::new()),
        b'o' => Message::Pong(Bytes::new()),
        b'c' => Message::Close(None),
        _ => return None,
    })
}

/// B's side: carries connections to the node that hosts their conference.
#[derive(Debug, Clone)]
pub struct Carrier {
    node: Node,
    /// The nodes' ping interval: three of silence from the host and the connection closes.
    ping: Duration,
}

impl Carrier {
    pub fn new(node: Node, ping: Duration) -> Self {
        Carrier { node, ping }
    }

    async fn run(self, host: String, credential: Secret, first: String, socket: WebSocket) {
        let (mut sink, mut stream) = socket.split();
        let nats = &self.node.nats;
        let conn = Uuid::new_v4();
        let opened = async {
            let down = nats.subscribe(self.node.down_subject(conn)).await.ok()?;
            let open = Open { conn, credential: credential.expose().to_owned(), first };
            let open = serde_json::to_vec(&open).expect("an open request serialises");
            let answer =
                tokio::time::timeout(OPEN_TIMEOUT, nats.request(self.node.open_subject(&host), open.into())).await;
            matches!(answer, Ok(Ok(reply)) if reply.payload.as_ref() == b"ok").then_some(down)
        };
        let Some(mut down) = opened.await else {
            tracing::warn!(node = host, "the node that hosts a conference did not take a relayed connection");
            let refusal = Refusal::unavailable();
            let text = serde_json::to_string(&refusal.to_message()).expect("server messages serialise");
            let _ = sink.send(Message::Text(text.into())).await;
            let _ = sink.send(Message::Close(None)).await;
            return;
        };
        tracing::debug!(node = host, "a connection relayed to the conference's host");
        let up = self.node.up_subject(conn);
        let mut heard = Instant::now();
        let mut watch = tokio::time::interval(self.ping);
        loop {
            tokio::select! {
                frame = stream.next() => match frame {
                    Some(Ok(Message::Ping(_))) => {}
                    Some(Ok(message @ Message::Close(_))) | Some(Ok(message @ (Message::Text(_) | Message::Binary(_) | Message::Pong(_)))) => {
                        let closing = matches!(message, Message::Close(_));
                        let _ = nats.publish(up.clone(), encode(message)).await;
                        if closing {
                            break;
                        }
                    }
                    None | Some(Err(_)) => {
                        if let Some(Err(error)) = frame
                            && let Some(refusal) = unreadable(error)
                        {
                            let text = serde_json::to_string(&refusal.to_message()).expect("server messages serialise");
                            let _ = sink.send(Message::Text(text.into())).await;
                        }
                        let _ = nats.publish(up.clone(), encode(Message::Close(None))).await;
                        break;
                    }
                },
                frame = down.next() => {
                    let Some(message) = frame.and_then(|m| decode(&m.payload)) else { break };
                    heard = Instant::now();
                    let closing = matches!(message, Message::Close(_));
                    if sink.send(message).await.is_err() || closing {
                        let _ = nats.publish(up.clone(), encode(Message::Close(None))).await;
                        break;
                    }
                }
                _ = watch.tick() => if heard.elapsed() > self.ping * 3 {
                    tracing::warn!(node = host, "the host of a relayed connection went silent; the browser reconnects");
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                },
            }
        }
        let _ = nats.flush().await;
    }
}

impl Relay for Carrier {
    fn carry(&self, node: String, credential: Secret, first: String, socket: WebSocket) -> BoxFuture<'static, ()> {
        Box::pin(self.clone().run(node, credential, first, socket))
    }

    fn presence(&self, host: String, meeting: Uuid) -> BoxFuture<'static, Vec<(PrincipalKey, Presence)>> {
        let node = self.node.clone();
        Box::pin(async move {
            let ask = node.nats.request(node.presence_subject(&host), meeting.to_string().into());
            match tokio::time::timeout(OPEN_TIMEOUT, ask).await {
                Ok(Ok(answer)) => serde_json::from_slice(&answer.payload).unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "an unreadable presence answer from another node");
                    Vec::new()
                }),
                _ => {
                    tracing::warn!(node = host, "the node that hosts a conference did not say who is where");
                    Vec::new()
                }
            }
        })
    }
}

/// A's side: takes the connections other nodes relay to this one, and serves them, until
/// `stop` (the connections it serves close with the rooms).
pub async fn accept(
    node: &Node,
    state: Signalling,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, super::ClusterError> {
    let opens = node.nats.subscribe(node.open_subject(&node.id)).await?.map(Ask::Open);
    let presence = node.nats.subscribe(node.presence_subject(&node.id)).await?.map(Ask::Presence);
    let mut asks = futures_util::stream::select(opens, presence);
    let (nats, node) = (node.nats.clone(), node.clone());
    Ok(tokio::spawn(async move {
        while let Some(Some(ask)) = stop.run_until_cancelled(asks.next()).await {
            let (nats, state, node) = (nats.clone(), state.clone(), node.clone());
            let request = match ask {
                Ask::Open(request) => request,
                Ask::Presence(request) => {
                    tokio::spawn(answer_presence(nats, state, request));
                    continue;
                }
            };
            tokio::spawn(async move {
                let Some(reply) = request.reply else { return };
                let Ok(open) = serde_json::from_slice::<Open>(&request.payload) else {
                    tracing::warn!("an unreadable relayed connection");
                    let _ = nats.publish(reply, "refused".into()).await;
                    return;
                };
                let principal = match session::authenticate(&state.cx, &open.credential).await {
                    Ok(Some((principal, _))) if principal.ready().is_ok() => principal,
                    Ok(_) => {
                        tracing::info!("a relayed connection whose session is no longer valid");
                        let _ = nats.publish(reply, "refused".into()).await;
                        return;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot check a relayed connection's session");
                        let _ = nats.publish(reply, "refused".into()).await;
                        return;
                    }
                };
                let Ok(up) = nats.subscribe(node.up_subject(open.conn)).await else { return };
                if nats.publish(reply, "ok".into()).await.is_err() {
                    return;
                }
                let stream = futures_util::stream::iter([Ok(Message::Text(open.first.into()))])
                    .chain(up.filter_map(|m| std::future::ready(decode(&m.payload).map(Ok))));
                let down = node.down_subject(open.conn);
                let sink = futures_util::sink::unfold((nats, down), |(nats, down), message: Message| async move {
                    nats.publish(down.clone(), encode(message)).await.map_err(axum::Error::new)?;
                    Ok::<_, axum::Error>((nats, down))
                });
                ws::serve(state, principal, Box::pin(sink), Box::pin(stream)).await;
            });
        }
    }))
}

enum Ask {
    Open(async_nats::Message),
    Presence(async_nats::Message),
}

/// Says who is where in a conference hosted here (nobody, when it does not run here).
async fn answer_presence(nats: async_nats::Client, state: Signalling, request: async_nats::Message) {
    let Some(reply) = request.reply else { return };
    let meeting = std::str::from_utf8(&request.payload).ok().and_then(|id| id.parse::<Uuid>().ok());
    let presence = match meeting {
        Some(meeting) => state.rooms.presence(meeting).await,
        None => Vec::new(),
    };
    let answer = serde_json::to_vec(&presence).expect("presence serialises");
    let _ = nats.publish(reply, answer.into()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_the_trip() {
        for message in [
            Message::Text("{\"type\":\"ping\"}".into()),
            Message::Binary(Bytes::from_static(&[0, 1, 2])),
            Message::Ping(Bytes::new()),
            Message::Pong(Bytes::new()),
            Message::Close(None),
        ] {
            assert_eq!(decode(&encode(message.clone())), Some(message));
        }
        assert_eq!(decode(b""), None, "an empty frame is nothing");
        assert_eq!(decode(b"x"), None, "an unknown tag is nothing");
        assert_eq!(decode(b"t\xff"), None, "text must be UTF-8");
    }
}
