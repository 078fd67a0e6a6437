//! [`VideoSource`]: frames from a video file, an image sequence, a network stream or a camera,
//! decoded by an ffmpeg process into raw frames on a pipe (vidgear's CamGear/FFGear role).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use futures::Stream;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, ChildStdout, Command};

use super::error::MediaError;
use crate::error::{Error, PeerStatus, Result};
use crate::wire::{self, Dtype, Frame};

/// How much of ffmpeg's error output is kept for error messages.
const STDERR_TAIL: usize = 4096;

/// How long ffprobe and ffmpeg may take to answer by default: to probe a source, to deliver
/// its next frame ([`VideoOptions::timeout`]), to take a frame to record or to finish a
/// recording ([`Recorder::with_timeout`](super::Recorder::with_timeout)). Long enough for a
/// network stream to be analysed or a 4K frame to be encoded; a source or encoder silent for
/// longer is taken for hung.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A path as ffmpeg and ffprobe should read it. Sources go behind `-i`, so that ffmpeg's option
/// parser takes them for a name; a relative name that starts with `-` (`-report`,
/// `-clip.mp4`, a lone `-`, which is ffmpeg's stdin) also gets a `./` in front, so that no
/// scan of the command line can read it as anything but a file. Every other name, URL or
/// device is passed as it is.
pub(super) fn ffmpeg_path(name: impl Into<OsString>) -> OsString {
    let name = name.into();
    if name.as_encoded_bytes().starts_with(b"-") {
        let mut safe = OsString::from("./");
        safe.push(&name);
        safe
    } else {
        name
    }
}

/// The timeout error for a wait on ffprobe or ffmpeg that did not end within `after`.
pub(super) fn hung(after: Duration, waiting_for: &'static str) -> Error {
    Error::Timeout {
        after,
        waiting_for,
        peer: PeerStatus::Unknown,
    }
}

/// What to open and how (vidgear's `source`, `source_demuxer`, `frame_format`, `custom_ffmpeg`,
/// `resolution`, `framerate`).
#[derive(Debug, Clone, PartialEq)]
pub struct VideoOptions {
    /// A file path, an image sequence (`img%03d.png`, or a glob with `*`), a URL
    /// (`rtsp://…`, `http://…`) or a device (`/dev/video0`, with `demuxer` `v4l2`).
    pub source: String,
    /// ffmpeg's input format (`-f`), for devices: `v4l2`, `dshow`, `avfoundation`, …
    pub demuxer: Option<String>,
    /// Pixel layout of the frames: `bgr24` (default), `rgb24`, `bgra`, `rgba` or `gray`.
    pub frame_format: String,
    /// The ffmpeg executable (default: `ffmpeg` on the PATH); `ffprobe` is looked for beside it.
    pub ffmpeg: Option<PathBuf>,
    /// Capture size for cameras (`-video_size`).
    pub resolution: Option<(u32, u32)>,
    /// Capture rate for cameras (`-framerate`).
    pub framerate: Option<f64>,
    /// The pixel format or codec asked of a camera (ffmpeg's `-input_format` for `v4l2`:
    /// `mjpeg`, `yuyv422`, …; OpenCV's `CAP_PROP_FOURCC`).
    pub input_format: Option<String>,
    /// Where to start reading a file (ffmpeg's input `-ss`, frame-accurate: frames before it
    /// are decoded and dropped; OpenCV's `CAP_PROP_POS_MSEC`).
    pub start: Option<Duration>,
    /// Frames to drop at the start, after [`VideoOptions::start`] (ffmpeg's `trim` filter;
    /// OpenCV's `CAP_PROP_POS_FRAMES`).
    pub skip_frames: u64,
    /// ffmpeg video filters applied to every frame, in order, before it is converted to
    /// `frame_format` (`-vf`): `deshake` (stabilisation), `hflip`, `eq=brightness=0.1`, …
    /// Frames keep the size probed from the source: a filter that changes it is followed by
    /// a scale back to it.
    pub filters: Vec<String>,
    /// Read a file at its own frame rate (ffmpeg's `-re`) instead of as fast as it decodes.
    pub realtime: bool,
    /// How long ffprobe may take to probe the source, and ffmpeg to deliver each frame (the
    /// first one included), before the source fails with [`Error::Timeout`]: a URL that never
    /// answers, or a stream or camera that stops sending, ends instead of hanging. Default
    /// [`DEFAULT_TIMEOUT`].
    pub timeout: Duration,
}

