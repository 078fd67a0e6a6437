//! A frame part, raw or compressed: the second part of a frame message and of a frame reply.
//!
//! Encoding takes a [`Compression`]; decoding goes in two steps, so that a receiver reads each
//! map once: [`ParsedFrame::parse`] reads the map (cheap, microseconds: on an async reactor), and
//! [`ParsedFrame::decode`] gives the frame — at once for a raw frame (a slice of the part, no
//! copy), by decompressing for a compressed one (milliseconds for a 1080p JPEG: CPU work to move
//! off a reactor when [`ParsedFrame::codec`] says there is some).

use std::ops::Range;
use std::time::SystemTime;

use bytes::Bytes;

use crate::codec::{self, Codec, CodecError, Compression, DEFAULT_MAX_FRAME_SIZE};
use crate::dtype::Dtype;
use crate::error::DecodeError;
use crate::frame::Frame;
use crate::numpy::{self, frame_part};
use crate::reader::Reader;

/// The frame part for `frame` under `compression`: the compressed map, or the plain
/// msgpack_numpy part ([`frame_part`], no copy) when the frame goes as it is.
///
/// This is CPU work for a compressed frame (about 5–15 ms for a 1080p JPEG): run it off an
/// async reactor ([`Compression::codec_for`] says whether there is any).
pub fn compressed_frame_part(frame: &Frame, compression: Compression) -> Result<Bytes, CodecError> {
    Ok(codec::compress(frame, compression)?.unwrap_or_else(|| frame_part(frame)))
}

/// The codec of a frame part, if it is a compressed frame: a look at the map's keys up to
/// `type`, nothing decoded or allocated, and `None` for anything that is not a compressed frame
/// map (a raw frame, bad bytes).
pub fn frame_codec(part: &[u8]) -> Option<Codec> {
    let mut r = Reader::new(part, "frame");
    for _ in 0..r.map_len().ok()? {
        if r.str_or_bin().ok()? == b"type" {
            return Codec::from_type(r.str_or_bin().ok()?);
        }
        r.skip().ok()?;
    }
    None
}

/// A frame part whose map has been read: a raw frame (decoded already), or a compressed frame
/// still to decompress.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsedFrame {
    /// A msgpack_numpy frame; its bytes are a slice of the part.
    Raw(Frame),
    /// A compressed frame (a netgear-rs extension), checked up to its compressed bytes.
    Compressed(CompressedFrame),
}

/// A compressed frame whose map has been read and checked: its codec, the frame it claims to
/// decode into, and its compressed bytes (a slice of the part, kept without a copy).
#[derive(Clone, PartialEq)]
pub struct CompressedFrame {
    codec: Codec,
    dtype: Dtype,
    shape: Vec<usize>,
    part: Bytes,
    data: Range<usize>,
    max_frame_size: usize,
    captured: Option<SystemTime>,
}

impl std::fmt::Debug for CompressedFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompressedFrame")
            .field("codec", &self.codec)
            .field("dtype", &self.dtype.as_str())
            .field("shape", &self.shape)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl CompressedFrame {
    /// The codec.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The compressed bytes (the map's `data`).
    pub fn data(&self) -> &[u8] {
        &self.part[self.data.clone()]
    }

    /// Decompresses the frame, allocating at most the limit given to [`ParsedFrame::parse`]
    /// (checked before anything is allocated). The frame is laid out behind its msgpack_numpy
    /// header, so sending it on costs no copy.
    pub fn decompress(self) -> Result<Frame, DecodeError> {
        let data = &self.part[self.data];
        let frame = codec::decompress(
            self.codec,
            self.dtype,
            self.shape,
            data,
            self.max_frame_size,
        )?;
        Ok(match self.captured {
            Some(t) => frame.with_captured(t),
            None => frame,
        })
    }
}

