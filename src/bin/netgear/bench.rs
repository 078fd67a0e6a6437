//! `netgear bench`: netgear-rs, a raw-libzmq baseline and vidgear's NetGear_Async, measured
//! side by side on tcp loopback, the two ends of every case in separate processes.
//!
//! [`run`] is the orchestrator: for each case it starts the receive peer (it binds a free port
//! on 127.0.0.1), waits until the port listens, starts the send peer (it connects), waits for
//! both with a deadline (a peer still running then is killed and the case reported as failed),
//! and reads the one JSON line each peer prints at its end. [`peer`] is one end of a case, for
//! netgear-rs (the library's [`Server`] and [`Client`]) or for the raw baseline (blocking `zmq`
//! sockets, the same message shapes, no serialisation, zero-copy sends); the vidgear peer is
//! `tests/interop/vg_bench.py`, run with the venv's python.
//!
//! The peer contract (shared with `vg_bench.py`): `<peer> serve|recv --port P --pattern 0..3
//! --width W --height H --frames N --reply none|text|frame --timeout SECONDS`; bidirectional mode
//! is on exactly when the pattern is 0 or 1 and the reply is `text` or `frame`. Each peer prints
//! ONE JSON line on stdout at its end — `impl`, `role`, `frames`, `bytes`, `elapsed`, `fps`,
//! `rtt_p50_us`, `rtt_p99_us`, `peak_rss_kb`, and `error` on failure (exit status 1).

use std::ffi::c_void;
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
    /// Implementations to measure, comma-separated: netgear,raw,vidgear (default all).
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

/// What one peer measured: the JSON line of the peer contract.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerReport {
    /// `netgear`, `raw` or `vidgear`.
    pub implementation: String,
    /// `serve` or `recv`.
    pub role: String,
    /// Frames sent (serve) or received (recv).
    pub frames: u64,
    /// Frame bytes (pixels) sent or received.
    pub bytes: u64,
    /// Seconds from the first frame to the last.
    pub elapsed: f64,
    /// `frames / elapsed`.
    pub fps: f64,
    /// Median round trip in microseconds (send side, lock-step patterns).
    pub rtt_p50_us: Option<f64>,
    /// 99th-percentile round trip in microseconds (send side, lock-step patterns).
    pub rtt_p99_us: Option<f64>,
    /// Peak resident set size (VmHWM) in kB.
    pub peak_rss_kb: u64,
    /// What went wrong, on failure.
    pub error: Option<String>,
}

impl PeerReport {
    fn new(implementation: Impl, role: Role) -> PeerReport {
        PeerReport {
            implementation: implementation.name().into(),
            role: role.name().into(),
            ..PeerReport::default()
        }
    }

    /// The report as the contract's JSON object.
    pub fn to_json(&self) -> Json {
        let mut v = json!({
            "impl": self.implementation,
            "role": self.role,
            "frames": self.frames,
            "bytes": self.bytes,
            "elapsed": self.elapsed,
            "fps": self.fps,
            "rtt_p50_us": self.rtt_p50_us,
            "rtt_p99_us": self.rtt_p99_us,
            "peak_rss_kb": self.peak_rss_kb,
        });
        if let (Some(e), Json::Object(m)) = (&self.error, &mut v) {
            m.insert("error".into(), e.clone().into());
        }
        v
    }

    /// Reads a contract JSON object (leniently: missing numbers are 0 or null).
    pub fn from_json(v: &Json) -> PeerReport {
        let num = |k: &str| v.get(k).and_then(Json::as_f64);
        let text = |k: &str| v.get(k).and_then(Json::as_str).map(str::to_owned);
        PeerReport {
            implementation: text("impl").unwrap_or_default(),
            role: text("role").unwrap_or_default(),
            frames: num("frames").unwrap_or(0.0) as u64,
            bytes: num("bytes").unwrap_or(0.0) as u64,
            elapsed: num("elapsed").unwrap_or(0.0),
            fps: num("fps").unwrap_or(0.0),
            rtt_p50_us: num("rtt_p50_us"),
            rtt_p99_us: num("rtt_p99_us"),
            peak_rss_kb: num("peak_rss_kb").unwrap_or(0.0) as u64,
            error: v.get("error").and_then(|e| match e {
                Json::Null => None,
                Json::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }),
        }
    }

