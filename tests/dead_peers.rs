//! Dead and slow peers (issue 5), with real `netgear` processes killed with SIGKILL mid-stream
//! and raw ZeroMQ peers that stop answering: every case ends with a clear error within the
//! timeout, or recovers — and never hangs.
//!
//! Every wait on a child is bounded (past [`HARD_LIMIT`] the children are killed and the test
//! fails), and every child is killed and reaped when its guard is dropped, so that a failing
//! assertion leaves nothing running. The cases of one test run side by side in threads, each
//! on its own port, to keep the file's wall time short.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{free_port, tcp, within};
use netgear::wire::{self, Header};
use netgear::{Data, Error, Pattern, Server};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_netgear");

/// Room on top of a timeout for a process to notice it, print, exit and be reaped.
const SLACK: Duration = Duration::from_secs(2);

/// No child is waited for longer than this: a hang becomes a failure, not a stuck run.
const HARD_LIMIT: Duration = Duration::from_secs(12);

/// Small frames: the cases are about peers, not throughput.
const SIZE: [&str; 4] = ["--width", "32", "--height", "24"];

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

// ---------------------------------------------------------------------------------------------
// child processes

/// Lines a child wrote so far, read as they come (so that a full pipe never blocks it).
#[derive(Default)]
struct Lines {
    stdout: Vec<String>,
    stderr: Vec<String>,
}

/// A `netgear` child process, killed (SIGKILL) and reaped when dropped.
struct Proc {
    name: String,
    child: Child,
    lines: Arc<Mutex<Lines>>,
    readers: Vec<thread::JoinHandle<()>>,
}

/// How a child ended.
struct Exit {
    name: String,
    status: ExitStatus,
    /// When the test saw it gone (polled every 5 ms).
    at: Instant,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

fn read_lines(
    pipe: impl Read + Send + 'static,
    lines: Arc<Mutex<Lines>>,
    err: bool,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let mut l = lines.lock().unwrap_or_else(|e| e.into_inner());
            if err { &mut l.stderr } else { &mut l.stdout }.push(line);
        }
    })
}

impl Proc {
    fn spawn(name: &str, args: &[String]) -> Proc {
        let mut child = Command::new(BIN)
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let lines = Arc::new(Mutex::new(Lines::default()));
        let readers = vec![
            read_lines(child.stdout.take().expect("stdout"), lines.clone(), false),
            read_lines(child.stderr.take().expect("stderr"), lines.clone(), true),
        ];
        Proc {
            name: name.to_owned(),
            child,
            lines,
            readers,
        }
    }

    fn stderr_now(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stderr
            .clone()
    }

    /// SIGKILL, and reap: when this returns the process is gone and its port is free.
    fn kill(&mut self) -> Instant {
        self.child.kill().expect("SIGKILL");
        let at = Instant::now();
        self.child.wait().expect("reap");
        at
    }

