//! The first part of every message from the send side: the frame header
//! `{terminate, bi_mode, data}`, or the end of the stream `{"terminate": true}`.

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
pub(crate) fn some_data(v: Value) -> Option<Data> {
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
}
