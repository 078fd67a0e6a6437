//! Compressed frames off the async reactor: encoding ([`Options::compression`]) and decoding a
//! 1080p JPEG take milliseconds of CPU, which would stall every other task of the runtime.
//!
//! [`Options::compression`]: crate::Options::compression

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::transport;
use crate::wire::{self, Compression, Frame};

/// The frame part for `frame`: as it is (no copy) when `compression` leaves it alone, else
/// compressed on tokio's blocking pool.
pub(crate) async fn frame_part(frame: &Frame, compression: Compression) -> Result<Bytes> {
    Encoding::start(frame, compression).finish().await
}

/// A frame part being made: ready at once for a raw frame, or being compressed on tokio's
/// blocking pool while the caller does something else (sends the previous frame).
pub(crate) enum Encoding {
    Ready(Bytes),
    Running(tokio::task::JoinHandle<std::result::Result<Bytes, wire::CodecError>>),
}

impl Encoding {
    /// Starts making the frame part for `frame` (a compressed frame starts encoding at once).
    pub(crate) fn start(frame: &Frame, compression: Compression) -> Encoding {
        if compression.codec_for(frame).is_none() {
            return Encoding::Ready(wire::frame_part(frame));
        }
        let frame = frame.clone();
        Encoding::Running(tokio::task::spawn_blocking(move || {
            wire::compressed_frame_part(&frame, compression)
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
    decode: impl FnOnce(&[Bytes]) -> T + Send + 'static,
) -> Result<T> {
    if parts.get(1).and_then(|p| wire::frame_codec(p)).is_none() {
        return Ok(decode(&parts));
    }
    tokio::task::spawn_blocking(move || decode(&parts))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))
}
