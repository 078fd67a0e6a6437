//! Real sockets over `inproc://` and TCP loopback: round trips, errors, options, poll, the
//! monitor.

mod common;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use common::{TIMEOUT_MS, bind_loopback, inproc_pair, socket, tcp_pair};
use netgear_zmq as zmq;

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn thread_safety_of_the_types() {
    assert_send_sync::<zmq::Context>();
    assert_send_sync::<zmq::Message>();
    assert_send_sync::<zmq::Error>();
    assert_send::<zmq::Socket>();
}

#[test]
fn version_is_4_3_5() {
    assert_eq!(zmq::version(), (4, 3, 5));
}

/// Sends a three-part message each way and reads it part by part and whole.
fn round_trip(a: &zmq::Socket, b: &zmq::Socket) {
    a.send_multipart([&b"one"[..], b"", b"three"], 0)
        .expect("send");
    let first = b.recv_msg(0).expect("first");
    assert_eq!(&first[..], b"one");
    assert!(first.get_more());
    assert!(b.get_rcvmore().expect("rcvmore"));
    let second = b.recv_msg(0).expect("second");
    assert!(second.is_empty());
    assert!(second.get_more());
    let third = b.recv_msg(0).expect("third");
    assert_eq!(third.as_str(), Some("three"));
    assert!(!third.get_more());
    assert!(!b.get_rcvmore().expect("rcvmore"));

    // Every kind of `Sendable` callers pass.
    let parts: Vec<Vec<u8>> = vec![b"vec".to_vec(), vec![0xFF; 5000]];
    b.send_multipart(&parts, 0).expect("send &Vec<Vec<u8>>");
    assert_eq!(a.recv_multipart(0).expect("recv"), parts);
    b.send(&b"slice"[..], zmq::SNDMORE).expect("&[u8]");
    b.send(b"array", zmq::SNDMORE).expect("&[u8; N]");
    b.send("text", zmq::SNDMORE).expect("&str");
    b.send(String::from("string"), zmq::SNDMORE)
        .expect("String");
    b.send(vec![1u8, 2, 3], zmq::SNDMORE).expect("Vec<u8>");
    b.send(zmq::Message::from(&b"message"[..]), 0)
        .expect("Message");
    let got = a.recv_multipart(0).expect("recv");
    let want: [&[u8]; 6] = [
        b"slice",
        b"array",
        b"text",
        b"string",
        &[1, 2, 3],
        b"message",
    ];
    assert_eq!(got, want);

    a.send("text back", 0).expect("send");
    assert_eq!(b.recv_string(0).expect("recv"), Ok("text back".to_owned()));
    a.send(&[0xFFu8, 0xFE][..], 0).expect("send");
    assert_eq!(b.recv_string(0).expect("recv"), Err(vec![0xFF, 0xFE]));

    a.send(&b"truncated"[..], 0).expect("send");
    let mut buf = [0u8; 4];
    assert_eq!(b.recv_into(&mut buf, 0).expect("recv"), 9);
    assert_eq!(&buf, b"trun");

    // Receiving into a message that had content replaces it.
    let mut msg = zmq::Message::from(vec![9u8; 100]);
    a.send(&b"again"[..], 0).expect("send");
    b.recv(&mut msg, 0).expect("recv");
    assert_eq!(&msg[..], b"again");
}

#[test]
fn pair_round_trip_inproc() {
    let ctx = zmq::Context::new();
    let (a, b) = inproc_pair(&ctx, "round-trip");
    round_trip(&a, &b);
}

#[test]
fn pair_round_trip_tcp() {
    let ctx = zmq::Context::new();
    let (a, b) = tcp_pair(&ctx);
    round_trip(&a, &b);
}

#[test]
fn sockets_keep_their_context_and_move_between_threads() {
    let (a, b) = inproc_pair(&zmq::Context::new(), "threads");
    let echo = std::thread::spawn(move || {
        let msg = b.recv_msg(0).expect("recv");
        b.send(msg, 0).expect("send");
        b
    });
    a.send(&b"ping"[..], 0).expect("send");
    assert_eq!(a.recv_bytes(0).expect("recv"), b"ping");
    drop(echo.join().expect("echo thread"));
}

