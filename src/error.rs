//! The one error type of the crate, and the typed decode errors behind it.

use std::time::Duration;

use crate::options::Pattern;

/// Which end of a connection: the send-mode server or the receive-mode client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The send-mode end ("server", connects).
    Server,
    /// The receive-mode end ("client", binds).
    Client,
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            End::Server => "server",
            End::Client => "client",
        })
    }
}

/// Everything that can go wrong in netgear-rs.
///
/// Each variant maps to a case where vidgear raises (see the README's table); the messages say
/// what went wrong and, where it helps, what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bidirectional mode was asked for with pattern 2 or 3 (vidgear: `ValueError`).
    #[error(
        "pattern {0} ({0:?}) is not valid when bidirectional mode is enabled: use pattern 0 (PAIR) or 1 (REQ/REP)"
    )]
    BidirectionalPattern(Pattern),
    /// Bidirectional mode was asked for with a built-in source (vidgear: `ValueError`).
    #[error(
        "a custom source must be used when bidirectional mode is enabled, not a built-in source"
    )]
    BidirectionalWithSource,
    /// A send-mode end was run without a source to stream (vidgear: `ValueError`).
    #[error(
        "no source to stream: pass a custom source to launch(), or set a built-in source in the options"
    )]
    NoSource,
    /// In bidirectional mode the custom source yielded a bare frame instead of `(data, frame)`
    /// (vidgear: `ValueError`).
    #[error("in bidirectional mode the source must yield (data, frame) pairs, not bare frames")]
    ExpectedDataFramePair,
    /// Bidirectional mode is on at one end only (vidgear: `RuntimeError`, naming the wrong end).
    #[error(
        "invalid configuration: bidirectional mode is not activated on the {missing_on} end; enable it on both ends or on neither"
    )]
    BidirectionalMismatch {
        /// The end that does not have bidirectional mode on.
        missing_on: End,
    },
    /// Nothing arrived from the peer within the timeout (vidgear: `TimeoutError`).
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, &'static str),
    /// Binding the receive-mode socket failed (vidgear: `RuntimeError`).
    #[error("failed to bind {endpoint} with pattern {pattern}: {source}")]
    Bind {
        /// The endpoint that was tried.
        endpoint: String,
        /// The messaging pattern number.
        pattern: u8,
        /// What libzmq said.
        source: zmq::Error,
    },
    /// Connecting the send-mode socket failed (vidgear: `ValueError`).
    #[error("failed to connect {endpoint} with pattern {pattern}: {source}")]
    Connect {
        /// The endpoint that was tried.
        endpoint: String,
        /// The messaging pattern number.
        pattern: u8,
        /// What libzmq said.
        source: zmq::Error,
    },
    /// A message from the peer could not be decoded; nothing was unpickled or over-allocated.
    #[error("bad message from peer: {0}")]
    Decode(#[from] DecodeError),
    /// A frame was built with inconsistent parts (local input, not peer input).
    #[error("invalid frame: {0}")]
    InvalidFrame(String),
    /// A value could not be turned into msgpack data, or data into the asked-for type.
    #[error("data conversion failed: {0}")]
    Data(String),
    /// The bounded queue behind `transceive_data` is full.
    #[error(
        "the transceive_data queue is full ({0} items): frames are not arriving as fast as data is queued"
    )]
    QueueFull(usize),
    /// The end was closed, or has terminated, and cannot be used again.
    #[error("this end is closed")]
    Closed,
    /// An invalid option value (parsed at the edge, e.g. from the CLI).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A media part (ffmpeg source or recorder, reducer, display) failed.
    #[error("{0}")]
    Media(String),
    /// An end was created outside a tokio runtime.
    #[error("netgear ends must be created inside a tokio runtime")]
    NoRuntime,
    /// A ZeroMQ call failed.
    #[error("zeromq: {0}")]
    Zmq(#[from] zmq::Error),
    /// An I/O error (event-loop registration of the ZeroMQ socket).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// A `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
    /// A dtype string that netgear-rs does not know.
    #[error("unsupported dtype {0:?}")]
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
    /// A message that has no place at this point of the protocol.
    #[error("unexpected message: {0}")]
    Unexpected(String),
}
