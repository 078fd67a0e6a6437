//! A port scan must not wedge a receiver: 10,000 plain TCP connections, each reset as soon as it
//! is made (`SO_LINGER` 0), against a receiver in every pattern, secure or not, with its
//! application waiting for frames or not reading at all, while a legitimate sender streams.
//!
//! libzmq reports every connection to the socket monitor (about three events each). Upstream
//! sends those events with a blocking send, mostly from its I/O thread: once about 2,000 wait
//! unread, the I/O thread blocks for good and the receiver accepts and reads nothing more (a
//! default `netgear recv` ended with 0 frames after some 770 such connections). With
//! `zmq-sys/patches/monitor-events-never-block.patch` an event that finds the monitor's queue
//! full is dropped instead, and every receiver drains its monitor whenever it waits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common::net::{connect_as_attacker, is_listening, port_below_ephemeral, reset_on_close};
use crate::common::proc::Proc;
use crate::common::{drain, frame, tcp, towards, within};
use crate::shared;
use netgear::secure::KeyFiles;
use netgear::{Client, Options, Pattern, Secure, SecureMode, Server};

/// Connections per flood.
const CONNECTIONS: usize = 10_000;

/// How long any one step may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(60);

/// Frames the legitimate sender streams, paced at 30 fps while the flood goes on.
const FRAMES: u64 = 60;

/// What a flood managed.
#[derive(Debug)]
struct Scan {
    /// Connections made (each reset at once).
    made: usize,
    /// The error that stopped it early: a receiver that no longer accepts.
    stopped: Option<std::io::Error>,
}

/// Opens up to `n` TCP connections to `port` on loopback (from [`common::net::ATTACKER`]: a
/// secure receiver budgets handshakes per source address), one after the other, each closed at
/// once with a reset (`SO_LINGER` 0, as a port scanner does), until `stop` is set or the port
/// is no longer listened on; stops at the first that cannot be made within a few seconds while
/// the port is listened on (a listener that accepts nothing more fills its backlog).
fn scan(port: u16, n: usize, stop: &AtomicBool) -> Scan {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for made in 0..n {
        if stop.load(Ordering::Relaxed) {
            return Scan {
                made,
                stopped: None,
            };
        }
        let s = match connect_as_attacker(addr, Duration::from_secs(5)) {
            Ok(s) => s,
            // The receiver's stream ended and it closed its port: the flood is over.
            Err(_) if !is_listening(port) => {
                return Scan {
                    made,
                    stopped: None,
                };
            }
            Err(e) => {
                return Scan {
                    made,
                    stopped: Some(e),
                };
            }
        };
        reset_on_close(&s);
        drop(s); // a reset
    }
    Scan {
        made: n,
        stopped: None,
    }
}

/// A keys directory with a server and a client pair, for secure cases.
fn keys(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netgear-flood-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    KeyFiles::new(&dir).generate(true).expect("keygen");
    dir
}

/// `--pattern P --timeout 60` and, secure, `--secure stonehouse --keys DIR`.
fn common_args(pattern: u8, keys: Option<&PathBuf>) -> Vec<String> {
    let mut args = vec![
        "--address".to_owned(),
        "127.0.0.1".to_owned(),
        "--pattern".to_owned(),
        pattern.to_string(),
        "--timeout".to_owned(),
        HANG.as_secs().to_string(),
    ];
    if let Some(dir) = keys {
        args.extend([
            "--secure".to_owned(),
            "stonehouse".to_owned(),
            "--keys".to_owned(),
        ]);
        args.push(dir.to_string_lossy().into_owned());
    }
    args
}

/// Asserts that a flood made all its connections (or was stopped), naming where it failed.
fn assert_accepted(scan: &Scan, what: &str) {
    assert!(
        scan.stopped.is_none(),
        "{what}: the receiver stopped accepting after {} connections: {:?}",
        scan.made,
        scan.stopped
    );
}

