//! The envelope of one message in shared memory: the ends' parts written into one slice, behind a
//! small table of our own that the receiver checks against the slice before it reads a part.
//!
//! ```text
//! 0..4    b"NGS2"
//! 4..8    part count, u32 little-endian (1 to MAX_PARTS)
//! 8..40   each part's length, u64 little-endian (MAX_PARTS of them; unused ones 0)
//! 40..56  each part's offset in the slice, u32 little-endian (unused ones 0)
//! 56..64  zero
//! 64..    the parts
//! ```
//!
//! A message copied in ([`write`]) has its parts in order, each on a 64-byte boundary of the
//! slice. A frame written in place ([`Server::frame_buffer`](crate::Server::frame_buffer))
//! comes first, placed so that its elements start on a 64-byte boundary, and the header part
//! after it: the header is only known once the frame is written. iceoryx2 places a slice of
//! bytes on an 8-byte boundary (in practice: `[u8]` asks for none, and asking for more would
//! pad every byte), so a frame's elements are aligned as in a message from libzmq. Every part
//! lies after the table and within the slice, and no two overlap; a table that says otherwise
//! is refused with [`DecodeError::Framing`], never read. (A frame written in place leaves the
//! rest of its slot unused after the header: the slice may be longer than its parts.)

use std::mem::MaybeUninit;
use std::ops::Range;

use crate::transport::interface::MAX_PARTS;
use crate::wire::DecodeError;

const MAGIC: [u8; 4] = *b"NGS2";

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

/// Writes the table of parts at `ranges` (at most [`MAX_PARTS`], each after the table) into
/// `dst`'s first [`HEADER_LEN`] bytes.
pub(super) fn write_table(dst: &mut [MaybeUninit<u8>], ranges: &[Range<usize>]) {
    let mut header = [0u8; HEADER_LEN];
    header[..4].copy_from_slice(&MAGIC);
    header[4..8].copy_from_slice(&(ranges.len() as u32).to_le_bytes());
    for (i, range) in ranges.iter().enumerate() {
        let at = 8 + 8 * i;
        header[at..at + 8].copy_from_slice(&(range.len() as u64).to_le_bytes());
        let at = 40 + 4 * i;
        let offset = u32::try_from(range.start).expect("a slot is under 4 GiB");
        header[at..at + 4].copy_from_slice(&offset.to_le_bytes());
    }
    put(&mut dst[..HEADER_LEN], &header);
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
    write_table(dst, table.parts());
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

/// Reads the table of an envelope received, checked against the slice: where each part is, all
/// after the table, within `payload`, and none overlapping another.
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
    let mut table = Table {
        count,
        ..Table::default()
    };
    for i in 0..count {
        let len = usize::try_from(word(8 + 8 * i, 8)).unwrap_or(usize::MAX);
        let start = usize::try_from(word(40 + 4 * i, 4)).unwrap_or(usize::MAX);
        let end = start
            .checked_add(len)
            .filter(|&end| start >= HEADER_LEN && end <= payload.len())
            .ok_or_else(|| {
                framing(format!(
                    "part {i} at {start}, {len} bytes: not within the {}-byte slice after the \
                     table",
                    payload.len()
                ))
            })?;
        table.ranges[i] = start..end;
    }
    let parts = table.parts();
    for (i, a) in parts.iter().enumerate() {
        if let Some(b) = parts[i + 1..]
            .iter()
            .find(|b| a.start < b.end && b.start < a.end)
        {
            return Err(framing(format!("parts overlap ({a:?} and {b:?})")));
        }
    }
    Ok(table)
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
        // Parts anywhere after the table, in any order, with bytes to spare after them.
        let mut placed = vec![MaybeUninit::new(0u8); 4096];
        write_table(&mut placed, &[1200..1206, 128..1128]);
        let placed: Vec<u8> = placed
            .into_iter()
            // SAFETY: every byte was initialised above.
            .map(|b| unsafe { b.assume_init() })
            .collect();
        let table = read(&placed).unwrap();
        assert_eq!(table.parts(), [1200..1206, 128..1128]);
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
        // Cut short (bytes to spare are fine: a frame written in place leaves its slot's rest).
        assert!(framing_err(&good[..good.len() - 1]));
        let mut long = good.clone();
        long.push(0);
        assert!(read(&long).is_ok());
        assert!(framing_err(&good[..10]));
        // A part inside the table, or two parts overlapping.
        let mut inside = good.clone();
        inside[40..44].copy_from_slice(&10u32.to_le_bytes());
        assert!(framing_err(&inside));
        let mut overlap = good.clone();
        overlap[44..48].copy_from_slice(&64u32.to_le_bytes());
        assert!(framing_err(&overlap));
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
