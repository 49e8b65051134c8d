//! A capped downlink for a headless subscriber: a UDP relay on loopback between its subscribe
//! connection and the server that carries what the server sends at most at a given bitrate,
//! through a drop-tail queue, as the bottleneck of a weak link does (a PI terminal's 1–2 Mbit/s).
//! What exceeds the rate waits, so the delay grows before packets are lost: what the server's
//! delay-based estimate has to notice. What the subscriber sends (ICE checks, feedback) passes
//! at once.
//!
//! The subscriber is pointed at the relay by rewriting the server's UDP candidate (in the offer
//! and trickled) to the relay's address; its own candidates are not passed on, so the server
//! knows it only as the relay (a peer-reflexive address) and cannot reach it around the cap.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The bottleneck: a rate and how long a packet may wait for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cap {
    pub bits_per_second: u64,
    /// Packets that would wait longer are dropped (a bottleneck's buffer, in time).
    pub queue: Duration,
    /// Every this many RTP packets from the server, one is lost on the way, as on a link that
    /// loses at random, but the same in every run. RTCP and the handshakes pass.
    pub lose_every: Option<u64>,
}

/// What crossed the link.
#[derive(Debug, Default)]
pub struct LinkCounters {
    /// Datagrams from the server that reached the subscriber.
    pub delivered: AtomicU64,
    /// Datagrams from the server dropped because the queue was full.
    pub dropped: AtomicU64,
    /// RTP packets from the server the link lost ([`Cap::lose_every`]).
    pub lost: AtomicU64,
}

