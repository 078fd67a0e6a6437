//! `ZMQ_MAXMSGSIZE` bounds a whole message, not just each part: the libzmq this crate builds
//! carries a patch (`zmq-sys/patches/`) under which the sizes of the parts of one
//! message, plus 64 bytes (`sizeof (zmq_msg_t)`) for every part after the first, may add up
//! to at most the limit. A peer whose message goes over is dropped as one sending an oversized
//! part always was. These tests pin that rule at its edges, on raw sockets, and show that
//! libzmq's default (no limit) is unchanged.

use crate::shared;
use std::time::Duration;

/// How long a step may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(30);

/// What a receiver made of one message from a fresh peer.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The message came through, with these part sizes.
    Received(Vec<usize>),
    /// The receiver disconnected the peer, and no message came.
    Dropped,
}

/// Sends one message of parts of `sizes` bytes from a fresh PUSH peer to a fresh PULL
/// receiver with `ZMQ_MAXMSGSIZE` set to `limit` (`None`: libzmq's default), and says what the
/// receiver made of it: the message, or the peer disconnected (its socket monitor's
/// `DISCONNECTED`).
fn offer(limit: Option<i64>, sizes: &[usize]) -> Outcome {
    let ctx = zmq::Context::new();
    let receiver = ctx.socket(zmq::PULL).expect("socket");
    receiver.set_linger(0).expect("linger");
    if let Some(limit) = limit {
        receiver.set_maxmsgsize(limit).expect("maxmsgsize");
    }
    receiver.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = receiver
        .get_last_endpoint()
        .expect("endpoint")
        .expect("utf-8");
    receiver
        .monitor(
            "inproc://monitor",
            i32::from(zmq::SocketEvent::DISCONNECTED.to_raw()),
        )
        .expect("monitor");
    let monitor = ctx.socket(zmq::PAIR).expect("socket");
    monitor.connect("inproc://monitor").expect("monitor");

    let sender = ctx.socket(zmq::PUSH).expect("socket");
    sender.set_linger(0).expect("linger");
    // Dropped once is dropped for good: no second try of the rest of the message.
    sender.set_reconnect_ivl(-1).expect("reconnect");
    sender.connect(&endpoint).expect("connect");
    let parts: Vec<Vec<u8>> = sizes.iter().map(|&n| vec![0x5A; n]).collect();
    sender.send_multipart(&parts, 0).expect("send");

    let mut items = [
        receiver.as_poll_item(zmq::POLLIN),
        monitor.as_poll_item(zmq::POLLIN),
    ];
    let n = zmq::poll(&mut items, HANG.as_millis() as i64).expect("poll");
    assert!(
        n > 0,
        "neither a message nor a disconnection within {HANG:?}"
    );
    if items[0].is_readable() {
        let got = receiver.recv_multipart(0).expect("recv");
        assert!(
            got.iter().all(|p| p.iter().all(|&b| b == 0x5A)),
            "the bytes changed"
        );
        Outcome::Received(got.iter().map(Vec::len).collect())
    } else {
        let event = monitor.recv_multipart(0).expect("monitor event");
        let id = u16::from_le_bytes([event[0][0], event[0][1]]);
        assert_eq!(id, zmq::SocketEvent::DISCONNECTED.to_raw(), "{event:?}");
        // Nothing of the message reached the application.
        assert!(
            receiver.recv_multipart(zmq::DONTWAIT).is_err(),
            "a message came after all"
        );
        Outcome::Dropped
    }
}

fn received(sizes: &[usize]) -> Outcome {
    Outcome::Received(sizes.to_vec())
}

/// A single-part message is limited exactly as before: up to the limit, inclusive.
#[test]
fn a_single_part_fits_up_to_the_limit() {
    let _turn = shared();
    assert_eq!(offer(Some(1000), &[1000]), received(&[1000]));
    assert_eq!(offer(Some(1000), &[1001]), Outcome::Dropped);
}

/// The parts add up, each after the first costing 64 bytes more: 290 + 290 + 292 + 2 × 64 is
/// 1000 and fits, one byte more does not, nor do three parts of 400 (each well under the
/// limit, which was all that unpatched libzmq checked).
#[test]
fn the_parts_of_a_message_add_up_with_64_bytes_each_after_the_first() {
    let _turn = shared();
    assert_eq!(
        offer(Some(1000), &[290, 290, 292]),
        received(&[290, 290, 292])
    );
    assert_eq!(offer(Some(1000), &[290, 290, 293]), Outcome::Dropped);
    assert_eq!(offer(Some(1000), &[400, 400, 400]), Outcome::Dropped);
    assert_eq!(offer(Some(1000), &[300, 300, 300]), Outcome::Dropped);
    assert_eq!(
        offer(Some(1000), &[300, 300, 270]),
        received(&[300, 300, 270])
    );
}

/// Empty parts are not free: 16 of them cost 15 × 64 = 960 bytes and fit in 1000, 17 cost
/// 1024 and do not.
#[test]
fn empty_parts_reach_the_limit_too() {
    let _turn = shared();
    assert_eq!(offer(Some(1000), &[0; 16]), received(&[0; 16]));
    assert_eq!(offer(Some(1000), &[0; 17]), Outcome::Dropped);
}

/// The limit is per message: after a message that fills it, the next one starts from zero.
#[test]
fn each_message_has_the_whole_limit() {
    let _turn = shared();
    let ctx = zmq::Context::new();
    let receiver = ctx.socket(zmq::PULL).expect("socket");
    receiver.set_linger(0).expect("linger");
    receiver
        .set_rcvtimeo(HANG.as_millis() as i32)
        .expect("timeout");
    receiver.set_maxmsgsize(1000).expect("maxmsgsize");
    receiver.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = receiver
        .get_last_endpoint()
        .expect("endpoint")
        .expect("utf-8");
    let sender = ctx.socket(zmq::PUSH).expect("socket");
    sender.set_linger(0).expect("linger");
    sender.connect(&endpoint).expect("connect");
    let message = vec![vec![1u8; 436], vec![2u8; 500]]; // 436 + 64 + 500 = 1000
    for _ in 0..5 {
        sender.send_multipart(&message, 0).expect("send");
    }
    for _ in 0..5 {
        assert_eq!(receiver.recv_multipart(0).expect("recv"), message);
    }
}

/// With no limit (libzmq's default, -1, set or not) nothing changes: any number of parts of any
/// size.
#[test]
fn no_limit_by_default() {
    let _turn = shared();
    for limit in [None, Some(-1)] {
        assert_eq!(offer(limit, &[400, 400, 400]), received(&[400, 400, 400]));
        assert_eq!(offer(limit, &[0; 1000]), received(&[0; 1000]));
        assert_eq!(
            offer(limit, &[1 << 20, 1 << 20, 1 << 20]),
            received(&[1 << 20, 1 << 20, 1 << 20])
        );
    }
}
