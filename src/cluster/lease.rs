//! Which node hosts which conference: a lease per conference in PostgreSQL
//! (`conference_host`), so that two nodes never host one conference.
//!
//! - A join for a conference nobody hosts takes its lease for this node ([`Routing::host`]);
//!   the node renews the leases of its running rooms every quarter of the lease time.
//! - A lease held by another node that answers on NATS means "relay there". One held by a node
//!   that does not answer (killed) is waited out — at most the lease time — and then taken,
//!   raising its epoch.
//! - The epoch fences: a renewal names the epoch it holds, and a node whose renewal finds the
//!   lease taken stops that room (its participants reconnect to the new host). A node that
//!   cannot renew (database unreachable) stops its rooms before its leases can expire, so a
//!   node cut off from the database never hosts beside the one that takes over. The same when
//!   it has lost NATS for a lease time: nobody else could reach its rooms.
//! - A room that ends lets its lease go at once, and a node that stops lets all of its go.

use super::Node;
use crate::signalling::rooms::{Host, Routing};
use crate::storage::Store;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A conference this node hosts.
#[derive(Debug)]
struct Hosted {
    epoch: i64,
    stop: CancellationToken,
    /// When the last renewal that succeeded was sent.
    renewed: Instant,
}

#[derive(Debug, Default)]
struct Held {
    /// Leases taken by a join whose room has not started yet: their epoch, and when the claim
    /// was sent.
    claimed: HashMap<Uuid, (i64, Instant)>,
    hosted: HashMap<Uuid, Hosted>,
    /// Rooms that ended here: their leases to let go.
    ended: Vec<(Uuid, i64)>,
}

/// The leases of this node, and the routing they answer.
#[derive(Debug)]
pub struct Leases {
    store: Store,
    node: Node,
    ttl: Duration,
    draining: Arc<AtomicBool>,
    held: Mutex<Held>,
    /// This node's lease writes, one at a time: a release never overtakes a new claim.
    writes: tokio::sync::Mutex<()>,
    wake: Notify,
}

