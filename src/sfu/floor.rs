//! The cheapest possible forwarding of one packet, for the load harness to compare the SFU
//! against: the SRTP encryption every forwarded packet needs, with the same library and the
//! same profiles the SFU negotiates. (The other half of the floor, a UDP send on loopback, needs
//! no media types and is measured by the harness itself.)

use super::SfuError;
use rtc::srtp::context::Context;
use rtc::srtp::protection_profile::ProtectionProfile;

/// This thread's CPU time in nanoseconds: what the floor's steps cost, and what a media loop's
/// thread has used.
pub fn thread_cpu_ns() -> u64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we pass and nothing else.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

/// The SRTP profiles a forwarded packet can be protected with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrtpProfile {
    /// `SRTP_AEAD_AES_128_GCM`, which the SFU prefers and browsers and headless clients accept.
    AesGcm,
    /// `SRTP_AES128_CM_HMAC_SHA1_80`, the profile every WebRTC implementation supports.
    AesCmHmacSha1,
}

/// Encrypts one RTP packet after another, as the sending side of a forward does.
pub struct SrtpEncryptor {
    context: Context,
    packet: Vec<u8>,
    seq: u16,
}

impl SrtpEncryptor {
    /// An encryptor for RTP packets with `payload_bytes` of payload after a 12-byte header.
    pub fn new(profile: SrtpProfile, payload_bytes: usize) -> Result<Self, SfuError> {
        let profile = match profile {
            SrtpProfile::AesGcm => ProtectionProfile::AeadAes128Gcm,
            SrtpProfile::AesCmHmacSha1 => ProtectionProfile::Aes128CmHmacSha1_80,
        };
        let provider = rtc::crypto::default_provider().map_err(|e| SfuError::Internal(e.to_string()))?;
        let key: Vec<u8> = (0..profile.key_len()).map(|i| i as u8 ^ 0x5a).collect();
        let salt: Vec<u8> = (0..profile.salt_len()).map(|i| i as u8 ^ 0xa5).collect();
        let context = Context::new(&key, &salt, profile, None, None, provider.crypto())?;
        // Version 2, payload type 96, SSRC 0x4b54_4b54; the payload is arbitrary.
        let mut packet = vec![0x80, 96, 0, 0, 0, 0, 0, 0, 0x4b, 0x54, 0x4b, 0x54];
        packet.extend((0..payload_bytes).map(|i| i as u8));
        Ok(SrtpEncryptor { context, packet, seq: 0 })
    }

    /// Encrypts the next packet (the next sequence number and timestamp); returns its size on
    /// the wire.
    pub fn encrypt_next(&mut self) -> Result<usize, SfuError> {
        self.seq = self.seq.wrapping_add(1);
        self.packet[2..4].copy_from_slice(&self.seq.to_be_bytes());
        self.packet[4..8].copy_from_slice(&(u32::from(self.seq) * 3_000).to_be_bytes());
        Ok(self.context.encrypt_rtp(&self.packet)?.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_profiles_encrypt_and_add_their_tag() {
        let mut gcm = SrtpEncryptor::new(SrtpProfile::AesGcm, 1_100).unwrap();
        assert_eq!(gcm.encrypt_next().unwrap(), 12 + 1_100 + 16, "GCM adds a 16-byte tag");
        let mut cm = SrtpEncryptor::new(SrtpProfile::AesCmHmacSha1, 1_100).unwrap();
        assert_eq!(cm.encrypt_next().unwrap(), 12 + 1_100 + 10, "HMAC-SHA1-80 adds a 10-byte tag");
    }
}
