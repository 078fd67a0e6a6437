//! `netgear`: serve the built-in test pattern, receive it, or run both ends in one process.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use futures::StreamExt;
use netgear::media::{Interpolation, Recorder, TestPattern, VideoOptions, reducer};
use netgear::stats::StreamStats;
use netgear::{
    Client, Data, Error, Frame, Options, Pattern, Protocol, Reply, Server, Source, SourceItem,
};
use serde_json::{Value as Json, json};

/// Real-time video frames over ZeroMQ, wire-compatible with vidgear's NetGear_Async.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Log what the ends do (to stderr); RUST_LOG refines it.
    #[arg(long, global = true)]
    log: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send mode: stream the built-in test pattern to a receiver.
    Serve(ServeArgs),
    /// Receive mode: bind and receive frames until the server terminates.
    Recv(RecvArgs),
    /// Both ends in one process on loopback, bidirectional, data both ways.
    Demo(DemoArgs),
    /// Measure netgear-rs, a raw-libzmq baseline and vidgear side by side (tcp loopback).
    Bench(netgear::bench::BenchArgs),
    /// Stream for a long while on loopback and account for every frame and for memory.
    Soak(SoakArgs),
    /// One end of a benchmark case (started by `bench`).
    #[command(hide = true)]
    BenchPeer(netgear::bench::PeerArgs),
}

