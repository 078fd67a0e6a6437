//! The live status line of `netgear recv` and `netgear serve`: drawn on a terminal once a
//! stream has run for a moment, never when stderr is not a terminal or with `--json`. The
//! terminal is a real pseudo-terminal, from util-linux's `script`.

mod common;

use std::process::Command;
use std::time::Duration;

use common::free_port;
use common::proc::{NETGEAR, Proc};

const HANG: Duration = Duration::from_secs(60);

/// Runs a receiver (under a pseudo-terminal when `tty`) and a sender streaming 2 s of frames
/// at 30 fps, and returns everything the receiver wrote to its terminal or its stderr, and the
/// sender's stderr.
fn run(tty: bool, json: bool) -> (String, String) {
    let port = free_port();
    let mut recv = format!("{NETGEAR} recv --address 127.0.0.1 --port {port} --timeout 20");
    if json {
        recv += " --json";
    }
    let rx = if tty {
        let mut c = Command::new("script");
        // -q quiet, -e the child's exit status, -f flush as written, -c the command.
        c.args(["-qefc", &recv, "/dev/null"]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", &recv]);
        c
    };
    let mut rx = Proc::spawn("recv", rx);
    rx.await_listening(port, HANG);
    let serve: Vec<String> = [
        "serve",
        "--address",
        "127.0.0.1",
        "--port",
        &port.to_string(),
    ]
    .into_iter()
    .chain([
        "--fps", "30", "--frames", "60", "--width", "64", "--height", "48",
    ])
    .map(String::from)
    .collect();
    let tx = Proc::netgear("serve", &serve).wait(HANG);
    tx.assert_success();
    let rx = rx.wait(HANG);
    rx.assert_success();
    (rx.stdout_text() + &rx.stderr_text(), tx.stderr_text())
}

#[test]
fn a_terminal_gets_a_live_status_line() {
    let (shown, _) = run(true, false);
    assert!(shown.contains("frames · "), "{shown:?}");
    assert!(shown.contains("MB/s on the wire"), "{shown:?}");
    assert!(shown.contains(" · age "), "{shown:?}");
    assert!(shown.contains("received 60 frames"), "{shown:?}");
}

#[test]
fn no_status_line_off_a_terminal_or_with_json() {
    for (tty, json) in [(false, false), (true, true)] {
        let (shown, served) = run(tty, json);
        assert!(
            !shown.contains("on the wire"),
            "tty {tty}, json {json}: {shown:?}"
        );
        assert!(!served.contains("on the wire"), "{served:?}");
        assert!(shown.contains("received 60 frames"), "{shown:?}");
    }
}

/// The summaries count the bytes as they went on the wire: compressed, far fewer than the
/// frames' own, and what one end sent the other received.
#[test]
fn summaries_count_wire_bytes() {
    let port = free_port().to_string();
    let at = ["--address", "127.0.0.1", "--port", &port];
    let recv: Vec<String> = ["recv", "--json", "--timeout", "20"]
        .iter()
        .chain(&at)
        .map(|s| s.to_string())
        .collect();
    let mut rx = Proc::netgear("recv", &recv);
    rx.await_listening(port.parse().expect("a port"), HANG);
    let serve: Vec<String> = ["serve", "--json", "--frames", "30", "--compress", "jpeg"]
        .iter()
        .chain(&at)
        .map(|s| s.to_string())
        .collect();
    let tx = Proc::netgear("serve", &serve).wait(HANG);
    tx.assert_success();
    let rx = rx.wait(HANG);
    rx.assert_success();
    let (sent, got) = (tx.summary(), rx.summary());
    let bytes = |v: &serde_json::Value| v["wire_bytes"].as_u64().expect("wire_bytes");
    let raw = 30 * 640 * 480 * 3;
    assert!(bytes(&sent) < raw / 5, "{sent}");
    // The receiver also counts the end message.
    assert!(bytes(&got) >= bytes(&sent), "sent {sent}, received {got}");
    assert!(
        bytes(&got) < bytes(&sent) + 64,
        "sent {sent}, received {got}"
    );
    assert!(
        sent["wire_mb_s"].as_f64().expect("wire_mb_s") > 0.0,
        "{sent}"
    );
}
