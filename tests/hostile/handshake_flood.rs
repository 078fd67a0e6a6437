//! A CURVE handshake costs a secure receiver public-key cryptography (a HELLO opened, a WELCOME
//! made: three Curve25519 scalar multiplications), and a peer can replay one captured HELLO on
//! connection after connection without doing any itself. An outside audit replayed one 49,022
//! times in 18 s and cost a receiver 14.1 s of CPU.
//!
//! With `zmq-sys/patches/curve-handshake-budget.patch` a secure receiver starts at most
//! [`HANDSHAKE_BURST`] handshakes at once for one source address, and [`HANDSHAKE_RATE`] a
//! second after that; a connection past the budget is closed before anything is read from it.
//! Here a real HELLO, made by a real libzmq client for the receiver's key and captured by a
//! listener of the test's, is replayed from another source address (127.0.0.2) while a
//! legitimate sender streams from 127.0.0.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::alone;
use crate::common::net::{connect_as_attacker, reset_on_close};
use crate::common::proc::Proc;
use crate::common::raw::curve_client;
use netgear::secure::{Certificate, HANDSHAKE_BURST, HANDSHAKE_RATE, KeyFiles};

/// How long any one step may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(60);

/// Frames the legitimate sender streams at 30 fps while a replay goes on.
const FRAMES: u64 = 60;

/// A ZMTP 3.0 greeting for the CURVE mechanism, as a server (`as_server` 1) or a client.
fn greeting(as_server: bool) -> [u8; 64] {
    let mut g = [0u8; 64];
    g[0] = 0xFF;
    g[9] = 0x7F;
    g[10] = 3;
    g[12..17].copy_from_slice(b"CURVE");
    g[32] = u8::from(as_server);
    g
}

/// A real client's greeting and HELLO command for a CURVE server whose public key is `server`:
/// a libzmq client connects to a listener of this test's, which answers as a CURVE server would
/// and keeps the bytes the client sends until its HELLO (a 200-byte command).
fn captured_hello(server: &[u8; 32]) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a listener");
    let port = listener.local_addr().expect("its address").port();
    let ctx = zmq::Context::new();
    let client = curve_client(&ctx, zmq::PUSH, server);
    client
        .connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connects");
    let (mut s, _) = listener.accept().expect("the client connects");
    s.set_read_timeout(Some(HANG)).expect("timeout");
    s.write_all(&greeting(true)).expect("our greeting");
    // The client's greeting, then its HELLO: flags 0x04 (a short command), size 200.
    let mut bytes = vec![0u8; 64 + 2 + 200];
    s.read_exact(&mut bytes)
        .expect("the client's greeting and HELLO");
    assert_eq!(&bytes[64..66], &[0x04, 200], "a HELLO command");
    assert_eq!(&bytes[66..72], b"\x05HELLO");
    bytes
}

/// What a replay of a HELLO managed.
#[derive(Debug, Default)]
struct Replay {
    /// Connections made, each sending the captured greeting and HELLO.
    attempts: u64,
    /// Connections the receiver answered with a WELCOME: handshakes it did the work for.
    welcomed: u64,
    /// How long it ran.
    elapsed: Duration,
}

/// Replays `hello` on new connections from 127.0.0.2 to `port`, `n` times or until `stop`.
fn replay(port: u16, hello: &[u8], n: u64, stop: &AtomicBool) -> Replay {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    let mut r = Replay::default();
    while r.attempts < n && !stop.load(Ordering::Relaxed) {
        let mut s = connect_as_attacker(addr, Duration::from_secs(5)).expect("a connection");
        r.attempts += 1;
        reset_on_close(&s);
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        // A refused connection is closed at once: the write or the read fails or ends.
        if s.write_all(hello).is_err() {
            continue;
        }
        // The receiver's greeting and WELCOME (flags 0x04, size 168, "\x07WELCOME").
        let mut answer = vec![0u8; 64 + 2 + 8];
        if s.read_exact(&mut answer).is_ok() && &answer[64..] == b"\x04\xa8\x07WELCOME" {
            r.welcomed += 1;
        }
    }
    r.elapsed = start.elapsed();
    r
}

