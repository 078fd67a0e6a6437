//! Compressed frames, a netgear-rs extension of the msgpack_numpy map.
//!
//! A compressed frame part is the map msgpack_numpy writes with two changes: `type` names the
//! codec instead of a numpy dtype, and a `dtype` key carries the dtype of the decoded frame.
//! Keys are bin, as msgpack_numpy writes them, in this order (`data` last, so that the pixel
//! bytes can be handed to ZeroMQ without a copy):
//!
//! | key | value |
//! |---|---|
//! | `b"nd"` | `true` |
//! | `b"type"` | str `"netgear:jpeg"`, `"netgear:lz4"`, `"netgear:zstd"` or `"netgear:h264"` |
//! | `b"kind"` | bin `b""` |
//! | `b"shape"` | array of uints, the decoded frame's shape |
//! | `b"dtype"` | str, the decoded frame's numpy dtype (`"\|u1"`, `"<u2"`, …) |
//! | `b"data"` | bin, the compressed bytes |
//!
//! - `jpeg`: a baseline JFIF image from libjpeg-turbo (4:4:4 for colour), of an `h × w × 3` BGR
//!   or an `h × w` / `h × w × 1` gray `|u1` frame; the JPEG's size must be the shape's. A
//!   receiver decodes any baseline (sequential, Huffman-coded) JPEG with one component for a
//!   gray frame or three for a colour one (4:2:0 too); progressive, arithmetic-coded and
//!   lossless JPEGs, and a component count that differs, are refused before decoding.
//! - `lz4`: one LZ4 block (no frame header, no size prefix) of the frame's C-order bytes.
//! - `zstd`: one zstd frame of the frame's C-order bytes, its header saying their size.
//! - `h264`: one H.264 access unit of a stream, behind a 14-byte header (`crate::h264`, feature
//!   `h264`): inter-frame, so decoded by a receiver's per-stream decoders, never alone.
//!
//! A vidgear (msgpack_numpy) receiver hands `"netgear:jpeg"` to numpy as a dtype and fails
//! with `TypeError: data type 'netgear:jpeg' not understood`: a clear error naming the codec,
//! never garbage pixels. A netgear-rs receiver recognises the codec by the message alone.

use bytes::Bytes;

use crate::dtype::Dtype;
use crate::error::DecodeError;
use crate::frame::Frame;
use crate::msgpack::{infallible, put_bin, put_str};
use crate::numpy::prefix::frame_header;
use crate::shape::byte_len;

/// The largest frame a compressed frame may decode into by default: what an uncompressed frame
/// can carry in the default largest message (64 MiB).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 64 << 20;

/// How a sender compresses its frames (`Compression::None`, the default, is vidgear's wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Frames go as msgpack_numpy writes them (vidgear's wire).
    #[default]
    None,
    /// `|u1` frames of 1 or 3 channels as JPEG at this quality (1–100); other frames go
    /// uncompressed.
    Jpeg {
        /// JPEG quality, 1 to 100.
        quality: u8,
    },
    /// Any frame, lossless, as one LZ4 block.
    Lz4,
    /// Any frame, lossless, as one zstd frame at this level (1–22).
    Zstd {
        /// zstd compression level.
        level: i32,
    },
    /// `|u1` BGR frames (`h × w × 3`, even sides, at most 3840 × 2160) as an H.264 stream
    /// aiming at this many kbit/s (feature `h264`); other frames go uncompressed. Inter-frame:
    /// each frame depends on the ones before, and a receiver decodes from a key frame on.
    H264 {
        /// The target bitrate, kbit/s (100–100,000).
        kbps: u32,
    },
}

impl Compression {
    /// JPEG at the default quality, 90.
    pub const JPEG: Compression = Compression::Jpeg { quality: 90 };
    /// zstd at the default level, 3.
    pub const ZSTD: Compression = Compression::Zstd { level: 3 };
    /// H.264 at the default bitrate, 4,000 kbit/s (what WebRTC budgets for 1080p).
    pub const H264: Compression = Compression::H264 { kbps: 4000 };

    /// The codec this compression uses for `frame`, or `None` when the frame goes as it is.
    pub fn codec_for(self, frame: &Frame) -> Option<Codec> {
        match self {
            Compression::None => None,
            Compression::Jpeg { .. } => {
                jpeg_format(frame.dtype(), frame.shape()).map(|_| Codec::Jpeg)
            }
            Compression::Lz4 => Some(Codec::Lz4),
            Compression::Zstd { .. } => Some(Codec::Zstd),
            Compression::H264 { .. } => {
                h264_fits(frame.dtype(), frame.shape()).then_some(Codec::H264)
            }
        }
    }
}

