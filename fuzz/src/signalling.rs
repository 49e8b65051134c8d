//! `signalling_message`: the decoder of the WebSocket text frames a participant sends.

use ketentafel::signalling::protocol::{MAX_MESSAGE_BYTES, parse};

/// The codes a refusal of a frame may carry (docs/signalling.md).
const REFUSAL_CODES: &[&str] = &["too_large", "malformed", "unknown_type"];

/// Arbitrary text through `protocol::parse`: a message or a refusal with a known code, never a
/// panic; what parses writes back to the same message; the refusal never grows with the input.
pub fn signalling_message(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse(text) {
        Ok(message) => {
            assert!(text.len() <= MAX_MESSAGE_BYTES);
            let written = serde_json::to_string(&message).expect("a message serialises");
            assert_eq!(parse(&written).as_ref(), Ok(&message), "a parsed message round-trips: {written}");
            let _ = message.kind();
        }
        Err(refusal) => {
            assert!(REFUSAL_CODES.contains(&refusal.code), "unexpected code {}", refusal.code);
            let chars = refusal.message.chars().count();
            assert!(chars <= 256, "a refusal stays short: {chars} characters");
            if text.len() > MAX_MESSAGE_BYTES {
                assert_eq!(refusal.code, "too_large");
            }
        }
    }
}