impl VideoOptions {
    /// Options for `source` with the defaults.
    pub fn new(source: impl Into<String>) -> VideoOptions {
        VideoOptions {
            source: source.into(),
            demuxer: None,
            frame_format: "bgr24".into(),
            ffmpeg: None,
            resolution: None,
            framerate: None,
            input_format: None,
            start: None,
            skip_frames: 0,
            filters: Vec::new(),
            realtime: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    fn ffmpeg(&self) -> PathBuf {
        self.ffmpeg
            .clone()
            .unwrap_or_else(|| PathBuf::from("ffmpeg"))
    }

    fn ffprobe(&self) -> PathBuf {
        match &self.ffmpeg {
            Some(p) => p.with_file_name("ffprobe"),
            None => PathBuf::from("ffprobe"),
        }
    }

    /// Channels of `frame_format`.
    fn channels(&self) -> Result<usize> {
        match self.frame_format.as_str() {
            "bgr24" | "rgb24" => Ok(3),
            "bgra" | "rgba" => Ok(4),
            "gray" => Ok(1),
            other => Err(Error::InvalidOption(format!(
                "frame format {other:?}: use bgr24, rgb24, bgra, rgba or gray"
            ))),
        }
    }

    /// Whether this is a live source, captured on its own clock: a device (a demuxer other than
    /// ffmpeg's generator `lavfi`), a network stream (a URL), or any input read at its native
    /// rate (`realtime`). Files and image sequences are not.
    pub fn is_live(&self) -> bool {
        self.realtime
            || self.source.contains("://")
            || self.demuxer.as_deref().is_some_and(|d| d != "lavfi")
    }

    /// The `-vf` filter chain, if any, for frames of `width` × `height`: the frames to skip,
    /// then the filters and a scale back to the size (a no-op unless a filter changed it).
    fn filter_chain(&self, width: usize, height: usize) -> Option<String> {
        let mut chain = Vec::new();
        if self.skip_frames > 0 {
            chain.push(format!(
                "trim=start_frame={},setpts=PTS-STARTPTS",
                self.skip_frames
            ));
        }
        if !self.filters.is_empty() {
            chain.extend(self.filters.iter().cloned());
            chain.push(format!("scale={width}:{height}"));
        }
        (!chain.is_empty()).then(|| chain.join(","))
    }

    /// The input options shared by ffprobe and ffmpeg, up to and including `-i SOURCE`.
    fn input_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if let Some(f) = &self.demuxer {
            args.extend(["-f".into(), f.into()]);
        }
        if self.source.contains('*') && self.demuxer.is_none() {
            args.extend(["-f".into(), "image2".into()]);
            args.extend(["-pattern_type".into(), "glob".into()]);
        }
        if let Some((w, h)) = self.resolution {
            args.extend(["-video_size".into(), format!("{w}x{h}").into()]);
        }
        if let Some(r) = self.framerate {
            args.extend(["-framerate".into(), r.to_string().into()]);
        }
        if let Some(f) = &self.input_format {
            args.extend(["-input_format".into(), f.into()]);
        }
        args.extend(["-i".into(), ffmpeg_path(&self.source)]);
        args
    }
}

/// A running ffmpeg decoder and the size of its frames.
///
/// The ffmpeg process is killed when the source is dropped (and, on Linux, when this process
/// dies), so it never outlives the source.
pub struct VideoSource {
    child: Child,
    stdout: ChildStdout,
    stderr: Arc<Mutex<Vec<u8>>>,
    width: usize,
    height: usize,
    channels: usize,
    /// The msgpack_numpy header of every frame (they all have one shape).
    header: Vec<u8>,
    fps: Option<f64>,
    timeout: Duration,
    frames: u64,
    done: bool,
}

impl std::fmt::Debug for VideoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoSource")
            .field("pid", &self.child.id())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("channels", &self.channels)
            .field("fps", &self.fps)
            .field("frames", &self.frames)
            .field("done", &self.done)
            .finish()
    }
}

