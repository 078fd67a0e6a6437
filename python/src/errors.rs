//! The core's errors as the Python exceptions vidgear raises in the same cases.

use netgear::Error;
use pyo3::exceptions::{PyException, PyRuntimeError, PyTimeoutError, PyTypeError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    _core,
    DecodeError,
    PyValueError,
    "A message from the peer could not be decoded (bytes that are not the protocol's, a \
     frame whose shape disagrees with its bytes, a pickled object array, ...). Nothing of it \
     was used, unpickled, or allocated by a size the peer claimed."
);
pyo3::create_exception!(
    _core,
    PeerGone,
    PyTimeoutError,
    "The peer went away while this end waited for it: a TimeoutError, as vidgear raises when \
     its wait for that peer runs out, raised as soon as the peer is gone and saying so."
);
pyo3::create_exception!(
    _core,
    Cancelled,
    PyException,
    "An operation was cancelled (the stream is being closed)."
);

/// The Python exception for a core error, with the whole chain of causes in its message.
pub(crate) fn to_pyerr(e: Error) -> PyErr {
    let text = netgear::error_chain(&e);
    match e {
        Error::Timeout { .. } => PyTimeoutError::new_err(text),
        Error::BidirectionalPattern(_)
        | Error::BidirectionalWithSource
        | Error::NoSource
        | Error::ExpectedDataFramePair
        | Error::Connect { .. }
        | Error::ConnectPortZero
        | Error::InvalidOption(_)
        | Error::Codec(_)
        | Error::Frame(_) => PyValueError::new_err(text),
        // A frame a media operation cannot take (what was `Error::InvalidFrame`): ValueError;
        // a media part that failed: RuntimeError, below.
        Error::Media(m) if m.is_invalid_frame() => PyValueError::new_err(text),
        Error::Data(_) => PyTypeError::new_err(text),
        Error::Decode(_) => DecodeError::new_err(text),
        Error::PeerGone { .. } => PeerGone::new_err(text),
        _ => PyRuntimeError::new_err(text),
    }
}

/// What a blocking call of an end can fail with: the core's error, or a cancellation.
pub(crate) enum Failure {
    Core(Error),
    Cancelled,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Core(e)
    }
}

impl From<netgear::FrameError> for Failure {
    fn from(e: netgear::FrameError) -> Failure {
        Failure::Core(e.into())
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        match f {
            Failure::Core(e) => to_pyerr(e),
            Failure::Cancelled => Cancelled::new_err("cancelled"),
        }
    }
}