/// `netgear recv` in `pattern` (secure with `keys`) waits for frames while a flood of
/// [`CONNECTIONS`] runs; then `netgear serve` streams [`FRAMES`] at 30 fps while another flood
/// goes on, until the stream ends. Every frame arrives (PUB/SUB may drop some by design: at
/// least one, and the stream ends cleanly).
fn the_command_serves_through_a_flood(pattern: u8, keys: Option<PathBuf>) {
    // A port of this test's own, never handed out again in this run: once the receiver's stream
    // has ended and it has closed its port, a refused connection finds the port not listening
    // (an ephemeral port could be another test's listener by then, and the end of the stream
    // taken for a receiver that stopped accepting).
    let own_port = port_below_ephemeral().to_string();
    let mut recv_args = vec!["recv".to_owned(), "--port".to_owned(), own_port];
    recv_args.extend(common_args(pattern, keys.as_ref()));
    recv_args.push("--json".to_owned());
    let mut recv = Proc::netgear("recv", &recv_args);
    let port = recv.await_bound_port(HANG);

    let before = scan(port, CONNECTIONS, &AtomicBool::new(false));
    assert_accepted(&before, "waiting for a sender");
    assert_eq!(before.made, CONNECTIONS);

    let stop = Arc::new(AtomicBool::new(false));
    let during = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || scan(port, usize::MAX, &stop))
    };
    let mut serve_args = vec!["serve".to_owned(), "--port".to_owned(), port.to_string()];
    serve_args.extend(common_args(pattern, keys.as_ref()));
    serve_args.extend(["--frames", &FRAMES.to_string(), "--fps", "30", "--json"].map(String::from));
    let serve = Proc::netgear("serve", &serve_args).wait(HANG);
    stop.store(true, Ordering::Relaxed);
    let during = during.join().expect("the flood");
    serve.assert_success();
    let recv = recv.wait(HANG);
    recv.assert_success();
    assert_accepted(&during, "streaming");
    assert!(during.made > 0, "no connection made while streaming");
    if pattern == 2 {
        assert!(recv.frames() > 0, "no frame arrived");
    } else {
        assert_eq!(recv.frames(), FRAMES, "frames received during the flood");
    }
    if let Some(dir) = keys {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn pattern0_pair_serves_through_a_flood() {
    let _turn = shared();
    the_command_serves_through_a_flood(0, None);
}

#[test]
fn pattern1_req_rep_serves_through_a_flood() {
    let _turn = shared();
    the_command_serves_through_a_flood(1, None);
}

#[test]
fn pattern2_pub_sub_serves_through_a_flood() {
    let _turn = shared();
    the_command_serves_through_a_flood(2, None);
}

#[test]
fn pattern3_push_pull_serves_through_a_flood() {
    let _turn = shared();
    the_command_serves_through_a_flood(3, None);
}

#[test]
fn secure_pattern0_pair_serves_through_a_flood() {
    let _turn = shared();
    the_command_serves_through_a_flood(0, Some(keys("p0")));
}

#[test]
fn secure_pattern1_req_rep_serves_through_a_flood() {
    let _turn = shared();
    the_command_serves_through_a_flood(1, Some(keys("p1")));
}

#[test]
fn secure_pattern2_pub_sub_serves_through_a_flood() {
    let _turn = shared();
    the_command_serves_through_a_flood(2, Some(keys("p2")));
}

#[test]
fn secure_pattern3_push_pull_serves_through_a_flood() {
    let _turn = shared();
    the_command_serves_through_a_flood(3, Some(keys("p3")));
}

/// A library receiver whose application reads nothing while the flood lasts (busy elsewhere),
/// then streams: every frame arrives.
async fn a_busy_receiver_survives_a_flood(pattern: Pattern, secure: Option<PathBuf>) {
    let mut client_opts = tcp(pattern, 0, false, HANG.as_millis() as u64);
    let mut server_opts: Options = client_opts.clone();
    if let Some(dir) = &secure {
        client_opts.secure = Some(Secure::receiver(SecureMode::Stonehouse, dir).expect("keys"));
        server_opts.secure = Some(Secure::sender(SecureMode::Stonehouse, dir).expect("keys"));
    }
    let client = Client::new(client_opts).expect("a receiver");
    let port = client.local_port().expect("its port");
    let flood =
        tokio::task::spawn_blocking(move || scan(port, CONNECTIONS, &AtomicBool::new(false)))
            .await
            .expect("the flood");
    assert_accepted(&flood, "not reading");
    assert_eq!(flood.made, CONNECTIONS);
    let mut server = Server::new(towards(&client, server_opts)).expect("a sender");
    let sent = async {
        for n in 0..FRAMES {
            server
                .send(None, &frame(n as usize))
                .await
                .expect("a frame sent");
        }
        server.close().await.expect("the stream ended");
    };
    let ((), drained) = within(async { tokio::join!(sent, drain(&client)) }).await;
    assert!(drained.error.is_none(), "{:?}", drained.error);
    assert_eq!(
        drained.items.len() as u64,
        FRAMES,
        "frames received after the flood"
    );
    if let Some(dir) = secure {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_pair_receiver_survives_a_flood() {
    let _turn = shared();
    a_busy_receiver_survives_a_flood(Pattern::Pair, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_secure_pull_receiver_survives_a_flood() {
    let _turn = shared();
    a_busy_receiver_survives_a_flood(Pattern::PushPull, Some(keys("busy"))).await;
}
