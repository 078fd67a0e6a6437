//! `netgear recv`: receive mode, with answers, a window and a recording.

use std::path::PathBuf;
use std::time::SystemTime;

use clap::Args;
use futures::StreamExt;
use netgear::media::Recorder;
use netgear::{Client, Data, Error, Frame};
use serde_json::Value as Json;

use crate::args::{Conn, MediaArgs, Output, print_summary, text_or_json};
use crate::quality::PsnrMeter;
use crate::stats::{Percentiles, StreamStats};
use crate::status::{Snapshot, Status};

#[derive(Args)]
pub(crate) struct RecvArgs {
    #[command(flatten)]
    pub(crate) conn: Conn,
    #[command(flatten)]
    pub(crate) out: Output,
    /// Text sent back with the answer to each frame (bidirectional mode).
    #[arg(long, conflicts_with_all = ["reply_json", "reply_frame"])]
    pub(crate) reply: Option<String>,
    /// A JSON value sent back with the answer to each frame (bidirectional mode).
    #[arg(long, conflicts_with = "reply_frame")]
    pub(crate) reply_json: Option<String>,
    /// Send each received frame back as the answer to the next one, as in video chat.
    #[arg(long)]
    pub(crate) reply_frame: bool,
    /// Send frames from this source back with the answer to each frame (video chat):
    /// `testsrc`, a video file, a stream URL or a device.
    #[arg(long, conflicts_with_all = ["reply", "reply_json", "reply_frame"])]
    pub(crate) reply_source: Option<String>,
    /// Stop after this many frames.
    #[arg(long)]
    pub(crate) frames: Option<u64>,
    /// Show the frames in a window, with the frame rate in its title.
    #[arg(long)]
    pub(crate) display: bool,
    /// Record the frames into this video file (H.264; ffmpeg).
    #[arg(long)]
    pub(crate) save: Option<PathBuf>,
    /// Measure the PSNR of each frame against the built-in test pattern it was sent as (for a
    /// sender streaming `testsrc` with lossy compression): `psnr_min_db` and `psnr_mean_db`
    /// in the summary. Measured on a thread of its own; frames that come while it is busy are
    /// left out and counted (`psnr_skipped`).
    #[arg(long)]
    pub(crate) psnr: bool,
    /// Frame rate written into the recording.
    #[arg(long, default_value_t = 25.0)]
    pub(crate) save_fps: f64,
    #[command(flatten)]
    pub(crate) media: MediaArgs,
}

pub(crate) async fn recv(args: RecvArgs) -> Result<(), Error> {
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
    // Receive time minus capture time, for frames from a netgear-rs sender: meaningful when the
    // two ends share a clock (one machine, or clocks kept in step).
    let mut ages = Percentiles::new();
    let mut status = Status::new(args.out.json);
    // A frame queued as a reply is sent with the answer to the next frame: hash it then.
    let mut reply_stats = StreamStats::new(!args.out.no_hash);
    let mut queued: Option<Frame> = None;
    let mut recorder: Option<Recorder> = None;
    let mut data = Vec::new();
    let mut psnr = args.psnr.then(PsnrMeter::new);
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
            if let Some(meter) = psnr.as_mut() {
                meter.offer(&frame);
            }
            if let Some(captured) = frame.captured() {
                // A sender's clock ahead of ours counts as no age at all.
                ages.record(
                    SystemTime::now()
                        .duration_since(captured)
                        .unwrap_or_default(),
                );
            }
            status.update(|| Snapshot {
                frames: stats.frames(),
                fps: stats.fps(),
                wire_bytes: client.bytes_received(),
                age_ms: ages.ms(50.0),
                ..Snapshot::default()
            });
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
    status.finish();
    let wire_bytes = client.bytes_received();
    let codec_times = client.codec_times();
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
    ages.write_json("age", &mut summary);
    stats.write_wire_json(wire_bytes, &mut summary);
    StreamStats::write_codec_json(&codec_times, &mut summary);
    if let Some(meter) = psnr {
        meter.write_json(&mut summary);
    }
    summary.insert("data".into(), Json::Array(data));
    summary.insert("reply_frames".into(), reply_stats.frames().into());
    if let Some(h) = reply_stats.sha256() {
        summary.insert("reply_sha256".into(), h.into());
    }
    if let Err(e) = &outcome {
        summary.insert("error".into(), crate::chain(e).into());
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
