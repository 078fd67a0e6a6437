//! What the receive side sends back: bidirectional replies (data, or a frame that follows),
//! plain confirmations, the termination answer, and netgear-rs's mismatch report.

use serde::Serialize;

use crate::data::Data;
use crate::error::{DataError, DecodeError};
use crate::frame::Frame;
use crate::header::some_data;
use crate::msgpack::{put_str, put_value};
use crate::reader::Reader;

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

/// One answer from the receive side to a frame: data of any type, or a frame of its own
/// (the video-chat case).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Any msgpack value.
    Data(Data),
    /// A frame (vidgear: an `ndarray` reply).
    Frame(Frame),
}

impl Reply {
    /// The data, if this is a data reply.
    pub fn as_data(&self) -> Option<&Data> {
        match self {
            Reply::Data(d) => Some(d),
            Reply::Frame(_) => None,
        }
    }

    /// The frame, if this is a frame reply.
    pub fn as_frame(&self) -> Option<&Frame> {
        match self {
            Reply::Frame(f) => Some(f),
            Reply::Data(_) => None,
        }
    }

    /// Consumes the reply, giving its frame if it is one.
    pub fn into_frame(self) -> Option<Frame> {
        match self {
            Reply::Frame(f) => Some(f),
            Reply::Data(_) => None,
        }
    }
}

/// Values a receive-mode end can send back (with `transceive_data`, or a request's responder):
/// any serde-serialisable value (sent as msgpack data), a [`Frame`] or `&Frame` (sent as a
/// frame reply), or a ready [`Reply`].
pub trait IntoReply {
    /// Converts the value into a reply.
    fn into_reply(self) -> Result<Reply, DataError>;
}

impl<T: Serialize> IntoReply for T {
    fn into_reply(self) -> Result<Reply, DataError> {
        Data::from_serde(&self).map(Reply::Data)
    }
}

impl IntoReply for Frame {
    fn into_reply(self) -> Result<Reply, DataError> {
        Ok(Reply::Frame(self))
    }
}

/// A borrowed frame is sent as it is: cloning a [`Frame`] shares its bytes, so echoing a
/// received frame (`reply(&frame)`) copies nothing.
impl IntoReply for &Frame {
    fn into_reply(self) -> Result<Reply, DataError> {
        Ok(Reply::Frame(self.clone()))
    }
}

impl IntoReply for Reply {
    fn into_reply(self) -> Result<Reply, DataError> {
        Ok(self)
    }
}

/// What the receive side sent back for one frame in bidirectional mode.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyHead {
    /// A value (`None` for vidgear's `""`/nil: nothing was queued).
    Data(Option<Data>),
    /// `return_type` is `"ndarray"`: a frame follows in the second part.
    FrameFollows,
    /// A netgear-rs receive side found bidirectional mode off at one end and says which.
    Mismatch(End),
}

/// Key with which a netgear-rs receive side reports a bidirectional-mode mismatch. A vidgear
/// send side ignores unknown keys, so the reply stays valid for it.
const MISMATCH_KEY: &str = "bi_mode_missing_on";

/// Writes a data reply: `{"return_type": "<python type>", "return_data": data or ""}`.
pub fn encode_reply_data(out: &mut Vec<u8>, data: Option<&Data>) {
    out.push(0x82);
    put_str(out, "return_type");
    put_str(out, data.map_or("NoneType", Data::python_type));
    put_str(out, "return_data");
    match data {
        Some(d) => put_value(out, &d.0),
        None => put_str(out, ""),
    }
}

/// Writes the first part of a frame reply: `{"return_type": "ndarray", "return_data": nil}`.
pub fn encode_reply_frame_head(out: &mut Vec<u8>) {
    out.push(0x82);
    put_str(out, "return_type");
    put_str(out, "ndarray");
    put_str(out, "return_data");
    out.push(0xc0);
}

/// Writes the reply a netgear-rs receive side sends when bidirectional mode is on at one end
/// only: an empty data reply (valid for vidgear) that also names the end that lacks it.
pub fn encode_mismatch(out: &mut Vec<u8>, missing_on: End) {
    out.push(0x83);
    put_str(out, "return_type");
    put_str(out, "NoneType");
    put_str(out, "return_data");
    put_str(out, "");
    put_str(out, MISMATCH_KEY);
    put_str(out, &missing_on.to_string());
}