    /// Fills in the timing fields from the first and last frame and the round trips.
    fn finish(&mut self, span: Option<(Instant, Instant)>, rtts: &mut [u64]) {
        self.elapsed = span.map_or(0.0, |(a, b)| (b - a).as_secs_f64());
        self.fps = if self.elapsed > 0.0 {
            self.frames as f64 / self.elapsed
        } else {
            0.0
        };
        rtts.sort_unstable();
        self.rtt_p50_us = percentile_us(rtts, 0.50);
        self.rtt_p99_us = percentile_us(rtts, 0.99);
        self.peak_rss_kb = peak_rss_kb();
    }
}

/// The `p` quantile of sorted nanosecond durations, in microseconds (nearest rank).
fn percentile_us(sorted_ns: &[u64], p: f64) -> Option<f64> {
    if sorted_ns.is_empty() {
        return None;
    }
    let rank = ((sorted_ns.len() as f64 * p).ceil() as usize).clamp(1, sorted_ns.len());
    Some((sorted_ns[rank - 1] as f64 / 100.0).round() / 10.0)
}

/// Records the first and last frame times.
fn stamp(span: &mut Option<(Instant, Instant)>, now: Instant) {
    match span {
        Some((_, last)) => *last = now,
        None => *span = Some((now, now)),
    }
}

/// Runs one end of a case and prints its JSON line on stdout; on failure the line carries the
/// error, and so does the returned `Err` (the process then exits with status 1).
pub async fn peer(args: PeerArgs) -> Result<()> {
    let mut report = PeerReport::new(args.implementation, args.role);
    let outcome = match (args.implementation, args.role) {
        (Impl::Netgear, Role::Serve) => netgear_serve(&args, &mut report).await,
        (Impl::Netgear, Role::Recv) => netgear_recv(&args, &mut report).await,
        (Impl::Raw, Role::Serve) => raw_serve(&args, &mut report),
        (Impl::Raw, Role::Recv) => raw_recv(&args, &mut report),
        (Impl::Vidgear, _) => Err(Error::InvalidOption(
            "the vidgear peer is tests/interop/vg_bench.py, not bench-peer".into(),
        )),
    };
    if report.peak_rss_kb == 0 {
        report.peak_rss_kb = peak_rss_kb();
    }
    if let Err(e) = &outcome {
        report.error = Some(e.to_string());
    }
    println!("{}", report.to_json());
    outcome
}

/// netgear-rs's options for a peer on 127.0.0.1.
fn netgear_options(args: &PeerArgs, pattern: Pattern, timeout: Duration) -> Options {
    Options {
        address: Some("127.0.0.1".into()),
        port: args.port,
        protocol: Protocol::Tcp,
        pattern,
        timeout,
        bidirectional_mode: args.bidirectional(),
        ..Options::default()
    }
}

/// netgear-rs send side: the step API, one `send` per frame, each call timed (send + reply).
async fn netgear_serve(args: &PeerArgs, report: &mut PeerReport) -> Result<()> {
    let (pattern, timeout) = args.check()?;
    let source = TestPattern::new(args.width, args.height);
    let data = args.bidirectional().then(|| Data::from("hi"));
    let mut server = Server::new(netgear_options(args, pattern, timeout))?;
    let replies = server.transceiver();
    let lock_step = pattern.has_replies();
    let mut rtts = Vec::with_capacity(if lock_step { args.frames as usize } else { 0 });
    let mut span = None;
    for n in 0..args.frames {
        let frame = source.frame(n);
        let start = Instant::now();
        server.send(data.as_ref(), &frame).await?;
        let end = Instant::now();
        if span.is_none() {
            span = Some((start, end));
        }
        stamp(&mut span, end);
        if lock_step {
            rtts.push((end - start).as_nanos() as u64);
        }
        // One entry is queued per frame answered: taking one per frame keeps the queue short.
        let _ = replies.transceive_data();
        report.frames += 1;
        report.bytes += frame.len() as u64;
    }
    report.finish(span, &mut rtts);
    server.close().await
}

