//! The soak test: both ends stream for a long while and every frame is accounted for.
//!
//! Each frame carries its sequence number as data; the receive end checks that numbers arrive
//! in order without gaps, answers every frame in bidirectional mode, and the process's resident
//! memory is sampled after a warm-up and at the end.

use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use netgear::media::TestPattern;
use netgear::{Client, Data, Options, Pattern, Protocol, Reply, Result, Server, SourceItem};

use crate::error::CliError;
use crate::proc::rss_kb;

#[derive(Args)]
pub(crate) struct SoakArgs {
    /// Frames to stream.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) frames: u64,
    /// Patterns to soak, one after the other (bidirectional mode on 0 and 1).
    #[arg(long, value_delimiter = ',', default_value = "0,1,3")]
    pub(crate) pattern: Vec<u8>,
    /// Frame width.
    #[arg(long, default_value_t = 320)]
    pub(crate) width: usize,
    /// Frame height.
    #[arg(long, default_value_t = 240)]
    pub(crate) height: usize,
    /// Loopback port (0: any free port).
    #[arg(long, default_value_t = 5557)]
    pub(crate) port: u16,
    /// The transport: tcp (loopback), ipc, or shm (shared memory).
    #[arg(long, default_value = "tcp", conflicts_with = "chaos")]
    pub(crate) protocol: String,
    /// Print each report as a JSON line.
    #[arg(long)]
    pub(crate) json: bool,
    /// The chaos soak (needs root): each pattern at once over its own rate-limited link
    /// between two network namespaces, both ends with --reconnect, while at random times the
    /// receiver is killed and restarted, the link taken down and up, the receiver's application
    /// stalled, the sender killed and restarted. Fails if a frame is lost outside an outage, a
    /// resume takes over 1 s after the peer is back, memory or descriptors grow, or anything
    /// aborts. --frames is not used: it runs for --minutes.
    #[arg(long)]
    pub(crate) chaos: bool,
    /// How long the chaos soak runs.
    #[arg(long, default_value_t = 30.0, requires = "chaos")]
    pub(crate) minutes: f64,
    /// The chaos soak's link rate (tc's syntax).
    #[arg(long, default_value = "100mbit", requires = "chaos")]
    pub(crate) rate: String,
    /// The chaos soak's camera rate.
    #[arg(long, default_value_t = 30.0, requires = "chaos")]
    pub(crate) fps: f64,
    /// The chaos soak's random seed (default: the time).
    #[arg(long, requires = "chaos")]
    pub(crate) seed: Option<u64>,
    /// Draw the chaos soak's memory and descriptors over time into this SVG file.
    #[arg(long, requires = "chaos")]
    pub(crate) plot: Option<std::path::PathBuf>,
    /// The chaos soak fails when a resume (from the peer's return to the first frame captured
    /// after it arriving) takes longer than this, ms.
    #[arg(long, default_value_t = 1000.0, requires = "chaos")]
    pub(crate) resume_goal_ms: f64,
}

/// What to soak.
#[derive(Debug, Clone)]
pub(crate) struct SoakOptions {
    /// Frames to stream (default 100,000).
    pub(crate) frames: u64,
    /// Pattern; bidirectional mode is on for patterns 0 and 1.
    pub(crate) pattern: Pattern,
    /// Frame width.
    pub(crate) width: usize,
    /// Frame height.
    pub(crate) height: usize,
    /// Loopback port (0: any free port).
    pub(crate) port: u16,
    /// The transport.
    pub(crate) protocol: Protocol,
    /// Frames before the first memory sample.
    pub(crate) warmup: u64,
}

impl Default for SoakOptions {
    fn default() -> SoakOptions {
        SoakOptions {
            frames: 100_000,
            pattern: Pattern::Pair,
            width: 320,
            height: 240,
            port: 5557,
            protocol: Protocol::Tcp,
            warmup: 1000,
        }
    }
}

/// What a soak found.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct SoakReport {
    /// Pattern number.
    pub(crate) pattern: u8,
    /// Frames sent.
    pub(crate) sent: u64,
    /// Frames received.
    pub(crate) received: u64,
    /// Frames sent but never received.
    pub(crate) lost: u64,
    /// Frames that arrived out of order or twice.
    pub(crate) out_of_order: u64,
    /// PUB/SUB: frames lost while the subscriber kept up (each frame sent once the one before
    /// had arrived): must be 0.
    pub(crate) lost_keeping_up: u64,
    /// PUB/SUB: whether the newest frame arrived after the subscriber had fallen behind (a
    /// flood the publisher drops frames of; then, once the subscriber is idle, one more).
    pub(crate) newest_arrived: bool,
    /// Answers the server got (bidirectional mode).
    pub(crate) replies: u64,
    /// Resident memory after the warm-up, KiB.
    pub(crate) rss_start_kb: u64,
    /// Resident memory at the end, KiB.
    pub(crate) rss_end_kb: u64,
    /// Frames per second received.
    pub(crate) fps: f64,
    /// Errors from either end.
    pub(crate) errors: Vec<String>,
}