    /// SIGSTOP: the process stays connected but answers nothing.
    fn freeze(&self) -> Instant {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: plain kill(2) on our own child, which is not reaped yet (so the pid is ours).
        assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0, "SIGSTOP");
        Instant::now()
    }

    /// Waits until a stderr line satisfies `pred`, at most `limit`; the number of such lines.
    fn await_stderr(&self, limit: Duration, count: usize, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + limit;
        loop {
            let lines = self.stderr_now();
            if lines.iter().filter(|l| pred(l)).count() >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {count} matching stderr line(s) did not come within {limit:?}; stderr: {lines:?}",
                self.name
            );
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits for the process to end, at most `limit`; past it, kills it and fails (a hang).
    fn wait(&mut self, limit: Duration) -> Exit {
        let limit = limit.min(HARD_LIMIT);
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{} still running after {limit:?} (hung); stderr so far: {:?}",
                    self.name,
                    self.stderr_now()
                );
            }
            thread::sleep(Duration::from_millis(5));
        };
        let at = Instant::now();
        for r in std::mem::take(&mut self.readers) {
            let _ = r.join();
        }
        let l = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        Exit {
            name: self.name.clone(),
            status,
            at,
            stdout: l.stdout.clone(),
            stderr: l.stderr.clone(),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Exit {
    /// The `--json` summary: the last line of stdout.
    fn summary(&self) -> Value {
        let last = self.stdout.last().unwrap_or_else(|| {
            panic!(
                "{}: no summary on stdout; stderr: {:?}",
                self.name, self.stderr
            )
        });
        serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("{}: summary {last:?} is not JSON: {e}", self.name))
    }

    fn frames(&self) -> u64 {
        self.summary()["frames"].as_u64().expect("frames")
    }

    fn assert_success(&self) {
        assert!(
            self.status.success(),
            "{} failed ({}); stderr: {:?}",
            self.name,
            self.status,
            self.stderr
        );
    }

    /// Exit code 1 with exactly `error: timed out after {timeout:?} waiting for {what}`.
    fn assert_timed_out(&self, timeout: Duration, what: &str) {
        let expected = format!("error: timed out after {timeout:?} waiting for {what}");
        assert_eq!(
            self.status.code(),
            Some(1),
            "{}: exit status; stderr: {:?}",
            self.name,
            self.stderr
        );
        assert!(
            self.stderr.contains(&expected),
            "{}: expected {expected:?} on stderr, got {:?}",
            self.name,
            self.stderr
        );
    }
}

