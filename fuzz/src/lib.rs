//! The fuzz targets' harnesses, one function per target (`fuzz_targets/` calls them for
//! libFuzzer; `tests/replay.rs` feeds the committed corpora through them on stable Rust).
//! Each takes arbitrary bytes, drives one part of the service that a participant or a caller
//! controls the input of, and panics when an invariant breaks. docs/fuzzing.md says what each
//! covers and how to run them.

mod bytes;
mod media;
mod room;
mod signalling;
mod tokens;

pub use media::{rtp_rtcp, sdp};
pub use room::room_state;
pub use signalling::signalling_message;
pub use tokens::tokens;

/// A target's harness: bytes in, a panic when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target, by name (the folder of its corpus under `corpus/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("signalling_message", signalling_message),
    ("room_state", room_state),
    ("sdp", sdp),
    ("rtp_rtcp", rtp_rtcp),
    ("tokens", tokens),
];
