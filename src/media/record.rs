//! [`Recorder`]: frames into a video file through an ffmpeg encoder process.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin, Command};

use crate::error::{Error, Result};
use crate::wire::{Dtype, Frame};

/// Writes frames of one size into a video file (H.264 in the container the extension names).
///
/// The ffmpeg process is killed if the recorder is dropped without [`Recorder::finish`].
pub struct Recorder {
    child: Child,
    stdin: Option<ChildStdin>,
    shape: Vec<usize>,
    path: PathBuf,
    frames: u64,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("pid", &self.child.id())
            .field("path", &self.path)
            .field("shape", &self.shape)
            .field("frames", &self.frames)
            .finish()
    }
}

impl Recorder {
    /// Starts an encoder for `width × height` frames with `channels` (3: BGR, 1: gray, 4: BGRA)
    /// at `fps`, writing `path`. `ffmpeg` overrides the executable.
    pub fn create(
        path: impl AsRef<Path>,
        width: usize,
        height: usize,
        channels: usize,
        fps: f64,
        ffmpeg: Option<&Path>,
    ) -> Result<Recorder> {
        let pix_fmt = match channels {
            1 => "gray",
            3 => "bgr24",
            4 => "bgra",
            c => return Err(Error::Media(format!("cannot record {c}-channel frames"))),
        };
        let fps = if fps.is_finite() && fps > 0.0 {
            fps
        } else {
            25.0
        };
        let program = ffmpeg.map_or_else(|| PathBuf::from("ffmpeg"), Path::to_path_buf);
        let path = path.as_ref().to_path_buf();
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
            .arg(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::Media(format!(
                    "{} not found: install ffmpeg to record",
                    program.display()
                ))
            } else {
                Error::Media(format!("cannot start {}: {e}", program.display()))
            }
        })?;
        let stdin = child.stdin.take();
        let shape = if channels == 1 {
            vec![height, width]
        } else {
            vec![height, width, channels]
        };
        Ok(Recorder {
            child,
            stdin,
            shape,
            path,
            frames: 0,
        })
    }

    /// Starts an encoder sized for `frame` (a BGR, BGRA or gray `u8` image).
    pub fn for_frame(
        path: impl AsRef<Path>,
        frame: &Frame,
        fps: f64,
        ffmpeg: Option<&Path>,
    ) -> Result<Recorder> {
        match (
            frame.dtype(),
            frame.width(),
            frame.height(),
            frame.channels(),
        ) {
            (Dtype::U8, Some(w), Some(h), Some(c)) => Recorder::create(path, w, h, c, fps, ffmpeg),
            _ => Err(Error::Media(format!(
                "cannot record a {} frame of shape {:?}",
                frame.dtype().numpy_name(),
                frame.shape()
            ))),
        }
    }

    /// Appends a frame; it must have the size the recorder was made for.
    pub async fn write(&mut self, frame: &Frame) -> Result<()> {
        if frame.shape() != self.shape.as_slice() || frame.dtype() != Dtype::U8 {
            return Err(Error::Media(format!(
                "recording {:?} frames, got {:?}",
                self.shape,
                frame.shape()
            )));
        }
        let stdin = self.stdin.as_mut().ok_or(Error::Closed)?;
        match stdin.write_all(frame.as_bytes()).await {
            Ok(()) => {
                self.frames += 1;
                Ok(())
            }
            Err(e) => Err(self.failure(format!("writing to ffmpeg: {e}")).await),
        }
    }

    async fn failure(&mut self, what: String) -> Error {
        self.stdin = None;
        let _ = self.child.kill().await;
        let mut said = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            use tokio::io::AsyncReadExt;
            let _ = err.read_to_string(&mut said).await;
        }
        Error::Media(format!("{what}: {}", said.trim()))
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Closes the input and waits for ffmpeg to write the file; returns the frame count.
    pub async fn finish(mut self) -> Result<u64> {
        drop(self.stdin.take());
        let out = self
            .child
            .wait_with_output()
            .await
            .map_err(|e| Error::Media(format!("waiting for ffmpeg: {e}")))?;
        if !out.status.success() {
            return Err(Error::Media(format!(
                "ffmpeg could not write {}: {}",
                self.path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(self.frames)
    }
}
