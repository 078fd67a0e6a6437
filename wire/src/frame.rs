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
        let unsupported = || DecodeError::UnsupportedDtype(crate::error::peer_text(s.as_bytes()));
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

/// The alignment of the elements of a frame this crate lays out: that of the largest element
/// type (`u64`, `i64`, `f64`).
const ALIGN: usize = 8;

/// A `Vec` of elements as the owner of a frame's bytes, without a copy: [`Bytes::from_owner`]
/// keeps it and frees it with its own layout (turning it into a `Vec<u8>` would free it with
/// another alignment than it was allocated with).
struct Elements<T>(Vec<T>);

impl<T: Element> AsRef<[u8]> for Elements<T> {
    fn as_ref(&self) -> &[u8] {
        T::as_ne_bytes(&self.0)
    }
}

/// A frame being laid out as [`Frame::build`] does: `pad` bytes, the msgpack_numpy header,
/// then the elements, in `u64` words so that the elements start 8-aligned (`pad` makes the
/// header end on a word boundary).
struct Layout {
    dtype: Dtype,
    shape: Vec<usize>,
    words: Vec<u64>,
    pad: usize,
    header: usize,
    /// `pad` + header + elements, in bytes.
    total: usize,
}

impl Layout {
    /// The words up to the elements (their room reserved), after the checks of
    /// [`Frame::new`] on `shape`.
    fn new(dtype: Dtype, shape: Vec<usize>) -> Result<Layout> {
        if shape.len() > MAX_DIMS {
            return Err(FrameError::TooManyDims(shape.len()));
        }
        let Some(n) = byte_len(dtype, &shape) else {
            return Err(FrameError::TooLarge(shape));
        };
        let header = crate::numpy::frame_header(dtype, &shape, n)?;
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

    /// Where the elements start, in bytes from the first word.
    fn data_start(&self) -> usize {
        self.pad + self.header
    }

    /// Appends the elements' bytes: as fast as a memcpy, with no zeroing first.
    fn extend(&mut self, bytes: &[u8]) {
        let chunks = bytes.chunks_exact(ALIGN);
        let rest = chunks.remainder();
        self.words
            .extend(chunks.map(bytemuck::pod_read_unaligned::<u64>));
        if !rest.is_empty() {
            let mut last = [0u8; ALIGN];
            last[..rest.len()].copy_from_slice(rest);
            self.words.push(u64::from_ne_bytes(last));
        }
    }

    fn into_frame(self) -> Frame {
        let wire = Bytes::from_owner(Elements(self.words)).slice(self.pad..self.total);
        Frame::from_wire(self.dtype, self.shape, wire, self.header)
    }
}

/// Most dimensions a frame may have (numpy's own limit is 64).
pub const MAX_DIMS: usize = 32;

/// The size of an image in pixels, named field by field (`Size { width: 1920, height: 1080 }`):
/// numpy's shape puts the height first, most APIs the width, and a size type keeps the two
/// from being swapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Size {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

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
    /// msgpack_numpy header, so that sending it never copies the bytes. The elements are
    /// aligned for their type (for `Frame::view`, feature `ndarray`).
    pub fn build(
        dtype: Dtype,
        shape: impl Into<Vec<usize>>,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<Frame> {
        let mut layout = Layout::new(dtype, shape.into())?;
        layout.words.resize(layout.total.div_ceil(ALIGN), 0);
        let start = layout.data_start();
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut layout.words);
        fill(&mut bytes[start..layout.total]);
        Ok(layout.into_frame())
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
    fn from_ne_bytes(dtype: Dtype, shape: Vec<usize>, bytes: &[u8]) -> Result<Frame> {
        match byte_len(dtype, &shape) {
            Some(n) if n != bytes.len() && shape.len() <= MAX_DIMS => {
                Err(FrameError::SizeMismatch {
                    got: bytes.len(),
                    shape,
                    dtype,
                    expected: n,
                })
            }
            _ => {
                let mut layout = Layout::new(dtype, shape)?;
                layout.extend(bytes);
                Ok(layout.into_frame())
            }
        }
    }

    /// The elements as `T`, converted to native byte order (a copy: a memcpy when the frame
    /// is in native byte order).
    ///
    /// Fails when `T` is not the frame's element type.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.check_element::<T>()?;
        if self.dtype.order.is_some_and(|o| o != ByteOrder::NATIVE) {
            return Ok(self
                .data
                .chunks_exact(T::SCALAR.itemsize())
                .map(|c| T::read(c, true))
                .collect());
        }
        Ok(T::collect_ne(&self.data))
    }

