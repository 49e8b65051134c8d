//! The pre-join network check: a throwaway server connection that answers a browser's offer
//! (one receive-only audio section, no media sent either way) and closes itself as soon as ICE
//! and DTLS are through, or after `patience`. The browser learns whether it reaches the media
//! port, and by which kind of candidate (direct or relayed), before it enters the room. With
//! the media on owned loops the check's connection is one of the first loop's, on its port.

use super::SfuError;
use super::engine::{Built, Engine, PcEvent, Side, candidates_gathered};
use super::shard::{Owner, Shard, ShardEvent};
use crate::media::Pc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use webrtc::peer_connection::{RTCPeerConnectionState, RTCSessionDescription};

/// Checks open at once on this node; more are refused (each holds a UDP port for a while).
pub const MAX_OPEN_CHECKS: usize = 32;

static OPEN_CHECKS: AtomicUsize = AtomicUsize::new(0);

/// One of the [`MAX_OPEN_CHECKS`], given back when dropped (with the check's connection, or on
/// the way out of a check that could not start).
struct CheckSlot;

impl CheckSlot {
    /// A free slot; `None` when every one is taken.
    fn take() -> Option<CheckSlot> {
        if OPEN_CHECKS.fetch_add(1, Ordering::SeqCst) >= MAX_OPEN_CHECKS {
            OPEN_CHECKS.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(CheckSlot)
    }
}

impl Drop for CheckSlot {
    fn drop(&mut self) {
        OPEN_CHECKS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How long the check's connection stays after it connected: the browser reads its selected
/// pair meanwhile.
const LINGER: Duration = Duration::from_secs(2);

/// Answers `offer` with a connection of the engine that lives until it connects or `patience`
/// runs out. `Ok(None)` when too many checks are open.
pub(crate) async fn answer(engine: &Engine, offer: String, patience: Duration) -> Result<Option<String>, SfuError> {
    let Some(slot) = CheckSlot::take() else { return Ok(None) };
    let (events, mut inbox) = mpsc::unbounded_channel();
    let Built { pc, gathered, .. } = engine.build(Pc::Publish, Side::Server, events, None).await?;
    let described = async {
        let offer = RTCSessionDescription::offer(offer).map_err(SfuError::invalid_sdp)?;
        pc.set_remote_description(offer).await.map_err(SfuError::invalid_sdp)?;
        let answer = pc.create_answer(None).await?;
        pc.set_local_description(answer.clone()).await?;
        candidates_gathered(&gathered).await;
        Ok::<_, SfuError>(pc.local_description().await.map_or(answer.sdp, |d| d.sdp))
    }
    .await;
    let closer = Arc::clone(&pc);
    tokio::spawn(async move {
        let connected = async {
            while let Some(event) = inbox.recv().await {
                if let PcEvent::State(_, RTCPeerConnectionState::Connected | RTCPeerConnectionState::Failed) = event {
                    tokio::time::sleep(LINGER).await;
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(patience, connected).await;
        let _ = closer.close().await;
        drop(slot);
    });
    described.map(|sdp| Some(engine.announce_sdp(&sdp)))
}

/// [`answer`] with a connection of the loop `shard`, on its port. The browser closes its side
/// as soon as ICE is through; the loop's connection goes once it is up (or failed) and
/// [`LINGER`] passed, or when `patience` runs out, and at once when the offer is refused.
pub(crate) async fn answer_on_loop(
    shard: &Shard,
    offer: String,
    patience: Duration,
) -> Result<Option<String>, SfuError> {
    let Some(slot) = CheckSlot::take() else { return Ok(None) };
    let (events, mut inbox) = mpsc::unbounded_channel();
    let conn = shard.open(Pc::Publish, Owner::new(uuid::Uuid::nil()), events).await?;
    let answered = shard.publish_offer(conn, offer).await;
    let shard = shard.clone();
    let refused = answered.is_err();
    tokio::spawn(async move {
        let connected = async {
            while let Some(event) = inbox.recv().await {
                if let ShardEvent::Connected { up: true, .. } | ShardEvent::Failed { .. } = event {
                    tokio::time::sleep(LINGER).await;
                    return;
                }
            }
        };
        if !refused {
            let _ = tokio::time::timeout(patience, connected).await;
        }
        shard.close(conn).await;
        drop(slot);
    });
    answered.map(Some)
}
