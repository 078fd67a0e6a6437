//! `netgear serve`: send mode, streaming the test pattern or a video source.

use std::time::{Duration, Instant, SystemTime};

use clap::Args;
use futures::StreamExt;
use futures::stream::BoxStream;
use netgear::media::{Interpolation, Live, LiveCounts, TestPattern, reducer};
use netgear::{Data, Error, Frame, Options, RateGauge, Server, Source, SourceItem};
use tokio::time::Interval;

use crate::args::{Conn, MediaArgs, Output, print_summary, text_or_json};
use crate::error::{CliError, FlagError};
use crate::stats::{Percentiles, ReplyTally, Series, StreamStats};
use crate::status::{Snapshot, Status};

/// The frames of an opened source.
type Frames = BoxStream<'static, Result<Frame, Error>>;

#[derive(Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) conn: Conn,
    #[command(flatten)]
    pub(crate) out: Output,
    /// Frame width.
    #[arg(long, default_value_t = 640)]
    pub(crate) width: usize,
    /// Frame height.
    #[arg(long, default_value_t = 480)]
    pub(crate) height: usize,
    /// Frames to send (default: 300 of the test pattern, or all of a video).
    #[arg(long)]
    pub(crate) frames: Option<u64>,
    #[command(flatten)]
    pub(crate) media: MediaArgs,
    /// Shrink each frame by this percentage (0 < PCT < 90) with vidgear's reducer (Lanczos).
    #[arg(long)]
    pub(crate) reduce: Option<f64>,
    /// Text sent as data with every frame (bidirectional mode).
    #[arg(long, conflicts_with = "data_json")]
    pub(crate) data: Option<String>,
    /// A JSON value sent as data with every frame (bidirectional mode).
    #[arg(long)]
    pub(crate) data_json: Option<String>,
    /// Pace the stream at this many frames per second (default: as fast as it goes).
    #[arg(long)]
    pub(crate) fps: Option<f64>,
    /// Frames that may be sent before their answers come back (pattern 0 only; 1 is vidgear's
    /// lock-step).
    #[arg(long, default_value_t = 1)]
    pub(crate) max_in_flight: usize,
}

/// Streams the source until its end (or `--frames`), then prints the summary.
pub(crate) async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let (opts, data, period) = check(&args)?;
    let bidirectional = opts.bidirectional_mode;
    let mut server = Server::new(opts)?;
    let source = args
        .media
        .source(&args.media.source, args.width, args.height);
    let default_count = matches!(source, Source::TestPattern(_)).then_some(300);
    let limit = args.frames.or(default_count).unwrap_or(u64::MAX);
    let (mut frames, live, mut pace) = open(source, period).await?;
    let reduce = args.reduce;
    let replies = server.transceiver();
    let mut stats = StreamStats::new(!args.out.no_hash);
    let mut tally = ReplyTally::new(!args.out.no_hash);
    // In the lock-step patterns the source is asked for its next frame once the last one is
    // answered: from handing a frame over to being asked again is one round trip.
    let lock_step = server.options().pattern.has_replies() && server.options().max_in_flight == 1;
    let mut rtts = Percentiles::new();
    let mut series = Series::default();
    let gauge = server.rate();
    let mut status = Status::new(args.out.json);
    let (wire, live_in, outages) = (server.bytes_sent(), live.clone(), server.outages());
    let (stats_in, tally_in, rtts_in, series_in) = (&mut stats, &mut tally, &mut rtts, &mut series);
    let gauge_in = gauge.clone();
    let status_in = &mut status;
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
                // Paced, the frame stands for one read on the tick.
                frame = frame.with_captured(SystemTime::now());
            }
            if let Some(r) = replies.transceive_data() {
                tally_in.add(&r);
            }
            stats_in.record(&frame);
            status_in.update(|| Snapshot {
                frames: stats_in.frames(),
                fps: stats_in.fps(),
                wire_bytes: wire.get(),
                rtt_ms: rtts_in.ms(50.0),
                dropped: live_in.as_ref().map(LiveCounts::dropped),
                outages: Some((outages.count(), outages.total())),
                rate: rate_text(&gauge_in),
                ..Snapshot::default()
            });
            n += 1;
            let handed = Instant::now();
            if bidirectional {
                yield SourceItem::from((data.clone(), frame));
            } else {
                yield SourceItem::Frame(frame);
            }
            if lock_step {
                rtts_in.record(handed.elapsed());
            }
            let (kbps, quality) = (gauge_in.kbps(), gauge_in.quality());
            series_in.record(None, wire.get(), (kbps > 0).then_some(kbps), Some(quality));
        }
    };
    let result = server.launch_try::<_, _, Error>(source).await;
    status.finish();
    // The answer to the last frame is queued after the source has ended.
    while let Some(r) = server.transceive_data() {
        tally.add(&r);
    }
    result?;
    report(
        &args,
        &server,
        &stats,
        &tally,
        &rtts,
        live.as_ref(),
        &series,
    );
    Ok(())
}

