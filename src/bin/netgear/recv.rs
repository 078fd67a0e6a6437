//! `netgear recv`: receive mode, with answers, a window and a recording.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Args;
use futures::StreamExt;
use netgear::media::Recorder;
use netgear::rmpv::Value;
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
    /// The recording's frame size, `WIDTHxHEIGHT` (BGR frames) or `WIDTHxHEIGHTxCHANNELS`
    /// (1: gray, 3: BGR, 4: BGRA): frames of any other shape are skipped and counted. Without
    /// it the first frame that can be recorded sets the size, whoever sent it.
    #[arg(long, value_name = "WxH[xC]", value_parser = save_size, requires = "save")]
    pub(crate) save_size: Option<SaveSize>,
    #[command(flatten)]
    pub(crate) media: MediaArgs,
}

pub(crate) async fn recv(args: RecvArgs) -> Result<(), Error> {
    let reply = text_or_json(&args.reply, &args.reply_json, "--reply-json")?;
    let opts = args.conn.options(netgear::End::Client)?;
    let replies_frames = args.reply_frame || args.reply_source.is_some();
    if (reply.is_some() || replies_frames) && !opts.bidirectional_mode {
        return Err(Error::InvalidOption(
            "--reply, --reply-json, --reply-frame and --reply-source need --bidirectional".into(),
        ));
    }
    // Before anything else: from here on, Ctrl-C and SIGTERM end the stream the way its end
    // would (the recording finished, the summary printed).
    let mut stop = Stop::new()?;
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
    // Once bound, always: the port in effect (the kernel's pick for --port 0), for a script
    // or a test to wait for and connect to.
    eprintln!("listening on {}", client.local_endpoint());
    let mut stats = StreamStats::new(!args.out.no_hash);
    // Receive time minus capture time, for frames from a netgear-rs sender: meaningful when the
    // two ends share a clock (one machine, or clocks kept in step).
    let mut ages = Percentiles::new();
    let mut status = Status::new(args.out.json);
    // A frame queued as a reply is sent with the answer to the next frame: hash it then.
    let mut reply_stats = StreamStats::new(!args.out.no_hash);
    let mut queued: Option<Frame> = None;
    let mut saving = args.save.as_ref().map(|path| Saving {
        path: path.clone(),
        fps: args.save_fps,
        ffmpeg: args.media.ffmpeg.clone(),
        timeout: args.media.media_timeout,
        size: args.save_size,
        recorder: None,
        skipped: 0,
    });
    let mut data = Vec::new();
    let mut psnr = args.psnr.then(PsnrMeter::new);
    let limit = args.frames.unwrap_or(u64::MAX);
    let mut outcome = Ok(());
    let mut stopped_by = None;
    {
        let mut frames = std::pin::pin!(client.recv_generator());
        while stats.frames() < limit {
            let next = tokio::select! {
                next = frames.next() => next,
                signal = stop.next() => {
                    stopped_by = Some(signal);
                    break;
                }
            };
            let (d, frame) = match next {
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
                data.push(d.as_ref().map_or(Json::Null, data_preview));
            }
            // Any error from here on ends the stream as a stream error does: the recording is
            // finished and the summary printed below.
            let handled = async {
                if let Some(window) = &display {
                    show(window, &frame)?;
                }
                if let Some(saving) = saving.as_mut() {
                    saving.offer(&frame).await?;
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
                Ok::<_, Error>(())
            };
            if let Err(e) = handled.await {
                outcome = Err(e);
                break;
            }
        }
    }
    status.finish();
    if let Some(signal) = stopped_by {
        eprintln!("stopped by {signal}");
        // A second signal does not wait for the recording to be finished.
        tokio::spawn(async move {
            let again = stop.next().await;
            eprintln!("error: stopped by a second {again}: exiting at once");
            std::process::exit(1);
        });
    }
    let wire_bytes = client.bytes_received();
    let codec_times = client.codec_times();
    client.close().await;
    let saved = match saving {
        Some(saving) => Some(saving.finish().await),
        None => None,
    };
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
    if let Some(saved) = saved {
        summary.insert("save_frames".into(), saved.frames.into());
        summary.insert("save_skipped".into(), saved.skipped.into());
        if let Err(e) = saved.finished {
            summary.insert("save_error".into(), crate::chain(&e).into());
            if outcome.is_ok() {
                outcome = Err(e);
            } else {
                eprintln!("error: the recording: {}", crate::chain(&e));
            }
        }
    }
    if let Some(signal) = stopped_by {
        summary.insert("stopped_by".into(), signal.into());
    }
    if let Err(e) = &outcome {
        summary.insert("error".into(), crate::chain(e).into());
    }
    print_summary(&args.out, summary);
    outcome
}

/// Ctrl-C (SIGINT) and SIGTERM, caught from the start of `recv`.
struct Stop {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Stop {
    fn new() -> Result<Stop, Error> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Stop {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Stop {})
    }

    /// The next signal's name.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// How many skipped frames are named on stderr; the rest are only counted (a peer sending
/// frames of another shape cannot flood the terminal).
const SKIPS_SHOWN: u64 = 10;

/// `--save-size`: width, height and channels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SaveSize {
    width: usize,
    height: usize,
    channels: usize,
}

impl SaveSize {
    /// The shape of the frames this size takes (numpy's order).
    fn shape(self) -> Vec<usize> {
        match self.channels {
            1 => vec![self.height, self.width],
            c => vec![self.height, self.width, c],
        }
    }
}

/// Parses `--save-size`: `WxH` or `WxHxC`, each side from 1 to [`Recorder::MAX_SIDE`].
fn save_size(s: &str) -> Result<SaveSize, String> {
    let numbers = s
        .split('x')
        .map(str::parse::<usize>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{s:?}: {e} (expected WIDTHxHEIGHT or WIDTHxHEIGHTxCHANNELS)"))?;
    let (width, height, channels) = match numbers[..] {
        [w, h] => (w, h, 3),
        [w, h, c] => (w, h, c),
        _ => {
            return Err(format!(
                "{s:?}: expected WIDTHxHEIGHT or WIDTHxHEIGHTxCHANNELS"
            ));
        }
    };
    let side = 1..=Recorder::MAX_SIDE;
    if !side.contains(&width) || !side.contains(&height) {
        return Err(format!(
            "{s}: a recording takes 1 to {} pixels a side",
            Recorder::MAX_SIDE
        ));
    }
    if !matches!(channels, 1 | 3 | 4) {
        return Err(format!("{s}: 1 (gray), 3 (BGR) or 4 (BGRA) channels"));
    }
    Ok(SaveSize {
        width,
        height,
        channels,
    })
}

/// `--save`: the recording, sized by `--save-size` or else by the first frame it can take.
/// Frames of another shape or dtype (from another sender, say) are skipped and counted, never
/// an error: a stranger cannot end the recording, nor, with `--save-size`, spoil it.
struct Saving {
    path: PathBuf,
    fps: f64,
    ffmpeg: Option<PathBuf>,
    timeout: Duration,
    size: Option<SaveSize>,
    recorder: Option<Recorder>,
    skipped: u64,
}

/// What became of a recording.
struct Saved {
    frames: u64,
    skipped: u64,
    finished: Result<(), Error>,
}

impl Saving {
    /// Records `frame`, or skips it.
    async fn offer(&mut self, frame: &Frame) -> Result<(), Error> {
        let recorder = match &mut self.recorder {
            Some(r) if r.accepts(frame) => r,
            Some(r) => {
                let recording = format!("uint8 frames of shape {:?}", r.shape());
                self.skip(frame, &recording);
                return Ok(());
            }
            None => match self.size {
                Some(size)
                    if frame.dtype() != netgear::Dtype::U8 || frame.shape() != size.shape() =>
                {
                    let recording = format!("uint8 frames of shape {:?}", size.shape());
                    self.skip(frame, &recording);
                    return Ok(());
                }
                None if !Recorder::can_record(frame) => {
                    let recording =
                        format!("uint8 images of 1 to {} pixels a side", Recorder::MAX_SIDE);
                    self.skip(frame, &recording);
                    return Ok(());
                }
                _ => self.recorder.insert(
                    Recorder::for_frame(&self.path, frame, self.fps, self.ffmpeg.as_deref())?
                        .with_timeout(self.timeout),
                ),
            },
        };
        recorder.write(frame).await
    }

    fn skip(&mut self, frame: &Frame, recording: &str) {
        self.skipped += 1;
        if self.skipped <= SKIPS_SHOWN {
            eprintln!(
                "not recorded: a {} frame of shape {:?} (the recording takes {recording}; {} \
                 skipped so far)",
                frame.dtype().numpy_name(),
                frame.shape(),
                self.skipped
            );
        }
        if self.skipped == SKIPS_SHOWN {
            eprintln!("not recorded: further skipped frames are counted (save_skipped), not shown");
        }
    }

    /// Finishes the file (a recording that never started has nothing to finish).
    async fn finish(self) -> Saved {
        let Some(recorder) = self.recorder else {
            return Saved {
                frames: 0,
                skipped: self.skipped,
                finished: Ok(()),
            };
        };
        let path = self.path.display();
        match recorder.finish().await {
            Ok(frames) => {
                eprintln!(
                    "recorded {frames} frames in {path} ({} skipped)",
                    self.skipped
                );
                Saved {
                    frames,
                    skipped: self.skipped,
                    finished: Ok(()),
                }
            }
            Err(e) => Saved {
                frames: 0,
                skipped: self.skipped,
                finished: Err(e),
            },
        }
    }
}

/// Bytes of JSON each value of the summary's `data` is cut to (about: a marker says where).
pub(crate) const PREVIEW_BYTES: usize = 1024;

/// Bytes of a binary value shown, as hex.
const HEX_BYTES: usize = 32;

/// A value of data as the summary shows it: as [`Data::to_json`] gives it while that is short,
/// cut to about [`PREVIEW_BYTES`] of JSON otherwise (a peer's megabyte of data must not become
/// tens of megabytes of JSON). Binary is `{"bin": LENGTH, "hex": "first 32 bytes"}` (ext
/// adds `"ext": TYPE`); a string cut short ends in `…`; an array cut short ends in a
/// `"… N more"` element, a map in a `"…": "N more"` entry.
pub(crate) fn data_preview(d: &Data) -> Json {
    let mut budget = PREVIEW_BYTES;
    preview(&d.0, &mut budget)
}

fn preview(v: &Value, budget: &mut usize) -> Json {
    let json = match v {
        Value::Binary(b) => bin_preview(None, b),
        Value::Ext(t, b) => bin_preview(Some(*t), b),
        Value::String(s) => {
            // A bounded prefix only, before any copy of a long string.
            let bytes = s.as_bytes();
            let head = &bytes[..bytes.len().min(*budget + 4)];
            let (text, cut) = cut_text(&String::from_utf8_lossy(head), budget);
            return Json::String(if cut || head.len() < bytes.len() {
                text + "…"
            } else {
                text
            });
        }
        Value::Array(items) => {
            *budget = budget.saturating_sub(2);
            let mut out = Vec::new();
            for item in items {
                if *budget == 0 {
                    break;
                }
                *budget = budget.saturating_sub(1);
                out.push(preview(item, budget));
            }
            if out.len() < items.len() {
                let more = format!("… {} more", items.len() - out.len());
                *budget = budget.saturating_sub(more.len() + 3);
                out.push(Json::String(more));
            }
            return Json::Array(out);
        }
        Value::Map(entries) => {
            *budget = budget.saturating_sub(2);
            let mut out = serde_json::Map::new();
            for (k, v) in entries {
                if *budget == 0 {
                    break;
                }
                let key = match k {
                    Value::String(_) => preview(k, budget),
                    other => Json::String(preview(other, budget).to_string()),
                };
                let key = match key {
                    Json::String(s) => s,
                    other => other.to_string(),
                };
                *budget = budget.saturating_sub(4);
                let value = preview(v, budget);
                out.insert(key, value);
            }
            if out.len() < entries.len() {
                let more = format!("{} more", entries.len() - out.len());
                *budget = budget.saturating_sub(more.len() + 8);
                out.insert("…".into(), Json::String(more));
            }
            return Json::Object(out);
        }
        scalar => Data(scalar.clone()).to_json(),
    };
    *budget = budget.saturating_sub(json.to_string().len());
    json
}

/// `{"bin": LENGTH, "hex": ...}` (and `"ext"`): the length and the first [`HEX_BYTES`].
fn bin_preview(ext: Option<i8>, bytes: &[u8]) -> Json {
    let mut m = serde_json::Map::new();
    if let Some(t) = ext {
        m.insert("ext".into(), t.into());
    }
    m.insert("bin".into(), bytes.len().into());
    m.insert(
        "hex".into(),
        hex::encode(&bytes[..bytes.len().min(HEX_BYTES)]).into(),
    );
    Json::Object(m)
}

/// The longest prefix of `text` whose JSON (quoted, escaped) fits `budget`, the budget left,
/// and whether it was cut.
fn cut_text(text: &str, budget: &mut usize) -> (String, bool) {
    *budget = budget.saturating_sub(2);
    let mut out = String::new();
    for c in text.chars() {
        let cost = match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        };
        if cost > *budget {
            return (out, true);
        }
        *budget -= cost;
        out.push(c);
    }
    (out, false)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(v: Value) -> Json {
        data_preview(&Data(v))
    }

    #[test]
    fn short_values_are_shown_as_they_are() {
        let v = serde_json::json!({"a": [1, -2, 2.5, "x", null, true], "b": {"c": "d"}});
        assert_eq!(data_preview(&Data::from_json(&v)), v);
    }

    #[test]
    fn long_values_are_cut_to_the_budget() {
        // Every character of this string takes two bytes of JSON (`\"`).
        let quotes = shown(Value::from("\"".repeat(5000)));
        let text = quotes.as_str().expect("a string");
        assert!(text.ends_with('…'));
        assert!(quotes.to_string().len() <= PREVIEW_BYTES + 3, "{quotes}");
        let nested = Value::Array(vec![Value::Array(vec![Value::from(7); 300]); 300]);
        assert!(shown(nested).to_string().len() <= 2 * PREVIEW_BYTES);
        assert_eq!(
            shown(Value::Binary(vec![0xff; 3])),
            serde_json::json!({"bin": 3, "hex": "ffffff"})
        );
    }
}
