//! `netgear bench`: netgear-rs, a raw-libzmq baseline and vidgear's NetGear_Async, measured
//! side by side on tcp loopback, the two ends of every case in separate processes.
//!
//! [`run`] is the orchestrator: for each case it starts the receive peer (it binds a free port
//! on 127.0.0.1), waits until the port listens, starts the send peer (it connects), waits for
//! both with a deadline (a peer still running then is killed and the case reported as failed),
//! and reads the one JSON line each peer prints at its end (`report.rs` turns the rounds into
//! medians and the table). [`peer`] (`peer.rs`, `raw.rs`) is one end of a case, for
//! netgear-rs (the library's [`Server`] and [`Client`]) or for the raw baseline (blocking `zmq`
//! sockets, the same message shapes, no serialisation, zero-copy sends); the vidgear peer is
//! `tests/interop/vg_bench.py`, run with the venv's python.
//!
//! The peer contract (shared with `vg_bench.py`): `<peer> serve|recv --port P --pattern 0..3
//! --width W --height H --frames N --reply none|text|frame --timeout SECONDS`; bidirectional mode
//! is on exactly when the pattern is 0 or 1 and the reply is `text` or `frame`. Each peer prints
//! ONE JSON line on stdout at its end — `impl`, `role`, `frames`, `bytes`, `elapsed`, `fps`,
//! `rtt_p50_us`, `rtt_p99_us`, `peak_rss_kb`, and `error` on failure (exit status 1).

mod crypto;
mod peer;
mod raw;
mod report;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use futures::StreamExt;
use serde_json::{Value as Json, json};

use netgear::media::TestPattern;
use netgear::wire::{self, Data, Frame};
use netgear::{Client, Error, Options, Pattern, Protocol, Result, Server};

use crate::proc::peak_rss_kb;

use peer::PeerReport;
pub(crate) use peer::peer;
use report::{LEGEND, Round, Row, table};

/// Frame sizes measured when `--sizes` is not given.
pub const DEFAULT_SIZES: [(usize, usize); 3] = [(64, 64), (640, 480), (1920, 1080)];

/// Sizes up to this many pixels are measured in the lock-step cases only (latency).
const LATENCY_PIXELS: usize = 64 * 64;

/// How long the raw PUB/SUB receiver waits after a frame before it takes the stream as ended.
const RAW_SILENCE: Duration = Duration::from_secs(1);

/// How long a receive peer may take to start listening.
const LISTEN_WAIT: Duration = Duration::from_secs(15);

/// An implementation under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Impl {
    /// netgear-rs: the library's `Server` and `Client`.
    Netgear,
    /// netgear-rs in secure mode (CURVE, stonehouse): the cost of encryption beside `Netgear`.
    Secure,
    /// The raw-libzmq baseline: blocking sockets, the same message shapes, no serialisation.
    Raw,
    /// vidgear's NetGear_Async (Python, `tests/interop/vg_bench.py`).
    Vidgear,
}

impl Impl {
    /// The name used on the command line, in the table and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Impl::Netgear => "netgear",
            Impl::Secure => "secure",
            Impl::Raw => "raw",
            Impl::Vidgear => "vidgear",
        }
    }
}

/// Which end of a case a peer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Send mode: connects, sends the frames, times the round trips.
    Serve,
    /// Receive mode: binds, receives the frames, answers them.
    Recv,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Serve => "serve",
            Role::Recv => "recv",
        }
    }
}

/// How the receive side answers each frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplyKind {
    /// No bidirectional mode: vidgear's plain confirmation in patterns 0 and 1, nothing in 2, 3.
    None,
    /// Bidirectional mode, the text `"ok"` back for every frame.
    Text,
    /// Bidirectional mode, every frame sent back (video chat, zero-copy echo).
    Frame,
}

impl ReplyKind {
    /// The name used on the command line, in the table and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            ReplyKind::None => "none",
            ReplyKind::Text => "text",
            ReplyKind::Frame => "frame",
        }
    }
}

