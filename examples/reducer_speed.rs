//! `reducer()` speed, side by side with vidgear's (OpenCV's `cv2.resize`), in one run.
//!
//! ```text
//! cargo run --release --example reducer_speed [-- N]
//! ```
//!
//! Reduces one 1920×1080 BGR frame by 30 % N times (default 200) with netgear-rs's
//! `media::reducer` in this process, then has the venv's python (`NETGEAR_VENV`, else
//! `<crate>/.venv`) run vidgear's `reducer()` on the very same bytes N times through
//! `tests/interop/cv2_resize.py bench`, with OpenCV's default thread count and with
//! `cv2.setNumThreads(1)`, and prints ms/frame and the ratio rust / cv2.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use netgear::Frame;
use netgear::media::{Interpolation, reducer};

const WIDTH: usize = 1920;
const HEIGHT: usize = 1080;
const PERCENTAGE: f64 = 30.0;
const WARMUP: usize = 3;

/// A deterministic natural-ish BGR frame: gradients, waves, hard edges and a little noise.
fn test_frame() -> Frame {
    let mut bytes = Vec::with_capacity(WIDTH * HEIGHT * 3);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let (fx, fy) = (x as f64 / WIDTH as f64, y as f64 / HEIGHT as f64);
            for c in 0..3 {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let noise = ((seed >> 33) % 17) as f64 - 8.0;
                let mut v =
                    40.0 + 150.0 * fx * (1.0 + c as f64 * 0.3) + 50.0 * (fy * 6.0 + c as f64).sin();
                if (x / 37 + y / 29) % 2 == 0 {
                    v += 30.0;
                }
                bytes.push((v + noise).clamp(0.0, 255.0) as u8);
            }
        }
    }
    Frame::from_bgr(
        netgear::Size {
            width: WIDTH,
            height: HEIGHT,
        },
        bytes,
    )
    .expect("a valid frame")
}

fn python() -> PathBuf {
    let venv = std::env::var_os("NETGEAR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv"));
    venv.join("bin").join("python")
}

/// ms/frame of vidgear's reducer() in python, and the thread count OpenCV used.
fn cv2_bench(frame: &Frame, interp: &str, n: usize, threads: usize) -> Result<(f64, u64), String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/cv2_resize.py");
    let args = [
        "bench".to_string(),
        WIDTH.to_string(),
        HEIGHT.to_string(),
        "3".to_string(),
        PERCENTAGE.to_string(),
        interp.to_string(),
        n.to_string(),
        threads.to_string(),
    ];
    let mut child = Command::new(python())
        .arg(&script)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python().display()))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(frame.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).map_err(|e| e.to_string())?;
    let ms = v["ms_per_frame"].as_f64().ok_or("no ms_per_frame")?;
    let used = v["threads"].as_u64().ok_or("no threads")?;
    Ok((ms, used))
}

fn cv2_version() -> String {
    Command::new(python())
        .args(["-c", "import cv2; print(cv2.__version__)"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("N must be a number"))
        .unwrap_or(200);
    if !python().exists() {
        eprintln!(
            "the vidgear venv is missing at {}: run scripts/setup-venv.sh (or set NETGEAR_VENV)",
            python().display()
        );
        std::process::exit(1);
    }
    let frame = test_frame();
    let out = reducer(&frame, PERCENTAGE, Interpolation::Lanczos).expect("reducer");
    println!(
        "reducer(): {WIDTH}x{HEIGHT} BGR u8 -> {}x{} ({PERCENTAGE} %), {n} calls each, after {WARMUP} warm-up calls",
        out.shape()[1],
        out.shape()[0]
    );
    println!(
        "rust: netgear::media::reducer in this process (fast_image_resize, single thread), std::time::Instant"
    );
    println!(
        "cv2:  vidgear.gears.helper.reducer (OpenCV {}) in the venv's python, same bytes, time.perf_counter around the loop only",
        cv2_version()
    );
    println!();
    println!(
        "{:<8} {:>10} {:>16} {:>14} {:>12} {:>12}",
        "interp", "rust ms", "cv2 ms (thr)", "cv2 ms (1 thr)", "rust/cv2", "rust/cv2 1t"
    );
    for (interp, name) in [
        (Interpolation::Lanczos, "lanczos"),
        (Interpolation::Area, "area"),
        (Interpolation::Linear, "linear"),
    ] {
        for _ in 0..WARMUP {
            std::hint::black_box(reducer(&frame, PERCENTAGE, interp).expect("reducer"));
        }
        let start = Instant::now();
        for _ in 0..n {
            std::hint::black_box(
                reducer(std::hint::black_box(&frame), PERCENTAGE, interp).expect("reducer"),
            );
        }
        let rust = start.elapsed().as_secs_f64() * 1000.0 / n as f64;
        let default = cv2_bench(&frame, name, n, 0);
        let single = cv2_bench(&frame, name, n, 1);
        match (default, single) {
            (Ok((cv, threads)), Ok((cv1, _))) => println!(
                "{name:<8} {rust:>10.3} {:>16} {cv1:>14.3} {:>12.2} {:>12.2}",
                format!("{cv:.3} ({threads})"),
                rust / cv,
                rust / cv1
            ),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("cv2 benchmark failed: {e}");
                std::process::exit(1);
            }
        }
    }
    println!();
    println!("ratio < 1: netgear-rs is faster. (thr) = cv2.getNumThreads() with OpenCV's default.");
}