#[derive(Args)]
struct SoakArgs {
    /// Frames to stream.
    #[arg(long, default_value_t = 100_000)]
    frames: u64,
    /// Patterns to soak, one after the other (bidirectional mode on 0 and 1).
    #[arg(long, value_delimiter = ',', default_value = "0,1,3")]
    pattern: Vec<u8>,
    /// Frame width.
    #[arg(long, default_value_t = 320)]
    width: usize,
    /// Frame height.
    #[arg(long, default_value_t = 240)]
    height: usize,
    /// Loopback port.
    #[arg(long, default_value_t = 5557)]
    port: u16,
    /// Print each report as a JSON line.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Clone)]
struct Conn {
    /// Address to connect (serve; default localhost) or bind (recv; default *).
    #[arg(long)]
    address: Option<String>,
    /// Port.
    #[arg(long, default_value_t = 5555)]
    port: u16,
    /// tcp or ipc.
    #[arg(long, default_value = "tcp")]
    protocol: String,
    /// 0 PAIR, 1 REQ/REP, 2 PUB/SUB, 3 PUSH/PULL.
    #[arg(long, default_value_t = 0)]
    pattern: u8,
    /// Seconds to wait for the peer (0 means 15).
    #[arg(long, default_value_t = 15.0)]
    timeout: f64,
    /// Bidirectional mode (patterns 0 and 1).
    #[arg(long)]
    bidirectional: bool,
}

impl Conn {
    fn options(&self) -> Result<Options, Error> {
        if !self.timeout.is_finite() || self.timeout < 0.0 {
            return Err(Error::InvalidOption(format!(
                "timeout {}: must be 0 or more seconds",
                self.timeout
            )));
        }
        Ok(Options {
            address: self.address.clone(),
            port: self.port,
            protocol: self.protocol.parse::<Protocol>()?,
            pattern: Pattern::try_from(self.pattern)?,
            timeout: Duration::from_secs_f64(self.timeout),
            bidirectional_mode: self.bidirectional,
            ..Options::default()
        })
    }
}

#[derive(Args)]
struct Output {
    /// Print a one-line JSON summary as the last line of stdout.
    #[arg(long)]
    json: bool,
    /// Leave the SHA-256 of the frames out (it costs time per frame).
    #[arg(long)]
    no_hash: bool,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    conn: Conn,
    #[command(flatten)]
    out: Output,
    /// Frame width.
    #[arg(long, default_value_t = 640)]
    width: usize,
    /// Frame height.
    #[arg(long, default_value_t = 480)]
    height: usize,
    /// Frames to send (default: 300 of the test pattern, or all of a video).
    #[arg(long)]
    frames: Option<u64>,
    #[command(flatten)]
    media: MediaArgs,
    /// Shrink each frame by this percentage (0 < PCT < 90) with vidgear's reducer (Lanczos).
    #[arg(long)]
    reduce: Option<f64>,
    /// Text sent as data with every frame (bidirectional mode).
    #[arg(long, conflicts_with = "data_json")]
    data: Option<String>,
    /// A JSON value sent as data with every frame (bidirectional mode).
    #[arg(long)]
    data_json: Option<String>,
    /// Pace the stream at this many frames per second (default: as fast as it goes).
    #[arg(long)]
    fps: Option<f64>,
}

/// Where frames come from.
#[derive(Args)]
struct MediaArgs {
    /// `testsrc` (the built-in test pattern), a video file, an image sequence, a stream URL, or a
    /// camera device (with --demuxer v4l2).
    #[arg(long, default_value = "testsrc")]
    source: String,
    /// ffmpeg's input format for devices (v4l2, ...).
    #[arg(long)]
    demuxer: Option<String>,
    /// The ffmpeg executable to use.
    #[arg(long)]
    ffmpeg: Option<PathBuf>,
}

impl MediaArgs {
    /// The source this names; the test pattern (and cameras) take `width × height`.
    fn source(&self, spec: &str, width: usize, height: usize) -> Source {
        if spec == "testsrc" {
            return Source::TestPattern(TestPattern::new(width, height));
        }
        let mut video = VideoOptions::new(spec);
        video.demuxer = self.demuxer.clone();
        video.ffmpeg = self.ffmpeg.clone();
        if self.demuxer.is_some() {
            video.resolution = Some((width as u32, height as u32));
        }
        Source::Video(video)
    }
}

#[derive(Args)]
struct RecvArgs {
    #[command(flatten)]
    conn: Conn,
    #[command(flatten)]
    out: Output,
    /// Text sent back with the answer to each frame (bidirectional mode).
    #[arg(long, conflicts_with_all = ["reply_json", "reply_frame"])]
    reply: Option<String>,
    /// A JSON value sent back with the answer to each frame (bidirectional mode).
    #[arg(long, conflicts_with = "reply_frame")]
    reply_json: Option<String>,
    /// Send each received frame back as the answer to the next one, as in video chat.
    #[arg(long)]
    reply_frame: bool,
    /// Send frames from this source back with the answer to each frame (video chat):
    /// `testsrc`, a video file, a stream URL or a device.
    #[arg(long, conflicts_with_all = ["reply", "reply_json", "reply_frame"])]
    reply_source: Option<String>,
    /// Stop after this many frames.
    #[arg(long)]
    frames: Option<u64>,
    /// Show the frames in a window, with the frame rate in its title.
    #[arg(long)]
    display: bool,
    /// Record the frames into this video file (H.264; ffmpeg).
    #[arg(long)]
    save: Option<PathBuf>,
    /// Frame rate written into the recording.
    #[arg(long, default_value_t = 25.0)]
    save_fps: f64,
    #[command(flatten)]
    media: MediaArgs,
}

#[derive(Args)]
struct DemoArgs {
    /// Port on loopback.
    #[arg(long, default_value_t = 5555)]
    port: u16,
    /// Frames to stream.
    #[arg(long, default_value_t = 300)]
    frames: u64,
    /// Frame width.
    #[arg(long, default_value_t = 640)]
    width: usize,
    /// Frame height.
    #[arg(long, default_value_t = 480)]
    height: usize,
}

/// The data a `--TEXT`/`--TEXT-json` flag pair gives, if any.
fn text_or_json(
    text: &Option<String>,
    json: &Option<String>,
    json_flag: &str,
) -> Result<Option<Data>, Error> {
    match (text, json) {
        (Some(t), _) => Ok(Some(Data::from(t.as_str()))),
        (None, Some(j)) => serde_json::from_str::<Json>(j)
            .map(|j| Some(Data::from_json(&j)))
            .map_err(|e| Error::InvalidOption(format!("{json_flag}: not JSON: {e}"))),
        (None, None) => Ok(None),
    }
}

fn print_summary(out: &Output, summary: serde_json::Map<String, Json>) {
    if out.json {
        println!("{}", Json::Object(summary));
    }
}

async fn serve(args: ServeArgs) -> Result<(), Error> {
    let data = text_or_json(&args.data, &args.data_json, "--data-json")?;
    let opts = args.conn.options()?;
    let bidirectional = opts.bidirectional_mode;
    if data.is_some() && !bidirectional {
        return Err(Error::InvalidOption(
            "--data and --data-json need --bidirectional".into(),
        ));
    }
    let mut pace = match args.fps {
        Some(fps) if fps.is_finite() && fps > 0.0 => {
            let mut i = tokio::time::interval(Duration::from_secs_f64(1.0 / fps));
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            Some(i)
        }
        Some(fps) => {
            return Err(Error::InvalidOption(format!(
                "--fps {fps}: must be a positive number"
            )));
        }
        None => None,
    };
    let mut server = Server::new(opts)?;
    let source = args
        .media
        .source(&args.media.source, args.width, args.height);
    let default_count = matches!(source, Source::TestPattern(_)).then_some(300);
    let limit = args.frames.or(default_count).unwrap_or(u64::MAX);
    let mut frames = source.open().await?;
    let reduce = args.reduce;
    let replies = server.transceiver();
    let mut stats = StreamStats::new(!args.out.no_hash);
    let mut tally = ReplyTally::new(!args.out.no_hash);
    let (stats_in, tally_in) = (&mut stats, &mut tally);
    let source = async_stream::try_stream! {
        let mut n = 0;
        while n < limit {
            let Some(frame) = frames.next().await else { break };
            let mut frame = frame?;
            if let Some(pct) = reduce {
                frame = reducer(&frame, pct, Interpolation::Lanczos)?;
            }
            if let Some(p) = pace.as_mut() {
                p.tick().await;
            }
            if let Some(r) = replies.transceive_data() {
                tally_in.add(&r);
            }
            stats_in.record(&frame);
            n += 1;
            if bidirectional {
                yield SourceItem::from((data.clone(), frame));
            } else {
                yield SourceItem::Frame(frame);
            }
        }
    };
    let result = server.launch_try(source).await;
    // The answer to the last frame is queued after the source has ended.
    while let Some(r) = server.transceive_data() {
        tally.add(&r);
    }
    result?;
    eprintln!(
        "served {} frames of {:?} at {:.1} fps{}",
        stats.frames(),
        stats.shape().unwrap_or_default(),
        stats.fps(),
        if bidirectional {
            format!(", {} replies ({} frames)", tally.replies, tally.frames)
        } else {
            String::new()
        }
    );
    let mut summary = stats.to_json();
    tally.write_json(&mut summary);
    print_summary(&args.out, summary);
    Ok(())
}

/// What the server got back: counts, the first data values, a hash of reply frames.
struct ReplyTally {
    replies: u64,
    frames: u64,
    data: Vec<Json>,
    frame_stats: StreamStats,
}

impl ReplyTally {
    fn new(hash: bool) -> ReplyTally {
        ReplyTally {
            replies: 0,
            frames: 0,
            data: Vec::new(),
            frame_stats: StreamStats::new(hash),
        }
    }

