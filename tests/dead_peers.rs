//! Dead and slow peers, with real `netgear` processes killed with SIGKILL mid-stream
//! and raw ZeroMQ peers that stop answering: every case ends with a clear error within the
//! timeout, or recovers — and never hangs.
//!
//! Nothing here waits on the clock to let something happen: each step waits for the event
//! itself — a port bound, a log line, frames or answers counted through a [`Relay`] between
//! the two ends — so a loaded machine changes how long a case takes, never what it shows.
//! Every wait is bounded (past the bound the test fails, naming what did not come), every
//! child is killed and reaped when its guard is dropped, and the only upper bounds on time are
//! those hang guards. The cases of one test run side by side in threads, each on its own
//! port, to keep the file's wall time short.

mod common;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::mode::{Mode, conn, each_mode};
use common::net::{has_accepted_connection, reset_on_close, wait_until};
use common::proc::{Exit, Proc};
use common::raw::{self, Events, Side};
use common::relay::{GREETING, MessageCounter, Relay};
use common::{port_below_ephemeral, tcp, within};
use netgear::wire::{self, Header};
use netgear::{Data, Error, Pattern, Server};

/// Bound on waiting for an event (a port bound, frames through the relay): a hang guard.
const WAIT: Duration = Duration::from_secs(20);

/// Room on top of a timeout for a process to notice it, print, exit and be reaped, however
/// loaded the machine: a hang guard, not a measurement.
const HANG: Duration = Duration::from_secs(15);

