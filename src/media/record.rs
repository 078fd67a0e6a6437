//! [`Recorder`]: frames into a video file through an ffmpeg encoder process.
//!
//! A recording is only playable once ffmpeg has finished it (an MP4 file gets its index, the
//! `moov` atom, last), so every way out finishes it: [`Recorder::finish`], and also dropping
//! the recorder, which closes ffmpeg's input and lets it finish on its own. A frame of another
//! shape is refused ([`Recorder::accepts`]) without harming the file.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin, Command};
use tokio::task::JoinHandle;

use super::error::MediaError;
use super::video::{DEFAULT_TIMEOUT, hung, keep_tail};
use crate::error::{Error, Result};
use crate::wire::{Dtype, Frame};

/// Writes frames of one size into a video file (H.264 in the container the extension names).
///
/// Every wait on ffmpeg is bounded by a timeout ([`Recorder::with_timeout`], default
/// [`DEFAULT_TIMEOUT`](super::DEFAULT_TIMEOUT)). Dropped without [`Recorder::finish`], the
/// recorder closes ffmpeg's input, so ffmpeg still finishes the file (within the timeout, if
/// the runtime is still running then; it is stopped past it).
pub struct Recorder {
    /// `None` once [`Recorder::finish`] has taken it.
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<JoinHandle<()>>,
    shape: Vec<usize>,
    path: PathBuf,
    frames: u64,
    timeout: Duration,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("pid", &self.child.as_ref().and_then(Child::id))
            .field("path", &self.path)
            .field("shape", &self.shape)
            .field("frames", &self.frames)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// [`Recorder::MAX_SIDE`].
const MAX_SIDE: usize = 16384;

/// Width, height and channels of a frame a recorder can take: `u8`, `height × width` (gray) or
/// `height × width × channels` with 1, 3 (BGR) or 4 (BGRA) channels, each side from 1 to
/// [`Recorder::MAX_SIDE`].
fn recordable(frame: &Frame) -> Option<(usize, usize, usize)> {
    let (w, h, c) = match (frame.dtype(), frame.shape()) {
        (Dtype::U8, &[h, w]) => (w, h, 1),
        (Dtype::U8, &[h, w, c @ (1 | 3 | 4)]) => (w, h, c),
        _ => return None,
    };
    ((1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h)).then_some((w, h, c))
}

impl Recorder {
    /// The widest and tallest frame a recording takes, in pixels: H.264 as x264 writes it (ffmpeg
    /// refuses more only once it has started, leaving an empty file).
    pub const MAX_SIDE: usize = MAX_SIDE;

