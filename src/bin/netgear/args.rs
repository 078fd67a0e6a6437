//! The flags `serve` and `recv` share: where to connect or bind, what to print, where frames
//! come from; and the few helpers that read them.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use netgear::media::{TestPattern, VideoOptions};
use netgear::{
    Compression, Data, End, Error, Options, Pattern, Protocol, Rate, Secure, SecureMode, Source,
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
    /// tcp, ipc or shm (shared memory between processes of this host).
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
    /// zstd[:LEVEL] (lossless, any frame), or h264[:KBPS] (8-bit BGR frames with even sides
    /// up to 3840x2160, an inter-frame stream at KBPS kbit/s; default 4000). A netgear-rs
    /// receiver needs no flag to read them; a vidgear receiver refuses them.
    #[arg(long, default_value = "none")]
    pub(crate) compress: String,
    /// With --compress h264: the most seconds between key frames (one also goes whenever a
    /// receiver joins). Default: 10 in patterns 0 and 1 (every frame arrives, a receiver
    /// that joins is seen), 2 in patterns 2 and 3.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) key_interval: Option<f64>,
    /// With --compress jpeg or h264: `fixed` (the quality or bitrate given) or `auto`, which
    /// follows the link (answers' round trips in lock-step, waits for room otherwise) with
    /// the value given as the ceiling, and below a floor reduces the frame size (serve).
    #[arg(long, default_value = "fixed", value_name = "fixed|auto")]
    pub(crate) rate: String,
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
        if let Some(secs) = self.key_interval.filter(|s| !s.is_finite() || *s < 0.0) {
            return Err(FlagError::value(
                format!("key interval {secs}"),
                "must be 0 or more seconds",
            )
            .into());
        }
        let rate = self
            .rate
            .parse::<Rate>()
            .map_err(|e| FlagError::value(format!("--rate {}", self.rate), e))?;
        let compression = self.compress.parse::<Compression>().map_err(Error::from)?;
        Ok(Options {
            address: self.address.clone(),
            port: self.port,
            protocol: self.protocol.parse::<Protocol>().map_err(Error::from)?,
            pattern: Pattern::try_from(self.pattern).map_err(Error::from)?,
            timeout: Duration::from_secs_f64(self.timeout),
            bidirectional_mode: self.bidirectional,
            compression: netgear::rate::with_rate(&self.compress, compression, rate),
            secure: self.secure(end)?,
            reconnect: self.reconnect,
            key_interval: self.key_interval.map(Duration::from_secs_f64),
            rate,
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
    /// `testsrc` (the built-in test pattern; `testsrc:noise=N` with noise of up to ±N that
    /// changes every frame, as a camera's sensor makes), a video file, an image sequence, a
    /// stream URL, or a camera device (with --demuxer v4l2).
    #[arg(long, default_value = "testsrc", value_parser = source_spec)]
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
    /// Read the source at its own frame rate (ffmpeg's -re) and treat it as a live camera: the
    /// newest frame goes out, the ones the link has no time for are dropped. For a file, or a
    /// lavfi graph (--demuxer lavfi --source 'testsrc2=size=1920x1080:rate=30,noise=alls=8:allf=t').
    #[arg(long)]
    pub(crate) realtime: bool,
}

/// A positive, finite number of seconds.
fn seconds(s: &str) -> Result<Duration, String> {
    let n: f64 = s.parse().map_err(|e| format!("{s:?}: {e}"))?;
    Duration::try_from_secs_f64(n)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{s}: must be a positive number of seconds"))
}

/// The noise of the built-in test pattern `spec` names: `Ok(Some(0))` for `testsrc`,
/// `Ok(Some(N))` for `testsrc:noise=N`, `Ok(None)` for any other source.
pub(crate) fn testsrc_noise(spec: &str) -> Result<Option<u8>, String> {
    if spec == "testsrc" {
        return Ok(Some(0));
    }
    let Some(rest) = spec.strip_prefix("testsrc:") else {
        return Ok(None);
    };
    rest.strip_prefix("noise=")
        .and_then(|n| n.parse::<u8>().ok())
        .map(Some)
        .ok_or_else(|| {
            format!("{spec}: the test pattern takes `testsrc` or `testsrc:noise=N` (N 0 to 255)")
        })
}

/// A source as --source takes it: a malformed `testsrc:` refused here.
fn source_spec(s: &str) -> Result<String, String> {
    testsrc_noise(s).map(|_| s.to_string())
}

/// `recv --psnr[=testsrc:noise=N]`: the noise of the test pattern the frames were sent as.
pub(crate) fn psnr_spec(s: &str) -> Result<u8, String> {
    testsrc_noise(s)?.ok_or_else(|| {
        format!(
            "{s}: --psnr measures against the built-in test pattern: `testsrc` or `testsrc:noise=N`"
        )
    })
}

impl MediaArgs {
    /// The source this names; the test pattern (and cameras) take `width × height`.
    pub(crate) fn source(&self, spec: &str, width: usize, height: usize) -> Source {
        if let Ok(Some(noise)) = testsrc_noise(spec) {
            return Source::TestPattern(TestPattern::noisy(width, height, noise));
        }
        let mut video = VideoOptions::new(spec);
        video.demuxer = self.demuxer.clone();
        video.ffmpeg = self.ffmpeg.clone();
        video.timeout = self.media_timeout;
        video.realtime = self.realtime;
        // A device's size is asked for; a lavfi graph states its own (and takes no option).
        if self.demuxer.as_deref().is_some_and(|d| d != "lavfi") {
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

/// Prints the `--json` summary, with `cpu_s`: the CPU time (user and system) this process has
/// taken so far, less what a measurement beside the stream took (`psnr_cpu_s`).
pub(crate) fn print_summary(out: &Output, mut summary: serde_json::Map<String, Json>) {
    if out.json {
        let meter = summary
            .get("psnr_cpu_s")
            .and_then(Json::as_f64)
            .unwrap_or(0.0);
        let cpu =
            cpu_seconds(libc::RUSAGE_SELF).map(|s| ((s - meter).max(0.0) * 100.0).round() / 100.0);
        summary.insert("cpu_s".into(), cpu.map_or(Json::Null, Json::from));
        println!("{}", Json::Object(summary));
    }
}

/// The CPU time (user and system, seconds) of this process (`RUSAGE_SELF`) or of the calling
/// thread (`RUSAGE_THREAD`).
pub(crate) fn cpu_seconds(who: libc::c_int) -> Option<f64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given, which points at
    // one; it is read only when the call succeeds.
    let usage = unsafe {
        if libc::getrusage(who, usage.as_mut_ptr()) != 0 {
            return None;
        }
        usage.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some(secs(usage.ru_utime) + secs(usage.ru_stime))
}
