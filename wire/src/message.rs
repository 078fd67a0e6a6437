//! Whole messages, both ways: what the ends hand to the transport and take from it.
//!
//! The send side's messages ([`Message`]: a frame with its header, or the end of the stream) and
//! the receive side's ([`ReplyMessage`]: a frame's answer; the termination answer) are encoded
//! here into an [`Outgoing`] — a small first part and, for a frame, the frame part behind it —
//! and decoded here from the parts of one received message, within [`Limits`]. Decoding goes in
//! two steps when a frame may be compressed: [`parse_message`] reads every map (cheap), and
//! [`Parsed::decode`] decompresses (CPU work, which [`Parsed::codec`] announces);
//! [`decode_message`] does both. These are the functions the ends call on every message, and
//! the ones the fuzz targets exercise.

use std::time::SystemTime;

use bytes::Bytes;

use crate::codec::{Codec, DEFAULT_MAX_FRAME_SIZE};
use crate::data::Data;
use crate::error::DecodeError;
use crate::frame::Frame;
use crate::header::{
    Header, decode_header, encode_header, encode_header_stamped, encode_terminate,
};
use crate::part::ParsedFrame;
use crate::reply::{
    End, ReplyHead, confirmation, decode_confirmation, decode_reply, decode_terminated,
    encode_mismatch, encode_reply_data, encode_reply_frame_head, encode_terminated,
};

/// Default limit on the msgpack data that travels with one frame or reply (decoded data takes
/// up to about 40 times its encoded size in memory).
pub const DEFAULT_MAX_DATA_SIZE: usize = 1 << 20;

/// What a decoder accepts from a peer, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest first part (the header with its data, or a reply head).
    pub max_data_size: usize,
    /// Largest frame a compressed frame may decode into (an uncompressed one is bounded by
    /// the bytes received).
    pub max_frame_size: usize,
}

impl Limits {
    /// The defaults: 1 MiB of data, 64 MiB frames.
    pub const DEFAULT: Limits = Limits {
        max_data_size: DEFAULT_MAX_DATA_SIZE,
        max_frame_size: DEFAULT_MAX_FRAME_SIZE,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// A message to hand to the transport: its first part (a header, a reply head, the end
/// message, a confirmation: small, copied into the message) and, for a frame message or a
/// frame reply, the frame part behind it (raw or compressed; handed over without a copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    head: Vec<u8>,
    frame: Option<Bytes>,
}

impl Outgoing {
    /// A frame message from the send side: the header `{terminate: false, bi_mode, data}`
    /// (with the capture time when `captured` is given, a netgear-rs extension that vidgear
    /// ignores), then `frame_part` ([`frame_part`](crate::frame_part) or
    /// [`compressed_frame_part`](crate::compressed_frame_part)).
    pub fn frame(
        bi_mode: bool,
        data: Option<&Data>,
        captured: Option<SystemTime>,
        frame_part: Bytes,
    ) -> Outgoing {
        let mut head = Vec::with_capacity(64);
        match captured {
            Some(t) => encode_header_stamped(&mut head, bi_mode, data, t),
            None => encode_header(&mut head, bi_mode, data),
        }
        Outgoing::with_frame(head, frame_part)
    }

    /// The send side's end of the stream: `{"terminate": true}`.
    pub fn terminate() -> Outgoing {
        let mut head = Vec::with_capacity(16);
        encode_terminate(&mut head);
        Outgoing::head(head)
    }

    /// A bidirectional answer with data, or with nothing (`None`: vidgear's `""`).
    pub fn reply_data(data: Option<&Data>) -> Outgoing {
        let mut head = Vec::with_capacity(32);
        encode_reply_data(&mut head, data);
        Outgoing::head(head)
    }

    /// A bidirectional answer with a frame: the `ndarray` reply head, then `frame_part`.
    pub fn reply_frame(frame_part: Bytes) -> Outgoing {
        let mut head = Vec::with_capacity(32);
        encode_reply_frame_head(&mut head);
        Outgoing::with_frame(head, frame_part)
    }