/// A running relay. It stops when dropped.
pub struct Link {
    /// Where the subscriber sends (the server's candidate is rewritten to this).
    pub address: SocketAddr,
    server: Arc<Mutex<Option<SocketAddr>>>,
    pub counters: Arc<LinkCounters>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Link {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Packets waiting for the bottleneck, each with when it leaves.
#[derive(Default)]
struct Queue {
    packets: VecDeque<(Instant, Vec<u8>)>,
    /// When the link is free again.
    busy_until: Option<Instant>,
}

/// One of the link's locks: the relay's addresses and its queue, each held for a moment and
/// never across a panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().expect("the link's locks are never held across a panic")
}

impl Link {
    pub async fn start(cap: Cap) -> std::io::Result<Link> {
        let facing_client = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let facing_server = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let address = facing_client.local_addr()?;
        let server: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
        let client: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
        let counters = Arc::new(LinkCounters::default());
        let queue: Arc<Mutex<Queue>> = Arc::default();
        let queued = Arc::new(Notify::new());

        // Subscriber → server: at once.
        let upstream = {
            let (from, to, server, client) =
                (facing_client.clone(), facing_server.clone(), server.clone(), client.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 2048];
                while let Ok((n, peer)) = from.recv_from(&mut buf).await {
                    *lock(&client) = Some(peer);
                    let server = *lock(&server);
                    if let Some(server) = server {
                        let _ = to.send_to(&buf[..n], server).await;
                    }
                }
            })
        };
        // Server → queue: each packet leaves when the link has carried the ones before it.
        let intake = {
            let (from, queue, queued, counters) =
                (facing_server.clone(), queue.clone(), queued.clone(), counters.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 2048];
                let mut rtp = 0u64;
                while let Ok((n, _)) = from.recv_from(&mut buf).await {
                    if is_rtp(&buf[..n]) {
                        rtp += 1;
                        if cap.lose_every.is_some_and(|every| rtp.is_multiple_of(every.max(1))) {
                            counters.lost.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    }
                    let now = Instant::now();
                    let mut queue = lock(&queue);
                    let start = queue.busy_until.map_or(now, |busy| busy.max(now));
                    if start - now > cap.queue {
                        counters.dropped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    // IP and UDP headers count against the link too.
                    let bits = (n as u64 + 28) * 8;
                    let leaves = start + Duration::from_nanos(bits * 1_000_000_000 / cap.bits_per_second.max(1));
                    queue.busy_until = Some(leaves);
                    queue.packets.push_back((leaves, buf[..n].to_vec()));
                    queued.notify_one();
                }
            })
        };
        // Queue → subscriber.
        let downstream = {
            let (to, client, counters) = (facing_client.clone(), client.clone(), counters.clone());
            tokio::spawn(async move {
                loop {
                    let head = lock(&queue).packets.front().map(|(at, _)| *at);
                    let Some(leaves) = head else {
                        queued.notified().await;
                        continue;
                    };
                    tokio::time::sleep_until(leaves).await;
                    let packet = lock(&queue).packets.pop_front();
                    let client = *lock(&client);
                    let (Some((_, packet)), Some(client)) = (packet, client) else { continue };
                    if to.send_to(&packet, client).await.is_ok() {
                        counters.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        Ok(Link { address, server, counters, tasks: vec![upstream, intake, downstream] })
    }

    /// Rewrites one server candidate line (`candidate:…`, with or without `a=`) to point at
    /// the relay; the first UDP address seen becomes the server's side of the relay. `None`
    /// for a candidate the subscriber should not get (TCP, or a second address).
    pub fn rewrite_candidate(&self, line: &str) -> Option<String> {
        let mut fields: Vec<&str> = line.split(' ').collect();
        if fields.len() < 8 || !fields[2].eq_ignore_ascii_case("udp") {
            return None;
        }
        let at: SocketAddr = format!("{}:{}", fields[4], fields[5]).parse().ok()?;
        let mut server = lock(&self.server);
        match *server {
            None => *server = Some(at),
            Some(known) if known != at => return None,
            Some(_) => {}
        }
        let (ip, port) = (self.address.ip().to_string(), self.address.port().to_string());
        fields[4] = &ip;
        fields[5] = &port;
        Some(fields.join(" "))
    }

    /// The server's offer with its candidates rewritten (and others removed).
    pub fn rewrite_offer(&self, sdp: &str) -> String {
        let mut out = String::with_capacity(sdp.len());
        for line in sdp.split_inclusive('\n') {
            let bare = line.trim_end_matches(['\r', '\n']);
            if bare.starts_with("a=candidate:") {
                if let Some(rewritten) = self.rewrite_candidate(bare) {
                    out.push_str(&rewritten);
                    out.push_str("\r\n");
                }
            } else {
                out.push_str(line);
            }
        }
        out
    }
}

/// Whether a datagram is (S)RTP: RFC 7983's first byte of 128–191 (RTP and RTCP), and a
/// payload type outside RTCP's 64–95 (RFC 5761, the marker bit aside).
fn is_rtp(datagram: &[u8]) -> bool {
    matches!(datagram, [128..=191, second, ..] if !(64..=95).contains(&(second & 0x7f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_link_carries_at_its_rate_and_drops_what_would_wait_too_long() {
        let link = Link::start(Cap { bits_per_second: 800_000, queue: Duration::from_millis(100), lose_every: None })
            .await
            .unwrap();
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let candidate =
            format!("a=candidate:1 1 udp 2130706431 127.0.0.1 {} typ host", server.local_addr().unwrap().port());
        let rewritten = link.rewrite_candidate(&candidate).unwrap();
        assert!(rewritten.contains(&format!("127.0.0.1 {} typ host", link.address.port())), "{rewritten}");
        assert!(link.rewrite_candidate("a=candidate:2 1 tcp 1 127.0.0.1 9 typ host tcptype passive").is_none());

        // The subscriber speaks first (its ICE check), so the relay knows both ends.
        client.send_to(b"check", link.address).await.unwrap();
        let mut buf = [0u8; 2048];
        let (n, relay) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"check");

        // 2.7 times what the link carries, for 200 ms (a packet every 3.6 ms, each 9.72 ms of the
        // link): the queue fills in about 160 ms, then about two in three are dropped.
        let receiving = tokio::spawn(async move {
            let mut arrivals = Vec::new();
            let mut buf = [0u8; 2048];
            while let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(300), client.recv_from(&mut buf)).await {
                arrivals.push(Instant::now());
            }
            arrivals
        });
        for _ in 0..56 {
            server.send_to(&[7u8; 972], relay).await.unwrap();
            tokio::time::sleep(Duration::from_micros(3_600)).await;
        }
        let arrivals = receiving.await.unwrap();
        let arrived = arrivals.len() as u64;
        let dropped = link.counters.dropped.load(Ordering::Relaxed);
        assert_eq!(arrived + dropped, 56, "every packet is delivered or dropped at the queue");
        assert!((20..=45).contains(&arrived), "what the link carries in the 200 ms and its 100 ms queue: {arrived}");
        assert!(dropped > 0, "the queue overflowed");
        // Each packet takes 9.72 ms of the link: a slow machine can only spread them further.
        let spread = arrivals[arrivals.len() - 1] - arrivals[0];
        assert!(spread >= Duration::from_millis(9 * (arrived - 1)), "the packets left at the rate: {spread:?}");
    }

    #[test]
    fn only_rtp_is_lost_on_the_way() {
        assert!(is_rtp(&[0x80, 96, 0, 1]), "VP8");
        assert!(is_rtp(&[0x90, 0x80 | 111, 0, 1]), "Opus with the marker and an extension");
        assert!(!is_rtp(&[0x81, 200, 0, 6]), "a sender report");
        assert!(!is_rtp(&[0x81, 205, 0, 3]), "a NACK");
        assert!(!is_rtp(&[22, 254, 253]), "DTLS");
        assert!(!is_rtp(&[0, 1, 0, 0]), "a STUN request");
    }
}
