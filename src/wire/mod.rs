//! The vidgear NetGear_Async message formats: pure functions from values to bytes and back.
//!
//! No sockets here. Every encoder writes exactly the bytes Python's `msgpack.packb` (with
//! `msgpack_numpy`) writes for the same value; every decoder is total: it returns a
//! [`DecodeError`] for anything unexpected and never unpickles.
//!
//! | message | parts | format |
//! |---|---|---|
//! | frame, send → receive | 2 | header map `{terminate, bi_mode, data}` + msgpack_numpy frame |
//! | terminate, send → receive | 1 | `{"terminate": true}` |
//! | reply, bidirectional | 1 or 2 | `{return_type, return_data}` (+ frame when `"ndarray"`) |
//! | reply, plain | 1 | `Data received on client: {ID} !` |
//! | termination answer | 1 | `{"terminated": "Client-`{ID}` successfully terminated!"}` |

mod data;
mod frame;
mod reader;

use bytes::Bytes;
use rmpv::Value;

pub use data::Data;
pub use frame::{ByteOrder, Dtype, Element, Frame, MAX_DIMS, Scalar};

use crate::error::{DecodeError, End};
use reader::Reader;

/// Writing msgpack into a `Vec`, or into a buffer sized for the longest value, cannot fail; this
/// keeps that impossible error out of every encoder's signature.
fn infallible<T, E: std::fmt::Debug>(r: Result<T, E>) {
    if let Err(e) = r {
        unreachable!("writing msgpack into memory failed: {e:?}");
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    infallible(rmp::encode::write_str(out, s));
}

#[cfg(test)]
fn put_bin(out: &mut Vec<u8>, b: &[u8]) {
    infallible(rmp::encode::write_bin(out, b));
}

fn put_value(out: &mut Vec<u8>, v: &Value) {
    infallible(rmpv::encode::write_value(out, v));
}

/// The first part of a message from the send side.
#[derive(Debug, Clone, PartialEq)]
pub enum Header {
    /// A frame follows in the second part.
    Frame {
        /// Whether bidirectional mode is on at the send side.
        bi_mode: bool,
        /// The data sent with the frame; `None` for vidgear's `""` and for nil.
        data: Option<Data>,
    },
    /// The send side has finished: `{"terminate": true}`.
    Terminate,
}

/// Writes a frame header: `{"terminate": false, "bi_mode": bi_mode, "data": data or ""}`.
pub fn encode_header(out: &mut Vec<u8>, bi_mode: bool, data: Option<&Data>) {
    out.push(0x83);
    put_str(out, "terminate");
    out.push(0xc2);
    put_str(out, "bi_mode");
    out.push(if bi_mode { 0xc3 } else { 0xc2 });
    put_str(out, "data");
    match data {
        Some(d) => put_value(out, &d.0),
        None => put_str(out, ""),
    }
}

/// Writes the termination message `{"terminate": true}`.
pub fn encode_terminate(out: &mut Vec<u8>) {
    out.push(0x81);
    put_str(out, "terminate");
    out.push(0xc3);
}

/// Turns vidgear's "no data" markers (`""`, nil) into `None`.
fn some_data(v: Value) -> Option<Data> {
    let d = Data(v);
    (!d.is_none_marker()).then_some(d)
}

/// Decodes the first part of a message from the send side.
pub fn decode_header(part: &[u8]) -> Result<Header, DecodeError> {
    const WHAT: &str = "frame header";
    let mut r = Reader::new(part, WHAT);
    let (mut terminate, mut bi_mode, mut data) = (None, None, None);
    for _ in 0..r.map_len()? {
        r.key = "";
        let key = r.str_or_bin()?;
        match key {
            b"terminate" => {
                r.key = "terminate";
                terminate = Some(r.bool()?);
            }
            b"bi_mode" => {
                r.key = "bi_mode";
                bi_mode = Some(r.bool()?);
            }
            b"data" => data = Some(r.value()?),
            _ => r.skip()?,
        }
    }
    r.finish()?;
    let missing = |key| DecodeError::MissingKey { what: WHAT, key };
    if terminate.ok_or_else(|| missing("terminate"))? {
        return Ok(Header::Terminate);
    }
    Ok(Header::Frame {
        bi_mode: bi_mode.ok_or_else(|| missing("bi_mode"))?,
        data: some_data(data.ok_or_else(|| missing("data"))?),
    })
}

/// The longest msgpack_numpy header: the fixed keys and values, and up to [`MAX_DIMS`]
/// dimensions of at most 9 bytes each.
const FRAME_HEADER_MAX: usize = 64 + 9 * MAX_DIMS;

/// Writes the msgpack_numpy map that precedes `len` bytes of a `dtype` frame of `shape`, up to
/// and including the bin header of its `data`.
fn put_frame_header<W: rmp::encode::RmpWrite>(
    out: &mut W,
    dtype: Dtype,
    shape: &[usize],
    len: usize,
) {
    let descr = dtype.descr();
    // The dtype string is ASCII by construction.
    let descr = std::str::from_utf8(&descr).unwrap_or("|u1");
    infallible(out.write_u8(0x85));
    infallible(rmp::encode::write_bin(out, b"nd"));
    infallible(out.write_u8(0xc3));
    infallible(rmp::encode::write_bin(out, b"type"));
    infallible(rmp::encode::write_str(out, descr));
    infallible(rmp::encode::write_bin(out, b"kind"));
    infallible(rmp::encode::write_bin(out, b""));
    infallible(rmp::encode::write_bin(out, b"shape"));
    infallible(rmp::encode::write_array_len(out, shape.len() as u32));
    for &d in shape {
        infallible(rmp::encode::write_uint(out, d as u64));
    }
    infallible(rmp::encode::write_bin(out, b"data"));
    infallible(rmp::encode::write_bin_len(out, len as u32));
}

/// The msgpack_numpy map that precedes `len` bytes of a `dtype` frame of `shape`, up to and
/// including the bin header of its `data`.
pub(crate) fn frame_header(dtype: Dtype, shape: &[usize], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + shape.len() * 9);
    put_frame_header(&mut out, dtype, shape, len);
    out
}

