//! `netgear recv --json` against a peer that sends large data: the summary's `data` keeps a
//! preview of each value, cut to about a kilobyte of JSON, never the value itself (a megabyte of
//! binary data was 3.6 MB of JSON, one number per byte).

mod common;

use std::time::Duration;

use common::proc::Proc;
use common::raw::{self, Side};
use netgear::Data;
use netgear::rmpv::Value;
use serde_json::json;

/// Bound on the receiver's run: a hang guard.
const HANG: Duration = Duration::from_secs(60);

/// What each value may take in the summary: the preview's budget (1 KiB) and its markers.
const VALUE_MAX: usize = 1536;

#[test]
fn large_data_is_summarised_in_a_small_preview() {
    let args: Vec<String> = [
        "recv",
        "--address",
        "127.0.0.1",
        "--port",
        "0",
        "--timeout",
        "20",
        "--bidirectional",
        "--json",
    ]
    .map(String::from)
    .into();
    let mut rx = Proc::netgear("recv --json", &args);
    let port = rx.await_bound_port(HANG);

    // Just under the 1 MiB a data part may take.
    let bin: Vec<u8> = (0..1_000_000u32).map(|i| i as u8).collect();
    let values: Vec<Data> = vec![
        Data(Value::Binary(bin.clone())),
        Data(Value::Binary(bin)),
        Data(Value::from("x".repeat(900_000))),
        Data(Value::Array((0..100_000).map(Value::from).collect())),
        Data(Value::Map(
            (0..50_000)
                .map(|i| (Value::from(format!("key{i}")), Value::from(i)))
                .collect(),
        )),
        Data(Value::Array(vec![Value::Binary(vec![0xab; 300_000]); 3])),
        Data(Value::Ext(7, vec![1; 500_000])),
        Data(Value::from("\u{1}".repeat(200_000))),
        Data(Value::from("hi")),
        Data(Value::from(vec![Value::from(1), Value::from("two")])),
    ];
    let peer = std::thread::spawn(move || {
        let s = raw::socket(zmq::PAIR, port, Side::Connect);
        for (i, d) in values.iter().enumerate() {
            s.send_multipart(raw::frame_message(true, Some(d), &common::frame(i)), 0)
                .expect("a frame");
            s.recv_bytes(0).expect("the answer to a frame");
        }
        s.send(raw::terminate(), 0).expect("the end");
        // Held until the receiver has read the end message.
        s
    });
    let exit = rx.wait(HANG);
    exit.assert_success();
    drop(peer.join().expect("peer"));

    let line = exit.stdout_lines().pop().expect("a summary");
    assert!(
        line.len() < 16 * 1024,
        "the summary is {} bytes",
        line.len()
    );
    let summary = exit.summary();
    assert_eq!(summary["frames"], 10, "{line}");
    let data = summary["data"].as_array().expect("data");
    assert_eq!(data.len(), 10);
    for (i, v) in data.iter().enumerate() {
        let len = v.to_string().len();
        assert!(len <= VALUE_MAX, "value {i}: {len} bytes of JSON: {v}");
    }
    // Binary: its length and its first 32 bytes in hex.
    let hex: String = (0..32u8).map(|b| format!("{b:02x}")).collect();
    assert_eq!(data[0], json!({"bin": 1_000_000, "hex": hex}));
    assert_eq!(data[6]["ext"], 7);
    assert_eq!(data[6]["bin"], 500_000);
    // A string cut short ends in `…`; an array in a count of what was left out.
    let text = data[2].as_str().expect("a string");
    assert!(text.starts_with("xxxx") && text.ends_with('…'), "{text}");
    let items = data[3].as_array().expect("an array");
    assert_eq!(items[0], 0);
    let more = items.last().and_then(|m| m.as_str()).expect("a marker");
    assert!(more.starts_with("… ") && more.ends_with(" more"), "{more}");
    assert!(data[4]["…"].is_string(), "{}", data[4]);
    // Small values are shown as they are.
    assert_eq!(data[8], "hi");
    assert_eq!(data[9], json!([1, "two"]));
}
