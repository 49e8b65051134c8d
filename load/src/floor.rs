//! The floor: what forwarding one packet costs at the very least on this machine, measured in
//! the same run as the server so the two share CPU, kernel and frequency. A forward is one SRTP
//! encryption (the SFU must re-encrypt for each receiver) and one UDP send on loopback; both are
//! timed on this thread's CPU clock, best of several batches.

use ketentafel::sfu::floor::{SrtpEncryptor, SrtpProfile, thread_cpu_ns};
use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const BATCHES: usize = 5;
const PER_BATCH: u32 = 40_000;

/// The floor for packets of one size, in microseconds per packet.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Floor {
    /// RTP payload bytes (the mean of what was forwarded).
    pub payload_bytes: usize,
    pub udp_send_us: f64,
    pub srtp_aes_gcm_us: f64,
    pub srtp_aes_cm_hmac_sha1_us: f64,
    /// UDP send + AES-GCM encryption: the profile the SFU negotiates.
    pub per_packet_us: f64,
}

/// The lowest CPU cost of `step` per call over several batches, in microseconds.
fn best_of(mut step: impl FnMut() -> Result<(), String>) -> Result<f64, String> {
    let mut best = f64::INFINITY;
    for _ in 0..BATCHES {
        let started = thread_cpu_ns();
        for _ in 0..PER_BATCH {
            step()?;
        }
        best = best.min((thread_cpu_ns() - started) as f64 / 1_000.0 / f64::from(PER_BATCH));
    }
    Ok(best)
}

/// Measures the floor for `payload_bytes` of RTP payload (blocks for about a second).
pub fn measure(payload_bytes: usize) -> Result<Floor, String> {
    let udp_send_us = udp_send(12 + payload_bytes + 16)?;
    let srtp = |profile| {
        let mut encryptor = SrtpEncryptor::new(profile, payload_bytes).map_err(|e| e.to_string())?;
        best_of(|| encryptor.encrypt_next().map(drop).map_err(|e| e.to_string()))
    };
    let srtp_aes_gcm_us = srtp(SrtpProfile::AesGcm)?;
    let srtp_aes_cm_hmac_sha1_us = srtp(SrtpProfile::AesCmHmacSha1)?;
    Ok(Floor {
        payload_bytes,
        udp_send_us,
        srtp_aes_gcm_us,
        srtp_aes_cm_hmac_sha1_us,
        per_packet_us: udp_send_us + srtp_aes_gcm_us,
    })
}

/// One `send_to` of a datagram of `bytes` to a socket on loopback that another thread drains.
fn udp_send(bytes: usize) -> Result<f64, String> {
    let receiver = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let _ = socket2::SockRef::from(&receiver).set_recv_buffer_size(4 << 20);
    receiver.set_read_timeout(Some(Duration::from_millis(50))).map_err(|e| e.to_string())?;
    let target = receiver.local_addr().map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let drain = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                let _ = receiver.recv(&mut buffer);
            }
        })
    };
    let sender = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let _ = socket2::SockRef::from(&sender).set_send_buffer_size(4 << 20);
    let datagram = vec![0x5au8; bytes];
    // The receiver drains on another thread so its buffer rarely fills: a datagram the kernel
    // drops at a full buffer costs the sender a little less than one it delivers.
    let result = best_of(|| sender.send_to(&datagram, target).map(drop).map_err(|e| e.to_string()));
    stop.store(true, Ordering::Relaxed);
    let _ = drain.join();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_is_measured_and_plausible() {
        let floor = measure(1_100).unwrap();
        // Sanity bounds only: a send and an encryption take some time, and not milliseconds.
        for us in [floor.udp_send_us, floor.srtp_aes_gcm_us, floor.srtp_aes_cm_hmac_sha1_us] {
            assert!(us > 0.0 && us < 1_000.0, "{floor:?}");
        }
        assert_eq!(floor.per_packet_us, floor.udp_send_us + floor.srtp_aes_gcm_us);
    }
}