#[test]
fn errors_are_numbers_with_names_and_texts() {
    let ctx = zmq::Context::new();
    let (a, _b) = inproc_pair(&ctx, "errors");
    match a.recv_msg(zmq::DONTWAIT) {
        Err(zmq::Error::EAGAIN) => {}
        other => panic!("{other:?}"),
    }
    let e = a.recv_bytes(zmq::DONTWAIT).expect_err("nothing to receive");
    assert_eq!(e, zmq::Error::EAGAIN);
    assert_eq!(e.to_raw(), libc_eagain());
    assert_eq!(zmq::Error::from_raw(e.to_raw()), e);
    assert_eq!(e.to_string(), e.message());
    assert!(!e.message().is_empty());
    assert_eq!(format!("{e:?}"), format!("Error(EAGAIN: {})", e.message()));
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);

    // Not endpoints.
    assert_eq!(a.bind("nonsense"), Err(zmq::Error::EINVAL));
    assert_eq!(a.connect("tcp://127.0.0.1:1\0"), Err(zmq::Error::EINVAL));
    assert_eq!(
        a.bind("bogus://x"),
        Err(zmq::Error::EPROTONOSUPPORT),
        "an unknown transport"
    );
    assert_eq!(a.unbind("inproc://never-bound"), Err(zmq::Error::ENOENT));
    // A REQ cannot receive before it sends.
    let req = socket(&ctx, zmq::REQ);
    assert_eq!(req.recv_bytes(0), Err(zmq::Error::EFSM));
    assert_eq!(
        zmq::Error::EFSM.message(),
        "Operation cannot be accomplished in current state"
    );
}

/// EAGAIN as the platform numbers it.
fn libc_eagain() -> i32 {
    std::io::Error::from(std::io::ErrorKind::WouldBlock)
        .raw_os_error()
        .unwrap_or(11)
}

#[test]
fn options_read_back() {
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::ROUTER).expect("socket");
    assert_eq!(s.get_socket_type(), Ok(zmq::ROUTER));
    s.set_linger(123).expect("linger");
    assert_eq!(s.get_linger(), Ok(123));
    s.set_rcvhwm(7).expect("rcvhwm");
    assert_eq!(s.get_rcvhwm(), Ok(7));
    s.set_sndhwm(8).expect("sndhwm");
    assert_eq!(s.get_sndhwm(), Ok(8));
    s.set_maxmsgsize(1 << 40).expect("maxmsgsize");
    assert_eq!(s.get_maxmsgsize(), Ok(1 << 40));
    s.set_rcvtimeo(50).expect("rcvtimeo");
    assert_eq!(s.get_rcvtimeo(), Ok(50));
    s.set_heartbeat_ivl(1000).expect("heartbeat");
    assert_eq!(s.get_heartbeat_ivl(), Ok(1000));
    s.set_identity(b"me").expect("identity");
    assert_eq!(s.get_identity(), Ok(b"me".to_vec()));
    s.set_ipv6(true).expect("ipv6");
    assert_eq!(s.is_ipv6(), Ok(true));
    s.set_router_mandatory(true).expect("router mandatory");
    s.set_zap_domain("domain").expect("zap domain");
    assert_eq!(s.get_zap_domain(), Ok(Ok("domain".to_owned())));
    s.set_affinity(3).expect("affinity");
    assert_eq!(s.get_affinity(), Ok(3));
    // An option the socket type does not have.
    assert_eq!(s.set_subscribe(b""), Err(zmq::Error::EINVAL));
    // A value out of range is refused.
    assert_eq!(s.set_linger(-5), Err(zmq::Error::EINVAL));

    let sub = ctx.socket(zmq::SUB).expect("socket");
    sub.set_subscribe(b"").expect("subscribe");
    sub.set_unsubscribe(b"").expect("unsubscribe");
    let req = ctx.socket(zmq::REQ).expect("socket");
    req.set_req_relaxed(true).expect("relaxed");
    req.set_req_correlate(true).expect("correlate");

    assert_eq!(ctx.get_io_threads(), Ok(1));
}

