//! [`Frame`]: an n-dimensional, numpy-compatible array (dtype + shape + C-order bytes).

use std::time::SystemTime;

use bytes::Bytes;

use crate::error::{DecodeError, FrameError};

/// A `Result` with [`FrameError`].
type Result<T, E = FrameError> = std::result::Result<T, E>;

/// The element type of a [`Frame`], without byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `bool` (`b1`), one byte, 0 or 1.
    Bool,
    /// `uint8` (`u1`).
    U8,
    /// `int8` (`i1`).
    I8,
    /// `uint16` (`u2`).
    U16,
    /// `int16` (`i2`).
    I16,
    /// `uint32` (`u4`).
    U32,
    /// `int32` (`i4`).
    I32,
    /// `uint64` (`u8`).
    U64,
    /// `int64` (`i8`).
    I64,
    /// `float16` (`f2`).
    F16,
    /// `float32` (`f4`).
    F32,
    /// `float64` (`f8`).
    F64,
}

impl Scalar {
    /// Size of one element in bytes.
    pub const fn itemsize(self) -> usize {
        match self {
            Scalar::Bool | Scalar::U8 | Scalar::I8 => 1,
            Scalar::U16 | Scalar::I16 | Scalar::F16 => 2,
            Scalar::U32 | Scalar::I32 | Scalar::F32 => 4,
            Scalar::U64 | Scalar::I64 | Scalar::F64 => 8,
        }
    }

    /// numpy's name for the type (`uint8`, `float32`, `bool`, ...).
    pub const fn numpy_name(self) -> &'static str {
        match self {
            Scalar::Bool => "bool",
            Scalar::U8 => "uint8",
            Scalar::I8 => "int8",
            Scalar::U16 => "uint16",
            Scalar::I16 => "int16",
            Scalar::U32 => "uint32",
            Scalar::I32 => "int32",
            Scalar::U64 => "uint64",
            Scalar::I64 => "int64",
            Scalar::F16 => "float16",
            Scalar::F32 => "float32",
            Scalar::F64 => "float64",
        }
    }

    const fn code(self) -> &'static str {
        match self {
            Scalar::Bool => "b1",
            Scalar::U8 => "u1",
            Scalar::I8 => "i1",
            Scalar::U16 => "u2",
            Scalar::I16 => "i2",
            Scalar::U32 => "u4",
            Scalar::I32 => "i4",
            Scalar::U64 => "u8",
            Scalar::I64 => "i8",
            Scalar::F16 => "f2",
            Scalar::F32 => "f4",
            Scalar::F64 => "f8",
        }
    }

    /// Every element type, smallest first.
    pub const ALL: [Scalar; 12] = [
        Scalar::Bool,
        Scalar::U8,
        Scalar::I8,
        Scalar::U16,
        Scalar::I16,
        Scalar::U32,
        Scalar::I32,
        Scalar::U64,
        Scalar::I64,
        Scalar::F16,
        Scalar::F32,
        Scalar::F64,
    ];
}

/// Byte order of multi-byte elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `<`
    Little,
    /// `>`
    Big,
}

impl ByteOrder {
    /// The byte order of this machine.
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "big") {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
}

/// A numpy dtype: element type and byte order (one-byte types have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dtype {
    scalar: Scalar,
    order: Option<ByteOrder>,
}

impl Dtype {
    /// `|u1`, the dtype of BGR images.
    pub const U8: Dtype = Dtype::native(Scalar::U8);

    /// The dtype of `scalar` in this machine's byte order.
    pub const fn native(scalar: Scalar) -> Dtype {
        Dtype::with_order(scalar, ByteOrder::NATIVE)
    }

    /// The dtype of `scalar` in `order` (ignored for one-byte types).
    pub const fn with_order(scalar: Scalar, order: ByteOrder) -> Dtype {
        let order = if scalar.itemsize() == 1 {
            None
        } else {
            Some(order)
        };
        Dtype { scalar, order }
    }

    /// Parses numpy's dtype string (`dtype.str`): `|u1`, `<f4`, `>i2`, ...
    ///
    /// Structured (`|V…`) and object (`|O`) dtypes are refused: netgear-rs never unpickles.
    pub fn parse(s: &str) -> Result<Dtype, DecodeError> {
        let unsupported = || DecodeError::UnsupportedDtype(s.chars().take(64).collect());
        let (order, code) = match s.as_bytes().first() {
            Some(b'<') => (Some(ByteOrder::Little), &s[1..]),
            Some(b'>') => (Some(ByteOrder::Big), &s[1..]),
            Some(b'=') => (Some(ByteOrder::NATIVE), &s[1..]),
            Some(b'|') => (None, &s[1..]),
            _ => (None, s),
        };
        if code.starts_with('O') {
            return Err(DecodeError::PickledObject);
        }
        if code.starts_with('V') {
            return Err(DecodeError::StructuredDtype);
        }
        let scalar = Scalar::ALL
            .into_iter()
            .find(|sc| sc.code() == code)
            .ok_or_else(unsupported)?;
        match (scalar.itemsize(), order) {
            (1, _) => Ok(Dtype::native(scalar)),
            (_, Some(order)) => Ok(Dtype::with_order(scalar, order)),
            (_, None) => Err(unsupported()),
        }
    }

