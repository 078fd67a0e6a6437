//! The msgpack_numpy frame codec: a frame as the map `{b"nd", b"type", b"kind", b"shape",
//! b"data"}` that Python's `msgpack_numpy` writes and reads. Writing a raw frame, and reading
//! any frame map (raw, or compressed: see `codec.rs`) up to its bytes.

use std::ops::Range;

use bytes::Bytes;

use crate::dtype::Dtype;
use crate::error::DecodeError;
use crate::frame::Frame;
use crate::reader::Reader;
use crate::shape::{MAX_DIMS, byte_len};
use crate::text::peer_text;

pub(crate) mod prefix;

pub use prefix::frame_header;
use prefix::{FRAME_HEADER_MAX, put_frame_header};

/// The frame as msgpack_numpy encodes it: `{b"nd": true, b"type": "<dtype>", b"kind": b"",
/// b"shape": [...], b"data": <bytes>}`. Shared without a copy when the frame still has the
/// encoded form it arrived in (or was built with); otherwise one allocation, one copy.
pub fn frame_part(frame: &Frame) -> Bytes {
    // Written on the stack: this runs for every frame sent, and a shared one needs no other
    // allocation. A frame never has more than `MAX_DIMS` dimensions, so it fits.
    let mut buf = [0u8; FRAME_HEADER_MAX];
    let mut rest = &mut buf[..];
    let written = put_frame_header(
        &mut rest,
        frame.dtype(),
        frame.shape(),
        frame.as_bytes().len(),
    );
    if let Err(e) = written {
        // Every constructor of `Frame` refuses these shapes and sizes (`Frame::new`,
        // `Layout::new`, the decoders), so no frame reaches this.
        unreachable!("a frame that msgpack_numpy cannot carry: {e}");
    }
    let written = FRAME_HEADER_MAX - rest.len();
    let header = &buf[..written];
    if let Some(wire) = frame
        .wire()
        .filter(|w| w.len() == header.len() + frame.as_bytes().len() && w.starts_with(header))
    {
        return wire.clone();
    }
    let mut out = Vec::with_capacity(header.len() + frame.as_bytes().len());
    out.extend_from_slice(header);
    out.extend_from_slice(frame.as_bytes());
    Bytes::from(out)
}

/// Encodes a frame as msgpack_numpy does (see [`frame_part`]), as a `Vec`.
pub fn encode_frame(frame: &Frame) -> Vec<u8> {
    frame_part(frame).into()
}

/// A frame map as read: what its `type` names (a numpy dtype, or for a compressed frame a codec
/// `C` with the decoded dtype), its shape, and where its `data` lies in the part.
pub(crate) struct Map<C> {
    /// The codec, for a compressed frame.
    pub(crate) codec: Option<C>,
    /// The frame's dtype (a compressed frame's decoded dtype).
    pub(crate) dtype: Dtype,
    pub(crate) shape: Vec<usize>,
    /// The `data` bin's bytes, as a range of the part.
    pub(crate) data: Range<usize>,
}

