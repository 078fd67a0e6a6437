//! A small safe layer over `netgear-zmq-sys` (libzmq 4.3.5 with netgear-rs's patches and
//! CURVE), mirroring the API of the [`zmq`](https://crates.io/crates/zmq) crate (0.10) for what
//! netgear uses: code written against `zmq` changes only its import.
//!
//! Why not the `zmq` crate itself: its `zmq-sys` builds an unpatched libzmq 4.3.4 without CURVE
//! and declares the same `links = "zmq"` as ours, so the two cannot be in one build.
//!
//! Beyond `zmq`'s API: zero-copy messages over any owner of bytes ([`Message::from_owner`]) or
//! static bytes ([`Message::from_static`]), [`curve_public`], and an [`Error`] that keeps any
//! error number (a struct, not an enum: nothing a peer or the system does can panic here).
//!
//! Parts adapted from rust-zmq 0.10 (© the rust-zmq authors, MIT OR Apache-2.0): the names and
//! signatures, `Sendable`, the socket option macros' idea, `send_multipart`.

#![warn(missing_docs)]

mod context;
mod curve;
mod error;
mod event;
mod message;
mod poll;
mod socket;

use std::ffi::{CString, c_int};

use netgear_zmq_sys as sys;

pub use context::Context;
pub use curve::{CurveKeyPair, DecodeError, EncodeError, curve_public, z85_decode, z85_encode};
pub use error::{Error, Result};
pub use event::SocketEvent;
pub use message::Message;
pub use poll::{PollEvents, PollItem, poll};
pub use socket::SocketType::*;
pub use socket::{Sendable, Socket, SocketType};

/// A socket's file descriptor as libzmq gives it ([`Socket::get_fd`], [`PollItem::from_fd`]):
/// `std::os::fd::RawFd` on Unix.
pub type RawFd = sys::zmq_fd_t;

/// Send/receive flag: fail with [`Error::EAGAIN`] instead of waiting.
pub const DONTWAIT: i32 = sys::ZMQ_DONTWAIT;
/// Send flag: more parts of this message follow.
pub const SNDMORE: i32 = sys::ZMQ_SNDMORE;

/// Poll event: a message can be received.
pub const POLLIN: PollEvents = PollEvents::POLLIN;
/// Poll event: a message can be sent.
pub const POLLOUT: PollEvents = PollEvents::POLLOUT;
/// Poll event: an error condition (plain file descriptors only).
pub const POLLERR: PollEvents = PollEvents::POLLERR;
/// Poll event: urgent data (plain file descriptors only).
pub const POLLPRI: PollEvents = PollEvents::POLLPRI;

/// The linked libzmq's version, `(major, minor, patch)`.
pub fn version() -> (i32, i32, i32) {
    let (mut major, mut minor, mut patch): (c_int, c_int, c_int) = (0, 0, 0);
    // SAFETY: the three pointers are to live `int`s, which `zmq_version` writes.
    unsafe { sys::zmq_version(&mut major, &mut minor, &mut patch) };
    (major, minor, patch)
}

/// Whether the linked libzmq has a capability (`"curve"`, `"ipc"`, …; see `zmq_has`), or `None`
/// if the name has a NUL.
pub fn has(capability: &str) -> Option<bool> {
    let capability = CString::new(capability).ok()?;
    // SAFETY: `capability` is NUL-terminated and outlives the call, which only reads it.
    Some(unsafe { sys::zmq_has(capability.as_ptr()) } == 1)
}
