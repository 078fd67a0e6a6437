//! OpenH264 (what `--compress h264` encodes with) beside x264 (ffmpeg's libx264), on the same
//! frames at the same bitrates, in one run: bits on the wire, quality and CPU per frame.
//!
//! ```text
//! cargo run --release --features h264 --example h264_vs_x264 [-- WxH FRAMES KBPS,… ROUNDS PRESET,…]
//! ```
//!
//! The frames are the noisy moving test pattern of the narrow-link measurements
//! (`testsrc:noise=7`, default 1920x1080, 90 frames) as a live camera gives them: 30 a second.
//! Each round encodes them at every bitrate (default 2000,4000,8000) with both encoders, one
//! after the other, the order alternating from round to round (default 3 rounds); the table
//! shows the medians.
//!
//! - OpenH264 is netgear-rs's own encoder (`wire::H264Encoder`, its configuration exactly),
//!   fed one frame every 1/30 s as a sender feeds it (its rate control reads the clock). CPU
//!   is the encoding thread's, BGR to YUV included.
//! - x264 is `ffmpeg -c:v libx264 -preset P -tune zerolatency -threads 1` (P: default ultrafast
//!   and superfast, the two fastest; more with the fifth argument) with the
//!   bitrate as its average and maximum and a buffer of one frame at that rate (what a
//!   low-latency sender would set), the frames piped in as BGR with their 30 fps timestamps.
//!   CPU is ffmpeg's user time (`-benchmark`), BGR to YUV included, over the frames.
//! - Both streams are decoded by the same decoder (ffmpeg's) back to BGR, and PSNR is taken
//!   against the frames sent and against the scene without its noise.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netgear::Frame;
use netgear::media::TestPattern;
use netgear::wire::{H264Encoder, ParsedFrame};

/// Frames a second, as the narrow-link measurements' camera.
const FPS: f64 = 30.0;
/// The noise of `testsrc:noise=7`.
const NOISE: u8 = 7;

#[derive(Clone, Copy)]
struct Run {
    kbps: f64,
    psnr_mean: f64,
    psnr_min: f64,
    psnr_scene_mean: f64,
    cpu_ms: f64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (w, h) = args
        .first()
        .and_then(|s| s.split_once('x'))
        .map(|(w, h)| (w.parse().expect("width"), h.parse().expect("height")))
        .unwrap_or((1920usize, 1080usize));
    let n: u64 = args.get(1).map_or(90, |s| s.parse().expect("frames"));
    let rates: Vec<u32> = args.get(2).map_or(vec![2000, 4000, 8000], |s| {
        s.split(',').map(|k| k.parse().expect("kbps")).collect()
    });
    let rounds: usize = args.get(3).map_or(3, |s| s.parse().expect("rounds"));
    let presets: Vec<String> = args
        .get(4)
        .map_or(vec!["ultrafast".into(), "superfast".into()], |s| {
            s.split(',').map(str::to_owned).collect()
        });

