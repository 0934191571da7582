//! The HTTP server's listener: TCP connections whose small reads are served from one
//! buffer per thread.
//!
//! An idle signaling connection should cost little memory, and a large part of what it kept
//! was its WebSocket read buffer: tungstenite reads at most its buffer's size per call and
//! keeps that buffer for the connection's life. With [`LeanReads`] under it, tungstenite's buffer
//! can be small (see `signaling::presence::admit`) and still take a whole message per system
//! call: a read smaller than [`DIRECT_READ`] reads what the socket has into the thread's
//! scratch buffer, hands over what fits, and keeps the rest, only until it is asked for.
//! Large reads (hyper's HTTP buffer) go straight to the socket.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// Reads of at least this many bytes go straight to the socket.
const DIRECT_READ: usize = 4096;
/// The per-thread buffer small reads are filled from: what one system call takes at most.
const SCRATCH: usize = 16 * 1024;

thread_local! {
    static SCRATCH_BUFFER: std::cell::RefCell<Box<[u8]>> = std::cell::RefCell::new(vec![0; SCRATCH].into_boxed_slice());
}

/// How many connections the kernel may hold open for the server before it accepts them (the
/// kernel caps it at `net.core.somaxconn`). mio's `bind` asks for 128, as the standard
/// library does, which a crowd connecting at once overflows (the clients of a restarted node
/// coming back, the signaling benchmark's 200 connects in flight): a SYN dropped there is
/// retransmitted a second later, then three.
const LISTEN_BACKLOG: u32 = 4096;

/// A TCP listener on `addr` with [`LISTEN_BACKLOG`] (and `SO_REUSEADDR`, as mio's `bind`
/// sets it, so that a restarted server can listen again at once).
pub fn bind(addr: std::net::SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// A listener whose connections are [`LeanReads`] over TCP. (`TCP_NODELAY` is left off: with
/// it the relay benchmark took ~10 % more CPU per message, each small write its own packet.)
pub struct LeanListener(pub TcpListener);

impl axum::serve::Listener for LeanListener {
    type Io = LeanReads<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (LeanReads::new(stream), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// An I/O stream whose small reads come out of a per-thread buffer; bytes read ahead are
/// kept here until asked for (and then freed). Writes pass through.
pub struct LeanReads<T> {
    io: T,
    /// Boxed: every idle connection holds this field, few hold bytes in it.
    ahead: Option<Box<ReadAhead>>,
}

/// Bytes read from the socket and not yet handed over.
struct ReadAhead {
    bytes: Box<[u8]>,
    taken: usize,
}

impl<T> LeanReads<T> {
    pub fn new(io: T) -> Self {
        Self { io, ahead: None }
    }

    /// Puts bytes that someone else read off the socket (hyper, up to an upgrade) back in
    /// front of the stream, before anything read ahead here.
    pub fn unread(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut all = bytes.to_vec();
        if let Some(ahead) = self.ahead.take() {
            all.extend_from_slice(&ahead.bytes[ahead.taken..]);
        }
        self.ahead = Some(Box::new(ReadAhead { bytes: all.into_boxed_slice(), taken: 0 }));
    }

    /// Hands over read-ahead bytes, if any; true if it did.
    fn hand_over_ahead(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        let Some(ahead) = &mut self.ahead else { return false };
        let n = (ahead.bytes.len() - ahead.taken).min(buf.remaining());
        buf.put_slice(&ahead.bytes[ahead.taken..ahead.taken + n]);
        ahead.taken += n;
        if ahead.taken == ahead.bytes.len() {
            self.ahead = None;
        }
        true
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for LeanReads<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if buf.remaining() == 0 || this.hand_over_ahead(buf) {
            return Poll::Ready(Ok(()));
        }
        if buf.remaining() >= DIRECT_READ {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        SCRATCH_BUFFER.with_borrow_mut(|scratch| {
            let mut filled = ReadBuf::new(scratch);
            ready!(Pin::new(&mut this.io).poll_read(cx, &mut filled))?;
            let read = filled.filled();
            let n = read.len().min(buf.remaining());
            buf.put_slice(&read[..n]);
            if n < read.len() {
                this.ahead = Some(Box::new(ReadAhead { bytes: read[n..].into(), taken: 0 }));
            }
            Poll::Ready(Ok(()))
        })
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for LeanReads<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, data)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::LeanReads;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_burst_of_connections_beyond_128_waits_to_be_accepted_instead_of_being_dropped() {
        let listener = super::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        // Nothing accepts: each connection completes only if the kernel's queue has room.
        let mut connected = Vec::new();
        for _ in 0..300 {
            let connect = tokio::net::TcpStream::connect(addr);
            let stream = tokio::time::timeout(std::time::Duration::from_secs(5), connect).await;
            connected.push(stream.expect("connected without a SYN retransmission").unwrap());
        }
        assert_eq!(connected.len(), 300);
    }

    #[tokio::test]
    async fn small_reads_get_every_byte_in_order_from_one_socket_read() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let message: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&message).await.unwrap();
        drop(client);
        let mut lean = LeanReads::new(server);
        let mut received = Vec::new();
        let mut chunk = [0u8; 256];
        loop {
            let n = lean.read(&mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            // After the first read the rest was read ahead, and is held only until taken.
            assert!(lean.ahead.is_some() || received.len() + n == message.len());
            received.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(received, message);
        assert!(lean.ahead.is_none(), "nothing is kept once everything is handed over");
    }

    #[tokio::test]
    async fn bytes_put_back_are_read_first_then_the_stream() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        client.write_all(b" and then the socket").await.unwrap();
        drop(client);
        let mut lean = LeanReads::new(server);
        lean.unread(b"read by hyper");
        let mut received = Vec::new();
        lean.read_to_end(&mut received).await.unwrap();
        assert_eq!(received, b"read by hyper and then the socket");
    }

    #[tokio::test]
    async fn large_reads_go_straight_to_the_stream() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        client.write_all(&[7u8; 6000]).await.unwrap();
        let mut lean = LeanReads::new(server);
        let mut buf = vec![0u8; 8192];
        let n = lean.read(&mut buf).await.unwrap();
        assert_eq!(n, 6000);
        assert!(lean.ahead.is_none());
    }
}

/// The address of a connection's peer, for the requests on it (`ConnectInfo<PeerAddress>`).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddress(pub std::net::SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, LeanListener>> for PeerAddress {
    fn connect_info(stream: axum::serve::IncomingStream<'_, LeanListener>) -> Self {
        Self(*stream.remote_addr())
    }
}
