//! A hostile peer that sends the parts of one message forever, each with the MORE flag: libzmq
//! hands a message over only once its last part has come, so an unpatched receiver holds every
//! part and grows by gigabytes. With `ZMQ_MAXMSGSIZE` bounding the whole message (the patch in
//! `zmq-sys/patches/`), `netgear recv` drops the peer once its message is over
//! `Options::max_message_size`, keeps its memory bounded, and goes on receiving from legitimate
//! senders: afterwards in every pattern, and during the attack too in PUSH/PULL fan-in.
//!
//! The attacker is a raw TCP peer speaking ZMTP 3.0 by hand (greeting, READY, then frames), so
//! that it holds nothing itself and sees its disconnection as a failed write.

use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use crate::common::proc::Proc;
use crate::common::raw::{self, Side};
use crate::shared;

/// Upper bound on the receiver's peak memory during the attack: its default 64 MiB
/// `max_message_size` bounds what one message may hold (up to about 1.6 times that in memory,
/// for small parts), plus the process itself (about 14 MiB), with room.
const PEAK_LIMIT_MIB: u64 = 256;

/// How long any one step may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(60);

/// One attack: the parts the attacker sends, and how much it sends at most if never dropped
/// (an unpatched receiver holds it all: well over [`PEAK_LIMIT_MIB`]).
#[derive(Clone, Copy, Debug)]
enum Parts {
    /// Empty parts: two bytes each on the wire, a 64-byte `zmq_msg_t` each in the receiver.
    Empty,
    /// 200-byte parts, the costliest for their size: each keeps the decoder's 8 KiB read
    /// buffer it was read into alive (zero-copy), with a reference count and a `zmq_msg_t`.
    Small,
    /// 1 MiB parts.
    Large,
}

impl Parts {
    /// At most this many bytes on the wire.
    fn cap(self) -> u64 {
        match self {
            // 16 Mi parts: about 1 GiB of message structures in an unpatched receiver.
            Parts::Empty => 32 << 20,
            // About 530 MiB held by an unpatched receiver.
            Parts::Small => 256 << 20,
            Parts::Large => 1 << 30,
        }
    }

    /// One write's worth of frames, each a part with the MORE flag.
    fn chunk(self) -> Vec<u8> {
        match self {
            // Short frames: flags (MORE), size 0.
            Parts::Empty => [0x01u8, 0x00].repeat(32 * 1024),
            Parts::Small => {
                let mut f = vec![0x01u8, 200];
                f.resize(202, 0xAB);
                f.repeat(324)
            }
            Parts::Large => {
                // A long frame: flags (MORE | LONG), 8-byte size, the bytes.
                let size: u64 = 1 << 20;
                let mut f = vec![0x03u8];
                f.extend_from_slice(&size.to_be_bytes());
                f.resize(f.len() + (1 << 20), 0xAB);
                f
            }
        }
    }
}

/// What the attacker managed.
#[derive(Debug)]
struct Flood {
    /// Bytes written before the receiver dropped it (or the cap).
    bytes: u64,
    /// Whether the receiver dropped it (a write failed) before the cap.
    dropped: bool,
}

/// Connects to `port` as a `socket_type` peer and, once the handshake is done, sends `parts`
/// with the MORE flag until the receiver drops the connection or `parts.cap()` bytes have gone.
fn flood(port: u16, socket_type: &str, parts: Parts) -> Flood {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    // A receiver that stops reading or answering without dropping the peer fails the test
    // instead of hanging it.
    s.set_write_timeout(Some(HANG)).expect("write timeout");
    s.set_read_timeout(Some(HANG)).expect("read timeout");
    s.write_all(&raw::zmtp_handshake(socket_type))
        .expect("handshake");
    raw::await_ready(&mut s);
    let chunk = parts.chunk();
    let mut bytes = 0u64;
    let mut result = Ok(());
    while result.is_ok() && bytes < parts.cap() {
        result = s.write_all(&chunk);
        bytes += chunk.len() as u64;
    }
    let dropped = match result {
        Ok(()) => false,
        Err(e) => {
            assert!(
                matches!(
                    e.kind(),
                    ErrorKind::BrokenPipe
                        | ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                ),
                "the attacker's write failed otherwise than by a dropped connection: {e}"
            );
            true
        }
    };
    Flood { bytes, dropped }
}

/// `--address 127.0.0.1 --port PORT --pattern PATTERN --timeout 60`.
fn conn(port: u16, pattern: u8) -> Vec<String> {
    let timeout = HANG.as_secs().to_string();
    let port = port.to_string();
    let pattern = pattern.to_string();
    [
        "--address",
        "127.0.0.1",
        "--port",
        &port,
        "--pattern",
        &pattern,
        "--timeout",
        &timeout,
    ]
    .map(String::from)
    .into()
}

