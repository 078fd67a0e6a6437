//! Child processes for the tests: output captured as it comes (a full pipe never blocks the
//! child), every wait bounded, and the child killed (SIGKILL) and reaped when its guard is
//! dropped, so that a failing assertion leaves nothing running.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `netgear` binary of this package.
pub const NETGEAR: &str = env!("CARGO_BIN_EXE_netgear");

/// How long the output of an ended child may take to close.
const PIPES_CLOSE: Duration = Duration::from_secs(10);

/// What a child wrote so far, byte for byte.
#[derive(Default)]
struct Captured {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// A child process, killed (SIGKILL) and reaped when dropped.
pub struct Proc {
    name: String,
    child: Child,
    captured: Arc<Mutex<Captured>>,
    /// Disconnected once the threads reading the pipes (and writing stdin) have ended.
    pipes_done: Receiver<()>,
}

/// How a child ended, and everything it wrote.
pub struct Exit {
    pub name: String,
    pub status: ExitStatus,
    /// When the test saw it gone (polled every few milliseconds).
    pub at: Instant,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn capture(
    mut pipe: impl Read + Send + 'static,
    captured: Arc<Mutex<Captured>>,
    err: bool,
    done: Sender<()>,
) {
    thread::spawn(move || {
        let _done = done;
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut c = captured.lock().unwrap_or_else(PoisonError::into_inner);
            if err { &mut c.stderr } else { &mut c.stdout }.extend_from_slice(&buf[..n]);
        }
    });
}

impl Proc {
    /// Starts `cmd` with no stdin.
    pub fn spawn(name: &str, cmd: Command) -> Proc {
        Proc::start(name, cmd, None)
    }

    /// Starts `cmd` and writes `input` to its stdin (then closes it).
    pub fn spawn_with_input(name: &str, cmd: Command, input: Vec<u8>) -> Proc {
        Proc::start(name, cmd, Some(input))
    }

    /// Starts `netgear args…` (without `RUST_LOG`, so that its stderr is only what it says).
    pub fn netgear(name: &str, args: &[String]) -> Proc {
        let mut cmd = Command::new(NETGEAR);
        cmd.args(args).env_remove("RUST_LOG");
        Proc::spawn(name, cmd)
    }

    /// Starts `netgear ARGS` with `tmp` as its temp directory and no runtime directory (so a
    /// default ipc path lies in `tmp`).
    pub fn netgear_env(name: &str, args: &[String], tmp: &std::path::Path) -> Proc {
        let mut cmd = Command::new(NETGEAR);
        cmd.args(args)
            .env_remove("RUST_LOG")
            .env_remove("XDG_RUNTIME_DIR")
            .env("TMPDIR", tmp);
        Proc::spawn(name, cmd)
    }

    /// Runs `cmd` to its end, at most `limit`.
    pub fn run(name: &str, cmd: Command, limit: Duration) -> Exit {
        Proc::spawn(name, cmd).wait(limit)
    }

    fn start(name: &str, mut cmd: Command, input: Option<Vec<u8>>) -> Proc {
        let stdin = if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        let mut child = cmd
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {}", missing(cmd.get_program(), e)));
        let captured = Arc::new(Mutex::new(Captured::default()));
        let (done, pipes_done) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        capture(stdout, captured.clone(), false, done.clone());
        let stderr = child.stderr.take().expect("stderr");
        capture(stderr, captured.clone(), true, done.clone());
        if let Some(input) = input {
            let mut stdin = child.stdin.take().expect("stdin");
            thread::spawn(move || {
                let _done = done;
                // A child that exits early closes the pipe: its exit status tells why.
                let _ = stdin.write_all(&input);
            });
        }
        Proc {
            name: name.to_owned(),
            child,
            captured,
            pipes_done,
        }
    }

    fn captured(&self) -> MutexGuard<'_, Captured> {
        self.captured.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The child's peak resident memory so far, KiB (`VmHWM` of `/proc/PID/status`).
    pub fn peak_rss_kb(&self) -> u64 {
        peak_rss_kib(&self.child.id().to_string()).expect("the child is running")
    }

    /// The lines written on stderr so far.
    pub fn stderr_now(&self) -> Vec<String> {
        lines(&self.captured().stderr)
    }