/// Whether H.264 carries a frame of `dtype` and `shape`: 8-bit BGR, even sides (4:2:0), at
/// most 3840 × 2160 either way round.
pub(crate) fn h264_fits(dtype: Dtype, shape: &[usize]) -> bool {
    let [h, w, 3] = *shape else {
        return false;
    };
    dtype == Dtype::U8
        && h > 0
        && w > 0
        && h % 2 == 0
        && w % 2 == 0
        && h.max(w) <= 3840
        && h.min(w) <= 2160
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Compression::None => f.write_str("none"),
            Compression::Jpeg { quality } => write!(f, "jpeg:{quality}"),
            Compression::Lz4 => f.write_str("lz4"),
            Compression::Zstd { level } => write!(f, "zstd:{level}"),
            Compression::H264 { kbps } => write!(f, "h264:{kbps}"),
        }
    }
}

impl std::str::FromStr for Compression {
    type Err = CodecError;

    /// `none`, `jpeg`, `jpeg:QUALITY` (1–100, default 90), `lz4`, `zstd`, `zstd:LEVEL` (1–22,
    /// default 3), `h264`, `h264:KBPS` (100–100,000, default 4,000).
    fn from_str(s: &str) -> Result<Compression, CodecError> {
        let bad = || CodecError::Unknown(s.chars().take(64).collect());
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        match (name, arg) {
            ("none", None) => Ok(Compression::None),
            ("lz4", None) => Ok(Compression::Lz4),
            ("jpeg", None) => Ok(Compression::JPEG),
            ("jpeg", Some(q)) => match q.parse::<u8>() {
                Ok(quality @ 1..=100) => Ok(Compression::Jpeg { quality }),
                _ => Err(bad()),
            },
            ("zstd", None) => Ok(Compression::ZSTD),
            ("zstd", Some(l)) => match l.parse::<i32>() {
                Ok(level @ 1..=22) => Ok(Compression::Zstd { level }),
                _ => Err(bad()),
            },
            ("h264", None) => Ok(Compression::H264),
            ("h264", Some(k)) => match k.parse::<u32>() {
                Ok(kbps @ 100..=100_000) => Ok(Compression::H264 { kbps }),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

/// The codec of a compressed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// JPEG (libjpeg-turbo), lossy.
    Jpeg,
    /// LZ4 block, lossless.
    Lz4,
    /// zstd frame, lossless.
    Zstd,
    /// H.264 access unit, lossy, inter-frame.
    H264,
}

impl Codec {
    /// The `type` string that marks a frame compressed with this codec.
    pub const fn type_str(self) -> &'static str {
        match self {
            Codec::Jpeg => "netgear:jpeg",
            Codec::Lz4 => "netgear:lz4",
            Codec::Zstd => "netgear:zstd",
            Codec::H264 => "netgear:h264",
        }
    }

    /// The codec a `type` string names, if it names one.
    pub fn from_type(t: &[u8]) -> Option<Codec> {
        [Codec::Jpeg, Codec::Lz4, Codec::Zstd, Codec::H264]
            .into_iter()
            .find(|c| c.type_str().as_bytes() == t)
    }
}

/// Why a frame could not be compressed (local input, not peer input).
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// A compression name that is not one of `none`, `jpeg[:QUALITY]`, `lz4`, `zstd[:LEVEL]`,
    /// `h264[:KBPS]`.
    #[error(
        "compression {0:?}: valid ones are none, jpeg, jpeg:QUALITY (1-100), lz4, zstd, zstd:LEVEL (1-22), h264, h264:KBPS (100-100000)"
    )]
    Unknown(String),
    /// The H.264 encoder refused the frame, or this build has none (feature `h264`), or a
    /// frame was to be encoded without an encoder (H.264 is stateful: see `H264Encoder`).
    #[error("h264: {0}")]
    H264(String),
    /// libjpeg-turbo refused the frame.
    #[error("jpeg: {0}")]
    Jpeg(#[from] turbojpeg::Error),
    /// zstd refused the frame.
    #[error("zstd: {0}")]
    Zstd(std::io::Error),
}

/// The pixel format JPEG carries a frame of `dtype` and `shape` in, if it can.
fn jpeg_format(dtype: Dtype, shape: &[usize]) -> Option<turbojpeg::PixelFormat> {
    if dtype != Dtype::U8 || shape.iter().take(2).any(|&d| d == 0 || d > 65_535) {
        return None;
    }
    match shape {
        [_, _] | [_, _, 1] => Some(turbojpeg::PixelFormat::GRAY),
        [_, _, 3] => Some(turbojpeg::PixelFormat::BGR),
        _ => None,
    }
}

