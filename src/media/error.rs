//! [`MediaError`]: what can go wrong in a media part — the ffmpeg source and recorder, the
//! reducer, the window — and [`WindowFailure`], why a window could not be opened.
//!
//! A leaf of the module: it refers to no other file of `media`. Causes (what the system,
//! ffmpeg or a library said) are fields shown inside the message, not
//! [`source`](std::error::Error::source)s, so that a message reads the same printed alone or
//! as a chain.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitStatus;

use crate::wire::{DecodeError, Dtype};

/// A media part (ffmpeg source or recorder, reducer, display) failed, or refused a frame.
///
/// The variants whose message starts with `invalid frame:` are frames a media operation
/// cannot take ([`MediaError::is_invalid_frame`]; Python's `ValueError`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// ffmpeg or ffprobe, to read a source, is not where it was looked for.
    #[error(
        "{} not found: install ffmpeg (e.g. apt-get install ffmpeg) or give its path",
        .program.display()
    )]
    NotFound {
        /// The program looked for.
        program: PathBuf,
    },
    /// ffmpeg, to record, is not where it was looked for.
    #[error("{} not found: install ffmpeg to record", .program.display())]
    NotFoundToRecord {
        /// The program looked for.
        program: PathBuf,
    },
    /// ffmpeg or ffprobe is there but could not be started.
    #[error("cannot start {}: {error}", .program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// What the system said.
        error: std::io::Error,
    },
    /// ffmpeg was started without its output pipe.
    #[error("ffmpeg has no stdout")]
    NoStdout,
    /// Reading a frame from ffmpeg's output failed.
    #[error("reading from ffmpeg: {error}")]
    Read {
        /// What the system said.
        error: std::io::Error,
    },
    /// ffmpeg's output did not make a frame.
    #[error("a frame from ffmpeg: {error}")]
    Decode {
        /// What the decoder said.
        error: DecodeError,
    },
    /// Waiting for ffmpeg to exit failed.
    #[error("waiting for ffmpeg: {error}")]
    Wait {
        /// What the system said.
        error: std::io::Error,
    },
    /// ffmpeg, reading a source, exited with an error, or before a whole frame.
    #[error("ffmpeg failed after {frames} frame(s) ({status}): {said}")]
    Failed {
        /// The frames read before.
        frames: u64,
        /// How ffmpeg exited.
        status: ExitStatus,
        /// The end of ffmpeg's error output.
        said: String,
    },
    /// ffprobe could not open the source (missing, unreadable, not a video).
    #[error("cannot open {input:?}: {said}")]
    Probe {
        /// The source ([`VideoOptions::source`](super::VideoOptions::source)).
        input: String,
        /// What ffprobe said.
        said: String,
    },
    /// ffprobe's answer could not be read.
    #[error("cannot open {input:?}: unreadable ffprobe output: {error}")]
    ProbeOutput {
        /// The source ([`VideoOptions::source`](super::VideoOptions::source)).
        input: String,
        /// What the JSON parser said.
        error: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The source has no video stream of a usable size (1 to 32768 pixels a side).
    #[error("cannot open {input:?}: no video stream")]
    NoVideoStream {
        /// The source ([`VideoOptions::source`](super::VideoOptions::source)).
        input: String,
    },
    /// A recorder was asked for frames of a size H.264 cannot take.
    #[error("cannot record {width}x{height} frames: H.264 takes 1 to {max_side} pixels a side")]
    RecordSize {
        /// The width asked for.
        width: usize,
        /// The height asked for.
        height: usize,
        /// The largest side ([`Recorder::MAX_SIDE`](super::Recorder::MAX_SIDE)).
        max_side: usize,
    },
    /// A recorder was asked for frames of a channel count it cannot take.
    #[error("cannot record {channels}-channel frames")]
    RecordChannels {
        /// The channels asked for.
        channels: usize,
    },
    /// A recorder cannot be made for frames like this one.
    #[error(
        "invalid frame: cannot record a {} frame of shape {shape:?}: a recording takes uint8 \
         images (height × width, or height × width × 1, 3 or 4 channels) of 1 to {max_side} \
         pixels a side",
        .dtype.numpy_name()
    )]
    Unrecordable {
        /// The frame's dtype.
        dtype: Dtype,
        /// The frame's shape.
        shape: Vec<usize>,
        /// The largest side ([`Recorder::MAX_SIDE`](super::Recorder::MAX_SIDE)).
        max_side: usize,
    },
    /// A frame of another dtype or shape than the recording's.
    #[error(
        "invalid frame: recording uint8 frames of shape {expected:?}, got a {} frame of shape \
         {shape:?}",
        .dtype.numpy_name()
    )]
    RecordShape {
        /// The recording's shape.
        expected: Vec<usize>,
        /// The frame's dtype.
        dtype: Dtype,
        /// The frame's shape.
        shape: Vec<usize>,
    },
    /// ffmpeg stopped taking frames to record.
    #[error("writing to ffmpeg: {error}: {said}")]
    Write {
        /// What the system said.
        error: std::io::Error,
        /// The end of ffmpeg's error output.
        said: String,
    },
    /// ffmpeg could not finish the recording.
    #[error("ffmpeg could not write {}: {said}", .path.display())]
    Finish {
        /// The recording.
        path: PathBuf,
        /// How ffmpeg exited.
        status: ExitStatus,
        /// The end of ffmpeg's error output.
        said: String,
    },
    /// A window could not be opened.
    #[error("cannot open a window: {0}")]
    Window(WindowFailure),
    /// A frame the window cannot draw.
    #[error(
        "cannot show a {} frame of shape {shape:?}: the display takes uint8 images of \
         height × width × 1, 3 (BGR) or 4 (BGRA) channels",
        .dtype.numpy_name()
    )]
    Unshowable {
        /// The frame's dtype.
        dtype: Dtype,
        /// The frame's shape.
        shape: Vec<usize>,
    },
    /// The reducer takes `uint8` frames only.
    #[error("invalid frame: reducer supports uint8 frames only, got {}", .dtype.numpy_name())]
    ReducerDtype {
        /// The frame's dtype.
        dtype: Dtype,
    },
    /// The reducer takes images only: `height × width` or `height × width × channels`.
    #[error(
        "invalid frame: reducer needs a height × width or height × width × channels frame, got \
         shape {shape:?}"
    )]
    ReducerShape {
        /// The frame's shape.
        shape: Vec<usize>,
    },
    /// The reducer takes 1 to 4 channels.
    #[error("invalid frame: reducer supports 1 to 4 channels, got shape {shape:?}")]
    ReducerChannels {
        /// The frame's shape.
        shape: Vec<usize>,
    },
    /// A side of the frame is too large for the resizer (over `u32::MAX`).
    #[error("invalid frame: reducer: frame shape {shape:?} is too large")]
    ReducerTooLarge {
        /// The frame's shape.
        shape: Vec<usize>,
    },
    /// The resizer failed.
    #[error("reducer: {error}")]
    Resize {
        /// What the resizer said.
        error: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl MediaError {
    /// Whether this is a frame a media operation cannot take (its message starts with
    /// `invalid frame:`), rather than a failure of the media part.
    pub fn is_invalid_frame(&self) -> bool {
        matches!(
            self,
            MediaError::Unrecordable { .. }
                | MediaError::RecordShape { .. }
                | MediaError::ReducerDtype { .. }
                | MediaError::ReducerShape { .. }
                | MediaError::ReducerChannels { .. }
                | MediaError::ReducerTooLarge { .. }
        )
    }
}

/// Why a window could not be opened ([`MediaError::Window`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum WindowFailure {
    /// No thread could be started for the window.
    NoThread {
        /// What the system said.
        error: std::io::Error,
    },
    /// The window library refused to create the window (no X server, no X11 libraries).
    Refused {
        /// What the window library said.
        message: String,
        /// `DISPLAY` when it was tried, if set.
        display: Option<String>,
    },
    /// The window library panicked while creating the window.
    Panicked,
    /// The window thread stopped before creating the window.
    ThreadStopped,
}