impl SoakReport {
    /// Whether the soak passed: no errors, nothing lost or reordered where the pattern
    /// guarantees delivery (0, 1, 3), and memory did not grow by more than 8 MiB.
    pub(crate) fn passed(&self) -> bool {
        let delivered = if self.pattern == Pattern::PubSub.number() {
            self.lost_keeping_up == 0 && self.newest_arrived
        } else {
            self.lost == 0
        };
        self.errors.is_empty()
            && delivered
            && self.out_of_order == 0
            && self.rss_end_kb <= self.rss_start_kb + 8 * 1024
    }
}

/// How far the receiving end of a soak has got: the next frame number it expects, how many
/// frames it has, and a signal at each.
#[derive(Default)]
struct Progress {
    next: std::sync::atomic::AtomicU64,
    received: std::sync::atomic::AtomicU64,
    changed: tokio::sync::Notify,
}

impl Progress {
    fn next(&self) -> u64 {
        self.next.load(std::sync::atomic::Ordering::Acquire)
    }

    fn received(&self) -> u64 {
        self.received.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Waits until frame `n - 1` (or a later one) has arrived, at most `limit`.
    async fn reached(&self, n: u64, limit: Duration) {
        let _ = tokio::time::timeout(limit, async {
            loop {
                let changed = self.changed.notified();
                if self.next() >= n {
                    return;
                }
                changed.await;
            }
        })
        .await;
    }

    /// Waits until no frame has arrived for 100 ms (the subscriber has taken all there was),
    /// at most `limit`.
    async fn idle(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let before = self.received();
            tokio::time::sleep(Duration::from_millis(100)).await;
            if self.received() == before || Instant::now() >= deadline {
                return;
            }
        }
    }
}

/// Streams `opts.frames` frames between two ends on loopback and accounts for each.
///
/// PUB/SUB drops what a subscriber has no room for, so its soak is in two parts: the first 80 %
/// of the frames each sent once the one before has arrived (the subscriber keeps up: every
/// frame must arrive, in order, but the last, which the flood follows at once), the rest as fast as they go (it falls behind: frames are
/// dropped, the ones that arrive in order), and then, once the subscriber is idle, one more,
/// the newest, which must arrive.
pub(crate) async fn run(opts: &SoakOptions) -> Result<SoakReport> {
    let bidirectional = opts.pattern.has_replies();
    let options = Options {
        address: Some(match opts.protocol {
            Protocol::Tcp => "127.0.0.1".into(),
            // A stream of this process's own.
            _ => format!("soak-{}-{}", std::process::id(), opts.pattern.number()),
        }),
        protocol: opts.protocol,
        port: opts.port,
        pattern: opts.pattern,
        bidirectional_mode: bidirectional,
        timeout: Duration::from_secs(5),
        ..Options::default()
    };
    let client = Client::new(options.clone())?;
    // The port the client bound: the one asked for, or the kernel's pick for port 0.
    let port = client.local_port().unwrap_or(options.port);
    let mut server = Server::new(Options { port, ..options })?;
    let replies = server.transceiver();
    let pattern = TestPattern::new(opts.width, opts.height);
    let total = opts.frames;
    let pubsub = opts.pattern == Pattern::PubSub;
    let mut answered = 0u64;
    let answered_in = &mut answered;
    let progress = Progress::default();
    let flood_from = total - total / 5;
    let progress_in = &progress;
    let source = async_stream::stream! {
        for n in 0..total {
            if replies.transceive_data().is_some() {
                *answered_in += 1;
            }
            if pubsub && n + 1 == total {
                progress_in.idle(Duration::from_secs(5)).await;
            } else if pubsub && n < flood_from {
                progress_in.reached(n, Duration::from_secs(1)).await;
            }
            yield SourceItem::WithData(Some(Data::from(n)), pattern.frame(n));
        }
    };
    let mut rss_start = 0;
    let receiver = receive(
        &client,
        flood_from,
        bidirectional,
        opts.warmup,
        &mut rss_start,
        &progress,
    );
    let (sent, got) = tokio::join!(server.launch(source), receiver);
    while server.transceive_data().is_some() {
        answered += 1;
    }
    let mut errors = Vec::new();
    let sent = sent.unwrap_or_else(|e| {
        errors.push(format!("server: {e}"));
        0
    });
    let (received, out_of_order, secs, arrived) = got.unwrap_or_else(|e| {
        errors.push(format!("client: {e}"));
        (0, 0, 0.0, Arrived::default())
    });
    let kept_up = arrived.kept_up;
    Ok(SoakReport {
        pattern: opts.pattern.number(),
        sent,
        received,
        lost: sent.saturating_sub(received),
        out_of_order,
        lost_keeping_up: if pubsub {
            flood_from.saturating_sub(1) - kept_up
        } else {
            0
        },
        newest_arrived: arrived.last == Some(total - 1),
        replies: answered,
        rss_start_kb: rss_start,
        rss_end_kb: rss_kb(),
        fps: if secs > 0.0 {
            received as f64 / secs
        } else {
            0.0
        },
        errors,
    })
}

