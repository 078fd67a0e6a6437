//! The hostile-input corpus: one test per kind of bad message a peer can send, each
//! asserting the exact `DecodeError` it gives, plus the fuzz seed corpus run through the fuzz
//! targets' own checks. Decoding is total: a typed error, never a panic, never unpickling, never
//! an allocation sized by a number the peer chose beyond the bytes actually received (every
//! decode here runs under `checks::bounded`, which measures the largest single allocation).
//!
//! Part counts are checked outside the pure decoders, so those cases run end to end against a
//! real `Client` (and `Server`) with a raw ZeroMQ peer: in `tests/hostile/part_counts.rs` of the
//! `netgear` crate. Everything here is pure: it builds and runs without libzmq
//! (`cargo test -p netgear-wire`).

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod checks;

use std::path::PathBuf;

use bytes::Bytes;
use netgear_wire::{
    self as wire, Data, DecodeError, Dtype, End, Frame, Header, MAX_DIMS, ReplyHead,
};
use rmpv::Value;

// ---------------------------------------------------------------------------------------------
// Building messages
// ---------------------------------------------------------------------------------------------

/// A msgpack writer for hand-made (and malformed) messages.
#[derive(Default, Clone)]
struct Mp(Vec<u8>);

impl Mp {
    fn new() -> Mp {
        Mp::default()
    }
    fn map(mut self, n: u32) -> Mp {
        rmp::encode::write_map_len(&mut self.0, n).unwrap();
        self
    }
    fn array(mut self, n: u32) -> Mp {
        rmp::encode::write_array_len(&mut self.0, n).unwrap();
        self
    }
    fn str(mut self, s: &str) -> Mp {
        rmp::encode::write_str(&mut self.0, s).unwrap();
        self
    }
    fn bin(mut self, b: &[u8]) -> Mp {
        rmp::encode::write_bin(&mut self.0, b).unwrap();
        self
    }
    fn uint(mut self, n: u64) -> Mp {
        rmp::encode::write_uint(&mut self.0, n).unwrap();
        self
    }
    fn int(mut self, n: i64) -> Mp {
        rmp::encode::write_sint(&mut self.0, n).unwrap();
        self
    }
    fn bool(mut self, b: bool) -> Mp {
        rmp::encode::write_bool(&mut self.0, b).unwrap();
        self
    }
    fn nil(mut self) -> Mp {
        self.0.push(0xc0);
        self
    }
    fn raw(mut self, b: &[u8]) -> Mp {
        self.0.extend_from_slice(b);
        self
    }
    fn done(self) -> Vec<u8> {
        self.0
    }
}

/// A msgpack_numpy frame map, field by field (bin keys, values as raw msgpack), so that a test
/// can drop, retype or repeat any one of them.
#[derive(Clone)]
struct Fields(Vec<(&'static [u8], Vec<u8>)>);

impl Fields {
    /// `{b"nd": True, b"type": dtype, b"kind": b"", b"shape": shape, b"data": data}`.
    fn new(dtype: &str, shape: &[u64], data: &[u8]) -> Fields {
        let mut s = Mp::new().array(shape.len() as u32);
        for &d in shape {
            s = s.uint(d);
        }
        Fields(vec![
            (b"nd", Mp::new().bool(true).done()),
            (b"type", Mp::new().str(dtype).done()),
            (b"kind", Mp::new().bin(b"").done()),
            (b"shape", s.done()),
            (b"data", Mp::new().bin(data).done()),
        ])
    }
    fn bgr() -> Fields {
        Fields::new("|u1", &[2, 2, 3], &[7; 12])
    }
    fn set(mut self, key: &'static [u8], value: Mp) -> Fields {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value.done(),
            None => self.0.push((key, value.done())),
        }
        self
    }
    fn push(mut self, key: &'static [u8], value: Mp) -> Fields {
        self.0.push((key, value.done()));
        self
    }
    fn without(mut self, key: &[u8]) -> Fields {
        self.0.retain(|(k, _)| *k != key);
        self
    }
    fn encode(&self) -> Bytes {
        let mut m = Mp::new().map(self.0.len() as u32);
        for (k, v) in &self.0 {
            m = m.bin(k).raw(v);
        }
        Bytes::from(m.done())
    }
}

/// `decode_frame` under the fuzz targets' checks: bounded allocation, and a round trip of what
/// it accepts.
fn frame(part: &[u8]) -> Result<Frame, DecodeError> {
    checks::check_frame(part);
    let part = Bytes::copy_from_slice(part);
    checks::bounded("decode_frame", part.len(), || wire::decode_frame(&part))
}

fn header(part: &[u8]) -> Result<Header, DecodeError> {
    checks::check_header(part);
    checks::bounded("decode_header", part.len(), || wire::decode_header(part))
}

fn reply(part: &[u8]) -> Result<ReplyHead, DecodeError> {
    checks::check_reply(part);
    checks::bounded("decode_reply", part.len(), || wire::decode_reply(part))
}

fn terminated(part: &[u8]) -> Result<String, DecodeError> {
    checks::check_reply(part);
    checks::bounded("decode_terminated", part.len(), || {
        wire::decode_terminated(part)
    })
}

/// A header map `{"terminate": ..., "bi_mode": ..., "data": ...}` with raw values.
fn header_of(entries: &[(&str, Mp)]) -> Vec<u8> {
    let mut m = Mp::new().map(entries.len() as u32);
    for (k, v) in entries {
        m = m.str(k).raw(&v.0);
    }
    m.done()
}

fn good_header() -> Vec<u8> {
    let mut out = Vec::new();
    wire::encode_header(&mut out, true, Some(&Data::from("hi")));
    out
}

/// `n` nested one-element arrays around a nil: `[[[...nil...]]]`.
fn nested_arrays(n: usize) -> Vec<u8> {
    let mut v = vec![0x91; n];
    v.push(0xc0);
    v
}

/// `n` nested one-entry maps: `{0: {0: ... nil}}`.
fn nested_maps(n: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(2 * n + 1);
    for _ in 0..n {
        v.extend_from_slice(&[0x81, 0x00]);
    }
    v.push(0xc0);
    v
}

/// Runs `f` on a thread with a 2 MiB stack (a debug build recursing without bound overflows it).
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("decoding on a 2 MiB stack");
}