impl fmt::Display for WindowFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowFailure::NoThread { error } => write!(f, "no thread: {error}"),
            WindowFailure::Refused { message, display } => {
                f.write_str(message)?;
                match display {
                    None => f.write_str(" (DISPLAY is not set: no X server to show the window on)"),
                    Some(d) if message.contains("XOpenDisplay") => {
                        write!(f, " (no X server at DISPLAY={d})")
                    }
                    Some(_) => Ok(()),
                }
            }
            WindowFailure::Panicked => {
                f.write_str("the window library panicked while creating the window")
            }
            WindowFailure::ThreadStopped => {
                f.write_str("the window thread stopped before creating the window")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages, word for word as they were when they were built with `format!`, and which
    /// of them are invalid frames.
    #[test]
    fn messages_read_as_they_did() {
        let said = |e: MediaError| (e.to_string(), e.is_invalid_frame());
        let program = PathBuf::from("/opt/ffmpeg");
        assert_eq!(
            said(MediaError::NotFound {
                program: program.clone()
            }),
            (
                "/opt/ffmpeg not found: install ffmpeg (e.g. apt-get install ffmpeg) or give its path"
                    .into(),
                false
            )
        );
        assert_eq!(
            said(MediaError::Spawn {
                program,
                error: std::io::Error::other("no")
            }),
            ("cannot start /opt/ffmpeg: no".into(), false)
        );
        assert_eq!(
            said(MediaError::Probe {
                input: "a.mp4".into(),
                said: "a.mp4: No such file or directory".into()
            }),
            (
                "cannot open \"a.mp4\": a.mp4: No such file or directory".into(),
                false
            )
        );
        assert_eq!(
            said(MediaError::Unrecordable {
                dtype: Dtype::native(crate::wire::Scalar::F32),
                shape: vec![2, 3],
                max_side: 16384
            }),
            (
                "invalid frame: cannot record a float32 frame of shape [2, 3]: a recording takes \
                 uint8 images (height × width, or height × width × 1, 3 or 4 channels) of 1 to \
                 16384 pixels a side"
                    .into(),
                true
            )
        );
        assert_eq!(
            said(MediaError::RecordShape {
                expected: vec![4, 4, 3],
                dtype: Dtype::U8,
                shape: vec![2, 2, 3]
            }),
            (
                "invalid frame: recording uint8 frames of shape [4, 4, 3], got a uint8 frame of \
                 shape [2, 2, 3]"
                    .into(),
                true
            )
        );
        assert_eq!(
            said(MediaError::ReducerDtype {
                dtype: Dtype::native(crate::wire::Scalar::F32)
            }),
            (
                "invalid frame: reducer supports uint8 frames only, got float32".into(),
                true
            )
        );
        assert_eq!(
            said(MediaError::Unshowable {
                dtype: Dtype::U8,
                shape: vec![6]
            }),
            (
                "cannot show a uint8 frame of shape [6]: the display takes uint8 images of \
                 height × width × 1, 3 (BGR) or 4 (BGRA) channels"
                    .into(),
                false
            )
        );
        let window = |message: &str, display: Option<&str>| {
            said(MediaError::Window(WindowFailure::Refused {
                message: message.into(),
                display: display.map(str::to_owned),
            }))
            .0
        };
        assert_eq!(
            window("failed", None),
            "cannot open a window: failed (DISPLAY is not set: no X server to show the window on)"
        );
        assert_eq!(
            window("XOpenDisplay failed", Some(":9")),
            "cannot open a window: XOpenDisplay failed (no X server at DISPLAY=:9)"
        );
        assert_eq!(window("no GLX", Some(":9")), "cannot open a window: no GLX");
    }
}
