//! Compressed frames off the async reactor: encoding ([`Options::compression`]) and decoding a
//! 1080p JPEG take milliseconds of CPU, which would stall every other task of the runtime.
//!
//! [`Options::compression`]: crate::Options::compression

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::transport;
use crate::wire::{self, Compression, Frame};

/// The frame part for `frame`: as it is (no copy) when `compression` leaves it alone, else
/// compressed on tokio's blocking pool.
pub(crate) async fn frame_part(
    frame: &Frame,
    compression: Compression,
    times: &CodecTimes,
) -> Result<Bytes> {
    Encoding::start(frame, compression, times).finish().await
}

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

/// Runs `decode` over a received message: on the blocking pool when its second part is a
/// compressed frame, right here otherwise (a raw frame decodes in microseconds, without a copy).
pub(crate) async fn decode<T: Send + 'static>(
    parts: transport::Message,
    times: &CodecTimes,
    decode: impl FnOnce(&[Bytes]) -> T + Send + 'static,
) -> Result<T> {
    if parts.get(1).and_then(|p| wire::frame_codec(p)).is_none() {
        return Ok(decode(&parts));
    }
    let times = times.clone();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let decoded = decode(&parts);
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
