//! Conversions between [`Frame`] and `ndarray` arrays. A frame is C-order bytes and an
//! array in standard layout (ndarray's default) C-order elements, so the common cases cost
//! one memcpy or no copy at all; other layouts (transposed, strided) are gathered in C
//! order by ndarray's `assign`.

use ndarray::{Array, ArrayD, ArrayRef, ArrayViewD, ArrayViewMut, Dimension, IxDyn};

use bytes::Bytes;

use super::{Frame, Result};
use crate::dtype::{ByteOrder, Dtype};
use crate::element::{CastError, Element, Elements};
use crate::error::FrameError;
use crate::shape::byte_len;

impl Frame {
    /// The frame as an owned array of `T` in native byte order: one memcpy (a byte swap
    /// for a frame in the other byte order). For no copy at all, see [`Frame::view`].
    ///
    /// Fails when `T` is not the frame's element type.
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayD<T>> {
        let v = self.to_vec::<T>()?;
        ArrayD::from_shape_vec(IxDyn(&self.shape), v)
            .map_err(|_| FrameError::TooLarge(self.shape.clone()))
    }

    /// The frame's elements as an array view that borrows the frame's bytes: no copy.
    ///
    /// Fails, never panics, when the bytes are not `T`s as they lie: `T` is not the
    /// element type ([`FrameError::WrongElement`]), the frame is in the other byte order
    /// ([`FrameError::ForeignByteOrder`]), its bytes do not start at a multiple of `T`'s
    /// alignment ([`FrameError::Misaligned`]), or a `bool` frame holds a byte other than
    /// 0 or 1 ([`FrameError::InvalidBool`]); [`Frame::to_ndarray`] copies in every such
    /// case. `u8` and `i8` frames are always aligned. Frames made by this crate
    /// ([`Frame::build`], [`Frame::from_elements`], [`Frame::from_ndarray`],
    /// [`Frame::from_array`]) have their elements aligned for any type; a received frame's
    /// bytes sit right behind its msgpack header, wherever that ends, so a view of its
    /// multi-byte elements may be refused.
    ///
    /// ```
    /// use netgear_wire::{Frame, ndarray::array};
    ///
    /// let frame = Frame::from_array(array![[1u16, 2, 3], [4, 5, 6]])?;
    /// let view = frame.view::<u16>()?;
    /// assert_eq!(view[[1, 2]], 6);
    /// assert_eq!(view.as_ptr().cast::<u8>(), frame.as_bytes().as_ptr()); // no copy
    /// assert!(frame.view::<i16>().is_err());                            // not its dtype
    /// # Ok::<(), netgear_wire::FrameError>(())
    /// ```
    pub fn view<T: Element>(&self) -> Result<ArrayViewD<'_, T>> {
        self.check_element::<T>()?;
        if self.dtype.order().is_some_and(|o| o != ByteOrder::NATIVE) {
            return Err(FrameError::ForeignByteOrder { dtype: self.dtype });
        }
        let elements = T::cast_ne(&self.data).map_err(|e| match e {
            CastError::Misaligned => FrameError::Misaligned {
                scalar: T::SCALAR,
                align: std::mem::align_of::<T>(),
            },
            CastError::InvalidValue => FrameError::InvalidBool,
            CastError::Size => FrameError::SizeMismatch {
                shape: self.shape.clone(),
                dtype: self.dtype,
                expected: byte_len(self.dtype, &self.shape).unwrap_or(usize::MAX),
                got: self.data.len(),
            },
        })?;
        ArrayViewD::from_shape(IxDyn(&self.shape), elements)
            .map_err(|_| FrameError::TooLarge(self.shape.clone()))
    }

    /// A frame from any array, in native byte order: one memcpy for an array in standard
    /// layout (C order, contiguous), else its elements gathered in C order (a transposed or
    /// strided view). The bytes are laid out behind room for the msgpack_numpy header (see
    /// [`Frame::build`]), so sending the frame costs no other copy.
    pub fn from_ndarray<T: Element, D: Dimension>(array: &ArrayRef<T, D>) -> Result<Frame> {
        let dtype = Dtype::native(T::SCALAR);
        let shape = array.shape().to_vec();
        if let Some(elements) = array.as_slice() {
            return Frame::from_ne_bytes(dtype, shape, T::as_ne_bytes(elements));
        }
        Frame::build(dtype, shape, |out| write_c_order(array, out))
    }

    /// A frame that takes over the array's memory: no copy for an array in standard layout
    /// (ndarray's default); any other is copied as [`Frame::from_ndarray`] does.
    ///
    /// The array's `Vec` becomes the frame's [`Bytes`] (freed with its own layout when the
    /// last clone goes). Sending such a frame copies its bytes once into the message, as
    /// for any frame made from a buffer; [`Frame::from_ndarray`] pays that copy up front
    /// instead: take this one when the frame is read here (a [`Frame::view`]) or may not be
    /// sent.
    pub fn from_array<T: Element, D: Dimension>(array: Array<T, D>) -> Result<Frame> {
        if !array.is_standard_layout() {
            return Frame::from_ndarray(&array);
        }
        let shape = array.shape().to_vec();
        let size = T::SCALAR.itemsize();
        let len = array.len();
        let (elements, offset) = array.into_raw_vec_and_offset();
        let bytes = Bytes::from_owner(Elements(elements));
        // In standard layout the elements are `len` in a row from the first one, at
        // `offset` in the `Vec` (an array sliced in place keeps the rest of its `Vec`).
        let range = offset
            .unwrap_or(0)
            .checked_mul(size)
            .and_then(|start| Some(start..start.checked_add(len.checked_mul(size)?)?))
            .filter(|r| r.end <= bytes.len());
        match range {
            Some(range) => Frame::new(Dtype::native(T::SCALAR), shape, bytes.slice(range)),
            None => Err(FrameError::TooLarge(shape)),
        }
    }
}

