//! # netgear-rs
//!
//! A Rust implementation of vidgear's **NetGear_Async**: real-time video frames over ZeroMQ,
//! with **Bidirectional Mode**, byte-for-byte compatible with the Python original.
//!
//! The layers, bottom up:
//! - [`wire`]: the vidgear message formats — msgpack maps and the msgpack_numpy frame codec,
//!   [`Frame`] and [`Data`]. Pure functions, no sockets; decoding is total and never unpickles.
//! - `transport`: async ZeroMQ sockets on tokio — patterns, endpoints, socket options, timeouts.
//! - [`Server`] (send mode, connects) and [`Client`] (receive mode, binds): the peers, the
//!   bidirectional queues behind `transceive_data`, the termination handshake.
//! - [`media`]: frame sources — for now the built-in [`media::TestPattern`].
//! - [`soak`]: the long-run test that accounts for every frame and watches memory.
//! - [`stats`]: frame counts, rates and hashes of a stream, for the CLI and the tests.
//! - [`Options`], [`Pattern`], [`Protocol`]: configuration with vidgear's defaults;
//!   [`Error`]: every failure, typed.
//!
//! vidgear's public names are kept where a Python user would look for them:
//! `recv_generator`, `transceive_data`, `launch`, `close`, `bidirectional_mode`.

#![warn(missing_docs)]

pub mod bench;
mod client;
mod error;
pub mod media;
mod options;
mod reply;
mod server;
pub mod soak;
pub mod stats;
mod transport;
pub mod wire;

pub use client::Client;
pub use error::{DecodeError, End, Error, Result};
pub use options::{
    DEFAULT_MAX_DATA_SIZE, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_QUEUE_CAPACITY, DEFAULT_TIMEOUT,
    OnBadMessage, Options, Pattern, Protocol, Source,
};
pub use reply::{IntoReply, Reply, Transceiver};
pub use server::{Server, SourceItem};
pub use wire::{ByteOrder, Data, Dtype, Element, Frame, Scalar};

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
