//! `netgear recv`: receive mode, with answers, a window and a recording. [`recv`] reads as its
//! steps: the flags checked, a [`Session`] set up, the receive loop (each frame counted, then
//! handled: shown, recorded, answered), and the report once the stream has ended, however it
//! ended (its end, an error, a signal: the recording is finished and the summary printed).

use std::path::PathBuf;
use std::time::SystemTime;

use clap::Args;
use futures::StreamExt;
use futures::stream::BoxStream;
use netgear::{Client, CodecTimes, Data, Error, Frame, Options};
use serde_json::Value as Json;

use crate::args::{Conn, MediaArgs, Output, print_summary, text_or_json};
use crate::error::{CliError, FlagError};
use crate::preview::data_preview;
use crate::quality::PsnrMeter;
use crate::saving::{SaveSize, Saving, save_size};
use crate::stats::{Percentiles, Series, StreamStats};
use crate::status::{Snapshot, Status};
use crate::stop::Stop;
use crate::window::{Window, open_display, show};

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
    /// sender streaming `testsrc`, or `--psnr=testsrc:noise=N` for `testsrc:noise=N`, with lossy
    /// compression): `psnr_min_db` and `psnr_mean_db` in the summary. A frame smaller than the
    /// largest seen (a sender's `--rate auto` reduced it) is enlarged back first, as a viewer
    /// sees it. Measured on a thread of its own; frames that come while it is busy are left
    /// out and counted (`psnr_skipped`).
    #[arg(long, value_name = "PATTERN", num_args = 0..=1, require_equals = true,
          default_missing_value = "testsrc", value_parser = crate::args::psnr_spec)]
    pub(crate) psnr: Option<u8>,
    /// Frame rate written into the recording.
    #[arg(long, default_value_t = 25.0)]
    pub(crate) save_fps: f64,
    /// The recording's frame size, `WIDTHxHEIGHT` (BGR frames) or `WIDTHxHEIGHTxCHANNELS`
    /// (1: gray, 3: BGR, 4: BGRA): frames of any other shape are skipped and counted. Without
    /// it the first frame that can be recorded sets the size, whoever sent it.
    #[arg(long, value_name = "WxH[xC]", value_parser = save_size, requires = "save")]
    pub(crate) save_size: Option<SaveSize>,
    #[command(flatten)]
    pub(crate) media: MediaArgs,
}

/// Receives until the stream ends (or `--frames`, an error, a signal), then prints the summary.
pub(crate) async fn recv(args: RecvArgs) -> Result<(), CliError> {
    let (opts, reply) = check(&args)?;
    // Before anything else: from here on, Ctrl-C and SIGTERM end the stream the way its end
    // would (the recording finished, the summary printed).
    let mut stop = Stop::new()?;
    let mut session = Session::open(&args, reply).await?;
    let client = Client::new(opts)?;
    // Once bound, always: the port in effect (the kernel's pick for --port 0), for a script
    // or a test to wait for and connect to.
    eprintln!("listening on {}", client.local_endpoint());
    let end = session.receive(&client, &mut stop).await;
    session.status.finish();
    if let Some(signal) = end.stopped_by {
        eprintln!("stopped by {signal}");
        exit_on_second_signal(stop);
    }
    let wire_bytes = client.bytes_received();
    let codec_times = client.codec_times();
    let awaiting_key = client.skipped_for_key_frame();
    client.close().await;
    Ok(session
        .report(end, wire_bytes, &codec_times, awaiting_key)
        .await?)
}

/// The client's options and the data to answer each frame with, once the flags agree.
fn check(args: &RecvArgs) -> Result<(Options, Option<Data>), CliError> {
    let reply = text_or_json(&args.reply, &args.reply_json, "--reply-json")?;
    let opts = args.conn.options(netgear::End::Client)?;
    let replies_frames = args.reply_frame || args.reply_source.is_some();
    if (reply.is_some() || replies_frames) && !opts.bidirectional_mode {
        return Err(FlagError::Needs {
            flags: "--reply, --reply-json, --reply-frame and --reply-source",
            needs: "--bidirectional",
        }
        .into());
    }
    Ok((opts, reply))
}

/// Once the first signal has stopped the stream, a second one does not wait for the recording
/// to be finished.
fn exit_on_second_signal(mut stop: Stop) {
    tokio::spawn(async move {
        let again = stop.next().await;
        eprintln!("error: stopped by a second {again}: exiting at once");
        std::process::exit(1);
    });
}

/// How the receive loop ended: the stream's error, if any, and the signal that stopped it.
struct Ending {
    outcome: Result<(), Error>,
    stopped_by: Option<&'static str>,
}

/// One `recv` run: what each frame goes to and what is counted of the stream.
struct Session<'a> {
    args: &'a RecvArgs,
    /// The data sent back with the answer to each frame (`--reply`, `--reply-json`).
    reply: Option<Data>,
    /// `--reply-source`: the frames sent back.
    reply_source: Option<BoxStream<'static, Result<Frame, Error>>>,
    display: Option<Window>,
    saving: Option<Saving>,
    stats: StreamStats,
    /// Receive time minus capture time, for frames from a netgear-rs sender: meaningful when
    /// the two ends share a clock (one machine, or clocks kept in step).
    ages: Percentiles,
    /// Second by second (written with --json).
    series: Series,
    status: Status,
    /// A frame queued as a reply is sent with the answer to the next frame: hashed then.
    reply_stats: StreamStats,
    queued: Option<Frame>,
    /// The previews of the first data received.
    data: Vec<Json>,
    psnr: Option<PsnrMeter>,
}

