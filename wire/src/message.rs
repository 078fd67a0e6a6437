//! Whole messages: the parts of one ZeroMQ message in, the decoded message or a
//! [`DecodeError`] out. These are the functions the two ends call on every message they
//! receive, and the ones the fuzz targets exercise.

use bytes::Bytes;

use crate::codec::DEFAULT_MAX_FRAME_SIZE;
use crate::data::Data;
use crate::error::DecodeError;
use crate::frame::Frame;
use crate::header::{Header, decode_header};
use crate::numpy::decode_frame_limited;
use crate::reply::{End, ReplyHead, decode_confirmation, decode_reply};

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

/// A message from the send side, as the receive side takes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A frame with its header.
    Frame {
        /// Whether bidirectional mode is on at the send side.
        bi_mode: bool,
        /// The data sent with the frame; `None` for vidgear's `""` and for nil.
        data: Option<Data>,
        /// The frame.
        frame: Frame,
    },
    /// The send side has finished: `{"terminate": true}`, alone.
    Terminate,
}

/// Decodes a message from the send side: a header and a frame (two parts), or the end of the
/// stream (one part), within `limits`.
pub fn decode_message(parts: &[Bytes], limits: Limits) -> Result<Message, DecodeError> {
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
            let mut frame = decode_frame_limited(&parts[1], limits.max_frame_size)?;
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

/// The receive side's answer to one frame, as the send side takes it.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyMessage {
    /// Outside bidirectional mode: the plain confirmation (any bytes, as vidgear accepts).
    Confirmation,
    /// Data, or `None` when the receive side had nothing queued (one part).
    Data(Option<Data>),
    /// A frame (two parts: the `ndarray` reply head, then the frame).
    Frame(Frame),
    /// A netgear-rs receive side found bidirectional mode on at one end only, and names the
    /// end that lacks it.
    Mismatch(End),
}

/// Decodes the receive side's answer to a frame. `bidirectional` is the send side's own mode:
/// with it, a data or frame reply is expected; without it, a plain confirmation. Either way a
/// netgear-rs mismatch report is recognised. Everything stays within `limits`.
pub fn decode_reply_message(
    parts: &[Bytes],
    bidirectional: bool,
    limits: Limits,
) -> Result<ReplyMessage, DecodeError> {
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
            Ok(ReplyMessage::Frame(decode_frame_limited(
                &parts[1],
                limits.max_frame_size,
            )?))
        }
    }
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
    use crate::{encode_header, encode_mismatch, encode_reply_data, encode_terminate, frame_part};

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
}
