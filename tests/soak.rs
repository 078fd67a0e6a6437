//! A short soak in every pattern, through `netgear soak` as a user runs it: nothing lost or
//! reordered where the pattern guarantees delivery, no errors, memory flat.

mod common;

use std::process::Command;

use serde_json::Value;

/// Runs `netgear soak` for one pattern and returns its JSON report.
fn soak(pattern: u8) -> Value {
    // Both ends are in the soak's process: its client binds a port the kernel picks.
    let port = "0";
    let out = Command::new(env!("CARGO_BIN_EXE_netgear"))
        .args([
            "soak", "--frames", "3000", "--width", "64", "--height", "48",
        ])
        .args(["--pattern", &pattern.to_string(), "--port", port, "--json"])
        .output()
        .expect("run netgear soak");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "soak failed:\n{stdout}\n{stderr}");
    let line = stdout.lines().last().expect("a report line");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
}

fn check(pattern: u8) {
    let r = soak(pattern);
    assert_eq!(r["pattern"], pattern, "{r}");
    assert_eq!(r["errors"], serde_json::json!([]), "{r}");
    assert_eq!(r["sent"], 3000, "{r}");
    if pattern == 2 {
        // Every frame while the subscriber kept up (the first 2,400), in order; after the
        // flood, the newest.
        assert_eq!(r["lost_keeping_up"], 0, "{r}");
        assert_eq!(r["out_of_order"], 0, "{r}");
        assert_eq!(r["newest_arrived"], true, "{r}");
        assert!(r["received"].as_u64().expect("received") >= 2401, "{r}");
    } else {
        assert_eq!(r["received"], 3000, "{r}");
        assert_eq!(r["lost"], 0, "{r}");
        assert_eq!(r["out_of_order"], 0, "{r}");
    }
    if pattern < 2 {
        // every frame answered; the first answer is empty (vidgear's FIFO semantics)
        assert_eq!(r["replies"], 2999, "{r}");
    }
    let (start, end) = (r["rss_start_kb"].as_u64(), r["rss_end_kb"].as_u64());
    assert!(start.expect("rss_start_kb") > 0, "{r}");
    assert!(
        end.expect("rss_end_kb") <= start.expect("rss_start_kb") + 8 * 1024,
        "{r}"
    );
}

#[test]
fn soak_pair() {
    check(0);
}

#[test]
fn soak_reqrep() {
    check(1);
}

#[test]
fn soak_pubsub() {
    check(2);
}

#[test]
fn soak_pushpull() {
    check(3);
}
