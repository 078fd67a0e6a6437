//! Idle peers that hold more connections than a receiver has file descriptors for. Once
//! `accept()` fails with `EMFILE`, the pending connection stays in the kernel's backlog and the
//! listening socket stays readable: upstream libzmq tries to accept it again at once, forever,
//! a full core of busy loop. With the patch in `zmq-sys/patches/`
//! (`accept-backoff.patch`), the listener backs off 100 ms after such a failure, and
//! `netgear recv` stays idle; once the peers are gone, a legitimate sender streams to it.
//!
//! The receiver runs under a low `RLIMIT_NOFILE`; the peers are raw TCP connections that send a
//! ZMTP 3.0 PUSH greeting and READY, and then nothing.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::alone;
use crate::common::proc::{NETGEAR, Proc};
use crate::common::raw::{self, Side};

/// The receiver's `RLIMIT_NOFILE`: enough for it to start (about 20 descriptors), far fewer than
/// [`MAX_PEERS`].
const FD_LIMIT: libc::rlim_t = 64;

/// At most this many idle peers: the receiver must have run out of descriptors before.
const MAX_PEERS: usize = 200;

/// How long an accepted peer may wait for the receiver's greeting.
const GREETING: Duration = Duration::from_secs(1);

/// How long the receiver's CPU time is measured.
const MEASURE: Duration = Duration::from_secs(2);

/// The receiver's CPU use must stay under this fraction of one core while out of descriptors
/// (upstream libzmq's accept loop uses about all of one).
const CPU_LIMIT: f64 = 0.2;

/// How long any one step may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(60);

/// Connects an idle PUSH peer to `port` and says whether the receiver accepted it: its greeting
/// came within [`GREETING`]. A peer it could not accept is still connected (the kernel's backlog
/// holds it), and is returned too, to be held.
fn idle_peer(port: u16) -> (TcpStream, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect (the backlog holds it)");
    s.write_all(&raw::zmtp_handshake("PUSH"))
        .expect("send the handshake");
    s.set_read_timeout(Some(GREETING)).expect("read timeout");
    let mut signature = [0u8; 10];
    let accepted = match s.read_exact(&mut signature) {
        Ok(()) => {
            assert_eq!(
                (signature[0], signature[9]),
                (0xFF, 0x7F),
                "a ZMTP greeting"
            );
            true
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(e) => panic!("the receiver closed an idle peer: {e}"),
    };
    (s, accepted)
}

/// The CPU time `pid` has used so far (user and system), from `/proc/PID/stat`.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the child runs");
    // After the command name (in parentheses, which may hold spaces): state is field 3,
    // utime and stime fields 14 and 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("(comm)")
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf only reads a system constant; it has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let per_second = u64::try_from(per_second).expect("clock ticks per second");
    Duration::from_secs_f64(ticks as f64 / per_second as f64)
}

/// `netgear recv --pattern 3` (PULL: any number of peers) on a port the kernel picks, with
/// `RLIMIT_NOFILE` at [`FD_LIMIT`], listening.
fn receiver() -> (Proc, u16) {
    let mut cmd = Command::new(NETGEAR);
    cmd.args(["recv", "--json", "--no-hash", "--address", "127.0.0.1"])
        .args(["--port", "0", "--pattern", "3"])
        .args(["--timeout", &HANG.as_secs().to_string()])
        .env_remove("RUST_LOG");
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // functions may be called: it calls setrlimit (a plain system call: no allocation, no
    // lock) on a value on its stack, and reads errno. It lowers the limit of the child only.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: FD_LIMIT,
                rlim_max: FD_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut recv = Proc::spawn("recv", cmd);
    let port = recv.await_bound_port(HANG);
    (recv, port)
}

/// Idle peers on `port` until one is not accepted (the receiver is out of descriptors), and ten
/// more in the backlog, as an attacker would: the peers, to be held, and how many were accepted.
fn exhaust(port: u16) -> (Vec<TcpStream>, usize) {
    let mut peers = Vec::new();
    let mut accepted = 0;
    loop {
        assert!(
            peers.len() < MAX_PEERS,
            "the receiver accepted {accepted} idle peers under a limit of {FD_LIMIT} descriptors"
        );
        let (peer, ok) = idle_peer(port);
        peers.push(peer);
        if !ok {
            break;
        }
        accepted += 1;
    }
    for _ in 0..10 {
        let mut peer = TcpStream::connect(("127.0.0.1", port)).expect("connect (the backlog)");
        peer.write_all(&raw::zmtp_handshake("PUSH"))
            .expect("send the handshake");
        peers.push(peer);
    }
    (peers, accepted)
}

#[test]
fn a_receiver_out_of_descriptors_stays_idle_and_serves_once_they_are_freed() {
    // Alone: the receiver's CPU time is measured, and this process holds the peers.
    let _turn = alone();
    let (recv, port) = receiver();
    let (peers, accepted) = exhaust(port);

    let (start, cpu_start) = (Instant::now(), cpu_time(recv.pid()));
    thread::sleep(MEASURE);
    let (elapsed, cpu) = (start.elapsed(), cpu_time(recv.pid()) - cpu_start);
    let share = cpu.as_secs_f64() / elapsed.as_secs_f64();
    eprintln!(
        "{accepted} idle peers accepted, {} held: the receiver used {cpu:?} of CPU in {elapsed:?} \
         ({:.0} % of a core)",
        peers.len(),
        share * 100.0
    );
    assert!(
        share < CPU_LIMIT,
        "the receiver used {:.0} % of a core while out of descriptors (limit {:.0} %)",
        share * 100.0,
        CPU_LIMIT * 100.0
    );

    // The peers leave; a legitimate sender streams, and every one of its frames arrives.
    drop(peers);
    let frames = 20;
    let sender = raw::socket(zmq::PUSH, port, Side::Connect);
    let message = raw::good_message();
    for _ in 0..frames {
        sender.send_multipart(&message, 0).expect("send");
    }
    sender.send(raw::terminate(), 0).expect("send the end");
    let got = recv.wait(HANG);
    got.assert_success();
    assert_eq!(got.frames(), frames, "{}", got.stdout_text());
}

/// SIGTERM while the listener backs off (its timer pending, most likely: it is pending all but
/// the moment of each retry) ends the receiver as always: the timer is cancelled with the
/// listener, and nothing fires on a listener that is gone.
#[test]
fn a_receiver_out_of_descriptors_ends_cleanly_on_sigterm() {
    // Alone: this process holds the peers, and each must be greeted within a second.
    let _turn = alone();
    let (recv, port) = receiver();
    // `exhaust` returns once a peer got no greeting: the listener has failed to accept and
    // is backing off.
    let (_peers, _) = exhaust(port);
    let pid = libc::pid_t::try_from(recv.pid()).expect("a pid");
    // SAFETY: kill(2) with a valid signal number on the receiver this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill");
    let exit = recv.wait(HANG);
    exit.assert_success();
    assert_eq!(
        exit.summary()["stopped_by"],
        "SIGTERM",
        "{}",
        exit.stdout_text()
    );
}