/// `netgear recv` bound on a port the kernel picks, listening, and that port.
fn receiver(pattern: u8) -> (Proc, u16) {
    let mut args = vec!["recv".to_owned(), "--json".into(), "--no-hash".into()];
    args.extend(conn(0, pattern));
    let mut recv = Proc::netgear("recv", &args);
    let port = recv.await_bound_port(HANG);
    (recv, port)
}

/// Attacks `recv`, and checks that the attacker was dropped with the receiver's memory
/// bounded.
fn attack(recv: &Proc, port: u16, peer_type: &str, parts: Parts) {
    let flood = flood(port, peer_type, parts);
    let peak = recv.peak_rss_kb() / 1024;
    eprintln!("{peer_type} attacker, {parts:?} parts: {flood:?}, receiver's peak RSS {peak} MiB");
    assert!(
        flood.dropped,
        "the receiver never dropped the attacker ({} MiB sent); its peak RSS: {peak} MiB",
        flood.bytes >> 20
    );
    assert!(
        peak < PEAK_LIMIT_MIB,
        "the receiver's peak RSS was {peak} MiB (limit {PEAK_LIMIT_MIB} MiB)"
    );
}

/// In `pattern` (0, 1 or 2), a `peer_type` attacker sending `parts` is dropped with the
/// receiver's memory bounded, and a `netgear serve` streams to the same receiver afterwards.
fn attack_then_serve(pattern: u8, peer_type: &str, parts: Parts) {
    let (recv, port) = receiver(pattern);
    attack(&recv, port, peer_type, parts);
    let frames = 10;
    let mut args = vec!["serve".to_owned(), "--json".into(), "--frames".into()];
    args.push(frames.to_string());
    args.extend(["--width", "64", "--height", "48"].map(String::from));
    args.extend(conn(port, pattern));
    let served = Proc::netgear("serve", &args).wait(HANG);
    served.assert_success();
    let got = recv.wait(HANG);
    got.assert_success();
    if pattern == 2 {
        // PUB/SUB keeps only the newest frame: some may be skipped, not all.
        assert!(got.frames() >= 1, "{}", got.stdout_text());
    } else {
        assert_eq!(got.frames(), frames, "{}", got.stdout_text());
    }
}

#[test]
fn pair_drops_a_peer_sending_empty_parts_forever() {
    let _turn = shared();
    attack_then_serve(0, "PAIR", Parts::Empty);
}

#[test]
fn pair_drops_a_peer_sending_large_parts_forever() {
    let _turn = shared();
    attack_then_serve(0, "PAIR", Parts::Large);
}

#[test]
fn pair_drops_a_peer_sending_small_parts_forever() {
    let _turn = shared();
    attack_then_serve(0, "PAIR", Parts::Small);
}

#[test]
fn rep_drops_a_peer_sending_empty_parts_forever() {
    let _turn = shared();
    attack_then_serve(1, "REQ", Parts::Empty);
}

#[test]
fn sub_drops_a_peer_sending_large_parts_forever() {
    let _turn = shared();
    attack_then_serve(2, "PUB", Parts::Large);
}

/// In PUSH/PULL fan-in, a legitimate PUSH sender streams before, during and after the attack,
/// and every one of its frames arrives.
fn fan_in(parts: Parts) {
    let (recv, port) = receiver(3);
    let attacked = Arc::new(AtomicBool::new(false));
    let (streaming, started) = mpsc::channel();
    let legit = thread::spawn({
        let attacked = attacked.clone();
        move || {
            let s = raw::socket(zmq::PUSH, port, Side::Connect);
            let message = raw::good_message();
            let (mut sent, mut after) = (0u64, 0u64);
            // Paced, so that it shares the machine with the attack rather than outrunning it;
            // it goes on for a few more frames once the attack is over.
            while after < 20 {
                s.send_multipart(&message, 0).expect("send");
                sent += 1;
                if sent == 5 {
                    streaming.send(()).expect("the test waits");
                }
                if attacked.load(Ordering::Acquire) {
                    after += 1;
                }
                thread::sleep(Duration::from_millis(1));
            }
            s.send(raw::terminate(), 0).expect("send the end");
            sent
        }
    });
    started
        .recv_timeout(HANG)
        .expect("the legit sender streams");
    attack(&recv, port, "PUSH", parts);
    attacked.store(true, Ordering::Release);
    let sent = legit.join().expect("legit sender");
    let got = recv.wait(HANG);
    got.assert_success();
    assert_eq!(got.frames(), sent, "{}", got.stdout_text());
}

#[test]
fn pull_drops_a_peer_sending_empty_parts_forever_and_keeps_the_fan_in() {
    let _turn = shared();
    fan_in(Parts::Empty);
}

#[test]
fn pull_drops_a_peer_sending_large_parts_forever_and_keeps_the_fan_in() {
    let _turn = shared();
    fan_in(Parts::Large);
}
