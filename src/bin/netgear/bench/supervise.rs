//! The supervision of a run: each case's two peers started as processes (the receive peer
//! first, the send peer once its port listens), waited for under the case's deadline (a peer
//! still running then is killed and the case reported as failed), and their reports collected;
//! the implementations of one case run alternately, round after round, so that the machine's
//! noise hits them alike.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use super::args::BenchArgs;
use super::case::{Case, Impl, Role, Transport, ipc_address};
use super::pin::{pin_to, two_cpus};
use super::plan::groups;
use super::port::{free_port, listening};
use super::process::Running;
use super::produce::ceiling;
use super::report::{Round, Row};
use super::vidgear::VidgearPeer;
use crate::error::{CliError, FlagError};

/// How long a receive peer may take to start listening.
const LISTEN_WAIT: Duration = Duration::from_secs(15);

/// What starting a case's peers takes: the executables, the run's keys and limits.
pub(super) struct Supervisor {
    /// This executable, whose `bench-peer` runs the netgear-rs and raw peers.
    exe: PathBuf,
    vidgear: Option<VidgearPeer>,
    case_timeout: Duration,
    peer_timeout: f64,
    /// The CPUs of the receive and the send peer, with `--pin`.
    pub pin: Option<(usize, usize)>,
    /// The keys of the `secure` peers, made for this run.
    keys: Option<RunKeys>,
}

/// A keys directory (`netgear keygen`'s layout) made for one run, removed at its end.
struct RunKeys(PathBuf);

impl RunKeys {
    fn new() -> netgear::Result<RunKeys> {
        let dir = std::env::temp_dir().join(format!("netgear-bench-keys-{}", std::process::id()));
        let keys = RunKeys(dir);
        netgear::secure::KeyFiles::new(&keys.0).generate(true)?;
        Ok(keys)
    }
}

impl Drop for RunKeys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Supervisor {
    /// The supervisor of a run of `impls` (keys made if `secure` is among them, CPUs chosen
    /// with `--pin`).
    pub(super) fn new(
        args: &BenchArgs,
        vidgear: Option<VidgearPeer>,
        impls: &[Impl],
    ) -> Result<Supervisor, CliError> {
        let exe = std::env::current_exe().map_err(netgear::Error::from)?;
        let keys = if impls.contains(&Impl::Secure) {
            Some(RunKeys::new()?)
        } else {
            None
        };
        let pin = if args.pin {
            Some(two_cpus().ok_or_else(|| FlagError::value("--pin", "needs two CPUs to run on"))?)
        } else {
            None
        };
        Ok(Supervisor {
            exe,
            vidgear,
            case_timeout: Duration::from_secs_f64(args.case_timeout),
            peer_timeout: args.peer_timeout,
            pin,
            keys,
        })
    }

    /// Runs every case `repeat` times, the implementations of a case alternately (raw, netgear,
    /// raw, netgear, …), telling each round's outcome on stderr: the rows of the table.
    pub(super) fn run_all(&self, cases: &[Case], repeat: u32) -> Vec<Row> {
        let mut rows: Vec<Row> = cases.iter().map(|c| Row::new(c, repeat)).collect();
        let runs = cases.len() * repeat as usize;
        let mut done = 0;
        for group in groups(cases) {
            for round in 1..=repeat {
                let rows = &mut rows[group.clone()];
                for (case, row) in cases[group.clone()].iter().zip(rows) {
                    let result = self.run(case);
                    done += 1;
                    eprintln!(
                        "[{done}/{runs}] round {round}/{repeat} {}",
                        progress(case, &result)
                    );
                    row.rounds.push(result);
                }
            }
        }
        rows
    }

    /// Runs one round of a case.
    fn run(&self, case: &Case) -> Round {
        let started = Instant::now();
        let mut round = Round::default();
        if let Err(e) = self.measure(case, &mut round) {
            round.error = Some(e);
        }
        round.wall = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0;
        round
    }

