//! [`Element`]: the Rust types a frame's elements can be read as and built from, and the
//! conversions between elements and their bytes, all without `unsafe` (bytemuck checks size,
//! alignment and bit patterns).

use crate::dtype::Scalar;

/// Element types a [`Frame`](crate::Frame) can be built from and read into: `bool`, `u8`, `i8`, `u16`,
/// `i16`, `u32`, `i32`, `u64`, `i64`, `f32`, `f64` (numpy's `float16` has no Rust type here).
pub trait Element: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The numpy scalar type.
    const SCALAR: Scalar;
    #[doc(hidden)]
    fn read(bytes: &[u8], swap: bool) -> Self;
}

pub(crate) use sealed::CastError;

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

/// A `Vec` of elements as the owner of a frame's bytes, without a copy: [`Bytes::from_owner`]
/// keeps it and frees it with its own layout (turning it into a `Vec<u8>` would free it with
/// another alignment than it was allocated with).
pub(crate) struct Elements<T>(pub(crate) Vec<T>);

impl<T: Element> AsRef<[u8]> for Elements<T> {
    fn as_ref(&self) -> &[u8] {
        T::as_ne_bytes(&self.0)
    }
}
