//! What a run prints at its end: the table and its legend, the cipher's speed beside the secure
//! rows, the notes (vidgear left out, CPUs pinned), the JSON document if asked, and the run's
//! failure when a case failed (after everything is printed).

use std::time::Duration;

use serde_json::{Value as Json, json};

use super::crypto::frame_part_len;
use super::report::{LEGEND, Row, table};
use crate::error::CliError;

/// A finished run.
pub(super) struct Results {
    /// One row per case, in the plan's order.
    pub rows: Vec<Row>,
    /// Rounds per case.
    pub repeat: u32,
    /// Seconds the run took.
    pub seconds: f64,
    /// The CPUs of the receive and the send peers, with `--pin`.
    pub pin: Option<(usize, usize)>,
    /// Why the vidgear rows were left out, if they were.
    pub vidgear_skipped: Option<String>,
}

impl Results {
    /// Prints the results, writes the JSON to `json` (a file, or `-` for stdout), and fails
    /// when a case failed.
    pub(super) fn finish(&self, json: Option<&str>) -> Result<(), CliError> {
        self.print();
        if let Some(dest) = json {
            let doc = self.to_json();
            if dest == "-" {
                println!("{doc}");
            } else {
                std::fs::write(dest, format!("{doc}\n")).map_err(netgear::Error::from)?;
            }
        }
        match self.failed() {
            0 => Ok(()),
            failed => Err(CliError::BenchFailed {
                failed,
                cases: self.rows.len(),
            }),
        }
    }

    fn failed(&self) -> usize {
        self.rows.iter().filter(|r| !r.ok()).count()
    }

    /// The table, the cipher's speed for each size of the secure rows, the notes, the legend.
    fn print(&self) {
        print!("{}", table(&self.rows));
        for (w, h, t) in self.box_times() {
            let bytes = frame_part_len(w, h) as f64;
            println!(
                "CURVE's cipher here (libsodium XSalsa20-Poly1305, one box): {w}x{h} frame in {:.2} ms, \
                 {:.2} GB/s",
                t.as_secs_f64() * 1e3,
                bytes / t.as_secs_f64() / 1e9
            );
        }
        if let Some(why) = &self.vidgear_skipped {
            println!("vidgear rows skipped: {why}");
        }
        println!(
            "{} cases, {} alternating round(s) each, in {:.1} s{}",
            self.rows.len(),
            self.repeat,
            self.seconds,
            self.pin.map_or(String::new(), |(recv, serve)| format!(
                "; receive peers on CPU {recv}, send peers on CPU {serve}"
            ))
        );
        print!("{LEGEND}");
    }

    /// The time to box a frame, once per size of the secure rows.
    fn box_times(&self) -> Vec<(usize, usize, Duration)> {
        let mut boxed: Vec<(usize, usize, Duration)> = Vec::new();
        for r in &self.rows {
            if let Some(t) = r.box_time
                && !boxed
                    .iter()
                    .any(|&(w, h, _)| (w, h) == (r.case.width, r.case.height))
            {
                boxed.push((r.case.width, r.case.height, t));
            }
        }
        boxed
    }

    fn to_json(&self) -> Json {
        json!({
            "bench": "netgear",
            "version": env!("CARGO_PKG_VERSION"),
            "transport": "tcp://127.0.0.1",
            "vidgear_skipped": self.vidgear_skipped,
            "seconds": self.seconds,
            "rounds": self.repeat,
            "pinned_cpus": self.pin.map(|(recv, serve)| json!({"recv": recv, "serve": serve})),
            "failed": self.failed(),
            "rows": self.rows.iter().map(|r| r.to_json(&self.rows)).collect::<Vec<_>>(),
        })
    }
}