/// ffmpeg or ffprobe, to read a source, did not start.
fn spawn_error(program: &std::path::Path, error: std::io::Error) -> Error {
    let program = program.to_path_buf();
    if error.kind() == std::io::ErrorKind::NotFound {
        MediaError::NotFound { program }.into()
    } else {
        MediaError::Spawn { program, error }.into()
    }
}

/// Starts `cmd` so that the child dies with this process, even when the process is killed
/// without dropping its sources.
///
/// On Linux the kernel's parent-death signal (`PR_SET_PDEATHSIG`) does it, but that signal fires
/// when the *thread* that forked the child exits, not the process, and the thread running this
/// code may be one of tokio's blocking-pool threads, which exit after ten idle seconds. So the
/// fork happens on one thread that lives as long as the process.
async fn spawn_tied_to_process(mut cmd: Command) -> std::io::Result<Child> {
    #[cfg(target_os = "linux")]
    {
        use std::sync::OnceLock;
        use std::sync::mpsc;

        type Job = Box<dyn FnOnce() + Send>;
        static SPAWNER: OnceLock<std::io::Result<mpsc::Sender<Job>>> = OnceLock::new();
        let spawner = SPAWNER.get_or_init(|| {
            let (jobs, queue) = mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("netgear-spawner".into())
                .spawn(move || queue.into_iter().for_each(|job| job()))
                .map(|_| jobs)
        });
        let spawner = spawner
            .as_ref()
            .map_err(|e| std::io::Error::new(e.kind(), e.to_string()))?;
        let parent = std::process::id();
        // SAFETY: the closure runs in the forked child before exec and only makes two
        // async-signal-safe calls (`prctl`, `getppid`); it touches no memory of ours.
        unsafe {
            cmd.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                // This process died between the fork and the prctl: nobody will read ffmpeg.
                if u32::try_from(libc::getppid()) != Ok(parent) {
                    return Err(std::io::Error::other("the parent process has exited"));
                }
                Ok(())
            });
        }
        let runtime = tokio::runtime::Handle::current();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The child is reaped by this runtime's process driver.
            let _entered = runtime.enter();
            let _ = tx.send(cmd.spawn());
        });
        spawner
            .send(job)
            .map_err(|_| std::io::Error::other("the spawner thread has stopped"))?;
        rx.await
            .map_err(|_| std::io::Error::other("the spawner thread has stopped"))?
    }
    #[cfg(not(target_os = "linux"))]
    cmd.spawn()
}