/// What arrived in order of a PUB/SUB soak (which may drop frames), counted as it comes (a
/// list of the numbers would grow with the stream).
#[derive(Debug, Default)]
struct Arrived {
    /// Frames sent while the subscriber kept up that arrived. The last frame sent while
    /// keeping up is followed at once by the flood, which may take its place in a subscriber's
    /// queue before it is read (over shm, whose queues hold the newest two): it belongs to the
    /// flood, and is not counted.
    kept_up: u64,
    /// The last number that arrived.
    last: Option<u64>,
}

/// The receiving end of a soak: every frame's sequence number checked, each answered in the
/// lock-step patterns, the RSS sampled after the warm-up into `rss_start`, each arrival told
/// to `progress`. What it counted: frames, frames out of order, seconds from the first frame
/// to the end, and what arrived in order (PUB/SUB only, whose flood starts at `flood_from`).
async fn receive(
    client: &Client,
    flood_from: u64,
    bidirectional: bool,
    warmup: u64,
    rss_start: &mut u64,
    progress: &Progress,
) -> std::result::Result<(u64, u64, f64, Arrived), String> {
    let pubsub = client.options().pattern == Pattern::PubSub;
    let mut arrived = Arrived::default();
    let mut received = 0u64;
    let mut out_of_order = 0u64;
    let mut next = 0u64;
    let mut first: Option<Instant> = None;
    let mut frames = std::pin::pin!(client.recv_generator());
    while let Some(item) = frames.next().await {
        let (data, _) = item.map_err(|e| netgear::error_chain(&e))?;
        first.get_or_insert_with(Instant::now);
        let n = data
            .and_then(|d| d.deserialize::<u64>().ok())
            .ok_or("a frame without its sequence number")?;
        if n < next {
            out_of_order += 1;
        } else {
            next = n + 1;
            if pubsub {
                arrived.kept_up += u64::from(n + 1 < flood_from);
                arrived.last = Some(n);
            }
        }
        received += 1;
        progress
            .next
            .store(next, std::sync::atomic::Ordering::Release);
        progress
            .received
            .store(received, std::sync::atomic::Ordering::Release);
        progress.changed.notify_waiters();
        // Sampled after the warm-up (or at the first frame, for PUB/SUB, which may never
        // deliver that many).
        if received == 1 || received == warmup {
            *rss_start = rss_kb();
        }
        if bidirectional {
            client
                .transceive_data(Reply::Data(Data::from("ok")))
                .map_err(|e| netgear::error_chain(&e))?;
        }
    }
    let secs = first.map_or(0.0, |t| t.elapsed().as_secs_f64());
    Ok((received, out_of_order, secs, arrived))
}

/// `netgear soak`: each pattern in turn; fails unless every one passed.
pub(crate) async fn soak(args: SoakArgs) -> Result<(), CliError> {
    if args.chaos {
        return chaos(&args).await;
    }
    let mut failed = Vec::new();
    for &p in &args.pattern {
        let opts = SoakOptions {
            frames: args.frames,
            pattern: Pattern::try_from(p).map_err(netgear::Error::from)?,
            width: args.width,
            height: args.height,
            port: args.port,
            protocol: args
                .protocol
                .parse::<Protocol>()
                .map_err(netgear::Error::from)?,
            warmup: (args.frames / 5).clamp(1, 20_000),
        };
        let r = run(&opts).await?;
        eprintln!(
            "soak pattern {}: sent {}, received {}, lost {}{}, out of order {}, replies {}, \
             RSS {} -> {} KiB, {:.0} fps, errors {:?}: {}",
            r.pattern,
            r.sent,
            r.received,
            r.lost,
            if r.pattern == Pattern::PubSub.number() {
                format!(
                    " (while keeping up {}; the newest arrived after falling behind: {})",
                    r.lost_keeping_up, r.newest_arrived
                )
            } else {
                String::new()
            },
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
        if !r.passed() {
            failed.push(p);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::SoakFailed(failed))
    }
}

/// `netgear soak --chaos`: see [`crate::chaos`].
async fn chaos(args: &SoakArgs) -> Result<(), CliError> {
    if !(args.minutes.is_finite() && args.minutes > 0.0) {
        return Err(crate::error::FlagError::value(
            format!("--minutes {}", args.minutes),
            "must be a positive number",
        )
        .into());
    }
    let opts = crate::chaos::ChaosOptions {
        minutes: args.minutes,
        patterns: args.pattern.clone(),
        rate: args.rate.clone(),
        fps: args.fps,
        width: args.width,
        height: args.height,
        seed: args.seed.unwrap_or_else(crate::chaos::peer::now_us),
        plot: args.plot.clone(),
        json: args.json,
        resume_goal_ms: args.resume_goal_ms,
    };
    let reports = tokio::task::spawn_blocking(move || crate::chaos::chaos(&opts))
        .await
        .map_err(|e| CliError::Chaos(e.to_string()))?
        .map_err(CliError::Chaos)?;
    let failed: Vec<u8> = reports
        .iter()
        .filter(|r| !r.passed())
        .map(|r| r.pattern())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::SoakFailed(failed))
    }
}