    /// The plain confirmation of a frame outside bidirectional mode, from the receive side
    /// whose system id is `id`.
    pub fn confirmation(id: &str) -> Outgoing {
        Outgoing::head(confirmation(id))
    }

    /// A netgear-rs receive side's answer when bidirectional mode is on at one end only: an
    /// empty data reply for vidgear that also names the end lacking it.
    pub fn mismatch(missing_on: End) -> Outgoing {
        let mut head = Vec::with_capacity(64);
        encode_mismatch(&mut head, missing_on);
        Outgoing::head(head)
    }

    /// The receive side's answer to the end of the stream.
    pub fn terminated(id: &str) -> Outgoing {
        let mut head = Vec::with_capacity(64);
        encode_terminated(&mut head, id);
        Outgoing::head(head)
    }

    fn head(head: Vec<u8>) -> Outgoing {
        Outgoing { head, frame: None }
    }

    fn with_frame(head: Vec<u8>, frame: Bytes) -> Outgoing {
        Outgoing {
            head,
            frame: Some(frame),
        }
    }

    /// The first part.
    pub fn first(&self) -> &[u8] {
        &self.head
    }

    /// The frame part, for a frame message or a frame reply.
    pub fn frame_part(&self) -> Option<&Bytes> {
        self.frame.as_ref()
    }

    /// How many parts: 1, or 2 with a frame.
    pub fn part_count(&self) -> usize {
        1 + usize::from(self.frame.is_some())
    }

    /// The bytes of all its parts, as they go on the wire.
    pub fn len(&self) -> usize {
        self.head.len() + self.frame.as_ref().map_or(0, Bytes::len)
    }

    /// Whether it has no bytes at all (never, for a message built here).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The parts as the receiving end gets them (a copy of the first).
    pub fn to_parts(&self) -> Vec<Bytes> {
        let mut parts = vec![Bytes::copy_from_slice(&self.head)];
        parts.extend(self.frame.clone());
        parts
    }
}

/// A message from the send side, as the receive side takes it. `F` is the frame: a
/// [`Frame`] once decoded, a [`ParsedFrame`] from [`parse_message`].
#[derive(Debug, Clone, PartialEq)]
pub enum Message<F = Frame> {
    /// A frame with its header.
    Frame {
        /// Whether bidirectional mode is on at the send side.
        bi_mode: bool,
        /// The data sent with the frame; `None` for vidgear's `""` and for nil.
        data: Option<Data>,
        /// The frame.
        frame: F,
    },
    /// The send side has finished: `{"terminate": true}`, alone.
    Terminate,
}

/// The receive side's answer to one frame, as the send side takes it. `F` is the frame of a
/// frame reply: a [`Frame`] once decoded, a [`ParsedFrame`] from [`parse_reply_message`].
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyMessage<F = Frame> {
    /// Outside bidirectional mode: the plain confirmation (any bytes, as vidgear accepts).
    Confirmation,
    /// Data, or `None` when the receive side had nothing queued (one part).
    Data(Option<Data>),
    /// A frame (two parts: the `ndarray` reply head, then the frame).
    Frame(F),
    /// A netgear-rs receive side found bidirectional mode on at one end only, and names the
    /// end that lacks it.
    Mismatch(End),
}

/// A message read up to its frame, which may still be compressed: [`Parsed::codec`] says
/// whether [`Parsed::decode`] has CPU work to do (milliseconds: off an async reactor), or
/// finishes at once.
pub trait Parsed {
    /// The message once decoded.
    type Decoded;
    /// The codec of its compressed frame, if it has one.
    fn codec(&self) -> Option<Codec>;
    /// The message with its frame decoded.
    fn decode(self) -> Result<Self::Decoded, DecodeError>;
    /// The message with its frame decoded, an H.264 frame by `decoders`.
    #[cfg(feature = "h264")]
    fn decode_h264(
        self,
        decoders: &mut crate::h264::H264Decoders,
    ) -> Result<Self::Decoded, DecodeError>;
}

impl Parsed for Message<ParsedFrame> {
    type Decoded = Message;

