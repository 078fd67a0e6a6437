//! Media: where frames come from and where they go, without OpenCV.
//!
//! - [`Source`]: a built-in source for a send-mode end (vidgear's `source`).
//! - [`TestPattern`]: the built-in moving test pattern (the default source).
//! - [`VideoSource`]: frames from a file, an image sequence, a network stream or a camera,
//!   decoded by an ffmpeg process into BGR frames.
//! - [`Live`]: a source captured on its own clock; the sender always takes its newest frame and
//!   the frames it had no time for are dropped and counted.
//! - [`reducer`]: vidgear's `reducer()`, on a SIMD resizer.
//! - [`Recorder`]: frames into a video file through an ffmpeg encoder process; every way out
//!   finishes the file, and frames of another shape are refused without harming it.
//! - [`MediaError`]: what can go wrong in any of them ([`Error::Media`](crate::Error::Media)).
//!
//! Every wait on ffmpeg or ffprobe is bounded ([`DEFAULT_TIMEOUT`], [`VideoOptions::timeout`],
//! [`Recorder::with_timeout`]): a source or encoder that hangs fails with
//! [`Error::Timeout`](crate::Error::Timeout), naming what it waited for.
//! - `Display` (feature `display`): a real window showing frames, with the frame rate in its
//!   title.

#[cfg(feature = "display")]
mod display;
mod error;
mod live;
mod record;
mod reducer;
mod source;
mod testsrc;
mod video;

#[cfg(feature = "display")]
pub use display::Display;
pub use error::{MediaError, WindowFailure};
pub use live::{Live, LiveCounts};
pub use record::Recorder;
pub use reducer::{Interpolation, reducer};
pub use source::{Source, SourceItem};
pub use testsrc::TestPattern;
pub use video::{DEFAULT_TIMEOUT, VideoOptions, VideoSource};
