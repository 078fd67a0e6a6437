//! The envelope of one message in shared memory: the ends' parts written into one slice, behind a
//! small table of our own that the receiver checks against the slice before it reads a part.
//!
//! ```text
//! 0..4    b"NGS1"
//! 4..8    part count, u32 little-endian (1 to MAX_PARTS)
//! 8..40   each part's length, u64 little-endian (MAX_PARTS of them; unused ones 0)
//! 40..64  zero
//! 64..    the parts, each starting at a multiple of PART_ALIGN
//! ```
//!
//! The parts start on 64-byte boundaries of the slice. iceoryx2 places a slice of bytes on an
//! 8-byte boundary (in practice: `[u8]` asks for none, and asking for more would pad every
//! byte), so a frame's elements, which the frame part lays out aligned, are aligned as in a
//! message from libzmq. The slice's length is the envelope's
//! exactly: a table that does not add up to it, or whose parts would run past it, is refused with
//! [`DecodeError::Framing`], never read.

use std::mem::MaybeUninit;
use std::ops::Range;

use crate::transport::interface::MAX_PARTS;
use crate::wire::DecodeError;

const MAGIC: [u8; 4] = *b"NGS1";

/// Bytes of the table in front of the parts.
pub(super) const HEADER_LEN: usize = 64;

/// Where parts start: a multiple of this many bytes.
pub(super) const PART_ALIGN: usize = 64;

/// The most an envelope adds to its parts' bytes: the table, and the padding in front of each
/// part after the first.
pub(super) const OVERHEAD: usize = HEADER_LEN + (MAX_PARTS - 1) * (PART_ALIGN - 1);

/// Where each part sits in an envelope.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Table {
    ranges: [Range<usize>; MAX_PARTS],
    count: usize,
}

impl Table {
    /// The parts' places, in order.
    pub(super) fn parts(&self) -> &[Range<usize>] {
        &self.ranges[..self.count]
    }
}

fn align_up(n: usize) -> Option<usize> {
    Some(n.checked_add(PART_ALIGN - 1)? / PART_ALIGN * PART_ALIGN)
}

/// The places of parts of these lengths, and the envelope's length; `None` if it overflows.
fn layout(lens: impl IntoIterator<Item = usize>) -> Option<(Table, usize)> {
    let mut table = Table::default();
    let mut end = HEADER_LEN;
    for (i, len) in lens.into_iter().enumerate() {
        let start = if i == 0 { end } else { align_up(end)? };
        end = start.checked_add(len)?;
        *table.ranges.get_mut(i)? = start..end;
        table.count = i + 1;
    }
    Some((table, end))
}

/// The bytes an envelope of `parts` takes (at most [`MAX_PARTS`] of them).
pub(super) fn encoded_len(parts: &[&[u8]]) -> usize {
    layout(parts.iter().map(|p| p.len())).map_or(usize::MAX, |(_, len)| len)
}

/// Copies `src` into `dst`, which is as long.
fn put(dst: &mut [MaybeUninit<u8>], src: &[u8]) {
    dst.write_copy_of_slice(src);
}

/// Writes the envelope of `parts` (at most [`MAX_PARTS`]) into `dst`, every byte of it: `dst`
/// must be [`encoded_len`] bytes long.
pub(super) fn write(dst: &mut [MaybeUninit<u8>], parts: &[&[u8]]) {
    let Some((table, len)) = layout(parts.iter().map(|p| p.len())) else {
        unreachable!("the caller checked the length")
    };
    assert_eq!(
        dst.len(),
        len,
        "an envelope's slice is as long as the envelope"
    );
    let mut header = [0u8; HEADER_LEN];
    header[..4].copy_from_slice(&MAGIC);
    header[4..8].copy_from_slice(&(table.count as u32).to_le_bytes());
    for (i, part) in parts.iter().enumerate() {
        let at = 8 + 8 * i;
        header[at..at + 8].copy_from_slice(&(part.len() as u64).to_le_bytes());
    }
    put(&mut dst[..HEADER_LEN], &header);
    let mut end = HEADER_LEN;
    for (range, part) in table.parts().iter().zip(parts) {
        // The padding before the part, zeroed: the whole slice is initialised.
        dst[end..range.start].fill(MaybeUninit::new(0));
        put(&mut dst[range.clone()], part);
        end = range.end;
    }
}