    fn codec(&self) -> Option<Codec> {
        match self {
            Message::Frame { frame, .. } => frame.codec(),
            Message::Terminate => None,
        }
    }

    fn decode(self) -> Result<Message, DecodeError> {
        self.map_frame(ParsedFrame::decode)
    }
    #[cfg(feature = "h264")]
    fn decode_h264(self, decoders: &mut crate::h264::H264Decoders) -> Result<Message, DecodeError> {
        self.map_frame(|frame| frame.decode_h264(decoders))
    }
}

impl Message<ParsedFrame> {
    /// The message with its frame decoded by `decode`.
    fn map_frame(
        self,
        decode: impl FnOnce(ParsedFrame) -> Result<Frame, DecodeError>,
    ) -> Result<Message, DecodeError> {
        Ok(match self {
            Message::Frame {
                bi_mode,
                data,
                frame,
            } => Message::Frame {
                bi_mode,
                data,
                frame: decode(frame)?,
            },
            Message::Terminate => Message::Terminate,
        })
    }
}

impl Parsed for ReplyMessage<ParsedFrame> {
    type Decoded = ReplyMessage;

    fn codec(&self) -> Option<Codec> {
        match self {
            ReplyMessage::Frame(frame) => frame.codec(),
            _ => None,
        }
    }

