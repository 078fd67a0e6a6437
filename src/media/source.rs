//! [`Source`]: the built-in sources a send-mode end can stream by itself (vidgear's `source=`).

use futures::StreamExt;
use futures::stream::BoxStream;

use super::{TestPattern, VideoOptions, VideoSource};
use crate::error::Result;
use crate::wire::Frame;

/// A built-in source for a send-mode end (vidgear's `source` parameter).
#[derive(Debug, Clone)]
pub enum Source {
    /// The built-in moving test pattern.
    TestPattern(TestPattern),
    /// A video file, image sequence, network stream or camera, decoded by ffmpeg.
    Video(VideoOptions),
}

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
