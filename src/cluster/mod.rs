//! Several nodes serving one region together (docs/operations.md, "Several nodes"): one
//! PostgreSQL, which holds which node hosts which conference ([`lease`]), and one NATS server,
//! which carries what the nodes tell each other — case events and access changes ([`bus`]) and
//! the signalling of participants whose WebSocket reached another node than the conference's
//! host ([`relay`]). A node needs nothing more than the database URL and `--nats-url`.
//!
//! Subjects, all under the deployment's prefix (`--nats-prefix`, `ketentafel` by default; one
//! per region when regions share a NATS server):
//! - `events.case`, `events.access`: every node publishes and every node listens;
//! - `node.<id>.alive`: a node answers it while it runs (the others ask before relaying to it);
//! - `node.<id>.open`: a relayed connection asks the host to take it;
//! - `node.<id>.presence`: who is where in a conference the node hosts (the chair's invite list
//!   asks, whichever node serves it);
//! - `conn.<uuid>.up`, `conn.<uuid>.down`: a relayed connection's frames, each way.

pub mod bus;
pub mod lease;
pub mod relay;

use crate::secret::Secret;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// This node among the others.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub nats: async_nats::Client,
    /// The first part of every subject: one per deployment (region) sharing a NATS server.
    prefix: String,
}

/// Why a node could not join the others.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("several nodes need PostgreSQL (DATABASE_URL=postgres://…); SQLite serves one node")]
    NotPostgres,
    #[error("cannot connect to NATS: {0}")]
    Connect(#[from] async_nats::ConnectError),
    #[error("NATS: {0}")]
    Subscribe(#[from] async_nats::SubscribeError),
    #[error("--node-id: letters, digits, - and _ only, 1 to 63 of them (it names NATS subjects)")]
    NodeId,
    #[error("--nats-url is not a URL")]
    Url,
    #[error("--nats-prefix: words of letters, digits, - and _, joined by dots")]
    Prefix,
}

impl Node {
    /// Connects to NATS as node `id` (a fresh name when none is configured).
    pub async fn connect(url: &Secret, id: Option<String>, prefix: &str) -> Result<Node, ClusterError> {
        let id = id.unwrap_or_else(default_id);
        if !token(&id) {
            return Err(ClusterError::NodeId);
        }
        if !prefix.split('.').all(token) {
            return Err(ClusterError::Prefix);
        }
        let (url, login) = split_login(url.expose())?;
        let mut options = async_nats::ConnectOptions::new();
        if let Some((user, password)) = login {
            options = options.user_and_password(user, password);
        }
        let nats = options
            .name(format!("ketentafel {id}"))
            .connection_timeout(Duration::from_secs(5))
            // Keep trying for ever: a node without NATS is not ready (/readyz) and gives up its
            // conferences, but comes back as soon as NATS does.
            .retry_on_initial_connect()
            .event_callback(|event| async move {
                match event {
                    async_nats::Event::Connected => tracing::info!("NATS connected"),
                    async_nats::Event::Disconnected => tracing::warn!("NATS disconnected"),
                    other => tracing::info!(event = %other, "NATS"),
                }
            })
            .connect(url.as_str())
            .await?;
        Ok(Node { id, nats, prefix: prefix.to_owned() })
    }

    /// Whether this node's NATS connection is up.
    pub fn connected(&self) -> bool {
        self.nats.connection_state() == async_nats::connection::State::Connected
    }

    /// Answers other nodes' "are you there?" until `stop`.
    pub async fn answer_alive(&self, stop: CancellationToken) -> Result<tokio::task::JoinHandle<()>, ClusterError> {
        use futures_util::StreamExt;
        let mut asks = self.nats.subscribe(self.alive_subject(&self.id)).await?;
        let nats = self.nats.clone();
        Ok(tokio::spawn(async move {
            while let Some(Some(ask)) = stop.run_until_cancelled(asks.next()).await {
                if let Some(reply) = ask.reply {
                    let _ = nats.publish(reply, "yes".into()).await;
                }
            }
        }))
    }

    /// Whether node `id` answers within half a second.
    pub async fn alive(&self, id: &str) -> bool {
        let ask = self.nats.request(self.alive_subject(id), "".into());
        matches!(tokio::time::timeout(Duration::from_millis(500), ask).await, Ok(Ok(_)))
    }
}

/// The URL without its user and password, and those (percent-decoded): the client takes them
/// only as options, and they must not travel in logs with the URL.
fn split_login(url: &str) -> Result<(url::Url, Option<(String, String)>), ClusterError> {
    let mut url = url::Url::parse(url).map_err(|_| ClusterError::Url)?;
    if url.username().is_empty() {
        return Ok((url, None));
    }
    let decode = |part: &str| percent_encoding::percent_decode_str(part).decode_utf8_lossy().into_owned();
    let login = (decode(url.username()), decode(url.password().unwrap_or("")));
    url.set_username("").map_err(|()| ClusterError::Url)?;
    url.set_password(None).map_err(|()| ClusterError::Url)?;
    Ok((url, Some(login)))
}

/// Whether `word` may be one part of a NATS subject here.
fn token(word: &str) -> bool {
    (1..=63).contains(&word.len()) && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A node name: the host name and a random suffix (two processes on one host differ).
fn default_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    let host: String = host.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    if host.is_empty() { format!("node-{suffix}") } else { format!("{host}-{suffix}") }
}

/// The NATS subjects (see the module's documentation), under the deployment's prefix.
impl Node {
    pub(crate) fn case_events(&self) -> String {
        format!("{}.events.case", self.prefix)
    }

    pub(crate) fn access_events(&self) -> String {
        format!("{}.events.access", self.prefix)
    }

    pub(crate) fn alive_subject(&self, node: &str) -> String {
        format!("{}.node.{node}.alive", self.prefix)
    }

    pub(crate) fn open_subject(&self, node: &str) -> String {
        format!("{}.node.{node}.open", self.prefix)
    }

    pub(crate) fn presence_subject(&self, node: &str) -> String {
        format!("{}.node.{node}.presence", self.prefix)
    }

    pub(crate) fn up_subject(&self, conn: uuid::Uuid) -> String {
        format!("{}.conn.{conn}.up", self.prefix)
    }

    pub(crate) fn down_subject(&self, conn: uuid::Uuid) -> String {
        format!("{}.conn.{conn}.down", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_leaves_the_url_and_is_decoded() {
        let (url, login) = split_login("nats://ketentafel:p%40ss%2Fw0rd@nats:4222").unwrap();
        assert_eq!(url.as_str(), "nats://nats:4222");
        assert_eq!(login, Some(("ketentafel".into(), "p@ss/w0rd".into())));
        let (url, login) = split_login("nats://127.0.0.1:4222").unwrap();
        assert_eq!((url.as_str(), login), ("nats://127.0.0.1:4222", None));
        assert!(split_login("not a url").is_err());
    }

    #[test]
    fn node_ids_and_prefixes_are_subject_words() {
        assert!(token("node-1_a"));
        for bad in ["", "a.b", "a b", "a*", ">", &"x".repeat(64)] {
            assert!(!token(bad), "{bad:?}");
        }
    }
}