/// `netgear bench`: the options of a run.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Frames per case, overriding every default count.
    #[arg(long)]
    pub frames: Option<u64>,
    /// Frame sizes, comma-separated WxH (default 64x64,640x480,1920x1080; sizes up to 64x64
    /// run the lock-step cases only).
    #[arg(long)]
    pub sizes: Option<String>,
    /// Implementations to measure, comma-separated: netgear,secure,raw,vidgear (default all;
    /// `secure` is netgear-rs with CURVE encryption, keys made for the run).
    #[arg(long)]
    pub cases: Option<String>,
    /// Also write the results as JSON: to FILE, or as the last line of stdout without one.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<String>,
    /// The Python venv with vidgear (default: $NETGEAR_VENV, else a `.venv` in the current
    /// directory, its parents or the workspace of this executable).
    #[arg(long)]
    pub venv: Option<PathBuf>,
    /// Rounds per case: the implementations of a case run alternately this many times each, and
    /// the table shows the medians over the rounds.
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
    /// Seconds a case may take before its peers are killed and it is reported as failed.
    #[arg(long, default_value_t = 60.0)]
    pub case_timeout: f64,
    /// Seconds a peer waits for the other one (passed to the peers as --timeout).
    #[arg(long, default_value_t = 10.0)]
    pub peer_timeout: f64,
    /// Pin the receive peer to one CPU and the send peer to another (the first two this process
    /// may run on). Without it, where the scheduler puts the four threads of a case (each peer
    /// and its libzmq I/O thread) can change a small-frame rate by 1.5x from run to run.
    #[arg(long)]
    pub pin: bool,
}

/// `netgear bench-peer`: one end of a benchmark case (the peer contract, see the module doc).
#[derive(Debug, Clone, Args)]
pub struct PeerArgs {
    /// netgear or raw (vidgear's peer is tests/interop/vg_bench.py).
    #[arg(value_enum)]
    pub implementation: Impl,
    /// serve (send mode, connects) or recv (receive mode, binds).
    #[arg(value_enum)]
    pub role: Role,
    /// Port on 127.0.0.1.
    #[arg(long)]
    pub port: u16,
    /// 0 PAIR, 1 REQ/REP, 2 PUB/SUB, 3 PUSH/PULL.
    #[arg(long, default_value_t = 0)]
    pub pattern: u8,
    /// Frame width.
    #[arg(long, default_value_t = 640)]
    pub width: usize,
    /// Frame height.
    #[arg(long, default_value_t = 480)]
    pub height: usize,
    /// Frames to send (serve), or expected (recv).
    #[arg(long, default_value_t = 100)]
    pub frames: u64,
    /// How the receive side answers: none, text or frame.
    #[arg(long, value_enum, default_value = "none")]
    pub reply: ReplyKind,
    /// Seconds to wait for the other peer.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// The keys directory (`netgear keygen`) of a `secure` peer.
    #[arg(long)]
    pub keys: Option<PathBuf>,
}

impl PeerArgs {
    fn bidirectional(&self) -> bool {
        self.pattern <= 1 && self.reply != ReplyKind::None
    }

    fn check(&self) -> Result<(Pattern, Duration)> {
        let pattern = Pattern::try_from(self.pattern)?;
        if !pattern.has_replies() && self.reply != ReplyKind::None {
            return Err(Error::InvalidOption(format!(
                "--reply {}: patterns 2 and 3 have no replies",
                self.reply.name()
            )));
        }
        if !self.timeout.is_finite() || self.timeout <= 0.0 {
            return Err(Error::InvalidOption(format!(
                "--timeout {}: must be a positive number of seconds",
                self.timeout
            )));
        }
        if self.width == 0 || self.height == 0 {
            return Err(Error::InvalidOption("--width/--height: must be > 0".into()));
        }
        Ok((pattern, Duration::from_secs_f64(self.timeout)))
    }
}