fn framing(detail: String) -> DecodeError {
    DecodeError::Framing {
        transport: "shared-memory",
        detail,
    }
}

/// Reads the table of an envelope received, checked against the slice's length: where each
/// part is, all within `payload`.
pub(super) fn read(payload: &[u8]) -> Result<Table, DecodeError> {
    let Some(header) = payload.get(..HEADER_LEN) else {
        return Err(framing(format!(
            "{} bytes, shorter than the {HEADER_LEN}-byte table of parts",
            payload.len()
        )));
    };
    let word = |at: usize, n: usize| {
        header[at..at + n]
            .iter()
            .rev()
            .fold(0u64, |v, &b| (v << 8) | u64::from(b))
    };
    if header[..4] != MAGIC {
        return Err(framing("no table of parts (bad magic)".into()));
    }
    let count = word(4, 4);
    if count == 0 {
        return Err(framing("a message of 0 parts".into()));
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count > MAX_PARTS {
        return Err(DecodeError::PartCount {
            what: "message",
            expected: MAX_PARTS,
            got: count,
        });
    }
    let lens = (0..count).map(|i| usize::try_from(word(8 + 8 * i, 8)).unwrap_or(usize::MAX));
    match layout(lens) {
        Some((table, len)) if len == payload.len() => Ok(table),
        Some((_, len)) => Err(framing(format!(
            "the table of parts adds up to {len} bytes, the slice has {}",
            payload.len()
        ))),
        None => Err(framing("the table of parts overflows".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(parts: &[&[u8]]) -> Vec<u8> {
        let mut buf = vec![MaybeUninit::new(0xAA); encoded_len(parts)];
        write(&mut buf, parts);
        buf.into_iter()
            // SAFETY: `write` initialised every byte (and they started initialised anyway).
            .map(|b| unsafe { b.assume_init() })
            .collect()
    }

    #[test]
    fn parts_come_back_aligned_and_whole() {
        let head = b"header".as_slice();
        let frame = vec![7u8; 1000];
        let bytes = envelope(&[head, &frame]);
        assert_eq!(bytes.len(), 64 + 64 + 1000);
        let table = read(&bytes).unwrap();
        let parts: Vec<&[u8]> = table.parts().iter().map(|r| &bytes[r.clone()]).collect();
        assert_eq!(parts, [head, frame.as_slice()]);
        assert!(table.parts().iter().all(|r| r.start % PART_ALIGN == 0));
        // The padding is zeroed, not left as it was.
        assert!(bytes[64 + 6..128].iter().all(|&b| b == 0));
        let one = envelope(&[b""]);
        let table = read(&one).unwrap();
        assert_eq!(table.parts().len(), 1);
        assert_eq!(table.parts()[0], 64..64);
    }

    #[test]
    fn a_table_that_does_not_fit_its_slice_is_refused() {
        let good = envelope(&[b"head", &[1u8; 100]]);
        let framing_err = |b: &[u8]| matches!(read(b), Err(DecodeError::Framing { .. }));
        // Cut short, or with bytes to spare.
        assert!(framing_err(&good[..good.len() - 1]));
        let mut long = good.clone();
        long.push(0);
        assert!(framing_err(&long));
        assert!(framing_err(&good[..10]));
        assert!(framing_err(&[]));
        // A part longer than the slice, or so long the sum overflows.
        let mut big = good.clone();
        big[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(framing_err(&big));
        big[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(framing_err(&big));
        // Bad magic, no parts, too many parts.
        let mut bad = good.clone();
        bad[0] = b'X';
        assert!(framing_err(&bad));
        let mut none = good.clone();
        none[4..8].copy_from_slice(&0u32.to_le_bytes());
        assert!(framing_err(&none));
        let mut many = good;
        many[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            read(&many),
            Err(DecodeError::PartCount { got, .. }) if got == u32::MAX as usize
        ));
    }

    #[test]
    fn the_overhead_bounds_every_envelope() {
        let parts: [&[u8]; MAX_PARTS] = [b"a", b"b", b"c", b"d"];
        assert!(encoded_len(&parts) - 4 <= OVERHEAD);
    }
}
