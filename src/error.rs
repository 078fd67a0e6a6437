//! The one error type of the crate. The wire layer's own errors ([`DecodeError`],
//! [`FrameError`], [`DataError`]) convert into it.

use std::time::Duration;

use crate::media::MediaError;
use crate::pattern::{ParseError, Pattern};
use crate::wire::{CodecError, DataError, DecodeError, End, FrameError};

/// Everything that can go wrong in netgear-rs.
///
/// Each variant maps to a case where vidgear raises (see the README's table); the messages say
/// what went wrong and, where it helps, what to do. A variant that wraps another error (a
/// decode error, libzmq's error) says what failed in its own message and gives the cause as
/// its [`source`](std::error::Error::source), so that a printer of the chain shows each once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// Nothing arrived from the peer within the timeout (vidgear: `TimeoutError`). The message
    /// says what libzmq saw of the peer: none connected, or connections that failed the
    /// ZeroMQ handshake (another pattern at the other end).
    #[error("timed out after {after:?} waiting for {waiting_for}{peer}")]
    Timeout {
        /// The timeout in effect.
        after: Duration,
        /// What this end was waiting for.
        waiting_for: &'static str,
        /// What was seen of the peer.
        peer: PeerStatus,
    },
    /// The peer this end was waiting for disconnected (a send-mode end waiting for an answer
    /// learns it from libzmq at once, instead of waiting out its timeout).
    #[error("the peer at {endpoint} went away while this end waited for {waiting_for}")]
    PeerGone {
        /// The endpoint the peer was reached at.
        endpoint: String,
        /// What this end was waiting for.
        waiting_for: &'static str,
    },
    /// A message is larger than the transport can carry: over shared memory, larger than the
    /// slot each message is written into (see [`Protocol::Shm`](crate::Protocol::Shm)).
    #[error(
        "a message of {size} bytes does not fit the transport's {limit}-byte slot: send smaller frames, or raise max_message_size"
    )]
    MessageTooLarge {
        /// The message's bytes, with the transport's framing.
        size: usize,
        /// The most the transport carries.
        limit: usize,
    },
    /// Binding the receive-mode socket failed (vidgear: `RuntimeError`).
    #[error("failed to bind {endpoint} with pattern {pattern}")]
    Bind {
        /// The endpoint that was tried.
        endpoint: String,
        /// The messaging pattern number.
        pattern: u8,
        /// What libzmq said.
        source: zmq::Error,
    },
    /// A send-mode end was given tcp port 0. Port 0 asks a receive-mode end to bind any free
    /// port (which [`Client::local_port`](crate::Client::local_port) then tells); a send-mode
    /// end connects, and there is no port 0 to connect to.
    #[error(
        "port 0 cannot be connected to: give a send-mode end the port its receiver listens on (port 0 is for a receive-mode end, which binds any free port and tells which: Client::local_port, `listening on` from `netgear recv`)"
    )]
    ConnectPortZero,
    /// Connecting the send-mode socket failed (vidgear: `ValueError`).
    #[error("failed to connect {endpoint} with pattern {pattern}")]
    Connect {
        /// The endpoint that was tried.
        endpoint: String,
        /// The messaging pattern number.
        pattern: u8,
        /// What libzmq said.
        source: zmq::Error,
    },
    /// A message from the peer could not be decoded; nothing was unpickled or over-allocated.
    #[error("bad message from peer")]
    Decode(#[from] DecodeError),
    /// A frame was built with inconsistent parts (local input, not peer input).
    #[error("invalid frame")]
    Frame(#[from] FrameError),
    /// A frame could not be compressed, or a compression name is not known.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// A value could not be turned into msgpack data, or data into the asked-for type.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The end was closed, or has terminated, and cannot be used again.
    #[error("this end is closed")]
    Closed,
    /// An invalid option value (parsed at the edge, e.g. from the CLI).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A media part (ffmpeg source or recorder, reducer, display) failed, or a frame that a
    /// media operation cannot take ([`MediaError::is_invalid_frame`]).
    #[error(transparent)]
    Media(#[from] MediaError),
    /// An end was created outside a tokio runtime.
    #[error("netgear ends must be created inside a tokio runtime")]
    NoRuntime,
    /// Secure mode's keys are missing, unreadable, corrupt or for the other end.
    #[error("secure mode")]
    Key(#[from] crate::secure::KeyError),
    /// A ZeroMQ call failed.
    #[error("a ZeroMQ call failed")]
    Zmq(#[from] zmq::Error),
    /// An I/O error (event-loop registration of the ZeroMQ socket).
    #[error("an I/O operation failed")]
    Io(#[from] std::io::Error),
    /// A custom source given to [`Server::launch_try`](crate::Server::launch_try) failed; the
    /// stream was ended (the end message sent) before this was returned.
    #[error("the source failed")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What an end saw of its peer when a wait timed out (from libzmq's socket events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerStatus {
    /// A peer was connected (it is slow, stuck, or does not answer).
    Connected,
    /// No peer has connected yet.
    NeverConnected,
    /// No connection completed the ZeroMQ handshake, and some failed it: the other end may
    /// use another messaging pattern (a PAIR socket and a REQ socket refuse each other), or
    /// differ in secure mode or keys (CURVE against plain, a wrong server key, a client key
    /// the receiver does not know).
    HandshakeFailed {
        /// Connections that failed the handshake.
        attempts: u32,
        /// This end's messaging pattern number.
        pattern: u8,
    },
    /// A peer was connected and left, and none has come back.
    Disconnected,
    /// Not known (a socket without event monitoring).
    Unknown,
}

impl std::fmt::Display for PeerStatus {
    /// A suffix for the timeout's message: empty, or `": ..."`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerStatus::Connected | PeerStatus::Unknown => Ok(()),
            PeerStatus::NeverConnected => f.write_str(
                " (no peer ever connected: is the other end running, at this address and port?)",
            ),
            PeerStatus::HandshakeFailed { attempts, pattern } => write!(
                f,
                " ({attempts} connection(s) failed the ZeroMQ handshake: does the other end use \
                 the same pattern, and the same secure mode and keys? this end uses pattern \
                 {pattern})"
            ),
            PeerStatus::Disconnected => {
                f.write_str(" (the peer disconnected and has not come back)")
            }
        }
    }
}

impl Error {
    /// A source's error: a netgear error as it is, any other as [`Error::Source`].
    pub(crate) fn from_source(e: Box<dyn std::error::Error + Send + Sync>) -> Error {
        match e.downcast::<Error>() {
            Ok(e) => *e,
            Err(e) => Error::Source(e),
        }
    }

    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }
}

/// A `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        Error::InvalidOption(e.to_string())
    }
}

/// An error and its causes on one line, each said once: `what failed: why: why` (what the
/// `netgear` command prints).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
