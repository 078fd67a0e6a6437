//! [`Frame`]: an n-dimensional, numpy-compatible array (dtype + shape + C-order bytes).

use std::time::SystemTime;

use bytes::Bytes;

use crate::dtype::{ByteOrder, Dtype};
use crate::element::Element;
use crate::error::FrameError;
use crate::layout::{Laid, Layout};
use crate::shape::{MAX_DIMS, Size, byte_len};

#[cfg(feature = "ndarray")]
mod arrays;

/// A `Result` with [`FrameError`].
type Result<T, E = FrameError> = std::result::Result<T, E>;

/// An n-dimensional array as numpy holds it: a dtype, a shape, and C-order bytes.
///
/// The bytes are a [`Bytes`], so cloning a frame, slicing a received message into frames and
/// echoing a frame back costs no copy. Images are `height × width × 3` BGR `u8` frames, as OpenCV
/// gives them; see [`Frame::from_bgr`].
///
/// A frame that arrived from a peer, or was made with [`Frame::build`], also remembers its
/// encoded form (the msgpack_numpy map with its bytes right behind it): sending it again costs no
/// copy at all.
///
/// With the `ndarray` feature: `Frame::from_array` (takes an array's memory, no copy),
/// `Frame::view` (borrows the bytes as an array view, no copy), `Frame::to_ndarray` and
/// `Frame::from_ndarray` (one memcpy each).
#[derive(Clone)]
pub struct Frame {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Bytes,
    /// The whole msgpack_numpy encoding, of which `data` is the tail, when there is one.
    wire: Option<Bytes>,
    /// When the frame was captured, when that is known.
    captured: Option<SystemTime>,
}

impl PartialEq for Frame {
    fn eq(&self, other: &Frame) -> bool {
        self.dtype == other.dtype && self.shape == other.shape && self.data == other.data
    }
}