/// netgear-rs receive side: `recv_generator` until the server terminates, answering each frame
/// with `"ok"` or with the frame itself.
async fn netgear_recv(args: &PeerArgs, report: &mut PeerReport) -> Result<()> {
    let (pattern, timeout) = args.check()?;
    let client = Client::new(netgear_options(args, pattern, timeout))?;
    let mut span = None;
    let outcome = async {
        let mut frames = std::pin::pin!(client.recv_generator());
        while let Some(item) = frames.next().await {
            let (_, frame) = item?;
            stamp(&mut span, Instant::now());
            report.frames += 1;
            report.bytes += frame.len() as u64;
            match (args.bidirectional(), args.reply) {
                (true, ReplyKind::Text) => client.transceive_data("ok")?,
                (true, ReplyKind::Frame) => client.transceive_data(frame.clone())?,
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    report.finish(span, &mut []);
    client.close().await;
    outcome
}

/// A blocking raw-libzmq socket for the baseline.
struct RawSocket {
    sock: zmq::Socket,
    // Dropped after the socket: closing the context waits for the socket's linger.
    _ctx: zmq::Context,
}

impl RawSocket {
    fn open(kind: zmq::SocketType, pattern: Pattern, timeout: Duration) -> Result<RawSocket> {
        let ctx = zmq::Context::new();
        let sock = ctx.socket(kind)?;
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        sock.set_linger(ms)?;
        sock.set_rcvtimeo(ms)?;
        sock.set_sndtimeo(ms)?;
        sock.set_maxmsgsize(i64::try_from(netgear::DEFAULT_MAX_MESSAGE_SIZE).unwrap_or(i64::MAX))?;
        if pattern == Pattern::PubSub {
            // As netgear and vidgear do: keep only the newest frame.
            sock.set_sndhwm(1)?;
            sock.set_rcvhwm(1)?;
        }
        Ok(RawSocket { sock, _ctx: ctx })
    }

    /// Sends `buf` without copying it: libzmq references the buffer (which lives until the
    /// process ends) and calls a no-op free function when done with it.
    fn send_static(&mut self, buf: &'static [u8], flags: i32) -> Result<()> {
        unsafe extern "C" fn keep(_data: *mut c_void, _hint: *mut c_void) {}
        let mut msg = zmq_sys::zmq_msg_t::default();
        // SAFETY: `msg` is a zeroed `zmq_msg_t` that `zmq_msg_init_data` initialises to point at
        // `buf`, which is `'static` (leaked) and never written: libzmq only reads it, for as long
        // as it likes, and `keep` frees nothing. `zmq_msg_send` takes the message on success; on
        // failure it is still ours and is closed here. The socket pointer is live (`&mut self`).
        unsafe {
            if zmq_sys::zmq_msg_init_data(
                &mut msg,
                buf.as_ptr() as *mut c_void,
                buf.len(),
                Some(keep),
                std::ptr::null_mut(),
            ) == -1
            {
                return Err(zmq::Error::from_raw(zmq_sys::zmq_errno()).into());
            }
            if zmq_sys::zmq_msg_send(&mut msg, self.sock.as_mut_ptr(), flags) == -1 {
                let e = zmq::Error::from_raw(zmq_sys::zmq_errno());
                zmq_sys::zmq_msg_close(&mut msg);
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// Receives one message (all its parts, no copy), or `None` when the receive timeout passes.
    fn recv_parts(&self) -> Result<Option<Vec<zmq::Message>>> {
        let first = match self.sock.recv_msg(0) {
            Ok(m) => m,
            Err(zmq::Error::EAGAIN) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut more = first.get_more();
        let mut parts = vec![first];
        while more {
            let m = self.sock.recv_msg(0)?;
            more = m.get_more();
            parts.push(m);
        }
        Ok(Some(parts))
    }
}

fn endpoint(port: u16) -> String {
    format!("tcp://127.0.0.1:{port}")
}

/// The frame parts of the baseline: the test pattern's cycle, each frame's msgpack_numpy part
/// (prefix + pixels, exactly netgear's frame part; the pattern renders its frames behind room
/// for the prefix, so this is no copy), kept alive for the rest of the process.
fn raw_frames(width: usize, height: usize) -> Vec<&'static [u8]> {
    let source = TestPattern::new(width, height);
    let first = source.frame(0);
    let mut frames = vec![first.clone()];
    // The pattern hands out clones of a short pre-rendered cycle: find its length.
    for n in 1..=120 {
        let f = source.frame(n);
        if f.bytes().as_ptr() == first.bytes().as_ptr() {
            break;
        }
        frames.push(f);
    }
    frames
        .iter()
        .map(|f| &Box::leak(Box::new(wire::frame_part(f)))[..])
        .collect()
}

/// The 1-part end marker of the baseline's pipelined streams.
const RAW_END: &[u8] = b"\x00";

/// Raw send side: 2-part messages (netgear's header bytes + the pre-encoded frame), zero-copy;
/// lock-step in patterns 0 and 1 (the reply's parts received without a copy).
fn raw_serve(args: &PeerArgs, report: &mut PeerReport) -> Result<()> {
    let (pattern, timeout) = args.check()?;
    let frames = raw_frames(args.width, args.height);
    let mut header = Vec::new();
    let data = args.bidirectional().then(|| Data::from("hi"));
    wire::encode_header(&mut header, args.bidirectional(), data.as_ref());
    let header: &'static [u8] = Box::leak(header.into_boxed_slice());
    let pixels = (args.width * args.height * 3) as u64;
    let kind = match pattern {
        Pattern::Pair => zmq::PAIR,
        Pattern::ReqRep => zmq::REQ,
        Pattern::PubSub => zmq::XPUB,
        Pattern::PushPull => zmq::PUSH,
    };
    let mut raw = RawSocket::open(kind, pattern, timeout)?;
    raw.sock.connect(&endpoint(args.port))?;
    if pattern == Pattern::PubSub {
        // XPUB hears the subscription: stream only once the subscriber is there.
        loop {
            match raw.recv_parts()? {
                Some(m) if m[0].first() == Some(&1) => break,
                Some(_) => {}
                None => return Err(Error::Timeout(timeout, "a subscriber")),
            }
        }
    }
    let lock_step = pattern.has_replies();
    let mut rtts = Vec::with_capacity(if lock_step { args.frames as usize } else { 0 });
    let mut span = None;
    for n in 0..args.frames {
        let start = Instant::now();
        raw.send_static(header, zmq::SNDMORE)?;
        raw.send_static(frames[(n % frames.len() as u64) as usize], 0)?;
        if lock_step && raw.recv_parts()?.is_none() {
            return Err(Error::Timeout(timeout, "the reply"));
        }
        let end = Instant::now();
        if span.is_none() {
            span = Some((start, end));
        }
        stamp(&mut span, end);
        if lock_step {
            rtts.push((end - start).as_nanos() as u64);
        }
        report.frames += 1;
        report.bytes += pixels;
    }
    report.finish(span, &mut rtts);
    match pattern {
        Pattern::PushPull => raw.send_static(RAW_END, 0)?, // drained by the linger on close
        Pattern::PubSub => {
            // The end marker can be dropped like any frame: repeat it until the subscriber
            // leaves (XPUB then hears its unsubscription) or a while has passed.
            raw.sock.set_rcvtimeo(5)?;
            let deadline = Instant::now() + timeout.min(Duration::from_secs(3));
            while Instant::now() < deadline {
                raw.send_static(RAW_END, 0)?;
                if let Some(m) = raw.recv_parts()?
                    && m[0].first() == Some(&0)
                {
                    break;
                }
            }
        }
        Pattern::Pair | Pattern::ReqRep => {}
    }
    Ok(())
}

/// Raw receive side: receives the parts without a copy, answers in patterns 0 and 1 with a
/// small reply of netgear's size or with the received frame part itself (zero-copy echo).
fn raw_recv(args: &PeerArgs, report: &mut PeerReport) -> Result<()> {
    let (pattern, timeout) = args.check()?;
    let pixels = args.width * args.height * 3;
    // netgear's frame part for this size: the prefix is the same for every frame.
    let probe = Frame::from_bgr(args.width, args.height, vec![0u8; pixels])?;
    let frame_part_len = wire::frame_part(&probe).len();
    drop(probe);
    let mut reply = Vec::new();
    match args.reply {
        ReplyKind::Text => wire::encode_reply_data(&mut reply, Some(&Data::from("ok"))),
        ReplyKind::Frame => wire::encode_reply_frame_head(&mut reply),
        ReplyKind::None => reply = wire::confirmation(&wire::new_id()),
    }
    let kind = match pattern {
        Pattern::Pair => zmq::PAIR,
        Pattern::ReqRep => zmq::REP,
        Pattern::PubSub => zmq::SUB,
        Pattern::PushPull => zmq::PULL,
    };
    let raw = RawSocket::open(kind, pattern, timeout)?;
    if pattern == Pattern::PubSub {
        raw.sock.set_subscribe(b"")?;
    }
    raw.sock.bind(&endpoint(args.port))?;
    let mut span = None;
    while report.frames < args.frames {
        let Some(mut parts) = raw.recv_parts()? else {
            if pattern == Pattern::PubSub && report.frames > 0 {
                break; // silence: the rest of the stream, end markers included, was dropped
            }
            report.finish(span, &mut []);
            return Err(Error::Timeout(timeout, "a frame"));
        };
        if parts.len() == 1 && &parts[0][..] == RAW_END {
            break;
        }
        if parts.len() != 2 || parts[1].len() != frame_part_len {
            let sizes: Vec<usize> = parts.iter().map(|p| p.len()).collect();
            return Err(Error::InvalidOption(format!(
                "unexpected message: parts of {sizes:?} bytes, expected a header and {frame_part_len}"
            )));
        }
        stamp(&mut span, Instant::now());
        report.frames += 1;
        report.bytes += pixels as u64;
        if pattern == Pattern::PubSub && report.frames == 1 {
            raw.sock.set_rcvtimeo(RAW_SILENCE.as_millis() as i32)?;
        }
        if pattern.has_replies() {
            if args.reply == ReplyKind::Frame {
                let echo = parts.pop().unwrap_or_else(zmq::Message::new);
                raw.sock.send(&reply[..], zmq::SNDMORE)?;
                raw.sock.send(echo, 0)?;
            } else {
                raw.sock.send(&reply[..], 0)?;
            }
        }
    }
    report.finish(span, &mut []);
    if pattern == Pattern::PubSub {
        // Tell the publisher at once that nobody listens any more.
        raw.sock.set_unsubscribe(b"")?;
    }
    Ok(())
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

/// One run of a case: the two peers' reports, or why it failed.
#[derive(Debug, Clone, Default)]
pub struct Round {
    /// The send peer's report.
    pub serve: Option<PeerReport>,
    /// The receive peer's report.
    pub recv: Option<PeerReport>,
    /// Why the run failed, if it did.
    pub error: Option<String>,
    /// Wall-clock seconds the run took, process starts included.
    pub wall: f64,
}

impl Round {
    /// Whether both peers finished without error.
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// Frames per second at the receive side, first frame to last (none below 2 frames).
    pub fn fps(&self) -> Option<f64> {
        self.recv
            .as_ref()
            .filter(|r| self.ok() && r.frames >= 2)
            .map(|r| r.fps)
    }

    /// Frame bytes per second at the receive side, in MB (10⁶ bytes).
    pub fn mbps(&self) -> Option<f64> {
        self.recv
            .as_ref()
            .filter(|r| self.ok() && r.frames >= 2 && r.elapsed > 0.0)
            .map(|r| r.bytes as f64 / r.elapsed / 1e6)
    }

    fn to_json(&self) -> Json {
        json!({
            "ok": self.ok(),
            "error": self.error,
            "fps": self.fps(),
            "wall_s": self.wall,
            "serve": self.serve.as_ref().map(PeerReport::to_json),
            "recv": self.recv.as_ref().map(PeerReport::to_json),
        })
    }
}

/// The median of the values present (the mean of the middle two for an even count).
fn median(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().flatten().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// One measured case: its rounds (run alternately with the other implementations' rounds of the
/// same case), summarised by medians.
#[derive(Debug, Clone)]
pub struct Row {
    /// The implementation measured.
    pub implementation: Impl,
    /// vidgear's pattern number.
    pub pattern: u8,
    /// How the receive side answered.
    pub reply: ReplyKind,
    /// Frame width.
    pub width: usize,
    /// Frame height.
    pub height: usize,
    /// Frames the send side was asked to send.
    pub frames: u64,
    /// Every round, in the order they ran.
    pub rounds: Vec<Round>,
}

impl Row {
    /// Whether every round finished without error.
    pub fn ok(&self) -> bool {
        self.rounds.iter().all(Round::ok)
    }

    /// The first round's error, if any round failed.
    pub fn error(&self) -> Option<String> {
        let failed = self.rounds.iter().filter(|r| !r.ok()).count();
        let first = self.rounds.iter().find_map(|r| r.error.clone())?;
        Some(if self.rounds.len() > 1 {
            format!("{failed} of {} rounds failed: {first}", self.rounds.len())
        } else {
            first
        })
    }

    /// Median over the rounds of the receive side's frames per second.
    pub fn fps(&self) -> Option<f64> {
        median(self.rounds.iter().map(Round::fps))
    }

    /// Median over the rounds of the frame bytes per second received, in MB (10⁶ bytes).
    pub fn mbps(&self) -> Option<f64> {
        median(self.rounds.iter().map(Round::mbps))
    }

    /// Median over the rounds of the send side's RTT p50 (`p = 50`) or p99, in microseconds.
    pub fn rtt_us(&self, p: u8) -> Option<f64> {
        median(self.rounds.iter().filter(|r| r.ok()).map(|r| {
            let s = r.serve.as_ref()?;
            if p == 50 { s.rtt_p50_us } else { s.rtt_p99_us }
        }))
    }

    /// The largest peak RSS of a side over the rounds, in MiB.
    fn rss_mib(&self, side: impl Fn(&Round) -> Option<&PeerReport>) -> Option<f64> {
        self.rounds
            .iter()
            .filter_map(|r| side(r).map(|p| p.peak_rss_kb as f64 / 1024.0))
            .reduce(f64::max)
    }

    /// Frames received and sent, as `received/sent` (the smallest over the rounds).
    fn frame_counts(&self) -> (Option<u64>, Option<u64>) {
        let least = |side: fn(&Round) -> Option<&PeerReport>| {
            self.rounds
                .iter()
                .filter_map(|r| side(r).map(|p| p.frames))
                .min()
        };
        (least(|r| r.recv.as_ref()), least(|r| r.serve.as_ref()))
    }

    fn same_case(&self, other: &Row) -> bool {
        (self.pattern, self.reply, self.width, self.height)
            == (other.pattern, other.reply, other.width, other.height)
    }

    fn other<'a>(&self, rows: &'a [Row], to: Impl) -> Option<&'a Row> {
        rows.iter()
            .find(|r| r.implementation == to && r.same_case(self))
    }

    /// This row's median fps over another implementation's median fps in the same case.
    fn ratio(&self, rows: &[Row], to: Impl) -> Option<f64> {
        let other = self.other(rows, to)?.fps()?;
        let mine = self.fps()?;
        (other > 0.0).then(|| mine / other)
    }

    /// The median of the per-round ratios: round `i` of this row over round `i` of the other
    /// implementation's (the two ran next to each other).
    fn round_ratio(&self, rows: &[Row], to: Impl) -> Option<f64> {
        let other = self.other(rows, to)?;
        median(self.rounds.iter().zip(&other.rounds).map(|(a, b)| {
            let (a, b) = (a.fps()?, b.fps()?);
            (b > 0.0).then(|| a / b)
        }))
    }

    fn to_json(&self, rows: &[Row]) -> Json {
        let mb = |v: Option<f64>| v.map(|v| (v * 10.0).round() / 10.0);
        let netgear = self.implementation == Impl::Netgear;
        let (received, sent) = self.frame_counts();
        let ratio = |to| netgear.then(|| self.ratio(rows, to)).flatten();
        let round_ratio = |to| netgear.then(|| self.round_ratio(rows, to)).flatten();
        json!({
            "impl": self.implementation.name(),
            "pattern": self.pattern,
            "reply": self.reply.name(),
            "bidirectional": self.pattern <= 1 && self.reply != ReplyKind::None,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "rounds": self.rounds.len(),
            "frames_sent": sent,
            "frames_received": received,
            "fps": self.fps(),
            "mb_per_s": self.mbps(),
            "rtt_p50_us": self.rtt_us(50),
            "rtt_p99_us": self.rtt_us(99),
            "rss_serve_mb": mb(self.rss_mib(|r| r.serve.as_ref())),
            "rss_recv_mb": mb(self.rss_mib(|r| r.recv.as_ref())),
            "ratio_raw": ratio(Impl::Raw),
            "ratio_vidgear": ratio(Impl::Vidgear),
            "ratio_raw_rounds_median": round_ratio(Impl::Raw),
            "ratio_vidgear_rounds_median": round_ratio(Impl::Vidgear),
            "fps_rounds": self.rounds.iter().map(Round::fps).collect::<Vec<_>>(),
            "ok": self.ok(),
            "error": self.error(),
            "wall_s": self.rounds.iter().map(|r| r.wall).sum::<f64>(),
            "runs": self.rounds.iter().map(Round::to_json).collect::<Vec<_>>(),
        })
    }
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
        return Ok(vec![Impl::Raw, Impl::Netgear, Impl::Vidgear]);
    };
    let mut impls = Vec::new();
    for s in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let i = Impl::from_str(s, true).map_err(|_| {
            Error::InvalidOption(format!(
                "--cases: {s:?}: valid cases are netgear, raw, vidgear"
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
        Impl::Vidgear => 2,
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

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// What the orchestrator needs to start peers.
struct Env {
    exe: PathBuf,
    vidgear: Option<(PathBuf, PathBuf)>,
    case_timeout: Duration,
    peer_timeout: f64,
    /// The CPUs of the receive and the send peer, with `--pin`.
    pin: Option<(usize, usize)>,
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
    let env =
        Env {
            exe,
            vidgear,
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

/// What the columns mean.
const LEGEND: &str = "\
what the numbers mean:
  fps      frames per second received (receive side, first frame to last; frames / elapsed)
  MB/s     frame (pixel) bytes per second received, 1 MB = 10^6 bytes; a frame reply doubles
           the bytes on the wire
  frames   received / sent, the fewest of the rounds (pattern 2 drops frames by design:
           high-water mark 1)
  RTT      send side, lock-step patterns 0 and 1: from the start of sending a frame to its
           reply received, p50 and p99, in microseconds
  RSS      peak resident set size (VmHWM from /proc/<pid>/status, read by each peer at its
           end), MiB, of the send (tx) and receive (rx) process
  rnd      rounds per case: the implementations of a case run alternately (raw, netgear, raw,
           netgear, ...); fps, MB/s and RTT are the medians over the rounds, RSS the largest
  xraw     netgear fps / raw-libzmq fps in the same case and size, of the medians (1.00 = as
           fast as libzmq)
  xraw/r   the median of the per-round ratios (each netgear round over the raw round next to it)
  xvg      netgear fps / vidgear fps in the same case and size, of the medians
  raw      blocking libzmq via the zmq crate, the same message shapes and sizes as netgear
           (netgear's header bytes + the test pattern's msgpack_numpy frame parts, built once),
           zero-copy sends (zmq_msg_init_data), receives (recv_msg) and frame echo
";

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.decimals$}"))
}

/// The results as a text table, one row per implementation × case × size.
fn table(rows: &[Row]) -> String {
    use std::fmt::Write;
    const LAYOUT: [(&str, usize); 15] = [
        ("impl", 8),
        ("pat", 3),
        ("reply", 5),
        ("size", 9),
        ("frames", 11),
        ("rnd", 3),
        ("fps", 9),
        ("MB/s", 8),
        ("p50 us", 9),
        ("p99 us", 9),
        ("rss tx", 7),
        ("rss rx", 7),
        ("xraw", 6),
        ("xraw/r", 6),
        ("xvg", 6),
    ];
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, (_, width))) in cells.iter().zip(LAYOUT).enumerate() {
            if i > 0 {
                out.push(' ');
            }
            // The three text columns are left-aligned, the numbers right-aligned.
            if i == 0 || i == 2 {
                let _ = write!(out, "{cell:<width$}");
            } else {
                let _ = write!(out, "{cell:>width$}");
            }
        }
        out
    };
    let mut out = line(&LAYOUT.map(|(name, _)| name.to_owned()));
    out.push('\n');
    let mut previous: Option<&Row> = None;
    for r in rows {
        if previous.is_some_and(|p| !p.same_case(r)) {
            out.push('\n');
        }
        previous = Some(r);
        let (got, sent) = r.frame_counts();
        let count = |n: Option<u64>| n.map_or("?".into(), |n| n.to_string());
        let netgear = r.implementation == Impl::Netgear;
        let ratio = |to| opt(netgear.then(|| r.ratio(rows, to)).flatten(), 2);
        let _ = write!(
            out,
            "{}",
            line(&[
                r.implementation.name().into(),
                r.pattern.to_string(),
                r.reply.name().into(),
                format!("{}x{}", r.width, r.height),
                format!("{}/{}", count(got), count(sent)),
                r.rounds.len().to_string(),
                opt(r.fps(), 0),
                opt(r.mbps(), 0),
                opt(r.rtt_us(50), 0),
                opt(r.rtt_us(99), 0),
                opt(r.rss_mib(|r| r.serve.as_ref()), 1),
                opt(r.rss_mib(|r| r.recv.as_ref()), 1),
                ratio(Impl::Raw),
                opt(netgear.then(|| r.round_ratio(rows, Impl::Raw)).flatten(), 2),
                ratio(Impl::Vidgear),
            ])
        );
        if let Some(e) = r.error() {
            let _ = write!(out, "  FAILED: {e}");
        }
        out.push('\n');
    }
    out
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
            parse_impls(Some("vidgear,netgear,raw,raw")).unwrap(),
            vec![Impl::Raw, Impl::Netgear, Impl::Vidgear]
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

    #[test]
    fn medians_and_ratios_come_from_the_rounds() {
        assert_eq!(median([Some(3.0), None, Some(1.0), Some(2.0)]), Some(2.0));
        assert_eq!(median([Some(4.0), Some(1.0)]), Some(2.5));
        assert_eq!(median([None]), None);
        let round = |fps: f64| Round {
            recv: Some(PeerReport {
                frames: 10,
                fps,
                ..PeerReport::default()
            }),
            ..Round::default()
        };
        let row = |implementation, fps: &[f64]| Row {
            implementation,
            pattern: 0,
            reply: ReplyKind::Text,
            width: 64,
            height: 64,
            frames: 10,
            rounds: fps.iter().map(|&f| round(f)).collect(),
        };
        let rows = [
            row(Impl::Raw, &[100.0, 200.0, 400.0]),
            row(Impl::Netgear, &[90.0, 100.0, 360.0]),
        ];
        assert_eq!(rows[1].fps(), Some(100.0));
        assert_eq!(rows[1].ratio(&rows, Impl::Raw), Some(0.5));
        assert_eq!(rows[1].round_ratio(&rows, Impl::Raw), Some(0.9));
        assert!(rows[1].ok() && rows[1].error().is_none());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).map(|us| us * 1000).collect();
        assert_eq!(percentile_us(&v, 0.5), Some(50.0));
        assert_eq!(percentile_us(&v, 0.99), Some(99.0));
        assert_eq!(percentile_us(&[], 0.5), None);
    }

    #[test]
    fn reports_round_trip_through_json() {
        let r = PeerReport {
            implementation: "raw".into(),
            role: "recv".into(),
            frames: 3,
            bytes: 9,
            elapsed: 0.5,
            fps: 6.0,
            rtt_p50_us: None,
            rtt_p99_us: Some(1.5),
            peak_rss_kb: 1234,
            error: Some("boom".into()),
        };
        assert_eq!(PeerReport::from_json(&r.to_json()), r);
        assert!(peak_rss_kb() > 0);
    }
}