impl VideoSource {
    /// Probes the source with ffprobe and starts decoding it.
    ///
    /// A missing ffmpeg, a missing or undecodable source gives one [`Error::Media`] naming the
    /// source and what ffmpeg said ([`MediaError::NotFound`], [`MediaError::Probe`], ...);
    /// ffprobe silent for longer than [`VideoOptions::timeout`] (a URL that never answers)
    /// gives [`Error::Timeout`]; frames too large for one message (4 GiB or more) give
    /// [`Error::Frame`].
    pub async fn open(opts: VideoOptions) -> Result<VideoSource> {
        let channels = opts.channels()?;
        let (width, height, fps) = probe(&opts).await?;
        let shape = if channels == 1 {
            vec![height, width]
        } else {
            vec![height, width, channels]
        };
        let bytes = width
            .checked_mul(height)
            .and_then(|p| p.checked_mul(channels));
        let header = match bytes {
            Some(n) => wire::frame_header(Dtype::U8, &shape, n)?,
            None => return Err(wire::FrameError::TooLarge(shape).into()),
        };
        let mut cmd = Command::new(opts.ffmpeg());
        cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
        if opts.realtime {
            cmd.arg("-re");
        }
        if let Some(start) = opts.start {
            cmd.arg("-ss").arg(format!("{:.6}", start.as_secs_f64()));
        }
        cmd.args(opts.input_args());
        if let Some(chain) = opts.filter_chain(width, height) {
            cmd.arg("-vf").arg(chain);
        }
        cmd.args(["-map", "0:v:0", "-f", "rawvideo", "-pix_fmt"])
            .arg(&opts.frame_format)
            .arg("pipe:1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // A process group of its own: a Ctrl-C on the terminal is this process's to handle
        // (`netgear recv` finishes its recording first); ffmpeg dies with it all the same.
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = spawn_tied_to_process(cmd)
            .await
            .map_err(|e| spawn_error(&opts.ffmpeg(), e))?;
        let stdout = child.stdout.take().ok_or(MediaError::NoStdout)?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(err) = child.stderr.take() {
            tokio::spawn(keep_tail(err, stderr.clone()));
        }
        Ok(VideoSource {
            child,
            stdout,
            stderr,
            width,
            height,
            channels,
            header,
            fps,
            timeout: opts.timeout,
            frames: 0,
            done: false,
        })
    }

    /// Frame width.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Frame height.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The source's frame rate, when ffprobe knows it.
    pub fn fps(&self) -> Option<f64> {
        self.fps
    }

    /// How long each frame may take from now on (opening had [`VideoOptions::timeout`]).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The ffmpeg process id (while it runs).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    fn frame_bytes(&self) -> usize {
        self.width * self.height * self.channels
    }

    /// The next frame; `None` at the end of the source.
    ///
    /// Frames are read behind room for their msgpack_numpy header, so sending them copies
    /// nothing. A frame that does not come within [`VideoOptions::timeout`] ends the source
    /// with [`Error::Timeout`] (ffmpeg is stopped).
    pub async fn read(&mut self) -> Result<Option<Frame>> {
        if self.done {
            return Ok(None);
        }
        let (n, head) = (self.frame_bytes(), self.header.len());
        let mut buf = BytesMut::with_capacity(head + n);
        buf.extend_from_slice(&self.header);
        let stdout = &mut self.stdout;
        let filled = tokio::time::timeout(self.timeout, async {
            while buf.len() < head + n {
                if stdout.read_buf(&mut buf).await? == 0 {
                    return Ok(false);
                }
            }
            Ok::<_, std::io::Error>(true)
        })
        .await;
        match filled {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => return self.finish(buf.len() - head).await,
            Ok(Err(e)) => {
                self.stop().await;
                return Err(MediaError::Read { error: e }.into());
            }
            Err(_) => {
                self.stop().await;
                return Err(hung(
                    self.timeout,
                    "the next frame from ffmpeg (the source sent none)",
                ));
            }
        }
        self.frames += 1;
        // Decoding the header just written costs a few dozen bytes of parsing, no copy.
        let frame =
            wire::decode_frame(&buf.freeze()).map_err(|error| MediaError::Decode { error })?;
        Ok(Some(frame.with_captured(std::time::SystemTime::now())))
    }