/// The most handshakes one source may start in `elapsed`, with a little slack for the clock.
fn budget(elapsed: Duration) -> u64 {
    u64::from(HANDSHAKE_BURST)
        + (elapsed.as_secs_f64().ceil() as u64 + 1) * u64::from(HANDSHAKE_RATE)
}

/// CPU seconds `pid` has used (user and system), from `/proc/PID/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // Fields after the command name (which may hold spaces): utime and stime are the 12th
    // and 13th of them, in clock ticks.
    let rest = &stat[stat.rfind(')').expect("a command name") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().expect("utime") + f[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    ticks as f64 / hz as f64
}

fn keys(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netgear-hello-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    KeyFiles::new(&dir).generate(true).expect("keygen");
    dir
}

/// `--address 127.0.0.1 --pattern 3 --timeout 60 --secure stonehouse --keys DIR`.
fn args(dir: &std::path::Path) -> Vec<String> {
    let mut a: Vec<String> = [
        "--address",
        "127.0.0.1",
        "--pattern",
        "3",
        "--timeout",
        "60",
        "--secure",
        "stonehouse",
        "--keys",
    ]
    .map(String::from)
    .to_vec();
    a.push(dir.to_string_lossy().into_owned());
    a
}

/// A replayed HELLO is answered at most within the source's budget, costs the receiver no
/// cryptography past it, and a legitimate sender from another address streams every frame
/// meanwhile; the receiver says why it refused.
#[test]
fn a_replayed_hello_is_answered_only_within_its_sources_budget() {
    // Alone: the receiver's CPU time a connection is measured.
    let _turn = alone();
    let dir = keys("replay");
    let server = Certificate::load(&KeyFiles::new(&dir).public("server"))
        .expect("the server's public key")
        .public;
    let hello = captured_hello(server.as_bytes());

    let mut recv_args = vec!["recv".to_owned(), "--port".to_owned(), "0".to_owned()];
    recv_args.extend(args(&dir));
    recv_args.push("--json".to_owned());
    let mut recv = Proc::netgear("recv", &recv_args);
    let port = recv.await_bound_port(HANG);

    // A burst from one source: answered up to its budget, then closed unread.
    let cpu = cpu_seconds(recv.pid());
    let first = replay(port, &hello, 2_000, &AtomicBool::new(false));
    let cpu = cpu_seconds(recv.pid()) - cpu;
    eprintln!(
        "{first:?}: the receiver used {:.3} s of CPU, {:.1} µs a connection, {:.2} ns a byte",
        cpu,
        cpu * 1e6 / first.attempts as f64,
        cpu * 1e9 / (first.attempts as f64 * hello.len() as f64)
    );
    assert!(
        first.welcomed > 0,
        "the captured HELLO is never answered: {first:?}"
    );
    assert!(
        first.welcomed <= budget(first.elapsed),
        "one source got {} handshakes in {:?} (budget {} at once, {} a second)",
        first.welcomed,
        first.elapsed,
        HANDSHAKE_BURST,
        HANDSHAKE_RATE
    );

    // The replay goes on while a legitimate sender streams from 127.0.0.1.
    let stop = Arc::new(AtomicBool::new(false));
    let during = {
        let (stop, hello) = (Arc::clone(&stop), hello.clone());
        std::thread::spawn(move || replay(port, &hello, u64::MAX, &stop))
    };
    let mut serve_args = vec!["serve".to_owned(), "--port".to_owned(), port.to_string()];
    serve_args.extend(args(&dir));
    serve_args.extend(["--frames", &FRAMES.to_string(), "--fps", "30", "--json"].map(String::from));
    let serve = Proc::netgear("serve", &serve_args).wait(HANG);
    stop.store(true, Ordering::Relaxed);
    let during = during.join().expect("the replay");
    serve.assert_success();
    let recv = recv.wait(HANG);
    recv.assert_success();
    assert_eq!(recv.frames(), FRAMES, "frames received during the replay");
    assert!(
        during.welcomed <= budget(first.elapsed + during.elapsed),
        "{during:?} after {first:?}"
    );
    assert!(
        recv.stderr_text().contains("past its handshake budget"),
        "the refusals are not reported: {}",
        recv.stderr_text()
    );
    let _ = std::fs::remove_dir_all(dir);
}