/// One case to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Case {
    implementation: Impl,
    pattern: u8,
    reply: ReplyKind,
    width: usize,
    height: usize,
    frames: u64,
}

/// Default frame count of a case: about 3 minutes for a whole default run on 2 cores.
fn default_frames(implementation: Impl, width: usize, height: usize) -> u64 {
    let big = width * height >= 1280 * 720;
    match (implementation, big) {
        (Impl::Vidgear, true) => 200,
        (Impl::Vidgear, false) => 1000,
        (_, true) => 500,
        (_, false) => 2000,
    }
}

fn parse_sizes(spec: Option<&str>) -> Result<Vec<(usize, usize)>> {
    let Some(spec) = spec else {
        return Ok(DEFAULT_SIZES.to_vec());
    };
    spec.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let bad = || Error::InvalidOption(format!("--sizes: {s:?} is not WxH"));
            let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
            let (w, h) = (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
            if w == 0 || h == 0 {
                return Err(bad());
            }
            Ok((w, h))
        })
        .collect()
}

fn parse_impls(spec: Option<&str>) -> Result<Vec<Impl>> {
    let Some(spec) = spec else {
        return Ok(vec![Impl::Raw, Impl::Netgear, Impl::Secure, Impl::Vidgear]);
    };
    let mut impls = Vec::new();
    for s in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let i = Impl::from_str(s, true).map_err(|_| {
            Error::InvalidOption(format!(
                "--cases: {s:?}: valid cases are netgear, secure, raw, vidgear"
            ))
        })?;
        if !impls.contains(&i) {
            impls.push(i);
        }
    }
    // Always in the same order, so that the table reads the same way.
    impls.sort_by_key(|i| match i {
        Impl::Raw => 0,
        Impl::Netgear => 1,
        Impl::Secure => 2,
        Impl::Vidgear => 3,
    });
    Ok(impls)
}

/// The cases of a run, grouped by size and case so that the implementations sit side by side.
fn plan(sizes: &[(usize, usize)], impls: &[Impl], frames: Option<u64>) -> Vec<Case> {
    let lock_step = [
        (0, ReplyKind::Text),
        (0, ReplyKind::Frame),
        (1, ReplyKind::Text),
        (1, ReplyKind::Frame),
    ];
    let pipelined = [(2, ReplyKind::None), (3, ReplyKind::None)];
    let mut cases = Vec::new();
    for &(width, height) in sizes {
        let shapes = lock_step
            .iter()
            .chain(pipelined.iter().filter(|_| width * height > LATENCY_PIXELS));
        for &(pattern, reply) in shapes {
            for &implementation in impls {
                cases.push(Case {
                    implementation,
                    pattern,
                    reply,
                    width,
                    height,
                    frames: frames.unwrap_or_else(|| default_frames(implementation, width, height)),
                });
            }
        }
    }
    cases
}

/// The bytes of the frame part of a test-pattern frame's message (what CURVE boxes per frame).
fn frame_part_len(width: usize, height: usize) -> usize {
    wire::frame_part(&TestPattern::new(width, height).frame(0)).len()
}

/// Where the vidgear peer is: the venv's python and `vg_bench.py`, or why it is not there.
fn find_vidgear(venv: Option<&Path>) -> std::result::Result<(PathBuf, PathBuf), String> {
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        roots.extend(cwd.ancestors().map(Path::to_path_buf));
    }
    if let Ok(exe) = std::env::current_exe() {
        roots.extend(exe.ancestors().skip(1).map(Path::to_path_buf));
    }
    roots.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let script = roots
        .iter()
        .map(|r| r.join("tests/interop/vg_bench.py"))
        .find(|p| p.is_file())
        .ok_or("tests/interop/vg_bench.py not found")?;
    let venv = match venv {
        Some(v) => v.to_path_buf(),
        None => match std::env::var_os("NETGEAR_VENV") {
            Some(v) => PathBuf::from(v),
            None => roots
                .iter()
                .map(|r| r.join(".venv"))
                .find(|v| v.join("bin/python").exists())
                .ok_or(
                    "no venv (.venv, $NETGEAR_VENV or --venv); scripts/setup-venv.sh makes one",
                )?,
        },
    };
    let python = venv.join("bin/python");
    if !python.exists() {
        return Err(format!("no python in the venv {}", venv.display()));
    }
    Ok((python, script))
}

