//! Which hosted connection a datagram on the shard's one UDP port belongs to.
//!
//! A connection is found by the remote address it was last heard from. A datagram from an
//! address not yet known can only be a browser's first connectivity check: a STUN binding
//! request whose USERNAME is `<our ufrag>:<its ufrag>` (RFC 8445 §7.2.2), and our ufrag names
//! the connection (it is fixed when the connection is made, before any description is sent).
//! Anything else from an unknown address is dropped. The address is learnt from a check with
//! a known ufrag; the connection itself verifies the check's integrity and only then answers,
//! so a forged check at most moves where that address's datagrams go, never what a
//! connection accepts.

use std::collections::HashMap;
use std::net::SocketAddr;

/// A hosted connection's number within its shard.
pub type ConnId = u64;

/// The STUN magic cookie (RFC 5389 §6).
const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
/// STUN attribute USERNAME.
const USERNAME: u16 = 0x0006;

/// Whether a datagram is STUN (RFC 7983: the first byte is 0–3) with the magic cookie.
pub(crate) fn is_stun(datagram: &[u8]) -> bool {
    datagram.len() >= 20 && datagram[0] < 4 && datagram[4..8] == MAGIC_COOKIE
}

/// The receiver's ufrag of a STUN message's USERNAME (`<receiver>:<sender>`), if it has one.
pub(crate) fn receiver_ufrag(datagram: &[u8]) -> Option<&str> {
    if !is_stun(datagram) {
        return None;
    }
    let length = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
    let end = 20usize.checked_add(length)?;
    let mut attributes = datagram.get(20..end)?;
    while attributes.len() >= 4 {
        let kind = u16::from_be_bytes([attributes[0], attributes[1]]);
        let size = usize::from(u16::from_be_bytes([attributes[2], attributes[3]]));
        let value = attributes.get(4..4 + size)?;
        if kind == USERNAME {
            let username = std::str::from_utf8(value).ok()?;
            return username.split_once(':').map(|(receiver, _)| receiver);
        }
        // Attributes are padded to a multiple of four bytes.
        let padded = (size + 3) & !3;
        attributes = attributes.get(4 + padded..)?;
    }
    None
}

/// The routing table of one shard.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    by_address: HashMap<SocketAddr, ConnId>,
    by_ufrag: HashMap<String, ConnId>,
}

impl Routes {
    /// A new connection, found by its ufrag until its first check names an address.
    pub fn add(&mut self, conn: ConnId, ufrag: String) {
        self.by_ufrag.insert(ufrag, conn);
    }

    /// Forgets a closed connection and every address it was heard from.
    pub fn remove(&mut self, conn: ConnId) {
        self.by_ufrag.retain(|_, c| *c != conn);
        self.by_address.retain(|_, c| *c != conn);
    }

    /// The connection a datagram from `from` is for, learning `from` when the datagram is a
    /// check naming a hosted connection's ufrag.
    pub fn route(&mut self, from: SocketAddr, datagram: &[u8]) -> Option<ConnId> {
        if let Some(ufrag) = receiver_ufrag(datagram)
            && let Some(&conn) = self.by_ufrag.get(ufrag)
        {
            self.by_address.insert(from, conn);
            return Some(conn);
        }
        self.by_address.get(&from).copied()
    }

    /// How many addresses are known (for the leak checks).
    pub fn addresses(&self) -> usize {
        self.by_address.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A binding request with a USERNAME attribute (no integrity: routing does not check it).
    fn binding_request(username: &str) -> Vec<u8> {
        let mut attribute = Vec::new();
        attribute.extend_from_slice(&USERNAME.to_be_bytes());
        attribute.extend_from_slice(&(username.len() as u16).to_be_bytes());
        attribute.extend_from_slice(username.as_bytes());
        while attribute.len() % 4 != 0 {
            attribute.push(0);
        }
        // PRIORITY before it, so the walk has to skip an attribute.
        let mut attributes = vec![0x00, 0x24, 0x00, 0x04, 0x6e, 0x7f, 0x1e, 0xff];
        attributes.extend_from_slice(&attribute);
        let mut message = vec![0x00, 0x01];
        message.extend_from_slice(&(attributes.len() as u16).to_be_bytes());
        message.extend_from_slice(&MAGIC_COOKIE);
        message.extend_from_slice(&[7; 12]);
        message.extend_from_slice(&attributes);
        message
    }

    #[test]
    fn the_receivers_ufrag_is_read_from_a_check() {
        assert_eq!(receiver_ufrag(&binding_request("srvA:cli9")), Some("srvA"));
        assert_eq!(receiver_ufrag(&binding_request("odd:")), Some("odd"));
        assert_eq!(receiver_ufrag(&binding_request("nocolon")), None);
    }

    #[test]
    fn malformed_datagrams_name_no_connection() {
        let check = binding_request("srvA:cli9");
        for cut in 0..check.len() {
            // Every truncation either still parses (the attribute was whole) or gives nothing.
            let _ = receiver_ufrag(&check[..cut]);
        }
        let mut lying = check.clone();
        lying[2] = 0xff; // a length past the end
        assert_eq!(receiver_ufrag(&lying), None);
        let rtp = [0x80u8; 40];
        assert_eq!(receiver_ufrag(&rtp), None);
        assert!(!is_stun(&rtp));
    }

    #[test]
    fn an_address_is_learnt_from_a_check_and_forgotten_with_its_connection() {
        let mut routes = Routes::default();
        routes.add(1, "srvA".into());
        routes.add(2, "srvB".into());
        let browser: SocketAddr = "192.0.2.10:50000".parse().unwrap();
        let stranger: SocketAddr = "192.0.2.66:50000".parse().unwrap();
        // Media from an address no check named goes nowhere.
        assert_eq!(routes.route(browser, &[0x80; 40]), None);
        assert_eq!(routes.route(browser, &binding_request("srvB:x")), Some(2));
        assert_eq!(routes.route(browser, &[0x80; 40]), Some(2));
        assert_eq!(routes.route(stranger, &binding_request("nobody:x")), None);
        assert_eq!(routes.route(stranger, &[0x80; 40]), None);
        routes.remove(2);
        assert_eq!(routes.route(browser, &[0x80; 40]), None);
        assert_eq!(routes.route(browser, &binding_request("srvB:x")), None);
        assert_eq!(routes.addresses(), 0);
    }
}
