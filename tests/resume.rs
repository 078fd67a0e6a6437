//! `--reconnect`: a sender that outlives its receiver's restarts, and a receiver that outlives
//! its senders, in every pattern, with real `netgear` processes killed with SIGKILL.
//!
//! As in `tests/dead_peers.rs`, each step waits for its event (a port bound, frames counted
//! through a [`Relay`], a log line); the outages themselves are the tests' subject, and the
//! one that must outlast the timeout is made to (a sleep of a few timeouts). The four patterns
//! run side by side in threads, each on its own port.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::mode::{Mode, conn, each_mode};
use common::port_below_ephemeral;
use common::proc::Proc;
use common::relay::Relay;

/// Bound on waiting for an event: a hang guard.
const WAIT: Duration = Duration::from_secs(30);

/// Small frames: the cases are about peers, not throughput.
const SIZE: [&str; 4] = ["--width", "32", "--height", "24"];

/// Each end's timeout, seconds: short, so that an outage outlasts it many times over.
const TIMEOUT: f64 = 0.5;

const MODES: [Mode; 4] = [
    Mode {
        pattern: 0,
        bidirectional: true,
    },
    Mode {
        pattern: 1,
        bidirectional: true,
    },
    Mode {
        pattern: 2,
        bidirectional: false,
    },
    Mode {
        pattern: 3,
        bidirectional: false,
    },
];

/// `netgear serve` of `frames` small test-pattern frames as a 50 fps camera.
fn serve(port: u16, m: Mode, frames: u64, reconnect: bool) -> Proc {
    let mut a = vec!["serve".to_owned()];
    a.extend(conn(port, m, TIMEOUT));
    a.extend(SIZE.map(String::from));
    a.extend(["--frames", &frames.to_string(), "--fps", "50"].map(String::from));
    if reconnect {
        a.push("--reconnect".into());
    }
    Proc::netgear("serve", &a)
}

/// `netgear recv` bound on `port`, once it listens.
fn recv(port: u16, m: Mode, reconnect: bool) -> Proc {
    let mut a = vec!["recv".to_owned()];
    a.extend(conn(port, m, TIMEOUT));
    if m.bidirectional {
        a.extend(["--reply".to_owned(), "ok".to_owned()]);
    }
    if reconnect {
        a.push("--reconnect".into());
    }
    let mut p = Proc::netgear("recv", &a);
    let bound = p.await_bound_port(WAIT);
    assert_eq!(bound, port);
    p
}

/// The receiver is killed mid-stream and, after an outage of several timeouts, a new one is
/// started on the same port: the sender (`--reconnect`) waits for it, resumes, ends its stream
/// cleanly (exit 0), and reports one outage; in the lock-step patterns at most one frame's
/// answer was lost with the first receiver, and counted.
#[test]
fn sender_outlives_a_receiver_restart() {
    each_mode(&MODES, |m| {
        let port = port_below_ephemeral();
        let mut first = recv(port, m, false);
        let relay = Relay::start(port);
        let server = serve(relay.port(), m, 300, true);
        relay.await_delivered(10, WAIT);
        first.kill();
        let before = relay.delivered();
        // The outage: several timeouts long (the sender learns of it within the heartbeat
        // timeout, 1.5 s with reconnect).
        thread::sleep(Duration::from_secs_f64(TIMEOUT * 8.0));
        let second = recv(port, m, false);
        let back = Instant::now();
        relay.await_delivered(before + 10, WAIT);
        eprintln!(
            "pattern {}: 10 frames reached the new receiver {:?} after it bound",
            m.pattern,
            back.elapsed()
        );
        let exit = server.wait(WAIT);
        exit.assert_success();
        let summary = exit.summary();
        assert_eq!(
            summary["outages"],
            1,
            "pattern {}: {summary}; {}",
            m.pattern,
            exit.stderr_text()
        );
        let outage_s = summary["outage_s"].as_f64().expect("outage_s");
        assert!(
            outage_s >= TIMEOUT * 2.0,
            "pattern {}: {summary}",
            m.pattern
        );
        let lost = summary["answers_lost"].as_u64().expect("answers_lost");
        assert!(
            lost <= u64::from(m.pattern < 2),
            "pattern {}: {summary}",
            m.pattern
        );
        let got = second.wait(WAIT);
        got.assert_success();
        assert!(
            got.frames() >= 10,
            "pattern {}: {}",
            m.pattern,
            got.summary()
        );
        let said = exit.stderr_text();
        assert!(
            said.contains("the receiver has gone") && said.contains("the receiver is back"),
            "pattern {}: the outage is logged: {said}",
            m.pattern
        );
    });
}

/// Without `--reconnect` the same outage ends the lock-step stream with an error, as in
/// vidgear (patterns 2 and 3 ride it out either way, as they always did).
#[test]
fn without_reconnect_a_lock_step_sender_gives_up() {
    each_mode(&MODES, |m| {
        if m.pattern >= 2 {
            return;
        }
        let port = port_below_ephemeral();
        let mut first = recv(port, m, false);
        let relay = Relay::start(port);
        let server = serve(relay.port(), m, 300, false);
        relay.await_delivered(10, WAIT);
        first.kill();
        let exit = server.wait(WAIT);
        assert!(!exit.status.success(), "pattern {}: exit 0", m.pattern);
    });
}

/// A receiver with `--reconnect` outlives its sender: the first sender is killed mid-stream,
/// and after an outage of several timeouts a second one streams to the end. The receiver
/// gets frames from both and ends cleanly with the second one's end message; in PAIR the
/// answer owed to the killed sender is never given to the second one, whose every frame is
/// answered (none lost).
#[test]
fn receiver_outlives_its_senders() {
    each_mode(&MODES, |m| {
        let port = port_below_ephemeral();
        let receiver = recv(port, m, true);
        let relay = Relay::start(port);
        let mut first = serve(relay.port(), m, 1000, false);
        relay.await_delivered(10, WAIT);
        first.kill();
        thread::sleep(Duration::from_secs_f64(TIMEOUT * 4.0));
        let before = relay.delivered();
        let second = serve(port, m, 40, false);
        let exit = second.wait(WAIT);
        exit.assert_success();
        let summary = exit.summary();
        if m.bidirectional {
            assert_eq!(summary["replies"], 40, "pattern {}: {summary}", m.pattern);
        }
        let got = receiver.wait(WAIT);
        got.assert_success();
        let frames = got.frames();
        let least = before.min(10) + if m.pattern == 2 { 1 } else { 40 };
        assert!(
            frames >= least,
            "pattern {}: {frames} frames, at least {least}: {}",
            m.pattern,
            got.summary()
        );
    });
}