    /// Starts the peers, waits for them, and puts their reports into `round` (the ceiling is
    /// measured here, as its receive side).
    fn measure(&self, case: &Case, round: &mut Round) -> Result<(), String> {
        if case.implementation == Impl::Ceil {
            let report = ceiling(case.width, case.height, case.frames);
            round.serve = Some(report.clone());
            round.recv = Some(report);
            return Ok(());
        }
        let deadline = Instant::now() + self.case_timeout;
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let (mut recv, mut serve) = self.start(case, port)?;
        let timed_out = !wait(&mut recv, serve.as_mut(), deadline);
        let mut errors = Vec::new();
        if timed_out {
            errors.push(format!(
                "killed after {:.0} s",
                self.case_timeout.as_secs_f64()
            ));
        }
        match recv.report("recv") {
            Ok(r) => round.recv = Some(r),
            Err(e) => errors.push(e),
        }
        match serve.map(|s| s.report("serve")) {
            Some(Ok(r)) => round.serve = Some(r),
            Some(Err(e)) => errors.push(e),
            None => errors.push("serve: not started".into()),
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Starts the receive peer, waits until it listens on `port`, and starts the send peer
    /// (none when the receive peer has ended before listening: its report says why).
    fn start(&self, case: &Case, port: u16) -> Result<(Running, Option<Running>), String> {
        let start = |role| {
            let cmd = self
                .command(case, role, port)
                .ok_or("the vidgear peer is not available")?;
            Running::spawn(cmd).map_err(|e| format!("cannot start the {} peer: {e}", role.name()))
        };
        let mut recv = start(Role::Recv)?;
        let listen_by = Instant::now() + LISTEN_WAIT.min(self.case_timeout);
        // Over shm either end may open first.
        let listens = || match case.implementation.transport() {
            Transport::Ipc => std::path::Path::new(&format!("{}:{port}", ipc_address())).exists(),
            Transport::Shm | Transport::None => true,
            Transport::Tcp => listening(port),
        };
        while !listens() && !recv.done() && Instant::now() < listen_by {
            std::thread::sleep(Duration::from_millis(5));
        }
        if recv.done() {
            return Ok((recv, None));
        }
        match start(Role::Serve) {
            Ok(serve) => Ok((recv, Some(serve))),
            Err(e) => {
                recv.kill();
                Err(e)
            }
        }
    }

    /// The command of one peer of a case (none for vidgear's when it is not available).
    fn command(&self, case: &Case, role: Role, port: u16) -> Option<Command> {
        let mut cmd = match case.implementation {
            Impl::Vidgear => {
                let peer = self.vidgear.as_ref()?;
                let mut c = Command::new(&peer.python);
                c.arg(&peer.script);
                c
            }
            i => {
                let mut c = Command::new(&self.exe);
                c.args(["bench-peer", i.name()]);
                c
            }
        };
        cmd.arg(role.name())
            .args(["--port", &port.to_string()])
            .args(["--pattern", &case.pattern.to_string()])
            .args(["--width", &case.width.to_string()])
            .args(["--height", &case.height.to_string()])
            .args(["--frames", &case.frames.to_string()])
            .args(["--reply", case.reply.name()])
            .args(["--timeout", &self.peer_timeout.to_string()]);
        if case.implementation == Impl::Secure {
            cmd.arg("--keys").arg(&self.keys.as_ref()?.0);
        }
        if let Some((recv, serve)) = self.pin {
            pin_to(&mut cmd, if role == Role::Recv { recv } else { serve });
        }
        Some(cmd)
    }
}

/// Waits for both peers until `deadline`, then kills those still running: whether they ended
/// in time.
fn wait(recv: &mut Running, mut serve: Option<&mut Running>, deadline: Instant) -> bool {
    loop {
        let serve_done = serve.as_mut().is_none_or(|s| s.done());
        if recv.done() && serve_done {
            return true;
        }
        if Instant::now() >= deadline {
            recv.kill();
            if let Some(s) = serve {
                s.kill();
            }
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A round's line of progress: the case and its rate, or why it failed.
fn progress(case: &Case, result: &Round) -> String {
    format!(
        "{:<7} pattern {} reply {:<5} {}x{}: {}",
        case.implementation.name(),
        case.pattern,
        case.reply.name(),
        case.width,
        case.height,
        match (&result.error, result.fps()) {
            (Some(e), _) => format!("FAILED: {e}"),
            (None, fps) => format!("{:.0} fps", fps.unwrap_or(0.0)),
        }
    )
}
