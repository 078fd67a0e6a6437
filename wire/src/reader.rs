//! A bounds-checked msgpack cursor over one message part.
//!
//! It hands out sub-slices of the input (so a frame's pixel bytes are never copied) and turns
//! every surprise into a [`DecodeError`]: a length is only trusted after it is checked against
//! the bytes that are actually there.

use rmp::Marker;
use rmpv::Value;

use crate::error::DecodeError;

/// Deepest nesting of arrays and maps accepted in data (a stack-depth guard).
pub(crate) const MAX_DEPTH: usize = 64;

pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
    /// The map key whose value is being read, for error messages.
    pub(crate) key: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader {
            buf,
            pos: 0,
            what,
            key: "",
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    fn malformed(&self, detail: impl Into<String>) -> DecodeError {
        DecodeError::Msgpack {
            what: self.what,
            detail: detail.into(),
        }
    }

    fn wrong(&self, expected: &'static str) -> DecodeError {
        if self.key.is_empty() {
            self.malformed(format!("expected {expected}"))
        } else {
            DecodeError::WrongType {
                what: self.what,
                key: self.key,
                expected,
            }
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| {
                self.malformed(format!(
                    "needs {n} more byte(s) at offset {}, has {}",
                    self.pos,
                    self.buf.len() - self.pos
                ))
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn marker(&mut self) -> Result<Marker, DecodeError> {
        Ok(Marker::from_u8(self.take(1)?[0]))
    }

    fn peek_marker(&self) -> Option<Marker> {
        self.buf.get(self.pos).map(|&b| Marker::from_u8(b))
    }

    /// Whether the next value is an array (without consuming it).
    pub(crate) fn next_is_array(&self) -> bool {
        matches!(
            self.peek_marker(),
            Some(Marker::FixArray(_) | Marker::Array16 | Marker::Array32)
        )
    }

    pub(crate) fn map_len(&mut self) -> Result<usize, DecodeError> {
        match self.marker()? {
            Marker::FixMap(n) => Ok(usize::from(n)),
            Marker::Map16 => self.be(2).map(|n| n as usize),
            Marker::Map32 => self.be(4).map(|n| n as usize),
            _ => Err(self.wrong("a map")),
        }
    }

    pub(crate) fn array_len(&mut self) -> Result<usize, DecodeError> {
        match self.marker()? {
            Marker::FixArray(n) => Ok(usize::from(n)),
            Marker::Array16 => self.be(2).map(|n| n as usize),
            Marker::Array32 => self.be(4).map(|n| n as usize),
            _ => Err(self.wrong("an array")),
        }
    }

    /// A str or a bin, as bytes (msgpack_numpy uses bin keys, vidgear str keys; older packers
    /// write raw strings for bytes).
    pub(crate) fn str_or_bin(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = match self.marker()? {
            Marker::FixStr(n) => usize::from(n),
            Marker::Str8 | Marker::Bin8 => self.be(1)? as usize,
            Marker::Str16 | Marker::Bin16 => self.be(2)? as usize,
            Marker::Str32 | Marker::Bin32 => self.be(4)? as usize,
            _ => return Err(self.wrong("a str or bin")),
        };
        self.take(n)
    }

    pub(crate) fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.marker()? {
            Marker::True => Ok(true),
            Marker::False => Ok(false),
            _ => Err(self.wrong("a bool")),
        }
    }

    /// A non-negative integer.
    pub(crate) fn uint(&mut self) -> Result<u64, DecodeError> {
        match self.marker()? {
            Marker::FixPos(n) => Ok(u64::from(n)),
            Marker::U8 => self.be(1),
            Marker::U16 => self.be(2),
            Marker::U32 => self.be(4),
            Marker::U64 => self.be(8),
            Marker::I8 | Marker::I16 | Marker::I32 | Marker::I64 => {
                let n = match self.buf[self.pos - 1] {
                    0xd0 => 1,
                    0xd1 => 2,
                    0xd2 => 4,
                    _ => 8,
                };
                let raw = self.be(n)?;
                let shift = 64 - 8 * n as u32;
                let v = ((raw << shift) as i64) >> shift;
                u64::try_from(v).map_err(|_| self.wrong("a non-negative integer"))
            }
            _ => Err(self.wrong("a non-negative integer")),
        }
    }

    /// Any msgpack value, nested at most [`MAX_DEPTH`] deep (allocations are bounded by the
    /// input length, which the ends cap at `Options::max_data_size`).
    pub(crate) fn value(&mut self) -> Result<Value, DecodeError> {
        let mut rest = &self.buf[self.pos..];
        let before = rest.len();
        let v = rmpv::decode::read_value_with_max_depth(&mut rest, 2 * MAX_DEPTH)
            .map_err(|e| self.malformed(e.to_string()))?;
        // As Python's msgpack does, refuse a str that is not UTF-8 (it could not be kept a str).
        if !utf8_throughout(&v) {
            return Err(self.malformed("a str that is not valid UTF-8"));
        }
        self.pos += before - rest.len();
        Ok(v)
    }

    /// Steps over one value without allocating anything.
    pub(crate) fn skip(&mut self) -> Result<(), DecodeError> {
        self.skip_nested(MAX_DEPTH)
    }

    fn skip_nested(&mut self, depth: usize) -> Result<(), DecodeError> {
        let Some(depth) = depth.checked_sub(1) else {
            return Err(self.malformed(format!("nested deeper than {MAX_DEPTH}")));
        };
        let (items, bytes) = match self.marker()? {
            Marker::FixArray(n) => (usize::from(n), 0),
            Marker::Array16 => (self.be(2)? as usize, 0),
            Marker::Array32 => (self.be(4)? as usize, 0),
            Marker::FixMap(n) => (2 * usize::from(n), 0),
            Marker::Map16 => (2 * self.be(2)? as usize, 0),
            Marker::Map32 => (2 * self.be(4)? as usize, 0),
            Marker::FixStr(n) => (0, usize::from(n)),
            Marker::Str8 | Marker::Bin8 => (0, self.be(1)? as usize),
            Marker::Str16 | Marker::Bin16 => (0, self.be(2)? as usize),
            Marker::Str32 | Marker::Bin32 => (0, self.be(4)? as usize),
            Marker::Ext8 => (0, self.be(1)? as usize + 1),
            Marker::Ext16 => (0, self.be(2)? as usize + 1),
            Marker::Ext32 => (0, self.be(4)? as usize + 1),
            Marker::FixExt1 => (0, 2),
            Marker::FixExt2 => (0, 3),
            Marker::FixExt4 => (0, 5),
            Marker::FixExt8 => (0, 9),
            Marker::FixExt16 => (0, 17),
            Marker::U8 | Marker::I8 => (0, 1),
            Marker::U16 | Marker::I16 => (0, 2),
            Marker::U32 | Marker::I32 | Marker::F32 => (0, 4),
            Marker::U64 | Marker::I64 | Marker::F64 => (0, 8),
            Marker::Reserved => return Err(self.malformed("reserved marker 0xc1")),
            _ => (0, 0),
        };
        self.take(bytes)?;
        for _ in 0..items {
            self.skip_nested(depth)?;
        }
        Ok(())
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.buf.len() - self.pos {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes {
                what: self.what,
                count,
            }),
        }
    }
}

/// Whether every str in `v` is valid UTF-8 (`v` is at most `MAX_DEPTH` deep).
fn utf8_throughout(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_str(),
        Value::Array(items) => items.iter().all(utf8_throughout),
        Value::Map(entries) => entries
            .iter()
            .all(|(k, v)| utf8_throughout(k) && utf8_throughout(v)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_checked_against_the_input() {
        // bin32 claiming 4 GiB with 1 byte behind it
        let mut r = Reader::new(&[0xc6, 0xff, 0xff, 0xff, 0xff, 0x00], "t");
        assert!(matches!(r.str_or_bin(), Err(DecodeError::Msgpack { .. })));
        let mut r = Reader::new(&[], "t");
        assert!(r.bool().is_err());
    }

    #[test]
    fn nesting_is_bounded_and_skip_allocates_nothing() {
        let mut deep = vec![0x91u8; 500];
        deep.push(0xc0);
        assert!(Reader::new(&deep, "t").value().is_err());
        assert!(Reader::new(&deep, "t").skip().is_err());
        let mut ok = vec![0x91u8; 20];
        ok.push(0xc0);
        let mut r = Reader::new(&ok, "t");
        r.skip().unwrap();
        r.finish().unwrap();
        // an array32 claiming 4 Gi items with none behind it
        assert!(
            Reader::new(&[0xdd, 0xff, 0xff, 0xff, 0xff], "t")
                .skip()
                .is_err()
        );
    }

    #[test]
    fn signed_non_negative_ints_are_accepted() {
        let mut r = Reader::new(&[0xd1, 0x01, 0x00, 0xd0, 0xff], "t");
        assert_eq!(r.uint().unwrap(), 256);
        assert!(r.uint().is_err());
    }
}