/// `frame` compressed under `compression`: the compressed frame map (see the module doc), or
/// `None` when the frame goes as it is (no compression, a frame JPEG cannot carry, compressed
/// bytes that do not fit one msgpack bin — an incompressible frame near 4 GiB grows a little
/// under lz4).
///
/// This is CPU work (about 5–15 ms for a 1080p JPEG): run it off an async reactor.
pub(crate) fn compress(
    frame: &Frame,
    compression: Compression,
) -> Result<Option<Bytes>, CodecError> {
    let pixels = frame.as_bytes();
    let (codec, data) = match compression {
        Compression::None => return Ok(None),
        Compression::Jpeg { quality } => {
            let Some(format) = jpeg_format(frame.dtype(), frame.shape()) else {
                return Ok(None);
            };
            (Codec::Jpeg, jpeg(frame, format, quality)?)
        }
        Compression::Lz4 => (Codec::Lz4, lz4_flex::block::compress(pixels)),
        Compression::H264 { .. } => {
            return Err(CodecError::H264(
                "an H.264 frame is made by the sending end's encoder (H264Encoder), not alone"
                    .into(),
            ));
        }
        Compression::Zstd { level } => (
            Codec::Zstd,
            zstd::bulk::compress(pixels, level).map_err(CodecError::Zstd)?,
        ),
    };
    let shape = frame.shape().iter().map(|&d| d as u64);
    Ok(compressed_part(codec, shape, frame.dtype().as_str(), &data))
}

/// `frame` (of a shape [`jpeg_format`] gave `format` for) as JPEG, with this thread's
/// compressor.
fn jpeg(frame: &Frame, format: turbojpeg::PixelFormat, quality: u8) -> Result<Vec<u8>, CodecError> {
    let (height, width) = (frame.shape()[0], frame.shape()[1]);
    let image = turbojpeg::Image {
        pixels: frame.as_bytes(),
        width,
        pitch: width * format.size(),
        height,
        format,
    };
    JPEG.with(|c| {
        let mut c = c.borrow_mut();
        let compressor = match c.as_mut() {
            Some(compressor) => compressor,
            None => c.insert(turbojpeg::Compressor::new()?),
        };
        compressor.set_quality(i32::from(quality))?;
        // Full-resolution colour (4:4:4): chroma subsampling blurs the sharp colour edges of
        // overlays and text (about 34 dB instead of 50 dB at quality 90 on the test pattern) to
        // save about a third of the bytes.
        let subsamp = if format == turbojpeg::PixelFormat::GRAY {
            turbojpeg::Subsamp::Gray
        } else {
            turbojpeg::Subsamp::None
        };
        compressor.set_subsamp(subsamp)?;
        Ok(compressor.compress_to_vec(image)?)
    })
}

/// The compressed frame map (see the module doc), `data` last; `None` when the shape has more
/// dimensions or `data` more bytes than msgpack's 32-bit lengths carry (checked, never cast).
pub(crate) fn compressed_part(
    codec: Codec,
    shape: impl ExactSizeIterator<Item = u64>,
    dtype: &str,
    data: &[u8],
) -> Option<Bytes> {
    let dims = u32::try_from(shape.len()).ok()?;
    u32::try_from(data.len()).ok()?;
    let mut out = Vec::with_capacity(80 + shape.len() * 9 + data.len());
    out.push(0x86);
    put_bin(&mut out, b"nd");
    out.push(0xc3);
    put_bin(&mut out, b"type");
    put_str(&mut out, codec.type_str());
    put_bin(&mut out, b"kind");
    put_bin(&mut out, b"");
    put_bin(&mut out, b"shape");
    infallible(rmp::encode::write_array_len(&mut out, dims));
    for d in shape {
        infallible(rmp::encode::write_uint(&mut out, d));
    }
    put_bin(&mut out, b"dtype");
    put_str(&mut out, dtype);
    put_bin(&mut out, b"data");
    put_bin(&mut out, data);
    Some(Bytes::from(out))
}

/// Most scans a JPEG from a peer may have. Only progressive JPEGs have more than one scan per
/// component, and they are refused before decoding ([`jpeg_refusal`]); this bounds the decoder
/// should one get through all the same (libjpeg-turbo's advice against scan-count denial of
/// service).
const JPEG_SCAN_LIMIT: u32 = 4;

/// The most bytes one byte of an LZ4 block can decode into (a match's length grows by 255 per
/// extra length byte), plus a little for the block's last literals.
const LZ4_MAX_RATIO: usize = 255;