#[cfg(feature = "h264")]
impl CompressedFrame {
    /// Decodes an H.264 frame with the receiving end's `decoders` (its stream's decoder),
    /// allocating at most the limit given to [`ParsedFrame::parse`]; any other codec as
    /// [`decompress`](CompressedFrame::decompress) does.
    pub fn decode_h264(
        self,
        decoders: &mut crate::h264::H264Decoders,
    ) -> Result<Frame, DecodeError> {
        if self.codec != Codec::H264 {
            return self.decompress();
        }
        let expected = crate::shape::byte_len(self.dtype, &self.shape).ok_or_else(|| {
            DecodeError::ShapeOverflow(self.shape.iter().map(|&d| d as u64).collect())
        })?;
        if expected > self.max_frame_size {
            return Err(DecodeError::FrameTooLarge {
                size: expected,
                limit: self.max_frame_size,
            });
        }
        let frame = decoders.decode(self.shape, &self.part[self.data])?;
        Ok(match self.captured {
            Some(t) => frame.with_captured(t),
            None => frame,
        })
    }
}

impl ParsedFrame {
    /// Reads a frame part's map: object (pickled) and structured dtypes are refused, and every
    /// key is checked; a raw frame's shape must match its byte count exactly. A compressed frame
    /// will decompress into at most `max_frame_size` bytes.
    pub fn parse(part: &Bytes, max_frame_size: usize) -> Result<ParsedFrame, DecodeError> {
        let map = numpy::parse(part, Codec::from_type)?;
        Ok(match map.codec {
            Some(codec) => ParsedFrame::Compressed(CompressedFrame {
                codec,
                dtype: map.dtype,
                shape: map.shape,
                part: part.clone(),
                data: map.data,
                max_frame_size,
                captured: None,
            }),
            None => ParsedFrame::Raw(numpy::raw_frame(part, map)?),
        })
    }

    /// The codec of a compressed frame: decoding it is CPU work. `None` for a raw frame.
    pub fn codec(&self) -> Option<Codec> {
        match self {
            ParsedFrame::Raw(_) => None,
            ParsedFrame::Compressed(c) => Some(c.codec),
        }
    }

    /// The frame: a raw one as it is, a compressed one decompressed.
    pub fn decode(self) -> Result<Frame, DecodeError> {
        match self {
            ParsedFrame::Raw(frame) => Ok(frame),
            ParsedFrame::Compressed(c) => c.decompress(),
        }
    }

    /// The frame, an H.264 one decoded by `decoders` (see [`CompressedFrame::decode_h264`]).
    #[cfg(feature = "h264")]
    pub fn decode_h264(
        self,
        decoders: &mut crate::h264::H264Decoders,
    ) -> Result<Frame, DecodeError> {
        match self {
            ParsedFrame::Raw(frame) => Ok(frame),
            ParsedFrame::Compressed(c) => c.decode_h264(decoders),
        }
    }

    /// The frame with its capture time set (from the header it came with).
    pub(crate) fn with_captured(self, captured: SystemTime) -> ParsedFrame {
        match self {
            ParsedFrame::Raw(frame) => ParsedFrame::Raw(frame.with_captured(captured)),
            ParsedFrame::Compressed(c) => ParsedFrame::Compressed(CompressedFrame {
                captured: Some(captured),
                ..c
            }),
        }
    }
}

/// Decodes a frame part, raw or compressed. A raw frame's bytes are a slice of `part` (no
/// copy).
///
/// Object dtypes (pickles) and structured dtypes are refused; the shape must match the byte
/// count exactly. A compressed frame (see [`Codec`]) is decompressed into at most
/// [`DEFAULT_MAX_FRAME_SIZE`] bytes; [`decode_frame_limited`] sets another limit.
pub fn decode_frame(part: &Bytes) -> Result<Frame, DecodeError> {
    decode_frame_limited(part, DEFAULT_MAX_FRAME_SIZE)
}

/// [`decode_frame`], with a compressed frame decoded into at most `max_frame_size` bytes.
pub fn decode_frame_limited(part: &Bytes, max_frame_size: usize) -> Result<Frame, DecodeError> {
    ParsedFrame::parse(part, max_frame_size)?.decode()
}
