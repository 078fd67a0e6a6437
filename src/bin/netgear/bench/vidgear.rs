//! Where the vidgear peer is: vidgear's side of a case is `tests/interop/vg_bench.py` run by the
//! python of a venv with vidgear, both named explicitly (a flag or an environment variable), so
//! that an installed `netgear` finds them as well as one run from the sources. When either is
//! missing the vidgear rows are left out with a note that says how to enable them; the other
//! implementations are measured all the same.

use std::ffi::OsString;
use std::path::PathBuf;

use super::args::BenchArgs;
use super::case::Impl;

/// The environment variable naming the vidgear peer script when `--vidgear-peer` is not given.
pub(super) const VG_BENCH_ENV: &str = "NETGEAR_VG_BENCH";

/// The environment variable naming the vidgear venv when `--venv` is not given.
pub(super) const VENV_ENV: &str = "NETGEAR_VENV";

/// The vidgear peer: the venv's python and `vg_bench.py`.
#[derive(Debug, Clone)]
pub(super) struct VidgearPeer {
    /// The python of the venv with vidgear.
    pub python: PathBuf,
    /// `tests/interop/vg_bench.py`.
    pub script: PathBuf,
}

/// The vidgear peer, if the run measures vidgear. When it cannot be found, vidgear is taken out
/// of `impls` and the returned note says why (it is also told on stderr at once).
pub(super) fn take(
    args: &BenchArgs,
    impls: &mut Vec<Impl>,
) -> (Option<VidgearPeer>, Option<String>) {
    if !impls.contains(&Impl::Vidgear) {
        return (None, None);
    }
    let found = find(
        args.vidgear_peer.clone(),
        std::env::var_os(VG_BENCH_ENV),
        args.venv.clone(),
        std::env::var_os(VENV_ENV),
    );
    match found {
        Ok(peer) => (Some(peer), None),
        Err(why) => {
            eprintln!("vidgear rows skipped: {why}");
            impls.retain(|&i| i != Impl::Vidgear);
            (None, Some(why))
        }
    }
}

/// The peer from the flags, else from the environment, or why it is not there.
fn find(
    script_flag: Option<PathBuf>,
    script_env: Option<OsString>,
    venv_flag: Option<PathBuf>,
    venv_env: Option<OsString>,
) -> Result<VidgearPeer, String> {
    let script = script_flag
        .or_else(|| script_env.filter(|s| !s.is_empty()).map(PathBuf::from))
        .ok_or_else(|| {
            format!(
                "no vidgear peer given: pass --vidgear-peer PATH/TO/tests/interop/vg_bench.py \
                 or set {VG_BENCH_ENV}"
            )
        })?;
    if !script.is_file() {
        return Err(format!(
            "the vidgear peer {} is not a file (--vidgear-peer, {VG_BENCH_ENV})",
            script.display()
        ));
    }
    let venv = venv_flag
        .or_else(|| venv_env.filter(|v| !v.is_empty()).map(PathBuf::from))
        .ok_or_else(|| {
            format!(
                "no venv with vidgear: pass --venv DIR or set {VENV_ENV} \
                 (scripts/setup-venv.sh makes one)"
            )
        })?;
    let python = venv.join("bin/python");
    if !python.exists() {
        return Err(format!("no python in the venv {}", venv.display()));
    }
    Ok(VidgearPeer { python, script })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_is_named_or_left_out_with_a_note() {
        let dir = std::env::temp_dir().join(format!("netgear-vg-find-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("venv/bin")).expect("a temporary directory");
        let (script, venv) = (dir.join("vg_bench.py"), dir.join("venv"));
        std::fs::write(&script, "").expect("written");
        std::fs::write(venv.join("bin/python"), "").expect("written");
        let why = find(None, None, Some(venv.clone()), None).unwrap_err();
        assert!(
            why.contains("--vidgear-peer") && why.contains(VG_BENCH_ENV),
            "{why}"
        );
        let why = find(None, Some(script.clone().into()), None, None).unwrap_err();
        assert!(why.contains("--venv") && why.contains(VENV_ENV), "{why}");
        let why = find(Some(dir.join("missing.py")), None, None, None).unwrap_err();
        assert!(why.contains("missing.py"), "{why}");
        // The flags win over the environment.
        let peer = find(
            Some(script.clone()),
            Some(dir.join("other.py").into()),
            None,
            Some(venv.clone().into()),
        )
        .expect("found");
        assert_eq!(
            (peer.script, peer.python),
            (script, venv.join("bin/python"))
        );
        std::fs::remove_dir_all(&dir).expect("removed");
    }
}
