//! A peer process whose output is collected while it runs (on a thread per pipe, so that a peer
//! that writes much cannot block on a full pipe), and its report read from its last JSON line.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use serde_json::Value as Json;

use super::peer_report::PeerReport;

/// A running peer process whose output is being collected.
pub(super) struct Running {
    child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
    status: Option<std::process::ExitStatus>,
}

fn read_all(mut r: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

impl Running {
    pub(super) fn spawn(mut cmd: Command) -> std::io::Result<Running> {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = read_all(
            child
                .stdout
                .take()
                .ok_or_else(|| std::io::Error::other("no stdout pipe"))?,
        );
        let stderr = read_all(
            child
                .stderr
                .take()
                .ok_or_else(|| std::io::Error::other("no stderr pipe"))?,
        );
        Ok(Running {
            child,
            stdout,
            stderr,
            status: None,
        })
    }

    /// Whether the process has exited (reaping it).
    pub(super) fn done(&mut self) -> bool {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status.is_some()
    }

    pub(super) fn kill(&mut self) {
        if !self.done() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }

    /// The peer's report from its last JSON line, or what went wrong.
    pub(super) fn report(self, name: &str) -> std::result::Result<PeerReport, String> {
        let out = self.stdout.join().unwrap_or_default();
        let err = self.stderr.join().unwrap_or_default();
        let last_err = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let parsed = out
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| serde_json::from_str::<Json>(l).ok())
            .filter(Json::is_object)
            .map(|j| PeerReport::from_json(&j));
        let success = self.status.is_some_and(|s| s.success());
        match parsed {
            Some(r) if success && r.error.is_none() => Ok(r),
            Some(r) => Err(format!(
                "{name}: {}",
                r.error.as_deref().unwrap_or(last_err)
            )),
            None => Err(format!(
                "{name}: no JSON line ({}){}",
                self.status.map_or("killed".to_owned(), |s| s.to_string()),
                if last_err.is_empty() {
                    String::new()
                } else {
                    format!(": {last_err}")
                }
            )),
        }
    }
}
