//! Session tokens (JWT, HS256) and invite tokens (random, stored only as a SHA-256 hash).

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The claims of a session token: which session, until when. Everything else (who, which
/// role) is read from the session row, so it is never stale and a logout takes effect at once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The session this token belongs to.
    pub sid: Uuid,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
}

/// The keys that sign and check session tokens, and derive invite links.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Derives invite tokens from invite ids (a key of its own, derived from the secret).
    invites: Hmac<Sha256>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

impl Keys {
    /// Keys from a shared secret.
    pub fn from_secret(secret: &Secret) -> Self {
        let bytes = secret.expose().as_bytes();
        let mut derive = <Hmac<Sha256> as KeyInit>::new_from_slice(bytes).expect("HMAC takes keys of any length");
        derive.update(b"ketentafel invite link v1");
        let key = derive.finalize().into_bytes();
        let invites = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("HMAC takes keys of any length");
        Keys { encoding: EncodingKey::from_secret(bytes), decoding: DecodingKey::from_secret(bytes), invites }
    }

    /// The token of invite `id`'s link: derived from the id with the service's secret, so the
    /// chair can see the link again later while only its hash is stored. Nobody without the
    /// secret can derive it; a link made before links were derived is not recoverable (its
    /// stored hash does not match) and is re-issued instead.
    pub fn invite_token(&self, id: Uuid) -> String {
        let mut mac = self.invites.clone();
        mac.update(id.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Signs a token for `session` valid until `expires_at`.
    pub fn sign(&self, session: Uuid, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> String {
        let claims = Claims { sid: session, exp: expires_at.timestamp(), iat: now.timestamp() };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// The claims of a token with a valid signature that has not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against our clock below, so tests can move time.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?;
        (data.claims.exp > now.timestamp()).then_some(data.claims)
    }
}

/// A fresh random secret for signing, base64url.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh invite token and the hash to store. The token goes into the link and nowhere else.
pub fn new_invite_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_invite_token(&token);
    (token, hash)
}

/// The stored form of an invite token.
pub fn hash_invite_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether a string can be an invite token at all (cheap check before any lookup).
pub fn looks_like_invite_token(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn keys() -> Keys {
        Keys::from_secret(&Secret::new("test secret of enough length for hs256"))
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let now = Utc::now();
        let sid = Uuid::new_v4();
        let token = keys().sign(sid, now, now + Duration::minutes(5));
        assert_eq!(keys().verify(&token, now).map(|c| c.sid), Some(sid));
        assert!(keys().verify(&token, now + Duration::minutes(6)).is_none());
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let now = Utc::now();
        let other = Keys::from_secret(&Secret::new("another secret"));
        let token = other.sign(Uuid::new_v4(), now, now + Duration::minutes(5));
        assert!(keys().verify(&token, now).is_none());
        assert!(keys().verify("not.a.token", now).is_none());
    }

    #[test]
    fn derived_invite_tokens_look_like_invite_tokens_and_differ_per_invite_and_secret() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let other = Keys::from_secret(&Secret::new("another secret of enough length for hs256"));
        assert!(looks_like_invite_token(&keys().invite_token(a)));
        assert_eq!(keys().invite_token(a), keys().invite_token(a));
        assert_ne!(keys().invite_token(a), keys().invite_token(b));
        assert_ne!(keys().invite_token(a), other.invite_token(a));
    }

    #[test]
    fn invite_tokens_are_unique_and_only_their_hash_matches() {
        let (token, hash) = new_invite_token();
        let (other, _) = new_invite_token();
        assert_ne!(token, other);
        assert!(looks_like_invite_token(&token));
        assert_eq!(hash_invite_token(&token), hash);
        assert_ne!(hash_invite_token(&other), hash);
    }
}
