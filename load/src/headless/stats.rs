//! What a headless participant received, per sender and stream.
//!
//! A video sent in simulcast layers arrives as one stream whose layer changes: its packets are
//! counted by the RTP sequence numbers the server gave them (one continuous numbering per
//! subscriber), the layer of each is counted, and so is every switch that did not start at a
//! keyframe and every frame whose picture id does not follow the one before.

use super::payload::{self, Stamp};
use ketentafel::sfu::ReceivedRtp;
use ketentafel::sfu::simulcast::vp8::Descriptor;
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
    /// Distinct sequence numbers seen: the sender's own, or for a layered video the server's
    /// (extended past 16 bits).
    seen: HashSet<u32>,
    /// Packets of each simulcast layer (all zero for a stream without layers).
    pub layers: [u64; 3],
    /// Times the layer changed.
    pub layer_switches: u64,
    /// Layer changes whose first packet was not the start of a keyframe (a receiver could not
    /// decode from there): zero when the server switches as it should.
    pub switches_off_keyframe: u64,
    /// Frames whose picture id did not follow the previous frame's (a layer switch the server
    /// did not renumber, or a lost frame).
    pub picture_id_gaps: u64,
    layer: Option<u8>,
    highest_sequence: Option<u32>,
    last_picture_id: Option<u16>,
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

    /// The layer most of this stream's packets were in, for a layered video.
    pub fn main_layer(&self) -> Option<u8> {
        let (layer, &count) = self.layers.iter().enumerate().max_by_key(|(_, count)| **count)?;
        (count > 0).then_some(layer as u8)
    }

    /// The layer of the latest packet.
    pub fn layer(&self) -> Option<u8> {
        self.layer
    }

    /// `sequence` extended to 32 bits, nearest the highest seen.
    fn extend(&mut self, sequence: u16) -> u32 {
        let extended = match self.highest_sequence {
            None => u32::from(sequence) + (1 << 16),
            Some(highest) => highest.wrapping_add(i32::from(sequence.wrapping_sub(highest as u16) as i16) as u32),
        };
        self.highest_sequence = Some(self.highest_sequence.map_or(extended, |h| h.max(extended)));
        extended
    }

    /// The layer bookkeeping of one packet of a layered video.
    fn layered(&mut self, layer: u8, payload: &[u8]) {
        self.layers[usize::from(layer.min(2))] += 1;
        let descriptor = Descriptor::parse(payload).ok();
        if self.layer.is_some_and(|l| l != layer) {
            self.layer_switches += 1;
            if !descriptor.is_some_and(|d| d.keyframe) {
                self.switches_off_keyframe += 1;
            }
        }
        self.layer = Some(layer);
        if let Some(descriptor) = descriptor
            && descriptor.frame_start
            && let Some(picture_id) = descriptor.picture_id
        {
            let follows = self.last_picture_id.is_none_or(|last| (last + 1) % picture_id.modulus() == picture_id.value);
            if !follows {
                self.picture_id_gaps += 1;
            }
            self.last_picture_id = Some(picture_id.value);
        }
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
    /// Records one packet.
    pub fn record(&self, packet: &ReceivedRtp<'_>) {
        let payload = packet.payload;
        let Some(Stamp { sender, video, keyframe, layer, seq, sent_ns }) = payload::decode(payload) else {
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
        let seq = match layer {
            Some(layer) => {
                stream.layered(layer, payload);
                stream.extend(packet.sequence)
            }
            None => seq,
        };
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