/// A running peer process whose output is being collected.
struct Running {
    child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
    status: Option<std::process::ExitStatus>,
}

fn read_all(mut r: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

impl Running {
    fn spawn(mut cmd: Command) -> std::io::Result<Running> {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = read_all(
            child
                .stdout
                .take()
                .ok_or_else(|| std::io::Error::other("no stdout pipe"))?,
        );
        let stderr = read_all(
            child
                .stderr
                .take()
                .ok_or_else(|| std::io::Error::other("no stderr pipe"))?,
        );
        Ok(Running {
            child,
            stdout,
            stderr,
            status: None,
        })
    }

    /// Whether the process has exited (reaping it).
    fn done(&mut self) -> bool {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status.is_some()
    }

    fn kill(&mut self) {
        if !self.done() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }

    /// The peer's report from its last JSON line, or what went wrong.
    fn report(self, name: &str) -> std::result::Result<PeerReport, String> {
        let out = self.stdout.join().unwrap_or_default();
        let err = self.stderr.join().unwrap_or_default();
        let last_err = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let parsed = out
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| serde_json::from_str::<Json>(l).ok())
            .filter(Json::is_object)
            .map(|j| PeerReport::from_json(&j));
        let success = self.status.is_some_and(|s| s.success());
        match parsed {
            Some(r) if success && r.error.is_none() => Ok(r),
            Some(r) => Err(format!(
                "{name}: {}",
                r.error.as_deref().unwrap_or(last_err)
            )),
            None => Err(format!(
                "{name}: no JSON line ({}){}",
                self.status.map_or("killed".to_owned(), |s| s.to_string()),
                if last_err.is_empty() {
                    String::new()
                } else {
                    format!(": {last_err}")
                }
            )),
        }
    }
}

/// Whether something listens on 127.0.0.1:`port` (or the wildcard) — read from
/// `/proc/net/tcp`, so that no connection disturbs the peer.
fn listening(port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return true; // cannot tell: let the connecting side retry
    };
    let local = [
        format!("0100007F:{port:04X}"),
        format!("00000000:{port:04X}"),
    ];
    table.lines().skip(1).any(|l| {
        let mut f = l.split_whitespace().skip(1);
        let (addr, st) = (f.next(), f.nth(1));
        addr.is_some_and(|a| local.iter().any(|x| x == a)) && st == Some("0A")
    })
}