    /// numpy's dtype string, as msgpack_numpy writes it (`|u1`, `<f4`, `>i2`).
    pub const fn as_str(&self) -> &'static str {
        macro_rules! names {
            ($($s:ident => $one:literal, $le:literal, $be:literal;)*) => {
                match (self.scalar, self.order) {
                    $(
                        (Scalar::$s, None) => $one,
                        (Scalar::$s, Some(ByteOrder::Little)) => $le,
                        (Scalar::$s, Some(ByteOrder::Big)) => $be,
                    )*
                }
            };
        }
        names! {
            Bool => "|b1", "<b1", ">b1";
            U8 => "|u1", "<u1", ">u1";
            I8 => "|i1", "<i1", ">i1";
            U16 => "|u2", "<u2", ">u2";
            I16 => "|i2", "<i2", ">i2";
            U32 => "|u4", "<u4", ">u4";
            I32 => "|i4", "<i4", ">i4";
            U64 => "|u8", "<u8", ">u8";
            I64 => "|i8", "<i8", ">i8";
            F16 => "|f2", "<f2", ">f2";
            F32 => "|f4", "<f4", ">f4";
            F64 => "|f8", "<f8", ">f8";
        }
    }

    /// The element type.
    pub const fn scalar(&self) -> Scalar {
        self.scalar
    }

    /// The byte order; `None` for one-byte types.
    pub const fn order(&self) -> Option<ByteOrder> {
        self.order
    }

    /// Size of one element in bytes.
    pub const fn itemsize(&self) -> usize {
        self.scalar.itemsize()
    }

    /// numpy's name (`uint8`, `float32`, ...).
    pub const fn numpy_name(&self) -> &'static str {
        self.scalar.numpy_name()
    }
}

impl std::fmt::Display for Dtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Most dimensions a frame may have (numpy's own limit is 64).
pub const MAX_DIMS: usize = 32;

/// An n-dimensional array as numpy holds it: a dtype, a shape, and C-order bytes.
///
/// The bytes are a [`Bytes`], so cloning a frame, slicing a received message into frames and
/// echoing a frame back costs no copy. Images are `height × width × 3` BGR `u8` frames, as OpenCV
/// gives them; see [`Frame::from_bgr`].
///
/// A frame that arrived from a peer, or was made with [`Frame::build`], also remembers its
/// encoded form (the msgpack_numpy map with its bytes right behind it): sending it again costs no
/// copy at all.
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

/// Number of bytes a shape of `dtype` takes, or `None` on overflow.
pub(crate) fn byte_len(dtype: Dtype, shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(dtype.itemsize(), |acc, &d| acc.checked_mul(d))
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

    /// The encoded form, when the frame has one and its header is exactly what
    /// [`crate::encode_frame`] would write.
    pub(crate) fn wire(&self) -> Option<&Bytes> {
        self.wire.as_ref()
    }

    /// A frame of `dtype` and `shape` whose bytes `fill` writes, laid out behind room for its
    /// msgpack_numpy header, so that sending it never copies the bytes.
    pub fn build(
        dtype: Dtype,
        shape: impl Into<Vec<usize>>,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<Frame> {
        let shape = shape.into();
        if shape.len() > MAX_DIMS {
            return Err(FrameError::TooManyDims(shape.len()));
        }
        let Some(n) = byte_len(dtype, &shape).filter(|&n| u32::try_from(n).is_ok()) else {
            return Err(FrameError::TooLarge(shape));
        };
        let mut buf = crate::numpy::frame_header(dtype, &shape, n);
        let offset = buf.len();
        buf.resize(offset + n, 0);
        fill(&mut buf[offset..]);
        Ok(Frame::from_wire(dtype, shape, Bytes::from(buf), offset))
    }

    /// A `height × width × 3` BGR `u8` image (OpenCV's layout) over `data`.
    pub fn from_bgr(width: usize, height: usize, data: impl Into<Bytes>) -> Result<Frame> {
        Frame::new(Dtype::U8, vec![height, width, 3], data)
    }

    /// A frame of zeros.
    pub fn zeros(dtype: Dtype, shape: impl Into<Vec<usize>>) -> Result<Frame> {
        let shape = shape.into();
        let Some(n) = byte_len(dtype, &shape) else {
            return Err(FrameError::TooLarge(shape));
        };
        Frame::new(dtype, shape, vec![0u8; n])
    }

    /// A frame from typed elements in native byte order, e.g. `Frame::from_elements(&[1.0f32, 2.0], [2])`.
    pub fn from_elements<T: Element>(
        elements: &[T],
        shape: impl Into<Vec<usize>>,
    ) -> Result<Frame> {
        let mut bytes = Vec::with_capacity(std::mem::size_of_val(elements));
        for e in elements {
            e.write_ne(&mut bytes);
        }
        Frame::new(Dtype::native(T::SCALAR), shape, bytes)
    }

    /// The elements as `T`, converted to native byte order (a copy).
    ///
    /// Fails when `T` is not the frame's element type.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if T::SCALAR != self.dtype.scalar {
            return Err(FrameError::WrongElement {
                holds: self.dtype.scalar,
                asked: T::SCALAR,
            });
        }
        let swap = self.dtype.order.is_some_and(|o| o != ByteOrder::NATIVE);
        Ok(self
            .data
            .chunks_exact(T::SCALAR.itemsize())
            .map(|c| T::read(c, swap))
            .collect())
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

/// Element types a [`Frame`] can be built from and read into.
pub trait Element: Copy + sealed::Sealed {
    /// The numpy scalar type.
    const SCALAR: Scalar;
    #[doc(hidden)]
    fn write_ne(self, out: &mut Vec<u8>);
    #[doc(hidden)]
    fn read(bytes: &[u8], swap: bool) -> Self;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! element {
    ($t:ty, $s:expr) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const SCALAR: Scalar = $s;
            fn write_ne(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_ne_bytes());
            }
            fn read(bytes: &[u8], swap: bool) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(bytes);
                if swap {
                    a.reverse();
                }
                <$t>::from_ne_bytes(a)
            }
        }
    };
}

