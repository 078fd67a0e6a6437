//! Helpers of the tests: sockets that cannot hang a test, and loopback endpoints.

#![allow(dead_code)]

use netgear_zmq as zmq;

/// The longest any receive waits: a bound on hangs only.
pub const TIMEOUT_MS: i32 = 10_000;

/// A socket of `kind` with LINGER 0 and receive/send timeouts of [`TIMEOUT_MS`].
pub fn socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(kind).expect("socket");
    s.set_linger(0).expect("linger");
    s.set_rcvtimeo(TIMEOUT_MS).expect("rcvtimeo");
    s.set_sndtimeo(TIMEOUT_MS).expect("sndtimeo");
    s
}

/// Binds `s` to a free port of 127.0.0.1 (chosen by the system) and returns the endpoint.
pub fn bind_loopback(s: &zmq::Socket) -> String {
    s.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = s.get_last_endpoint().expect("endpoint").expect("utf-8");
    assert!(!endpoint.ends_with(":*"), "{endpoint}");
    endpoint
}

/// A connected PAIR of sockets over `inproc://` (bound, then connected).
pub fn inproc_pair(ctx: &zmq::Context, name: &str) -> (zmq::Socket, zmq::Socket) {
    let a = socket(ctx, zmq::PAIR);
    let b = socket(ctx, zmq::PAIR);
    let endpoint = format!("inproc://{name}");
    a.bind(&endpoint).expect("bind");
    b.connect(&endpoint).expect("connect");
    (a, b)
}

/// A connected PAIR of sockets over TCP loopback.
pub fn tcp_pair(ctx: &zmq::Context) -> (zmq::Socket, zmq::Socket) {
    let a = socket(ctx, zmq::PAIR);
    let b = socket(ctx, zmq::PAIR);
    let endpoint = bind_loopback(&a);
    b.connect(&endpoint).expect("connect");
    (a, b)
}
