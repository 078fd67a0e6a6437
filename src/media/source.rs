//! [`Source`]: the built-in sources a send-mode end can stream by itself (vidgear's `source=`).

use futures::StreamExt;
use futures::stream::BoxStream;

use super::{TestPattern, VideoOptions, VideoSource};
use crate::error::Result;
use crate::wire::{Data, Frame};

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

/// One item of a custom source: a bare frame, or `(data, frame)` in bidirectional mode.
#[derive(Debug, Clone)]
pub enum SourceItem {
    /// A frame without data.
    Frame(Frame),
    /// A frame with data (bidirectional mode).
    WithData(Option<Data>, Frame),
}

impl From<Frame> for SourceItem {
    fn from(f: Frame) -> SourceItem {
        SourceItem::Frame(f)
    }
}

impl From<(Option<Data>, Frame)> for SourceItem {
    fn from((d, f): (Option<Data>, Frame)) -> SourceItem {
        SourceItem::WithData(d, f)
    }
}

impl From<(Data, Frame)> for SourceItem {
    fn from((d, f): (Data, Frame)) -> SourceItem {
        SourceItem::WithData(Some(d), f)
    }
}