/// `pickle.dumps(os.system)` (CPython 3.11, protocol 4).
const PICKLE_OS_SYSTEM: &[u8] =
    b"\x80\x04\x95\x14\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94.";

/// A pickle that runs `os.system("echo pwned")` when loaded (`__reduce__`, protocol 2).
const PICKLE_RUNS_CODE: &[u8] =
    b"\x80\x02cposix\nsystem\nq\x00X\n\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.";

// ---------------------------------------------------------------------------------------------
// Frames: not msgpack, wrong shape, keys
// ---------------------------------------------------------------------------------------------

#[test]
fn frame_not_msgpack() {
    for bad in [
        &b""[..],
        b"\xc1",
        b"\xc1\x85",
        b"GIF89a\x01\x00",
        b"Data received on client: ABCD1234 !",
    ] {
        assert!(
            matches!(frame(bad), Err(DecodeError::Msgpack { what: "frame", .. })),
            "{bad:?}: {:?}",
            frame(bad)
        );
    }
}

#[test]
fn frame_of_the_wrong_msgpack_shape() {
    for bad in [
        Mp::new().array(3).uint(1).uint(2).uint(3).done(),
        Mp::new().uint(5).done(),
        Mp::new().str("frame").done(),
        Mp::new().nil().done(),
    ] {
        assert!(
            matches!(frame(&bad), Err(DecodeError::Msgpack { .. })),
            "{bad:?}"
        );
    }
    // A map with none of the keys.
    assert_eq!(
        frame(&Mp::new().map(0).done()),
        Err(DecodeError::MissingKey {
            what: "frame",
            key: "nd"
        })
    );
}

#[test]
fn frame_missing_keys() {
    for key in ["nd", "type", "shape", "data"] {
        let part = Fields::bgr().without(key.as_bytes()).encode();
        assert_eq!(
            frame(&part),
            Err(DecodeError::MissingKey { what: "frame", key }),
            "without {key}"
        );
    }
    // `kind` is optional (msgpack_numpy before 0.4 did not write it).
    let f = frame(&Fields::bgr().without(b"kind").encode()).expect("no kind");
    assert_eq!(f.as_bytes(), &[7; 12]);
}

#[test]
fn frame_mistyped_keys() {
    let cases: [(&[u8], Mp, &str); 9] = [
        (b"nd", Mp::new().uint(1), "nd"),
        (b"nd", Mp::new().str("true"), "nd"),
        (b"type", Mp::new().uint(5), "type"),
        (b"kind", Mp::new().bool(false), "kind"),
        (b"shape", Mp::new().str("2,2,3"), "shape"),
        (b"shape", Mp::new().nil(), "shape"),
        (b"shape", Mp::new().array(1).raw(&[0xcb; 9]), "shape"),
        (b"data", Mp::new().uint(7), "data"),
        (b"data", Mp::new().array(1).uint(7), "data"),
    ];
    for (key, value, name) in cases {
        let part = Fields::bgr().set(key, value).encode();
        assert!(
            matches!(
                frame(&part),
                Err(DecodeError::WrongType { what: "frame", key, .. }) if key == name
            ),
            "{name}: {:?}",
            frame(&part)
        );
    }
}

#[test]
fn frame_keys_as_ints() {
    let part = Mp::new().map(1).uint(0).bool(true).done();
    assert!(matches!(frame(&part), Err(DecodeError::Msgpack { .. })));
    let part = Mp::new().map(1).nil().bool(true).done();
    assert!(matches!(frame(&part), Err(DecodeError::Msgpack { .. })));
}

#[test]
fn frame_duplicate_keys_last_wins_as_in_python() {
    // Python's msgpack builds a dict: a repeated key keeps its last value. So does netgear-rs.
    let part = Fields::bgr().push(b"nd", Mp::new().bool(false)).encode();
    assert_eq!(frame(&part), Err(DecodeError::NotAnArray));
    let part = Fields::new("|u1", &[4], &[1, 2, 3])
        .push(b"data", Mp::new().bin(&[4, 5, 6, 7]))
        .encode();
    assert_eq!(
        frame(&part).expect("the last data").as_bytes(),
        &[4, 5, 6, 7]
    );
    let part = Fields::bgr().push(b"type", Mp::new().str("|O")).encode();
    assert_eq!(frame(&part), Err(DecodeError::PickledObject));
}

