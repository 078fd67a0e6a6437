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
//! The files, one idea each, leaves first (no file uses one that uses it back):
//! - `text.rs`: a peer's text, cut short for errors; `dtype.rs`: [`Dtype`], [`Scalar`],
//!   [`ByteOrder`]; `shape.rs`: [`Size`], [`MAX_DIMS`]; `element.rs`: [`Element`], the Rust
//!   types a frame's elements are read as.
//! - `error.rs`: [`DecodeError`] (peer input), [`FrameError`], [`DataError`] (local input);
//!   `msgpack.rs`, `reader.rs`: writing msgpack, and the bounds-checked cursor for reading it.
//! - `numpy/prefix.rs`: the head of a msgpack_numpy map; `layout.rs`: how the frames this
//!   crate makes are laid out behind it; `frame.rs`: [`Frame`] (`frame/arrays.rs`: `ndarray`
//!   conversions); [`Data`] (`data.rs`): any msgpack value.
//! - `numpy/mod.rs`: the msgpack_numpy frame map, written and read; `codec.rs`: compressed
//!   frames (JPEG, lz4, zstd), a netgear-rs extension; `part.rs`: a frame part either way —
//!   [`compressed_frame_part`] out, [`ParsedFrame`] in (read once, decoded when asked).
//! - `header.rs`: the first part from the send side; `reply.rs`: what the receive side sends
//!   back, and the termination answer.
//! - `message.rs`: whole messages both ways — [`Outgoing`] (every message the ends send) and
//!   [`decode_message`], [`decode_reply_message`] (or [`parse_message`],
//!   [`parse_reply_message`] then [`Parsed::decode`]) for every message they receive; the ends
//!   call exactly these.
//! - `id.rs`: the 8-character system ids.
//!
//! A frame message as the send side writes it and the receive side takes it:
//!
//! ```
//! use bytes::Bytes;
//! use netgear_wire::{Data, Frame, Limits, Message, Outgoing, Size};
//!
//! let frame = Frame::from_bgr(Size { width: 2, height: 1 }, vec![10, 20, 30, 40, 50, 60])?;
//! let sent = Outgoing::frame(true, Some(&Data::from("Hi")), None, netgear_wire::frame_part(&frame));
//! let parts: Vec<Bytes> = sent.to_parts();
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
mod dtype;
mod element;
mod error;
mod frame;
#[cfg(feature = "h264")]
mod h264;
mod header;
mod id;
mod layout;
mod message;
mod msgpack;
mod numpy;
mod part;
mod reader;
mod reply;
mod shape;
mod text;

pub use codec::{Codec, CodecError, Compression, DEFAULT_MAX_FRAME_SIZE};
pub use data::Data;
pub use dtype::{ByteOrder, Dtype, DtypeError, Scalar};
pub use element::Element;
pub use error::{DataError, DecodeError, FrameError};
pub use frame::Frame;
#[cfg(feature = "h264")]
pub use h264::{
    H264Decoders, H264Encoder, MAX_REF_FRAMES as H264_MAX_REF_FRAMES,
    MAX_STREAMS as H264_MAX_STREAMS,
};
pub use header::{
    CAPTURED_KEY, Header, decode_header, encode_header, encode_header_stamped, encode_terminate,
};
pub use id::new_id;
pub use message::{
    DEFAULT_MAX_DATA_SIZE, Limits, Message, Outgoing, Parsed, ReplyMessage, decode_message,
    decode_reply_message, decode_terminated_message, parse_message, parse_reply_message,
};
pub use numpy::{encode_frame, frame_header, frame_part};
pub use part::{
    CompressedFrame, ParsedFrame, compressed_frame_part, decode_frame, decode_frame_limited,
    frame_codec,
};
pub use reply::{
    End, IntoReply, Reply, ReplyHead, confirmation, decode_confirmation, decode_reply,
    decode_terminated, encode_mismatch, encode_reply_data, encode_reply_frame_head,
    encode_terminated,
};
pub use shape::{MAX_DIMS, Size};
pub use text::PEER_TEXT_LIMIT;
// The crates in this one's public types, so that a user need not pin their versions: `Data`
// holds an `rmpv::Value`, a `Frame` a `bytes::Bytes`, and the `ndarray` feature converts
// frames to and from `ndarray` arrays.
pub use bytes;
#[cfg(feature = "ndarray")]
pub use ndarray;
pub use rmpv;
