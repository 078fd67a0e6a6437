//! Paths that die while both ends live: a connection whose data the peer no longer
//! acknowledges is found dead by its heartbeat (our libzmq patch
//! `unacknowledged-output-keeps-timeout`), even when the peer's own messages still come
//! through and even when a frame too large for the socket's buffers keeps every PING from
//! being sent. Between real network namespaces (a router in the middle drops one way or
//! both: no reset, no carrier change); needs root, as CI runs.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::netns::{Path, RECEIVER_IP, Way};
use common::raw::Events;

/// A bound on every wait: the heartbeat below finds a dead path in about 2 s.
const WAIT: Duration = Duration::from_secs(20);
/// The sender's heartbeat: a PING every 250 ms, a connection that proves nothing for 1.5 s
/// dropped (a netgear-rs end's with reconnect).
const IVL_MS: i32 = 250;
const TIMEOUT_MS: i32 = 1500;

/// A receiver in its namespace: `kind` bound on port 5700, PINGing every 250 ms but timing
/// out only after a minute (so that it never closes the connection itself here), reading
/// until `stop` and counting what it read in `got`.
fn receiver(
    path: &Path,
    kind: zmq::SocketType,
    stop: Arc<AtomicBool>,
    got: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    let handle = path.within(true, move || {
        let ctx = zmq::Context::new();
        let s = ctx.socket(kind).expect("socket");
        s.set_linger(0).expect("linger");
        s.set_heartbeat_ivl(IVL_MS).expect("ivl");
        s.set_heartbeat_timeout(60_000).expect("timeout");
        s.set_rcvtimeo(50).expect("rcvtimeo");
        s.bind("tcp://0.0.0.0:5700").expect("bind");
        bound_tx.send(()).expect("bound");
        while !stop.load(Ordering::Relaxed) {
            if s.recv_bytes(0).is_ok() {
                got.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    bound_rx.recv_timeout(WAIT).expect("the receiver bound");
    handle
}

/// A sender in its namespace, connected to the receiver with the heartbeat above: sends
/// messages of `size` bytes while `go` holds (without blocking for longer than 100 ms at a
/// time), and reports its monitor's events on `events`.
fn sender(
    path: &Path,
    kind: zmq::SocketType,
    size: usize,
    go: Arc<AtomicBool>,
) -> (std::thread::JoinHandle<()>, std::sync::mpsc::Receiver<u16>) {
    let (events_tx, events_rx) = std::sync::mpsc::channel();
    let handle = path.within(false, move || {
        let ctx = zmq::Context::new();
        let s = ctx.socket(kind).expect("socket");
        s.set_linger(0).expect("linger");
        s.set_heartbeat_ivl(IVL_MS).expect("ivl");
        s.set_heartbeat_timeout(TIMEOUT_MS).expect("timeout");
        s.set_sndhwm(1).expect("sndhwm");
        s.set_sndtimeo(100).expect("sndtimeo");
        let events = Events::of(&ctx, &s, "sender");
        s.connect(&format!("tcp://{RECEIVER_IP}:5700"))
            .expect("connect");
        let message = vec![7u8; size];
        while go.load(Ordering::Relaxed) {
            let _ = s.send(&message[..], 0);
            for e in events.take() {
                let _ = events_tx.send(e);
            }
        }
    });
    (handle, events_rx)
}

/// Waits for `event` among what the sender reported, at most [`WAIT`].
fn await_event(events: &std::sync::mpsc::Receiver<u16>, event: zmq::SocketEvent) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match events.recv_timeout(left) {
            Ok(e) if e == event.to_raw() => return,
            Ok(_) => {}
            Err(_) => panic!("no {event:?} from the sender within {WAIT:?}"),
        }
    }
}

/// The path dies both ways while the sender is in the middle of a frame larger than the
/// socket's buffers: no PING can follow it, so upstream armed no heartbeat timeout and the
/// connection stayed up as long as TCP kept retransmitting (minutes). With the patch the
/// heartbeat interval arms the timeout for the unacknowledged data: the sender drops the
/// connection while the path is still dead.
#[test]
fn a_path_that_dies_mid_frame_is_found_dead_by_the_heartbeat() {
    let path = Path::new();
    let (stop, go, got) = flags();
    let rx = receiver(&path, zmq::PULL, stop.clone(), got.clone());
    let (tx, events) = sender(&path, zmq::PUSH, 32 << 20, go.clone());
    // Frames flowing: one has arrived, so the next ones are being written.
    let deadline = std::time::Instant::now() + WAIT;
    while got.load(Ordering::Relaxed) == 0 {
        assert!(std::time::Instant::now() < deadline, "no frame arrived");
        std::thread::sleep(Duration::from_millis(2));
    }
    path.cut(Way::ToReceiver, true);
    path.cut(Way::ToSender, true);
    await_event(&events, zmq::SocketEvent::DISCONNECTED);
    go.store(false, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    tx.join().expect("the sender");
    rx.join().expect("the receiver");
}

/// `stop` (the receiver's), `go` (the sender's) and the receiver's count.
fn flags() -> (Arc<AtomicBool>, Arc<AtomicBool>, Arc<AtomicU64>) {
    (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(true)),
        Arc::new(AtomicU64::new(0)),
    )
}

/// The path dies from the sender to the receiver only (as after a link outage, when the
/// receiver's packets come through at once and the sender's wait for its backed-off
/// retransmission timer): the receiver's PINGs arrive, nothing the sender sends does.
/// Upstream took the PINGs for life and never dropped the connection (until the receiver's
/// own timeout: a minute here); with the patch a message from the peer does not count while
/// the sender's data goes unacknowledged, and the sender drops the connection.
#[test]
fn the_peers_pings_do_not_hide_that_it_no_longer_hears_this_end() {
    let path = Path::new();
    let (stop, go, got) = flags();
    let rx = receiver(&path, zmq::PULL, stop.clone(), got.clone());
    let (tx, events) = sender(&path, zmq::PUSH, 1000, go.clone());
    await_event(&events, zmq::SocketEvent::HANDSHAKE_SUCCEEDED);
    path.cut(Way::ToReceiver, true);
    await_event(&events, zmq::SocketEvent::DISCONNECTED);
    go.store(false, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    tx.join().expect("the sender");
    rx.join().expect("the receiver");
}