/// A port for a case's receive peer, which binds it itself (the vidgear peer cannot bind port
/// 0 and say which port it got): outside the kernel's ephemeral range, where no outgoing
/// connection can take it as its source port between this check and the peer's bind (a port
/// bound on 0 and released is one of those); from 20000 up (above the range if it leaves no
/// room below), from an offset of this process's id on, and free when checked.
fn free_port() -> std::io::Result<u16> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FROM: u32 = 20_000;
    let (low, high) = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut n = text.split_whitespace().map(|v| v.parse::<u32>().ok());
            Some((n.next()??, n.next()??))
        })
        .unwrap_or((32_768, 60_999));
    let (first, end) = if low >= FROM + 1024 {
        (FROM, low)
    } else {
        (high + 1, 65_536)
    };
    let span = end.saturating_sub(first).max(1);
    let start = std::process::id().wrapping_mul(128) % span;
    let mut last = std::io::Error::other(format!(
        "no port free outside the ephemeral range {low}-{high}"
    ));
    for _ in 0..span.min(4096) {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(first + (start + n) % span).unwrap_or(u16::MAX);
        match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(_) => return Ok(port),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// What the orchestrator needs to start peers.
struct Env {
    exe: PathBuf,
    vidgear: Option<(PathBuf, PathBuf)>,
    case_timeout: Duration,
    peer_timeout: f64,
    /// The CPUs of the receive and the send peer, with `--pin`.
    pin: Option<(usize, usize)>,
    /// The keys of the `secure` peers, made for this run.
    keys: Option<RunKeys>,
}

/// A keys directory (`netgear keygen`'s layout) made for one run, removed at its end.
struct RunKeys(PathBuf);

impl RunKeys {
    fn new() -> Result<RunKeys> {
        let dir = std::env::temp_dir().join(format!("netgear-bench-keys-{}", std::process::id()));
        let keys = RunKeys(dir);
        netgear::secure::KeyFiles::new(&keys.0).generate(true)?;
        Ok(keys)
    }
}

impl Drop for RunKeys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The first two CPUs this process may run on.
fn two_cpus() -> Option<(usize, usize)> {
    // SAFETY: `set` is a plain bit set that `sched_getaffinity` fills in; its size is passed.
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        set
    };
    // SAFETY: `CPU_ISSET` only reads the bit set, for CPU numbers below its capacity.
    let mut cpus = (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) });
    Some((cpus.next()?, cpus.next()?))
}

