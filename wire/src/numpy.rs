//! The msgpack_numpy frame codec: a frame as the map `{b"nd", b"type", b"kind", b"shape",
//! b"data"}` that Python's `msgpack_numpy` writes and reads.

use bytes::Bytes;

use crate::codec::{self, Codec, DEFAULT_MAX_FRAME_SIZE};
use crate::error::{DecodeError, FrameError};
use crate::frame::{self, Dtype, Frame, MAX_DIMS};
use crate::msgpack::infallible;
use crate::reader::Reader;

/// The longest msgpack_numpy header: the fixed keys and values, and up to [`MAX_DIMS`]
/// dimensions of at most 9 bytes each.
const FRAME_HEADER_MAX: usize = 64 + 9 * MAX_DIMS;

/// The two sizes a msgpack_numpy header carries, as msgpack writes them: the number of
/// dimensions (at most [`MAX_DIMS`]) and the byte count of `data` (one msgpack bin: under
/// 4 GiB). Checked, never cast: a 32768 × 32768 × 4 frame is 2³² bytes, which a `u32` cast
/// would write as 0.
fn header_sizes(shape: &[usize], len: usize) -> Result<(u32, u32), FrameError> {
    let dims = u32::try_from(shape.len())
        .ok()
        .filter(|_| shape.len() <= MAX_DIMS)
        .ok_or(FrameError::TooManyDims(shape.len()))?;
    let len = u32::try_from(len).map_err(|_| FrameError::TooLarge(shape.to_vec()))?;
    Ok((dims, len))
}

/// Writes the msgpack_numpy map that precedes `len` bytes of a `dtype` frame of `shape`, up to
/// and including the bin header of its `data`.
fn put_frame_header<W: rmp::encode::RmpWrite>(
    out: &mut W,
    dtype: Dtype,
    shape: &[usize],
    len: usize,
) -> Result<(), FrameError> {
    let (dims, len) = header_sizes(shape, len)?;
    infallible(out.write_u8(0x85));
    infallible(rmp::encode::write_bin(out, b"nd"));
    infallible(out.write_u8(0xc3));
    infallible(rmp::encode::write_bin(out, b"type"));
    infallible(rmp::encode::write_str(out, dtype.as_str()));
    infallible(rmp::encode::write_bin(out, b"kind"));
    infallible(rmp::encode::write_bin(out, b""));
    infallible(rmp::encode::write_bin(out, b"shape"));
    infallible(rmp::encode::write_array_len(out, dims));
    for &d in shape {
        infallible(rmp::encode::write_uint(out, d as u64));
    }
    infallible(rmp::encode::write_bin(out, b"data"));
    infallible(rmp::encode::write_bin_len(out, len));
    Ok(())
}

/// The msgpack_numpy map that precedes `len` bytes of a `dtype` frame of `shape`, up to and
/// including the bin header of its `data`: write the frame's bytes right behind it and
/// [`decode_frame`] gives a frame that is sent again without a copy.
///
/// Fails with [`FrameError::TooManyDims`] past [`MAX_DIMS`] dimensions and with
/// [`FrameError::TooLarge`] when `len` does not fit one msgpack bin (4 GiB or more).
pub fn frame_header(dtype: Dtype, shape: &[usize], len: usize) -> Result<Vec<u8>, FrameError> {
    let mut out = Vec::with_capacity(48 + shape.len().min(MAX_DIMS) * 9);
    put_frame_header(&mut out, dtype, shape, len)?;
    Ok(out)
}

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

/// Decodes a msgpack_numpy frame. The frame's bytes are a slice of `part` (no copy).
///
/// Object dtypes (pickles) and structured dtypes are refused; the shape must match the byte
/// count exactly. A compressed frame (see [`Codec`](crate::Codec)) is decompressed into at most
/// [`DEFAULT_MAX_FRAME_SIZE`] bytes; [`decode_frame_limited`] sets another limit.
pub fn decode_frame(part: &Bytes) -> Result<Frame, DecodeError> {
    decode_frame_limited(part, DEFAULT_MAX_FRAME_SIZE)
}

/// [`decode_frame`], with a compressed frame decoded into at most `max_frame_size` bytes.
pub fn decode_frame_limited(part: &Bytes, max_frame_size: usize) -> Result<Frame, DecodeError> {
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
                crate::error::peer_text(other)
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
    let codec = Codec::from_type(type_str);
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
    if let Some(codec) = codec {
        return codec::decompress(codec, dtype, shape, &part[range], max_frame_size);
    }
    let expected = frame::byte_len(dtype, &shape)
        .ok_or_else(|| DecodeError::ShapeOverflow(shape64.to_vec()))?;
    if expected != range.len() {
        return Err(DecodeError::SizeMismatch {
            expected,
            got: range.len(),
        });
    }
    if range.end != part.len() {
        // Only a trailing `data` makes the part re-sendable as it is; keep just the bytes.
        return Frame::new(dtype, shape, part.slice(range))
            .map_err(|e| DecodeError::Unexpected(e.to_string()));
    }
    Ok(Frame::from_wire(dtype, shape, part.clone(), range.start))
}

/// A numpy dtype string from the peer (at most `PEER_TEXT_LIMIT` bytes of it quoted in an
/// error).
fn parse_dtype(s: &[u8]) -> Result<Dtype, DecodeError> {
    Dtype::parse(
        std::str::from_utf8(s)
            .map_err(|_| DecodeError::UnsupportedDtype(crate::error::peer_text(s)))?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
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
