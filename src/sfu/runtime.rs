//! The async runtime the media library runs on: tokio, with larger UDP socket buffers. The
//! library binds its own sockets and never sizes them; the kernel default (~208 KiB) drops a
//! third of a burst of video packets before we ever see them.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use webrtc::runtime::{
    AsyncInterval, AsyncTcpListener, AsyncTcpStream, AsyncUdpSocket, JoinHandle, Runtime, TokioRuntime,
};

/// Tokio with `SO_RCVBUF`/`SO_SNDBUF` set on every media socket.
#[derive(Debug)]
pub(crate) struct MediaRuntime {
    /// Requested buffer size in bytes (the kernel caps it at `net.core.rmem_max`/`wmem_max`).
    pub socket_buffer: usize,
}

impl Runtime for MediaRuntime {
    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) -> Box<dyn JoinHandle> {
        TokioRuntime.spawn(future)
    }

    fn spawn_reactor(&self, n: usize, future: Pin<Box<dyn Future<Output = ()> + Send>>) -> Box<dyn JoinHandle> {
        TokioRuntime.spawn_reactor(n, future)
    }

    fn wrap_udp_socket(&self, socket: std::net::UdpSocket) -> io::Result<Arc<dyn AsyncUdpSocket>> {
        enlarge_buffers(&socket, self.socket_buffer);
        TokioRuntime.wrap_udp_socket(socket)
    }

    fn wrap_tcp_listener(&self, listener: std::net::TcpListener) -> io::Result<Arc<dyn AsyncTcpListener>> {
        TokioRuntime.wrap_tcp_listener(listener)
    }

    fn connect_tcp<'a>(
        &'a self,
        addr: SocketAddr,
    ) -> Pin<Box<dyn Future<Output = io::Result<Arc<dyn AsyncTcpStream>>> + Send + 'a>> {
        TokioRuntime.connect_tcp(addr)
    }

    fn resolve_host<'a>(
        &'a self,
        host: &'a str,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        TokioRuntime.resolve_host(host)
    }

    fn now(&self) -> Instant {
        TokioRuntime.now()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        TokioRuntime.sleep(duration)
    }

    fn interval(&self, period: Duration) -> Box<dyn AsyncInterval> {
        TokioRuntime.interval(period)
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) {
        TokioRuntime.block_on(future)
    }

    fn name(&self) -> &'static str {
        "tokio (media sockets with large buffers)"
    }
}

/// Asks for `size` bytes of kernel buffer each way on a media socket (the kernel caps it at
/// `net.core.rmem_max`/`wmem_max`); a refusal is logged, the socket works with less.
pub(crate) fn enlarge_buffers(socket: &std::net::UdpSocket, size: usize) {
    let sock = socket2::SockRef::from(socket);
    if let Err(e) = sock.set_recv_buffer_size(size).and_then(|()| sock.set_send_buffer_size(size)) {
        tracing::warn!(error = %e, "cannot enlarge a media socket's buffers");
    }
}
