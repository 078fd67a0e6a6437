//! `media::reducer` against vidgear's `reducer()`: the output-size contract (vidgear's float
//! steps and `int()` truncation, its refusal of percentages outside (0, 90)), and the pixels,
//! compared by PSNR with what real OpenCV (`cv2.resize` called by vidgear's own `reducer()`)
//! gives for the same frame, through `tests/interop/cv2_resize.py` in the venv.
//!
//! The OpenCV tests need the venv; they fail (never skip) when it is missing.
//! `cargo test --test reducer -- --nocapture` prints the measured PSNRs.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::proc::Proc;
use common::psnr::{max_diff, psnr};
use common::python;

use netgear::media::{Interpolation, reducer};
use netgear::{Dtype, Error, Frame};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/cv2_resize.py")
}

/// Runs the helper script with `args`, feeding `input`; returns its stdout.
fn run_script(args: &[String], input: &[u8]) -> Vec<u8> {
    let mut cmd = Command::new(python());
    cmd.arg(script()).args(args);
    let name = format!("cv2_resize.py {args:?}");
    let out = Proc::spawn_with_input(&name, cmd, input.to_vec()).wait(Duration::from_secs(120));
    out.assert_success();
    out.stdout
}

/// vidgear's size formula with its float steps: `(int(reduction), int(height * ratio))`.
fn expected_size(width: usize, height: usize, pct: f64) -> (usize, usize) {
    let reduction = ((100.0 - pct) / 100.0) * width as f64;
    let ratio = reduction / width as f64;
    (
        reduction.trunc() as usize,
        (height as f64 * ratio).trunc() as usize,
    )
}

/// A deterministic, natural-ish image: smooth colour gradients and waves, a checkerboard of
/// hard edges, a disc of inverted colours, and ±8 of noise (an LCG). Channel 3 (alpha, if any)
/// gets its own pattern so that premultiplied-alpha handling would show.
fn test_image(width: usize, height: usize, channels: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(width * height * channels);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let (w, h) = (width as f64, height as f64);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f64 / w, y as f64 / h);
            let checker = (x / 37 + y / 29) % 2 == 0;
            let (dx, dy) = (x as f64 - w * 0.6, y as f64 - h * 0.4);
            let in_disc = dx * dx + dy * dy < (h * 0.2).powi(2);
            for c in 0..channels {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let noise = ((seed >> 33) % 17) as f64 - 8.0;
                let cf = c as f64;
                let mut v = if c == 3 {
                    128.0 + 120.0 * (fx * 9.0).sin() * (fy * 5.0).cos()
                } else {
                    40.0 + 150.0 * fx * (1.0 + cf * 0.3) + 50.0 * (fy * 6.0 + cf).sin()
                };
                if checker {
                    v += 30.0;
                }
                if in_disc {
                    v = 255.0 - v;
                }
                out.push((v + noise).clamp(0.0, 255.0) as u8);
            }
        }
    }
    out
}

fn frame(width: usize, height: usize, channels: usize) -> Frame {
    let shape = if channels == 1 {
        vec![height, width]
    } else {
        vec![height, width, channels]
    };
    Frame::new(Dtype::U8, shape, test_image(width, height, channels)).unwrap()
}

fn interp_name(i: Interpolation) -> &'static str {
    match i {
        Interpolation::Lanczos => "lanczos",
        Interpolation::Area => "area",
        Interpolation::Linear => "linear",
        Interpolation::Cubic => "cubic",
        Interpolation::Nearest => "nearest",
    }
}

/// vidgear's `reducer()` (with OpenCV) on `frame`: the result's shape and bytes.
fn cv2_reduce(frame: &Frame, pct: f64, interp: Interpolation) -> (Vec<usize>, Vec<u8>) {
    let (h, w) = (frame.shape()[0], frame.shape()[1]);
    let c = frame.channels().unwrap();
    let args = [
        "resize".to_string(),
        w.to_string(),
        h.to_string(),
        c.to_string(),
        pct.to_string(),
        interp_name(interp).to_string(),
    ];
    let out = run_script(&args, frame.as_bytes());
    let nl = out.iter().position(|&b| b == b'\n').expect("header line");
    let header: Vec<usize> = std::str::from_utf8(&out[..nl])
        .unwrap()
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    let shape = if header[2] == 1 && frame.shape().len() == 2 {
        vec![header[0], header[1]]
    } else {
        header
    };
    (shape, out[nl + 1..].to_vec())
}