impl Eq for Frame {}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("dtype", &self.dtype.as_str())
            .field("shape", &self.shape)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl Frame {
    /// A frame of `dtype` and `shape` over `data` (C order, `dtype`'s byte order).
    ///
    /// Fails when the byte count is not `product(shape) × itemsize`.
    pub fn new(
        dtype: Dtype,
        shape: impl Into<Vec<usize>>,
        data: impl Into<Bytes>,
    ) -> Result<Frame> {
        let shape = shape.into();
        let data = data.into();
        if shape.len() > MAX_DIMS {
            return Err(FrameError::TooManyDims(shape.len()));
        }
        if u32::try_from(data.len()).is_err() {
            return Err(FrameError::TooLarge(shape));
        }
        match byte_len(dtype, &shape) {
            Some(n) if n == data.len() => Ok(Frame {
                dtype,
                shape,
                data,
                wire: None,
                captured: None,
            }),
            Some(expected) => Err(FrameError::SizeMismatch {
                got: data.len(),
                shape,
                dtype,
                expected,
            }),
            None => Err(FrameError::TooLarge(shape)),
        }
    }

    /// A frame decoded from `wire`, the whole encoded part, whose bytes start at `offset`.
    pub(crate) fn from_wire(dtype: Dtype, shape: Vec<usize>, wire: Bytes, offset: usize) -> Frame {
        let data = wire.slice(offset..);
        debug_assert_eq!(byte_len(dtype, &shape), Some(data.len()));
        Frame {
            dtype,
            shape,
            data,
            wire: Some(wire),
            captured: None,
        }
    }

    /// A frame this crate laid out (see `layout.rs`).
    fn from_laid(laid: Laid) -> Frame {
        Frame::from_wire(laid.dtype, laid.shape, laid.wire, laid.offset)
    }

    /// The encoded form, when the frame has one and its header is exactly what
    /// [`crate::encode_frame`] would write.
    pub(crate) fn wire(&self) -> Option<&Bytes> {
        self.wire.as_ref()
    }

    /// A frame of `dtype` and `shape` whose bytes `fill` writes, laid out behind room for its
    /// msgpack_numpy header, so that sending it never copies the bytes. The elements are
    /// aligned for their type (for `Frame::view`, feature `ndarray`).
    pub fn build(
        dtype: Dtype,
        shape: impl Into<Vec<usize>>,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<Frame> {
        Ok(Frame::from_laid(
            Layout::new(dtype, shape.into())?.fill(fill),
        ))
    }

    /// A frame of `dtype` and `shape` whose bytes are a copy of `bytes` (C order, `dtype`'s
    /// byte order), laid out as [`Frame::build`] lays them out (sending it copies nothing
    /// more), in one pass over the bytes: no zeroing before the copy, as `build` needs.
    ///
    /// Fails when the byte count is not `product(shape) × itemsize`.
    pub fn copy_from_slice(
        dtype: Dtype,
        shape: impl Into<Vec<usize>>,
        bytes: &[u8],
    ) -> Result<Frame> {
        Frame::from_ne_bytes(dtype, shape.into(), bytes)
    }

    /// A `height × width × 3` BGR `u8` image (OpenCV's layout) over `data`. The size is named
    /// field by field, so width and height cannot be swapped unnoticed:
    ///
    /// ```
    /// use netgear_wire::{Frame, Size};
    /// let frame = Frame::from_bgr(Size { width: 4, height: 2 }, vec![0u8; 4 * 2 * 3])?;
    /// assert_eq!(frame.shape(), &[2, 4, 3]); // numpy's order: rows first
    /// # Ok::<_, netgear_wire::FrameError>(())
    /// ```
    pub fn from_bgr(size: Size, data: impl Into<Bytes>) -> Result<Frame> {
        Frame::new(Dtype::U8, vec![size.height, size.width, 3], data)
    }

    /// The size of an image frame (`height × width` or `height × width × channels`).
    pub fn size(&self) -> Option<Size> {
        match self.shape() {
            &[height, width] | &[height, width, _] => Some(Size { width, height }),
            _ => None,
        }
    }

    /// A frame of zeros.
    pub fn zeros(dtype: Dtype, shape: impl Into<Vec<usize>>) -> Result<Frame> {
        let shape = shape.into();
        // Refused before the zeros are allocated, as `Frame::new` would refuse them after.
        let Some(n) = byte_len(dtype, &shape).filter(|&n| u32::try_from(n).is_ok()) else {
            return Err(FrameError::TooLarge(shape));
        };
        Frame::new(dtype, shape, vec![0u8; n])
    }

    /// A frame from typed elements in native byte order, e.g. `Frame::from_elements(&[1.0f32, 2.0], [2])`.
    ///
    /// One copy (a memcpy), into a buffer laid out behind room for its msgpack_numpy header
    /// (see [`Frame::build`]), so that sending the frame costs no other.
    pub fn from_elements<T: Element>(
        elements: &[T],
        shape: impl Into<Vec<usize>>,
    ) -> Result<Frame> {
        Frame::from_ne_bytes(
            Dtype::native(T::SCALAR),
            shape.into(),
            T::as_ne_bytes(elements),
        )
    }

    /// A frame of `dtype` and `shape` whose bytes are a copy of `bytes`, behind room for the
    /// header; the same checks as [`Frame::new`].
    pub(crate) fn from_ne_bytes(dtype: Dtype, shape: Vec<usize>, bytes: &[u8]) -> Result<Frame> {
        match byte_len(dtype, &shape) {
            Some(n) if n != bytes.len() && shape.len() <= MAX_DIMS => {
                Err(FrameError::SizeMismatch {
                    got: bytes.len(),
                    shape,
                    dtype,
                    expected: n,
                })
            }
            _ => Ok(Frame::from_laid(Layout::new(dtype, shape)?.copy(bytes))),
        }
    }

    /// The elements as `T`, converted to native byte order (a copy: a memcpy when the frame
    /// is in native byte order).
    ///
    /// Fails when `T` is not the frame's element type.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.check_element::<T>()?;
        if self.dtype.order().is_some_and(|o| o != ByteOrder::NATIVE) {
            return Ok(self
                .data
                .chunks_exact(T::SCALAR.itemsize())
                .map(|c| T::read(c, true))
                .collect());
        }
        Ok(T::collect_ne(&self.data))
    }

    pub(crate) fn check_element<T: Element>(&self) -> Result<()> {
        if T::SCALAR == self.dtype.scalar() {
            Ok(())
        } else {
            Err(FrameError::WrongElement {
                holds: self.dtype.scalar(),
                asked: T::SCALAR,
            })
        }
    }

    /// When the frame was captured: set by the sources of netgear-rs (the test pattern, ffmpeg),
    /// and on a received frame from the time its netgear-rs sender put in the header. Not part
    /// of the frame's value (equality ignores it).
    pub fn captured(&self) -> Option<SystemTime> {
        self.captured
    }

    /// The frame with its capture time set.
    pub fn with_captured(mut self, captured: SystemTime) -> Frame {
        self.captured = Some(captured);
        self
    }

    /// The dtype.
    pub fn dtype(&self) -> Dtype {
        self.dtype
    }

    /// The shape, outermost dimension first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The raw C-order bytes, in the dtype's byte order.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// The bytes as a shareable buffer (no copy).
    pub fn bytes(&self) -> &Bytes {
        &self.data
    }

    /// Consumes the frame, giving its bytes.
    pub fn into_bytes(self) -> Bytes {
        self.data
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the frame has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Height of an image (the first dimension), if the frame has at least two dimensions.
    pub fn height(&self) -> Option<usize> {
        (self.shape.len() >= 2).then(|| self.shape[0])
    }

    /// Width of an image (the second dimension), if the frame has at least two dimensions.
    pub fn width(&self) -> Option<usize> {
        (self.shape.len() >= 2).then(|| self.shape[1])
    }

    /// Channels of an image: the third dimension, or 1 for a 2-D frame.
    pub fn channels(&self) -> Option<usize> {
        match self.shape.len() {
            2 => Some(1),
            3 => Some(self.shape[2]),
            _ => None,
        }
    }

    /// Whether this is a `height × width × 3` `u8` image, as BGR frames are.
    pub fn is_bgr(&self) -> bool {
        self.dtype == Dtype::U8 && self.channels() == Some(3)
    }

    /// The BGR pixels of a `height × width × 3` `u8` frame, or `None` for other frames.
    pub fn bgr_pixels(&self) -> Option<&[u8]> {
        self.is_bgr().then_some(self.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::Scalar;
    use crate::layout::ALIGN;

    #[test]
    fn frame_checks_byte_count() {
        assert!(Frame::new(Dtype::U8, vec![2, 2, 3], vec![0u8; 12]).is_ok());
        assert!(matches!(
            Frame::new(Dtype::U8, vec![2, 2, 3], vec![0u8; 11]),
            Err(FrameError::SizeMismatch {
                expected: 12,
                got: 11,
                ..
            })
        ));
        assert!(Frame::new(Dtype::U8, vec![usize::MAX, 2], Vec::new()).is_err());
    }

    #[test]
    fn built_frames_are_aligned_and_sent_without_a_copy() {
        // Headers of every length modulo 8: shapes of one to four dimensions, sizes 0 to 300.
        for dims in 1..=4 {
            for n in [0usize, 1, 7, 200, 300] {
                let mut shape = vec![1; dims];
                shape[0] = n;
                let elements: Vec<f64> = (0..n).map(|i| i as f64 / 3.0).collect();
                let f = Frame::from_elements(&elements, shape.clone()).unwrap();
                assert_eq!(f.as_bytes().as_ptr() as usize % ALIGN, 0, "{shape:?}");
                let plain = Frame::new(f.dtype(), shape.clone(), f.as_bytes().to_vec()).unwrap();
                let part = crate::frame_part(&f);
                assert_eq!(part, crate::encode_frame(&plain), "{shape:?}");
                assert_eq!(
                    part.as_ptr_range().end,
                    f.as_bytes().as_ptr_range().end,
                    "sent from the frame's own buffer"
                );
                let g = Frame::build(f.dtype(), shape, |out| out.copy_from_slice(f.as_bytes()));
                assert_eq!(g.unwrap(), f);
            }
        }
        assert!(matches!(
            Frame::from_elements(&[1u8, 2, 3], [2]),
            Err(FrameError::SizeMismatch {
                expected: 2,
                got: 3,
                ..
            })
        ));
    }

    #[test]
    fn elements_round_trip_with_byte_swap() {
        let f = Frame::from_elements(&[1u16, 258, 65535], [3]).unwrap();
        assert_eq!(f.to_vec::<u16>().unwrap(), vec![1, 258, 65535]);
        let big = Dtype::with_order(Scalar::U16, ByteOrder::Big);
        let g = Frame::new(big, [2], vec![1u8, 2, 0, 5]).unwrap();
        assert_eq!(g.to_vec::<u16>().unwrap(), vec![258, 5]);
        assert!(g.to_vec::<i16>().is_err());
    }
}
