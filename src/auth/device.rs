//! The "known device" cookie: set at a successful login, it lets the right password from the
//! same browser through even while strangers' guesses hold the account or the address back
//! (see docs/security.md, "Login limits").
//!
//! The cookie is `nonce.issued.signature`: a random nonce, the moment it was issued, and an
//! HMAC-SHA256 over both and the account's e-mail address. It names nobody (the address is only
//! inside the signature) and is no credential: it never replaces the password.

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How long a browser stays known after its last successful login.
pub const LIFETIME_DAYS: i64 = 180;

/// The cookie's name over plain HTTP (localhost); over HTTPS it carries the `__Host-` prefix.
const NAME: &str = "kt_device";

/// The cookie's name: with `__Host-` when served over HTTPS (a sibling subdomain or an
/// attacker on plain HTTP cannot set or overwrite such a cookie), plain on `http://localhost`
/// where browsers refuse `__Host-` cookies without `Secure`.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-kt_device" } else { NAME }
}

/// A browser that logged in to one account before: the nonce identifies it to the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    pub nonce: String,
}

/// Signs and checks known-device cookies.
pub struct DeviceKey(Hmac<Sha256>);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey([redacted])")
    }
}

impl DeviceKey {
    /// A key of its own, derived from the service's signing secret (so a session token can
    /// never pass for a device cookie or the other way round).
    pub fn from_secret(secret: &Secret) -> Self {
        let mut derive = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose().as_bytes())
            .expect("HMAC takes keys of any length");
        derive.update(b"ketentafel known-device cookie v1");
        let key = derive.finalize().into_bytes();
        DeviceKey(<Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("HMAC takes keys of any length"))
    }

    fn mac(&self, nonce: &str, issued: i64, email: &str) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(format!("{nonce}.{issued}.{email}").as_bytes());
        mac
    }

    /// A fresh cookie value for a browser that just logged in to `email` (normalised).
    pub fn issue(&self, email: &str, now: DateTime<Utc>) -> String {
        let mut bytes = [0u8; 16];
        rand::fill(&mut bytes);
        let nonce = URL_SAFE_NO_PAD.encode(bytes);
        let issued = now.timestamp();
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&nonce, issued, email).finalize().into_bytes());
        format!("{nonce}.{issued}.{signature}")
    }

    /// The device behind `value`, if the cookie is ours, unexpired, and was issued for `email`.
    pub fn verify(&self, value: &str, email: &str, now: DateTime<Utc>) -> Option<KnownDevice> {
        if value.len() > 128 {
            return None;
        }
        let mut parts = value.split('.');
        let (nonce, issued, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || nonce.len() != 22 {
            return None;
        }
        let issued: i64 = issued.parse().ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.mac(nonce, issued, email).verify_slice(&signature).ok()?;
        let issued = DateTime::from_timestamp(issued, 0)?;
        let fresh = issued <= now + Duration::minutes(5) && now - issued < Duration::days(LIFETIME_DAYS);
        fresh.then(|| KnownDevice { nonce: nonce.to_owned() })
    }
}

/// The known-device cookie a request carries, if any (its value, unchecked).
pub fn from_headers(headers: &axum::http::HeaderMap, secure: bool) -> Option<&str> {
    let name = cookie_name(secure);
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// The `Set-Cookie` value that makes this browser known.
pub fn cookie(value: &str, secure: bool) -> axum::http::HeaderValue {
    let max_age = Duration::days(LIFETIME_DAYS).num_seconds();
    let secure_attribute = if secure { "; Secure" } else { "" };
    let text = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure_attribute}",
        cookie_name(secure)
    );
    axum::http::HeaderValue::from_str(&text).expect("base64url, digits and fixed attributes are valid header text")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DeviceKey {
        DeviceKey::from_secret(&Secret::new("test secret of enough length for the device key"))
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-02T09:00:00Z").expect("a valid constant moment").to_utc()
    }

    #[test]
    fn a_cookie_is_known_for_its_own_account_only() {
        let value = key().issue("casemanager@pi.example", t0());
        assert!(key().verify(&value, "casemanager@pi.example", t0()).is_some());
        assert!(key().verify(&value, "rio@gemeente.example", t0()).is_none());
    }

    #[test]
    fn a_tampered_or_foreign_cookie_is_not_known() {
        let value = key().issue("casemanager@pi.example", t0());
        let other = DeviceKey::from_secret(&Secret::new("another secret of enough length for a key"));
        assert!(other.verify(&value, "casemanager@pi.example", t0()).is_none());
        let (rest, _) = value.rsplit_once('.').expect("three parts");
        let forged = format!("{rest}.{}", URL_SAFE_NO_PAD.encode([0u8; 32]));
        assert!(key().verify(&forged, "casemanager@pi.example", t0()).is_none());
        assert!(key().verify("garbage", "casemanager@pi.example", t0()).is_none());
    }

    #[test]
    fn a_cookie_expires_after_its_lifetime() {
        let value = key().issue("casemanager@pi.example", t0());
        let later = t0() + Duration::days(LIFETIME_DAYS);
        assert!(key().verify(&value, "casemanager@pi.example", later - Duration::minutes(1)).is_some());
        assert!(key().verify(&value, "casemanager@pi.example", later).is_none());
    }

    #[test]
    fn the_cookie_takes_the_host_prefix_over_https_only() {
        let secure = cookie("v", true);
        let secure = secure.to_str().expect("ASCII");
        assert!(secure.starts_with("__Host-kt_device=v; Path=/;") && secure.contains("Secure"), "{secure}");
        assert!(!secure.contains("Domain"));
        let plain = cookie("v", false);
        assert!(plain.to_str().expect("ASCII").starts_with("kt_device=v;"));
    }
}