/// Reduces a test image in Rust and with vidgear + OpenCV; same shape, PSNR ≥ `min_db`.
fn against_cv2(w: usize, h: usize, c: usize, pct: f64, interp: Interpolation, min_db: f64) {
    let input = frame(w, h, c);
    let ours = reducer(&input, pct, interp).unwrap();
    let (shape, theirs) = cv2_reduce(&input, pct, interp);
    assert_eq!(
        ours.shape(),
        shape.as_slice(),
        "{w}x{h}x{c} {pct}% {interp:?}"
    );
    let (db, max) = (
        psnr(ours.as_bytes(), &theirs),
        max_diff(ours.as_bytes(), &theirs),
    );
    println!(
        "{interp:?} {w}x{h}x{c} {pct}% -> {:?}: PSNR {db:.2} dB, max |diff| {max}",
        ours.shape()
    );
    assert!(
        db >= min_db,
        "{interp:?} {w}x{h}x{c} {pct}%: PSNR {db:.2} dB against OpenCV, want >= {min_db} dB"
    );
}

// ---- contract -------------------------------------------------------------------------------

#[test]
fn sizes_follow_vidgears_formula() {
    let cases = [
        (640, 480, 30.0),
        (1920, 1080, 30.0),
        (333, 217, 47.5),
        (100, 7, 33.3),
        (1280, 720, 0.5),
        (1280, 720, 89.9),
        (17, 13, 12.345),
        (3, 1000, 66.0),
    ];
    for (w, h, pct) in cases {
        let out = reducer(&frame(w, h, 3), pct, Interpolation::Nearest).unwrap();
        let (ew, eh) = expected_size(w, h, pct);
        assert_eq!(out.shape(), &[eh, ew, 3], "{w}x{h} {pct}%");
        assert_eq!(out.dtype(), Dtype::U8);
        assert_eq!(out.as_bytes().len(), ew * eh * 3);
    }
    // A float step that truncation makes visible: 0.7 * 10 = 7.000000000000001, int() = 7;
    // (100 - 70) / 100 * 10 = 3.0000000000000004, int() = 3.
    assert_eq!(expected_size(10, 10, 30.0), (7, 7));
    assert_eq!(expected_size(10, 10, 70.0), (3, 3));
}

#[test]
fn sizes_match_vidgear_itself() {
    // Tricky percentages and sizes, checked against vidgear's own reducer() in one process.
    let pcts = [
        0.001, 0.5, 1.0, 10.0, 12.345, 29.9, 30.0, 33.3, 47.5, 66.6, 70.0, 89.99,
    ];
    let dims = [
        (1, 1),
        (3, 2),
        (10, 10),
        (17, 13),
        (333, 217),
        (640, 480),
        (1920, 1080),
    ];
    let mut lines = String::new();
    let mut cases = Vec::new();
    for &pct in &pcts {
        for &(w, h) in &dims {
            lines.push_str(&format!("{w} {h} {pct}\n"));
            cases.push((w, h, pct));
        }
    }
    let out = run_script(&["sizes".to_string()], lines.as_bytes());
    let out = String::from_utf8(out).unwrap();
    let answers: Vec<&str> = out.lines().collect();
    assert_eq!(answers.len(), cases.len());
    for ((w, h, pct), answer) in cases.into_iter().zip(answers) {
        let ours = reducer(
            &Frame::zeros(Dtype::U8, [h, w]).unwrap(),
            pct,
            Interpolation::Area,
        );
        match (answer, ours) {
            ("error", Err(Error::InvalidOption(_))) => {}
            ("error", other) => panic!("{w}x{h} {pct}%: vidgear raises, we gave {other:?}"),
            (size, Ok(f)) => {
                assert_eq!(
                    size,
                    format!("{} {}", f.shape()[0], f.shape()[1]),
                    "{w}x{h} {pct}%"
                )
            }
            (size, Err(e)) => panic!("{w}x{h} {pct}%: vidgear gives {size}, we failed: {e}"),
        }
    }
}

