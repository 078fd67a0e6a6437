//! The flags of `netgear bench` and of one benchmark peer (`netgear bench-peer`), and their
//! checks: every bad value is refused before a process is started.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use netgear::Pattern;

use super::case::{Impl, ReplyKind, Role};
use crate::error::{CliError, FlagError};

/// Frame sizes measured when `--sizes` is not given (`--sizes` takes any WxH, 4K's
/// 3840x2160 included: netgear's default `max_message_size`, 64 MiB, and the shm slot,
/// `min(max_message_size, 32 MiB)`, both hold a 4K BGR frame).
pub const DEFAULT_SIZES: [(usize, usize); 3] = [(64, 64), (640, 480), (1920, 1080)];

/// `netgear bench`: the options of a run.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Frames per case, overriding every default count.
    #[arg(long)]
    pub frames: Option<u64>,
    /// Frame sizes, comma-separated WxH (default 64x64,640x480,1920x1080; sizes up to 64x64
    /// run the lock-step cases only).
    #[arg(long)]
    pub sizes: Option<String>,
    /// Implementations to measure, comma-separated: netgear,secure,raw,vidgear (the default),
    /// and ipc, shm, raw-ipc, ceil: `secure` is netgear-rs with CURVE encryption (keys made for
    /// the run), `ipc`/`shm` netgear-rs over ipc and shared memory, `raw-ipc` raw libzmq over
    /// ipc, `ceil` a memset of each frame alone (the ceiling, and every row's ratio to it).
    #[arg(long)]
    pub cases: Option<String>,
    /// Also write the results as JSON: to FILE, or as the last line of stdout without one.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<String>,
    /// vidgear's benchmark peer, `tests/interop/vg_bench.py` in netgear-rs's sources (default:
    /// $NETGEAR_VG_BENCH). Without it the vidgear rows are left out, with a note saying so.
    #[arg(long, value_name = "PATH")]
    pub vidgear_peer: Option<PathBuf>,
    /// The Python venv with vidgear that runs the vidgear peer (default: $NETGEAR_VENV;
    /// scripts/setup-venv.sh makes one).
    #[arg(long, value_name = "DIR")]
    pub venv: Option<PathBuf>,
    /// Rounds per case: the implementations of a case run alternately this many times each, and
    /// the table shows the medians over the rounds.
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
    /// Seconds a case may take before its peers are killed and it is reported as failed.
    #[arg(long, default_value_t = 60.0)]
    pub case_timeout: f64,
    /// Seconds a peer waits for the other one (passed to the peers as --timeout).
    #[arg(long, default_value_t = 10.0)]
    pub peer_timeout: f64,
    /// Pin the receive peer to one CPU and the send peer to another (the first two this process
    /// may run on). Without it, where the scheduler puts the four threads of a case (each peer
    /// and its libzmq I/O thread) can change a small-frame rate by 1.5x from run to run.
    #[arg(long)]
    pub pin: bool,
}

/// What the flags of a run ask to measure, once checked.
#[derive(Debug)]
pub(super) struct Wanted {
    /// The frame sizes, `(width, height)`.
    pub sizes: Vec<(usize, usize)>,
    /// The implementations, in the table's order.
    pub impls: Vec<Impl>,
}

impl BenchArgs {
    /// Checks every flag of a run.
    pub(super) fn check(&self) -> Result<Wanted, FlagError> {
        let sizes = parse_sizes(self.sizes.as_deref())?;
        let impls = parse_impls(self.cases.as_deref())?;
        if self.repeat == 0 {
            return Err(FlagError::value("--repeat", "must be at least 1"));
        }
        if self.frames == Some(0) {
            return Err(FlagError::value("--frames", "must be at least 1"));
        }
        for (flag, v) in [
            ("--case-timeout", self.case_timeout),
            ("--peer-timeout", self.peer_timeout),
        ] {
            if !v.is_finite() || v <= 0.0 {
                return Err(FlagError::value(
                    format!("{flag} {v}"),
                    "must be a positive number of seconds",
                ));
            }
        }
        Ok(Wanted { sizes, impls })
    }
}

fn parse_sizes(spec: Option<&str>) -> Result<Vec<(usize, usize)>, FlagError> {
    let Some(spec) = spec else {
        return Ok(DEFAULT_SIZES.to_vec());
    };
    spec.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let bad = || FlagError::value("--sizes", format!("{s:?} is not WxH"));
            let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
            let (w, h) = (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
            if w == 0 || h == 0 {
                return Err(bad());
            }
            Ok((w, h))
        })
        .collect()
}

