//! # netgear-wire
//!
//! vidgear NetGear_Async's message formats: pure functions from values to bytes and back. No
//! sockets, no runtime, nothing from the rest of netgear-rs: this crate is the leaf that the
//! two ends (`netgear::Server`, `netgear::Client`) and the fuzz targets build on.
//!
//! Every encoder writes exactly the bytes Python's `msgpack.packb` (with `msgpack_numpy`)
//! writes for the same value; every decoder is total: it returns a [`DecodeError`] for anything
//! unexpected, never panics, never unpickles, and never allocates by a size the peer claims
//! beyond the bytes received.
//!
//! | message | parts | format |
//! |---|---|---|
//! | frame, send → receive | 2 | header map `{terminate, bi_mode, data}` + msgpack_numpy frame |
//! | terminate, send → receive | 1 | `{"terminate": true}` |
//! | reply, bidirectional | 1 or 2 | `{return_type, return_data}` (+ frame when `"ndarray"`) |
//! | reply, plain | 1 | `Data received on client: {ID} !` |
//! | termination answer | 1 | `{"terminated": "Client-`{ID}` successfully terminated!"}` |
//!
//! The files, one idea each:
//! - [`Frame`], [`Dtype`] (`frame.rs`): an n-dimensional numpy-compatible array; [`Data`]
//!   (`data.rs`): any msgpack value.
//! - `header.rs`: the first part from the send side; `numpy.rs`: the msgpack_numpy frame
//!   codec; `codec.rs`: compressed frames (JPEG, lz4, zstd), a netgear-rs extension;
//!   `reply.rs`: what the receive side sends back, and the termination answer.
//! - `message.rs`: whole messages — [`decode_message`] and [`decode_reply_message`] take the
//!   parts of one ZeroMQ message; the ends call exactly these.
//! - `msgpack.rs`, `reader.rs`: writing msgpack, and the bounds-checked cursor for reading it.
//! - `error.rs`: [`DecodeError`] (peer input), [`FrameError`], [`DataError`] (local input).
//! - `id.rs`: the 8-character system ids.
//!
//! A frame message as the send side writes it and the receive side takes it:
//!
//! ```
//! use bytes::Bytes;
//! use netgear_wire::{Data, Frame, Limits, Message, Size};
//!
//! let frame = Frame::from_bgr(Size { width: 2, height: 1 }, vec![10, 20, 30, 40, 50, 60])?;
//! let mut header = Vec::new();
//! netgear_wire::encode_header(&mut header, true, Some(&Data::from("Hi")));
//! let parts = [Bytes::from(header), netgear_wire::frame_part(&frame)];
//!
//! let message = netgear_wire::decode_message(&parts, Limits::DEFAULT)?;
//! assert_eq!(
//!     message,
//!     Message::Frame { bi_mode: true, data: Some(Data::from("Hi")), frame }
//! );
//! // One part short: a typed error, never a panic.
//! assert!(netgear_wire::decode_message(&parts[1..], Limits::DEFAULT).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod codec;
mod data;
mod error;
mod frame;
mod header;
mod id;
mod message;
mod msgpack;
mod numpy;
mod reader;
mod reply;

pub use codec::{
    Codec, CodecError, Compression, DEFAULT_MAX_FRAME_SIZE, compressed_frame_part, frame_codec,
};
pub use data::Data;
pub use error::{DataError, DecodeError, FrameError, PEER_TEXT_LIMIT};
pub use frame::{ByteOrder, Dtype, Element, Frame, MAX_DIMS, Scalar, Size};
pub use header::{
    CAPTURED_KEY, Header, decode_header, encode_header, encode_header_stamped, encode_terminate,
};
pub use id::new_id;
pub use message::{
    DEFAULT_MAX_DATA_SIZE, Limits, Message, ReplyMessage, decode_message, decode_reply_message,
};
pub use numpy::{decode_frame, decode_frame_limited, encode_frame, frame_header, frame_part};
pub use reply::{
    End, IntoReply, Reply, ReplyHead, confirmation, decode_confirmation, decode_reply,
    decode_terminated, encode_mismatch, encode_reply_data, encode_reply_frame_head,
    encode_terminated,
};
// The crates in this one's public types, so that a user need not pin their versions: `Data`
// holds an `rmpv::Value`, a `Frame` a `bytes::Bytes`, and the `ndarray` feature converts
// frames to and from `ndarray` arrays.
pub use bytes;
#[cfg(feature = "ndarray")]
pub use ndarray;
pub use rmpv;