#[test]
fn invalid_percentages_are_refused() {
    let f = frame(64, 48, 3);
    for pct in [0.0, 90.0, -1.0, 95.0, 100.0, f64::NAN, f64::INFINITY, -0.0] {
        for interp in [Interpolation::Lanczos, Interpolation::Nearest] {
            match reducer(&f, pct, interp) {
                Err(Error::InvalidOption(msg)) => {
                    assert!(msg.contains("percentage"), "unclear message: {msg}")
                }
                other => panic!("{pct}%: expected InvalidOption, got {other:?}"),
            }
        }
    }
    // The edges of the open interval are fine.
    assert!(reducer(&f, 1e-9, Interpolation::Lanczos).is_ok());
    assert!(reducer(&f, 89.999, Interpolation::Lanczos).is_ok());
}

#[test]
fn empty_results_are_errors_not_panics() {
    for (w, h, pct) in [
        (1, 1, 50.0),
        (100, 1, 50.0),
        (1, 100, 50.0),
        (9, 9, 89.0),
        (0, 5, 10.0),
    ] {
        for interp in [
            Interpolation::Lanczos,
            Interpolation::Area,
            Interpolation::Linear,
            Interpolation::Cubic,
            Interpolation::Nearest,
        ] {
            let f = Frame::zeros(Dtype::U8, [h, w, 3]).unwrap();
            match reducer(&f, pct, interp) {
                Err(Error::InvalidOption(msg)) => assert!(msg.contains("empty"), "{msg}"),
                other => panic!("{w}x{h} {pct}%: expected InvalidOption, got {other:?}"),
            }
        }
    }
}

#[test]
fn ranks_and_channels_are_kept() {
    let (w, h, pct) = (101, 77, 25.0);
    let (ew, eh) = expected_size(w, h, pct);
    for interp in [
        Interpolation::Lanczos,
        Interpolation::Area,
        Interpolation::Nearest,
    ] {
        let gray = reducer(&frame(w, h, 1), pct, interp).unwrap();
        assert_eq!(gray.shape(), &[eh, ew], "2-D in, 2-D out");
        let one = Frame::new(Dtype::U8, [h, w, 1], test_image(w, h, 1)).unwrap();
        assert_eq!(reducer(&one, pct, interp).unwrap().shape(), &[eh, ew, 1]);
        // The same pixels whether the single channel is a dimension or not.
        assert_eq!(
            reducer(&one, pct, interp).unwrap().as_bytes(),
            gray.as_bytes()
        );
        for c in [2, 3, 4] {
            let out = reducer(&frame(w, h, c), pct, interp).unwrap();
            assert_eq!(out.shape(), &[eh, ew, c]);
        }
    }
}

#[test]
fn constant_frames_stay_constant() {
    for c in [1, 3, 4] {
        let f = Frame::new(Dtype::U8, [50, 60, c], vec![77u8; 50 * 60 * c]).unwrap();
        for interp in [
            Interpolation::Lanczos,
            Interpolation::Area,
            Interpolation::Linear,
            Interpolation::Cubic,
            Interpolation::Nearest,
        ] {
            let out = reducer(&f, 37.0, interp).unwrap();
            assert!(
                out.as_bytes().iter().all(|&b| b == 77),
                "{interp:?} {c} channels"
            );
        }
    }
}

#[test]
fn other_frames_are_refused() {
    let f32_frame = Frame::from_elements(&[0.5f32; 40 * 30 * 3], [30, 40, 3]).unwrap();
    assert!(matches!(
        reducer(&f32_frame, 30.0, Interpolation::Lanczos),
        Err(Error::Media(m)) if m.is_invalid_frame()
            && m.to_string().contains("uint8") && m.to_string().contains("float32")
    ));
    let u16_frame = Frame::zeros(Dtype::native(netgear::Scalar::U16), [30, 40]).unwrap();
    assert!(matches!(
        reducer(&u16_frame, 30.0, Interpolation::Lanczos),
        Err(Error::Media(m)) if m.is_invalid_frame()
    ));
    for shape in [
        vec![100],
        vec![10, 10, 5],
        vec![10, 10, 0],
        vec![2, 10, 10, 3],
    ] {
        let f = Frame::zeros(Dtype::U8, shape.clone()).unwrap();
        assert!(
            matches!(
                reducer(&f, 30.0, Interpolation::Area),
                Err(Error::Media(m)) if m.is_invalid_frame()
            ),
            "shape {shape:?}"
        );
    }
}

#[test]
fn default_is_lanczos() {
    assert_eq!(Interpolation::default(), Interpolation::Lanczos);
}

// ---- pixels against OpenCV ------------------------------------------------------------------

const SIZES: [(usize, usize, f64); 3] = [(640, 480, 30.0), (1920, 1080, 30.0), (333, 217, 47.5)];