fn parse_impls(spec: Option<&str>) -> Result<Vec<Impl>, FlagError> {
    let Some(spec) = spec else {
        return Ok(vec![Impl::Raw, Impl::Netgear, Impl::Secure, Impl::Vidgear]);
    };
    let mut impls = Vec::new();
    for s in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let i = Impl::from_str(s, true).map_err(|_| {
            FlagError::value(
                "--cases",
                format!(
                    "{s:?}: valid cases are netgear, secure, ipc, shm, raw, raw-ipc, vidgear, ceil"
                ),
            )
        })?;
        if !impls.contains(&i) {
            impls.push(i);
        }
    }
    // Always in the same order, so that the table reads the same way.
    impls.sort_by_key(|i| match i {
        Impl::Ceil => 0,
        Impl::Raw => 1,
        Impl::RawIpc => 2,
        Impl::Netgear => 3,
        Impl::Secure => 4,
        Impl::Ipc => 5,
        Impl::Shm => 6,
        Impl::Vidgear => 7,
    });
    Ok(impls)
}

/// `netgear bench-peer`: one end of a benchmark case (the peer contract, see `bench`'s module
/// doc).
#[derive(Debug, Clone, Args)]
pub struct PeerArgs {
    /// netgear, secure, ipc, shm, raw or raw-ipc (vidgear's peer is
    /// tests/interop/vg_bench.py; ceil runs in `bench` itself).
    #[arg(value_enum)]
    pub implementation: Impl,
    /// serve (send mode, connects) or recv (receive mode, binds).
    #[arg(value_enum)]
    pub role: Role,
    /// Port on 127.0.0.1 (ipc: `@netgear-bench:PORT`; shm: the stream `netgear-bench:PORT`).
    #[arg(long)]
    pub port: u16,
    /// 0 PAIR, 1 REQ/REP, 2 PUB/SUB, 3 PUSH/PULL.
    #[arg(long, default_value_t = 0)]
    pub pattern: u8,
    /// Frame width.
    #[arg(long, default_value_t = 640)]
    pub width: usize,
    /// Frame height.
    #[arg(long, default_value_t = 480)]
    pub height: usize,
    /// Frames to send (serve), or expected (recv).
    #[arg(long, default_value_t = 100)]
    pub frames: u64,
    /// How the receive side answers: none, text or frame.
    #[arg(long, value_enum, default_value = "none")]
    pub reply: ReplyKind,
    /// Seconds to wait for the other peer.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// The keys directory (`netgear keygen`) of a `secure` peer.
    #[arg(long)]
    pub keys: Option<PathBuf>,
}

impl PeerArgs {
    /// Whether the peers run in bidirectional mode: patterns 0 and 1 with a reply.
    pub(super) fn bidirectional(&self) -> bool {
        self.pattern <= 1 && self.reply != ReplyKind::None
    }

    /// Checks every flag of a peer: its pattern and timeout, once valid.
    pub(super) fn check(&self) -> Result<(Pattern, Duration), CliError> {
        if self.implementation == Impl::Ceil {
            return Err(FlagError::value(
                "bench-peer ceil",
                "the ceiling is measured by netgear bench itself",
            )
            .into());
        }
        if self.implementation == Impl::Vidgear {
            return Err(FlagError::value(
                "bench-peer vidgear",
                "the vidgear peer is tests/interop/vg_bench.py (netgear bench --vidgear-peer), \
                 not bench-peer",
            )
            .into());
        }
        let pattern = Pattern::try_from(self.pattern).map_err(netgear::Error::from)?;
        if !pattern.has_replies() && self.reply != ReplyKind::None {
            return Err(FlagError::value(
                format!("--reply {}", self.reply.name()),
                "patterns 2 and 3 have no replies",
            )
            .into());
        }
        if !self.timeout.is_finite() || self.timeout <= 0.0 {
            return Err(FlagError::value(
                format!("--timeout {}", self.timeout),
                "must be a positive number of seconds",
            )
            .into());
        }
        if self.width == 0 || self.height == 0 {
            return Err(FlagError::value("--width/--height", "must be > 0").into());
        }
        if self.implementation == Impl::Secure && self.keys.is_none() {
            return Err(FlagError::Missing {
                what: "a secure peer",
                flag: "--keys DIR (netgear keygen DIR)",
            }
            .into());
        }
        Ok((pattern, Duration::from_secs_f64(self.timeout)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_cases_parse() {
        assert_eq!(
            parse_sizes(Some("64x64, 640X480")).unwrap(),
            vec![(64, 64), (640, 480)]
        );
        assert!(parse_sizes(Some("64")).is_err());
        assert!(parse_sizes(Some("0x5")).is_err());
        assert_eq!(
            parse_impls(Some("vidgear,secure,netgear,raw,raw")).unwrap(),
            vec![Impl::Raw, Impl::Netgear, Impl::Secure, Impl::Vidgear]
        );
        assert_eq!(
            parse_impls(Some("shm,ceil,raw-ipc,ipc")).unwrap(),
            vec![Impl::Ceil, Impl::RawIpc, Impl::Ipc, Impl::Shm]
        );
        assert!(parse_impls(Some("zmq")).is_err());
    }
}
