//! How this crate lays out the frames it makes ([`Frame::build`](crate::Frame::build),
//! `Frame::from_elements`, `Frame::from_ndarray`): room for the msgpack_numpy map first, then the
//! elements, aligned for their type. Sending such a frame hands its buffer to ZeroMQ as it is (no
//! copy), and reading it as typed elements needs none either.

use bytes::Bytes;

use crate::dtype::Dtype;
use crate::element::Elements;
use crate::error::FrameError;
use crate::numpy::prefix::frame_header;
use crate::shape::{MAX_DIMS, byte_len};

/// The alignment of the elements of a frame this crate lays out: that of the largest element
/// type (`u64`, `i64`, `f64`).
pub(crate) const ALIGN: usize = 8;

/// A frame being laid out: `pad` bytes, the msgpack_numpy header, then the elements, in `u64`
/// words so that the elements start 8-aligned (`pad` makes the header end on a word boundary).
pub(crate) struct Layout {
    dtype: Dtype,
    shape: Vec<usize>,
    words: Vec<u64>,
    pad: usize,
    header: usize,
    /// `pad` + header + elements, in bytes.
    total: usize,
}

/// A laid-out frame's parts: its dtype and shape, the encoded part (header and elements), and
/// where the elements start in it.
pub(crate) struct Laid {
    pub(crate) dtype: Dtype,
    pub(crate) shape: Vec<usize>,
    pub(crate) wire: Bytes,
    pub(crate) offset: usize,
}

impl Layout {
    /// The words up to the elements (their room reserved), after the checks of
    /// [`Frame::new`](crate::Frame::new) on `shape`.
    pub(crate) fn new(dtype: Dtype, shape: Vec<usize>) -> Result<Layout, FrameError> {
        if shape.len() > MAX_DIMS {
            return Err(FrameError::TooManyDims(shape.len()));
        }
        let Some(n) = byte_len(dtype, &shape) else {
            return Err(FrameError::TooLarge(shape));
        };
        let header = frame_header(dtype, &shape, n)?;
        let pad = header.len().next_multiple_of(ALIGN) - header.len();
        let Some(total) = (pad + header.len()).checked_add(n) else {
            return Err(FrameError::TooLarge(shape));
        };
        let mut head = vec![0u8; pad];
        head.extend_from_slice(&header);
        let mut words = Vec::with_capacity(total.div_ceil(ALIGN));
        words.extend(
            head.chunks_exact(ALIGN)
                .map(bytemuck::pod_read_unaligned::<u64>),
        );
        Ok(Layout {
            dtype,
            shape,
            words,
            pad,
            header: header.len(),
            total,
        })
    }

    /// The frame with its elements written by `fill` (over zeros).
    pub(crate) fn fill(mut self, fill: impl FnOnce(&mut [u8])) -> Laid {
        self.words.resize(self.total.div_ceil(ALIGN), 0);
        let start = self.pad + self.header;
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut self.words);
        fill(&mut bytes[start..self.total]);
        self.finish()
    }

    /// The frame with `bytes` as its elements: as fast as a memcpy, with no zeroing first.
    pub(crate) fn copy(mut self, bytes: &[u8]) -> Laid {
        let chunks = bytes.chunks_exact(ALIGN);
        let rest = chunks.remainder();
        self.words
            .extend(chunks.map(bytemuck::pod_read_unaligned::<u64>));
        if !rest.is_empty() {
            let mut last = [0u8; ALIGN];
            last[..rest.len()].copy_from_slice(rest);
            self.words.push(u64::from_ne_bytes(last));
        }
        self.finish()
    }

    fn finish(self) -> Laid {
        let wire = Bytes::from_owner(Elements(self.words)).slice(self.pad..self.total);
        Laid {
            dtype: self.dtype,
            shape: self.shape,
            wire,
            offset: self.header,
        }
    }
}