/// Reads a frame map, every key checked; `codec_of` says whether a `type` names a codec (then
/// the decoded dtype is under `dtype`). Object (pickled) and structured dtypes are refused.
pub(crate) fn parse<C>(
    part: &[u8],
    codec_of: impl Fn(&[u8]) -> Option<C>,
) -> Result<Map<C>, DecodeError> {
    const WHAT: &str = "frame";
    let mut r = Reader::new(part, WHAT);
    let mut nd = None;
    let mut type_str: Option<&[u8]> = None;
    let mut decoded_dtype: Option<&[u8]> = None;
    let mut structured_type = false;
    let mut kind: &[u8] = b"";
    // The dimensions as sent (kept for the error that names them), on the stack.
    let mut dims = [0u64; MAX_DIMS];
    let mut shape_len: Option<usize> = None;
    let mut data = None;
    for _ in 0..r.map_len()? {
        r.key = "";
        let key = r.str_or_bin()?;
        match key {
            b"nd" => {
                r.key = "nd";
                nd = Some(r.bool()?);
            }
            b"type" => {
                r.key = "type";
                if r.next_is_array() {
                    structured_type = true;
                    r.skip()?;
                } else {
                    type_str = Some(r.str_or_bin()?);
                }
            }
            b"kind" => {
                r.key = "kind";
                kind = r.str_or_bin()?;
            }
            b"dtype" => {
                r.key = "dtype";
                decoded_dtype = Some(r.str_or_bin()?);
            }
            b"shape" => {
                r.key = "shape";
                let n = r.array_len()?;
                if n > MAX_DIMS {
                    return Err(DecodeError::ShapeOverflow(vec![n as u64]));
                }
                for d in &mut dims[..n] {
                    *d = r.uint()?;
                }
                shape_len = Some(n);
            }
            b"data" => {
                r.key = "data";
                let bytes = r.str_or_bin()?;
                let start = r.pos() - bytes.len();
                data = Some(start..r.pos());
            }
            _ => r.skip()?,
        }
    }
    r.finish()?;
    let missing = |key| DecodeError::MissingKey { what: WHAT, key };
    match kind {
        b"" => {}
        b"O" => return Err(DecodeError::PickledObject),
        b"V" => return Err(DecodeError::StructuredDtype),
        other => {
            return Err(DecodeError::UnsupportedDtype(format!(
                "kind {}",
                peer_text(other)
            )));
        }
    }
    if structured_type {
        return Err(DecodeError::StructuredDtype);
    }
    if !nd.ok_or_else(|| missing("nd"))? {
        return Err(DecodeError::NotAnArray);
    }
    let type_str = type_str.ok_or_else(|| missing("type"))?;
    let codec = codec_of(type_str);
    let dtype = parse_dtype(match codec {
        Some(_) => decoded_dtype.ok_or_else(|| missing("dtype"))?,
        None => type_str,
    })?;
    let shape64 = &dims[..shape_len.ok_or_else(|| missing("shape"))?];
    let range = data.ok_or_else(|| missing("data"))?;
    let shape: Vec<usize> = shape64
        .iter()
        .map(|&d| usize::try_from(d).ok())
        .collect::<Option<_>>()
        .ok_or_else(|| DecodeError::ShapeOverflow(shape64.to_vec()))?;
    Ok(Map {
        codec,
        dtype,
        shape,
        data: range,
    })
}

/// The raw (msgpack_numpy) frame a map read by [`parse`] describes: its bytes are a slice of
/// `part` (no copy), and must be exactly as many as the shape says.
pub(crate) fn raw_frame<C>(part: &Bytes, map: Map<C>) -> Result<Frame, DecodeError> {
    let Map {
        dtype, shape, data, ..
    } = map;
    let expected = byte_len(dtype, &shape)
        .ok_or_else(|| DecodeError::ShapeOverflow(shape.iter().map(|&d| d as u64).collect()))?;
    if expected != data.len() {
        return Err(DecodeError::SizeMismatch {
            expected,
            got: data.len(),
        });
    }
    if data.end != part.len() {
        // Only a trailing `data` makes the part re-sendable as it is; keep just the bytes.
        return Frame::new(dtype, shape, part.slice(data))
            .map_err(|e| DecodeError::Unexpected(e.to_string()));
    }
    Ok(Frame::from_wire(dtype, shape, part.clone(), data.start))
}

