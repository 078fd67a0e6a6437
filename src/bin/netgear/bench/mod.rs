//! `netgear bench`: netgear-rs, a raw-libzmq baseline and vidgear's NetGear_Async, measured
//! side by side on tcp loopback, the two ends of every case in separate processes; on request
//! (`--cases`) netgear-rs over ipc and shared memory, raw libzmq over ipc, and the ceiling (a
//! memset of each frame alone, `produce.rs`). Every netgear-rs and raw sender produces every
//! frame in full, numbered and stamped with its send time; the receivers check the number and
//! report the hand-over time.
//!
//! [`run`] is the orchestrator: the flags checked (`args.rs`), the vidgear peer located
//! (`vidgear.rs`: `--vidgear-peer` or `NETGEAR_VG_BENCH`, the venv's python; left out with a note
//! when missing), the cases planned (`plan.rs`, `case.rs`), each case's two peers started,
//! waited for under a deadline and their reports collected (`supervise.rs`, with `process.rs`,
//! `port.rs` and `pin.rs` for `--pin`), and the results printed (`results.rs`; `report.rs`
//! turns the rounds into medians and the table, `crypto.rs` times CURVE's cipher beside the
//! secure rows). [`peer()`] (`peer.rs`, `raw.rs`, `peer_report.rs`) is one end of a case, for
//! netgear-rs (the library's `Server` and `Client`) or for the raw baseline (blocking `zmq`
//! sockets, the same message shapes, no serialisation, zero-copy sends); the vidgear peer is
//! `tests/interop/vg_bench.py`, run with the venv's python.
//!
//! The peer contract (shared with `vg_bench.py`): `<peer> serve|recv --port P --pattern 0..3
//! --width W --height H --frames N --reply none|text|frame --timeout SECONDS`; bidirectional mode
//! is on exactly when the pattern is 0 or 1 and the reply is `text` or `frame`. Each peer prints
//! ONE JSON line on stdout at its end — `impl`, `role`, `frames`, `bytes`, `elapsed`, `fps`,
//! `rtt_p50_us`, `rtt_p99_us`, `peak_rss_kb`, and `error` on failure (exit status 1); netgear-rs's
//! and the raw receive peers add `handover_p50_us` and `handover_p99_us`.

mod args;
mod case;
mod crypto;
mod peer;
mod peer_report;
mod pin;
mod plan;
mod port;
mod process;
mod produce;
mod raw;
mod report;
mod results;
mod supervise;
mod vidgear;

use std::time::Instant;

use crate::error::CliError;

pub(crate) use args::{BenchArgs, PeerArgs};
pub(crate) use peer::peer;
use plan::plan;
use results::Results;
use supervise::Supervisor;

/// Runs the benchmark: every case, the table on stdout (with its legend), the JSON if asked.
/// Fails (after printing everything) when a case failed.
pub(crate) fn run(args: &BenchArgs) -> Result<(), CliError> {
    let mut wanted = args.check()?;
    let (vidgear, vidgear_skipped) = vidgear::take(args, &mut wanted.impls);
    let supervisor = Supervisor::new(args, vidgear, &wanted.impls)?;
    let cases = plan(&wanted.sizes, &wanted.impls, args.frames);
    let started = Instant::now();
    let rows = supervisor.run_all(&cases, args.repeat);
    let results = Results {
        rows,
        repeat: args.repeat,
        seconds: started.elapsed().as_secs_f64(),
        pin: supervisor.pin,
        vidgear_skipped,
    };
    results.finish(args.json.as_deref())
}