#[test]
fn frame_data_as_str_is_taken_as_bytes() {
    // msgpack-python < 1.0 (and use_bin_type=False) packs bytes as raw str.
    let part = Fields::new("|u1", &[3], &[])
        .set(b"data", Mp::new().str("abc"))
        .encode();
    assert_eq!(frame(&part).expect("raw str data").as_bytes(), b"abc");
    // Not valid UTF-8 either: still just bytes.
    let part = Fields::new("|u1", &[2], &[])
        .set(b"data", Mp::new().raw(&[0xa2, 0xff, 0xfe]))
        .encode();
    assert_eq!(
        frame(&part).expect("raw str data").as_bytes(),
        &[0xff, 0xfe]
    );
}

#[test]
fn frame_trailing_bytes() {
    let mut part = Fields::bgr().encode().to_vec();
    part.push(0xc0);
    assert_eq!(
        frame(&part),
        Err(DecodeError::TrailingBytes {
            what: "frame",
            count: 1
        })
    );
    let one = Fields::bgr().encode();
    let two = [&one[..], &one[..]].concat();
    assert_eq!(
        frame(&two),
        Err(DecodeError::TrailingBytes {
            what: "frame",
            count: one.len()
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Frames: shapes
// ---------------------------------------------------------------------------------------------

#[test]
fn shape_product_overflows() {
    for (dtype, shape) in [
        ("|u1", vec![1u64 << 63, 2]),
        ("|u1", vec![1 << 32, 1 << 32]),
        ("<f8", vec![1 << 62]),
        ("|u1", vec![u64::MAX, u64::MAX, 3]),
        ("<u2", vec![u64::MAX]),
    ] {
        let part = Fields::new(dtype, &shape, &[1, 2, 3]).encode();
        assert_eq!(
            frame(&part),
            Err(DecodeError::ShapeOverflow(shape.clone())),
            "{dtype} {shape:?}"
        );
    }
}

#[test]
fn shape_disagrees_with_the_byte_count() {
    for (shape, bytes, expected) in [
        (vec![2u64, 2, 3], 11, 12),
        (vec![2, 2, 3], 13, 12),
        (vec![], 0, 1),
        (vec![0, 5], 1, 0),
        (vec![1 << 20, 1 << 20], 3, 1 << 40),
    ] {
        let part = Fields::new("|u1", &shape, &vec![0; bytes]).encode();
        assert_eq!(
            frame(&part),
            Err(DecodeError::SizeMismatch {
                expected,
                got: bytes
            }),
            "{shape:?}"
        );
    }
    // itemsize counts: 3 float32s are 12 bytes, not 3.
    let part = Fields::new("<f4", &[3], &[0; 3]).encode();
    assert_eq!(
        frame(&part),
        Err(DecodeError::SizeMismatch {
            expected: 12,
            got: 3
        })
    );
}

#[test]
fn shape_with_too_many_dimensions() {
    for n in [MAX_DIMS + 1, 64, 1000] {
        let part = Fields::new("|u1", &vec![1; n], &[9]).encode();
        assert_eq!(
            frame(&part),
            Err(DecodeError::ShapeOverflow(vec![n as u64])),
            "{n} dims"
        );
    }
    let f = frame(&Fields::new("|u1", &[1; MAX_DIMS], &[9]).encode()).expect("MAX_DIMS dims");
    assert_eq!(f.shape().len(), MAX_DIMS);
}

#[test]
fn shape_array32_claiming_4_gi_dimensions() {
    let part = Fields::bgr()
        .set(b"shape", Mp::new().raw(&[0xdd, 0xff, 0xff, 0xff, 0xff]))
        .encode();
    assert_eq!(
        frame(&part),
        Err(DecodeError::ShapeOverflow(vec![u32::MAX as u64]))
    );
}

#[test]
fn shape_with_negative_ints() {
    for dims in [
        Mp::new().array(1).int(-1),
        Mp::new().array(2).uint(2).int(-3),
        Mp::new().array(1).int(-128),
        Mp::new().array(1).int(i64::MIN),
        Mp::new().array(1).raw(&[0xd2, 0xff, 0xff, 0xff, 0xf4]),
    ] {
        let part = Fields::new("|u1", &[], &[0; 12])
            .set(b"shape", dims)
            .encode();
        assert_eq!(
            frame(&part),
            Err(DecodeError::WrongType {
                what: "frame",
                key: "shape",
                expected: "a non-negative integer"
            })
        );
    }
    // Non-negative values in signed encodings are fine (some packers write them).
    let dims = Mp::new()
        .array(3)
        .raw(&[0xd0, 0x02, 0xd1, 0x00, 0x02])
        .uint(3);
    let part = Fields::bgr().set(b"shape", dims).encode();
    assert_eq!(frame(&part).expect("signed dims").shape(), &[2, 2, 3]);
}

#[test]
fn shape_with_a_zero_and_huge_dimensions_is_empty_or_refused() {
    // numpy refuses (0, 2**64-1) ("array is too big"); accepting it as an empty frame is safe
    // too. Either way: no allocation, no panic.
    let part = Fields::new("|u1", &[0, u64::MAX], &[]).encode();
    match frame(&part) {
        Ok(f) => assert!(f.is_empty() && f.as_bytes().is_empty()),
        Err(e) => assert!(matches!(e, DecodeError::ShapeOverflow(_)), "{e:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Frames: dtypes
// ---------------------------------------------------------------------------------------------

/// What msgpack_numpy writes for `np.array([obj], dtype=object)`: the dtype as a descr list,
/// kind `b"O"`, and the data a pickle.
fn object_array(pickle: &[u8]) -> Bytes {
    let descr = Mp::new().array(1).array(2).str("").str("|O");
    Fields::new("", &[1], pickle)
        .set(b"type", descr)
        .set(b"kind", Mp::new().bin(b"O"))
        .encode()
}

#[test]
fn object_dtype_with_a_real_pickle_is_refused() {
    for pickle in [PICKLE_OS_SYSTEM, PICKLE_RUNS_CODE] {
        assert_eq!(
            frame(&object_array(pickle)),
            Err(DecodeError::PickledObject)
        );
        // The same payload under a plain `|O` type string, with or without the kind.
        for kind in [&b"O"[..], b""] {
            let part = Fields::new("|O", &[1], pickle)
                .set(b"kind", Mp::new().bin(kind))
                .encode();
            assert_eq!(frame(&part), Err(DecodeError::PickledObject));
        }
        for dtype in ["O", "<O", "|O8", "O4"] {
            let part = Fields::new(dtype, &[pickle.len() as u64], pickle).encode();
            assert_eq!(frame(&part), Err(DecodeError::PickledObject), "{dtype}");
        }
    }
}

#[test]
fn kind_o_with_a_harmless_dtype_is_refused() {
    let part = Fields::bgr().set(b"kind", Mp::new().bin(b"O")).encode();
    assert_eq!(frame(&part), Err(DecodeError::PickledObject));
    let part = Fields::bgr().set(b"kind", Mp::new().str("O")).encode();
    assert_eq!(frame(&part), Err(DecodeError::PickledObject));
    let part = Fields::bgr().set(b"kind", Mp::new().bin(b"V")).encode();
    assert_eq!(frame(&part), Err(DecodeError::StructuredDtype));
    let part = Fields::bgr().set(b"kind", Mp::new().bin(b"x")).encode();
    assert!(matches!(
        frame(&part),
        Err(DecodeError::UnsupportedDtype(_))
    ));
}

#[test]
fn structured_dtypes_are_refused() {
    let part = Fields::new("|V8", &[2], &[0; 16]).encode();
    assert_eq!(frame(&part), Err(DecodeError::StructuredDtype));
    // np.zeros(2, dtype=[("x", "<i4"), ("y", "<f8")]) as msgpack_numpy writes it.
    let descr = Mp::new()
        .array(2)
        .array(2)
        .str("x")
        .str("<i4")
        .array(2)
        .str("y")
        .str("<f8");
    for kind in [&b"V"[..], b""] {
        let part = Fields::new("", &[2], &[0; 24])
            .set(b"type", descr.clone())
            .set(b"kind", Mp::new().bin(kind))
            .encode();
        assert_eq!(frame(&part), Err(DecodeError::StructuredDtype));
    }
}

#[test]
fn unknown_dtypes_are_refused() {
    for dtype in [
        "<c16", "<c8", "<M8[ns]", "<m8[s]", "|S5", "<U3", "|u2", "<f16", "<i16", "|f4", "f4", "",
        "<", "=", "uint8", "<u1<u1",
    ] {
        let part = Fields::new(dtype, &[1], &[0; 16]).encode();
        assert!(
            matches!(frame(&part), Err(DecodeError::UnsupportedDtype(_))),
            "{dtype}: {:?}",
            frame(&part)
        );
    }
    // Not UTF-8, and very long: refused, and quoted only in part.
    let part = Fields::bgr()
        .set(b"type", Mp::new().bin(&[b'<', 0xff, 0xfe]))
        .encode();
    assert!(matches!(
        frame(&part),
        Err(DecodeError::UnsupportedDtype(_))
    ));
    let long = "<".repeat(10_000);
    let part = Fields::new(&long, &[1], &[0]).encode();
    match frame(&part) {
        Err(DecodeError::UnsupportedDtype(s)) => assert!(s.len() <= 256, "{} bytes", s.len()),
        other => panic!("{other:?}"),
    }
}

/// A dtype string that is not UTF-8 is quoted whole in the error (a valid one is cut to 64
/// characters): a peer's bytes echoed into logs without a bound other than the message size.
#[test]
fn non_utf8_dtype_is_quoted_only_in_part() {
    let mut long = vec![b'<'; 10_000];
    long.push(0xff);
    let part = Fields::bgr().set(b"type", Mp::new().bin(&long)).encode();
    match frame(&part) {
        Err(DecodeError::UnsupportedDtype(s)) => assert!(s.len() <= 256, "{} bytes", s.len()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn numpy_scalars_are_refused() {
    // msgpack_numpy's np.float32(2.5): {b"nd": False, b"type": "<f4", b"data": b"..."}.
    let part = Mp::new()
        .map(3)
        .bin(b"nd")
        .bool(false)
        .bin(b"type")
        .str("<f4")
        .bin(b"data")
        .bin(&2.5f32.to_le_bytes())
        .done();
    assert_eq!(frame(&part), Err(DecodeError::NotAnArray));
    let part = Fields::bgr().set(b"nd", Mp::new().bool(false)).encode();
    assert_eq!(frame(&part), Err(DecodeError::NotAnArray));
}

#[test]
fn msgpack_numpy_complex_is_not_a_frame() {
    // msgpack_numpy's Python complex: {b"complex": True, b"data": "(1+2j)"}.
    let part = Mp::new()
        .map(2)
        .bin(b"complex")
        .bool(true)
        .bin(b"data")
        .str("(1+2j)")
        .done();
    assert_eq!(
        frame(&part),
        Err(DecodeError::MissingKey {
            what: "frame",
            key: "nd"
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Lengths claimed beyond the bytes received
// ---------------------------------------------------------------------------------------------

#[test]
fn bin32_claiming_4_gib_with_3_bytes_behind_it() {
    let claim = [0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2, 3];
    // As a frame's data, as a frame key, as header data, as a reply's data.
    let part = Fields::bgr().set(b"data", Mp::new().raw(&claim)).encode();
    assert!(matches!(frame(&part), Err(DecodeError::Msgpack { .. })));
    let part = Mp::new().map(1).raw(&claim).done();
    assert!(matches!(frame(&part), Err(DecodeError::Msgpack { .. })));
    let h = header_of(&[
        ("terminate", Mp::new().bool(false)),
        ("bi_mode", Mp::new().bool(false)),
        ("data", Mp::new().raw(&claim)),
    ]);
    assert!(matches!(header(&h), Err(DecodeError::Msgpack { .. })));
    // str32 and ext32 too.
    for marker in [0xdb, 0xc9] {
        let mut claim = claim.to_vec();
        claim[0] = marker;
        let h = header_of(&[("data", Mp::new().raw(&claim))]);
        assert!(matches!(header(&h), Err(DecodeError::Msgpack { .. })));
    }
    let r = Mp::new()
        .map(2)
        .str("return_type")
        .str("bytes")
        .str("return_data")
        .raw(&claim)
        .done();
    assert!(matches!(reply(&r), Err(DecodeError::Msgpack { .. })));
}

#[test]
fn array32_claiming_4_gi_elements() {
    let claim = [0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0];
    let h = header_of(&[
        ("terminate", Mp::new().bool(false)),
        ("bi_mode", Mp::new().bool(false)),
        ("data", Mp::new().raw(&claim)),
    ]);
    assert!(matches!(header(&h), Err(DecodeError::Msgpack { .. })));
    // Under a key the decoder skips.
    let part = Fields::bgr().push(b"extra", Mp::new().raw(&claim)).encode();
    assert!(matches!(frame(&part), Err(DecodeError::Msgpack { .. })));
}

#[test]
fn map32_with_2_pow_32_minus_1_entries() {
    let claim = [0xdf, 0xff, 0xff, 0xff, 0xff];
    for tail in [&[][..], &[0xa1, b'x', 0xc0][..]] {
        let part = [&claim[..], tail].concat();
        assert!(matches!(frame(&part), Err(DecodeError::Msgpack { .. })));
        assert!(matches!(header(&part), Err(DecodeError::Msgpack { .. })));
        assert!(matches!(reply(&part), Err(DecodeError::Msgpack { .. })));
        assert!(matches!(
            terminated(&part),
            Err(DecodeError::Msgpack { .. })
        ));
    }
    // As data, and under a skipped key.
    let h = header_of(&[("data", Mp::new().raw(&claim))]);
    assert!(matches!(header(&h), Err(DecodeError::Msgpack { .. })));
    let part = Fields::bgr().push(b"extra", Mp::new().raw(&claim)).encode();
    assert!(matches!(frame(&part), Err(DecodeError::Msgpack { .. })));
}

#[test]
fn deeply_nested_data_does_not_overflow_a_2_mib_stack() {
    on_small_stack(|| {
        for deep in [nested_arrays(10_000), nested_maps(10_000)] {
            let h = header_of(&[
                ("terminate", Mp::new().bool(false)),
                ("bi_mode", Mp::new().bool(true)),
                ("data", Mp::new().raw(&deep)),
            ]);
            assert!(matches!(header(&h), Err(DecodeError::Msgpack { .. })));
            // Under a key that is skipped, not decoded.
            let h = header_of(&[("other", Mp::new().raw(&deep))]);
            assert!(matches!(header(&h), Err(DecodeError::Msgpack { .. })));
            let part = Fields::bgr().push(b"extra", Mp::new().raw(&deep)).encode();
            assert!(matches!(frame(&part), Err(DecodeError::Msgpack { .. })));
            let r = Mp::new()
                .map(2)
                .str("return_type")
                .str("list")
                .str("return_data")
                .raw(&deep)
                .done();
            assert!(matches!(reply(&r), Err(DecodeError::Msgpack { .. })));
            let t = Mp::new().map(1).str("x").raw(&deep).done();
            assert!(matches!(terminated(&t), Err(DecodeError::Msgpack { .. })));
            checks::check_message(&checks::join_parts(&[&h[..], &part[..]]));
        }
        // Moderate nesting is data like any other.
        let h = header_of(&[
            ("terminate", Mp::new().bool(false)),
            ("bi_mode", Mp::new().bool(true)),
            ("data", Mp::new().raw(&nested_arrays(20))),
        ]);
        assert!(matches!(
            header(&h),
            Ok(Header::Frame { data: Some(_), .. })
        ));
    });
}

// ---------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------

#[test]
fn header_terminate_as_int() {
    let h = header_of(&[("terminate", Mp::new().uint(1))]);
    assert_eq!(
        header(&h),
        Err(DecodeError::WrongType {
            what: "frame header",
            key: "terminate",
            expected: "a bool"
        })
    );
}

#[test]
fn header_bi_mode_as_string() {
    let h = header_of(&[
        ("terminate", Mp::new().bool(false)),
        ("bi_mode", Mp::new().str("True")),
        ("data", Mp::new().str("")),
    ]);
    assert_eq!(
        header(&h),
        Err(DecodeError::WrongType {
            what: "frame header",
            key: "bi_mode",
            expected: "a bool"
        })
    );
}

#[test]
fn header_missing_keys() {
    let f = || Mp::new().bool(false);
    let missing = |key| {
        Err(DecodeError::MissingKey {
            what: "frame header",
            key,
        })
    };
    assert_eq!(header(&header_of(&[])), missing("terminate"));
    let h = header_of(&[("bi_mode", f()), ("data", Mp::new().str(""))]);
    assert_eq!(header(&h), missing("terminate"));
    let h = header_of(&[("terminate", f()), ("data", Mp::new().str(""))]);
    assert_eq!(header(&h), missing("bi_mode"));
    let h = header_of(&[("terminate", f()), ("bi_mode", f())]);
    assert_eq!(header(&h), missing("data"));
    // A terminate needs nothing else.
    let h = header_of(&[("terminate", Mp::new().bool(true))]);
    assert_eq!(header(&h), Ok(Header::Terminate));
}

#[test]
fn header_not_a_map() {
    for bad in [
        &b""[..],
        b"\xc1",
        b"Data received on client: ABCD1234 !",
        &Mp::new().array(1).uint(1).done(),
        &Mp::new().str("terminate").done(),
    ] {
        assert!(
            matches!(
                header(bad),
                Err(DecodeError::Msgpack {
                    what: "frame header",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn header_keys_as_ints() {
    let h = Mp::new().map(1).uint(1).bool(true).done();
    assert!(matches!(header(&h), Err(DecodeError::Msgpack { .. })));
}

#[test]
fn header_duplicate_keys_last_wins() {
    let h = header_of(&[
        ("terminate", Mp::new().bool(false)),
        ("bi_mode", Mp::new().bool(false)),
        ("data", Mp::new().str("")),
        ("terminate", Mp::new().bool(true)),
    ]);
    assert_eq!(header(&h), Ok(Header::Terminate));
}

#[test]
fn header_trailing_bytes() {
    let mut h = good_header();
    h.extend_from_slice(&[0x00, 0x00]);
    assert_eq!(
        header(&h),
        Err(DecodeError::TrailingBytes {
            what: "frame header",
            count: 2
        })
    );
}

#[test]
fn header_data_carrying_a_pickle_stays_bytes() {
    // Data is never interpreted: a pickle in it arrives as the bytes it is.
    for pickle in [PICKLE_OS_SYSTEM, PICKLE_RUNS_CODE] {
        let mut h = Vec::new();
        wire::encode_header(&mut h, false, Some(&Data::from(pickle)));
        match header(&h) {
            Ok(Header::Frame {
                data: Some(Data(Value::Binary(b))),
                ..
            }) => assert_eq!(b, pickle),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn header_data_of_every_msgpack_kind() {
    let ext = Mp::new().raw(&[0xd4, 0x05, 0x01]);
    let f32_nan = Mp::new().raw(&[0xca, 0x7f, 0xc0, 0x00, 0x01]);
    for data in [
        ext,
        f32_nan,
        Mp::new().int(i64::MIN),
        Mp::new().uint(u64::MAX),
    ] {
        let h = header_of(&[
            ("terminate", Mp::new().bool(false)),
            ("bi_mode", Mp::new().bool(true)),
            ("data", data),
        ]);
        assert!(matches!(
            header(&h),
            Ok(Header::Frame { data: Some(_), .. })
        ));
    }
}

/// Data with a str that is not UTF-8 (Python's msgpack refuses to unpack it): netgear-rs accepts
/// it, but writes it back as a *bin*, so a value echoed to its sender changes type.
#[test]
fn invalid_utf8_str_data_round_trips() {
    let h = header_of(&[
        ("terminate", Mp::new().bool(false)),
        ("bi_mode", Mp::new().bool(true)),
        ("data", Mp::new().raw(&[0xa2, 0xff, 0xfe])),
    ]);
    match wire::decode_header(&h) {
        // Refusing it (as vidgear's msgpack.unpackb does) is one fix.
        Err(e) => assert!(matches!(
            e,
            DecodeError::Msgpack { .. } | DecodeError::WrongType { .. }
        )),
        // Keeping it a str through a round trip is the other.
        Ok(Header::Frame {
            bi_mode,
            data,
            captured: None,
        }) => {
            let mut out = Vec::new();
            wire::encode_header(&mut out, bi_mode, data.as_ref());
            assert_eq!(out, h, "re-encoded differently");
            assert_eq!(
                wire::decode_header(&out),
                Ok(Header::Frame {
                    bi_mode,
                    data,
                    captured: None
                })
            );
        }
        Ok(other) => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Replies and termination answers
// ---------------------------------------------------------------------------------------------

#[test]
fn reply_that_is_a_frame_message() {
    let missing = Err(DecodeError::MissingKey {
        what: "reply",
        key: "return_type",
    });
    assert_eq!(reply(&good_header()), missing);
    assert_eq!(reply(&Fields::bgr().encode()), missing);
    let mut t = Vec::new();
    wire::encode_terminate(&mut t);
    assert_eq!(reply(&t), missing);
    // ... and a reply where a frame message is expected.
    let mut r = Vec::new();
    wire::encode_reply_data(&mut r, Some(&Data::from("hi")));
    assert_eq!(
        header(&r),
        Err(DecodeError::MissingKey {
            what: "frame header",
            key: "terminate"
        })
    );
    assert_eq!(
        frame(&r),
        Err(DecodeError::MissingKey {
            what: "frame",
            key: "nd"
        })
    );
}

#[test]
fn reply_mistyped_and_missing_keys() {
    let r = Mp::new().map(1).str("return_type").uint(3).done();
    assert_eq!(
        reply(&r),
        Err(DecodeError::WrongType {
            what: "reply",
            key: "return_type",
            expected: "a str or bin"
        })
    );
    let r = Mp::new().map(1).str("return_type").str("str").done();
    assert_eq!(
        reply(&r),
        Err(DecodeError::MissingKey {
            what: "reply",
            key: "return_data"
        })
    );
    // "ndarray" needs no data: the frame follows in the next part.
    let r = Mp::new().map(1).str("return_type").str("ndarray").done();
    assert_eq!(reply(&r), Ok(ReplyHead::FrameFollows));
    let r = Mp::new().map(1).str("bi_mode_missing_on").bool(true).done();
    assert!(matches!(
        reply(&r),
        Err(DecodeError::WrongType {
            key: "bi_mode_missing_on",
            ..
        })
    ));
    assert_eq!(wire::decode_confirmation(&r), None);
}

#[test]
fn reply_not_msgpack_and_confirmations() {
    let text = wire::confirmation("ABCD1234");
    assert!(matches!(
        reply(&text),
        Err(DecodeError::Msgpack { what: "reply", .. })
    ));
    // A plain confirmation is any bytes, except a mismatch report.
    for any in [&text[..], b"", b"\xc1", &good_header()] {
        assert_eq!(wire::decode_confirmation(any), None);
    }
    let mut m = Vec::new();
    wire::encode_mismatch(&mut m, End::Client);
    assert_eq!(wire::decode_confirmation(&m), Some(End::Client));
    assert_eq!(reply(&m), Ok(ReplyHead::Mismatch(End::Client)));
}

#[test]
fn termination_answer_hostile_cases() {
    let what = "termination answer";
    let t = Mp::new().map(1).str("terminated").uint(1).done();
    assert_eq!(
        terminated(&t),
        Err(DecodeError::WrongType {
            what,
            key: "terminated",
            expected: "a str or bin"
        })
    );
    let missing = Err(DecodeError::MissingKey {
        what,
        key: "terminated",
    });
    assert_eq!(terminated(&Mp::new().map(0).done()), missing);
    assert_eq!(terminated(&good_header()), missing);
    assert!(matches!(
        terminated(&wire::confirmation("X")),
        Err(DecodeError::Msgpack { .. })
    ));
    let mut t = Vec::new();
    wire::encode_terminated(&mut t, "ABCD1234");
    t.push(0xc0);
    assert_eq!(
        terminated(&t),
        Err(DecodeError::TrailingBytes { what, count: 1 })
    );
}

// ---------------------------------------------------------------------------------------------
// Truncations and bit flips of valid encodings
// ---------------------------------------------------------------------------------------------

fn valid_frames() -> Vec<Bytes> {
    let bgr = Frame::from_bgr(
        wire::Size {
            width: 4,
            height: 2,
        },
        (0..24).collect::<Vec<u8>>(),
    )
    .unwrap();
    let f4 = Frame::from_elements(&[1.5f32, -2.0, f32::NAN], [3]).unwrap();
    let empty = Frame::zeros(Dtype::U8, vec![0, 4]).unwrap();
    vec![
        wire::frame_part(&bgr),
        wire::frame_part(&f4),
        wire::frame_part(&empty),
        // data first, not last: another packer's key order
        {
            let mut f = Fields::bgr();
            f.0.rotate_right(1);
            f.encode()
        },
    ]
}

#[test]
fn truncated_at_every_byte_offset() {
    for full in valid_frames() {
        assert!(frame(&full).is_ok());
        for cut in 0..full.len() {
            assert!(
                matches!(frame(&full[..cut]), Err(DecodeError::Msgpack { .. })),
                "frame cut at {cut} of {}: {:?}",
                full.len(),
                frame(&full[..cut])
            );
        }
    }
    let h = good_header();
    for cut in 0..h.len() {
        assert!(matches!(
            header(&h[..cut]),
            Err(DecodeError::Msgpack { .. })
        ));
    }
    let mut r = Vec::new();
    wire::encode_reply_data(&mut r, Some(&Data::from("a reply")));
    for cut in 0..r.len() {
        assert!(matches!(reply(&r[..cut]), Err(DecodeError::Msgpack { .. })));
    }
}

/// xorshift64*: a fixed, seeded sequence, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn flip(rng: &mut Rng, valid: &[u8]) -> Vec<u8> {
    let mut v = valid.to_vec();
    for _ in 0..=rng.below(3) {
        let bit = rng.below(v.len() * 8);
        v[bit / 8] ^= 1 << (bit % 8);
    }
    v
}

#[test]
fn random_bit_flips_of_valid_encodings() {
    let mut rng = Rng(0x6e65_7467_6561_7221);
    let frames = valid_frames();
    let mut r = Vec::new();
    wire::encode_reply_data(&mut r, Some(&Data::from(vec![1u8, 2, 3])));
    let headers = [good_header(), r.clone()];
    let (mut ok, mut refused) = (0, 0);
    for i in 0..4000 {
        match i % 4 {
            0 => {
                let which = rng.below(frames.len());
                let v = flip(&mut rng, &frames[which]);
                match frame(&v) {
                    Ok(_) => ok += 1,
                    Err(_) => refused += 1,
                }
            }
            1 => {
                let v = flip(&mut rng, &headers[0]);
                match header(&v) {
                    Ok(_) => ok += 1,
                    Err(_) => refused += 1,
                }
            }
            2 => {
                let v = flip(&mut rng, &headers[1]);
                checks::check_reply(&v);
            }
            _ => {
                let msg = checks::join_parts(&[&headers[0][..], &frames[0][..]]);
                checks::check_message(&flip(&mut rng, &msg));
            }
        }
    }
    // Both outcomes happen: the flips reach past the markers into values.
    assert!(ok > 100 && refused > 100, "{ok} decoded, {refused} refused");
}

// ---------------------------------------------------------------------------------------------
// The fuzz seed corpus
// ---------------------------------------------------------------------------------------------

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("read seed"))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

#[test]
fn seed_corpus_passes_the_fuzz_checks() {
    for (name, bytes) in seeds("frame") {
        checks::check_frame(&bytes);
        let want_ok = !matches!(
            name.as_str(),
            "object_pickle" | "structured" | "void" | "numpy_scalar" | "complex" | "datetime"
        );
        assert_eq!(frame(&bytes).is_ok(), want_ok, "frame seed {name}");
    }
    for (name, bytes) in seeds("header") {
        assert!(header(&bytes).is_ok(), "header seed {name}");
    }
    for (name, bytes) in seeds("reply") {
        checks::check_reply(&bytes);
        let ok = if name.starts_with("terminated") {
            terminated(&bytes).is_ok()
        } else {
            reply(&bytes).is_ok() || name == "confirmation"
        };
        assert!(ok, "reply seed {name}");
    }
    for (_, bytes) in seeds("message") {
        checks::check_message(&bytes);
    }
}

#[test]
fn real_msgpack_numpy_refusals() {
    // Written by numpy + msgpack_numpy (fuzz/seeds.py): exactly what a Python peer sends.
    let seed = |name: &str| {
        seeds("frame")
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("seed {name}"))
            .1
    };
    assert_eq!(
        frame(&seed("object_pickle")),
        Err(DecodeError::PickledObject)
    );
    assert_eq!(
        frame(&seed("structured")),
        Err(DecodeError::StructuredDtype)
    );
    assert_eq!(frame(&seed("void")), Err(DecodeError::StructuredDtype));
    assert_eq!(frame(&seed("numpy_scalar")), Err(DecodeError::NotAnArray));
    for name in ["complex", "datetime"] {
        assert!(matches!(
            frame(&seed(name)),
            Err(DecodeError::UnsupportedDtype(_))
        ));
    }
    let raw = frame(&seed("raw_strings")).expect("use_bin_type=False");
    assert_eq!(raw, frame(&seed("bgr_u1")).unwrap());
}

#[test]
fn allocation_tracking_sees_a_large_request() {
    // The bound every decode above runs under is not vacuous.
    let (v, largest) = checks::largest_allocation(|| vec![0u8; 1 << 20]);
    assert!(largest >= v.len());
    let (_, small) = checks::largest_allocation(|| wire::decode_header(&good_header()));
    assert!(small < checks::budget(good_header().len()), "{small}");
    let caught = std::panic::catch_unwind(|| checks::bounded("t", 8, || vec![0u8; 1 << 20]));
    assert!(caught.is_err());
}

#[test]
fn message_splitting_round_trips() {
    let parts: [&[u8]; 3] = [b"a", b"", b"xyz"];
    let split = checks::split_parts(&checks::join_parts(&parts));
    assert_eq!(split, parts.map(Bytes::copy_from_slice).to_vec());
    assert_eq!(checks::split_parts(b""), vec![Bytes::new()]);
    assert_eq!(checks::split_parts(&[0xff; 40]).len(), 1);
}
