//! # netgear-rs
//!
//! A Rust implementation of vidgear's **NetGear_Async**: real-time video frames over ZeroMQ,
//! with **Bidirectional Mode**, byte-for-byte compatible with the Python original.
//!
//! The layers, bottom up:
//! - [`wire`] (the `netgear-wire` crate): the vidgear message formats — msgpack maps and the
//!   msgpack_numpy frame codec, [`Frame`] and [`Data`]. Pure functions, no sockets; decoding is
//!   total and never unpickles. It imports nothing from this crate and owns its errors.
//! - `transport`: the seam between the ends and the bytes' journey — a transport sends and
//!   receives whole messages with bounded waits and tells of its peers; libzmq (async ZeroMQ
//!   sockets on tokio: patterns, endpoints, socket options, secure mode) is the first.
//! - `codec.rs`: where the library runs the wire layer's codecs, off the async reactor.
//! - [`Server`] (send mode, connects) and [`Client`] (receive mode, binds): the peers, the
//!   bidirectional queues behind `transceive_data`, each frame's own answer through a
//!   [`Request`]'s [`Responder`] ([`Client::requests`]), the termination handshake. They
//!   encode every message they send as a [`wire::Outgoing`] and decode every one they receive
//!   with [`wire::parse_message`] and [`wire::parse_reply_message`]: no bytes by hand.
//! - [`media`]: where frames come from and go — the built-in [`media::TestPattern`], video
//!   files, image sequences, streams and cameras through ffmpeg ([`media::VideoSource`]), the
//!   reducer, a window (`media::Display`, feature `display`) and a recorder.
//! - [`secure`]: secure mode — ZeroMQ CURVE keys in vidgear NetGear's certificate files, and
//!   the ZAP handler that lets in only known clients (ironhouse).
//! - [`Options`], [`Pattern`], [`Protocol`]: configuration with vidgear's defaults;
//!   [`Error`]: every failure, typed.
//!
//! The `netgear` command (feature `cli`, off by default) lives in `src/bin/netgear`: a library
//! user builds none of its dependencies.
//!
//! vidgear's public names are kept where a Python user would look for them:
//! `recv_generator`, `transceive_data`, `launch`, `close`, `bidirectional_mode`.
//! Where a Rust user expects something else, it is added beside them: [`Client::requests`]
//! answers each frame itself, where `transceive_data` answers the next one.

#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod client;
mod codec;
#[cfg(test)]
mod ends_in_memory;
mod error;
mod frame_buffer;
pub mod media;
mod options;
mod outage;
mod pattern;
mod queue;
pub mod rate;
mod request;
pub mod secure;
mod server;
mod transport;

pub use netgear_wire as wire;
// The crates in the public types (`Data` holds an `rmpv::Value`, a `Frame` a `bytes::Bytes`,
// the `ndarray` feature converts to `ndarray` arrays): use these, and need not pin them.
#[cfg(feature = "ndarray")]
pub use wire::ndarray;
pub use wire::{bytes, rmpv};

pub use client::{Client, ClientStream};
pub use codec::{CodecTime, CodecTimes};
pub use error::{Error, PeerStatus, Result, error_chain};
pub use frame_buffer::FrameBuffer;
pub use media::{MediaError, Source, SourceItem};
pub use options::{
    DEFAULT_KEY_INTERVAL, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_CAPACITY,
    DEFAULT_TIMEOUT, LOCK_STEP_KEY_INTERVAL, OnBadMessage, Options,
};
pub use outage::Outages;
pub use pattern::{ParseError, Pattern, Protocol};
pub use queue::Transceiver;
pub use rate::{Rate, RateGauge};
pub use request::{Request, Responder};
pub use secure::{Secure, SecureMode};
pub use server::{ByteCount, Server};
pub use wire::{
    ByteOrder, Codec, CodecError, Compression, DEFAULT_MAX_DATA_SIZE, Data, DataError, DecodeError,
    Dtype, DtypeError, Element, End, Frame, FrameError, IntoReply, PEER_TEXT_LIMIT, Reply, Scalar,
    Size,
};

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The Rust guide's examples (`docs/rust.md`), compiled as doctests in the same way.
#[cfg(doctest)]
#[doc = include_str!("../docs/rust.md")]
pub struct RustGuideDoctests;