    /// At the end of ffmpeg's output: a clean end, or the error ffmpeg reported.
    async fn finish(&mut self, partial: usize) -> Result<Option<Frame>> {
        self.done = true;
        let status = match tokio::time::timeout(self.timeout, self.child.wait()).await {
            Ok(status) => status.map_err(|error| MediaError::Wait { error })?,
            Err(_) => {
                self.stop().await;
                return Err(hung(
                    self.timeout,
                    "ffmpeg to exit at the end of the source",
                ));
            }
        };
        if status.success() && (partial == 0 || self.frames > 0) {
            return Ok(None);
        }
        // Let the stderr reader catch up with the last lines.
        tokio::task::yield_now().await;
        let said =
            String::from_utf8_lossy(&self.stderr.lock().map(|s| s.clone()).unwrap_or_default())
                .trim()
                .to_owned();
        Err(MediaError::Failed {
            frames: self.frames,
            status,
            said,
        }
        .into())
    }

    /// Stops ffmpeg for good (the source has failed) and reaps it.
    async fn stop(&mut self) {
        self.done = true;
        let _ = self.child.kill().await;
    }

    /// The frames as a stream, ending at the end of the source or after one error.
    pub fn into_stream(self) -> impl Stream<Item = Result<Frame>> + Send + 'static {
        futures::stream::unfold(Some(self), |src| async move {
            let mut src = src?;
            match src.read().await {
                Ok(Some(f)) => Some((Ok(f), Some(src))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
    }
}

/// Keeps the last [`STDERR_TAIL`] bytes of a child's error output, read as it comes (a child
/// whose stderr pipe is full would block).
pub(super) async fn keep_tail(mut from: impl AsyncRead + Unpin, into: Arc<Mutex<Vec<u8>>>) {
    let mut chunk = [0u8; 1024];
    while let Ok(n) = from.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        if let Ok(mut tail) = into.lock() {
            tail.extend_from_slice(&chunk[..n]);
            let excess = tail.len().saturating_sub(STDERR_TAIL);
            tail.drain(..excess);
        }
    }
}

/// Width, height and frame rate of the source's first video stream, by ffprobe.
async fn probe(opts: &VideoOptions) -> Result<(usize, usize, Option<f64>)> {
    let program = opts.ffprobe();
    let mut cmd = Command::new(&program);
    cmd.args(["-v", "error", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=width,height,avg_frame_rate,r_frame_rate",
        ])
        .args(["-of", "json"])
        .args(opts.input_args())
        .stdin(Stdio::null())
        // Dropped at the timeout: ffprobe is killed with it.
        .kill_on_drop(true);
    let out = tokio::time::timeout(opts.timeout, cmd.output())
        .await
        .map_err(|_| hung(opts.timeout, "ffprobe to probe the video source"))?
        .map_err(|e| spawn_error(&program, e))?;
    let input = || opts.source.clone();
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        return Err(MediaError::Probe {
            input: input(),
            said,
        }
        .into());
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| MediaError::ProbeOutput {
            input: input(),
            error: Box::new(e),
        })?;
    let stream = &json["streams"][0];
    let dim = |k: &str| {
        stream[k]
            .as_u64()
            .filter(|&d| d > 0 && d <= 1 << 15)
            .map(|d| d as usize)
    };
    let (Some(width), Some(height)) = (dim("width"), dim("height")) else {
        return Err(MediaError::NoVideoStream { input: input() }.into());
    };
    let rate = |k: &str| {
        let s = stream[k].as_str()?;
        let (n, d) = s.split_once('/')?;
        let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
        (n > 0.0 && d > 0.0).then(|| n / d)
    };
    Ok((
        width,
        height,
        rate("avg_frame_rate").or_else(|| rate("r_frame_rate")),
    ))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    /// ffmpeg's own test source: no file needed.
    fn lavfi() -> VideoOptions {
        let mut opts = VideoOptions::new("testsrc=size=64x48:rate=25");
        opts.demuxer = Some("lavfi".into());
        opts
    }

    /// Every frame of `opts`, on a runtime of its own.
    fn frames_of(opts: VideoOptions) -> Vec<Frame> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let mut source = VideoSource::open(opts).await.expect("opens");
            let mut frames = Vec::new();
            while let Some(f) = source.read().await.expect("a frame") {
                frames.push(f);
            }
            frames
        })
    }

    /// A 20-frame 64×48 clip at 25 fps, lossless (so that frames compare exactly).
    fn clip(dir: &std::path::Path) -> String {
        let path = dir.join("clip.mkv");
        let status = std::process::Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg("testsrc2=size=64x48:rate=25:duration=0.8")
            .args(["-c:v", "ffv1"])
            .arg(&path)
            .status()
            .expect("ffmpeg runs (scripts/deps.sh --test installs it)");
        assert!(status.success());
        path.to_string_lossy().into_owned()
    }

    /// `start`, `skip_frames` and `filters` (OpenCV's `CAP_PROP_POS_MSEC`, `CAP_PROP_POS_FRAMES`,
    /// and what stabilisation and the like go through) start where asked and keep the size.
    #[test]
    fn a_source_starts_where_asked_and_filters_keep_its_size() {
        let dir = std::env::temp_dir().join(format!("netgear-video-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let all = frames_of(VideoOptions::new(clip(&dir)));
        assert_eq!(all.len(), 20);

        let mut skip = VideoOptions::new(clip(&dir));
        skip.skip_frames = 5;
        let skipped = frames_of(skip);
        assert_eq!(skipped.len(), 15);
        assert_eq!(skipped[0].as_bytes(), all[5].as_bytes());

        let mut start = VideoOptions::new(clip(&dir));
        start.start = Some(Duration::from_millis(400));
        start.skip_frames = 2;
        let started = frames_of(start);
        assert_eq!(started.len(), 8);
        assert_eq!(started[0].as_bytes(), all[12].as_bytes());

        let mut flipped = VideoOptions::new(clip(&dir));
        flipped.filters = vec!["hflip".into()];
        let flipped = frames_of(flipped);
        let row = |f: &Frame, y: usize| f.as_bytes()[y * 64 * 3..(y + 1) * 64 * 3].to_vec();
        let mirror = |r: Vec<u8>| -> Vec<u8> { r.chunks(3).rev().flatten().copied().collect() };
        assert_eq!(row(&flipped[3], 10), mirror(row(&all[3], 10)));

        // A filter that halves the size: the frames come back at the source's size.
        let mut halved = VideoOptions::new(clip(&dir));
        halved.filters = vec!["scale=32:24".into()];
        let halved = frames_of(halved);
        assert_eq!(halved.len(), 20);
        assert!(halved.iter().all(|f| f.shape() == [48, 64, 3]));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The kernel's parent-death signal fires when the thread that forked the child exits; a
    /// source opened on a short-lived thread must keep its ffmpeg all the same.
    #[test]
    fn ffmpeg_outlives_the_thread_that_started_it() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_keep_alive(Duration::from_millis(1))
            .enable_all()
            .build()
            .expect("a runtime");
        // Opened on a blocking-pool thread, which exits as soon as it has been idle for 1 ms.
        let (thread, source) = runtime.block_on(async {
            let handle = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                let me = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
                (me, handle.block_on(VideoSource::open(lavfi())))
            })
            .await
            .expect("the blocking task")
        });
        let mut source = source.unwrap_or_else(|e| {
            panic!(
                "this test runs ffmpeg, which did not start ({e}): run scripts/deps.sh --test first"
            )
        });
        let task = PathBuf::from("/proc").join(thread);
        let deadline = Instant::now() + Duration::from_secs(30);
        while task.exists() {
            assert!(Instant::now() < deadline, "{} never exited", task.display());
            std::thread::sleep(Duration::from_millis(5));
        }
        // More frames than the pipe holds: ffmpeg must still be running to make them.
        runtime.block_on(async {
            for n in 0..60 {
                let frame = source.read().await;
                assert!(
                    matches!(frame, Ok(Some(_))),
                    "frame {n}: {frame:?} (ffmpeg died with the thread that started it)"
                );
            }
        });
    }
}