impl Leases {
    /// Leases of `ttl` for `node`; `draining` is the node's drain flag (no new conferences).
    pub fn new(store: Store, node: Node, ttl: Duration, draining: Arc<AtomicBool>) -> Arc<Leases> {
        Arc::new(Leases {
            store,
            node,
            ttl,
            draining,
            held: Mutex::default(),
            writes: tokio::sync::Mutex::new(()),
            wake: Notify::new(),
        })
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many conferences this node holds now.
    pub fn hosted(&self) -> usize {
        self.held().hosted.len()
    }

    /// Renews this node's leases until `stop`, then lets them all go.
    pub async fn keep(self: Arc<Self>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.ttl / 4);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut nats_lost_since: Option<Instant> = None;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {}
                () = self.wake.notified() => {}
            }
            self.release_ended().await;
            self.renew().await;
            // Without NATS no other node can reach the rooms here: after a lease time of that,
            // give them up, so that participants reconnect to a node the others can reach.
            if self.node.connected() {
                nats_lost_since = None;
            } else if nats_lost_since.get_or_insert_with(Instant::now).elapsed() >= self.ttl {
                self.give_up_all("NATS unreachable");
            }
        }
        self.hand_over().await;
    }

    async fn release_ended(&self) {
        let ended = std::mem::take(&mut self.held().ended);
        for (meeting, epoch) in ended {
            let _writes = self.writes.lock().await;
            // A join may have taken it again since: then it is not ours to let go.
            let again = {
                let held = self.held();
                held.claimed.contains_key(&meeting) || held.hosted.contains_key(&meeting)
            };
            if !again && let Err(e) = self.store.release_lease(meeting, &self.node.id, epoch).await {
                tracing::warn!(error = %e, "a lease could not be let go; it expires by itself");
            }
        }
    }

    async fn renew(&self) {
        let hosted: Vec<(Uuid, i64)> = self.held().hosted.iter().map(|(m, h)| (*m, h.epoch)).collect();
        for (meeting, epoch) in hosted {
            let sent = Instant::now();
            let renewed = {
                let _writes = self.writes.lock().await;
                let renewal = self.store.renew_lease(meeting, &self.node.id, epoch, self.ttl);
                // A stalled database must not hold the check of the deadline below.
                match tokio::time::timeout(self.ttl / 4, renewal).await {
                    Ok(renewed) => renewed.map_err(|e| e.to_string()),
                    Err(_) => Err("the database did not answer in time".to_owned()),
                }
            };
            let mut held = self.held();
            let Some(room) = held.hosted.get_mut(&meeting).filter(|h| h.epoch == epoch) else { continue };
            match renewed {
                Ok(true) => room.renewed = sent,
                Ok(false) => {
                    tracing::warn!(%meeting, epoch, "another node took this conference; its room here stops");
                    room.stop.cancel();
                    held.hosted.remove(&meeting);
                }
                // Stop before the lease can expire: the last renewal that got through was sent
                // at `renewed`, and the database counts the lease from a moment after that.
                Err(e) if room.renewed.elapsed() >= self.ttl - self.ttl / 4 => {
                    tracing::error!(error = %e, %meeting, "the lease cannot be renewed in time; the room here stops");
                    room.stop.cancel();
                    held.hosted.remove(&meeting);
                }
                Err(e) => tracing::warn!(error = %e, %meeting, "a lease renewal failed; trying again"),
            }
        }
    }

    fn give_up_all(&self, why: &str) {
        let mut held = self.held();
        if held.hosted.is_empty() {
            return;
        }
        tracing::error!(conferences = held.hosted.len(), why, "giving up this node's conferences");
        let hosted = std::mem::take(&mut held.hosted);
        for (meeting, room) in hosted {
            room.stop.cancel();
            held.ended.push((meeting, room.epoch));
        }
    }

    /// Lets every lease of this node go (it stops): others take its conferences at once.
    async fn hand_over(&self) {
        let leases: Vec<(Uuid, i64)> = {
            let mut held = self.held();
            let mut leases = std::mem::take(&mut held.ended);
            leases.extend(held.hosted.drain().map(|(m, h)| (m, h.epoch)));
            leases.extend(held.claimed.drain().map(|(m, (epoch, _))| (m, epoch)));
            leases
        };
        let _writes = self.writes.lock().await;
        for (meeting, epoch) in &leases {
            if let Err(e) = self.store.release_lease(*meeting, &self.node.id, *epoch).await {
                tracing::warn!(error = %e, "a lease could not be let go at stop; it expires by itself");
            }
        }
        if !leases.is_empty() {
            tracing::info!(conferences = leases.len(), "handed this node's conferences over");
        }
    }

    async fn find_host(&self, meeting: Uuid) -> Host {
        let deadline = Instant::now() + self.ttl + Duration::from_secs(1);
        loop {
            let lease = {
                let _writes = self.writes.lock().await;
                let sent = Instant::now();
                let lease = if self.draining.load(Ordering::SeqCst) {
                    self.store.lease(meeting).await
                } else {
                    self.store.claim_lease(meeting, &self.node.id, self.ttl).await.map(Some)
                };
                match lease {
                    Ok(Some(lease)) if lease.node == self.node.id => {
                        if !self.draining.load(Ordering::SeqCst) {
                            self.held().claimed.insert(meeting, (lease.epoch, sent));
                        }
                        return Host::Here;
                    }
                    // Draining and nobody (alive) holds it: "here", where the join is refused
                    // with `draining` and the browser tries another node.
                    Ok(None) => return Host::Here,
                    Ok(Some(lease)) if lease.left.is_zero() => return Host::Here,
                    Ok(Some(lease)) => lease,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot tell which node hosts a conference");
                        return Host::Unknown;
                    }
                }
            };
            if self.node.alive(&lease.node).await {
                return Host::Elsewhere(lease.node);
            }
            // Its host does not answer: wait its lease out, then take it.
            let wait = lease.left + Duration::from_millis(50);
            if Instant::now() + wait > deadline {
                tracing::warn!(%meeting, node = lease.node, "the conference's host does not answer and its lease runs on");
                return Host::Unknown;
            }
            tracing::info!(%meeting, node = lease.node, wait_ms = wait.as_millis() as u64, "the conference's host does not answer; taking over when its lease runs out");
            tokio::time::sleep(wait).await;
        }
    }
}

impl Routing for Leases {
    fn host(&self, meeting: Uuid) -> BoxFuture<'_, Host> {
        Box::pin(self.find_host(meeting))
    }

    fn hosting(&self, meeting: Uuid, stop: CancellationToken) {
        let mut held = self.held();
        // Epoch 0 never renews: a room whose claim went missing stops at the first renewal.
        let (epoch, renewed) = held.claimed.remove(&meeting).unwrap_or((0, Instant::now()));
        held.hosted.insert(meeting, Hosted { epoch, stop, renewed });
        drop(held);
        self.wake.notify_one();
    }

    fn holder(&self, meeting: Uuid) -> BoxFuture<'_, Option<String>> {
        Box::pin(async move {
            match self.store.lease(meeting).await {
                Ok(Some(lease)) if lease.node != self.node.id && !lease.left.is_zero() => Some(lease.node),
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot tell which node hosts a conference");
                    None
                }
            }
        })
    }

    fn ended(&self, meeting: Uuid) {
        let mut held = self.held();
        if let Some(room) = held.hosted.remove(&meeting) {
            held.ended.push((meeting, room.epoch));
        }
        drop(held);
        self.wake.notify_one();
    }
}
