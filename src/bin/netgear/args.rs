//! The flags `serve` and `recv` share: where to connect or bind, what to print, where frames
//! come from; and the few helpers that read them.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use netgear::media::{TestPattern, VideoOptions};
use netgear::{
    Compression, Data, End, Error, Options, Pattern, Protocol, Secure, SecureMode, Source,
};
use serde_json::Value as Json;

use crate::error::{CliError, FlagError};

#[derive(Args, Clone)]
pub(crate) struct Conn {
    /// Address to connect (serve; default localhost) or bind (recv; default *).
    #[arg(long)]
    pub(crate) address: Option<String>,
    /// Port.
    #[arg(long, default_value_t = 5555)]
    pub(crate) port: u16,
    /// tcp or ipc.
    #[arg(long, default_value = "tcp")]
    pub(crate) protocol: String,
    /// 0 PAIR, 1 REQ/REP, 2 PUB/SUB, 3 PUSH/PULL.
    #[arg(long, default_value_t = 0)]
    pub(crate) pattern: u8,
    /// Seconds to wait for the peer (0 means 15).
    #[arg(long, default_value_t = 15.0)]
    pub(crate) timeout: f64,
    /// Bidirectional mode (patterns 0 and 1).
    #[arg(long)]
    pub(crate) bidirectional: bool,
    /// Compress the frames this end sends (serve: its frames; recv: frame replies): none,
    /// jpeg[:QUALITY] (8-bit 1- and 3-channel frames; default quality 90), lz4 or
    /// zstd[:LEVEL] (lossless, any frame). A netgear-rs receiver needs no flag to read them;
    /// a vidgear receiver refuses them.
    #[arg(long, default_value = "none")]
    pub(crate) compress: String,
    /// Secure mode (ZeroMQ CURVE): stonehouse (encrypted, the receiver authenticated) or
    /// ironhouse (also only the senders whose public keys are in KEYS/public_keys). Both ends
    /// need it, with --keys.
    #[arg(long, requires = "keys", value_name = "MODE")]
    pub(crate) secure: Option<String>,
    /// The keys directory `netgear keygen` wrote (recv reads private_keys/server.key_secret
    /// and, in ironhouse, public_keys/*.key; serve reads public_keys/server.key and
    /// private_keys/client.key_secret).
    #[arg(long, requires = "secure", value_name = "DIR")]
    pub(crate) keys: Option<PathBuf>,
    /// Keep streaming through the peer's absences: serve outlives receiver restarts and link
    /// outages of any length (it waits for the receiver, takes nothing from its source
    /// meanwhile, and resumes as soon as it is back; a frame whose answer was lost is counted,
    /// not sent again); recv waits for senders without a time limit.
    #[arg(long)]
    pub(crate) reconnect: bool,
}

impl Conn {
    /// The options of a send-mode (`End::Server`) or receive-mode (`End::Client`) end.
    pub(crate) fn options(&self, end: End) -> Result<Options, CliError> {
        if !self.timeout.is_finite() || self.timeout < 0.0 {
            return Err(FlagError::value(
                format!("timeout {}", self.timeout),
                "must be 0 or more seconds",
            )
            .into());
        }
        Ok(Options {
            address: self.address.clone(),
            port: self.port,
            protocol: self.protocol.parse::<Protocol>().map_err(Error::from)?,
            pattern: Pattern::try_from(self.pattern).map_err(Error::from)?,
            timeout: Duration::from_secs_f64(self.timeout),
            bidirectional_mode: self.bidirectional,
            compression: self.compress.parse::<Compression>().map_err(Error::from)?,
            secure: self.secure(end)?,
            reconnect: self.reconnect,
            ..Options::default()
        })
    }

    fn secure(&self, end: End) -> Result<Option<Secure>, Error> {
        let (Some(mode), Some(dir)) = (&self.secure, &self.keys) else {
            return Ok(None);
        };
        let mode = mode.parse::<SecureMode>()?;
        Ok(Some(match end {
            End::Server => Secure::sender(mode, dir)?,
            End::Client => Secure::receiver(mode, dir)?,
        }))
    }
}

#[derive(Args)]
pub(crate) struct Output {
    /// Print a one-line JSON summary as the last line of stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Leave the SHA-256 of the frames out (it costs time per frame).
    #[arg(long)]
    pub(crate) no_hash: bool,
}

/// Where frames come from.
#[derive(Args)]
pub(crate) struct MediaArgs {
    /// `testsrc` (the built-in test pattern), a video file, an image sequence, a stream URL, or a
    /// camera device (with --demuxer v4l2).
    #[arg(long, default_value = "testsrc")]
    pub(crate) source: String,
    /// ffmpeg's input format for devices (v4l2, ...).
    #[arg(long)]
    pub(crate) demuxer: Option<String>,
    /// The ffmpeg executable to use.
    #[arg(long)]
    pub(crate) ffmpeg: Option<PathBuf>,
    /// Seconds ffprobe and ffmpeg may take to answer: to probe a source, to deliver its next
    /// frame, to take a frame to record or to finish a recording. Past it the command fails
    /// with a timeout naming what hung.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = seconds)]
    pub(crate) media_timeout: Duration,
}

/// A positive, finite number of seconds.
fn seconds(s: &str) -> Result<Duration, String> {
    let n: f64 = s.parse().map_err(|e| format!("{s:?}: {e}"))?;
    Duration::try_from_secs_f64(n)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{s}: must be a positive number of seconds"))
}

impl MediaArgs {
    /// The source this names; the test pattern (and cameras) take `width × height`.
    pub(crate) fn source(&self, spec: &str, width: usize, height: usize) -> Source {
        if spec == "testsrc" {
            return Source::TestPattern(TestPattern::new(width, height));
        }
        let mut video = VideoOptions::new(spec);
        video.demuxer = self.demuxer.clone();
        video.ffmpeg = self.ffmpeg.clone();
        video.timeout = self.media_timeout;
        if self.demuxer.is_some() {
            video.resolution = Some((width as u32, height as u32));
        }
        Source::Video(video)
    }
}

/// The data a `--TEXT`/`--TEXT-json` flag pair gives, if any.
pub(crate) fn text_or_json(
    text: &Option<String>,
    json: &Option<String>,
    json_flag: &str,
) -> Result<Option<Data>, FlagError> {
    match (text, json) {
        (Some(t), _) => Ok(Some(Data::from(t.as_str()))),
        (None, Some(j)) => serde_json::from_str::<Json>(j)
            .map(|j| Some(Data::from_json(&j)))
            .map_err(|e| FlagError::value(json_flag, format!("not JSON: {e}"))),
        (None, None) => Ok(None),
    }
}

pub(crate) fn print_summary(out: &Output, summary: serde_json::Map<String, Json>) {
    if out.json {
        println!("{}", Json::Object(summary));
    }
}
