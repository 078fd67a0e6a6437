//! The properties the fuzz targets check, shared with `wire/tests/corpus.rs` (which includes
//! this file as a module and runs the same checks over the seed corpus and the hostile cases,
//! with `cargo test -p netgear-wire`).
//!
//! Every check takes arbitrary bytes and panics only when a decoder breaks its contract:
//! - it panics, or allocates more in one request than the input can justify ([`budget`]);
//! - it accepts something that does not survive a round trip through the matching encoder
//!   (decode → encode → decode gives the same value, and the encoding is then stable);
//! - two decoders of the same bytes disagree (`decode_confirmation` vs `decode_reply`).

#![deny(clippy::undocumented_unsafe_blocks)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use netgear_wire::{
    self as wire, DEFAULT_MAX_DATA_SIZE, Data, DecodeError, Frame, Header, Limits, Message,
    ReplyHead, ReplyMessage, Scalar,
};
use rmpv::Value;

/// Inputs longer than this are ignored (libFuzzer also runs with `-max_len` of this size).
pub const MAX_INPUT: usize = 64 * 1024;

/// A data limit that fuzz inputs do exceed (the default, 1 MiB, is beyond [`MAX_INPUT`]).
pub const SMALL_LIMIT: usize = 256;

/// The largest frame a compressed frame may decode into here (the ends default to 64 MiB).
pub const FRAME_LIMIT: usize = 256 * 1024;

/// The limits the targets decode with.
pub const LIMITS: Limits = Limits {
    max_data_size: DEFAULT_MAX_DATA_SIZE,
    max_frame_size: FRAME_LIMIT,
};

/// [`LIMITS`] with a data limit fuzz inputs do exceed.
pub const SMALL_LIMITS: Limits = Limits {
    max_data_size: SMALL_LIMIT,
    max_frame_size: FRAME_LIMIT,
};

/// Most parts a [`split_parts`] message has.
pub const MAX_PARTS: usize = 5;

// ---------------------------------------------------------------------------------------------
// Allocation tracking
// ---------------------------------------------------------------------------------------------

/// The global allocator: the system's, noting the largest single request made on this thread
/// while [`largest_allocation`] is measuring.
pub struct Tracking;

thread_local! {
    /// `Some(largest request so far)` while measuring, `None` otherwise.
    static LARGEST: Cell<Option<usize>> = const { Cell::new(None) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|l| {
        if let Some(max) = l.get() {
            l.set(Some(max.max(size)));
        }
    });
}

// SAFETY: every call is forwarded unchanged to `System`; `note` only touches a const-initialised
// thread-local `Cell` (no allocation, no destructor).
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

/// Runs `f`, returning its result and the largest single allocation it asked for (on this
/// thread).
pub fn largest_allocation<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let outer = LARGEST.with(|l| l.replace(Some(0)));
    let r = f();
    let largest = LARGEST.with(|l| l.replace(outer)).unwrap_or(0);
    if let Some(max) = outer {
        LARGEST.with(|l| l.set(Some(max.max(largest))));
    }
    (r, largest)
}

/// The largest single allocation decoding `len` bytes may make. Decoded data is a tree of
/// [`Value`]s: at most one per input byte, in `Vec`s that grow by doubling, so twice the size of
/// a `Value` per byte. rmpv also pre-allocates up to 64 KiB for a str/bin it is about to read
/// (it gives up at once when fewer bytes are there), and a few fixed-size buffers. A compressed
/// frame decodes into one buffer of at most [`FRAME_LIMIT`] bytes behind its header.
pub fn budget(len: usize) -> usize {
    2 * std::mem::size_of::<Value>() * len + 64 * 1024 + 4096 + FRAME_LIMIT + 1024
}

/// Runs a decoder on `len` bytes, failing if it makes an allocation beyond [`budget`].
pub fn bounded<R>(what: &str, len: usize, f: impl FnOnce() -> R) -> R {
    let (r, largest) = largest_allocation(f);
    assert!(
        largest <= budget(len),
        "{what}: one allocation of {largest} bytes while decoding {len} bytes (budget {})",
        budget(len)
    );
    r
}

// ---------------------------------------------------------------------------------------------
// Comparisons
// ---------------------------------------------------------------------------------------------

