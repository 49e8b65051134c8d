//! Simulcast: a publisher sends each video in three layers (for example 180p, 360p and 720p),
//! and each subscriber gets the one layer its tile can use and its link can carry.
//!
//! - [`vp8`]: the VP8 payload descriptor: keyframes, picture ids, rewriting in place;
//! - [`rewrite`]: one continuous stream for the subscriber across layer switches;
//! - [`select`]: sharing a subscriber's bandwidth estimate out over the videos it shows, and
//!   switching layers only at a keyframe.
//!
//! Like [`super::congestion`], this is a plain state machine with time as an input; the tests
//! in `tests.rs` run a publisher, the SFU's choice and a subscriber's bottleneck link on a
//! simulated clock.

pub mod rewrite;
pub mod select;
#[cfg(test)]
mod tests;
pub mod vp8;

pub use select::{Allocation, Demand, LAYERS, LayerRates, VideoForward, VideoState, allocate, layer_for_height};