    /// Fails the test if the child has exited (it was expected to keep running).
    fn assert_running(&mut self, waiting_for: &str) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!(
                "{} exited ({status}) while the test waited for {waiting_for}; stderr: {:?}",
                self.name,
                self.stderr_now()
            );
        }
    }

    /// Waits until `ready()` holds, at most `limit`, failing if the child exits first.
    pub fn await_event(&mut self, what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + limit;
        while !ready() {
            self.assert_running(what);
            assert!(
                Instant::now() < deadline,
                "{}: {what} did not happen within {limit:?}; stderr: {:?}",
                self.name,
                self.stderr_now()
            );
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits until `count` stderr lines satisfy `pred`, at most `limit`.
    pub fn await_stderr(&mut self, limit: Duration, count: usize, pred: impl Fn(&str) -> bool) {
        let captured = self.captured.clone();
        let matching = move || {
            let c = captured.lock().unwrap_or_else(PoisonError::into_inner);
            lines(&c.stderr).iter().filter(|l| pred(l)).count()
        };
        self.await_event(&format!("{count} matching stderr line(s)"), limit, || {
            matching() >= count
        });
    }

    /// Waits for the `listening on ENDPOINT` line `netgear recv` prints once it has bound (on
    /// stderr; on stdout under `script`, whose pseudo-terminal is both), at most `limit`, and
    /// returns the endpoint's tcp port: with `--port 0`, the one the kernel picked.
    pub fn await_bound_port(&mut self, limit: Duration) -> u16 {
        let captured = self.captured.clone();
        let mut port = None;
        self.await_event("a `listening on tcp://…` line", limit, || {
            let c = captured.lock().unwrap_or_else(PoisonError::into_inner);
            port = [&c.stderr, &c.stdout]
                .into_iter()
                .flat_map(|bytes| lines(bytes))
                .find_map(|line| listening_port(&line));
            port.is_some()
        });
        port.expect("a port")
    }

    /// Waits until something listens on tcp `port` (the child bound it), at most `limit`.
    pub fn await_listening(&mut self, port: u16, limit: Duration) {
        self.await_event(&format!("a listener on port {port}"), limit, || {
            super::net::is_listening(port)
        });
    }

    /// The process id (to signal the child).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and reap: when this returns the process is gone and its sockets are closed.
    pub fn kill(&mut self) -> Instant {
        self.child.kill().expect("SIGKILL");
        let at = Instant::now();
        self.child.wait().expect("reap");
        at
    }

    /// Waits for the process to end, at most `limit`; past it, kills it and fails (a hang).
    pub fn wait(mut self, limit: Duration) -> Exit {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                // Where each thread waits, read before the kill: a hang says where it hung.
                let threads = threads_of(self.child.id());
                let stacks = stacks_of(self.child.id());
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{} still running after {limit:?} (hung); its threads (name: kernel wait \
                     channel, state): {threads}; stderr so far: {:?}\n{stacks}",
                    self.name,
                    self.stderr_now()
                );
            }
            thread::sleep(Duration::from_millis(2));
        };
        let at = Instant::now();
        // The pipes close with the process, unless a child of its own still holds them.
        match self.pipes_done.recv_timeout(PIPES_CLOSE) {
            Err(RecvTimeoutError::Disconnected) => {}
            Ok(()) | Err(RecvTimeoutError::Timeout) => panic!(
                "{}: its output stayed open {PIPES_CLOSE:?} after it exited ({status}): a \
                 process it started outlived it",
                self.name
            ),
        }
        let c = std::mem::take(&mut *self.captured());
        Exit {
            name: self.name.clone(),
            status,
            at,
            stdout: c.stdout,
            stderr: c.stderr,
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
    pub fn stdout_lines(&self) -> Vec<String> {
        lines(&self.stdout)
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        lines(&self.stderr)
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The JSON summary: the last line of stdout (`netgear --json`, `vg_peer.py`).
    pub fn summary(&self) -> Value {
        let out = self.stdout_lines();
        let last = out.last().unwrap_or_else(|| {
            panic!(
                "{}: no summary on stdout; stderr: {}",
                self.name,
                self.stderr_text()
            )
        });
        serde_json::from_str(last).unwrap_or_else(|e| {
            panic!(
                "{}: summary {last:?} is not JSON ({e}); stderr: {}",
                self.name,
                self.stderr_text()
            )
        })
    }

    /// The summary's frame count.
    pub fn frames(&self) -> u64 {
        self.summary()["frames"].as_u64().expect("frames")
    }

    pub fn assert_success(&self) {
        assert!(
            self.status.success(),
            "{} failed ({}); stdout: {}\nstderr: {}",
            self.name,
            self.status,
            self.stdout_text(),
            self.stderr_text()
        );
    }

    /// Exit code 1 with `error: timed out after {timeout:?} waiting for {what}`, maybe followed
    /// by what was seen of the peer (` (...)`).
    pub fn assert_timed_out(&self, timeout: Duration, what: &str) {
        let expected = format!("error: timed out after {timeout:?} waiting for {what}");
        self.assert_error_line(&expected);
    }

    /// Exit code 1 with `error: the peer at ... went away while this end waited for {what}`.
    pub fn assert_peer_gone(&self, what: &str) {
        let stderr = self.stderr_lines();
        let gone = stderr.iter().any(|l| {
            l.starts_with("error: the peer at ")
                && l.ends_with(&format!(" went away while this end waited for {what}"))
        });
        assert!(
            gone,
            "{}: expected the peer gone, got {stderr:?}",
            self.name
        );
        self.assert_error_line("error: the peer at ");
    }

    /// Exit code 1 and an error line that is `line`, or starts with it (a prefix ending in a
    /// space), or is `line` followed by a parenthesised note.
    fn assert_error_line(&self, line: &str) {
        let stderr = self.stderr_lines();
        assert_eq!(
            self.status.code(),
            Some(1),
            "{}: exit status; stderr: {stderr:?}",
            self.name
        );
        let found = stderr.iter().any(|l| {
            l == line
                || (line.ends_with(' ') && l.starts_with(line))
                || l.strip_prefix(line)
                    .is_some_and(|rest| rest.starts_with(" ("))
        });
        assert!(
            found,
            "{}: expected {line:?} on stderr, got {stderr:?}",
            self.name
        );
    }
}

/// Why a program could not be started, and for one that is not there, what to run.
fn missing(program: &std::ffi::OsStr, e: std::io::Error) -> String {
    if e.kind() != std::io::ErrorKind::NotFound {
        return e.to_string();
    }
    let program = std::path::Path::new(program);
    if program == std::path::Path::new(NETGEAR) {
        format!(
            "the netgear command is not built ({e}): run the tests with its feature, \
             cargo test --features cli (or --all-features)"
        )
    } else {
        format!(
            "{} is not installed ({e}): run scripts/deps.sh --test first",
            program.display()
        )
    }
}

/// The port of a `listening on tcp://ADDRESS:PORT` line.
fn listening_port(line: &str) -> Option<u16> {
    let endpoint = line.split_once("listening on ")?.1.trim();
    endpoint
        .strip_prefix("tcp://")?
        .rsplit_once(':')?
        .1
        .parse()
        .ok()
}

/// Each thread of process `pid` as `name: wchan, state` (from `/proc/PID/task/*/`), or what
/// kept them from being read.
fn threads_of(pid: u32) -> String {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return "unreadable".into();
    };
    let mut threads: Vec<String> = tasks
        .flatten()
        .map(|t| {
            let read = |f: &str| {
                std::fs::read_to_string(t.path().join(f))
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            };
            let stat = read("stat");
            // The state follows the parenthesised command name.
            let state = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or("?")
                .to_owned();
            format!("{}: {}, {state}", read("comm"), read("wchan"))
        })
        .collect();
    threads.sort();
    threads.join("; ")
}

/// Every thread's stack of process `pid`, from gdb (attached in batch mode, at most a
/// minute), or why there are none: what a hang report needs to say where it hung.
fn stacks_of(pid: u32) -> String {
    let gdb = std::process::Command::new("gdb")
        .args([
            "-p",
            &pid.to_string(),
            "-batch",
            "-nx",
            "-ex",
            "thread apply all bt",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(gdb) = gdb else {
        return "(no stacks: gdb is not installed)".into();
    };
    let pid = gdb.id();
    let (done, outcome) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(gdb.wait_with_output());
    });
    let out = match outcome.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(output)) => String::from_utf8_lossy(&output.stdout).into_owned(),
        Ok(Err(e)) => format!("(gdb failed: {e})"),
        Err(_) => {
            // SAFETY: kill has no memory preconditions; `pid` is gdb's, not yet reaped (its
            // waiting thread has not returned).
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            "(gdb did not finish within a minute)".into()
        }
    };
    format!("its stacks (gdb):\n{out}")
}

/// The peak resident memory (`VmHWM`, KiB) of process `pid` (a number, or `self`); `None`
/// once it has ended (a zombie has no memory left to report).
pub fn peak_rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}