/// Whether re-encoding a value may turn `a` into `b` without loss: equal, floats compared by their
/// bits (NaN is sent as it came), and a str holding invalid UTF-8 equal to a bin of the same bytes
/// (rmpv writes such a str back as a bin; see `invalid_utf8_str_data_round_trips` in
/// wire/tests/corpus.rs). Set [`STRICT_STR`] to check that case too.
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::F32(x), Value::F32(y)) => x.to_bits() == y.to_bits(),
        (Value::F64(x), Value::F64(y)) => x.to_bits() == y.to_bits(),
        (Value::String(s), Value::Binary(bin)) if !STRICT_STR => {
            !s.is_str() && s.as_bytes() == &bin[..]
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| same_value(ka, kb) && same_value(va, vb))
        }
        _ => a == b,
    }
}

/// Whether an invalid-UTF-8 str in data must come back as a str (see [`same_value`]).
pub const STRICT_STR: bool = true;

fn same_data(a: &Option<Data>, b: &Option<Data>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same_value(&a.0, &b.0),
        _ => false,
    }
}

/// What every error must satisfy: its message is bounded by the input (it may quote a dtype or a
/// size, never echo an unbounded amount).
pub fn check_error(e: &DecodeError, len: usize) {
    let text = e.to_string();
    assert!(
        text.len() <= 16 * len + 1024,
        "a {}-byte message for {len} bytes of input",
        text.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

fn elements(frame: &Frame) -> usize {
    macro_rules! n {
        ($t:ty) => {
            frame
                .to_vec::<$t>()
                .expect("the frame's own element type")
                .len()
        };
    }
    match frame.dtype().scalar() {
        Scalar::Bool => n!(bool),
        Scalar::U8 => n!(u8),
        Scalar::I8 => n!(i8),
        Scalar::U16 => n!(u16),
        Scalar::I16 => n!(i16),
        Scalar::U32 => n!(u32),
        Scalar::I32 => n!(i32),
        Scalar::U64 => n!(u64),
        Scalar::I64 => n!(i64),
        Scalar::F16 => frame.as_bytes().len() / 2,
        Scalar::F32 => n!(f32),
        Scalar::F64 => n!(f64),
    }
}

/// Checks a frame decoded from `part`: no larger than the part (or, compressed, than
/// [`FRAME_LIMIT`]), consistent with itself, and it round-trips.
pub fn check_decoded_frame(frame: &Frame, part: &[u8]) {
    let bytes = frame.as_bytes().len();
    let len = part.len();
    // Only a frame that names a codec may be larger than its part.
    let most = match wire::frame_codec(part) {
        Some(_) => FRAME_LIMIT,
        None => len,
    };
    assert!(
        bytes <= most,
        "{bytes} frame bytes out of {len} input bytes"
    );
    assert!(frame.shape().len() <= wire::MAX_DIMS);
    assert_eq!(frame.len() * frame.dtype().itemsize(), bytes);
    if bytes <= 4096 {
        assert_eq!(elements(frame), frame.len());
    }
    let enc = wire::encode_frame(frame);
    let again = wire::decode_frame(&Bytes::from(enc.clone()))
        .unwrap_or_else(|e| panic!("{frame:?} re-encoded does not decode: {e}"));
    assert_eq!(&again, frame, "frame round trip");
    assert_eq!(again.dtype().as_str(), frame.dtype().as_str());
    assert_eq!(wire::encode_frame(&again), enc, "frame encoding is stable");
}

/// `frame` target: `decode_frame` on arbitrary bytes; what decodes round-trips.
pub fn check_frame(input: &[u8]) {
    if input.len() > MAX_INPUT {
        return;
    }
    let part = Bytes::copy_from_slice(input);
    match bounded("decode_frame", input.len(), || {
        wire::decode_frame_limited(&part, FRAME_LIMIT)
    }) {
        Ok(frame) => check_decoded_frame(&frame, input),
        Err(e) => check_error(&e, input.len()),
    }
}

// ---------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------

fn poke_data(data: &Option<Data>) {
    if let Some(d) = data {
        // What the CLI and users do with received data: no panics on any value.
        let _ = d.to_json();
        let _ = d.to_string();
    }
}

/// Checks a decoded header: it round-trips through the encoder.
pub fn check_decoded_header(h: &Header) {
    let mut out = Vec::new();
    match h {
        Header::Terminate => {
            wire::encode_terminate(&mut out);
            assert_eq!(wire::decode_header(&out), Ok(Header::Terminate));
        }
        Header::Frame {
            bi_mode,
            data,
            captured,
        } => {
            poke_data(data);
            match captured {
                Some(t) => wire::encode_header_stamped(&mut out, *bi_mode, data.as_ref(), *t),
                None => wire::encode_header(&mut out, *bi_mode, data.as_ref()),
            }
            let again = wire::decode_header(&out)
                .unwrap_or_else(|e| panic!("{h:?} re-encoded does not decode: {e}"));
            let Header::Frame {
                bi_mode: b2,
                data: d2,
                captured: c2,
            } = &again
            else {
                panic!("{h:?} came back as {again:?}");
            };
            assert_eq!(b2, bi_mode);
            assert_eq!(c2, captured, "capture time round trip");
            assert!(
                same_data(data, d2),
                "header data round trip: {h:?} → {again:?}"
            );
            let mut out2 = Vec::new();
            match c2 {
                Some(t) => wire::encode_header_stamped(&mut out2, *b2, d2.as_ref(), *t),
                None => wire::encode_header(&mut out2, *b2, d2.as_ref()),
            }
            assert_eq!(out2, out, "header encoding is stable");
        }
    }
}

/// `header` target: `decode_header` on arbitrary bytes; what decodes round-trips.
pub fn check_header(input: &[u8]) {
    if input.len() > MAX_INPUT {
        return;
    }
    match bounded("decode_header", input.len(), || wire::decode_header(input)) {
        Ok(h) => check_decoded_header(&h),
        Err(e) => check_error(&e, input.len()),
    }
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

/// Checks a decoded reply head: it round-trips through the matching encoder.
pub fn check_decoded_reply(head: &ReplyHead) {
    let mut out = Vec::new();
    match head {
        ReplyHead::Data(d) => {
            poke_data(d);
            wire::encode_reply_data(&mut out, d.as_ref());
        }
        ReplyHead::FrameFollows => wire::encode_reply_frame_head(&mut out),
        ReplyHead::Mismatch(end) => wire::encode_mismatch(&mut out, *end),
    }
    let again = wire::decode_reply(&out)
        .unwrap_or_else(|e| panic!("{head:?} re-encoded does not decode: {e}"));
    let same = match (head, &again) {
        (ReplyHead::Data(a), ReplyHead::Data(b)) => same_data(a, b),
        (a, b) => a == b,
    };
    assert!(same, "reply round trip: {head:?} → {again:?}");
}

/// `reply` target: `decode_reply`, `decode_confirmation` and `decode_terminated` on arbitrary
/// bytes; they agree with each other, and what decodes round-trips.
pub fn check_reply(input: &[u8]) {
    if input.len() > MAX_INPUT {
        return;
    }
    let len = input.len();
    let head = bounded("decode_reply", len, || wire::decode_reply(input));
    let confirmation = bounded("decode_confirmation", len, || {
        wire::decode_confirmation(input)
    });
    let mismatch = match &head {
        Ok(ReplyHead::Mismatch(end)) => Some(*end),
        _ => None,
    };
    assert_eq!(
        confirmation, mismatch,
        "decode_confirmation vs decode_reply"
    );
    match &head {
        Ok(h) => check_decoded_reply(h),
        Err(e) => check_error(e, len),
    }
    match bounded("decode_terminated", len, || wire::decode_terminated(input)) {
        // The peer's text, cut and escaped: small whatever the input (an escape is at most 10
        // characters, `\u{10ffff}`; then the quotes and the length said).
        Ok(text) => assert!(
            text.len() <= 10 * wire::PEER_TEXT_LIMIT + 48,
            "termination text of {} bytes",
            text.len()
        ),
        Err(e) => check_error(&e, len),
    }
}

// ---------------------------------------------------------------------------------------------
// Whole messages
// ---------------------------------------------------------------------------------------------

/// Splits a fuzz input into the parts of one ZeroMQ message: up to [`MAX_PARTS`] times, a
/// little-endian `u16` length and that many bytes (fewer if the input ends first). An input too
/// short for a first length is one part as it is; bytes after the last part are ignored.
pub fn split_parts(input: &[u8]) -> Vec<Bytes> {
    let mut parts = Vec::new();
    let mut rest = input;
    while parts.len() < MAX_PARTS {
        let [lo, hi, tail @ ..] = rest else {
            if parts.is_empty() {
                parts.push(Bytes::copy_from_slice(rest));
            }
            break;
        };
        let n = usize::from(u16::from_le_bytes([*lo, *hi])).min(tail.len());
        parts.push(Bytes::copy_from_slice(&tail[..n]));
        rest = &tail[n..];
    }
    parts
}

/// The input that [`split_parts`] splits into `parts` (each at most 65535 bytes).
pub fn join_parts<P: AsRef<[u8]>>(parts: &[P]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        let p = p.as_ref();
        let n = u16::try_from(p.len()).expect("a part of at most 65535 bytes");
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// The data limit is checked first, and only it depends on the limit: under [`SMALL_LIMITS`] a
/// first part of `first` bytes is refused as too large when it is over [`SMALL_LIMIT`], and
/// decodes exactly as under [`LIMITS`] otherwise.
fn check_small_limit<T: std::fmt::Debug>(
    first: usize,
    small: &Result<T, DecodeError>,
    full: &Result<T, DecodeError>,
) {
    if first > SMALL_LIMIT {
        assert!(
            matches!(small, Err(DecodeError::DataTooLarge { .. })),
            "a {first}-byte first part passed a {SMALL_LIMIT}-byte limit"
        );
    } else {
        // Compared as text: data may hold NaN, which is not equal to itself.
        assert_eq!(
            format!("{small:?}"),
            format!("{full:?}"),
            "the limit changed the result"
        );
    }
}

/// `message` target: the input split into 1–5 parts ([`split_parts`]) and decoded with the very
/// functions the ends call — [`wire::decode_message`] as a client decodes a message from the
/// server, [`wire::decode_reply_message`] as a server decodes a reply, in both modes. What is
/// accepted round-trips, a frame is only ever taken from a message of exactly two parts, a
/// terminate or a data reply only from one part, and a header over the data limit is refused.
pub fn check_message(input: &[u8]) {
    if input.len() > MAX_INPUT {
        return;
    }
    let parts = split_parts(input);
    assert!((1..=MAX_PARTS).contains(&parts.len()));
    let len = input.len();
    let message = bounded("decode_message", len, || {
        wire::decode_message(&parts, LIMITS)
    });
    let small = wire::decode_message(&parts, SMALL_LIMITS);
    check_small_limit(parts[0].len(), &small, &message);
    match message {
        Ok(Message::Terminate) => {
            assert_eq!(
                parts.len(),
                1,
                "a terminate message of {} parts",
                parts.len()
            );
            assert_eq!(wire::decode_header(&parts[0]), Ok(Header::Terminate));
        }
        Ok(Message::Frame {
            bi_mode,
            data,
            frame,
        }) => {
            assert_eq!(parts.len(), 2, "a frame message of {} parts", parts.len());
            check_decoded_header(&Header::Frame {
                bi_mode,
                data,
                captured: frame.captured(),
            });
            check_decoded_frame(&frame, &parts[1]);
        }
        Err(e) => check_error(&e, len),
    }
    for bidirectional in [true, false] {
        let reply = bounded("decode_reply_message", len, || {
            wire::decode_reply_message(&parts, bidirectional, LIMITS)
        });
        match &reply {
            Ok(ReplyMessage::Mismatch(end)) => {
                assert_eq!(wire::decode_confirmation(&parts[0]), Some(*end));
            }
            Ok(ReplyMessage::Confirmation) => {
                assert!(!bidirectional, "a confirmation in bidirectional mode");
                assert_eq!(wire::decode_confirmation(&parts[0]), None);
            }
            Ok(ReplyMessage::Data(d)) => {
                assert!(bidirectional, "data outside bidirectional mode");
                assert_eq!(parts.len(), 1, "a data reply of {} parts", parts.len());
                check_decoded_reply(&ReplyHead::Data(d.clone()));
            }
            Ok(ReplyMessage::Frame(frame)) => {
                assert!(bidirectional, "a frame outside bidirectional mode");
                assert_eq!(parts.len(), 2, "a frame reply of {} parts", parts.len());
                assert_eq!(wire::decode_reply(&parts[0]), Ok(ReplyHead::FrameFollows));
                check_decoded_frame(frame, &parts[1]);
            }
            Err(e) => check_error(e, len),
        }
        let small = wire::decode_reply_message(&parts, bidirectional, SMALL_LIMITS);
        check_small_limit(parts[0].len(), &small, &reply);
    }
}

// ---------------------------------------------------------------------------------------------
// H.264 streams
// ---------------------------------------------------------------------------------------------

/// The frame shapes [`check_h264`] picks from (by the input's first byte): all within
/// [`FRAME_LIMIT`].
#[cfg(feature = "h264")]
pub const H264_SHAPES: [[usize; 3]; 4] = [[16, 16, 3], [32, 48, 3], [64, 64, 3], [240, 320, 3]];

/// Most access units one [`check_h264`] input is cut into.
#[cfg(feature = "h264")]
pub const H264_UNITS: usize = 8;

/// A `netgear:h264` frame part (the compressed frame map) of `shape` around `data`.
#[cfg(feature = "h264")]
pub fn h264_part(shape: [usize; 3], data: &[u8]) -> Bytes {
    let mut out = Vec::new();
    let bin = |out: &mut Vec<u8>, b: &[u8]| {
        rmp::encode::write_bin(out, b).expect("in memory");
    };
    rmp::encode::write_map_len(&mut out, 6).expect("in memory");
    bin(&mut out, b"nd");
    rmp::encode::write_bool(&mut out, true).expect("in memory");
    bin(&mut out, b"type");
    rmp::encode::write_str(&mut out, "netgear:h264").expect("in memory");
    bin(&mut out, b"kind");
    bin(&mut out, b"");
    bin(&mut out, b"shape");
    rmp::encode::write_array_len(&mut out, 3).expect("in memory");
    for d in shape {
        rmp::encode::write_uint(&mut out, d as u64).expect("in memory");
    }
    bin(&mut out, b"dtype");
    rmp::encode::write_str(&mut out, "|u1").expect("in memory");
    bin(&mut out, b"data");
    bin(&mut out, data);
    Bytes::from(out)
}

/// An H.264 stream from arbitrary bytes, through one receiver's decoders: the first byte picks
/// the frame shape ([`H264_SHAPES`]), the rest is cut into up to [`H264_UNITS`] access
/// units (each a little-endian `u16` length and that many bytes, as [`split_parts`] cuts); each gets a valid 14-byte header (its first byte's low bit the
/// key flag, its next two bits one of four streams, numbered in order) so that the fuzzer
/// spends its time in the decoder. Every unit must give a frame of the shape or a typed error,
/// never a panic, with no Rust allocation beyond the frame.
#[cfg(feature = "h264")]
pub fn check_h264(input: &[u8]) {
    let Some((&pick, rest)) = input.split_first() else {
        return;
    };
    if input.len() > MAX_INPUT {
        return;
    }
    let shape = H264_SHAPES[usize::from(pick) % H264_SHAPES.len()];
    let mut decoders = wire::H264Decoders::new();
    let mut units: Vec<&[u8]> = Vec::new();
    let mut left = rest;
    while units.len() < H264_UNITS {
        let [lo, hi, tail @ ..] = left else {
            if units.is_empty() {
                units.push(left);
            }
            break;
        };
        let n = usize::from(u16::from_le_bytes([*lo, *hi])).min(tail.len());
        units.push(&tail[..n]);
        left = &tail[n..];
    }
    for (i, unit) in units.iter().enumerate() {
        let flags = unit.first().copied().unwrap_or(0);
        let mut data = vec![1, flags & 1];
        data.extend_from_slice(&u64::from((flags >> 1) & 3).to_le_bytes());
        data.extend_from_slice(&(i as u32).to_le_bytes());
        data.extend_from_slice(unit.get(1..).unwrap_or_default());
        let part = h264_part(shape, &data);
        let (decoded, largest) = largest_allocation(|| {
            wire::ParsedFrame::parse(&part, FRAME_LIMIT).and_then(|p| p.decode_h264(&mut decoders))
        });
        let frame_bytes = shape.iter().product::<usize>();
        assert!(
            largest <= frame_bytes + 4096 + part.len(),
            "h264: one allocation of {largest} bytes for a {shape:?} frame"
        );
        match decoded {
            Ok(frame) => {
                assert_eq!(frame.shape(), &shape[..]);
                assert_eq!(frame.as_bytes().len(), frame_bytes);
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
}
