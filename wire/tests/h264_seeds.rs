//! The `h264` fuzz target's seeds: streams made by `H264Encoder`, cut as the target cuts its
//! input, which must decode frame for frame; every seed in `fuzz/corpus/h264/` passes the
//! target's check. `NETGEAR_WRITE_SEEDS=1` (re)writes the seeds.
#![cfg(feature = "h264")]

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod checks;

use std::path::PathBuf;
use std::time::Duration;

use netgear_wire::{Dtype, Frame, H264Decoders, H264Encoder, ParsedFrame};

/// Frame `i` of a moving `h × w` BGR picture.
fn moving(i: usize, h: usize, w: usize) -> Frame {
    Frame::build(Dtype::U8, vec![h, w, 3], |px| {
        for (k, p) in px.iter_mut().enumerate() {
            let (y, x, c) = (k / (w * 3), k / 3 % w, k % 3);
            *p = ((x + 5 * i) * 255 / w + y * 40 / h + c * 30) as u8;
        }
    })
    .unwrap()
}

/// A fuzz input for `check_h264`: the shape's index, then per frame a `u16` length, the flags
/// byte (key flag; stream 0) and the access unit.
fn seed(pick: u8, frames: usize, key_every: usize) -> Vec<u8> {
    let [h, w, _] = checks::H264_SHAPES[usize::from(pick)];
    let mut enc = H264Encoder::new(1000, Duration::from_secs(3600));
    let mut out = vec![pick];
    for i in 0..frames {
        if key_every > 0 && i > 0 && i % key_every == 0 {
            enc.force_key_frame();
        }
        let part = enc.encode(&moving(i, h, w)).unwrap();
        let ParsedFrame::Compressed(c) = ParsedFrame::parse(&part, usize::MAX).unwrap() else {
            panic!("not compressed")
        };
        let data = c.data();
        let unit = [&[data[1]][..], &data[14..]].concat();
        out.extend_from_slice(&u16::try_from(unit.len()).unwrap().to_le_bytes());
        out.extend_from_slice(&unit);
    }
    out
}

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/h264")
}

#[test]
fn encoder_streams_decode_as_the_fuzz_target_cuts_them() {
    let seeds = [
        ("stream_16x16", seed(0, 8, 0)),
        ("stream_32x48_keys", seed(1, 8, 3)),
        ("stream_64x64", seed(2, 6, 0)),
    ];
    for (name, input) in &seeds {
        // Decoded here as the target does: every unit a frame.
        let shape = checks::H264_SHAPES[usize::from(input[0])];
        let mut decoders = H264Decoders::new();
        let mut rest = &input[1..];
        let mut n = 0u32;
        while let [lo, hi, tail @ ..] = rest {
            let len = usize::from(u16::from_le_bytes([*lo, *hi]));
            let unit = &tail[..len];
            let mut data = vec![1, unit[0] & 1];
            data.extend_from_slice(&0u64.to_le_bytes());
            data.extend_from_slice(&n.to_le_bytes());
            data.extend_from_slice(&unit[1..]);
            let part = checks::h264_part(shape, &data);
            let frame = ParsedFrame::parse(&part, usize::MAX)
                .unwrap()
                .decode_h264(&mut decoders)
                .unwrap_or_else(|e| panic!("{name} frame {n}: {e}"));
            assert_eq!(frame.shape(), &shape[..]);
            rest = &tail[len..];
            n += 1;
        }
        assert!(n >= 6, "{name}: {n} frames");
        checks::check_h264(input);
        if std::env::var_os("NETGEAR_WRITE_SEEDS").is_some() {
            std::fs::write(corpus().join(name), input).unwrap();
        }
    }
}

#[test]
fn the_seed_corpus_passes_the_fuzz_check() {
    let mut n = 0;
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        checks::check_h264(&bytes);
        n += 1;
    }
    assert!(n >= 3, "{n} seeds in fuzz/corpus/h264");
}