/// Decodes the first part of a bidirectional reply.
pub fn decode_reply(part: &[u8]) -> Result<ReplyHead, DecodeError> {
    const WHAT: &str = "reply";
    let mut r = Reader::new(part, WHAT);
    let (mut rtype, mut rdata, mut mismatch) = (None, None, None);
    for _ in 0..r.map_len()? {
        r.key = "";
        match r.str_or_bin()? {
            b"return_type" => {
                r.key = "return_type";
                rtype = Some(r.str_or_bin()?);
            }
            b"return_data" => rdata = Some(r.value()?),
            k if k == MISMATCH_KEY.as_bytes() => {
                r.key = MISMATCH_KEY;
                mismatch = Some(match r.str_or_bin()? {
                    b"server" => End::Server,
                    _ => End::Client,
                });
            }
            _ => r.skip()?,
        }
    }
    r.finish()?;
    if let Some(end) = mismatch {
        return Ok(ReplyHead::Mismatch(end));
    }
    let missing = |key| DecodeError::MissingKey { what: WHAT, key };
    if rtype.ok_or_else(|| missing("return_type"))? == b"ndarray" {
        return Ok(ReplyHead::FrameFollows);
    }
    Ok(ReplyHead::Data(some_data(
        rdata.ok_or_else(|| missing("return_data"))?,
    )))
}

/// The plain confirmation a receive side sends per frame when bidirectional mode is off.
pub fn confirmation(id: &str) -> Vec<u8> {
    format!("Data received on client: {id} !").into_bytes()
}

/// Checks a plain confirmation. Any bytes are accepted as vidgear does, except a netgear-rs
/// mismatch report, which is returned.
pub fn decode_confirmation(part: &[u8]) -> Option<End> {
    match decode_reply(part) {
        Ok(ReplyHead::Mismatch(end)) => Some(end),
        _ => None,
    }
}

/// Writes the receive side's answer to termination.
pub fn encode_terminated(out: &mut Vec<u8>, id: &str) {
    out.push(0x81);
    put_str(out, "terminated");
    put_str(out, &format!("Client-`{id}` successfully terminated!"));
}

/// Decodes the answer to termination, giving its text.
pub fn decode_terminated(part: &[u8]) -> Result<String, DecodeError> {
    const WHAT: &str = "termination answer";
    let mut r = Reader::new(part, WHAT);
    let mut text = None;
    for _ in 0..r.map_len()? {
        r.key = "";
        match r.str_or_bin()? {
            b"terminated" => {
                r.key = "terminated";
                // The peer's text, cut short: it is only ever logged.
                text = Some(crate::text::peer_text(r.str_or_bin()?));
            }
            _ => r.skip()?,
        }
    }
    r.finish()?;
    text.ok_or(DecodeError::MissingKey {
        what: WHAT,
        key: "terminated",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn into_reply_for_values_and_frames() {
        assert_eq!("hi".into_reply().unwrap(), Reply::Data(Data::from("hi")));
        let f = Frame::from_bgr(
            crate::Size {
                width: 1,
                height: 1,
            },
            vec![1, 2, 3],
        )
        .unwrap();
        assert_eq!((&f).into_reply().unwrap(), Reply::Frame(f.clone()));
        assert_eq!(f.clone().into_reply().unwrap(), Reply::Frame(f));
    }

    #[test]
    fn replies_round_trip() {
        let mut out = Vec::new();
        encode_reply_data(&mut out, Some(&Data::from(7)));
        assert_eq!(
            decode_reply(&out).unwrap(),
            ReplyHead::Data(Some(Data::from(7)))
        );
        out.clear();
        encode_reply_data(&mut out, None);
        assert_eq!(decode_reply(&out).unwrap(), ReplyHead::Data(None));
        out.clear();
        encode_reply_frame_head(&mut out);
        assert_eq!(decode_reply(&out).unwrap(), ReplyHead::FrameFollows);
        out.clear();
        encode_mismatch(&mut out, End::Server);
        assert_eq!(
            decode_reply(&out).unwrap(),
            ReplyHead::Mismatch(End::Server)
        );
        assert_eq!(decode_confirmation(&out), Some(End::Server));
        assert_eq!(decode_confirmation(&confirmation("ABCD1234")), None);
        out.clear();
        encode_terminated(&mut out, "ABCD1234");
        assert!(decode_terminated(&out).unwrap().contains("ABCD1234"));
    }
}