/// The frame as msgpack_numpy encodes it: `{b"nd": true, b"type": "<dtype>", b"kind": b"",
/// b"shape": [...], b"data": <bytes>}`. Shared without a copy when the frame still has the
/// encoded form it arrived in (or was built with); otherwise one allocation, one copy.
pub fn frame_part(frame: &Frame) -> Bytes {
    // Written on the stack: this runs for every frame sent, and a shared one needs no other
    // allocation. A frame never has more than `MAX_DIMS` dimensions, so it fits.
    let mut buf = [0u8; FRAME_HEADER_MAX];
    let mut rest = &mut buf[..];
    put_frame_header(
        &mut rest,
        frame.dtype(),
        frame.shape(),
        frame.as_bytes().len(),
    );
    let written = FRAME_HEADER_MAX - rest.len();
    let header = &buf[..written];
    if let Some(wire) = frame
        .wire()
        .filter(|w| w.len() == header.len() + frame.as_bytes().len() && w.starts_with(header))
    {
        return wire.clone();
    }
    let mut out = Vec::with_capacity(header.len() + frame.as_bytes().len());
    out.extend_from_slice(header);
    out.extend_from_slice(frame.as_bytes());
    Bytes::from(out)
}

/// Encodes a frame as msgpack_numpy does (see [`frame_part`]), as a `Vec`.
pub fn encode_frame(frame: &Frame) -> Vec<u8> {
    frame_part(frame).into()
}

