//! Raw ZeroMQ peers: sockets made by hand, to send what a netgear end never would (garbage,
//! wrong part counts, silence) and to see exactly what an end sends.

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use netgear::wire;
use netgear::{Data, Frame};

/// How long a raw peer waits for a message before its `recv` fails: a bound on hangs only.
pub const RAW_TIMEOUT_MS: i32 = 10_000;

/// Whether the raw socket binds or connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Bind,
    Connect,
}

/// A socket of `kind` bound or connected on tcp 127.0.0.1:`port`, with LINGER 0 and a receive
/// timeout of [`RAW_TIMEOUT_MS`].
pub fn socket(kind: zmq::SocketType, port: u16, side: Side) -> zmq::Socket {
    // The socket keeps its context alive.
    let s = zmq::Context::new().socket(kind).expect("socket");
    s.set_linger(0).expect("linger");
    s.set_rcvtimeo(RAW_TIMEOUT_MS).expect("rcvtimeo");
    let endpoint = format!("tcp://127.0.0.1:{port}");
    match side {
        Side::Bind => s.bind(&endpoint).expect("bind"),
        Side::Connect => s.connect(&endpoint).expect("connect"),
    }
    s
}

/// A socket of `kind` bound on tcp 127.0.0.1 at a port the kernel picks, with the options of
/// [`socket`], and that port.
pub fn bound(kind: zmq::SocketType) -> (zmq::Socket, u16) {
    let s = zmq::Context::new().socket(kind).expect("socket");
    s.set_linger(0).expect("linger");
    s.set_rcvtimeo(RAW_TIMEOUT_MS).expect("rcvtimeo");
    s.bind("tcp://127.0.0.1:0").expect("bind");
    let endpoint = s
        .get_last_endpoint()
        .expect("ZMQ_LAST_ENDPOINT")
        .expect("UTF-8");
    let port = endpoint
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {endpoint}"));
    (s, port)
}

/// A raw REQ peer connected to a client on `port`: what a hostile sender looks like.
pub fn req(port: u16) -> zmq::Socket {
    socket(zmq::REQ, port, Side::Connect)
}

/// A 2×2 BGR frame of 7s.
pub fn sevens() -> Frame {
    Frame::from_bgr(
        netgear::Size {
            width: 2,
            height: 2,
        },
        vec![7u8; 12],
    )
    .expect("frame")
}

/// The two parts a server sends for `frame` (with `data` in bidirectional mode).
pub fn frame_message(bidirectional: bool, data: Option<&Data>, frame: &Frame) -> Vec<Vec<u8>> {
    let mut header = Vec::new();
    wire::encode_header(&mut header, bidirectional, data);
    vec![header, wire::encode_frame(frame)]
}

/// A plain (not bidirectional) message carrying [`sevens`].
pub fn good_message() -> Vec<Vec<u8>> {
    frame_message(false, None, &sevens())
}

/// The server's end message, `{"terminate": true}`.
pub fn terminate() -> Vec<u8> {
    let mut end = Vec::new();
    wire::encode_terminate(&mut end);
    end
}

/// Whether `answer` is a plain client's confirmation (`Data received on client: …`).
pub fn is_confirmation(answer: &[u8]) -> bool {
    answer.starts_with(b"Data received on client")
}

/// The ZMTP 3.0 greeting of a NULL-mechanism client, and its READY command for `socket_type`.
pub fn zmtp_handshake(socket_type: &str) -> Vec<u8> {
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 0];
    let mut mechanism = b"NULL".to_vec();
    mechanism.resize(20, 0);
    g.extend_from_slice(&mechanism);
    g.push(0); // as-server
    g.resize(64, 0); // filler
    let mut ready = vec![5];
    ready.extend_from_slice(b"READY");
    ready.push(11);
    ready.extend_from_slice(b"Socket-Type");
    let len = u32::try_from(socket_type.len()).expect("short name");
    ready.extend_from_slice(&len.to_be_bytes());
    ready.extend_from_slice(socket_type.as_bytes());
    g.push(0x04); // a short command frame
    g.push(u8::try_from(ready.len()).expect("short command"));
    g.extend_from_slice(&ready);
    g
}