impl<'a> Session<'a> {
    /// Opens what the flags ask for: the reply source, the window, the recording.
    async fn open(args: &'a RecvArgs, reply: Option<Data>) -> Result<Session<'a>, CliError> {
        let reply_source = match &args.reply_source {
            Some(spec) => Some(args.media.source(spec, 640, 480).open().await?),
            None => None,
        };
        let display = if args.display {
            Some(open_display()?)
        } else {
            None
        };
        let saving = args.save.as_ref().map(|path| {
            Saving::new(
                path.clone(),
                args.save_fps,
                args.media.ffmpeg.clone(),
                args.media.media_timeout,
                args.save_size,
            )
        });
        Ok(Session {
            args,
            reply,
            reply_source,
            display,
            saving,
            stats: StreamStats::new(!args.out.no_hash),
            ages: Percentiles::new(),
            series: Series::default(),
            status: Status::new(args.out.json),
            reply_stats: StreamStats::new(!args.out.no_hash),
            queued: None,
            data: Vec::new(),
            psnr: args.psnr.map(PsnrMeter::new),
        })
    }

    /// Receives until the stream ends, fails, reaches `--frames` or a signal stops it.
    async fn receive(&mut self, client: &Client, stop: &mut Stop) -> Ending {
        let limit = self.args.frames.unwrap_or(u64::MAX);
        let mut end = Ending {
            outcome: Ok(()),
            stopped_by: None,
        };
        let mut frames = std::pin::pin!(client.recv_generator());
        while self.stats.frames() < limit {
            let next = tokio::select! {
                next = frames.next() => next,
                signal = stop.next() => {
                    end.stopped_by = Some(signal);
                    break;
                }
            };
            let (data, frame) = match next {
                Some(Ok(item)) => item,
                Some(Err(e)) => {
                    end.outcome = Err(e);
                    break;
                }
                None => break,
            };
            self.count(client, data.as_ref(), &frame);
            // Any error from here on ends the stream as a stream error does: the recording is
            // finished and the summary printed.
            if let Err(e) = self.handle(client, &frame).await {
                end.outcome = Err(e);
                break;
            }
        }
        end
    }

    /// Counts a frame received: stats, PSNR, age, the status line, the data's preview.
    fn count(&mut self, client: &Client, data: Option<&Data>, frame: &Frame) {
        if let Some(sent) = self.queued.take() {
            self.reply_stats.record(&sent);
        }
        self.stats.record(frame);
        if let Some(meter) = self.psnr.as_mut() {
            meter.offer(frame);
        }
        // A sender's clock ahead of ours counts as no age at all.
        let age = frame.captured().map(|captured| {
            SystemTime::now()
                .duration_since(captured)
                .unwrap_or_default()
        });
        if let Some(age) = age {
            self.ages.record(age);
        }
        self.series.record(age, client.bytes_received(), None, None);
        let (stats, ages) = (&self.stats, &self.ages);
        self.status.update(|| Snapshot {
            frames: stats.frames(),
            fps: stats.fps(),
            wire_bytes: client.bytes_received(),
            age_ms: ages.ms(50.0),
            ..Snapshot::default()
        });
        if self.data.len() < 10 {
            self.data.push(data.map_or(Json::Null, data_preview));
        }
    }

    /// Shows a frame, records it, and answers it.
    async fn handle(&mut self, client: &Client, frame: &Frame) -> Result<(), Error> {
        if let Some(window) = &self.display {
            show(window, frame)?;
        }
        if let Some(saving) = self.saving.as_mut() {
            saving.offer(frame).await?;
        }
        let back = match self.reply_source.as_mut() {
            Some(src) => src.next().await.transpose()?,
            None => self.args.reply_frame.then(|| frame.clone()),
        };
        if let Some(r) = &self.reply {
            client.transceive_data(r.clone())?;
        } else if let Some(f) = back {
            client.transceive_data(f.clone())?;
            self.queued = Some(f);
        }
        Ok(())
    }

    /// Finishes the recording and prints the summary; the stream's outcome, or the
    /// recording's error after a stream that ended well.
    async fn report(
        mut self,
        end: Ending,
        wire_bytes: u64,
        codec_times: &CodecTimes,
        awaiting_key: u64,
    ) -> Result<(), Error> {
        let saved = match self.saving.take() {
            Some(saving) => Some(saving.finish().await),
            None => None,
        };
        eprintln!(
            "received {} frames at {:.1} fps",
            self.stats.frames(),
            self.stats.fps()
        );
        let args = self.args;
        let mut summary = self.summary(wire_bytes, codec_times);
        // H.264 frames not shown: one before them was missing (until the next key frame).
        summary.insert("h264_skipped".into(), awaiting_key.into());
        let mut outcome = end.outcome;
        if let Some(saved) = saved {
            saved.report(&mut outcome, &mut summary);
        }
        if let Some(signal) = end.stopped_by {
            summary.insert("stopped_by".into(), signal.into());
        }
        if let Err(e) = &outcome {
            summary.insert("error".into(), netgear::error_chain(e).into());
        }
        print_summary(&args.out, summary);
        outcome
    }

    /// The summary of the stream received and of the answers sent.
    fn summary(self, wire_bytes: u64, codec_times: &CodecTimes) -> serde_json::Map<String, Json> {
        let mut summary = self.stats.to_json();
        self.ages.write_json("age", &mut summary);
        self.series.write_json(&mut summary);
        self.stats.write_wire_json(wire_bytes, &mut summary);
        StreamStats::write_codec_json(codec_times, &mut summary);
        if let Some(meter) = self.psnr {
            meter.write_json(&mut summary);
        }
        summary.insert("data".into(), Json::Array(self.data));
        summary.insert("reply_frames".into(), self.reply_stats.frames().into());
        if let Some(h) = self.reply_stats.sha256() {
            summary.insert("reply_sha256".into(), h.into());
        }
        summary
    }
}
