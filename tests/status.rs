//! The live status line of `netgear recv` and `netgear serve`: drawn on a terminal once a
//! stream has run for a moment, never when stderr is not a terminal or with `--json`. The
//! terminal is a real pseudo-terminal, from util-linux's `script`. And what their `--json`
//! summaries say about the wire and the codecs.

mod common;

use std::process::Command;
use std::time::Duration;

use common::proc::{NETGEAR, Proc};

const HANG: Duration = Duration::from_secs(60);

/// Runs a receiver (under a pseudo-terminal when `tty`) and a sender streaming 2 s of frames
/// at 30 fps, and returns everything the receiver wrote to its terminal or its stderr, and the
/// sender's stderr.
fn run(tty: bool, json: bool) -> (String, String) {
    let mut recv = format!("{NETGEAR} recv --address 127.0.0.1 --port 0 --timeout 20");
    if json {
        recv += " --json";
    }
    let rx = if tty {
        common::need("script");
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
    // On stderr, or under `script` on its terminal (the child's stdout here).
    let port = rx.await_bound_port(HANG);
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

/// Streams 30 frames of the test pattern from `serve` to `recv` on loopback, each with the
/// extra arguments given, and returns their JSON summaries.
fn summaries(serve_extra: &[&str], recv_extra: &[&str]) -> (serde_json::Value, serde_json::Value) {
    let args = |base: &[&str], port: u16, extra: &[&str]| -> Vec<String> {
        base.iter()
            .chain(&["--address", "127.0.0.1", "--port", &port.to_string()])
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    let mut rx = Proc::netgear(
        "recv",
        &args(&["recv", "--json", "--timeout", "20"], 0, recv_extra),
    );
    let port = rx.await_bound_port(HANG);
    let serve = args(&["serve", "--json", "--frames", "30"], port, serve_extra);
    let tx = Proc::netgear("serve", &serve).wait(HANG);
    tx.assert_success();
    let rx = rx.wait(HANG);
    rx.assert_success();
    (tx.summary(), rx.summary())
}

/// The summaries count the bytes as they went on the wire: compressed, far fewer than the
/// frames' own, and what one end sent the other received.
#[test]
fn summaries_count_wire_bytes() {
    let (sent, got) = summaries(&["--compress", "jpeg"], &[]);
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

/// The summaries give the time per frame spent compressing (sender) and decompressing
/// (receiver), and `recv --psnr` how close the frames came to the test pattern: JPEG at
/// quality 90 above 38 dB, lz4 identical (100 dB), and no codec time for raw frames.
#[test]
fn summaries_report_codec_times_and_psnr() {
    let ms = |v: &serde_json::Value, key: &str| v[key].as_f64();
    for (codec, floor) in [("jpeg", 38.0), ("lz4", 100.0), ("none", 100.0)] {
        let (sent, got) = summaries(&["--compress", codec], &["--psnr"]);
        let context = format!("{codec}: sent {sent}, received {got}");
        if codec == "none" {
            assert_eq!(sent["encode_ms"], serde_json::Value::Null, "{context}");
            assert_eq!(got["decode_ms"], serde_json::Value::Null, "{context}");
        } else {
            assert!(ms(&sent, "encode_ms").is_some_and(|t| t > 0.0), "{context}");
            assert!(ms(&got, "decode_ms").is_some_and(|t| t > 0.0), "{context}");
        }
        // Nothing is decoded at the sender or encoded at the receiver here.
        assert_eq!(sent["decode_ms"], serde_json::Value::Null, "{context}");
        assert_eq!(got["encode_ms"], serde_json::Value::Null, "{context}");
        let measured = got["psnr_frames"].as_u64().expect("psnr_frames");
        let skipped = got["psnr_skipped"].as_u64().expect("psnr_skipped");
        assert!(measured >= 1, "{context}");
        assert_eq!(measured + skipped, 30, "{context}");
        let min = ms(&got, "psnr_min_db").expect("psnr_min_db");
        assert!(min >= floor, "{context}");
        assert!(min <= 100.0, "{context}");
    }
}
