//! `netgear`: the command line. It parses the flags and hands each command to its module:
//! `serve` (send mode), `recv` (receive mode), `demo` (both ends in one process), `soak` (a long
//! run that accounts for every frame), `bench` (netgear-rs, raw libzmq and vidgear side by
//! side) and `plot` (the link benchmark's chart). Everything it streams goes through the `netgear` library.
//! Its own errors (`error`: a bad flag, a failed soak or benchmark) are told apart from the
//! library's.

#![deny(clippy::undocumented_unsafe_blocks)]

mod args;
mod bench;
mod chaos;
mod demo;
mod error;
mod keygen;
mod plot;
mod plot_series;
mod preview;
mod proc;
mod quality;
mod recv;
mod saving;
mod serve;
mod soak;
mod stats;
mod status;
mod stop;
mod window;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use error::CliError;

/// Real-time video frames over ZeroMQ, wire-compatible with vidgear's NetGear_Async.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Log what the ends do (to stderr); RUST_LOG refines it.
    #[arg(long, global = true)]
    log: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send mode: stream the test pattern, a video file, an image sequence, a stream URL or a
    /// camera to a receiver.
    Serve(serve::ServeArgs),
    /// Receive mode: bind and receive frames until the server terminates.
    Recv(recv::RecvArgs),
    /// Write a server and a client CURVE key pair for secure mode (vidgear NetGear's layout:
    /// DIR/public_keys/*.key, DIR/private_keys/*.key_secret).
    Keygen(keygen::KeygenArgs),
    /// Both ends in one process on loopback, bidirectional, data both ways.
    Demo(demo::DemoArgs),
    /// Measure netgear-rs, a raw-libzmq baseline and vidgear side by side (tcp loopback). The
    /// vidgear column needs its peer script, `--vidgear-peer tests/interop/vg_bench.py` (or
    /// NETGEAR_VG_BENCH), and the vidgear venv (`--venv` or NETGEAR_VENV).
    Bench(bench::BenchArgs),
    /// Stream for a long while on loopback and account for every frame and for memory; with
    /// --chaos, through rate-limited links with receivers and senders killed, links taken
    /// down and receivers stalled (root).
    Soak(soak::SoakArgs),
    /// Draw the link benchmark's results (`scripts/link-bench.sh --json FILE`) as an SVG
    /// chart: fps delivered and frame age per case.
    Plot(plot::PlotArgs),
    /// One end of a benchmark case (started by `bench`).
    #[command(hide = true)]
    BenchPeer(bench::PeerArgs),
    /// One end of a chaos soak (started by `soak --chaos`).
    #[command(hide = true)]
    ChaosPeer(chaos::peer::PeerArgs),
}

/// Keeps frame-sized buffers in the heap: glibc's default maps and unmaps each one (a page-fault
/// storm per frame, about 10 % of a receiver's time at 640x480), and returns freed memory late.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        // Secure mode's warnings (refused peers, exposed secret files) are shown by default.
        tracing_subscriber::EnvFilter::new(if cli.log {
            "netgear=debug"
        } else {
            "error,netgear::secure=warn,netgear::server=info"
        })
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(a) => serve::serve(a).await,
            Command::Recv(a) => recv::recv(a).await,
            Command::Keygen(a) => keygen::keygen(&a).map_err(CliError::from),
            Command::Demo(a) => demo::demo(a).await.map_err(CliError::from),
            Command::Soak(a) => soak::soak(a).await,
            Command::Plot(a) if a.series => plot_series::plot(&a).map_err(CliError::from),
            Command::Plot(a) => plot::plot(&a).map_err(CliError::from),
            Command::Bench(a) => bench::run(&a),
            Command::BenchPeer(a) => bench::peer(a).await,
            Command::ChaosPeer(a) => chaos::peer::peer(a).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", netgear::error_chain(&e));
            ExitCode::FAILURE
        }
    }
}