    fn check_element<T: Element>(&self) -> Result<()> {
        if T::SCALAR == self.dtype.scalar {
            Ok(())
        } else {
            Err(FrameError::WrongElement {
                holds: self.dtype.scalar,
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

/// Element types a [`Frame`] can be built from and read into: `bool`, `u8`, `i8`, `u16`,
/// `i16`, `u32`, `i32`, `u64`, `i64`, `f32`, `f64` (numpy's `float16` has no Rust type here).
pub trait Element: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The numpy scalar type.
    const SCALAR: Scalar;
    #[doc(hidden)]
    fn read(bytes: &[u8], swap: bool) -> Self;
}

use sealed::CastError;

mod sealed {
    /// Why bytes cannot be borrowed as elements.
    #[derive(Debug)]
    pub enum CastError {
        /// The bytes do not start at a multiple of the element's alignment.
        Misaligned,
        /// A byte that is not a valid value of the type (a `bool` other than 0 or 1).
        InvalidValue,
        /// A byte count that is not a whole number of elements.
        Size,
    }

    /// The conversions between elements and their native-order bytes, all without `unsafe`
    /// (bytemuck checks size, alignment and bit patterns). Not nameable outside the crate.
    pub trait Sealed: Sized {
        /// The elements' bytes (no copy).
        fn as_ne_bytes(elements: &[Self]) -> &[u8];
        /// The bytes as elements (no copy), when aligned and valid.
        fn cast_ne(bytes: &[u8]) -> Result<&[Self], CastError>;
        /// The same, to write the elements.
        fn cast_ne_mut(bytes: &mut [u8]) -> Result<&mut [Self], CastError>;
        /// The bytes as elements, copied into a new `Vec` (any alignment).
        fn collect_ne(bytes: &[u8]) -> Vec<Self>;
    }
}

fn cast_error(e: bytemuck::PodCastError) -> CastError {
    match e {
        bytemuck::PodCastError::TargetAlignmentGreaterAndInputNotAligned => CastError::Misaligned,
        // Not from a frame, whose byte count is a multiple of the itemsize (checked when it is
        // made): refused all the same rather than assumed away.
        bytemuck::PodCastError::OutputSliceWouldHaveSlop
        | bytemuck::PodCastError::SizeMismatch
        | bytemuck::PodCastError::AlignmentMismatch => CastError::Size,
    }
}

macro_rules! element {
    ($t:ty, $s:expr) => {
        impl sealed::Sealed for $t {
            fn as_ne_bytes(elements: &[Self]) -> &[u8] {
                bytemuck::cast_slice(elements)
            }
            fn cast_ne(bytes: &[u8]) -> Result<&[Self], CastError> {
                bytemuck::try_cast_slice(bytes).map_err(cast_error)
            }
            fn cast_ne_mut(bytes: &mut [u8]) -> Result<&mut [Self], CastError> {
                bytemuck::try_cast_slice_mut(bytes).map_err(cast_error)
            }
            fn collect_ne(bytes: &[u8]) -> Vec<Self> {
                match bytemuck::try_cast_slice::<u8, $t>(bytes) {
                    Ok(elements) => elements.to_vec(),
                    // Misaligned (a received frame's bytes start wherever its header ends):
                    // copied into an aligned `Vec`.
                    Err(_) => bytemuck::pod_collect_to_vec(bytes),
                }
            }
        }
        impl Element for $t {
            const SCALAR: Scalar = $s;
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

impl sealed::Sealed for bool {
    fn as_ne_bytes(elements: &[Self]) -> &[u8] {
        bytemuck::cast_slice(elements)
    }
    fn cast_ne(bytes: &[u8]) -> Result<&[Self], CastError> {
        bytemuck::checked::try_cast_slice(bytes).map_err(checked_error)
    }
    /// Only bytes that are all 0 or 1 already (a new frame's zeros) can be written as bools.
    fn cast_ne_mut(bytes: &mut [u8]) -> Result<&mut [Self], CastError> {
        bytemuck::checked::try_cast_slice_mut(bytes).map_err(checked_error)
    }
    /// Any byte but 0 is `true`, as numpy reads a bool array's bytes.
    fn collect_ne(bytes: &[u8]) -> Vec<Self> {
        bytes.iter().map(|&b| b != 0).collect()
    }
}

fn checked_error(e: bytemuck::checked::CheckedCastError) -> CastError {
    match e {
        bytemuck::checked::CheckedCastError::PodCastError(e) => cast_error(e),
        bytemuck::checked::CheckedCastError::InvalidBitPattern => CastError::InvalidValue,
    }
}

impl Element for bool {
    const SCALAR: Scalar = Scalar::Bool;
    fn read(bytes: &[u8], _swap: bool) -> Self {
        bytes[0] != 0
    }
}

#[cfg(feature = "ndarray")]
mod nd {
    //! Conversions between [`Frame`] and `ndarray` arrays. A frame is C-order bytes and an
    //! array in standard layout (ndarray's default) C-order elements, so the common cases cost
    //! one memcpy or no copy at all; other layouts (transposed, strided) are gathered in C
    //! order by ndarray's `assign`.

    use ndarray::{Array, ArrayD, ArrayRef, ArrayViewD, ArrayViewMut, Dimension, IxDyn};

    use super::*;

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
            if self.dtype.order.is_some_and(|o| o != ByteOrder::NATIVE) {
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
            let a =
                Array3::<u16>::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 100 + j * 10 + k) as u16);
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
            let fortran = Array3::<i32>::from_shape_fn((2, 3, 4).f(), |(i, j, k)| {
                (i * 100 + j * 10 + k) as i32
            });
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
