//! What a headless participant received, per sender and stream.

use super::payload::{self, Stamp};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Instant;
use uuid::Uuid;

/// One received stream (one sender's audio or video).
#[derive(Debug, Default, Clone)]
pub struct StreamStats {
    pub packets: u64,
    pub bytes: u64,
    pub duplicates: u64,
    pub keyframes: u64,
    /// Distinct sender sequence numbers seen.
    seen: HashSet<u32>,
    pub first_seq: Option<u32>,
    pub last_seq: Option<u32>,
    pub first_at: Option<Instant>,
    pub first_keyframe_at: Option<Instant>,
    /// Send-to-receive delays in microseconds (sender and receiver share a clock on one host).
    pub delays_us: Vec<u32>,
}

impl StreamStats {
    /// Packets missing between the first and the last one received.
    pub fn lost(&self) -> u64 {
        match (self.first_seq, self.last_seq) {
            (Some(first), Some(last)) => (u64::from(last - first) + 1).saturating_sub(self.seen.len() as u64),
            _ => 0,
        }
    }

    pub fn unique(&self) -> u64 {
        self.seen.len() as u64
    }
}

/// Everything received, by (sender, is video).
#[derive(Debug, Default)]
pub struct Received {
    streams: Mutex<HashMap<(Uuid, bool), StreamStats>>,
    /// Packets whose payload was altered or not ours.
    pub corrupt: std::sync::atomic::AtomicU64,
}

impl Received {
    /// Records one packet's payload.
    pub fn record(&self, payload: &[u8]) {
        let Some(Stamp { sender, video, keyframe, seq, sent_ns }) = payload::decode(payload) else {
            self.corrupt.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        };
        let delay_us = payload::now_ns().saturating_sub(sent_ns) / 1_000;
        let now = Instant::now();
        let mut streams = self.streams.lock().expect("the stats lock is never held across a panic");
        let stream = streams.entry((sender, video)).or_default();
        stream.packets += 1;
        stream.bytes += payload.len() as u64;
        stream.first_at.get_or_insert(now);
        if keyframe {
            stream.keyframes += 1;
            stream.first_keyframe_at.get_or_insert(now);
        }
        if !stream.seen.insert(seq) {
            stream.duplicates += 1;
            return;
        }
        stream.first_seq = Some(stream.first_seq.map_or(seq, |f| f.min(seq)));
        stream.last_seq = Some(stream.last_seq.map_or(seq, |l| l.max(seq)));
        stream.delays_us.push(delay_us.min(u64::from(u32::MAX)) as u32);
    }

    /// A copy of one stream's figures.
    pub fn stream(&self, sender: Uuid, video: bool) -> Option<StreamStats> {
        self.streams.lock().expect("the stats lock is never held across a panic").get(&(sender, video)).cloned()
    }

    /// When the first packet of one stream arrived, if one has (cheaper than [`Self::stream`]).
    pub fn first_at(&self, sender: Uuid, video: bool) -> Option<Instant> {
        self.streams.lock().expect("the stats lock is never held across a panic").get(&(sender, video))?.first_at
    }

    /// Packets and payload bytes received so far, over every stream.
    pub fn totals(&self) -> (u64, u64) {
        let streams = self.streams.lock().expect("the stats lock is never held across a panic");
        streams.values().fold((0, 0), |(packets, bytes), s| (packets + s.packets, bytes + s.bytes))
    }

    /// Every stream's figures.
    pub fn all(&self) -> Vec<((Uuid, bool), StreamStats)> {
        self.streams
            .lock()
            .expect("the stats lock is never held across a panic")
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }

    /// Forgets everything received so far (to measure a window).
    pub fn reset(&self) {
        self.streams.lock().expect("the stats lock is never held across a panic").clear();
        self.corrupt.store(0, std::sync::atomic::Ordering::Relaxed);
    }
}
