//! Media: where frames come from and where they go, without OpenCV.
//!
//! - [`TestPattern`]: the built-in moving test pattern (the default source).
//! - [`VideoSource`]: frames from a file, an image sequence, a network stream or a camera,
//!   decoded by an ffmpeg process into BGR frames.
//! - [`reducer`]: vidgear's `reducer()`, on a SIMD resizer.
//! - [`Recorder`]: frames into a video file through an ffmpeg encoder process.
//! - `Display` (feature `display`): a real window showing frames, with the frame rate in its
//!   title.

#[cfg(feature = "display")]
mod display;
mod record;
mod reducer;
mod testsrc;
mod video;

#[cfg(feature = "display")]
pub use display::Display;
pub use record::Recorder;
pub use reducer::{Interpolation, reducer};
pub use testsrc::TestPattern;
pub use video::{VideoOptions, VideoSource};

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::error::Result;
use crate::options::Source;
use crate::wire::Frame;

impl Source {
    /// Starts the source: its frames as a stream, endless for the test pattern, to the end of
    /// the input for a video.
    pub async fn open(self) -> Result<BoxStream<'static, Result<Frame>>> {
        Ok(match self {
            Source::TestPattern(t) => t.stream(None).map(Ok).boxed(),
            Source::Video(v) => VideoSource::open(v).await?.into_stream().boxed(),
        })
    }
}
