//! The wire layer's own errors: [`DecodeError`] for bytes from a peer, [`FrameError`] for a
//! frame built from inconsistent parts, [`DataError`] for values that do not convert.

use crate::dtype::{Dtype, DtypeError, Scalar};
use crate::shape::MAX_DIMS;
#[cfg(doc)]
use crate::text::PEER_TEXT_LIMIT;

/// Why bytes from a peer were refused. Every case is an error, never a panic, never an
/// allocation sized by a number the peer chose beyond the bytes actually received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The message had the wrong number of parts.
    #[error("{what}: expected {expected} part(s), got {got}")]
    PartCount {
        /// Which message.
        what: &'static str,
        /// How many parts were expected.
        expected: usize,
        /// How many arrived.
        got: usize,
    },
    /// The bytes are not the msgpack that was expected here.
    #[error("{what}: not valid msgpack ({detail})")]
    Msgpack {
        /// Which message or field.
        what: &'static str,
        /// What the decoder saw.
        detail: String,
    },
    /// A required key is missing from a map.
    #[error("{what}: missing key {key:?}")]
    MissingKey {
        /// Which message.
        what: &'static str,
        /// The missing key.
        key: &'static str,
    },
    /// A key holds a value of the wrong msgpack type.
    #[error("{what}: key {key:?} should be {expected}")]
    WrongType {
        /// Which message.
        what: &'static str,
        /// The key.
        key: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// A dtype string that netgear-rs does not know: the peer's text, quoted and cut to
    /// [`PEER_TEXT_LIMIT`] bytes.
    #[error("unsupported dtype {0}")]
    UnsupportedDtype(String),
    /// An object-dtype array: its payload is a pickle, which netgear-rs never unpickles.
    #[error(
        "refused an object-dtype array: its payload is a Python pickle, which is never unpickled"
    )]
    PickledObject,
    /// A structured (record) dtype array.
    #[error("refused a structured-dtype array: structured dtypes are not supported")]
    StructuredDtype,
    /// A numpy scalar (`nd: false`) where an array was expected.
    #[error("expected an array, got a numpy scalar")]
    NotAnArray,
    /// The product of the shape overflows, or a shape has too many dimensions.
    #[error("frame shape {0:?} is too large")]
    ShapeOverflow(Vec<u64>),
    /// The byte count does not match shape × itemsize.
    #[error("frame shape and dtype need {expected} bytes, the message has {got}")]
    SizeMismatch {
        /// Bytes the shape and dtype call for.
        expected: usize,
        /// Bytes that arrived.
        got: usize,
    },
    /// Bytes left over after a complete msgpack value.
    #[error("{what}: {count} trailing byte(s) after the message")]
    TrailingBytes {
        /// Which message.
        what: &'static str,
        /// How many bytes were left.
        count: usize,
    },
    /// The data part is larger than `Options::max_data_size`.
    #[error("{size} bytes of data, more than the {limit}-byte limit")]
    DataTooLarge {
        /// Bytes received.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A compressed frame would decode into more bytes than the limit.
    #[error("a compressed frame of {size} bytes, more than the {limit}-byte limit")]
    FrameTooLarge {
        /// Bytes the frame's shape and dtype call for.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// An H.264 frame that builds on a frame this end does not have (one went missing, or
    /// the stream was joined mid-way): skipped until the stream's next key frame.
    #[error("an H.264 frame after a missing one: waiting for the next key frame")]
    AwaitingKeyFrame,
    /// A compressed frame whose bytes do not decode.
    #[error("{codec} frame: {detail}")]
    Compressed {
        /// The codec's `type` string.
        codec: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// A transport's own framing around a message (the shared-memory transport's table of
    /// parts) does not fit the bytes that came.
    #[error("{transport} message: {detail}")]
    Framing {
        /// The transport.
        transport: &'static str,
        /// What does not fit.
        detail: String,
    },
    /// A message that has no place at this point of the protocol.
    #[error("unexpected message: {0}")]
    Unexpected(String),
}

impl From<DtypeError> for DecodeError {
    fn from(e: DtypeError) -> DecodeError {
        match e {
            DtypeError::Unsupported(text) => DecodeError::UnsupportedDtype(text),
            DtypeError::Object => DecodeError::PickledObject,
            DtypeError::Structured => DecodeError::StructuredDtype,
        }
    }
}

/// Why a [`Frame`](crate::Frame) could not be built from the parts given (local input, not
/// peer input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// More dimensions than [`MAX_DIMS`].
    #[error("{0} dimensions, at most {MAX_DIMS}")]
    TooManyDims(usize),
    /// The shape's byte count overflows, or is beyond what one msgpack bin carries (4 GiB).
    #[error("shape {0:?} is too large (msgpack carries at most 4 GiB in one frame)")]
    TooLarge(Vec<usize>),
    /// The byte count is not `product(shape) × itemsize`.
    #[error("shape {shape:?} of {dtype} needs {expected} bytes, got {got}")]
    SizeMismatch {
        /// The shape asked for.
        shape: Vec<usize>,
        /// The dtype asked for.
        dtype: Dtype,
        /// Bytes the shape and dtype call for.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// The frame's elements were asked for as another type.
    #[error("frame holds {}, asked for {}", .holds.numpy_name(), .asked.numpy_name())]
    WrongElement {
        /// The frame's element type.
        holds: Scalar,
        /// The type asked for.
        asked: Scalar,
    },
    /// A view was asked of a frame in the other byte order (e.g. `>u2` on a little-endian
    /// machine): its bytes are not this machine's elements. `to_ndarray` and `to_vec` swap.
    #[error(
        "frame holds {dtype}, not in this machine's byte order: a copy (to_ndarray, to_vec) swaps it"
    )]
    ForeignByteOrder {
        /// The frame's dtype.
        dtype: Dtype,
    },
    /// A view was asked of a frame whose bytes do not start at a multiple of the element's
    /// alignment: a received frame's bytes sit right behind its msgpack header, wherever
    /// that ends. `to_ndarray` and `to_vec` copy them into aligned memory.
    #[error("frame bytes are not aligned to {align} bytes for {}: a copy (to_ndarray, to_vec) aligns them", .scalar.numpy_name())]
    Misaligned {
        /// The element type.
        scalar: Scalar,
        /// The alignment it needs.
        align: usize,
    },
    /// A view was asked of a `bool` frame holding a byte other than 0 or 1, which is no Rust
    /// `bool`. `to_ndarray` and `to_vec` read any nonzero byte as `true`, as numpy does.
    #[error(
        "a bool frame holds a byte other than 0 or 1: a copy (to_ndarray, to_vec) reads nonzero as true"
    )]
    InvalidBool,
}

/// Why a value could not be turned into msgpack [`Data`](crate::Data), or data into the
/// asked-for type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// The value could not be serialised (a serde impl refused, or a map key serde cannot
    /// write).
    #[error("cannot encode the value as msgpack data{}: {detail}", at(.path))]
    Encode {
        /// Where in the value: `field`, `list[2]`, `outer.inner`; empty for the value itself.
        path: String,
        /// What the serializer said.
        detail: String,
    },
    /// The data does not have the shape of the asked-for type: a missing field, a value of
    /// the wrong type, an unknown enum variant.
    #[error("cannot decode the data as {ty}{}: {detail}", at(.path))]
    Decode {
        /// The Rust type asked for.
        ty: &'static str,
        /// Where in the data: `field`, `list[2]`, `outer.inner`; empty for the value itself.
        path: String,
        /// What went wrong there, e.g. ``missing field `temp` `` or
        /// `got a string, which this type cannot hold`.
        detail: String,
    },
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}
