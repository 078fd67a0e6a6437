//! Smoke test of `netgear bench`: a short run of the netgear-rs and raw-libzmq cases at 64×64,
//! every peer in its own process, two alternating rounds. Checks that every case finished and
//! reported numbers; no timing is asserted (`--case-timeout` bounds a hang).

use std::process::Command;

use serde_json::Value as Json;

#[test]
fn bench_runs_every_case_and_reports_numbers() {
    let out = std::env::temp_dir().join(format!("netgear-bench-{}.json", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_netgear"))
        .args([
            "bench", "--frames", "50", "--sizes", "64x64", "--repeat", "2",
        ])
        .args(["--cases", "netgear,raw", "--case-timeout", "15", "--json"])
        .arg(&out)
        .output()
        .expect("run netgear bench");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "bench failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("what the numbers mean"), "{stdout}");
    let text = std::fs::read_to_string(&out).expect("the JSON file");
    let _ = std::fs::remove_file(&out);
    let doc: Json = serde_json::from_str(&text).expect("valid JSON");
    let rows = doc["rows"].as_array().expect("rows");
    // 2 implementations × lock-step patterns 0 and 1 × text and frame replies.
    assert_eq!(rows.len(), 8, "{text}");
    for row in rows {
        let num = |k: &str| row[k].as_f64().unwrap_or(0.0);
        assert_eq!(row["ok"], Json::Bool(true), "{row}");
        assert!(num("frames_received") > 0.0, "{row}");
        assert!(num("fps") > 0.0, "{row}");
        assert!(
            num("rss_serve_mb") > 0.0 && num("rss_recv_mb") > 0.0,
            "{row}"
        );
        assert!(row["rtt_p50_us"].as_f64().is_some(), "{row}");
    }
}