/// Small frames: the cases are about peers, not throughput.
const SIZE: [&str; 4] = ["--width", "32", "--height", "24"];

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// The end waited at least `timeout` (it did wait for its timeout; the error names which). The
/// time is printed too (`--nocapture`).
fn assert_waited(what: &str, elapsed: Duration, timeout: Duration) {
    eprintln!("{what}: {elapsed:?}");
    assert!(
        elapsed >= timeout,
        "{what}: ended after {elapsed:?}, sooner than its timeout {timeout:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// command lines

/// Pattern 0 (PAIR), bidirectional.
const PAIR_BI: Mode = Mode {
    pattern: 0,
    bidirectional: true,
};
/// Pattern 1 (REQ/REP), bidirectional.
const REQ_BI: Mode = Mode {
    pattern: 1,
    bidirectional: true,
};
/// Pattern 1 (REQ/REP), plain.
const REQ: Mode = Mode {
    pattern: 1,
    bidirectional: false,
};
/// Pattern 3 (PUSH/PULL).
const PUSH: Mode = Mode {
    pattern: 3,
    bidirectional: false,
};

/// `netgear serve`: `frames` small frames, paced at `fps` if given.
fn serve(port: u16, m: Mode, timeout: f64, frames: u64, fps: Option<f64>) -> Vec<String> {
    let mut a = vec!["serve".to_owned()];
    a.extend(conn(port, m, timeout));
    a.extend(SIZE.map(String::from));
    a.extend(["--frames".to_owned(), frames.to_string()]);
    if let Some(fps) = fps {
        a.extend(["--fps".to_owned(), fps.to_string()]);
    }
    a
}

/// `netgear recv`, answering `ok` to every frame in bidirectional mode.
fn recv(port: u16, m: Mode, timeout: f64) -> Vec<String> {
    let mut a = vec!["recv".to_owned()];
    a.extend(conn(port, m, timeout));
    if m.bidirectional {
        a.extend(["--reply".to_owned(), "ok".to_owned()]);
    }
    a
}

// ---------------------------------------------------------------------------------------------
// starting the ends

/// `netgear recv` on `port` (0: a port the kernel picks), once it has bound, and its port.
fn bound_client(name: &str, port: u16, m: Mode, timeout: f64) -> (Proc, u16) {
    let mut client = Proc::netgear(name, &recv(port, m, timeout));
    let bound = client.await_bound_port(WAIT);
    assert!(
        port == 0 || bound == port,
        "asked for {port}, bound {bound}"
    );
    (client, bound)
}

/// A client, and a relay in front of it for the server to connect to. Its port is outside the
/// kernel's ephemeral range: a case may kill it and bind a new client on the same port, and
/// meanwhile a port from that range could become an outgoing connection's source port.
fn client_behind_relay(m: Mode, timeout: f64) -> (Proc, Relay, u16) {
    let (client, port) = bound_client("recv", port_below_ephemeral(), m, timeout);
    (client, Relay::start(port), port)
}

// ---------------------------------------------------------------------------------------------
// 1. the client dies mid-stream

/// Patterns 0 and 1: the client process is killed while frames flow (20 fps; three answers
/// have reached the server); the server's next reply never comes, and it exits 1 with `timed
/// out after 1.5s waiting for the client's reply`.
#[test]
fn client_killed_mid_stream_server_times_out() {
    each_mode(&[PAIR_BI, REQ_BI], |m| {
        let t = 1.5;
        let (mut client, relay, _) = client_behind_relay(m, 30.0);
        let server = Proc::netgear("serve", &serve(relay.port(), m, t, 400, Some(20.0)));
        relay.await_answers(3, WAIT);
        let killed = client.kill();
        let exit = server.wait(secs(t) + HANG);
        exit.assert_timed_out(secs(t), "the client's reply");
        eprintln!("{m:?}: server error {:?} after the kill", exit.at - killed);
    });
}

/// Patterns 0 and 1: the client is killed mid-stream and another one binds its port at once.
/// As with vidgear (ZeroMQ reconnects by itself), the server goes on with the newcomer, which
/// gets the rest of the stream and its end — unless a frame was on its way to the killed
/// client, whose answer is then lost: the server fails at once, naming the peer that went. It
/// never waits on. This is how a CI run once "hung" in the case above: another case's client
/// took the killed client's port (tests then picked ports the kernel had just freed), and the
/// server streamed its 400 frames to it, past the hang guard. Tests now take their ports from
/// a counter of their own (`common::net::port_below_ephemeral`), never the same twice.
#[test]
fn a_client_that_takes_a_killed_ones_port_gets_the_rest_of_the_stream() {
    each_mode(&[PAIR_BI, REQ_BI], |m| {
        let (t, frames, fps) = (1.5, 40u64, 20.0);
        let (mut client, relay, port) = client_behind_relay(m, 30.0);
        let server = Proc::netgear("serve", &serve(relay.port(), m, t, frames, Some(fps)));
        relay.await_answers(3, WAIT);
        client.kill();
        let (newcomer, _) = bound_client("recv 2", port, m, 30.0);
        let served = server.wait(secs(frames as f64 / fps + t) + HANG);
        if served.status.success() {
            assert_eq!(served.frames(), frames, "{m:?}");
            let got = newcomer.wait(HANG);
            got.assert_success();
            assert!(got.frames() >= 1, "{m:?}: the newcomer got nothing");
        } else {
            served.assert_peer_gone("the client's reply");
        }
    });
}

/// Pattern 3: a PUSH server cannot see its PULL client die (killed once 5 frames have reached
/// it). The frames go on into the connection's queue (which survives the reconnection
/// attempts), so
/// - a new client started on the same port gets the rest of the stream and the end message:
///   the stream recovers, both exit 0;
/// - with no new client the queue (8 frames) fills, and the server exits 1 one timeout later
///   with `timed out after 1s waiting for room to send a frame` (vidgear would queue up to
///   1000 frames and report nothing).
#[test]
fn push_client_killed_mid_stream() {
    // 3 s of stream: the kill comes long before its end, however slow the test thread.
    let (frames, fps) = (60u64, 20.0);
    let stream_time = secs(frames as f64 / fps);
    let replaced = thread::spawn(move || {
        let (mut first, relay, port) = client_behind_relay(PUSH, 30.0);
        let t = 10.0; // the new client's start does not race the server's timeout
        let server = Proc::netgear("serve", &serve(relay.port(), PUSH, t, frames, Some(fps)));
        relay.await_delivered(5, WAIT);
        first.kill();
        // What the relay passed on to the first client, lost with it or not.
        let to_first = relay.delivered();
        let second = Proc::netgear("recv 2", &recv(port, PUSH, 30.0));
        let served = server.wait(stream_time + HANG);
        served.assert_success();
        assert_eq!(served.frames(), frames);
        let got = second.wait(HANG);
        got.assert_success();
        let n = got.frames();
        assert!(
            n >= 1 && n + to_first <= frames,
            "the new client got {n} frames, {to_first} went to the first: expected the rest"
        );
    });
    let abandoned = thread::spawn(move || {
        let t = 1.0;
        let (mut client, relay, _) = client_behind_relay(PUSH, 30.0);
        let started = Instant::now();
        let server = Proc::netgear("serve", &serve(relay.port(), PUSH, t, frames, Some(fps)));
        relay.await_delivered(5, WAIT);
        client.kill();
        let served = server.wait(stream_time + secs(t) + HANG);
        // A PUSH queue holds a few frames only: once it is full, the server's send waits
        // one timeout for room and fails, instead of queueing the stream into the void.
        served.assert_timed_out(secs(t), "room to send a frame");
        assert_waited(
            "the PUSH server's run with nobody left to receive",
            served.at - started,
            secs(t),
        );
    });
    let (a, b) = (replaced.join(), abandoned.join());
    for r in [a, b] {
        if let Err(e) = r {
            std::panic::resume_unwind(e);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. the server dies mid-stream

/// Patterns 0, 1 and 3: the server process is killed once 3 frames have reached the client
/// (and, in patterns 0 and 1, the client has answered them: the 3rd answer is held in the
/// relay, so no 4th frame is on its way); the client exits 1 with `timed out after 3s waiting
/// for a frame from the server` one timeout after the last frame, and its summary still counts
/// the frames it got and names the error.
#[test]
fn server_killed_mid_stream_client_times_out() {
    each_mode(&[PAIR_BI, REQ_BI, PUSH], |m| {
        let t = 3.0;
        let (client, relay, _) = client_behind_relay(m, t);
        let replies = m.pattern != 3;
        if replies {
            relay.hold_answers_after(2);
        }
        let started = Instant::now();
        let mut server = Proc::netgear("serve", &serve(relay.port(), m, 30.0, 400, Some(20.0)));
        if replies {
            relay.await_held_answers(1, WAIT);
        } else {
            relay.await_delivered(3, WAIT);
        }
        server.kill();
        let exit = client.wait(secs(t) + HANG);
        exit.assert_timed_out(secs(t), "a frame from the server");
        assert_waited(
            &format!("{m:?}: client error after the server was killed"),
            exit.at - started,
            secs(t),
        );
        let summary = exit.summary();
        let frames = summary["frames"].as_u64().expect("frames");
        assert!(frames >= 3, "{m:?}: only {frames} frames before the kill");
        // The receiver saw its only sender leave, and says so.
        assert_eq!(
            summary["error"],
            format!(
                "timed out after {:?} waiting for a frame from the server (the peer \
                 disconnected and has not come back)",
                secs(t)
            )
        );
    });
}

// ---------------------------------------------------------------------------------------------
// 3. a peer that stops answering during termination

/// What a raw receive-side peer saw.
#[derive(Debug, Default)]
struct Seen {
    frames: usize,
    terminated: bool,
}

/// A raw PAIR or REP peer bound on a port the kernel picks (returned with it) that answers
/// every frame with a valid reply (a data reply in bidirectional mode, vidgear's plain
/// confirmation otherwise) but never answers `{"terminate": true}`. Runs until `done` says so
/// (or is dropped).
fn mute_at_termination(
    kind: zmq::SocketType,
    bidirectional: bool,
    done: mpsc::Receiver<()>,
) -> (thread::JoinHandle<Seen>, u16) {
    let (s, port) = raw::bound(kind);
    s.set_rcvtimeo(20).expect("rcvtimeo");
    let peer = thread::spawn(move || {
        let mut seen = Seen::default();
        while let Err(mpsc::TryRecvError::Empty) = done.try_recv() {
            if seen.terminated {
                // A REP socket may not receive again before it answers: stay connected, mute.
                let _ = done.recv_timeout(WAIT);
                break;
            }
            let parts = match s.recv_multipart(0) {
                Ok(p) => p,
                Err(zmq::Error::EAGAIN) => continue,
                Err(e) => panic!("raw peer: {e}"),
            };
            match wire::decode_header(&parts[0]).expect("a valid header") {
                Header::Terminate => seen.terminated = true, // ...and no answer, ever
                Header::Frame { .. } => {
                    seen.frames += 1;
                    let reply = if bidirectional {
                        let mut head = Vec::new();
                        wire::encode_reply_data(&mut head, Some(&Data::from("ok")));
                        head
                    } else {
                        b"Data received on client: ABCDEFGH !".to_vec()
                    };
                    s.send(reply, 0).expect("reply");
                }
            }
        }
        seen
    });
    (peer, port)
}

/// The library: `Server::launch` streams 5 frames to a raw peer that answers them all but not
/// the end message; launch returns a timeout of 1 s waiting for "the termination answer" after
/// waiting that timeout (patterns 0 and 1, bidirectional and plain).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_times_out_when_termination_is_never_answered() {
    let cases = [
        (Pattern::Pair, zmq::PAIR, true),
        (Pattern::Pair, zmq::PAIR, false),
        (Pattern::ReqRep, zmq::REP, true),
        (Pattern::ReqRep, zmq::REP, false),
    ];
    let runs = cases.map(|(pattern, kind, bidi)| async move {
        let (done, stop) = mpsc::channel();
        let (peer, port) = mute_at_termination(kind, bidi, stop);
        let mut server = Server::new(tcp(pattern, port, bidi, 1000)).expect("connects");
        let frames: Vec<_> = (0..5).map(common::frame).collect();
        let started = Instant::now();
        let result = if bidi {
            let items = frames.into_iter().map(|f| (Data::from("hi"), f));
            server.launch(futures::stream::iter(items)).await
        } else {
            server.launch(futures::stream::iter(frames)).await
        };
        let elapsed = started.elapsed();
        drop(done);
        let seen = tokio::task::spawn_blocking(move || peer.join())
            .await
            .expect("join")
            .expect("raw peer");
        let what = format!("{pattern:?}, bidirectional {bidi}");
        assert!(
            matches!(result, Err(Error::Timeout { after: d, waiting_for: "the termination answer", .. }) if d == Duration::from_secs(1)),
            "{what}: {result:?}"
        );
        assert_eq!(seen.frames, 5, "{what}");
        assert!(seen.terminated, "{what}: the end message never came");
        assert_waited(&what, elapsed, secs(1.0));
    });
    within(futures::future::join_all(runs)).await;
}

/// The CLI: `netgear serve` against the same mute peer exits 1 with `error: timed out after
/// 1s waiting for the termination answer`, after waiting that timeout.
#[test]
fn serve_exits_when_termination_is_never_answered() {
    each_mode(&[PAIR_BI, REQ], |m| {
        let (done, stop) = mpsc::channel();
        let kind = if m.pattern == 0 { zmq::PAIR } else { zmq::REP };
        let (peer, port) = mute_at_termination(kind, m.bidirectional, stop);
        let started = Instant::now();
        let server = Proc::netgear("serve", &serve(port, m, 1.0, 5, None));
        let exit = server.wait(secs(1.0) + HANG);
        drop(done);
        let seen = peer.join().expect("raw peer");
        exit.assert_timed_out(secs(1.0), "the termination answer");
        assert_eq!(seen.frames, 5, "{m:?}");
        assert!(seen.terminated, "{m:?}");
        assert_waited(
            &format!("{m:?}: serve against a mute peer"),
            exit.at - started,
            secs(1.0),
        );
    });
}

// ---------------------------------------------------------------------------------------------
// 4. late peers

/// Both ends succeed, and every frame arrives intact (same count, same SHA-256).
fn assert_complete(served: &Exit, got: &Exit, frames: u64, m: Mode) {
    served.assert_success();
    got.assert_success();
    let (s, g) = (served.summary(), got.summary());
    assert_eq!(s["frames"], frames, "{m:?}: frames sent");
    assert_eq!(g["frames"], frames, "{m:?}: frames received");
    assert_eq!(s["sha256"], g["sha256"], "{m:?}: frame hashes");
    if m.bidirectional {
        // The first frame is answered with nothing; every later one with the client's "ok".
        assert_eq!(s["replies"], frames - 1, "{m:?}: replies");
        assert_eq!(s["reply_data"][0], "ok", "{m:?}: reply data");
    }
}

/// The client starts once the server is up (it logged `send mode connected`; its first frame
/// waits for the client): the whole stream arrives (patterns 0, 1, 3).
#[test]
fn client_started_after_server_gets_every_frame() {
    each_mode(&[PAIR_BI, REQ_BI, PUSH], |m| {
        // Nobody listens there until the client starts, and no outgoing connection takes it.
        let port = port_below_ephemeral();
        let mut args = serve(port, m, 10.0, 20, Some(40.0));
        args.push("--log".into());
        let mut server = Proc::netgear("serve --log", &args);
        server.await_stderr(WAIT, 1, |l| l.contains("send mode connected"));
        let client = Proc::netgear("recv", &recv(port, m, 10.0));
        let served = server.wait(HANG);
        let got = client.wait(HANG);
        assert_complete(&served, &got, 20, m);
    });
}

/// The client is bound before the server starts: the whole stream arrives.
#[test]
fn server_started_after_client_sends_every_frame() {
    each_mode(&[PAIR_BI, REQ_BI, PUSH], |m| {
        let (client, port) = bound_client("recv", 0, m, 10.0);
        let server = Proc::netgear("serve", &serve(port, m, 10.0, 20, Some(40.0)));
        let served = server.wait(HANG);
        let got = client.wait(HANG);
        assert_complete(&served, &got, 20, m);
    });
}

/// The client starts only after the server has given up (timeout 1 s) and exited:
/// - patterns 0 and 1: the server exits 1 with `timed out after 1s waiting for the client's
///   reply` (its first frame is never answered);
/// - pattern 3: the server queues what fits (8 frames), then waits for room one timeout and
///   exits 1 with `timed out after 1s waiting for room to send a frame`.
///
/// Either way the late client then gets nothing, and exits 1 with its own timeout.
#[test]
fn client_started_after_server_timeout() {
    each_mode(&[PAIR_BI, REQ_BI, PUSH], |m| {
        // Nobody listens there until the client starts, and no outgoing connection takes it.
        let port = port_below_ephemeral();
        let t = secs(1.0);
        let started = Instant::now();
        let server = Proc::netgear("serve", &serve(port, m, 1.0, 10, None));
        let served = server.wait(t + HANG);
        assert_waited(&format!("{m:?}: server alone"), served.at - started, t);
        if m.pattern == 3 {
            // 10 frames do not fit in the PUSH queue (8): the 9th waits for room, in vain.
            served.assert_timed_out(t, "room to send a frame");
        } else {
            served.assert_timed_out(t, "the client's reply");
        }
        let client = Proc::netgear("recv", &recv(port, m, 1.0));
        let got = client.wait(t + HANG);
        got.assert_timed_out(t, "a frame from the server");
        assert_eq!(got.summary()["frames"], 0, "{m:?}");
    });
}

// ---------------------------------------------------------------------------------------------
// 5. REQ/REP: the client replaced mid-stream

/// Pattern 1, bidirectional, a lost reply: once frames flow, the relay loses everything the
/// client sends back, until a frame has reached the client after that (its answer never
/// reaches the server); then the client is killed and a new one started on the same port,
/// while the server (timeout 2.5 s) still waits. REQ_RELAXED/REQ_CORRELATE would allow the
/// frame to be sent again to the new peer, but the library does not retry: libzmq tells the
/// server that its peer went away, and it exits 1 with `the peer at ... went away while this
/// end waited for the client's reply` without waiting out its timeout; the new client, which
/// connects normally, never gets a frame (it exits 1 with its own timeout).
#[test]
fn req_rep_lost_reply_ends_the_stream() {
    let t = 2.5;
    let (mut first, relay, port) = client_behind_relay(REQ_BI, 30.0);
    let server = Proc::netgear("serve", &serve(relay.port(), REQ_BI, t, 400, Some(10.0)));
    relay.await_answers(3, WAIT);
    let answered = relay.lose_answers();
    relay.await_delivered(answered + 1, WAIT);
    first.kill();
    let second = Proc::netgear("recv 2", &recv(port, REQ_BI, t));
    let served = server.wait(secs(t) + HANG);
    served.assert_peer_gone("the client's reply");
    let got = second.wait(secs(t) + HANG);
    got.assert_timed_out(secs(t), "a frame from the server");
    assert_eq!(got.summary()["frames"], 0, "the new client got frames");
}

/// Pattern 1, no reply lost: the client is replaced between two frames. Its answer to the 4th
/// frame is held in the relay (so the server cannot send the 5th) while the client is killed
/// and a new one is bound on the same port; then the answer reaches the server together with
/// the end of that connection, as if the client had died right after answering. The REQ
/// socket's queue survives the reconnection: the next frame goes to the new client, which gets
/// the 12 remaining frames and the end message; both exit 0 — the stream recovers.
#[test]
fn req_rep_client_replaced_between_frames_recovers() {
    let (frames, before) = (16, 4);
    let (mut first, relay, port) = client_behind_relay(REQ, 30.0);
    relay.hold_answers_after(before - 1);
    let mut args = serve(relay.port(), REQ, 10.0, frames, Some(8.0));
    args.push("--log".into());
    let mut server = Proc::netgear("serve --log", &args);
    // The client has answered the 4th frame; the answer is held in the relay.
    relay.await_held_answers(1, WAIT);
    assert_eq!(
        relay.delivered(),
        before,
        "frames sent before the 4th answer"
    );
    first.kill();
    let (second, _) = bound_client("recv 2", port, REQ, 10.0);
    relay.release_answers_and_close();
    // The server logs `reply` for each plain confirmation it receives.
    server.await_stderr(WAIT, before as usize, |l| l.contains("reply"));
    let served = server.wait(HANG);
    served.assert_success();
    assert_eq!(served.frames(), frames);
    let got = second.wait(HANG);
    got.assert_success();
    assert_eq!(
        got.frames(),
        frames - before,
        "the new client should get every frame after the 4th"
    );
}

// ---------------------------------------------------------------------------------------------
// the other way round: the server goes away right after its end message

/// A raw PAIR server streams 2 frames, sends `{"terminate": true}` and closes (as a server
/// does when it is killed right then, or when its own wait for the termination answer timed
/// out because the client was slow). The end message reaches the client; the test waits until
/// the client's side of the connection is closed too (the kernel's socket table shows it), so
/// the server is gone before the client reads the end message. The stream is complete: the
/// client ends cleanly with `Ok(None)` — its answer to the end message has nowhere to go (a
/// PAIR socket bound by the client has no peer to queue it for), and is given up on, as the
/// best effort it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_client_ends_cleanly_when_server_leaves_after_terminate() {
    let runs = [true, false].map(|bidi| async move {
        let client = netgear::Client::new(tcp(Pattern::Pair, 0, bidi, 1000)).expect("binds");
        let port = client.local_port().expect("a tcp port");
        let peer = thread::spawn(move || {
            let s = raw::socket(zmq::PAIR, port, Side::Connect);
            s.set_linger(10_000).expect("linger"); // the end message leaves before the close
            for i in 0..2 {
                s.send_multipart(raw::frame_message(bidi, None, &common::frame(i)), 0)
                    .expect("frame");
                s.recv_bytes(0).expect("the answer to a frame");
            }
            s.send(raw::terminate(), 0).expect("terminate");
        });
        for _ in 0..2 {
            let item = within(client.recv()).await;
            assert!(
                matches!(item, Ok(Some(_))),
                "bidirectional {bidi}: {item:?}"
            );
        }
        tokio::task::spawn_blocking(move || peer.join())
            .await
            .expect("join")
            .expect("raw server");
        // The raw server is gone; its end message waits in the client's queue.
        tokio::task::spawn_blocking(move || {
            wait_until("the client's side of the connection closed", WAIT, || {
                !has_accepted_connection(port)
            })
        })
        .await
        .expect("wait");
        let end = within(client.recv()).await;
        assert!(
            matches!(end, Ok(None)),
            "bidirectional {bidi}: the end message gave {end:?}"
        );
        assert!(client.is_terminated());
    });
    within(futures::future::join_all(runs)).await;
}

/// A sender fills the receiver's queue while the application is not reading, with a heartbeat
/// PING behind its frames, and its connection is reset. libzmq keeps that connection's engine
/// to hand over what it had read; when the application reads on, the engine reaches the PING
/// and answers it on a dead connection (the heartbeat timer does the same every interval),
/// which upstream libzmq turns into an assertion failure that aborts the process. The
/// receiver must get the frames, drop the connection and serve the next sender.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_reset_behind_a_full_queue_does_not_abort_the_receiver() {
    use std::io::Write;

    const SENT: usize = 12;
    let client = netgear::Client::new(tcp(Pattern::PushPull, 0, false, 5000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut handshake = raw::zmtp_handshake("PUSH");
    handshake[11] = 1; // ZMTP 3.1: heartbeats
    let mut bytes = Vec::new();
    for _ in 0..SENT {
        let parts = raw::good_message();
        let last = parts.len() - 1;
        for (i, part) in parts.iter().enumerate() {
            bytes.extend(raw::zmtp_frame(if i < last { 0x01 } else { 0 }, part));
        }
    }
    bytes.extend(raw::zmtp_frame(0x04, b"\x04PING\0\0"));
    let mut peer = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
    peer.set_read_timeout(Some(WAIT)).expect("read timeout");
    peer.write_all(&handshake).expect("handshake");
    raw::await_ready(&mut peer);
    peer.write_all(&bytes).expect("sends");
    let own_port = peer.local_addr().expect("local address").port();
    tokio::task::spawn_blocking(move || {
        // Every byte reached the receiver's host (acknowledged) and libzmq has read it all: the
        // queue is full and the rest waits in its input buffer.
        wait_until("the receiver read the sender's bytes", WAIT, || {
            common::net::queues(own_port).is_some_and(|(unacked, _)| unacked == 0)
                && common::net::queues(port).is_some_and(|(_, unread)| unread == 0)
        });
        reset_on_close(&peer);
        drop(peer);
        wait_until("the reset reached the receiver", WAIT, || {
            !has_accepted_connection(port)
        });
    })
    .await
    .expect("the sender");
    for n in 0..SENT {
        let item = within(client.recv()).await;
        assert!(matches!(item, Ok(Some(_))), "frame {n}: {item:?}");
    }
    // The receiver goes on: a real sender's stream arrives whole.
    let mut server = Server::new(tcp(Pattern::PushPull, port, false, 5000)).expect("connects");
    let frames: Vec<_> = (0..5).map(common::frame).collect();
    let (sent, got) = within(async {
        tokio::join!(
            server.launch(futures::stream::iter(frames.clone())),
            common::drain(&client)
        )
    })
    .await;
    assert_eq!(sent.expect("streams"), 5);
    assert!(got.error.is_none(), "{:?}", got.error);
    let got: Vec<_> = got.items.into_iter().map(|(_, f)| f).collect();
    assert_eq!(got, frames);
}

/// A PUSH sender sends its frames and its end message and leaves while the application at the
/// PULL end is busy (its queue is full; the rest waits in the kernel). The receiver's heartbeat
/// PING then draws a reset from the closed peer, and upstream libzmq stopped reading at that
/// error: the frames still in the socket's buffer were lost (8 of 40 arrived) and the receiver
/// timed out. Everything must arrive, then the end of the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_receiver_gets_all_a_departed_sender_sent() {
    const SENT: usize = 40;
    let client = netgear::Client::new(tcp(Pattern::PushPull, 0, false, 20_000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::PushPull, port, false, 20_000)).expect("connects");
    let frames: Vec<_> = (0..SENT).map(common::frame).collect();
    let sent = within(server.launch(futures::stream::iter(frames.clone()))).await;
    assert_eq!(sent.expect("streams"), SENT as u64);
    drop(server);
    // The application is still busy: the reset reaches its end of the connection first.
    tokio::task::spawn_blocking(move || {
        wait_until("the reset reached the receiver", WAIT, || {
            !has_accepted_connection(port)
        })
    })
    .await
    .expect("wait");
    let got = within(common::drain(&client)).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    let got: Vec<_> = got.items.into_iter().map(|(_, f)| f).collect();
    assert_eq!(got, frames);
    assert!(client.is_terminated());
}

/// The relay's message count, whatever the read sizes.
#[test]
fn relay_counts_messages_split_anywhere() {
    let mut stream = vec![0u8; GREETING as usize];
    stream.extend([0x04, 3, b'a', b'b', b'c']); // a command: not a message
    stream.extend([0x01, 2, 1, 2, 0x00, 1, 9]); // a message of two parts
    stream.extend([0x02, 0, 0, 0, 0, 0, 0, 1, 0]); // one long part of 256 bytes
    stream.extend([7u8; 256]);
    stream.extend([0x00, 0]); // an empty message
    for chunk in [1, 2, 5, 64, stream.len()] {
        let mut c = MessageCounter::default();
        let n: u64 = stream.chunks(chunk).map(|b| c.feed_until(b, None).1).sum();
        assert_eq!(n, 3, "chunks of {chunk}");
    }
    // Stopping after the 2nd message leaves the empty one for later.
    let mut c = MessageCounter::default();
    let (used, done) = c.feed_until(&stream, Some(2));
    assert_eq!((used, done), (stream.len() - 2, 2));
}

// ---------------------------------------------------------------------------------------------
// 7. PAIR: the next sender, while the last one's pipe is torn down

/// A PAIR receiver whose first sender has left, its messages still unread (so that its pipe
/// is being torn down), takes a second sender that connects meanwhile once it has read them,
/// instead of refusing it: the second sender's connection is never dropped. Upstream libzmq
/// closed it right after its handshake (our patch `pair-takes-the-next-peer`): a netgear-rs
/// sender that connected right after a receiver had dropped a peer failed with PeerGone.
/// Deterministic: the receiver takes in the first sender's departure and the second's
/// arrival in the same call, its first receive after both.
#[test]
fn pair_takes_the_next_sender_while_the_last_ones_pipe_is_torn_down() {
    let ctx = zmq::Context::new();
    let receiver = ctx.socket(zmq::PAIR).expect("socket");
    receiver
        .set_rcvtimeo(raw::RAW_TIMEOUT_MS)
        .expect("rcvtimeo");
    receiver.bind("tcp://127.0.0.1:0").expect("bind");
    let bound = receiver
        .get_last_endpoint()
        .expect("endpoint")
        .expect("UTF-8");
    let receiver_events = Events::of(&ctx, &receiver, "receiver");
    let mut seen = Vec::new();
    {
        // The first sender, in a context of its own: dropping it waits until its two
        // messages are out.
        let ctx = zmq::Context::new();
        let first = ctx.socket(zmq::PAIR).expect("socket");
        first.set_linger(5_000).expect("linger");
        first.connect(&bound).expect("connect");
        for _ in 0..2 {
            first.send_multipart(raw::good_message(), 0).expect("send");
        }
        receiver_events.await_event(zmq::SocketEvent::HANDSHAKE_SUCCEEDED, &mut seen, WAIT);
    }
    receiver_events.await_event(zmq::SocketEvent::DISCONNECTED, &mut seen, WAIT);
    let second = ctx.socket(zmq::PAIR).expect("socket");
    second.set_linger(0).expect("linger");
    let second_events = Events::of(&ctx, &second, "second");
    second.connect(&bound).expect("connect");
    let mut theirs = Vec::new();
    second_events.await_event(zmq::SocketEvent::HANDSHAKE_SUCCEEDED, &mut theirs, WAIT);
    second.send_multipart(raw::good_message(), 0).expect("send");
    // The first sender's two messages, then the second's.
    for n in 0..3 {
        let parts = receiver
            .recv_multipart(0)
            .unwrap_or_else(|e| panic!("message {n}: {e}"));
        assert_eq!(parts, raw::good_message(), "message {n}");
    }
    theirs.extend(second_events.take());
    assert!(
        !theirs.contains(&zmq::SocketEvent::DISCONNECTED.to_raw()),
        "the second sender's connection was dropped: {theirs:?}"
    );
}