/// The fewest bytes a whole baseline JPEG of `height × width` pixels can have: one component
/// at least has every pixel, so there are at least `height × width / 64` blocks of 8×8, and the
/// shortest Huffman-coded block is 2 bits (a 1-bit DC difference of 0 and a 1-bit end of block;
/// JPEG has no shorter codes).
fn jpeg_least_bytes(height: usize, width: usize) -> usize {
    height.saturating_mul(width) / 256
}

/// A JPEG decompressor for one frame from a peer, with [`JPEG_SCAN_LIMIT`]. Each frame gets a
/// new one: a libjpeg handle keeps what a stream defined (quantisation and Huffman tables, and
/// after a tables-only stream the previous image's size), so a shared one would let one message,
/// or one peer, change how the next is decoded.
fn decompressor() -> Result<turbojpeg::Decompressor, turbojpeg::Error> {
    let mut d = turbojpeg::Decompressor::new()?;
    d.set_scan_limit(JPEG_SCAN_LIMIT)?;
    Ok(d)
}

/// Why a JPEG from a peer is refused before decoding, if it is: `netgear:jpeg` frames are
/// baseline JPEGs (sequential, Huffman-coded, lossy), as netgear-rs makes them, with one
/// component for a gray frame and three for a colour one. Decoding a baseline JPEG holds a few
/// rows of blocks besides the frame and costs time in proportion to its bytes and the frame's
/// pixels; a progressive one holds every coefficient of every component of the image (twice
/// the frame's size per component: 400 MB for an 8192×8192 colour JPEG sent as a 64 MiB gray
/// frame) and reads them again for every scan.
fn jpeg_refusal(
    header: &turbojpeg::DecompressHeader,
    format: turbojpeg::PixelFormat,
) -> Option<String> {
    use turbojpeg::Colorspace;
    let kind = if header.is_progressive {
        "a progressive JPEG"
    } else if header.is_arithmetic {
        "an arithmetic-coded JPEG"
    } else if header.is_lossless {
        "a lossless JPEG"
    } else {
        let colour = matches!(header.colorspace, Colorspace::YCbCr | Colorspace::RGB);
        return match (format, header.colorspace) {
            (turbojpeg::PixelFormat::GRAY, Colorspace::Gray) => None,
            (turbojpeg::PixelFormat::GRAY, cs) => Some(format!(
                "a {cs:?} JPEG for a gray frame (only a one-component JPEG is decoded into one)"
            )),
            (_, _) if colour => None,
            (_, cs) => Some(format!(
                "a {cs:?} JPEG for a colour frame (only a three-component YCbCr or RGB JPEG is \
                 decoded into one)"
            )),
        };
    };
    Some(format!("{kind}: netgear:jpeg frames are baseline JPEGs"))
}

thread_local! {
    static JPEG: std::cell::RefCell<Option<turbojpeg::Compressor>> =
        const { std::cell::RefCell::new(None) };
}