/// The status line's note of the rate: `h264 3200 kbit/s`, `jpeg q 62`, and the reduction.
fn rate_text(gauge: &RateGauge) -> Option<String> {
    let mut text = match (gauge.quality(), gauge.kbps()) {
        (q, _) if q > 0 => format!("jpeg q {q}"),
        (_, k) if k > 0 => format!("{k} kbit/s"),
        _ => return None,
    };
    if gauge.reduce_pct() > 0 {
        text += &format!(" (reduced {} %)", gauge.reduce_pct());
    }
    Some(text)
}

/// The source's frames, opened. A live source (a camera, a stream, the test pattern at --fps) is
/// captured on its own clock and the newest frame goes out (its counts are returned); a file is
/// read at the pace the link allows (or --fps: the interval returned), and nothing is dropped.
async fn open(
    source: Source,
    period: Option<Duration>,
) -> Result<(Frames, Option<LiveCounts>, Option<Interval>), Error> {
    Ok(match (source, period) {
        (Source::TestPattern(pattern), Some(period)) => {
            let live = Live::new(camera(pattern, period));
            let counts = live.counts();
            (live.boxed(), Some(counts), None)
        }
        (Source::Video(video), _) if video.is_live() => {
            let live = Live::new(Source::Video(video).open().await?);
            let counts = live.counts();
            (live.boxed(), Some(counts), None)
        }
        (source, period) => {
            let pace = period.map(|p| {
                let mut i = tokio::time::interval(p);
                i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                i
            });
            (source.open().await?, None, pace)
        }
    })
}

/// The test pattern as a camera: a frame captured on every tick of its own clock, whether or
/// not the sender is ready for it (a late tick is skipped, as a camera would).
pub(crate) fn camera(
    pattern: TestPattern,
    period: Duration,
) -> impl futures::Stream<Item = Result<Frame, Error>> + Send + 'static {
    let mut clock = tokio::time::interval(period);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    futures::stream::unfold((clock, 0u64), move |(mut clock, n)| {
        let pattern = pattern.clone();
        async move {
            clock.tick().await;
            Some((Ok(pattern.frame(n)), (clock, n + 1)))
        }
    })
}

/// The server's options, the data sent with every frame and the pace, once the flags agree.
fn check(args: &ServeArgs) -> Result<(Options, Option<Data>, Option<Duration>), CliError> {
    let data = text_or_json(&args.data, &args.data_json, "--data-json")?;
    let mut opts = args.conn.options(netgear::End::Server)?;
    opts.max_in_flight = args.max_in_flight;
    // The command's sources (the test pattern, a video, a camera) never read the answers: in
    // Bidirectional Mode too the next frame is encoded while this one's answer is awaited.
    opts.encode_ahead = true;
    if data.is_some() && !opts.bidirectional_mode {
        return Err(FlagError::Needs {
            flags: "--data and --data-json",
            needs: "--bidirectional",
        }
        .into());
    }
    let period = match args.fps {
        Some(fps) if fps.is_finite() && fps > 0.0 => Some(Duration::from_secs_f64(1.0 / fps)),
        Some(fps) => {
            return Err(
                FlagError::value(format!("--fps {fps}"), "must be a positive number").into(),
            );
        }
        None => None,
    };
    Ok((opts, data, period))
}

/// Tells what was served on stderr, and prints the summary.
fn report(
    args: &ServeArgs,
    server: &Server,
    stats: &StreamStats,
    tally: &ReplyTally,
    rtts: &Percentiles,
    live: Option<&LiveCounts>,
    series: &Series,
) {
    let bidirectional = server.options().bidirectional_mode;
    if let Some(counts) = live {
        eprintln!(
            "live source: {} frames captured, {} dropped (the newest goes out)",
            counts.captured(),
            counts.dropped()
        );
    }
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
    // The last frame's round trip ends inside `launch`, after the source: not counted.
    rtts.write_json("rtt", &mut summary);
    // Frames a live source made that the link had no time for (0 for a file).
    let dropped = live.map_or(0, LiveCounts::dropped);
    summary.insert("dropped".into(), dropped.into());
    stats.write_wire_json(server.bytes_sent().get(), &mut summary);
    // The receiver's absences: how many, their time, and the frames whose answers they took.
    let outages = server.outages();
    summary.insert("outages".into(), outages.count().into());
    summary.insert("outage_s".into(), outages.total().as_secs_f64().into());
    summary.insert("answers_lost".into(), outages.frames_lost().into());
    StreamStats::write_codec_json(&server.codec_times(), &mut summary);
    // The rate chosen (--rate auto follows the link): per second, and over the stream.
    series.write_json(&mut summary);
    series.write_rate_json(&mut summary);
    print_summary(&args.out, summary);
}