    fn decode(self) -> Result<ReplyMessage, DecodeError> {
        Ok(match self {
            ReplyMessage::Confirmation => ReplyMessage::Confirmation,
            ReplyMessage::Data(d) => ReplyMessage::Data(d),
            ReplyMessage::Frame(frame) => ReplyMessage::Frame(frame.decode()?),
            ReplyMessage::Mismatch(end) => ReplyMessage::Mismatch(end),
        })
    }
    #[cfg(feature = "h264")]
    fn decode_h264(
        self,
        decoders: &mut crate::h264::H264Decoders,
    ) -> Result<ReplyMessage, DecodeError> {
        Ok(match self {
            ReplyMessage::Confirmation => ReplyMessage::Confirmation,
            ReplyMessage::Data(d) => ReplyMessage::Data(d),
            ReplyMessage::Frame(frame) => ReplyMessage::Frame(frame.decode_h264(decoders)?),
            ReplyMessage::Mismatch(end) => ReplyMessage::Mismatch(end),
        })
    }
}

/// Reads a message from the send side — a header and a frame (two parts), or the end of the
/// stream (one part) — within `limits`, a compressed frame not yet decompressed.
pub fn parse_message(parts: &[Bytes], limits: Limits) -> Result<Message<ParsedFrame>, DecodeError> {
    let first = first_part("message", parts)?;
    check_data_size(first, limits.max_data_size)?;
    match decode_header(first)? {
        Header::Terminate => {
            expect_parts("terminate message", parts, 1)?;
            Ok(Message::Terminate)
        }
        Header::Frame {
            bi_mode,
            data,
            captured,
        } => {
            expect_parts("frame message", parts, 2)?;
            let mut frame = ParsedFrame::parse(&parts[1], limits.max_frame_size)?;
            if let Some(t) = captured {
                frame = frame.with_captured(t);
            }
            Ok(Message::Frame {
                bi_mode,
                data,
                frame,
            })
        }
    }
}

/// Decodes a message from the send side: [`parse_message`], then its frame.
pub fn decode_message(parts: &[Bytes], limits: Limits) -> Result<Message, DecodeError> {
    parse_message(parts, limits)?.decode()
}

/// Reads the receive side's answer to a frame, a compressed frame not yet decompressed.
/// `bidirectional` is the send side's own mode: with it, a data or frame reply is expected;
/// without it, a plain confirmation. Either way a netgear-rs mismatch report is recognised.
/// Everything stays within `limits`.
pub fn parse_reply_message(
    parts: &[Bytes],
    bidirectional: bool,
    limits: Limits,
) -> Result<ReplyMessage<ParsedFrame>, DecodeError> {
    let first = first_part("reply", parts)?;
    check_data_size(first, limits.max_data_size)?;
    if !bidirectional {
        return Ok(match decode_confirmation(first) {
            Some(end) => ReplyMessage::Mismatch(end),
            None => ReplyMessage::Confirmation,
        });
    }
    match decode_reply(first)? {
        ReplyHead::Mismatch(end) => Ok(ReplyMessage::Mismatch(end)),
        ReplyHead::Data(data) => {
            expect_parts("data reply", parts, 1)?;
            Ok(ReplyMessage::Data(data))
        }
        ReplyHead::FrameFollows => {
            expect_parts("frame reply", parts, 2)?;
            Ok(ReplyMessage::Frame(ParsedFrame::parse(
                &parts[1],
                limits.max_frame_size,
            )?))
        }
    }
}

/// Decodes the receive side's answer to a frame: [`parse_reply_message`], then its frame.
pub fn decode_reply_message(
    parts: &[Bytes],
    bidirectional: bool,
    limits: Limits,
) -> Result<ReplyMessage, DecodeError> {
    parse_reply_message(parts, bidirectional, limits)?.decode()
}

/// Decodes the receive side's answer to the end of the stream (its first part), giving its
/// text (the peer's, cut short: it is only ever logged).
pub fn decode_terminated_message(parts: &[Bytes]) -> Result<String, DecodeError> {
    decode_terminated(first_part("termination answer", parts)?)
}

fn first_part<'a>(what: &'static str, parts: &'a [Bytes]) -> Result<&'a Bytes, DecodeError> {
    parts.first().ok_or(DecodeError::PartCount {
        what,
        expected: 1,
        got: 0,
    })
}

/// Checks the size of a data part before it is decoded.
fn check_data_size(part: &[u8], limit: usize) -> Result<(), DecodeError> {
    if part.len() > limit {
        return Err(DecodeError::DataTooLarge {
            size: part.len(),
            limit,
        });
    }
    Ok(())
}

/// Checks that a message has `expected` parts.
fn expect_parts(what: &'static str, parts: &[Bytes], expected: usize) -> Result<(), DecodeError> {
    if parts.len() == expected {
        Ok(())
    } else {
        Err(DecodeError::PartCount {
            what,
            expected,
            got: parts.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Compression, compressed_frame_part, frame_part};

    fn small(max_data_size: usize) -> Limits {
        Limits {
            max_data_size,
            ..Limits::DEFAULT
        }
    }

    fn frame() -> Frame {
        Frame::from_bgr(
            crate::Size {
                width: 2,
                height: 1,
            },
            vec![1, 2, 3, 4, 5, 6],
        )
        .unwrap()
    }

    fn head(data: Option<&Data>) -> Bytes {
        let mut out = Vec::new();
        encode_header(&mut out, true, data);
        Bytes::from(out)
    }

    #[test]
    fn frame_messages_need_exactly_two_parts() {
        let hi = Data::from("hi");
        let parts = [head(Some(&hi)), frame_part(&frame())];
        assert_eq!(
            decode_message(&parts, Limits::DEFAULT),
            Ok(Message::Frame {
                bi_mode: true,
                data: Some(hi),
                frame: frame()
            })
        );
        assert_eq!(
            decode_message(&parts[..1], Limits::DEFAULT),
            Err(DecodeError::PartCount {
                what: "frame message",
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            decode_message(&[], Limits::DEFAULT),
            Err(DecodeError::PartCount {
                what: "message",
                expected: 1,
                got: 0
            })
        );
    }

    #[test]
    fn terminate_stands_alone() {
        let mut end = Vec::new();
        encode_terminate(&mut end);
        let end = Bytes::from(end);
        assert_eq!(
            decode_message(std::slice::from_ref(&end), small(64)),
            Ok(Message::Terminate)
        );
        assert_eq!(
            decode_message(&[end, frame_part(&frame())], small(64)),
            Err(DecodeError::PartCount {
                what: "terminate message",
                expected: 1,
                got: 2
            })
        );
    }

    #[test]
    fn data_size_is_checked_before_decoding() {
        let parts = [
            head(Some(&Data::from("x".repeat(100)))),
            frame_part(&frame()),
        ];
        assert!(matches!(
            decode_message(&parts, small(50)),
            Err(DecodeError::DataTooLarge { limit: 50, .. })
        ));
    }

    #[test]
    fn replies_by_mode() {
        let mut seven = Vec::new();
        encode_reply_data(&mut seven, Some(&Data::from(7)));
        let seven = Bytes::from(seven);
        assert_eq!(
            decode_reply_message(std::slice::from_ref(&seven), true, small(64)),
            Ok(ReplyMessage::Data(Some(Data::from(7))))
        );
        assert_eq!(
            decode_reply_message(std::slice::from_ref(&seven), false, small(64)),
            Ok(ReplyMessage::Confirmation)
        );
        assert!(matches!(
            decode_reply_message(&[seven.clone(), seven], true, small(64)),
            Err(DecodeError::PartCount {
                what: "data reply",
                ..
            })
        ));
        let mut mismatch = Vec::new();
        encode_mismatch(&mut mismatch, End::Client);
        for bidirectional in [true, false] {
            assert_eq!(
                decode_reply_message(&[Bytes::from(mismatch.clone())], bidirectional, small(64)),
                Ok(ReplyMessage::Mismatch(End::Client))
            );
        }
    }

    /// Every message the ends send decodes, as the other end decodes it, to what was encoded.
    #[test]
    fn wire_encodes_what_it_decodes() {
        let hi = Data::from("hi");
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_123_456);
        let sent = Outgoing::frame(true, Some(&hi), Some(t), frame_part(&frame()));
        assert_eq!(sent.part_count(), 2);
        let Ok(Message::Frame {
            bi_mode: true,
            data: Some(data),
            frame: got,
        }) = decode_message(&sent.to_parts(), Limits::DEFAULT)
        else {
            panic!("not the frame message sent");
        };
        assert_eq!(
            (data, &got, got.captured()),
            (hi.clone(), &frame(), Some(t))
        );
        assert_eq!(
            decode_message(&Outgoing::terminate().to_parts(), Limits::DEFAULT),
            Ok(Message::Terminate)
        );
        let reply = |o: Outgoing, bidirectional| {
            decode_reply_message(&o.to_parts(), bidirectional, Limits::DEFAULT)
        };
        assert_eq!(
            reply(Outgoing::reply_data(Some(&hi)), true),
            Ok(ReplyMessage::Data(Some(hi)))
        );
        assert_eq!(
            reply(Outgoing::reply_data(None), true),
            Ok(ReplyMessage::Data(None))
        );
        assert_eq!(
            reply(Outgoing::reply_frame(frame_part(&frame())), true),
            Ok(ReplyMessage::Frame(frame()))
        );
        assert_eq!(
            reply(Outgoing::confirmation("abcd1234"), false),
            Ok(ReplyMessage::Confirmation)
        );
        assert_eq!(
            reply(Outgoing::mismatch(End::Server), false),
            Ok(ReplyMessage::Mismatch(End::Server))
        );
        let text = decode_terminated_message(&Outgoing::terminated("abcd1234").to_parts());
        assert_eq!(
            text,
            Ok("\"Client-`abcd1234` successfully terminated!\"".to_owned())
        );
    }

    /// A compressed frame's map is read once, by `parse_message`; decoding finishes it.
    #[test]
    fn a_compressed_frame_is_parsed_then_decoded() {
        let part = compressed_frame_part(&frame(), Compression::Lz4).unwrap();
        let sent = Outgoing::frame(false, None, None, part);
        let parsed = parse_message(&sent.to_parts(), Limits::DEFAULT).unwrap();
        assert_eq!(parsed.codec(), Some(Codec::Lz4));
        assert!(matches!(
            parsed.decode(),
            Ok(Message::Frame { frame, .. }) if frame == self::frame()
        ));
        let raw = Outgoing::frame(false, None, None, frame_part(&frame()));
        let parsed = parse_message(&raw.to_parts(), Limits::DEFAULT).unwrap();
        assert_eq!(parsed.codec(), None);
    }
}
