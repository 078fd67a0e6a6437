//! A stream's pattern and mode as the `netgear` command takes them, and running a case for
//! several at once.

use std::thread;

/// A pattern, and whether bidirectional mode is on.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    pub pattern: u8,
    pub bidirectional: bool,
}

/// The flags of `netgear serve`/`recv` for `m` on 127.0.0.1:`port`, with `--timeout` and
/// `--json`.
pub fn conn(port: u16, m: Mode, timeout: f64) -> Vec<String> {
    let mut a: Vec<String> = [
        "--address",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--pattern",
        &m.pattern.to_string(),
        "--timeout",
        &timeout.to_string(),
        "--json",
    ]
    .map(String::from)
    .into();
    if m.bidirectional {
        a.push("--bidirectional".into());
    }
    a
}

/// Runs `case` for every mode at once, one thread each; re-raises the first failure after all
/// have ended (each one bounds its own waits).
pub fn each_mode(modes: &[Mode], case: impl Fn(Mode) + Sync) {
    let case = &case;
    thread::scope(|s| {
        let handles: Vec<_> = modes.iter().map(|&m| s.spawn(move || case(m))).collect();
        let mut first = None;
        for h in handles {
            if let Err(e) = h.join() {
                first.get_or_insert(e);
            }
        }
        if let Some(e) = first {
            std::panic::resume_unwind(e);
        }
    });
}