    /// Starts an encoder for `width × height` frames with `channels` (3: BGR, 1: gray, 4: BGRA)
    /// at `fps`, writing `path` (any local path, even one that starts with `-`). `ffmpeg`
    /// overrides the executable.
    pub fn create(
        path: impl AsRef<Path>,
        width: usize,
        height: usize,
        channels: usize,
        fps: f64,
        ffmpeg: Option<&Path>,
    ) -> Result<Recorder> {
        if !(1..=MAX_SIDE).contains(&width) || !(1..=MAX_SIDE).contains(&height) {
            return Err(MediaError::RecordSize {
                width,
                height,
                max_side: MAX_SIDE,
            }
            .into());
        }
        let pix_fmt = match channels {
            1 => "gray",
            3 => "bgr24",
            4 => "bgra",
            channels => return Err(MediaError::RecordChannels { channels }.into()),
        };
        let fps = if fps.is_finite() && fps > 0.0 {
            fps
        } else {
            25.0
        };
        let program = ffmpeg.map_or_else(|| PathBuf::from("ffmpeg"), Path::to_path_buf);
        let path = path.as_ref().to_path_buf();
        // ffmpeg's `file:` protocol: the path is a file, never an option (`-report`) nor a
        // protocol (`name:with:colons`).
        let mut output = std::ffi::OsString::from("file:");
        output.push(&path);
        let mut cmd = Command::new(&program);
        cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
            .args(["-f", "rawvideo", "-pix_fmt", pix_fmt])
            .args(["-video_size", &format!("{width}x{height}")])
            .args(["-framerate", &format!("{fps}")])
            .args(["-i", "pipe:0"])
            // H.264 in yuv420p wants even sizes: pad by a pixel where needed.
            .args(["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"])
            .args([
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            ])
            .arg(output)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Not killed with the recorder: with its input closed, ffmpeg finishes the file.
            .kill_on_drop(false);
        // A process group of its own: a Ctrl-C on the terminal goes to this process, which
        // finishes the recording, and not to ffmpeg, which would stop writing at once.
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd.spawn().map_err(|error| {
            let program = program.clone();
            if error.kind() == std::io::ErrorKind::NotFound {
                MediaError::NotFoundToRecord { program }
            } else {
                MediaError::Spawn { program, error }
            }
        })?;
        let stdin = child.stdin.take();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stderr_reader = child
            .stderr
            .take()
            .map(|err| tokio::spawn(keep_tail(err, stderr.clone())));
        let shape = if channels == 1 {
            vec![height, width]
        } else {
            vec![height, width, channels]
        };
        Ok(Recorder {
            child: Some(child),
            stdin,
            stderr,
            stderr_reader,
            shape,
            path,
            frames: 0,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Starts an encoder sized for `frame` (a BGR, BGRA or gray `u8` image).
    pub fn for_frame(
        path: impl AsRef<Path>,
        frame: &Frame,
        fps: f64,
        ffmpeg: Option<&Path>,
    ) -> Result<Recorder> {
        match recordable(frame) {
            Some((w, h, c)) => Recorder::create(path, w, h, c, fps, ffmpeg),
            None => Err(MediaError::Unrecordable {
                dtype: frame.dtype(),
                shape: frame.shape().to_vec(),
                max_side: MAX_SIDE,
            }
            .into()),
        }
    }

    /// Whether a recorder can be made for frames like `frame` ([`Recorder::for_frame`]).
    pub fn can_record(frame: &Frame) -> bool {
        recordable(frame).is_some()
    }

    /// How long ffmpeg may take to take each frame, and to finish the file; past it the
    /// write or the finish fails with [`Error::Timeout`]. Default
    /// [`DEFAULT_TIMEOUT`](super::DEFAULT_TIMEOUT).
    pub fn with_timeout(mut self, timeout: Duration) -> Recorder {
        self.timeout = timeout;
        self
    }

    /// The shape of the frames this recorder takes (numpy's order: height first).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Whether [`Recorder::write`] takes `frame`: a `u8` frame of the recording's shape.
    pub fn accepts(&self, frame: &Frame) -> bool {
        frame.dtype() == Dtype::U8 && frame.shape() == self.shape.as_slice()
    }

    /// Appends a frame.
    ///
    /// A frame the recorder does not [accept](Recorder::accepts) is refused with
    /// [`MediaError::RecordShape`] and the recording goes on unharmed. ffmpeg not taking the
    /// frame within the timeout gives [`Error::Timeout`]; its input is closed then, and
    /// [`Recorder::finish`] still tries to finish the file.
    pub async fn write(&mut self, frame: &Frame) -> Result<()> {
        if !self.accepts(frame) {
            return Err(MediaError::RecordShape {
                expected: self.shape.clone(),
                dtype: frame.dtype(),
                shape: frame.shape().to_vec(),
            }
            .into());
        }
        let stdin = self.stdin.as_mut().ok_or(Error::Closed)?;
        match tokio::time::timeout(self.timeout, stdin.write_all(frame.as_bytes())).await {
            Ok(Ok(())) => {
                self.frames += 1;
                Ok(())
            }
            Ok(Err(error)) => Err(self.failure(error).await),
            Err(_) => {
                self.stdin = None;
                Err(hung(self.timeout, "ffmpeg to take a frame to record"))
            }
        }
    }

    /// ffmpeg stopped taking frames (writing to it failed with `error`): it has exited, or is
    /// stopped now; what it said.
    async fn failure(&mut self, error: std::io::Error) -> Error {
        self.stdin = None;
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill().await;
        }
        let said = self.said().await;
        MediaError::Write { error, said }.into()
    }

    /// ffmpeg's last error output, once it has exited (at most the timeout for its stderr to
    /// close).
    async fn said(&mut self) -> String {
        if let Some(reader) = self.stderr_reader.take() {
            let _ = tokio::time::timeout(self.timeout, reader).await;
        }
        let tail = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        String::from_utf8_lossy(&tail).trim().to_owned()
    }

    /// The ffmpeg process id (until [`Recorder::finish`]).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Closes the input and waits for ffmpeg to write the file (at most the timeout, after
    /// which ffmpeg is stopped and [`Error::Timeout`] returned); returns the frame count.
    pub async fn finish(mut self) -> Result<u64> {
        drop(self.stdin.take());
        let Some(mut child) = self.child.take() else {
            return Err(Error::Closed);
        };
        let status = match tokio::time::timeout(self.timeout, child.wait()).await {
            Ok(status) => status.map_err(|error| MediaError::Wait { error })?,
            Err(_) => {
                let _ = child.kill().await;
                return Err(hung(self.timeout, "ffmpeg to finish the recording"));
            }
        };
        if !status.success() {
            let said = self.said().await;
            return Err(MediaError::Finish {
                path: self.path.clone(),
                status,
                said,
            }
            .into());
        }
        Ok(self.frames)
    }
}

impl Drop for Recorder {
    /// Closes ffmpeg's input, so that it finishes the file on its own; inside a runtime, it is
    /// stopped if it has not within the timeout.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let Some(mut child) = self.child.take() else {
            return;
        };
        let limit = self.timeout;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if tokio::time::timeout(limit, child.wait()).await.is_err() {
                    let _ = child.kill().await;
                }
            });
        }
    }
}
