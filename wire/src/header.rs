//! The first part of every message from the send side: the frame header
//! `{terminate, bi_mode, data}` (with netgear-rs's optional capture time), or the end of the
//! stream `{"terminate": true}`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::data::Data;
use crate::error::DecodeError;
use crate::msgpack::{put_str, put_value};
use crate::reader::Reader;
use rmpv::Value;

/// The first part of a message from the send side.
#[derive(Debug, Clone, PartialEq)]
pub enum Header {
    /// A frame follows in the second part.
    Frame {
        /// Whether bidirectional mode is on at the send side.
        bi_mode: bool,
        /// The data sent with the frame; `None` for vidgear's `""` and for nil.
        data: Option<Data>,
        /// When the frame was captured, if a netgear-rs sender said so.
        captured: Option<SystemTime>,
    },
    /// The send side has finished: `{"terminate": true}`.
    Terminate,
}

/// The key under which a netgear-rs sender puts the frame's capture time, in whole microseconds
/// since 1970 (a uint). vidgear reads its three keys by name and ignores this one.
pub const CAPTURED_KEY: &str = "captured_us";

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

/// Writes a frame header with the frame's capture time:
/// `{"terminate": false, "bi_mode": bi_mode, "data": data or "", "captured_us": µs since 1970}`.
pub fn encode_header_stamped(
    out: &mut Vec<u8>,
    bi_mode: bool,
    data: Option<&Data>,
    captured: SystemTime,
) {
    let start = out.len();
    encode_header(out, bi_mode, data);
    out[start] = 0x84;
    put_str(out, CAPTURED_KEY);
    let micros = captured
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    crate::msgpack::infallible(rmp::encode::write_uint(out, micros));
}

/// Writes the termination message `{"terminate": true}`.
pub fn encode_terminate(out: &mut Vec<u8>) {
    out.push(0x81);
    put_str(out, "terminate");
    out.push(0xc3);
}

/// Turns vidgear's "no data" markers (`""`, nil) into `None`.
pub(crate) fn some_data(v: Value) -> Option<Data> {
    let d = Data(v);
    (!d.is_none_marker()).then_some(d)
}

/// Decodes the first part of a message from the send side.
pub fn decode_header(part: &[u8]) -> Result<Header, DecodeError> {
    const WHAT: &str = "frame header";
    let mut r = Reader::new(part, WHAT);
    let (mut terminate, mut bi_mode, mut data, mut captured) = (None, None, None, None);
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
            k if k == CAPTURED_KEY.as_bytes() => {
                r.key = CAPTURED_KEY;
                let micros = r.uint()?;
                captured = Some(
                    UNIX_EPOCH
                        .checked_add(Duration::from_micros(micros))
                        .ok_or(DecodeError::WrongType {
                            what: WHAT,
                            key: CAPTURED_KEY,
                            expected: "microseconds since 1970",
                        })?,
                );
            }
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
        captured,
    })
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
                data: Some(Data::from("hi")),
                captured: None,
            }
        );
    }

    #[test]
    fn capture_times_travel_in_microseconds() {
        let t = UNIX_EPOCH + Duration::from_micros(1_764_000_000_123_456);
        let mut out = Vec::new();
        encode_header_stamped(&mut out, false, None, t);
        assert_eq!(out[0], 0x84);
        assert_eq!(
            decode_header(&out).unwrap(),
            Header::Frame {
                bi_mode: false,
                data: None,
                captured: Some(t),
            }
        );
        // Not a uint: a typed error naming the key.
        let mut bad = Vec::new();
        encode_header(&mut bad, false, None);
        bad[0] = 0x84;
        put_str(&mut bad, CAPTURED_KEY);
        put_str(&mut bad, "yesterday");
        assert!(matches!(
            decode_header(&bad),
            Err(DecodeError::WrongType {
                key: CAPTURED_KEY,
                ..
            })
        ));
    }
}
