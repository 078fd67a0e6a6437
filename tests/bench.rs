//! Smoke test of `netgear bench`: a short run of the netgear-rs and raw-libzmq cases at 64×64,
//! every peer in its own process, two alternating rounds. Checks that every case finished and
//! reported numbers; no timing is asserted (`--case-timeout` bounds a hang).

mod common;

use std::process::Command;

use common::proc::Proc;

use serde_json::Value as Json;

/// Runs `netgear bench` with `args` (split at spaces; its JSON written to a file of its own,
/// `name`), asserts it succeeded, and gives its stdout and its rows.
fn bench(name: &str, args: &str) -> (String, Vec<Json>) {
    let out = std::env::temp_dir().join(format!("netgear-{name}-{}.json", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_netgear"))
        .arg("bench")
        .args(args.split_whitespace())
        .arg("--json")
        .arg(&out)
        .output()
        .expect("run netgear bench");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "bench failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let text = std::fs::read_to_string(&out).expect("the JSON file");
    let _ = std::fs::remove_file(&out);
    let doc: Json = serde_json::from_str(&text).expect("valid JSON");
    let rows = doc["rows"].as_array().expect("rows").clone();
    (stdout, rows)
}

#[test]
fn bench_runs_every_case_and_reports_numbers() {
    let (stdout, rows) = bench(
        "bench",
        "--frames 50 --sizes 64x64 --repeat 2 --cases netgear,raw --case-timeout 15",
    );
    assert!(stdout.contains("what the numbers mean"), "{stdout}");
    // 2 implementations × lock-step patterns 0 and 1 × text and frame replies.
    assert_eq!(rows.len(), 8, "{rows:?}");
    for row in &rows {
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

/// A brief run of the same-host cases: netgear-rs over shm and ipc, raw libzmq over ipc and
/// the ceiling (a memset of each frame), at 64×64, one round of a few frames: every row there,
/// ratios to the ceiling, hand-over times from the receivers that check every frame.
#[test]
fn bench_runs_the_same_host_cases_and_the_ceiling() {
    let (_, rows) = bench(
        "bench-shm",
        "--frames 30 --sizes 64x64 --cases shm,ipc,raw-ipc,ceil --case-timeout 20",
    );
    // 4 implementations × lock-step patterns 0 and 1 × text and frame replies.
    assert_eq!(rows.len(), 16, "{rows:?}");
    for row in &rows {
        let num = |k: &str| row[k].as_f64().unwrap_or(0.0);
        assert_eq!(row["ok"], Json::Bool(true), "{row}");
        assert_eq!(num("frames_received"), 30.0, "{row}");
        assert!(num("fps") > 0.0, "{row}");
        if row["impl"] == "ceil" {
            assert!(row["ratio_ceil"].is_null(), "{row}");
        } else {
            assert!(num("ratio_ceil") > 0.0, "{row}");
            assert!(row["handover_p99_us"].as_f64().is_some(), "{row}");
            assert!(row["rtt_p50_us"].as_f64().is_some(), "{row}");
        }
    }
    let transports: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["transport"].as_str())
        .collect();
    for t in ["shm", "ipc", "none"] {
        assert!(transports.contains(&t), "{transports:?}");
    }
}

/// `netgear plot` on results with numbers no chart can scale to (an fps of 1.3e308, a frame age
/// of 9e307 ms: it spun at 100 % CPU on them) refuses the file, naming the line and the field.
#[test]
fn plot_refuses_numbers_out_of_range() {
    let dir = std::env::temp_dir().join(format!("netgear-plot-range-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let line = |fps: &str, age: &str| {
        format!(
            r#"{{"impl":"raw","size":"640x480","rate":"10mbit","source_fps":30.0,"fps":{fps},"age_p50_ms":{age},"age_p99_ms":{age}}}"#
        )
    };
    for (fps, age, field) in [("1.3e308", "5.0", "fps"), ("30.0", "9e307", "age_p50_ms")] {
        let results = dir.join("results.jsonl");
        std::fs::write(
            &results,
            format!("{}\n{}\n", line("29.0", "4.0"), line(fps, age)),
        )
        .expect("written");
        let args = [
            "plot".to_owned(),
            results.to_string_lossy().into_owned(),
            "--out".to_owned(),
            dir.join("chart.svg").to_string_lossy().into_owned(),
        ];
        // The limit guards against the old hang; the refusal takes milliseconds.
        let out = Proc::netgear("plot", &args).wait(std::time::Duration::from_secs(60));
        let stderr = out.stderr_text();
        assert!(!out.status.success(), "{field}: plotted anyway");
        assert!(
            stderr.contains("results.jsonl:2") && stderr.contains(&format!("\"{field}\" is")),
            "{stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).expect("removed");
}