    fn add(&mut self, r: &Reply) {
        self.replies += 1;
        match r {
            Reply::Data(d) if self.data.len() < 5 => self.data.push(d.to_json()),
            Reply::Data(_) => {}
            Reply::Frame(f) => {
                self.frames += 1;
                self.frame_stats.record(f);
            }
        }
    }

    fn write_json(&self, m: &mut serde_json::Map<String, Json>) {
        m.insert("replies".into(), self.replies.into());
        m.insert("reply_data".into(), Json::Array(self.data.clone()));
        m.insert("reply_frames".into(), self.frames.into());
        if let Some(h) = self.frame_stats.sha256() {
            m.insert("reply_sha256".into(), h.into());
        }
    }
}

async fn recv(args: RecvArgs) -> Result<(), Error> {
    let reply = text_or_json(&args.reply, &args.reply_json, "--reply-json")?;
    let opts = args.conn.options()?;
    let replies_frames = args.reply_frame || args.reply_source.is_some();
    if (reply.is_some() || replies_frames) && !opts.bidirectional_mode {
        return Err(Error::InvalidOption(
            "--reply, --reply-json, --reply-frame and --reply-source need --bidirectional".into(),
        ));
    }
    let mut reply_source = match &args.reply_source {
        Some(spec) => Some(args.media.source(spec, 640, 480).open().await?),
        None => None,
    };
    let display = if args.display {
        Some(open_display()?)
    } else {
        None
    };
    let client = Client::new(opts)?;
    let mut stats = StreamStats::new(!args.out.no_hash);
    // A frame queued as a reply is sent with the answer to the next frame: hash it then.
    let mut reply_stats = StreamStats::new(!args.out.no_hash);
    let mut queued: Option<Frame> = None;
    let mut recorder: Option<Recorder> = None;
    let mut data = Vec::new();
    let limit = args.frames.unwrap_or(u64::MAX);
    let mut outcome = Ok(());
    {
        let mut frames = std::pin::pin!(client.recv_generator());
        while stats.frames() < limit {
            let (d, frame) = match frames.next().await {
                Some(Ok(item)) => item,
                Some(Err(e)) => {
                    outcome = Err(e);
                    break;
                }
                None => break,
            };
            if let Some(sent) = queued.take() {
                reply_stats.record(&sent);
            }
            stats.record(&frame);
            if data.len() < 10 {
                data.push(d.as_ref().map_or(Json::Null, Data::to_json));
            }
            if let Some(window) = &display {
                show(window, &frame)?;
            }
            if let Some(path) = &args.save {
                if recorder.is_none() {
                    let ffmpeg = args.media.ffmpeg.as_deref();
                    recorder = Some(Recorder::for_frame(path, &frame, args.save_fps, ffmpeg)?);
                }
                if let Some(r) = recorder.as_mut() {
                    r.write(&frame).await?;
                }
            }
            let back = match reply_source.as_mut() {
                Some(src) => src.next().await.transpose()?,
                None => args.reply_frame.then(|| frame.clone()),
            };
            if let Some(r) = &reply {
                client.transceive_data(r.clone())?;
            } else if let Some(f) = back {
                client.transceive_data(f.clone())?;
                queued = Some(f);
            }
        }
    }
    client.close().await;
    if let Some(r) = recorder {
        let written = r.finish().await?;
        eprintln!("recorded {written} frames");
    }
    eprintln!(
        "received {} frames at {:.1} fps",
        stats.frames(),
        stats.fps()
    );
    let mut summary = stats.to_json();
    summary.insert("data".into(), Json::Array(data));
    summary.insert("reply_frames".into(), reply_stats.frames().into());
    if let Some(h) = reply_stats.sha256() {
        summary.insert("reply_sha256".into(), h.into());
    }
    if let Err(e) = &outcome {
        summary.insert("error".into(), e.to_string().into());
    }
    print_summary(&args.out, summary);
    outcome
}

#[cfg(feature = "display")]
type Window = netgear::media::Display;
#[cfg(not(feature = "display"))]
type Window = ();

#[cfg(feature = "display")]
fn open_display() -> Result<Window, Error> {
    netgear::media::Display::open("netgear")
}

#[cfg(not(feature = "display"))]
fn open_display() -> Result<Window, Error> {
    Err(Error::InvalidOption(
        "--display: this netgear was built without the `display` feature".into(),
    ))
}

/// Shows a frame; a closed window ends nothing but the display.
#[cfg(feature = "display")]
fn show(window: &Window, frame: &Frame) -> Result<(), Error> {
    match window.show(frame) {
        Ok(()) | Err(Error::Closed) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(feature = "display"))]
fn show(_: &Window, _: &Frame) -> Result<(), Error> {
    Ok(())
}

async fn demo(args: DemoArgs) -> Result<(), Error> {
    let opts = Options {
        address: Some("127.0.0.1".into()),
        port: args.port,
        bidirectional_mode: true,
        timeout: Duration::from_secs(5),
        ..Options::default()
    };
    let client = Client::new(opts.clone())?;
    let mut server = Server::new(opts)?;
    let replies = server.transceiver();
    let pattern = TestPattern::new(args.width, args.height);
    let total = args.frames;
    let source = async_stream::stream! {
        for n in 0..total {
            match replies.transceive_data() {
                Some(Reply::Data(d)) if n <= 4 || n.is_multiple_of(100) => {
                    println!("server got: {d}");
                }
                Some(Reply::Frame(f)) => println!("server got: a {:?} frame back", f.shape()),
                _ => {}
            }
            let data = Data::from_json(&json!({"frame": n, "msg": "Hello from the server"}));
            yield (Some(data), pattern.frame(n));
        }
    };
    let receiver = async {
        let mut stats = StreamStats::new(false);
        let mut frames = std::pin::pin!(client.recv_generator());
        while let Some(item) = frames.next().await {
            let (data, frame) = item?;
            stats.record(&frame);
            let n = stats.frames();
            if n <= 4 || n.is_multiple_of(100) {
                let shown = data.map_or("nothing".to_owned(), |d| d.to_string());
                println!("client got: {:?} frame with {shown}", frame.shape());
            }
            if n.is_multiple_of(50) {
                client.transceive_data(frame)?; // now and then, a frame back: video chat
            } else {
                client.transceive_data(format!("Hello from the client, frame {n}"))?;
            }
        }
        Ok::<_, Error>(stats)
    };
    let (sent, stats) = tokio::try_join!(server.launch(source), receiver)?;
    println!(
        "demo: {sent} frames of {}x{} sent, {} received, {:.1} fps, bidirectional, data both ways",
        args.width,
        args.height,
        stats.frames(),
        stats.fps()
    );
    Ok(())
}

async fn soak(args: SoakArgs) -> Result<(), Error> {
    let mut failed = false;
    for &p in &args.pattern {
        let opts = netgear::soak::SoakOptions {
            frames: args.frames,
            pattern: Pattern::try_from(p)?,
            width: args.width,
            height: args.height,
            port: args.port,
            warmup: (args.frames / 5).clamp(1, 20_000),
        };
        let r = netgear::soak::run(&opts).await?;
        eprintln!(
            "soak pattern {}: sent {}, received {}, lost {}, out of order {}, replies {}, \
             RSS {} -> {} KiB, {:.0} fps, errors {:?}: {}",
            r.pattern,
            r.sent,
            r.received,
            r.lost,
            r.out_of_order,
            r.replies,
            r.rss_start_kb,
            r.rss_end_kb,
            r.fps,
            r.errors,
            if r.passed() { "PASS" } else { "FAIL" }
        );
        if args.json {
            println!("{}", serde_json::to_string(&r).unwrap_or_default());
        }
        failed |= !r.passed();
    }
    if failed {
        return Err(Error::Media("the soak failed".into()));
    }
    Ok(())
}

/// Keeps frame-sized buffers in the heap: glibc's default maps and unmaps each one (a page-fault
/// storm per frame, about 10 % of a receiver's time at 640x480), and returns freed memory late.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if cli.log { "netgear=debug" } else { "error" })
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(a) => serve(a).await,
            Command::Recv(a) => recv(a).await,
            Command::Demo(a) => demo(a).await,
            Command::Soak(a) => soak(a).await,
            Command::Bench(a) => netgear::bench::run(&a),
            Command::BenchPeer(a) => netgear::bench::peer(a).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
