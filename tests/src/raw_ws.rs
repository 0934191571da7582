//! A WebSocket client that writes frames byte by byte, for feeding the hub what a proper
//! client library would never send: broken frames, reserved bits and opcodes, lone
//! continuations, unmasked frames, lengths past every limit.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct RawSocket {
    stream: TcpStream,
    /// What was read past the last frame returned.
    buffered: Vec<u8>,
}

/// A frame as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerFrame {
    Text(String),
    Close(Option<u16>),
    Other(u8),
}

/// How a connection ended, seen from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server's close frame arrived, with this code.
    Closed(Option<u16>),
    /// The connection went without a close frame (a reset or a bare FIN).
    Cut,
    /// Still open after the wait.
    Open,
}

/// One frame: `fin`, the three RSV bits, the opcode, the payload, masked or not.
pub fn frame(fin: bool, rsv: u8, opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | ((rsv & 7) << 4) | (opcode & 0x0f)];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= u16::MAX as usize => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

impl RawSocket {
    /// Opens `path_and_query` on `base` (`http://host:port`) with a WebSocket handshake;
    /// `None` if the server does not answer 101.
    pub async fn open(base: &str, path_and_query: &str) -> Option<Self> {
        let address = base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).await.ok()?;
        let request = format!(
            "GET {path_and_query} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await.ok()? == 0 {
                return None;
            }
            head.push(byte[0]);
        }
        String::from_utf8_lossy(&head).starts_with("HTTP/1.1 101").then_some(Self { stream, buffered: Vec::new() })
    }

    /// Sends bytes as they are; false once the server no longer takes them.
    pub async fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    /// The next frame from the server within `wait`; `Err(true)` if the connection went,
    /// `Err(false)` if nothing came in time.
    pub async fn next(&mut self, wait: Duration) -> Result<ServerFrame, bool> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some((frame, used)) = parse(&self.buffered) {
                self.buffered.drain(..used);
                return Ok(frame);
            }
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Err(_) => return Err(false),
                Ok(Ok(0)) | Ok(Err(_)) => return Err(true),
                Ok(Ok(n)) => self.buffered.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Reads until the server's close frame, the end of the connection, or `wait` without
    /// either; answers a close with a close, as a client does.
    pub async fn outcome(&mut self, wait: Duration) -> Outcome {
        loop {
            match self.next(wait).await {
                Ok(ServerFrame::Close(code)) => {
                    let _ = self.send(&frame(true, 0, 0x8, &code.unwrap_or(1000).to_be_bytes(), true)).await;
                    return Outcome::Closed(code);
                }
                Ok(_) => {}
                Err(true) => return Outcome::Cut,
                Err(false) => return Outcome::Open,
            }
        }
    }
}

/// One unmasked server frame at the start of `bytes`, and its length.
fn parse(bytes: &[u8]) -> Option<(ServerFrame, usize)> {
    let (first, second) = (*bytes.first()?, *bytes.get(1)?);
    let (length, mut at) = match second & 0x7f {
        126 => (u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?]) as usize, 4),
        127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?) as usize, 10),
        n => (n as usize, 2),
    };
    let payload = bytes.get(at..at + length)?;
    at += length;
    let frame = match first & 0x0f {
        0x1 => ServerFrame::Text(String::from_utf8_lossy(payload).into_owned()),
        0x8 => ServerFrame::Close((payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]))),
        other => ServerFrame::Other(other),
    };
    Some((frame, at))
}