/// A numpy dtype string from the peer (at most `PEER_TEXT_LIMIT` bytes of it quoted in an
/// error).
fn parse_dtype(s: &[u8]) -> Result<Dtype, DecodeError> {
    let s = std::str::from_utf8(s).map_err(|_| DecodeError::UnsupportedDtype(peer_text(s)))?;
    Ok(Dtype::parse(s)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_frame;
    use crate::error::FrameError;
    use crate::msgpack::{put_bin, put_str};

    #[test]
    fn frame_round_trip_is_zero_copy() {
        let f = Frame::from_bgr(
            crate::Size {
                width: 4,
                height: 2,
            },
            (0..24).collect::<Vec<u8>>(),
        )
        .unwrap();
        let enc = Bytes::from(encode_frame(&f));
        // b"nd" key: bin8 of length 2
        assert_eq!(&enc[..5], &[0x85, 0xc4, 0x02, b'n', b'd']);
        let g = decode_frame(&enc).unwrap();
        assert_eq!(g, f);
        let p = g.as_bytes().as_ptr() as usize;
        let base = enc.as_ptr() as usize;
        assert!(p >= base && p < base + enc.len());
    }

    #[test]
    fn built_and_received_frames_are_sent_without_a_copy() {
        let built = Frame::build(Dtype::U8, vec![2, 4, 3], |px| px.fill(9)).unwrap();
        let part = frame_part(&built);
        assert_eq!(part.as_ptr(), built.wire().unwrap().as_ptr());
        let received = decode_frame(&part).unwrap();
        assert_eq!(frame_part(&received).as_ptr(), part.as_ptr());
        // A part whose data is not last (another packer's key order) is re-encoded.
        let mut odd = vec![0x85];
        put_bin(&mut odd, b"data");
        put_bin(&mut odd, &[1, 2, 3]);
        for (k, v) in [(&b"nd"[..], &[0xc3][..]), (b"kind", &[0xc4, 0x00])] {
            put_bin(&mut odd, k);
            odd.extend_from_slice(v);
        }
        put_bin(&mut odd, b"type");
        put_str(&mut odd, "|u1");
        put_bin(&mut odd, b"shape");
        odd.extend_from_slice(&[0x91, 0x03]);
        let odd = Bytes::from(odd);
        let f = decode_frame(&odd).unwrap();
        assert_eq!(f.as_bytes(), &[1, 2, 3]);
        let again = frame_part(&f);
        assert_ne!(again, odd);
        assert_eq!(decode_frame(&again).unwrap(), f);
    }

    /// 32768 × 32768 × 4 bytes is 2³², which a `u32` cast of the length wrote as a bin of 0
    /// bytes: a header that lied about the frame behind it.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn header_sizes_are_checked_not_cast() {
        let shape = vec![32768, 32768, 4];
        assert_eq!(
            frame_header(Dtype::U8, &shape, 1 << 32),
            Err(FrameError::TooLarge(shape.clone()))
        );
        assert_eq!(
            Frame::zeros(Dtype::U8, shape.clone()),
            Err(FrameError::TooLarge(shape))
        );
        // The largest length that fits is written as it is, in a bin32.
        let max = u32::MAX as usize;
        let header = frame_header(Dtype::U8, &[max], max).unwrap();
        assert_eq!(header[header.len() - 5..], [0xc6, 0xff, 0xff, 0xff, 0xff]);
        let dims = vec![1; MAX_DIMS + 1];
        assert_eq!(
            frame_header(Dtype::U8, &dims, 1),
            Err(FrameError::TooManyDims(MAX_DIMS + 1))
        );
    }

    #[test]
    fn frame_decode_refuses_bad_sizes_and_pickles() {
        let f = Frame::from_bgr(
            crate::Size {
                width: 4,
                height: 2,
            },
            vec![0u8; 24],
        )
        .unwrap();
        let mut enc = encode_frame(&f);
        enc.pop();
        assert!(matches!(
            decode_frame(&Bytes::from(enc)),
            Err(DecodeError::Msgpack { .. })
        ));
        let mut out = vec![0x85];
        for (k, v) in [
            (&b"nd"[..], &[0xc3][..]),
            (b"type", &[0xa2, b'|', b'O']),
            (b"kind", &[0xc4, 0x01, b'O']),
            (b"shape", &[0x91, 0x01]),
            (b"data", &[0xc4, 0x01, 0x80]),
        ] {
            put_bin(&mut out, k);
            out.extend_from_slice(v);
        }
        assert_eq!(
            decode_frame(&Bytes::from(out)),
            Err(DecodeError::PickledObject)
        );
    }
}
