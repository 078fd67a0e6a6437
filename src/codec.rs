//! Codec work off the async reactor: the one place the library schedules the wire layer's pure
//! codecs. Compressing a frame part ([`Options::compression`]) and decompressing a received one
//! take milliseconds of CPU for a 1080p JPEG, which would stall every other task of the runtime:
//! they run on tokio's blocking pool, timed ([`CodecTimes`]); raw frames cost microseconds and
//! stay where they are.
//!
//! [`Options::compression`]: crate::Options::compression

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::wire::{self, Compression, Frame, Parsed};

/// A frame part being made: ready at once for a raw frame, or being compressed on tokio's
/// blocking pool while the caller does something else (sends the previous frame).
pub(crate) enum Encoding {
    Ready(Bytes),
    Running(tokio::task::JoinHandle<std::result::Result<Bytes, wire::CodecError>>),
}

impl Encoding {
    /// Starts making the frame part for `frame` (a compressed frame starts encoding at once).
    pub(crate) fn start(frame: &Frame, compression: Compression, times: &CodecTimes) -> Encoding {
        if compression.codec_for(frame).is_none() {
            return Encoding::Ready(wire::frame_part(frame));
        }
        let (frame, times) = (frame.clone(), times.clone());
        Encoding::Running(tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let part = wire::compressed_frame_part(&frame, compression);
            times.0.encode.add(started.elapsed());
            part
        }))
    }

    /// The frame part, once made.
    pub(crate) async fn finish(self) -> Result<Bytes> {
        match self {
            Encoding::Ready(part) => Ok(part),
            Encoding::Running(task) => task
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e)))?
                .map_err(Error::from),
        }
    }
}

/// Finishes decoding a message read by [`wire::parse_message`] or
/// [`wire::parse_reply_message`]: on the blocking pool when its frame is compressed, right here
/// otherwise (a raw frame is decoded already: a slice of the message, no copy). The map of each
/// part is read once, by the parse.
pub(crate) async fn decode<P>(
    parsed: P,
    times: &CodecTimes,
) -> Result<std::result::Result<P::Decoded, wire::DecodeError>>
where
    P: Parsed + Send + 'static,
    P::Decoded: Send + 'static,
{
    if parsed.codec().is_none() {
        return Ok(parsed.decode());
    }
    let times = times.clone();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let decoded = parsed.decode();
        times.0.decode.add(started.elapsed());
        decoded
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))
}

/// The time one end spent compressing and decompressing frames (on the blocking pool): a
/// cloneable handle, readable while the end streams. Raw frames take no time and are not
/// counted.
#[derive(Debug, Clone, Default)]
pub struct CodecTimes(Arc<Times>);

#[derive(Debug, Default)]
struct Times {
    encode: Tally,
    decode: Tally,
}

#[derive(Debug, Default)]
struct Tally {
    frames: AtomicU64,
    nanos: AtomicU64,
}

impl Tally {
    fn add(&self, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(nanos, Ordering::Relaxed);
        self.frames.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> CodecTime {
        CodecTime {
            frames: self.frames.load(Ordering::Relaxed),
            total: Duration::from_nanos(self.nanos.load(Ordering::Relaxed)),
        }
    }
}

impl CodecTimes {
    /// The frames this end compressed (sent frames, or frame replies) and the time it took.
    pub fn encoded(&self) -> CodecTime {
        self.0.encode.get()
    }

    /// The compressed frames this end received and decompressed, and the time it took.
    pub fn decoded(&self) -> CodecTime {
        self.0.decode.get()
    }
}

/// A number of frames compressed or decompressed, and the time it took in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CodecTime {
    /// Frames.
    pub frames: u64,
    /// Time spent on them (wall time on a blocking-pool thread).
    pub total: Duration,
}

impl CodecTime {
    /// The time per frame, if there was a frame.
    pub fn per_frame(&self) -> Option<Duration> {
        u32::try_from(self.frames)
            .ok()
            .filter(|&n| n > 0)
            .map(|n| self.total / n)
    }
}