/// Makes `cmd`'s process run on `cpu` only.
fn pin_to(cmd: &mut Command, cpu: usize) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec, and only makes system calls
    // (no allocation, no lock): building a bit set on the stack and `sched_setaffinity`.
    unsafe {
        cmd.pre_exec(move || {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

impl Env {
    fn command(&self, case: &Case, role: Role, port: u16) -> Option<Command> {
        let mut cmd = match case.implementation {
            Impl::Vidgear => {
                let (python, script) = self.vidgear.as_ref()?;
                let mut c = Command::new(python);
                c.arg(script);
                c
            }
            i => {
                let mut c = Command::new(&self.exe);
                c.args(["bench-peer", i.name()]);
                c
            }
        };
        cmd.arg(role.name())
            .args(["--port", &port.to_string()])
            .args(["--pattern", &case.pattern.to_string()])
            .args(["--width", &case.width.to_string()])
            .args(["--height", &case.height.to_string()])
            .args(["--frames", &case.frames.to_string()])
            .args(["--reply", case.reply.name()])
            .args(["--timeout", &self.peer_timeout.to_string()]);
        if case.implementation == Impl::Secure {
            cmd.arg("--keys").arg(&self.keys.as_ref()?.0);
        }
        if let Some((recv, serve)) = self.pin {
            pin_to(&mut cmd, if role == Role::Recv { recv } else { serve });
        }
        Some(cmd)
    }

    /// Runs one round of a case.
    fn run(&self, case: &Case) -> Round {
        let started = Instant::now();
        let mut round = Round::default();
        if let Err(e) = self.measure(case, &mut round) {
            round.error = Some(e);
        }
        round.wall = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0;
        round
    }

    fn measure(&self, case: &Case, row: &mut Round) -> std::result::Result<(), String> {
        let deadline = Instant::now() + self.case_timeout;
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let start = |role| {
            let cmd = self
                .command(case, role, port)
                .ok_or("the vidgear peer is not available")?;
            Running::spawn(cmd).map_err(|e| format!("cannot start the {} peer: {e}", role.name()))
        };
        let mut recv = start(Role::Recv)?;
        let listen_by = Instant::now() + LISTEN_WAIT.min(self.case_timeout);
        while !listening(port) && !recv.done() && Instant::now() < listen_by {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut serve = if recv.done() {
            None // it failed before listening: its report says why
        } else {
            match start(Role::Serve) {
                Ok(s) => Some(s),
                Err(e) => {
                    recv.kill();
                    return Err(e);
                }
            }
        };
        let mut timed_out = false;
        loop {
            let serve_done = serve.as_mut().is_none_or(Running::done);
            if recv.done() && serve_done {
                break;
            }
            if Instant::now() >= deadline {
                timed_out = true;
                recv.kill();
                if let Some(s) = serve.as_mut() {
                    s.kill();
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let recv_report = recv.report("recv");
        let serve_report = serve.map(|s| s.report("serve"));
        let mut errors = Vec::new();
        if timed_out {
            errors.push(format!(
                "killed after {:.0} s",
                self.case_timeout.as_secs_f64()
            ));
        }
        match recv_report {
            Ok(r) => row.recv = Some(r),
            Err(e) => errors.push(e),
        }
        match serve_report {
            Some(Ok(r)) => row.serve = Some(r),
            Some(Err(e)) => errors.push(e),
            None => errors.push("serve: not started".into()),
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

/// Runs the benchmark: every case, the table on stdout (with its legend), the JSON if asked.
/// Fails (after printing everything) when a case failed.
pub fn run(args: &BenchArgs) -> Result<()> {
    let sizes = parse_sizes(args.sizes.as_deref())?;
    let mut impls = parse_impls(args.cases.as_deref())?;
    if args.repeat == 0 {
        return Err(Error::InvalidOption("--repeat: must be at least 1".into()));
    }
    if args.frames == Some(0) {
        return Err(Error::InvalidOption("--frames: must be at least 1".into()));
    }
    for (flag, v) in [
        ("--case-timeout", args.case_timeout),
        ("--peer-timeout", args.peer_timeout),
    ] {
        if !v.is_finite() || v <= 0.0 {
            return Err(Error::InvalidOption(format!(
                "{flag} {v}: must be a positive number of seconds"
            )));
        }
    }
    let exe = std::env::current_exe()?;
    let mut skipped = None;
    let vidgear = if impls.contains(&Impl::Vidgear) {
        match find_vidgear(args.venv.as_deref()) {
            Ok(found) => Some(found),
            Err(why) => {
                eprintln!("vidgear rows skipped: {why}");
                skipped = Some(why);
                impls.retain(|&i| i != Impl::Vidgear);
                None
            }
        }
    } else {
        None
    };
    let keys = if impls.contains(&Impl::Secure) {
        Some(RunKeys::new()?)
    } else {
        None
    };
    let env =
        Env {
            exe,
            vidgear,
            keys,
            case_timeout: Duration::from_secs_f64(args.case_timeout),
            peer_timeout: args.peer_timeout,
            pin: if args.pin {
                Some(two_cpus().ok_or_else(|| {
                    Error::InvalidOption("--pin: needs two CPUs to run on".into())
                })?)
            } else {
                None
            },
        };
    let cases = plan(&sizes, &impls, args.frames);
    let repeat = args.repeat;
    let started = Instant::now();
    let mut rows: Vec<Row> = cases
        .iter()
        .map(|c| Row {
            implementation: c.implementation,
            pattern: c.pattern,
            reply: c.reply,
            width: c.width,
            height: c.height,
            frames: c.frames,
            rounds: Vec::with_capacity(repeat as usize),
            box_time: (c.implementation == Impl::Secure)
                .then(|| crypto::box_time(frame_part_len(c.width, c.height)))
                .flatten(),
        })
        .collect();
    // The implementations of one case sit next to each other in the plan: run their rounds
    // alternately (raw, netgear, raw, netgear, …) so that the machine's noise hits them alike.
    let runs = cases.len() * repeat as usize;
    let mut done = 0;
    let mut first = 0;
    while first < cases.len() {
        let same = |c: &Case| {
            (c.pattern, c.reply, c.width, c.height)
                == (
                    cases[first].pattern,
                    cases[first].reply,
                    cases[first].width,
                    cases[first].height,
                )
        };
        let last = first + cases[first..].iter().take_while(|c| same(c)).count();
        for round in 1..=repeat {
            for (case, row) in cases[first..last].iter().zip(&mut rows[first..last]) {
                let result = env.run(case);
                done += 1;
                eprintln!(
                    "[{done}/{runs}] round {round}/{repeat} {:<7} pattern {} reply {:<5} {}x{}: {}",
                    case.implementation.name(),
                    case.pattern,
                    case.reply.name(),
                    case.width,
                    case.height,
                    match (&result.error, result.fps()) {
                        (Some(e), _) => format!("FAILED: {e}"),
                        (None, fps) => format!("{:.0} fps", fps.unwrap_or(0.0)),
                    }
                );
                row.rounds.push(result);
            }
        }
        first = last;
    }
    let total = started.elapsed().as_secs_f64();
    print!("{}", table(&rows));
    let mut boxed: Vec<(usize, usize, Duration)> = Vec::new();
    for r in &rows {
        if let Some(t) = r.box_time
            && !boxed.iter().any(|&(w, h, _)| (w, h) == (r.width, r.height))
        {
            boxed.push((r.width, r.height, t));
        }
    }
    for (w, h, t) in boxed {
        let bytes = frame_part_len(w, h) as f64;
        println!(
            "CURVE's cipher here (libsodium XSalsa20-Poly1305, one box): {w}x{h} frame in {:.2} ms, \
             {:.2} GB/s",
            t.as_secs_f64() * 1e3,
            bytes / t.as_secs_f64() / 1e9
        );
    }
    if let Some(why) = &skipped {
        println!("vidgear rows skipped: {why}");
    }
    println!(
        "{} cases, {repeat} alternating round(s) each, in {total:.1} s{}",
        rows.len(),
        env.pin.map_or(String::new(), |(recv, serve)| format!(
            "; receive peers on CPU {recv}, send peers on CPU {serve}"
        ))
    );
    print!("{LEGEND}");
    let failed = rows.iter().filter(|r| !r.ok()).count();
    if let Some(dest) = &args.json {
        let doc = json!({
            "bench": "netgear",
            "version": env!("CARGO_PKG_VERSION"),
            "transport": "tcp://127.0.0.1",
            "vidgear_skipped": skipped,
            "seconds": total,
            "rounds": repeat,
            "pinned_cpus": env.pin.map(|(recv, serve)| json!({"recv": recv, "serve": serve})),
            "failed": failed,
            "rows": rows.iter().map(|r| r.to_json(&rows)).collect::<Vec<_>>(),
        });
        if dest == "-" {
            println!("{doc}");
        } else {
            std::fs::write(dest, format!("{doc}\n"))?;
        }
    }
    if failed > 0 {
        return Err(Error::Io(std::io::Error::other(format!(
            "{failed} of {} benchmark cases failed (see the table)",
            rows.len()
        ))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_cases_parse() {
        assert_eq!(
            parse_sizes(Some("64x64, 640X480")).unwrap(),
            vec![(64, 64), (640, 480)]
        );
        assert!(parse_sizes(Some("64")).is_err());
        assert!(parse_sizes(Some("0x5")).is_err());
        assert_eq!(
            parse_impls(Some("vidgear,secure,netgear,raw,raw")).unwrap(),
            vec![Impl::Raw, Impl::Netgear, Impl::Secure, Impl::Vidgear]
        );
        assert!(parse_impls(Some("zmq")).is_err());
    }

    #[test]
    fn plan_runs_latency_sizes_lock_step_only() {
        let cases = plan(&[(64, 64), (640, 480)], &[Impl::Netgear], Some(7));
        assert_eq!(cases.len(), 4 + 6);
        assert!(cases[..4].iter().all(|c| c.pattern <= 1 && c.frames == 7));
        assert_eq!(cases[9].pattern, 3);
    }
}