/// Writes the array's elements into `out` in C order. `Frame::build` aligns the elements,
/// so they are written as `T`s by ndarray's `assign`, which walks both layouts in the
/// cheapest order; bytes that are not (only ever in the test of this very fallback) one
/// element at a time.
fn write_c_order<T: Element, D: Dimension>(array: &ArrayRef<T, D>, out: &mut [u8]) {
    let view = T::cast_ne_mut(out)
        .ok()
        .and_then(|dst| ArrayViewMut::from_shape(array.raw_dim(), dst).ok());
    match view {
        Some(mut view) => view.assign(array),
        None => {
            let size = T::SCALAR.itemsize();
            for (dst, e) in out.chunks_exact_mut(size).zip(array.iter()) {
                dst.copy_from_slice(T::as_ne_bytes(std::slice::from_ref(e)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array3, ArrayD, IxDyn, ShapeBuilder, array, s};

    use super::*;
    use crate::dtype::Scalar;

    /// Every element type: from_ndarray, from_array and from_elements agree, and
    /// to_ndarray, view and to_vec give the values back.
    fn round_trip<T: Element + PartialEq + std::fmt::Debug>(make: impl Fn(usize) -> T) {
        let a = ArrayD::from_shape_fn(IxDyn(&[3, 4, 5]), |i| make(i[0] * 20 + i[1] * 5 + i[2]));
        let elements: Vec<T> = a.iter().copied().collect();
        let f = Frame::from_ndarray(&a).unwrap();
        assert_eq!(f.dtype(), Dtype::native(T::SCALAR));
        assert_eq!(f.shape(), &[3, 4, 5]);
        assert_eq!(f, Frame::from_elements(&elements, [3, 4, 5]).unwrap());
        assert_eq!(f, Frame::from_array(a.clone()).unwrap());
        assert_eq!(f.to_ndarray::<T>().unwrap(), a);
        assert_eq!(f.view::<T>().unwrap(), a);
        assert_eq!(f.to_vec::<T>().unwrap(), elements);
        // Sent and received: the same values (a view may be refused as misaligned).
        let received = crate::decode_frame(&crate::frame_part(&f)).unwrap();
        assert_eq!(received.to_ndarray::<T>().unwrap(), a);
        match received.view::<T>() {
            Ok(v) => assert_eq!(v, a),
            Err(e) => assert!(matches!(e, FrameError::Misaligned { .. }), "{e}"),
        }
    }

    #[test]
    fn every_element_type_round_trips() {
        round_trip(|i| i % 2 == 1);
        round_trip(|i| i as u8);
        round_trip(|i| i as i8 - 30);
        round_trip(|i| i as u16 * 1000);
        round_trip(|i| i as i16 * -300);
        round_trip(|i| i as u32 * 70_000);
        round_trip(|i| i as i32 * -70_000);
        round_trip(|i| i as u64 * 5_000_000_000);
        round_trip(|i| i as i64 * -5_000_000_000);
        round_trip(|i| i as f32 / 7.0);
        round_trip(|i| i as f64 / -7.0);
    }

    #[test]
    fn strided_views_are_laid_out_in_c_order() {
        let a = Array3::<u16>::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 100 + j * 10 + k) as u16);
        // Transposed: a view that is not in standard layout.
        let t = a.view().reversed_axes();
        assert!(!t.is_standard_layout());
        let f = Frame::from_ndarray(&t).unwrap();
        assert_eq!(f.shape(), &[4, 3, 2]);
        assert_eq!(f.to_ndarray::<u16>().unwrap(), t.into_dyn());
        let small = array![[1u8, 2], [3, 4]];
        assert_eq!(
            Frame::from_ndarray(&small.t()).unwrap().as_bytes(),
            &[1, 3, 2, 4]
        );
        // Every other column: strided.
        let cols = a.slice(s![.., .., ..;2]);
        let g = Frame::from_ndarray(&cols).unwrap();
        assert_eq!(g.to_ndarray::<u16>().unwrap(), cols.into_dyn());
        // Owned arrays that are not in standard layout are copied into C order too.
        let fortran =
            Array3::<i32>::from_shape_fn((2, 3, 4).f(), |(i, j, k)| (i * 100 + j * 10 + k) as i32);
        assert!(!fortran.is_standard_layout());
        let h = Frame::from_array(fortran.clone()).unwrap();
        assert_eq!(h.view::<i32>().unwrap(), fortran.into_dyn());
        // bools, and the element-at-a-time fallback for bytes that are not aligned.
        let b = array![[true, false, false], [false, true, true]];
        let f = Frame::from_ndarray(&b.t()).unwrap();
        assert_eq!(f.as_bytes(), &[1, 0, 0, 1, 0, 1]);
        let t = a.view().reversed_axes();
        let mut words = [0u64; 7];
        let out = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut words)[1..49];
        write_c_order(&t, out);
        assert_eq!(out, Frame::from_ndarray(&t).unwrap().as_bytes());
    }

    #[test]
    fn from_array_and_view_do_not_copy() {
        let a = Array3::<f32>::from_shape_fn((4, 5, 3), |(i, j, k)| (i + j + k) as f32);
        let ptr = a.as_ptr();
        let f = Frame::from_array(a.clone()).unwrap();
        assert_ne!(
            f.as_bytes().as_ptr(),
            ptr.cast(),
            "a clone has its own memory"
        );
        let f = Frame::from_array(a).unwrap();
        assert_eq!(
            f.as_bytes().as_ptr(),
            ptr.cast::<u8>(),
            "the array's own memory"
        );
        let v = f.view::<f32>().unwrap();
        assert_eq!(v.as_ptr(), ptr, "the view borrows the frame's bytes");
        // A frame sliced out of a received message: the view points into the message.
        let g = Frame::from_ndarray(&array![[1u8, 2, 3], [4, 5, 6]]).unwrap();
        let part = crate::frame_part(&g);
        let received = crate::decode_frame(&part).unwrap();
        let v = received.view::<u8>().unwrap();
        assert_eq!(v.as_ptr(), received.as_bytes().as_ptr());
        assert!(part.as_ptr_range().contains(&v.as_ptr()));
    }

    #[test]
    fn from_array_keeps_the_offset_of_an_array_sliced_in_place() {
        let mut a =
            Array3::<u16>::from_shape_fn((4, 3, 2), |(i, j, k)| (i * 100 + j * 10 + k) as u16);
        a.slice_collapse(s![1..3, .., ..]);
        assert!(a.is_standard_layout());
        let want = a.clone().into_dyn();
        let f = Frame::from_array(a).unwrap();
        assert_eq!(f.shape(), &[2, 3, 2]);
        assert_eq!(f.view::<u16>().unwrap(), want);
        let empty = Array3::<u8>::zeros((0, 4, 3));
        let e = Frame::from_array(empty).unwrap();
        assert_eq!((e.shape(), e.as_bytes().len()), (&[0, 4, 3][..], 0));
        assert_eq!(e.view::<u8>().unwrap().shape(), &[0, 4, 3]);
    }

    #[test]
    fn views_that_do_not_fit_are_typed_errors() {
        let f = Frame::from_array(array![[1u16, 2], [3, 4]]).unwrap();
        assert_eq!(
            f.view::<i16>().unwrap_err(),
            FrameError::WrongElement {
                holds: Scalar::U16,
                asked: Scalar::I16
            }
        );
        assert!(matches!(
            f.view::<u8>(),
            Err(FrameError::WrongElement { .. })
        ));
        // Misaligned: the bytes of an 8-aligned buffer from its second byte on.
        let words = Bytes::from_owner(Elements(vec![0u64; 2]));
        let odd = Frame::new(Dtype::native(Scalar::U16), [4], words.slice(1..9)).unwrap();
        assert_eq!(
            odd.view::<u16>().unwrap_err(),
            FrameError::Misaligned {
                scalar: Scalar::U16,
                align: 2
            }
        );
        assert_eq!(
            odd.to_ndarray::<u16>().unwrap().len(),
            4,
            "a copy still works"
        );
        // The other byte order.
        let foreign = match ByteOrder::NATIVE {
            ByteOrder::Little => ByteOrder::Big,
            ByteOrder::Big => ByteOrder::Little,
        };
        let dtype = Dtype::with_order(Scalar::U16, foreign);
        let swapped = Frame::new(dtype, [2], words.slice(0..4)).unwrap();
        assert_eq!(
            swapped.view::<u16>().unwrap_err(),
            FrameError::ForeignByteOrder { dtype }
        );
        let g = Frame::new(dtype, [2], vec![1u8, 2, 0, 5]).unwrap();
        let want = if foreign == ByteOrder::Big {
            [258u16, 5]
        } else {
            [513, 1280]
        };
        assert_eq!(g.to_ndarray::<u16>().unwrap().as_slice().unwrap(), want);
        // A bool byte that is neither 0 nor 1: no view; a copy reads it as true.
        let b = Frame::new(Dtype::native(Scalar::Bool), [3], vec![0u8, 1, 2]).unwrap();
        assert_eq!(b.view::<bool>().unwrap_err(), FrameError::InvalidBool);
        assert_eq!(b.to_vec::<bool>().unwrap(), [false, true, true]);
    }
}
