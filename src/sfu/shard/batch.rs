//! Datagrams in batches: `recvmmsg` and `sendmmsg`, one system call for many datagrams.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

/// Datagrams read or written per system call.
pub(crate) const BATCH: usize = 32;
/// The largest datagram read: media stays under the path MTU, so this is ample.
pub(crate) const DATAGRAM: usize = 2048;

/// Buffers for one `recvmmsg`.
pub(crate) struct Receiver {
    buffers: Vec<[u8; DATAGRAM]>,
}

impl Default for Receiver {
    fn default() -> Self {
        Receiver { buffers: vec![[0; DATAGRAM]; BATCH] }
    }
}

impl Receiver {
    /// Reads what is waiting, up to a batch, without blocking; calls `each` with every
    /// datagram and its sender. `Err(WouldBlock)` when nothing was waiting.
    pub fn receive(&mut self, fd: RawFd, mut each: impl FnMut(&[u8], SocketAddr)) -> io::Result<usize> {
        // SAFETY: all-zero is a valid value of these plain C structures.
        let mut names: [libc::sockaddr_storage; BATCH] = unsafe { zeroed() };
        let mut vectors: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut messages: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        for i in 0..BATCH {
            vectors[i] = libc::iovec { iov_base: self.buffers[i].as_mut_ptr().cast(), iov_len: DATAGRAM };
            messages[i].msg_hdr.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
            messages[i].msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            messages[i].msg_hdr.msg_iov = &mut vectors[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every message points at a live buffer and name of the sizes given.
        let count = unsafe {
            libc::recvmmsg(fd, messages.as_mut_ptr(), BATCH as libc::c_uint, libc::MSG_DONTWAIT, std::ptr::null_mut())
        };
        if count < 0 {
            return Err(io::Error::last_os_error());
        }
        let count = count as usize;
        for i in 0..count {
            let length = messages[i].msg_len as usize;
            // A datagram larger than the buffer was cut: no protocol here accepts it whole.
            if messages[i].msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                continue;
            }
            if let Some(from) = socket_addr(&names[i]) {
                each(&self.buffers[i][..length], from);
            }
        }
        Ok(count)
    }
}

/// Sends `datagrams[*sent..]` in batches until all are sent or the socket is full
/// (`Err(WouldBlock)`: call again once it is writable). A datagram the kernel refuses for
/// another reason (an unreachable address) is skipped, counted in the result's second field.
pub(crate) fn send(fd: RawFd, datagrams: &[(SocketAddr, &[u8])], sent: &mut usize) -> io::Result<usize> {
    let mut refused = 0;
    while *sent < datagrams.len() {
        let chunk = &datagrams[*sent..datagrams.len().min(*sent + BATCH)];
        // SAFETY: all-zero is a valid value of these plain C structures.
        let mut names: [libc::sockaddr_storage; BATCH] = unsafe { zeroed() };
        let mut vectors: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut messages: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        for (i, (to, bytes)) in chunk.iter().enumerate() {
            let length = write_socket_addr(*to, &mut names[i]);
            vectors[i] = libc::iovec { iov_base: bytes.as_ptr() as *mut libc::c_void, iov_len: bytes.len() };
            messages[i].msg_hdr.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
            messages[i].msg_hdr.msg_namelen = length;
            messages[i].msg_hdr.msg_iov = &mut vectors[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every message points at a live buffer and name of the sizes given; the
        // kernel only reads the buffers.
        let count =
            unsafe { libc::sendmmsg(fd, messages.as_mut_ptr(), chunk.len() as libc::c_uint, libc::MSG_DONTWAIT) };
        if count < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::WouldBlock || error.kind() == io::ErrorKind::Interrupted {
                return Err(error);
            }
            // The first datagram of the chunk was refused; the rest may go.
            tracing::debug!(to = %chunk[0].0, error = %error, "a media datagram was refused");
            refused += 1;
            *sent += 1;
            continue;
        }
        *sent += count as usize;
    }
    Ok(refused)
}

fn socket_addr(name: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match i32::from(name.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let v4 = unsafe { &*(name as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(v4.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let v6 = unsafe { &*(name as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(v6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(ip, u16::from_be(v6.sin6_port), v6.sin6_flowinfo, v6.sin6_scope_id)))
        }
        _ => None,
    }
}

fn write_socket_addr(addr: SocketAddr, name: &mut libc::sockaddr_storage) -> libc::socklen_t {
    match addr {
        SocketAddr::V4(v4) => {
            // SAFETY: sockaddr_storage is large and aligned enough for a sockaddr_in.
            let out = unsafe { &mut *(name as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            out.sin_family = libc::AF_INET as libc::sa_family_t;
            out.sin_port = v4.port().to_be();
            out.sin_addr = libc::in_addr { s_addr: u32::from(*v4.ip()).to_be() };
            size_of::<libc::sockaddr_in>() as libc::socklen_t
        }
        SocketAddr::V6(v6) => {
            // SAFETY: sockaddr_storage is large and aligned enough for a sockaddr_in6.
            let out = unsafe { &mut *(name as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            out.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            out.sin6_port = v6.port().to_be();
            out.sin6_flowinfo = v6.flowinfo();
            out.sin6_addr = libc::in6_addr { s6_addr: v6.ip().octets() };
            out.sin6_scope_id = v6.scope_id();
            size_of::<libc::sockaddr_in6>() as libc::socklen_t
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_batch_goes_out_and_comes_back_whole_and_in_order() {
        for host in ["127.0.0.1:0", "[::1]:0"] {
            let Ok(a) = std::net::UdpSocket::bind(host) else {
                continue; // no IPv6 on this machine
            };
            let b = std::net::UdpSocket::bind(host).unwrap();
            let to = b.local_addr().unwrap();
            let payloads: Vec<Vec<u8>> = (0..70u8).map(|i| vec![i; 20 + usize::from(i) * 13]).collect();
            let datagrams: Vec<(SocketAddr, &[u8])> = payloads.iter().map(|p| (to, p.as_slice())).collect();
            let mut sent = 0;
            assert_eq!(send(a.as_raw_fd(), &datagrams, &mut sent).unwrap(), 0);
            assert_eq!(sent, 70);
            let mut receiver = Receiver::default();
            let mut got = Vec::new();
            while got.len() < 70 {
                match receiver.receive(b.as_raw_fd(), |bytes, from| got.push((bytes.to_vec(), from))) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(got.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(), payloads);
            assert!(got.iter().all(|(_, from)| *from == a.local_addr().unwrap()));
            // Nothing more is waiting.
            let error = receiver.receive(b.as_raw_fd(), |_, _| panic!("no datagram")).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        }
    }
}