/// Decodes the `data` of a compressed frame into a frame of `dtype` and `shape`, allocating at
/// most `max_frame_size` bytes (checked before anything is allocated). The frame is laid out
/// behind its msgpack_numpy header, so sending it on costs no copy.
pub(crate) fn decompress(
    codec: Codec,
    dtype: Dtype,
    shape: Vec<usize>,
    data: &[u8],
    max_frame_size: usize,
) -> Result<Frame, DecodeError> {
    let shape64 = || shape.iter().map(|&d| d as u64).collect::<Vec<_>>();
    let expected = byte_len(dtype, &shape)
        .filter(|&n| u32::try_from(n).is_ok())
        .ok_or_else(|| DecodeError::ShapeOverflow(shape64()))?;
    if expected > max_frame_size {
        return Err(DecodeError::FrameTooLarge {
            size: expected,
            limit: max_frame_size,
        });
    }
    let bad = |detail: String| DecodeError::Compressed {
        codec: codec.type_str(),
        detail,
    };
    let jpeg = match codec {
        Codec::Jpeg => {
            let format = jpeg_format(dtype, &shape)
                .ok_or_else(|| bad(format!("a {dtype} frame of shape {shape:?} is not a JPEG")))?;
            let mut unjpeg = decompressor().map_err(|e| bad(e.to_string()))?;
            let header = unjpeg.read_header(data).map_err(|e| match e {
                // What libjpeg-turbo reports for a tables-only stream: its size is unset (-1).
                turbojpeg::Error::IntegerOverflow(_) => {
                    bad("a JPEG with no image (tables only)".into())
                }
                e => bad(e.to_string()),
            })?;
            if (header.height, header.width) != (shape[0], shape[1]) {
                return Err(bad(format!(
                    "a {}x{} JPEG for a frame of shape {shape:?}",
                    header.width, header.height
                )));
            }
            if let Some(why) = jpeg_refusal(&header, format) {
                return Err(bad(why));
            }
            // A cut-short JPEG would be decoded to its end all the same (the rest of the image
            // filled in): one that cannot hold a whole image of its size is refused first.
            let least = jpeg_least_bytes(header.height, header.width);
            if data.len() < least {
                return Err(bad(format!(
                    "{} bytes cannot hold a whole {}x{} baseline JPEG (at least {least})",
                    data.len(),
                    header.width,
                    header.height
                )));
            }
            Some((unjpeg, format))
        }
        // Inter-frame: only a stream's decoder knows what a frame builds on.
        Codec::H264 => {
            return Err(bad(
                "an H.264 frame is decoded by the receiving end's stream decoders \
                 (H264Decoders), not alone"
                    .into(),
            ));
        }
        // Claims the compressed bytes cannot make are refused before the frame is allocated.
        Codec::Lz4 => {
            if expected
                > data
                    .len()
                    .saturating_mul(LZ4_MAX_RATIO)
                    .saturating_add(LZ4_MAX_RATIO)
            {
                return Err(bad(format!(
                    "{} bytes of LZ4 cannot hold a frame of {expected} bytes",
                    data.len()
                )));
            }
            None
        }
        Codec::Zstd => {
            match zstd::zstd_safe::get_frame_content_size(data) {
                Ok(Some(size)) if size == expected as u64 => {}
                Ok(Some(size)) => {
                    return Err(DecodeError::SizeMismatch {
                        expected,
                        got: usize::try_from(size).unwrap_or(usize::MAX),
                    });
                }
                // netgear-rs writes the size in every zstd frame's header.
                Ok(None) | Err(_) => {
                    return Err(bad("a zstd frame that does not say its size".into()));
                }
            }
            None
        }
    };
    let mut buf =
        frame_header(dtype, &shape, expected).map_err(|_| DecodeError::ShapeOverflow(shape64()))?;
    let offset = buf.len();
    buf.resize(offset + expected, 0);
    let out = &mut buf[offset..];
    match codec {
        Codec::Jpeg => {
            let (mut unjpeg, format) = jpeg.ok_or_else(|| bad("no decompressor".into()))?;
            let image = turbojpeg::Image {
                pixels: out,
                width: shape[1],
                pitch: shape[1] * format.size(),
                height: shape[0],
                format,
            };
            unjpeg
                .decompress(data, image)
                .map_err(|e| bad(e.to_string()))?;
        }
        Codec::Lz4 => {
            let n = lz4_flex::block::decompress_into(data, out).map_err(|e| bad(e.to_string()))?;
            if n != expected {
                return Err(DecodeError::SizeMismatch { expected, got: n });
            }
        }
        Codec::H264 => unreachable!("refused above"),
        Codec::Zstd => {
            let n = zstd::bulk::decompress_to_buffer(data, out).map_err(|e| bad(e.to_string()))?;
            if n != expected {
                return Err(DecodeError::SizeMismatch { expected, got: n });
            }
        }
    }
    Ok(Frame::from_wire(dtype, shape, Bytes::from(buf), offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::{ByteOrder, Scalar};
    use crate::{compressed_frame_part, decode_frame, decode_frame_limited, frame_codec};

    /// A smooth, image-like `h × w × c` `|u1` frame.
    fn image(h: usize, w: usize, c: usize) -> Frame {
        Frame::build(Dtype::U8, vec![h, w, c], |px| {
            for (i, p) in px.iter_mut().enumerate() {
                let (y, x, ch) = (i / (w * c), i / c % w, i % c);
                *p = (x * 180 / w + y * 60 / h + ch * 5) as u8;
            }
        })
        .unwrap()
    }

    fn part(frame: &Frame, c: Compression) -> Bytes {
        compressed_frame_part(frame, c).unwrap()
    }

    #[test]
    fn codecs_are_recognised_without_decoding() {
        let f = image(8, 8, 3);
        assert_eq!(frame_codec(&crate::frame_part(&f)), None);
        assert_eq!(frame_codec(&part(&f, Compression::JPEG)), Some(Codec::Jpeg));
        assert_eq!(frame_codec(&part(&f, Compression::Lz4)), Some(Codec::Lz4));
        assert_eq!(frame_codec(&part(&f, Compression::ZSTD)), Some(Codec::Zstd));
        assert_eq!(frame_codec(b""), None);
        assert_eq!(frame_codec(&[0x81, 0xc1]), None);
    }

    #[test]
    fn names_parse_and_print() {
        for (s, c) in [
            ("none", Compression::None),
            ("jpeg", Compression::JPEG),
            ("jpeg:75", Compression::Jpeg { quality: 75 }),
            ("lz4", Compression::Lz4),
            ("zstd", Compression::ZSTD),
            ("zstd:19", Compression::Zstd { level: 19 }),
        ] {
            assert_eq!(s.parse::<Compression>().unwrap(), c);
            assert_eq!(c.to_string().parse::<Compression>().unwrap(), c);
        }
        for bad in [
            "jpeg:0", "jpeg:101", "zstd:0", "zstd:x", "gzip", "lz4:1", "",
        ] {
            assert!(
                matches!(bad.parse::<Compression>(), Err(CodecError::Unknown(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn lossless_codecs_are_byte_exact_for_every_dtype() {
        for scalar in Scalar::ALL {
            for order in [ByteOrder::Little, ByteOrder::Big] {
                let dtype = Dtype::with_order(scalar, order);
                let shape = vec![5, 7, 2];
                let n = byte_len(dtype, &shape).unwrap();
                let bytes: Vec<u8> = (0..n).map(|i| (i * 7 % 13) as u8).collect();
                let f = Frame::new(dtype, shape, bytes).unwrap();
                for c in [Compression::Lz4, Compression::ZSTD] {
                    let p = part(&f, c);
                    let g = decode_frame(&p).unwrap();
                    assert_eq!(g, f, "{c} {dtype}");
                    // Decoded frames are laid out to be sent on without a copy.
                    let whole = crate::frame_part(&g);
                    assert_eq!(
                        whole.as_ptr().wrapping_add(whole.len() - n),
                        g.as_bytes().as_ptr()
                    );
                }
            }
        }
    }

    #[test]
    fn jpeg_carries_gray_and_bgr_and_keeps_channel_order() {
        for shape in [vec![48, 64], vec![48, 64, 1], vec![48, 64, 3]] {
            let c = *shape.get(2).unwrap_or(&1);
            let f = Frame::new(Dtype::U8, shape.clone(), image(48, 64, c).bytes().clone()).unwrap();
            let p = part(&f, Compression::JPEG);
            assert!(p.len() < f.len() / 2, "{} of {} bytes", p.len(), f.len());
            let g = decode_frame(&p).unwrap();
            assert_eq!((g.dtype(), g.shape()), (f.dtype(), &shape[..]));
            let off: u64 = f
                .as_bytes()
                .iter()
                .zip(g.as_bytes())
                .map(|(a, b)| u64::from(a.abs_diff(*b)))
                .sum();
            let mean = off as f64 / f.as_bytes().len() as f64;
            assert!(mean < 2.0, "{shape:?}: pixels off by {mean:.2} on average");
        }
        // Pure blue stays blue: B first, as OpenCV orders it.
        let blue = Frame::build(Dtype::U8, vec![16, 16, 3], |px| {
            px.chunks_mut(3)
                .for_each(|p| p.copy_from_slice(&[255, 0, 0]))
        })
        .unwrap();
        let g = decode_frame(&part(&blue, Compression::JPEG)).unwrap();
        let px = &g.as_bytes()[..3];
        assert!(px[0] > 240 && px[1] < 15 && px[2] < 15, "{px:?}");
    }

    #[test]
    fn jpeg_sends_what_it_cannot_carry_as_it_is() {
        let depth = Frame::from_elements(&[1u16, 2, 3, 4, 5, 6], [2, 3]).unwrap();
        let rgba = image(4, 4, 4);
        for f in [depth, rgba] {
            assert_eq!(Compression::JPEG.codec_for(&f), None);
            assert_eq!(part(&f, Compression::JPEG), crate::frame_part(&f));
        }
    }

    /// A compressed part with the given fields, as a peer may send them.
    fn handmade(codec: Codec, shape: &[u64], dtype: &str, data: &[u8]) -> Bytes {
        compressed_part(codec, shape.iter().copied(), dtype, data).unwrap()
    }

    #[test]
    fn peer_sizes_are_checked_before_anything_is_allocated() {
        // 8 bytes of lz4 claiming a 4 GiB frame: refused by the limit, not attempted.
        let bomb = handmade(Codec::Lz4, &[65536, 65535], "|u1", &[0; 8]);
        assert!(matches!(
            decode_frame(&bomb),
            Err(DecodeError::FrameTooLarge {
                limit: DEFAULT_MAX_FRAME_SIZE,
                ..
            })
        ));
        let small = handmade(
            Codec::Zstd,
            &[100],
            "|u1",
            &zstd::bulk::compress(&[1; 100], 3).unwrap(),
        );
        assert!(decode_frame(&small).is_ok());
        assert!(matches!(
            decode_frame_limited(&small, 99),
            Err(DecodeError::FrameTooLarge {
                size: 100,
                limit: 99
            })
        ));
        let overflow = handmade(Codec::Lz4, &[u64::MAX, 2], "|u1", &[]);
        assert!(matches!(
            decode_frame(&overflow),
            Err(DecodeError::ShapeOverflow(_))
        ));
    }

    /// A JPEG of `f` (BGR, or gray if `gray`), baseline or progressive.
    fn jpeg_of(f: &Frame, gray: bool, progressive: bool) -> Vec<u8> {
        let (h, w) = (f.shape()[0], f.shape()[1]);
        let (format, subsamp) = if gray {
            (turbojpeg::PixelFormat::GRAY, turbojpeg::Subsamp::Gray)
        } else {
            (turbojpeg::PixelFormat::BGR, turbojpeg::Subsamp::None)
        };
        let mut c = turbojpeg::Compressor::new().unwrap();
        c.set_subsamp(subsamp).unwrap();
        c.set_progressive(progressive).unwrap();
        let image = turbojpeg::Image {
            pixels: f.as_bytes(),
            width: w,
            pitch: w * format.size(),
            height: h,
            format,
        };
        c.compress_to_vec(image).unwrap()
    }

    fn refused_because(part: &Bytes, because: &str) {
        match decode_frame(part) {
            Err(DecodeError::Compressed { detail, .. }) => {
                assert!(detail.contains(because), "{detail}")
            }
            other => panic!("not refused ({because}): {other:?}"),
        }
    }

    #[test]
    fn costly_jpegs_and_impossible_claims_are_refused_before_decoding() {
        let colour = image(64, 64, 3);
        let gray = image(64, 64, 1);
        // Baseline JPEGs of the frame's components decode.
        let ok = handmade(
            Codec::Jpeg,
            &[64, 64, 3],
            "|u1",
            &jpeg_of(&colour, false, false),
        );
        assert!(decode_frame(&ok).is_ok());
        let ok = handmade(Codec::Jpeg, &[64, 64], "|u1", &jpeg_of(&gray, true, false));
        assert!(decode_frame(&ok).is_ok());
        // Progressive: refused, colour or gray.
        let p = handmade(
            Codec::Jpeg,
            &[64, 64, 3],
            "|u1",
            &jpeg_of(&colour, false, true),
        );
        refused_because(&p, "a progressive JPEG");
        let p = handmade(Codec::Jpeg, &[64, 64], "|u1", &jpeg_of(&gray, true, true));
        refused_because(&p, "a progressive JPEG");
        // Three components for a gray frame, one for a colour frame.
        let c = handmade(
            Codec::Jpeg,
            &[64, 64],
            "|u1",
            &jpeg_of(&colour, false, false),
        );
        refused_because(&c, "JPEG for a gray frame");
        let g = handmade(
            Codec::Jpeg,
            &[64, 64, 3],
            "|u1",
            &jpeg_of(&gray, true, false),
        );
        refused_because(&g, "JPEG for a colour frame");
        // A whole JPEG cut short: refused without decoding the image it claims.
        let big = image(512, 512, 1);
        let whole = jpeg_of(&big, true, false);
        let cut = handmade(Codec::Jpeg, &[512, 512], "|u1", &whole[..600]);
        refused_because(&cut, "600 bytes cannot hold a whole 512x512 baseline JPEG");
        // 64 bytes of LZ4 cannot make 64 MiB; a zstd frame must say its size, and that size.
        let lz4 = handmade(Codec::Lz4, &[8192, 8192], "|u1", &[0; 64]);
        refused_because(
            &lz4,
            "64 bytes of LZ4 cannot hold a frame of 67108864 bytes",
        );
        let mut unsized_zstd = Vec::new();
        let mut encoder = zstd::stream::Encoder::new(&mut unsized_zstd, 3).unwrap();
        encoder.include_contentsize(false).unwrap();
        std::io::Write::write_all(&mut encoder, colour.as_bytes()).unwrap();
        encoder.finish().unwrap();
        let z = handmade(Codec::Zstd, &[64, 64, 3], "|u1", &unsized_zstd);
        refused_because(&z, "does not say its size");
        let big = handmade(
            Codec::Zstd,
            &[8192, 8192],
            "|u1",
            &zstd::bulk::compress(colour.as_bytes(), 3).unwrap(),
        );
        assert!(matches!(
            decode_frame(&big),
            Err(DecodeError::SizeMismatch {
                expected: 67108864,
                got: 12288
            })
        ));
    }

    /// The first offset of JPEG marker `m` (0xFF then `m`) in `jpeg`.
    fn marker_at(jpeg: &[u8], m: u8) -> usize {
        jpeg.windows(2).position(|w| w == [0xFF, m]).unwrap()
    }

    #[test]
    fn no_message_changes_how_the_next_is_decoded() {
        let colour = image(64, 64, 3);
        let whole = jpeg_of(&colour, false, false);
        let ok = handmade(Codec::Jpeg, &[64, 64, 3], "|u1", &whole);
        // A tables-only stream (SOI, the tables, EOI): no image, and after a whole JPEG not the
        // previous image's size either.
        let mut tables = whole[..marker_at(&whole, 0xC0)].to_vec();
        tables.extend_from_slice(&[0xFF, 0xD9]);
        let tables = handmade(Codec::Jpeg, &[64, 64, 3], "|u1", &tables);
        // An abbreviated image stream: the whole JPEG without its quantisation tables, which a
        // handle would take from an earlier stream.
        let (dqt, sof) = (marker_at(&whole, 0xDB), marker_at(&whole, 0xC0));
        let mut abbreviated = whole[..dqt].to_vec();
        abbreviated.extend_from_slice(&whole[sof..]);
        let abbreviated = handmade(Codec::Jpeg, &[64, 64, 3], "|u1", &abbreviated);
        for part in [&tables, &abbreviated] {
            let alone = format!("{:?}", decode_frame(part));
            assert!(alone.starts_with("Err(Compressed"), "{alone}");
            for before in [&ok, &tables, &abbreviated] {
                let _ = decode_frame(before);
                assert_eq!(format!("{:?}", decode_frame(part)), alone);
            }
        }
        refused_because(&tables, "no image");
        assert!(decode_frame(&ok).is_ok());
    }

    #[test]
    fn bad_compressed_bytes_are_typed_errors() {
        let f = image(8, 8, 3);
        let bytes = f.as_bytes();
        // Fewer bytes than the shape calls for.
        let short = handmade(
            Codec::Lz4,
            &[8, 8, 4],
            "|u1",
            &lz4_flex::block::compress(bytes),
        );
        assert!(matches!(
            decode_frame(&short),
            Err(DecodeError::SizeMismatch { .. })
        ));
        let short = handmade(
            Codec::Zstd,
            &[8, 8, 4],
            "|u1",
            &zstd::bulk::compress(bytes, 3).unwrap(),
        );
        assert!(matches!(
            decode_frame(&short),
            Err(DecodeError::SizeMismatch { .. })
        ));
        // More bytes than the shape holds, and garbage.
        for codec in [Codec::Lz4, Codec::Zstd, Codec::Jpeg] {
            let long = handmade(codec, &[8, 8, 2], "|u1", &part(&f, Compression::Lz4));
            assert!(decode_frame(&long).is_err(), "{codec:?}");
            let junk = handmade(codec, &[8, 8, 3], "|u1", &[0x55; 64]);
            assert!(
                matches!(decode_frame(&junk), Err(DecodeError::Compressed { .. })),
                "{codec:?}"
            );
        }
        // A JPEG whose size is not the shape's, and one for a frame JPEG cannot hold.
        let jpeg = turbojpeg::compress(
            turbojpeg::Image {
                pixels: bytes,
                width: 8,
                pitch: 24,
                height: 8,
                format: turbojpeg::PixelFormat::BGR,
            },
            90,
            turbojpeg::Subsamp::Sub2x2,
        )
        .unwrap();
        let wrong = handmade(Codec::Jpeg, &[16, 4, 3], "|u1", &jpeg);
        assert!(matches!(
            decode_frame(&wrong),
            Err(DecodeError::Compressed { .. })
        ));
        let wide = handmade(Codec::Jpeg, &[8, 8, 3], "<u2", &jpeg);
        assert!(matches!(
            decode_frame(&wide),
            Err(DecodeError::Compressed { .. })
        ));
        let ok = handmade(Codec::Jpeg, &[8, 8, 3], "|u1", &jpeg);
        assert!(decode_frame(&ok).is_ok());
        // No `dtype` key.
        let mut missing = part(&f, Compression::Lz4).to_vec();
        let at = missing.windows(5).position(|w| w == b"dtype").unwrap();
        missing[at..at + 5].copy_from_slice(b"dtypX");
        assert!(matches!(
            decode_frame(&Bytes::from(missing)),
            Err(DecodeError::MissingKey { key: "dtype", .. })
        ));
    }
}