    let noisy = TestPattern::noisy(w, h, NOISE);
    let scene = noisy.clean();
    let frames: Vec<Frame> = (0..n).map(|i| noisy.frame(i)).collect();
    let clean: Vec<Frame> = (0..n).map(|i| scene.frame(i)).collect();
    let dir = std::env::temp_dir().join(format!("h264_vs_x264.{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp directory");

    println!(
        "{w}x{h}, {n} frames at {FPS} fps, the noisy moving pattern; medians of {rounds} rounds"
    );
    // Per bitrate, the runs of each encoder: OpenH264 first, then each x264 preset.
    let encoders = 1 + presets.len();
    let mut results: Vec<(u32, Vec<Vec<Run>>)> = rates
        .iter()
        .map(|&k| (k, vec![Vec::new(); encoders]))
        .collect();
    let stream = dir.join("stream.h264");
    for round in 0..rounds {
        for (kbps, runs) in &mut results {
            for i in 0..encoders {
                // Alternate the order from round to round.
                let e = if round % 2 == 0 { i } else { encoders - 1 - i };
                let cpu = match e {
                    0 => openh264_encode(&frames, *kbps, &stream),
                    _ => x264_encode(&frames, (w, h), *kbps, &presets[e - 1], &stream),
                };
                let decoded = ffmpeg_decode(&stream, (w, h), frames.len());
                runs[e].push(score(&stream, &frames, &clean, &decoded, cpu));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "| aimed kbit/s | encoder | kbit/s sent | PSNR to the frames sent, min / mean | to the scene, mean | CPU ms/frame |"
    );
    println!("|---|---|---|---|---|---|");
    for (kbps, runs) in &results {
        let ours = &runs[0];
        for (e, runs) in runs.iter().enumerate() {
            let name = match e {
                0 => "OpenH264".to_owned(),
                _ => format!("x264 {}", presets[e - 1]),
            };
            println!(
                "| {kbps} | {name} | {:.0} | {:.2} / {:.2} dB | {:.2} dB | {:.1} |",
                median(runs, |r| r.kbps),
                median(runs, |r| r.psnr_min),
                median(runs, |r| r.psnr_mean),
                median(runs, |r| r.psnr_scene_mean),
                median(runs, |r| r.cpu_ms),
            );
            if e > 0 {
                println!(
                    "| {kbps} | {name} / OpenH264 | {:.2}x | {:+.2} dB (mean) | {:+.2} dB | {:.2}x |",
                    median(runs, |r| r.kbps) / median(ours, |r| r.kbps),
                    median(runs, |r| r.psnr_mean) - median(ours, |r| r.psnr_mean),
                    median(runs, |r| r.psnr_scene_mean) - median(ours, |r| r.psnr_scene_mean),
                    median(runs, |r| r.cpu_ms) / median(ours, |r| r.cpu_ms),
                );
            }
        }
    }
}

fn median(runs: &[Run], value: impl Fn(&Run) -> f64) -> f64 {
    let mut v: Vec<f64> = runs.iter().map(value).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// This thread's CPU time.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec for the call's duration, and
    // CLOCK_THREAD_CPUTIME_ID is a clock every Linux has.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// Encodes `frames` with netgear-rs's encoder, one every 1/30 s, into `out` (the access units
/// one after the other: an Annex B stream). Returns the encoding CPU ms per frame.
fn openh264_encode(frames: &[Frame], kbps: u32, out: &Path) -> f64 {
    // Key frames only at the start, as in x264's run (a live sender adds one every 2 s).
    let mut encoder = H264Encoder::new(kbps, Duration::from_secs(3600));
    let mut stream = Vec::new();
    let mut cpu = Duration::ZERO;
    let start = Instant::now();
    for (i, frame) in frames.iter().enumerate() {
        let due = start + Duration::from_secs_f64(i as f64 / FPS);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let before = thread_cpu();
        let part = encoder.encode(frame).expect("OpenH264 encodes");
        cpu += thread_cpu() - before;
        let parsed = ParsedFrame::parse(&part, usize::MAX).expect("our own frame part");
        let ParsedFrame::Compressed(c) = parsed else {
            panic!("an H.264 frame part")
        };
        // The netgear:h264 head (version, flags, stream id, frame number), then the unit.
        stream.extend_from_slice(&c.data()[14..]);
    }
    std::fs::write(out, stream).expect("write the stream");
    cpu.as_secs_f64() * 1000.0 / frames.len() as f64
}

fn ffmpeg() -> Command {
    let mut c = Command::new("ffmpeg");
    c.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
    c
}

/// Encodes `frames` with ffmpeg's libx264 into `out`; returns ffmpeg's user CPU ms per frame.
fn x264_encode(
    frames: &[Frame],
    (w, h): (usize, usize),
    kbps: u32,
    preset: &str,
    out: &Path,
) -> f64 {
    let rate = format!("{kbps}k");
    let buffer = format!("{}k", (f64::from(kbps) / FPS).ceil());
    let mut child = ffmpeg()
        .args([
            "-loglevel",
            "info",
            "-benchmark",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
        ])
        .args(["-s", &format!("{w}x{h}"), "-r", &FPS.to_string(), "-i", "-"])
        .args(["-c:v", "libx264", "-preset", preset, "-tune", "zerolatency"])
        .args(["-threads", "1", "-pix_fmt", "yuv420p", "-g", "100000"])
        .args(["-b:v", &rate, "-maxrate", &rate, "-bufsize", &buffer])
        .args(["-f", "h264", "-y"])
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg (apt-get install ffmpeg)");
    let mut stdin = child.stdin.take().expect("stdin");
    for f in frames {
        stdin.write_all(f.as_bytes()).expect("frames to ffmpeg");
    }
    drop(stdin);
    let done = child.wait_with_output().expect("ffmpeg ends");
    let text =
        String::from_utf8_lossy(&done.stdout).into_owned() + &String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "ffmpeg libx264 failed: {text}");
    // "bench: utime=1.234s stime=0.056s rtime=1.300s"
    let utime: f64 = text
        .split("utime=")
        .nth(1)
        .and_then(|s| s.split('s').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no utime in ffmpeg's -benchmark output: {text}"));
    utime * 1000.0 / frames.len() as f64
}

/// Decodes an H.264 stream with ffmpeg into `n` BGR frames.
fn ffmpeg_decode(stream: &Path, (w, h): (usize, usize), n: usize) -> Vec<Vec<u8>> {
    let mut child = ffmpeg()
        .args(["-f", "h264", "-i"])
        .arg(stream)
        .args(["-f", "rawvideo", "-pix_fmt", "bgr24", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("ffmpeg");
    let mut all = Vec::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_end(&mut all)
        .expect("decoded frames");
    assert!(
        child.wait().expect("ffmpeg ends").success(),
        "ffmpeg decodes"
    );
    let size = w * h * 3;
    assert_eq!(all.len(), n * size, "{n} frames decoded");
    all.chunks(size).map(<[u8]>::to_vec).collect()
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let squared: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    let mse = squared / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-10)).log10()
}

fn score(stream: &Path, sent: &[Frame], scene: &[Frame], got: &[Vec<u8>], cpu_ms: f64) -> Run {
    let bits = std::fs::metadata(stream).expect("the stream").len() as f64 * 8.0;
    let seconds = sent.len() as f64 / FPS;
    let to_sent: Vec<f64> = sent
        .iter()
        .zip(got)
        .map(|(a, b)| psnr(a.as_bytes(), b))
        .collect();
    let to_scene: Vec<f64> = scene
        .iter()
        .zip(got)
        .map(|(a, b)| psnr(a.as_bytes(), b))
        .collect();
    Run {
        kbps: bits / seconds / 1000.0,
        psnr_mean: to_sent.iter().sum::<f64>() / to_sent.len() as f64,
        psnr_min: to_sent.iter().copied().fold(f64::INFINITY, f64::min),
        psnr_scene_mean: to_scene.iter().sum::<f64>() / to_scene.len() as f64,
        cpu_ms,
    }
}
