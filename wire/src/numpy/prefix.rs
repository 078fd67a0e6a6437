//! The head of a msgpack_numpy frame map, up to and including the bin header of its `data`:
//! what precedes a frame's bytes on the wire. A leaf, so that the frames this crate lays out
//! (`layout.rs`) and decompresses (`codec.rs`) can reserve it in front of their bytes.

use crate::dtype::Dtype;
use crate::error::FrameError;
use crate::msgpack::infallible;
use crate::shape::MAX_DIMS;

/// The longest msgpack_numpy header: the fixed keys and values, and up to [`MAX_DIMS`]
/// dimensions of at most 9 bytes each.
pub(crate) const FRAME_HEADER_MAX: usize = 64 + 9 * MAX_DIMS;

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
pub(crate) fn put_frame_header<W: rmp::encode::RmpWrite>(
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
/// [`decode_frame`](crate::decode_frame) gives a frame that is sent again without a copy.
///
/// Fails with [`FrameError::TooManyDims`] past [`MAX_DIMS`] dimensions and with
/// [`FrameError::TooLarge`] when `len` does not fit one msgpack bin (4 GiB or more).
pub fn frame_header(dtype: Dtype, shape: &[usize], len: usize) -> Result<Vec<u8>, FrameError> {
    let mut out = Vec::with_capacity(48 + shape.len().min(MAX_DIMS) * 9);
    put_frame_header(&mut out, dtype, shape, len)?;
    Ok(out)
}
