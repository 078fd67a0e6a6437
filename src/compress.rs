//! Frames compressed for the wire ([`Options::compression`](crate::Options::compression)), off
//! the async reactor: a 1080p JPEG takes milliseconds of CPU, which would stall every other
//! task of the runtime.

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::wire::{self, Compression, Frame};

/// The frame part for `frame`: as it is (no copy) when `compression` leaves it alone, else
/// compressed on tokio's blocking pool.
pub(crate) async fn frame_part(frame: &Frame, compression: Compression) -> Result<Bytes> {
    if compression.codec_for(frame).is_none() {
        return Ok(wire::frame_part(frame));
    }
    let frame = frame.clone();
    tokio::task::spawn_blocking(move || wire::compressed_frame_part(&frame, compression))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))?
        .map_err(Error::from)
}