/// `lo <= elapsed <= hi`, loosely: these are wall-clock windows around a timeout. The time
/// is printed too (`--nocapture`).
fn assert_window(what: &str, elapsed: Duration, lo: Duration, hi: Duration) {
    eprintln!("{what}: {elapsed:?}");
    assert!(
        lo <= elapsed && elapsed <= hi,
        "{what}: took {elapsed:?}, expected between {lo:?} and {hi:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// command lines

#[derive(Debug, Clone, Copy)]
struct Mode {
    pattern: u8,
    bidirectional: bool,
}

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

fn conn(port: u16, m: Mode, timeout: f64) -> Vec<String> {
    let mut a: Vec<String> = [
        "--address",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--pattern",
        &m.pattern.to_string(),
        "--timeout",
        &timeout.to_string(),
        "--json",
    ]
    .map(String::from)
    .into();
    if m.bidirectional {
        a.push("--bidirectional".into());
    }
    a
}

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

/// Runs `case` for every mode at once, one thread each; re-raises the first failure after all
/// have ended (each one bounds its own waits).
fn each_mode(modes: &[Mode], case: impl Fn(Mode) + Sync) {
    let case = &case;
    thread::scope(|s| {
        let handles: Vec<_> = modes.iter().map(|&m| s.spawn(move || case(m))).collect();
        let mut first = None;
        for h in handles {
            if let Err(e) = h.join() {
                first.get_or_insert(e);
            }
        }
        if let Some(e) = first {
            std::panic::resume_unwind(e);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// 1. the client dies mid-stream

/// Patterns 0 and 1: the client process is killed while frames flow (20 fps); the server's
/// next reply never comes, and it exits 1 with `timed out after 1.5s waiting for the client's
/// reply`, one timeout after the kill. (Not sooner than that: which also shows the stream was
/// flowing up to the kill — a client that never connected would time out 0.7 s earlier.)
#[test]
fn client_killed_mid_stream_server_times_out() {
    each_mode(&[PAIR_BI, REQ_BI], |m| {
        let port = free_port();
        let t = 1.5;
        let mut client = Proc::spawn("recv", &recv(port, m, 5.0));
        let mut server = Proc::spawn("serve", &serve(port, m, t, 400, Some(20.0)));
        thread::sleep(Duration::from_millis(700));
        let killed = client.kill();
        let exit = server.wait(secs(t) + SLACK + SLACK);
        exit.assert_timed_out(secs(t), "the client's reply");
        assert_window(
            &format!("{m:?}: server error after the client was killed"),
            exit.at - killed,
            secs(t - 0.3),
            secs(t) + SLACK,
        );
    });
}

/// Pattern 3: a PUSH server cannot see its PULL client die. The frames go on into the
/// connection's queue (which survives the reconnection attempts), so
/// - a new client started on the same port right away gets the rest of the stream and the
///   end message: the stream recovers, both exit 0;
/// - with no new client the queue (8 frames) fills, and the server exits 1 one timeout later
///   with `timed out after 1s waiting for room to send a frame` (vidgear would queue up to
///   1000 frames and report nothing).
#[test]
fn push_client_killed_mid_stream() {
    let t = 1.0;
    let (frames, fps) = (30u32, 20.0);
    let stream_time = secs(f64::from(frames) / fps);
    let replaced = thread::spawn(move || {
        let port = free_port();
        let mut first = Proc::spawn("recv 1", &recv(port, PUSH, 5.0));
        let mut server = Proc::spawn("serve", &serve(port, PUSH, t, frames.into(), Some(fps)));
        thread::sleep(Duration::from_millis(700));
        first.kill();
        let mut second = Proc::spawn("recv 2", &recv(port, PUSH, 3.0));
        let served = server.wait(stream_time + secs(t) + SLACK);
        served.assert_success();
        assert_eq!(served.frames(), u64::from(frames));
        let got = second.wait(secs(3.0) + SLACK);
        got.assert_success();
        let n = got.frames();
        assert!(
            (5..u64::from(frames)).contains(&n),
            "the new client got {n} frames: expected the rest of the stream"
        );
    });
    let abandoned = thread::spawn(move || {
        let port = free_port();
        let mut client = Proc::spawn("recv", &recv(port, PUSH, 5.0));
        let started = Instant::now();
        let mut server = Proc::spawn("serve", &serve(port, PUSH, t, frames.into(), Some(fps)));
        thread::sleep(Duration::from_millis(700));
        client.kill();
        let served = server.wait(stream_time + secs(t) + SLACK + SLACK);
        // A PUSH queue holds a few frames only: once it is full, the server's send waits
        // one timeout for room and fails, instead of queueing the stream into the void.
        served.assert_timed_out(secs(t), "room to send a frame");
        assert_window(
            "the PUSH server's run with nobody left to receive",
            served.at - started,
            secs(0.7 + t),
            stream_time + secs(t) + SLACK,
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

/// Patterns 0, 1 and 3: the server process is killed while frames flow; the client exits 1
/// with `timed out after 1.5s waiting for a frame from the server` one timeout after the last
/// frame, and its summary still counts the frames it got and names the error.
#[test]
fn server_killed_mid_stream_client_times_out() {
    each_mode(&[PAIR_BI, REQ_BI, PUSH], |m| {
        let port = free_port();
        let t = 1.5;
        let mut client = Proc::spawn("recv", &recv(port, m, t));
        let mut server = Proc::spawn("serve", &serve(port, m, 5.0, 400, Some(20.0)));
        thread::sleep(Duration::from_millis(700));
        let killed = server.kill();
        let exit = client.wait(secs(t) + SLACK + SLACK);
        exit.assert_timed_out(secs(t), "a frame from the server");
        assert_window(
            &format!("{m:?}: client error after the server was killed"),
            exit.at - killed,
            secs(t - 0.3),
            secs(t) + SLACK,
        );
        let summary = exit.summary();
        let frames = summary["frames"].as_u64().expect("frames");
        assert!(frames >= 3, "{m:?}: only {frames} frames before the kill");
        assert_eq!(
            summary["error"],
            format!(
                "timed out after {:?} waiting for a frame from the server",
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

/// A raw PAIR or REP peer bound on `port` that answers every frame with a valid reply (a data
/// reply in bidirectional mode, vidgear's plain confirmation otherwise) but never answers
/// `{"terminate": true}`. Runs until `done` is set (or 10 s).
fn mute_at_termination(
    kind: zmq::SocketType,
    port: u16,
    bidirectional: bool,
    done: Arc<AtomicBool>,
) -> thread::JoinHandle<Seen> {
    let ctx = zmq::Context::new();
    let s = ctx.socket(kind).expect("socket");
    s.set_linger(0).expect("linger");
    s.set_rcvtimeo(50).expect("rcvtimeo");
    s.bind(&format!("tcp://127.0.0.1:{port}")).expect("bind");
    thread::spawn(move || {
        let mut seen = Seen::default();
        let until = Instant::now() + Duration::from_secs(10);
        while !done.load(Ordering::Acquire) && Instant::now() < until {
            if seen.terminated {
                // A REP socket may not receive again before it answers: just stay connected.
                thread::sleep(Duration::from_millis(10));
                continue;
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
    })
}

/// The library: `Server::launch` streams 5 frames to a raw peer that answers them all but not
/// the end message; launch returns `Error::Timeout(1s, "the termination answer")` one timeout
/// later (patterns 0 and 1, bidirectional and plain).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_times_out_when_termination_is_never_answered() {
    let cases = [
        (Pattern::Pair, zmq::PAIR, true),
        (Pattern::Pair, zmq::PAIR, false),
        (Pattern::ReqRep, zmq::REP, true),
        (Pattern::ReqRep, zmq::REP, false),
    ];
    let runs = cases.map(|(pattern, kind, bidi)| async move {
        let port = free_port();
        let done = Arc::new(AtomicBool::new(false));
        let peer = mute_at_termination(kind, port, bidi, done.clone());
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
        done.store(true, Ordering::Release);
        let seen = tokio::task::spawn_blocking(move || peer.join())
            .await
            .expect("join")
            .expect("raw peer");
        let what = format!("{pattern:?}, bidirectional {bidi}");
        assert!(
            matches!(result, Err(Error::Timeout(d, "the termination answer")) if d == Duration::from_secs(1)),
            "{what}: {result:?}"
        );
        assert_eq!(seen.frames, 5, "{what}");
        assert!(seen.terminated, "{what}: the end message never came");
        assert_window(&what, elapsed, secs(1.0), secs(1.0) + SLACK);
    });
    within(futures::future::join_all(runs)).await;
}

/// The CLI: `netgear serve` against the same mute peer exits 1 with `error: timed out after
/// 1s waiting for the termination answer`, one timeout after its last frame.
#[test]
fn serve_exits_when_termination_is_never_answered() {
    each_mode(&[PAIR_BI, REQ], |m| {
        let port = free_port();
        let done = Arc::new(AtomicBool::new(false));
        let kind = if m.pattern == 0 { zmq::PAIR } else { zmq::REP };
        let peer = mute_at_termination(kind, port, m.bidirectional, done.clone());
        let started = Instant::now();
        let mut server = Proc::spawn("serve", &serve(port, m, 1.0, 5, None));
        let exit = server.wait(secs(1.0) + SLACK + SLACK);
        done.store(true, Ordering::Release);
        let seen = peer.join().expect("raw peer");
        exit.assert_timed_out(secs(1.0), "the termination answer");
        assert_eq!(seen.frames, 5, "{m:?}");
        assert!(seen.terminated, "{m:?}");
        assert_window(
            &format!("{m:?}: serve against a mute peer"),
            exit.at - started,
            secs(1.0),
            secs(1.0) + SLACK,
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

/// The client starts 1.5 s after the server (timeout 3 s): the server's first frame waits for
/// it, then the whole stream arrives (patterns 0, 1, 3).
#[test]
fn client_started_after_server_gets_every_frame() {
    each_mode(&[PAIR_BI, REQ_BI, PUSH], |m| {
        let port = free_port();
        let mut server = Proc::spawn("serve", &serve(port, m, 3.0, 20, Some(40.0)));
        thread::sleep(Duration::from_millis(1500));
        let mut client = Proc::spawn("recv", &recv(port, m, 3.0));
        let served = server.wait(secs(3.0) + SLACK + SLACK);
        let got = client.wait(secs(3.0) + SLACK);
        assert_complete(&served, &got, 20, m);
    });
}

/// The client is up 1.5 s before the server (timeout 3 s): the whole stream arrives.
#[test]
fn server_started_after_client_sends_every_frame() {
    each_mode(&[PAIR_BI, REQ_BI, PUSH], |m| {
        let port = free_port();
        let mut client = Proc::spawn("recv", &recv(port, m, 3.0));
        thread::sleep(Duration::from_millis(1500));
        let mut server = Proc::spawn("serve", &serve(port, m, 3.0, 20, Some(40.0)));
        let served = server.wait(secs(3.0) + SLACK + SLACK);
        let got = client.wait(secs(3.0) + SLACK);
        assert_complete(&served, &got, 20, m);
    });
}

/// The client starts only after the server's timeout (1 s) has passed:
/// - patterns 0 and 1: the server exits 1 with `timed out after 1s waiting for the client's
///   reply` (its first frame is never answered);
/// - pattern 3: the server queues what fits (8 frames), then waits for room one timeout and
///   exits 1 with `timed out after 1s waiting for room to send a frame`.
///
/// Either way the late client then gets nothing, and exits 1 with its own timeout.
#[test]
fn client_started_after_server_timeout() {
    each_mode(&[PAIR_BI, REQ_BI, PUSH], |m| {
        let port = free_port();
        let t = secs(1.0);
        let started = Instant::now();
        let mut server = Proc::spawn("serve", &serve(port, m, 1.0, 10, None));
        let served = server.wait(t + SLACK + SLACK);
        assert_window(
            &format!("{m:?}: server alone"),
            served.at - started,
            t - Duration::from_millis(50),
            t + SLACK,
        );
        if m.pattern == 3 {
            // 10 frames do not fit in the PUSH queue (8): the 9th waits for room, in vain.
            served.assert_timed_out(t, "room to send a frame");
        } else {
            served.assert_timed_out(t, "the client's reply");
        }
        thread::sleep(
            (started + t + Duration::from_millis(500)).saturating_duration_since(Instant::now()),
        );
        let mut client = Proc::spawn("recv", &recv(port, m, 1.0));
        let got = client.wait(t + SLACK + SLACK);
        got.assert_timed_out(t, "a frame from the server");
        assert_eq!(got.summary()["frames"], 0, "{m:?}");
    });
}

// ---------------------------------------------------------------------------------------------
// 5. REQ/REP: the client replaced mid-stream

/// Pattern 1, bidirectional, a lost reply: the client is frozen (SIGSTOP) long enough for the
/// server's next frame to go unanswered, then killed, and a new client is started on the same
/// port at once, while the server (timeout 2.5 s) still waits. REQ_RELAXED/REQ_CORRELATE would
/// allow the frame to be sent again to the new peer, but the library does not retry: the
/// server exits 1 with `timed out after 2.5s waiting for the client's reply` one timeout after
/// that frame, and the new client never gets a frame (it exits 1 with its own timeout).
#[test]
fn req_rep_lost_reply_ends_the_stream_with_a_timeout() {
    let port = free_port();
    let t = 2.5;
    let mut first = Proc::spawn("recv 1", &recv(port, REQ_BI, 5.0));
    let mut server = Proc::spawn("serve", &serve(port, REQ_BI, t, 400, Some(10.0)));
    thread::sleep(Duration::from_millis(700));
    let frozen = first.freeze();
    thread::sleep(Duration::from_millis(300)); // ≥ 2 frame periods: one frame is now unanswered
    first.kill();
    let mut second = Proc::spawn("recv 2", &recv(port, REQ_BI, t));
    let served = server.wait(secs(t) + SLACK + SLACK);
    served.assert_timed_out(secs(t), "the client's reply");
    assert_window(
        "server error after its reply was lost",
        served.at - frozen,
        secs(t),
        secs(t + 0.1) + SLACK,
    );
    let got = second.wait(secs(t) + SLACK + SLACK);
    got.assert_timed_out(secs(t), "a frame from the server");
    assert_eq!(got.summary()["frames"], 0, "the new client got frames");
}

/// Pattern 1, no reply lost: the client is killed right after its answer to the 4th frame
/// reached the server (seen in the server's `--log`), between two frames of a 8 fps stream,
/// and a new client is started on the same port at once. The REQ socket's queue survives the
/// reconnection: the next frame goes to the new client, which gets the 12 remaining frames
/// and the end message; both exit 0 — the stream recovers.
#[test]
fn req_rep_client_replaced_between_frames_recovers() {
    let port = free_port();
    let (frames, before) = (16, 4);
    let mut first = Proc::spawn("recv 1", &recv(port, REQ, 5.0));
    let mut args = serve(port, REQ, 3.0, frames, Some(8.0));
    args.push("--log".into());
    let mut server = Proc::spawn("serve --log", &args);
    // The server logs `reply` for each plain confirmation it receives.
    server.await_stderr(secs(5.0), before, |l| l.contains("reply"));
    first.kill();
    let mut second = Proc::spawn("recv 2", &recv(port, REQ, 3.0));
    let served = server.wait(secs(3.0) + SLACK + SLACK);
    served.assert_success();
    assert_eq!(served.frames(), frames);
    let got = second.wait(secs(3.0) + SLACK);
    got.assert_success();
    assert_eq!(
        got.frames(),
        frames - before as u64,
        "the new client should get every frame after the 4th"
    );
}

// ---------------------------------------------------------------------------------------------
// the other way round: the server goes away right after its end message

/// A raw PAIR server that streams 2 frames, sends `{"terminate": true}` and closes (as a
/// server does when it is killed right then, or when its own wait for the termination answer
/// timed out because the client was slow). The end message reaches the client; the stream is
/// complete, and the client should end cleanly (`Ok(None)`) — a REP client does. A PAIR client
/// instead fails with `Error::Timeout(1s, "room to answer termination")` one timeout later
/// (`netgear recv` exits 1): the answer to the end message is awaited with `?`, and a PAIR socket
/// bound by the client has no peer to queue it for once the server has disconnected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_client_ends_cleanly_when_server_leaves_after_terminate() {
    let runs = [true, false].map(|bidi| async move {
        let port = free_port();
        let client = netgear::Client::new(tcp(Pattern::Pair, port, bidi, 1000)).expect("binds");
        let peer = thread::spawn(move || {
            let ctx = zmq::Context::new();
            let s = ctx.socket(zmq::PAIR).expect("socket");
            s.set_linger(1000).expect("linger"); // the end message leaves before the close
            s.set_rcvtimeo(2000).expect("rcvtimeo");
            s.connect(&format!("tcp://127.0.0.1:{port}"))
                .expect("connect");
            for i in 0..2 {
                let mut head = Vec::new();
                wire::encode_header(&mut head, bidi, None);
                s.send_multipart([head, wire::encode_frame(&common::frame(i))], 0)
                    .expect("frame");
                s.recv_bytes(0).expect("the answer to a frame");
            }
            let mut end = Vec::new();
            wire::encode_terminate(&mut end);
            s.send(end, 0).expect("terminate");
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
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let end = within(client.recv()).await;
        assert!(
            matches!(end, Ok(None)),
            "bidirectional {bidi}: the end message gave {end:?} after {:?}",
            started.elapsed()
        );
        assert!(client.is_terminated());
    });
    within(futures::future::join_all(runs)).await;
}
