//! Opens a [`Display`] and shows the built-in test pattern for a few seconds: the program that
//! `scripts/display-check.sh` runs under Xvfb and takes a screenshot of.
//!
//! ```text
//! cargo run --features display --example display_check -- [seconds] [fps]
//! ```
//!
//! Prints `ready` once frames have been shown for a second (the title then has its frame rate),
//! and a summary at the end. Exits non-zero if the window cannot be opened or closes early.

fn main() {
    use std::time::{Duration, Instant};

    use netgear::media::{Display, TestPattern};

    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let fps: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(30.0);

    let display = match Display::open("netgear") {
        Ok(display) => display,
        Err(e) => {
            eprintln!("display_check: {e}");
            std::process::exit(1);
        }
    };
    let pattern = TestPattern::new(640, 480);
    let period = Duration::from_secs_f64(1.0 / fps);
    let start = Instant::now();
    let mut ready = false;
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        if let Err(e) = display.show(&pattern.frame(n)) {
            eprintln!("display_check: show failed after {n} frames: {e}");
            std::process::exit(1);
        }
        n += 1;
        if !ready && start.elapsed() >= Duration::from_secs(1) {
            println!("ready");
            ready = true;
        }
        let next = start + period.mul_f64(n as f64);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "display_check: sent {n} frames in {elapsed:.2} s ({:.1} fps), window drew {}, dropped {}",
        n as f64 / elapsed,
        display.frames_shown(),
        display.frames_dropped()
    );
    if !display.is_open() {
        eprintln!("display_check: the window closed early");
        std::process::exit(1);
    }
}