/// Reads the receiver's greeting and its READY command: a peer may send messages only after
/// that (a message before it is a protocol error, and the receiver would drop the attacker for
/// that alone).
pub fn await_ready(s: &mut TcpStream) {
    let mut greeting = [0u8; 64];
    s.read_exact(&mut greeting)
        .expect("the receiver's greeting");
    assert_eq!(
        (greeting[0], greeting[9], greeting[10]),
        (0xFF, 0x7F, 3),
        "ZMTP 3"
    );
    let mut flags = [0u8; 1];
    s.read_exact(&mut flags).expect("READY");
    assert_eq!(flags[0] & 0x04, 0x04, "a command first");
    let size = if flags[0] & 0x02 != 0 {
        let mut size = [0u8; 8];
        s.read_exact(&mut size).expect("READY");
        u64::from_be_bytes(size)
    } else {
        let mut size = [0u8; 1];
        s.read_exact(&mut size).expect("READY");
        u64::from(size[0])
    };
    let mut body = vec![0u8; usize::try_from(size).expect("size")];
    s.read_exact(&mut body).expect("READY");
    assert!(body.starts_with(b"\x05READY"), "READY");
}

/// One ZMTP frame: a message part (flag `0x01` when more parts follow) or a command (`0x04`).
pub fn zmtp_frame(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(body.len() + 9);
    match u8::try_from(body.len()) {
        Ok(short) => f.extend([flags, short]),
        Err(_) => {
            f.push(flags | 0x02);
            f.extend((body.len() as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(body);
    f
}

/// A raw CURVE client socket of `kind` with a key pair of its own, for the server whose public
/// key is `server_key` (right or wrong), not yet connected; linger 0.
pub fn curve_client(ctx: &zmq::Context, kind: zmq::SocketType, server_key: &[u8]) -> zmq::Socket {
    let keys = zmq::CurveKeyPair::new().expect("a key pair");
    let client = ctx.socket(kind).expect("socket");
    client.set_curve_serverkey(server_key).expect("server key");
    client
        .set_curve_publickey(&keys.public_key)
        .expect("public key");
    client
        .set_curve_secretkey(&keys.secret_key)
        .expect("secret key");
    client.set_linger(0).expect("linger");
    client
}

/// A socket monitor's events (the raw event numbers), read as they come.
pub struct Events(zmq::Socket);

impl Events {
    /// The events of `s`, made in `ctx` (an inproc endpoint is per context; `name` tells a
    /// context's monitors apart).
    pub fn of(ctx: &zmq::Context, s: &zmq::Socket, name: &str) -> Events {
        let endpoint = format!("inproc://events-{name}");
        s.monitor(&endpoint, i32::from(zmq::SocketEvent::ALL.to_raw()))
            .expect("monitor");
        let reader = ctx.socket(zmq::PAIR).expect("socket");
        reader.connect(&endpoint).expect("connect the monitor");
        Events(reader)
    }

    /// Every event waiting, without waiting.
    pub fn take(&self) -> Vec<u16> {
        let mut got = Vec::new();
        while let Ok(parts) = self.0.recv_multipart(zmq::DONTWAIT) {
            got.push(u16::from_ne_bytes([parts[0][0], parts[0][1]]));
        }
        got
    }

    /// Waits for `event`, at most `wait`, adding what comes to `seen`.
    pub fn await_event(&self, event: zmq::SocketEvent, seen: &mut Vec<u16>, wait: Duration) {
        let deadline = Instant::now() + wait;
        while !seen.contains(&event.to_raw()) {
            assert!(
                Instant::now() < deadline,
                "no {event:?} within {wait:?}: {seen:?}"
            );
            seen.extend(self.take());
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}
