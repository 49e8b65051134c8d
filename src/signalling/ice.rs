//! The ICE servers handed to browsers: STUN, and TURN with short-lived credentials (the TURN
//! REST convention coturn implements with `use-auth-secret`: the user name is the expiry time
//! and a label, the password an HMAC-SHA1 of it under the shared secret). Prison networks
//! often allow only TCP/TLS on 443, so TURN is what makes a join possible there.

use super::protocol::IceServer;
use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Which ICE servers to announce.
#[derive(Debug, Clone, Default)]
pub struct IceConfig {
    /// `stun:host:port` URLs.
    pub stun: Vec<String>,
    /// `turn:` / `turns:` URLs (e.g. `turns:turn.example.org:443?transport=tcp`).
    pub turn: Vec<String>,
    /// The secret shared with the TURN server.
    pub turn_secret: Option<Secret>,
    /// How long TURN credentials stay valid.
    pub turn_ttl: Duration,
    /// Tell browsers to use relay candidates only (`--ice-relay-only`).
    pub relay_only: bool,
}

impl IceConfig {
    /// The servers for one participant at `now`.
    pub fn servers_for(&self, label: &str, now: DateTime<Utc>) -> Vec<IceServer> {
        let mut servers = Vec::new();
        if !self.stun.is_empty() {
            servers.push(IceServer { urls: self.stun.clone(), username: None, credential: None });
        }
        if let (false, Some(secret)) = (self.turn.is_empty(), &self.turn_secret) {
            let username = format!("{}:{label}", (now + self.turn_ttl).timestamp());
            servers.push(IceServer {
                urls: self.turn.clone(),
                credential: Some(turn_password(secret, &username)),
                username: Some(username),
            });
        }
        servers
    }
}

/// base64(HMAC-SHA1(secret, username)).
fn turn_password(secret: &Secret, username: &str) -> String {
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes keys of any length");
    mac.update(username.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_credentials_follow_the_rest_convention() {
        // Computed independently: base64(HMAC-SHA1("north", "1600000000:alice")).
        assert_eq!(turn_password(&Secret::new("north"), "1600000000:alice"), "gq98pTOhhHaAu0we9aV79kOVVv0=");
    }

    #[test]
    fn a_participant_gets_stun_and_expiring_turn_credentials() {
        let config = IceConfig {
            stun: vec!["stun:stun.example.org:3478".into()],
            turn: vec!["turns:turn.example.org:443?transport=tcp".into()],
            turn_secret: Some(Secret::new("s")),
            turn_ttl: Duration::hours(12),
            relay_only: false,
        };
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z").unwrap().with_timezone(&Utc);
        let servers = config.servers_for("p1", now);
        assert_eq!(servers.len(), 2);
        assert_eq!(
            servers[1].username.as_deref(),
            Some(format!("{}:p1", (now + Duration::hours(12)).timestamp()).as_str())
        );
        assert!(servers[1].credential.is_some());
        assert!(IceConfig::default().servers_for("p1", now).is_empty());
    }
}