#[test]
fn lanczos_matches_opencv() {
    for (w, h, pct) in SIZES {
        against_cv2(w, h, 3, pct, Interpolation::Lanczos, 50.0);
    }
}

#[test]
fn area_matches_opencv() {
    for (w, h, pct) in SIZES {
        against_cv2(w, h, 3, pct, Interpolation::Area, 50.0);
    }
    // An integer scale (OpenCV's fast area path) and a large reduction.
    against_cv2(640, 480, 3, 50.0, Interpolation::Area, 50.0);
    against_cv2(640, 480, 3, 83.0, Interpolation::Area, 50.0);
}

#[test]
fn linear_matches_opencv() {
    for (w, h, pct) in SIZES {
        against_cv2(w, h, 3, pct, Interpolation::Linear, 50.0);
    }
}

#[test]
fn cubic_matches_opencv() {
    for (w, h, pct) in SIZES {
        against_cv2(w, h, 3, pct, Interpolation::Cubic, 50.0);
    }
}

/// A frame whose pixel (x, y) holds its own coordinates: B = x % 256, G = y % 256,
/// R = x / 256 + 16 × (y / 256) (up to 4096 × 4096).
fn coordinate_frame(width: usize, height: usize) -> Frame {
    let mut bytes = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            bytes.extend_from_slice(&[
                (x % 256) as u8,
                (y % 256) as u8,
                (x / 256 + 16 * (y / 256)) as u8,
            ]);
        }
    }
    Frame::from_bgr(netgear::Size { width, height }, bytes).unwrap()
}

/// The source (x, y) of every pixel of a reduced [`coordinate_frame`].
fn picked(frame: &Frame) -> Vec<(usize, usize)> {
    frame
        .as_bytes()
        .chunks_exact(3)
        .map(|p| {
            let (b, g, r) = (usize::from(p[0]), usize::from(p[1]), usize::from(p[2]));
            (b + 256 * (r % 16), g + 256 * (r / 16))
        })
        .collect()
}

#[test]
fn nearest_matches_opencv() {
    // Our nearest samples floor(x × src / dst), exactly; OpenCV computes
    // floor(x × (1 / (dst / src))) in doubles, which now and then lands just below an integer
    // and picks the row or column before. Exact on the main sizes; never more than one off.
    let cases = [
        (640, 480, 30.0, true),
        (1920, 1080, 30.0, true),
        (333, 217, 47.5, true),
        (22, 26, 15.0, false),
        (26, 22, 60.0, false),
        (28, 30, 35.0, false),
        (1000, 999, 13.0, false),
    ];
    for (w, h, pct, exact) in cases {
        let input = coordinate_frame(w, h);
        let ours = reducer(&input, pct, Interpolation::Nearest).unwrap();
        let (shape, theirs) = cv2_reduce(&input, pct, Interpolation::Nearest);
        assert_eq!(ours.shape(), shape.as_slice());
        let theirs = Frame::new(Dtype::U8, shape, theirs).unwrap();
        let (ours, theirs) = (picked(&ours), picked(&theirs));
        let (nw, nh) = expected_size(w, h, pct);
        let mut differ = 0;
        for (i, (&(ox, oy), &(tx, ty))) in ours.iter().zip(&theirs).enumerate() {
            let (x, y) = (i % nw, i / nw);
            assert_eq!((ox, oy), (x * w / nw, y * h / nh), "ours at ({x}, {y})");
            assert!(
                ox.abs_diff(tx) <= 1 && oy.abs_diff(ty) <= 1,
                "({x}, {y}): {ox},{oy} vs {tx},{ty}"
            );
            differ += usize::from((ox, oy) != (tx, ty));
        }
        println!(
            "Nearest {w}x{h} {pct}% -> {nw}x{nh}: {differ} of {} pixels one row/column off OpenCV",
            nw * nh
        );
        if exact {
            assert_eq!(differ, 0, "{w}x{h} {pct}%");
        }
    }
}

#[test]
fn gray_and_bgra_match_opencv() {
    for interp in [
        Interpolation::Lanczos,
        Interpolation::Area,
        Interpolation::Linear,
    ] {
        against_cv2(333, 217, 1, 47.5, interp, 50.0);
        // Four independent channels: no alpha premultiplication.
        against_cv2(333, 217, 4, 47.5, interp, 50.0);
    }
}