/// Decodes a msgpack_numpy frame. The frame's bytes are a slice of `part` (no copy).
///
/// Object dtypes (pickles) and structured dtypes are refused; the shape must match the byte
/// count exactly.
pub fn decode_frame(part: &Bytes) -> Result<Frame, DecodeError> {
    const WHAT: &str = "frame";
    let mut r = Reader::new(part, WHAT);
    let mut nd = None;
    let mut type_str: Option<&[u8]> = None;
    let mut structured_type = false;
    let mut kind: &[u8] = b"";
    // The dimensions as sent (kept for the error that names them), on the stack.
    let mut dims = [0u64; MAX_DIMS];
    let mut shape_len: Option<usize> = None;
    let mut data = None;
    for _ in 0..r.map_len()? {
        r.key = "";
        let key = r.str_or_bin()?;
        match key {
            b"nd" => {
                r.key = "nd";
                nd = Some(r.bool()?);
            }
            b"type" => {
                r.key = "type";
                if r.next_is_array() {
                    structured_type = true;
                    r.skip()?;
                } else {
                    type_str = Some(r.str_or_bin()?);
                }
            }
            b"kind" => {
                r.key = "kind";
                kind = r.str_or_bin()?;
            }
            b"shape" => {
                r.key = "shape";
                let n = r.array_len()?;
                if n > MAX_DIMS {
                    return Err(DecodeError::ShapeOverflow(vec![n as u64]));
                }
                for d in &mut dims[..n] {
                    *d = r.uint()?;
                }
                shape_len = Some(n);
            }
            b"data" => {
                r.key = "data";
                let bytes = r.str_or_bin()?;
                let start = r.pos() - bytes.len();
                data = Some(start..r.pos());
            }
            _ => r.skip()?,
        }
    }
    r.finish()?;
    let missing = |key| DecodeError::MissingKey { what: WHAT, key };
    match kind {
        b"" => {}
        b"O" => return Err(DecodeError::PickledObject),
        b"V" => return Err(DecodeError::StructuredDtype),
        other => {
            return Err(DecodeError::UnsupportedDtype(format!(
                "kind {:?}",
                String::from_utf8_lossy(other)
            )));
        }
    }
    if structured_type {
        return Err(DecodeError::StructuredDtype);
    }
    if !nd.ok_or_else(|| missing("nd"))? {
        return Err(DecodeError::NotAnArray);
    }
    let type_str = type_str.ok_or_else(|| missing("type"))?;
    let dtype = Dtype::parse(std::str::from_utf8(type_str).map_err(|_| {
        let shown = &type_str[..type_str.len().min(64)];
        DecodeError::UnsupportedDtype(String::from_utf8_lossy(shown).into_owned())
    })?)?;
    let shape64 = &dims[..shape_len.ok_or_else(|| missing("shape"))?];
    let range = data.ok_or_else(|| missing("data"))?;
    let shape: Vec<usize> = shape64
        .iter()
        .map(|&d| usize::try_from(d).ok())
        .collect::<Option<_>>()
        .ok_or_else(|| DecodeError::ShapeOverflow(shape64.to_vec()))?;
    let expected = frame::byte_len(dtype, &shape)
        .ok_or_else(|| DecodeError::ShapeOverflow(shape64.to_vec()))?;
    if expected != range.len() {
        return Err(DecodeError::SizeMismatch {
            expected,
            got: range.len(),
        });
    }
    if range.end != part.len() {
        // Only a trailing `data` makes the part re-sendable as it is; keep just the bytes.
        return Frame::new(dtype, shape, part.slice(range))
            .map_err(|e| DecodeError::Unexpected(e.to_string()));
    }
    Ok(Frame::from_wire(dtype, shape, part.clone(), range.start))
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
                text = Some(String::from_utf8_lossy(r.str_or_bin()?).into_owned());
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

/// Checks the size of a data part before it is decoded.
pub(crate) fn check_data_size(part: &[u8], limit: usize) -> Result<(), DecodeError> {
    if part.len() > limit {
        return Err(DecodeError::DataTooLarge {
            size: part.len(),
            limit,
        });
    }
    Ok(())
}

/// Checks that a message has `expected` parts.
pub(crate) fn expect_parts(
    what: &'static str,
    parts: &[Bytes],
    expected: usize,
) -> Result<(), DecodeError> {
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

/// A fresh 8-character `A-Z0-9` system id, as vidgear makes for each end.
pub fn new_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut raw = [0u8; 8];
    if getrandom::fill(&mut raw).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        raw = (t as u64).to_le_bytes();
    }
    raw.iter()
        .map(|&b| ALPHABET[usize::from(b) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes_match_python_msgpack() {
        // msgpack.packb({"terminate": False, "bi_mode": True, "data": "hi"})
        let mut out = Vec::new();
        encode_header(&mut out, true, Some(&Data::from("hi")));
        let mut want = vec![0x83, 0xa9];
        want.extend_from_slice(b"terminate");
        want.extend_from_slice(&[0xc2, 0xa7]);
        want.extend_from_slice(b"bi_mode");
        want.extend_from_slice(&[0xc3, 0xa4]);
        want.extend_from_slice(b"data");
        want.extend_from_slice(&[0xa2, b'h', b'i']);
        assert_eq!(out, want);
        assert_eq!(
            decode_header(&out).unwrap(),
            Header::Frame {
                bi_mode: true,
                data: Some(Data::from("hi"))
            }
        );
    }

    #[test]
    fn frame_round_trip_is_zero_copy() {
        let f = Frame::from_bgr(4, 2, (0..24).collect::<Vec<u8>>()).unwrap();
        let enc = Bytes::from(encode_frame(&f));
        // b"nd" key: bin8 of length 2
        assert_eq!(&enc[..5], &[0x85, 0xc4, 0x02, b'n', b'd']);
        let g = decode_frame(&enc).unwrap();
        assert_eq!(g, f);
        let p = g.as_bytes().as_ptr() as usize;
        let base = enc.as_ptr() as usize;
        assert!(p >= base && p < base + enc.len());
    }

    #[test]
    fn built_and_received_frames_are_sent_without_a_copy() {
        let built = Frame::build(Dtype::U8, vec![2, 4, 3], |px| px.fill(9)).unwrap();
        let part = frame_part(&built);
        assert_eq!(part.as_ptr(), built.wire().unwrap().as_ptr());
        let received = decode_frame(&part).unwrap();
        assert_eq!(frame_part(&received).as_ptr(), part.as_ptr());
        // A part whose data is not last (another packer's key order) is re-encoded.
        let mut odd = vec![0x85];
        put_bin(&mut odd, b"data");
        put_bin(&mut odd, &[1, 2, 3]);
        for (k, v) in [(&b"nd"[..], &[0xc3][..]), (b"kind", &[0xc4, 0x00])] {
            put_bin(&mut odd, k);
            odd.extend_from_slice(v);
        }
        put_bin(&mut odd, b"type");
        put_str(&mut odd, "|u1");
        put_bin(&mut odd, b"shape");
        odd.extend_from_slice(&[0x91, 0x03]);
        let odd = Bytes::from(odd);
        let f = decode_frame(&odd).unwrap();
        assert_eq!(f.as_bytes(), &[1, 2, 3]);
        let again = frame_part(&f);
        assert_ne!(again, odd);
        assert_eq!(decode_frame(&again).unwrap(), f);
    }

    #[test]
    fn frame_decode_refuses_bad_sizes_and_pickles() {
        let f = Frame::from_bgr(4, 2, vec![0u8; 24]).unwrap();
        let mut enc = encode_frame(&f);
        enc.pop();
        assert!(matches!(
            decode_frame(&Bytes::from(enc)),
            Err(DecodeError::Msgpack { .. })
        ));
        let mut out = vec![0x85];
        for (k, v) in [
            (&b"nd"[..], &[0xc3][..]),
            (b"type", &[0xa2, b'|', b'O']),
            (b"kind", &[0xc4, 0x01, b'O']),
            (b"shape", &[0x91, 0x01]),
            (b"data", &[0xc4, 0x01, 0x80]),
        ] {
            put_bin(&mut out, k);
            out.extend_from_slice(v);
        }
        assert_eq!(
            decode_frame(&Bytes::from(out)),
            Err(DecodeError::PickledObject)
        );
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

    #[test]
    fn ids_are_eight_uppercase_alphanumerics() {
        let id = new_id();
        assert_eq!(id.len(), 8);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
    }
}