#[test]
fn poll_readiness() {
    let ctx = zmq::Context::new();
    let (a, b) = inproc_pair(&ctx, "poll");
    {
        let mut items = [b.as_poll_item(zmq::POLLIN), a.as_poll_item(zmq::POLLOUT)];
        assert_eq!(zmq::poll(&mut items, 0), Ok(1));
        assert!(!items[0].is_readable());
        assert!(items[1].is_writable());
        assert!(items[1].has_socket(&a));
        assert!(!items[1].has_socket(&b));
    }
    assert_eq!(b.poll(zmq::POLLIN, 0), Ok(0));
    assert!(!b.get_events().expect("events").contains(zmq::POLLIN));

    a.send(&b"ready"[..], 0).expect("send");
    let mut items = [b.as_poll_item(zmq::POLLIN | zmq::POLLOUT)];
    assert_eq!(zmq::poll(&mut items, i64::from(TIMEOUT_MS)), Ok(1));
    assert!(items[0].is_readable());
    assert_eq!(items[0].get_revents(), zmq::POLLIN | zmq::POLLOUT);
    assert!(!items[0].is_error());
    assert_eq!(b.poll(zmq::POLLIN, 0), Ok(1));
    let events = b.get_events().expect("events");
    assert!(events.contains(zmq::POLLIN) && !events.is_empty());
    assert_eq!(format!("{events:?}"), "POLLIN | POLLOUT");
    assert_ne!(b.get_fd().expect("fd"), -1);
    b.recv_bytes(0).expect("recv");

    // A plain file descriptor.
    let (mut left, right) = std::os::unix::net::UnixStream::pair().expect("socketpair");
    let mut items = [zmq::PollItem::from_fd(right.as_raw_fd(), zmq::POLLIN)];
    assert_eq!(zmq::poll(&mut items, 0), Ok(0));
    left.write_all(b"x").expect("write");
    assert_eq!(zmq::poll(&mut items, i64::from(TIMEOUT_MS)), Ok(1));
    assert!(items[0].is_readable() && items[0].has_fd(right.as_raw_fd()));

    // A timeout passes.
    let start = Instant::now();
    let mut items = [b.as_poll_item(zmq::POLLIN)];
    assert_eq!(zmq::poll(&mut items, 50), Ok(0));
    assert!(start.elapsed() >= Duration::from_millis(40));
}

/// Reads monitor events (event, value) until `want` have all come.
fn read_events(monitor: &zmq::Socket, want: &[zmq::SocketEvent]) -> Vec<zmq::SocketEvent> {
    let mut seen = Vec::new();
    while !want.iter().all(|e| seen.contains(e)) {
        let parts = monitor.recv_multipart(0).expect("a monitor event");
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert_eq!(parts[0].len(), 6, "{parts:?}");
        let event = zmq::SocketEvent::from_raw(u16::from_ne_bytes([parts[0][0], parts[0][1]]));
        assert!(String::from_utf8(parts[1].clone()).is_ok_and(|e| e.starts_with("tcp://")));
        seen.push(event);
    }
    seen
}

#[test]
fn monitor_events() {
    let ctx = zmq::Context::new();
    let server = socket(&ctx, zmq::PAIR);
    let watched = [
        zmq::SocketEvent::ACCEPTED,
        zmq::SocketEvent::HANDSHAKE_SUCCEEDED,
    ];
    let events = watched.iter().fold(0, |all, e| all | i32::from(e.to_raw()));
    server
        .monitor("inproc://monitor-events", events)
        .expect("monitor");
    let monitor = socket(&ctx, zmq::PAIR);
    monitor
        .connect("inproc://monitor-events")
        .expect("monitor connects");
    let endpoint = bind_loopback(&server);
    let client = socket(&ctx, zmq::PAIR);
    client.connect(&endpoint).expect("connect");
    let seen = read_events(&monitor, &watched);
    assert!(
        seen.iter().all(|e| watched.contains(e)),
        "only the events asked for: {seen:?}"
    );
    // Events as `match` patterns.
    for event in seen {
        let name = match event {
            zmq::SocketEvent::ACCEPTED => "accepted",
            zmq::SocketEvent::HANDSHAKE_SUCCEEDED => "handshake",
            _ => "other",
        };
        assert_ne!(name, "other");
    }
}
