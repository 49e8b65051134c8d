//! `tokens`: the session tokens (JWT, HS256) a caller presents, the invite tokens of links and
//! the known-device cookie — arbitrary strings never pass, and what we issue does.

use crate::bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use ketentafel::auth::device::DeviceKey;
use ketentafel::auth::token::{Keys, hash_invite_token, looks_like_invite_token};
use ketentafel::secret::Secret;
use uuid::Uuid;

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn tokens(data: &[u8]) {
    let secret = Secret::new("fuzzing secret of enough length for hs256");
    let keys = Keys::from_secret(&secret);
    let device = DeviceKey::from_secret(&secret);
    let now = DateTime::<Utc>::from_timestamp(1_796_000_000, 0).expect("a valid time");
    let text = String::from_utf8_lossy(data);

    // Arbitrary text is never a valid session, known device or (by shape) more than a lookup.
    assert!(keys.verify(&text, now).is_none(), "an arbitrary string passed as a session token");
    assert!(device.verify(&text, "someone@example.org", now).is_none(), "an arbitrary string passed as a device");
    if looks_like_invite_token(&text) {
        assert_eq!(text.len(), 43);
    }
    assert_eq!(hash_invite_token(&text).len(), 32);

    // What we sign verifies until it expires, and not once a character is changed.
    let mut bytes = Bytes::new(data);
    let sid = Uuid::from_u128(u128::from(bytes.u32()) << 64 | u128::from(bytes.u32()));
    let lifetime = i64::from(bytes.u16() as i16) * 60;
    let token = keys.sign(sid, now, now + Duration::seconds(lifetime));
    let verified = keys.verify(&token, now);
    assert_eq!(verified.map(|c| c.sid), (lifetime > 0).then_some(sid));
    let at = bytes.pick(token.len());
    let replacement = BASE64URL[bytes.pick(BASE64URL.len())];
    if token.as_bytes()[at] != b'.' && token.as_bytes()[at] != replacement {
        let mut tampered = token.clone().into_bytes();
        tampered[at] = replacement;
        let tampered = String::from_utf8(tampered).expect("base64url is ASCII");
        assert!(keys.verify(&tampered, now).is_none(), "a changed token passed: {tampered}");
    }

    // A device cookie passes for its own e-mail address only.
    let email: String = text.chars().take(64).collect();
    let cookie = device.issue(&email, now);
    assert!(device.verify(&cookie, &email, now).is_some(), "our own device cookie failed");
    assert!(device.verify(&cookie, &format!("{email}x"), now).is_none(), "a device cookie passed for another address");
}
