//! The live status line of `serve` and `recv`: frames, rate, bytes on the wire, frame age or
//! round trip, frames dropped. Only on a terminal, only once a stream has run for a moment, and
//! never with `--json` (whose output is for programs).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a stream runs before the line appears (a short one stays quiet).
const AFTER: Duration = Duration::from_secs(1);

/// How often the line is redrawn.
const EVERY: Duration = Duration::from_millis(250);

/// One snapshot of a stream.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub(crate) frames: u64,
    pub(crate) fps: f64,
    pub(crate) wire_bytes: u64,
    /// Frame age at p50 (receive side), ms.
    pub(crate) age_ms: Option<f64>,
    /// Round trip at p50 (send side, lock-step), ms.
    pub(crate) rtt_ms: Option<f64>,
    /// Frames a live source dropped (send side).
    pub(crate) dropped: Option<u64>,
    /// The receiver's absences and their time (send side), once there has been one.
    pub(crate) outages: Option<(u64, Duration)>,
    /// The bitrate or quality the sender chose (send side).
    pub(crate) rate: Option<String>,
}

impl Snapshot {
    fn line(&self, elapsed: Duration) -> String {
        let mbps = self.wire_bytes as f64 / 1e6 / elapsed.as_secs_f64().max(1e-3);
        let mut line = format!(
            "{} frames · {:.1} fps · {mbps:.1} MB/s on the wire",
            self.frames, self.fps
        );
        if let Some(a) = self.age_ms {
            line += &format!(" · age {a:.1} ms");
        }
        if let Some(r) = self.rtt_ms {
            line += &format!(" · rtt {r:.1} ms");
        }
        if let Some(d) = self.dropped {
            line += &format!(" · {d} dropped");
        }
        if let Some(r) = &self.rate {
            line += &format!(" · {r}");
        }
        if let Some((n, t)) = self.outages.filter(|(n, _)| *n > 0) {
            let s = if n == 1 { "" } else { "s" };
            line += &format!(" · {n} outage{s} ({:.1} s)", t.as_secs_f64());
        }
        line
    }
}

/// The status line: a no-op unless stderr is a terminal and `--json` was not given.
pub(crate) struct Status {
    bar: Option<ProgressBar>,
    /// The first frame: rates are from there, and the line waits [`AFTER`] from there.
    started: Option<Instant>,
    drawn: Option<Instant>,
}

impl Status {
    pub(crate) fn new(json: bool) -> Status {
        let on = !json && std::io::stderr().is_terminal();
        Status {
            bar: on.then(|| {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar
            }),
            started: None,
            drawn: None,
        }
    }

    /// Called for every frame: redraws the line, at most every [`EVERY`], once the stream is
    /// older than [`AFTER`]. `snapshot` is only called when the line is drawn.
    pub(crate) fn update(&mut self, snapshot: impl FnOnce() -> Snapshot) {
        let Some(bar) = &self.bar else { return };
        let now = Instant::now();
        let elapsed = now - *self.started.get_or_insert(now);
        if elapsed < AFTER || self.drawn.is_some_and(|t| now - t < EVERY) {
            return;
        }
        self.drawn = Some(now);
        bar.set_message(snapshot().line(elapsed));
        bar.tick();
    }

    /// Clears the line (the summary follows).
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