element!(u8, Scalar::U8);
element!(i8, Scalar::I8);
element!(u16, Scalar::U16);
element!(i16, Scalar::I16);
element!(u32, Scalar::U32);
element!(i32, Scalar::I32);
element!(u64, Scalar::U64);
element!(i64, Scalar::I64);
element!(f32, Scalar::F32);
element!(f64, Scalar::F64);

impl sealed::Sealed for bool {}
impl Element for bool {
    const SCALAR: Scalar = Scalar::Bool;
    fn write_ne(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
    fn read(bytes: &[u8], _swap: bool) -> Self {
        bytes[0] != 0
    }
}

#[cfg(feature = "ndarray")]
mod nd {
    use super::*;

    impl Frame {
        /// The frame as an owned `ndarray` array of `T` (native byte order; a copy).
        pub fn to_ndarray<T: Element>(&self) -> Result<ndarray::ArrayD<T>> {
            let v = self.to_vec::<T>()?;
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&self.shape), v)
                .map_err(|_| FrameError::TooLarge(self.shape.clone()))
        }

        /// A frame from any `ndarray` array (made C-contiguous; native byte order).
        pub fn from_ndarray<T: Element, D: ndarray::Dimension>(
            array: &ndarray::ArrayRef<T, D>,
        ) -> Result<Frame> {
            let shape = array.shape().to_vec();
            let elements: Vec<T> = array.iter().copied().collect();
            Frame::from_elements(&elements, shape)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn ndarray_round_trip() {
            let a = ndarray::Array3::<u16>::from_shape_fn((2, 3, 4), |(i, j, k)| {
                (i * 100 + j * 10 + k) as u16
            });
            let f = Frame::from_ndarray(&a).unwrap();
            assert_eq!(f.shape(), &[2, 3, 4]);
            assert_eq!(f.dtype().as_str(), "<u2");
            assert_eq!(f.to_ndarray::<u16>().unwrap(), a.into_dyn());
            // A transposed (non-contiguous) view is laid out in C order.
            let t = ndarray::array![[1u8, 2], [3, 4]];
            let g = Frame::from_ndarray(&t.t()).unwrap();
            assert_eq!(g.as_bytes(), &[1, 3, 2, 4]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_strings_round_trip() {
        for s in [
            "|u1", "|i1", "|b1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8", "<f2", "<f4", "<f8",
            ">u2", ">i2", ">u4", ">i4", ">u8", ">i8", ">f2", ">f4", ">f8",
        ] {
            assert_eq!(Dtype::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn refuses_object_structured_and_unknown_dtypes() {
        assert_eq!(Dtype::parse("|O"), Err(DecodeError::PickledObject));
        assert_eq!(Dtype::parse("|V12"), Err(DecodeError::StructuredDtype));
        assert!(matches!(
            Dtype::parse("<c16"),
            Err(DecodeError::UnsupportedDtype(_))
        ));
        assert!(matches!(
            Dtype::parse("|u2"),
            Err(DecodeError::UnsupportedDtype(_))
        ));
        assert!(matches!(
            Dtype::parse(""),
            Err(DecodeError::UnsupportedDtype(_))
        ));
    }

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
    fn elements_round_trip_with_byte_swap() {
        let f = Frame::from_elements(&[1u16, 258, 65535], [3]).unwrap();
        assert_eq!(f.to_vec::<u16>().unwrap(), vec![1, 258, 65535]);
        let big = Dtype::with_order(Scalar::U16, ByteOrder::Big);
        let g = Frame::new(big, [2], vec![1u8, 2, 0, 5]).unwrap();
        assert_eq!(g.to_vec::<u16>().unwrap(), vec![258, 5]);
        assert!(g.to_vec::<i16>().is_err());
    }
}
