//! Interop with the real vidgear 0.3.6 (from PyPI, in the venv `scripts/setup-venv.sh` makes):
//! netgear-rs send → vidgear receive and vidgear send → netgear-rs receive, in all four
//! patterns, bidirectional on and off, text and structured data, frame replies. Each case runs
//! the `netgear` binary and `tests/interop/vg_peer.py` as two processes and compares what both
//! ends report: frame counts, SHA-256 of the frame bytes, data values, replies. The
//! `requests()` cases run a vidgear server against a netgear-rs client in this process.
//!
//! These tests need the venv; they fail (never skip) when it is missing.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::proc::{NETGEAR, Proc};
use common::{port_below_ephemeral, python};
use serde_json::{Value, json};

const FRAMES: u64 = 20;

/// Bound on any one end's run, or on its start (the venv's imports are slow on a loaded
/// machine): a hang guard.
const HANG: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, PartialEq)]
enum Impl {
    Rust,
    Vidgear,
}

/// Both ends' timeout in the cases that succeed: it bounds how long a receiver waits for the
/// sender to start, so it is generous (it only lengthens a failing run).
fn command(end: Impl, mode: &str, port: u16, pattern: u8, bi: bool, extra: &[String]) -> Command {
    with_timeout(end, mode, port, pattern, bi, extra, "20")
}

fn with_timeout(
    end: Impl,
    mode: &str,
    port: u16,
    pattern: u8,
    bi: bool,
    extra: &[String],
    timeout: &str,
) -> Command {
    let mut cmd = match end {
        Impl::Rust => Command::new(NETGEAR),
        Impl::Vidgear => {
            let mut c = Command::new(python());
            c.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/vg_peer.py"));
            c
        }
    };
    cmd.arg(mode)
        .args(["--address", "127.0.0.1", "--port", &port.to_string()])
        .args(["--pattern", &pattern.to_string(), "--timeout", timeout]);
    if bi {
        cmd.arg("--bidirectional");
    }
    if end == Impl::Rust {
        cmd.arg("--json");
    }
    cmd.args(extra);
    cmd
}

/// Starts a receiving end (`recv` with the cases' timeout) and waits until it has bound;
/// returns it and its port.
fn start_receiver(who: &str, end: Impl, pattern: u8, bi: bool, extra: &[String]) -> (Proc, u16) {
    receiver_with_timeout(who, end, pattern, bi, extra, "20")
}

/// Starts a receiving end and waits until it has bound; returns it and its port. The `netgear`
/// command binds a port the kernel picks and says which; vidgear cannot say, so it is given a
/// port outside the kernel's ephemeral range, where no outgoing connection can take it first.
fn receiver_with_timeout(
    who: &str,
    end: Impl,
    pattern: u8,
    bi: bool,
    extra: &[String],
    timeout: &str,
) -> (Proc, u16) {
    match end {
        Impl::Rust => {
            let cmd = with_timeout(end, "recv", 0, pattern, bi, extra, timeout);
            let mut rx = Proc::spawn(who, cmd);
            let port = rx.await_bound_port(HANG);
            (rx, port)
        }
        Impl::Vidgear => {
            let port = port_below_ephemeral();
            let cmd = with_timeout(end, "recv", port, pattern, bi, extra, timeout);
            let mut rx = Proc::spawn(who, cmd);
            rx.await_listening(port, HANG);
            (rx, port)
        }
    }
}

/// Waits for the process to succeed and returns the JSON summary on its last stdout line.
fn finish(p: Proc) -> Value {
    let exit = p.wait(HANG);
    exit.assert_success();
    exit.summary()
}

struct Case {
    sender: Impl,
    pattern: u8,
    bi: bool,
    serve: Vec<String>,
    recv: Vec<String>,
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Runs both ends and returns (sender's summary, receiver's summary).
fn run(case: &Case) -> (Value, Value) {
    let receiver = match case.sender {
        Impl::Rust => Impl::Vidgear,
        Impl::Vidgear => Impl::Rust,
    };
    let mut serve = case.serve.clone();
    serve.extend(args(&["--frames", &FRAMES.to_string()]));
    match case.sender {
        Impl::Rust => {
            serve.extend(args(&["--width", "64", "--height", "48"]));
            if case.pattern == 2 {
                // PUB/SUB keeps one frame in flight: pace it so that a Python subscriber keeps up.
                serve.extend(args(&["--fps", "100"]));
            }
        }
        // vidgear closes with LINGER 0 right after its terminate message, which can drop what
        // is still queued in patterns 2 and 3: give the queue a moment to drain first.
        Impl::Vidgear if case.pattern >= 2 => {
            serve.extend(args(&["--interval", "0.01", "--tail", "0.1"]));
        }
        Impl::Vidgear => {}
    }
    let (rx, port) = start_receiver("receiver", receiver, case.pattern, case.bi, &case.recv);
    let tx = command(case.sender, "serve", port, case.pattern, case.bi, &serve);
    let tx = Proc::spawn("sender", tx);
    let sent = finish(tx);
    let received = finish(rx);
    (sent, received)
}

/// The checks every case shares: all frames arrived, byte for byte.
fn check_frames(sent: &Value, received: &Value) {
    assert_eq!(sent["frames"], json!(FRAMES), "sent: {sent}");
    assert_eq!(received["frames"], json!(FRAMES), "received: {received}");
    assert_eq!(sent["sha256"], received["sha256"], "frame bytes differ");
    assert_eq!(sent["shape"], received["shape"]);
    assert_eq!(sent["dtype"], received["dtype"]);
}

fn check_data(received: &Value, value: Value) {
    let want: Vec<Value> = vec![value; 10];
    assert_eq!(received["data"], json!(want), "data values differ");
}

/// Every frame but the last gets the reply queued after the frame before it.
fn check_replies(sent: &Value, value: Value) {
    assert_eq!(sent["replies"], json!(FRAMES - 1), "sent: {sent}");
    assert_eq!(sent["reply_data"], json!(vec![value; 5]));
}

fn check_frame_replies(sent: &Value, received: &Value) {
    assert_eq!(sent["reply_frames"], json!(FRAMES - 1), "sent: {sent}");
    assert_eq!(received["reply_frames"], json!(FRAMES - 1));
    assert_eq!(sent["reply_sha256"], received["reply_sha256"]);
}

fn plain(sender: Impl, pattern: u8) {
    let (s, r) = run(&Case {
        sender,
        pattern,
        bi: false,
        serve: vec![],
        recv: vec![],
    });
    if pattern == 2 && r["frames"] != json!(FRAMES) {
        // PUB/SUB may drop frames for a slow subscriber (a loaded machine): it still ended
        // cleanly (checked in `finish`), and got some of them.
        let got = r["frames"].as_u64().unwrap_or(0);
        assert!((1..FRAMES).contains(&got), "received: {r}");
        eprintln!("pattern 2 dropped {} of {FRAMES} frames", FRAMES - got);
        return;
    }
    check_frames(&s, &r);
}

fn text(sender: Impl, pattern: u8) {
    let (s, r) = run(&Case {
        sender,
        pattern,
        bi: true,
        serve: args(&["--data", "Hello from the server"]),
        recv: args(&["--reply", "Hi, I am a client here."]),
    });
    check_frames(&s, &r);
    check_data(&r, json!("Hello from the server"));
    check_replies(&s, json!("Hi, I am a client here."));
}

fn structured(sender: Impl, pattern: u8) {
    let data = json!({"frame": {"id": 7, "tags": ["a", "b"]}, "score": -2.5, "ok": true});
    let reply = json!([1, -300, 70000, 4294967296u64, 0.25, "x", null, false, {"k": [1, 2]}]);
    let (s, r) = run(&Case {
        sender,
        pattern,
        bi: true,
        serve: args(&["--data-json", &data.to_string()]),
        recv: args(&["--reply-json", &reply.to_string()]),
    });
    check_frames(&s, &r);
    check_data(&r, data);
    check_replies(&s, reply);
}

fn frame_replies(sender: Impl, pattern: u8) {
    let (s, r) = run(&Case {
        sender,
        pattern,
        bi: true,
        serve: args(&["--data", "frame"]),
        recv: args(&["--reply-frame"]),
    });
    check_frames(&s, &r);
    check_frame_replies(&s, &r);
}

macro_rules! both_ways {
    ($($name:ident: $f:ident($pattern:expr);)*) => {
        mod rust_to_vidgear {
            use super::*;
            $(#[test] fn $name() { $f(Impl::Rust, $pattern) })*
        }
        mod vidgear_to_rust {
            use super::*;
            $(#[test] fn $name() { $f(Impl::Vidgear, $pattern) })*
        }
    };
}

both_ways! {
    pair_plain: plain(0);
    reqrep_plain: plain(1);
    pubsub_plain: plain(2);
    pushpull_plain: plain(3);
    pair_bidirectional_text: text(0);
    reqrep_bidirectional_text: text(1);
    pair_bidirectional_structured: structured(0);
    reqrep_bidirectional_structured: structured(1);
    pair_frame_replies: frame_replies(0);
    reqrep_frame_replies: frame_replies(1);
}

/// vidgear frames of other dtypes and 2-D shapes arrive byte for byte.
#[test]
fn vidgear_dtypes_and_shapes_to_rust() {
    for (dtype, shape, name) in [
        ("uint16", "48,64", "uint16"),
        ("float32", "12,16,3", "float32"),
        (">i4", "8,8", "int32"),
        ("bool", "6,5", "bool"),
    ] {
        let (s, r) = run(&Case {
            sender: Impl::Vidgear,
            pattern: 0,
            bi: false,
            serve: args(&["--dtype", dtype, "--shape", shape]),
            recv: vec![],
        });
        check_frames(&s, &r);
        assert_eq!(r["dtype"], json!(name));
    }
}

/// The bidirectional mismatch: a vidgear client without bidirectional mode refuses a
/// bidirectional netgear-rs server and exits, and the server ends with an error: it learns
/// that its peer went away (or, had the peer lingered, its timeout).
#[test]
fn mismatch_against_vidgear_client() {
    let (rx, port) = start_receiver("vidgear recv", Impl::Vidgear, 0, false, &[]);
    let serve = args(&["--frames", "3"]);
    let tx = with_timeout(Impl::Rust, "serve", port, 0, true, &serve, "1");
    let out = Proc::run("netgear serve", tx, HANG);
    assert!(!out.status.success());
    let err = out.stderr_text();
    assert!(
        err.contains("went away while this end waited for the client's reply")
            || err.contains("error: timed out"),
        "stderr: {err}"
    );
    let msg = rx.wait(HANG).stdout_text();
    assert!(msg.contains("RuntimeError"), "vidgear said: {msg}");
}

/// Frames in flight (pattern 0) against a vidgear client, which answers every frame as it
/// arrives: every frame arrives, and every answer is matched to its frame.
#[test]
fn frames_in_flight_to_vidgear() {
    for bi in [true, false] {
        let (serve, recv) = if bi {
            (
                args(&["--data", "hi", "--max-in-flight", "4"]),
                args(&["--reply", "ok"]),
            )
        } else {
            (args(&["--max-in-flight", "4"]), vec![])
        };
        let (s, r) = run(&Case {
            sender: Impl::Rust,
            pattern: 0,
            bi,
            serve,
            recv,
        });
        check_frames(&s, &r);
        if bi {
            check_data(&r, json!("hi"));
            check_replies(&s, json!("ok"));
        }
    }
}

/// A compressed frame (a netgear-rs extension) makes a vidgear receiver fail with numpy's
/// error naming the codec, never show garbage pixels; vidgear's own frames are unaffected.
#[test]
fn vidgear_refuses_compressed_frames() {
    for codec in ["jpeg", "lz4", "zstd", "h264"] {
        let (rx, port) = start_receiver("vidgear recv", Impl::Vidgear, 3, false, &[]);
        let serve = args(&["--frames", "3", "--width", "64", "--height", "48"]);
        let serve = [serve, args(&["--compress", codec])].concat();
        // A short timeout: the frames queued for the receiver that died are given up soon.
        let tx = with_timeout(Impl::Rust, "serve", port, 3, false, &serve, "2");
        let tx = Proc::spawn("netgear serve", tx);
        let got = rx.wait(HANG);
        assert!(
            !got.status.success(),
            "vidgear took {codec} frames: {}",
            got.stdout_text()
        );
        let summary = got.summary();
        let error = summary["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("TypeError") && error.contains(&format!("netgear:{codec}")),
            "vidgear said: {summary}"
        );
        assert_eq!(summary["frames"], json!(0), "{summary}");
        let _ = tx.wait(HANG);
    }
}

/// Our encoders write exactly the bytes vidgear's `msgpack.packb` (+ msgpack_numpy) writes for
/// the same values, and our decoders read Python's bytes back to the same values.
#[test]
fn wire_bytes_match_vidgear() {
    use netgear::wire::{self, Header, ReplyHead};
    use netgear::{Data, Dtype, Frame};

    let mut script = Command::new(python());
    script.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/wire_vectors.py"));
    let out = Proc::run("wire_vectors.py", script, HANG);
    out.assert_success();
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // As many cases as wire_vectors.py writes: 28 values (a header each with bi_mode off and
    // on, a reply each) and 11 arrays. A loop over fewer would pass without checking them.
    let count = |key: &str| v[key].as_array().map_or(0, Vec::len);
    assert_eq!(
        (count("header"), count("reply"), count("frame")),
        (56, 28, 11),
        "cases from wire_vectors.py"
    );
    let hex = |s: &Value| hex::decode(s.as_str().expect("hex")).expect("hex");
    let data_of = |d: &Value| (!d.is_null()).then(|| Data::from_json(d));

    for case in v["header"].as_array().expect("headers") {
        let data = data_of(&case["data"]);
        let bi = case["bi_mode"].as_bool().expect("bool");
        let mut mine = Vec::new();
        wire::encode_header(&mut mine, bi, data.as_ref());
        assert_eq!(mine, hex(&case["hex"]), "header {case}");
        let want = data.filter(|d| !d.is_none_marker());
        assert_eq!(
            wire::decode_header(&mine).expect("decode"),
            Header::Frame {
                bi_mode: bi,
                data: want,
                captured: None,
            }
        );
    }
    for case in v["reply"].as_array().expect("replies") {
        let data = data_of(&case["data"]);
        let mut mine = Vec::new();
        wire::encode_reply_data(&mut mine, data.as_ref());
        assert_eq!(mine, hex(&case["hex"]), "reply {case}");
        let want = data.filter(|d| !d.is_none_marker());
        assert_eq!(
            wire::decode_reply(&mine).expect("decode"),
            ReplyHead::Data(want)
        );
    }
    for case in v["frame"].as_array().expect("frames") {
        let dtype = Dtype::parse(case["type"].as_str().expect("type")).expect("dtype");
        let shape: Vec<usize> = serde_json::from_value(case["shape"].clone()).expect("shape");
        let frame = Frame::new(dtype, shape, hex(&case["data_hex"])).expect("frame");
        let python = hex(&case["hex"]);
        assert_eq!(wire::encode_frame(&frame), python, "frame {case}");
        assert_eq!(
            wire::decode_frame(&bytes::Bytes::from(python)).expect("decode"),
            frame
        );
    }
    let mut mine = Vec::new();
    wire::encode_terminate(&mut mine);
    assert_eq!(mine, hex(&v["terminate"]));
    mine.clear();
    wire::encode_reply_frame_head(&mut mine);
    assert_eq!(mine, hex(&v["reply_frame_head"]));
}

/// The reverse mismatch: a bidirectional vidgear server and a netgear-rs client without
/// bidirectional mode — the client fails at once and names itself as the end that lacks it.
#[test]
fn mismatch_against_vidgear_server() {
    // The client's timeout bounds only its wait for vidgear's first frame: generous, as
    // vidgear's imports take a while on a loaded machine.
    let (rx, port) = receiver_with_timeout("netgear recv", Impl::Rust, 0, false, &[], "30");
    let tx = with_timeout(
        Impl::Vidgear,
        "serve",
        port,
        0,
        true,
        &args(&["--frames", "3"]),
        "1",
    );
    let tx = Proc::spawn("vidgear serve", tx);
    let out = rx.wait(HANG);
    assert!(!out.status.success());
    let err = out.stderr_text();
    assert!(
        err.contains("bidirectional mode is not activated on the client end"),
        "stderr: {err}"
    );
    let vg = tx.wait(HANG);
    assert!(
        !vg.status.success(),
        "vidgear should time out waiting for a reply"
    );
}

/// A Rust struct as data: what a Python peer should see as a dict.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Telemetry {
    seq: u64,
    temp: f64,
    tags: Vec<String>,
}

/// Library options for one end on loopback, bidirectional, with the interop cases' timeout.
fn library_options(port: u16) -> netgear::Options {
    netgear::Options {
        address: Some("127.0.0.1".into()),
        port,
        pattern: netgear::Pattern::Pair,
        bidirectional_mode: true,
        timeout: Duration::from_secs(20),
        ..netgear::Options::default()
    }
}

/// A struct sent by a netgear-rs server arrives at a vidgear client as a `dict` keyed by the
/// field names, and the dict the vidgear client answers with (keys in another order) decodes
/// back into the struct by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structs_arrive_at_vidgear_as_dicts() {
    use netgear::{Data, Server};
    use std::sync::{Arc, Mutex};

    let answer = json!({"tags": ["b", "c"], "temp": -3.25, "seq": 8});
    let recv = args(&["--reply-json", &answer.to_string()]);
    let (rx, port) = start_receiver("vidgear recv", Impl::Vidgear, 0, true, &recv);
    let mut server = Server::new(library_options(port)).expect("connects");
    let replies = server.transceiver();
    let taken = Arc::new(Mutex::new(Vec::new()));
    let source = {
        let taken = taken.clone();
        async_stream::stream! {
            for seq in 0..FRAMES {
                taken.lock().unwrap().extend(replies.transceive_data());
                let t = Telemetry { seq, temp: 21.5, tags: vec!["a".into()] };
                let frame = netgear::Frame::from_bgr(netgear::Size { width: 64, height: 48 }, vec![seq as u8; 64 * 48 * 3]);
                yield (Some(Data::from_serde(&t).expect("serialisable")), frame.expect("frame"));
            }
        }
    };
    let sent = server.launch(source).await.expect("launch succeeds");
    assert_eq!(sent, FRAMES);
    let mut taken = std::mem::take(&mut *taken.lock().unwrap());
    taken.extend(server.transceive_data());

    let received = finish(rx);
    assert_eq!(received["frames"], json!(FRAMES), "received: {received}");
    assert_eq!(
        received["data_types"],
        json!(vec!["dict"; 10]),
        "{received}"
    );
    let want: Vec<Value> = (0..10)
        .map(|seq| json!({"seq": seq, "temp": 21.5, "tags": ["a"]}))
        .collect();
    assert_eq!(
        received["data"],
        json!(want),
        "Python saw other keys or values"
    );

    // vidgear sends the answer queued after a frame with the next one: FRAMES - 1 answers.
    assert_eq!(taken.len() as u64, FRAMES - 1, "answers: {taken:?}");
    for reply in &taken {
        let data = reply.as_data().expect("a data answer");
        let t: Telemetry = data.to().expect("the dict decodes by field name");
        assert_eq!(
            t,
            Telemetry {
                seq: 8,
                temp: -3.25,
                tags: vec!["b".into(), "c".into()]
            }
        );
    }
}

/// A dict sent by a vidgear server (keys in another order, one extra) decodes into a Rust
/// struct by field name; asked for a type it does not fit, the error names the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dicts_from_vidgear_decode_into_structs() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // read only to fail
    struct WholeDegrees {
        temp: u8,
    }

    let client = netgear::Client::new(library_options(0)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let sent = json!({"unit": "C", "tags": ["x", "y"], "temp": 21.5, "seq": 7});
    let serve = args(&[
        "--frames",
        &FRAMES.to_string(),
        "--data-json",
        &sent.to_string(),
    ]);
    let tx = Proc::spawn(
        "vidgear serve",
        command(Impl::Vidgear, "serve", port, 0, true, &serve),
    );
    let drained = common::drain(&client).await;
    assert!(drained.error.is_none(), "{:?}", drained.error);
    assert_eq!(drained.items.len() as u64, FRAMES);
    for (data, _) in &drained.items {
        let data = data.as_ref().expect("data with every frame");
        assert_eq!(
            data.to::<Telemetry>().expect("decodes by field name"),
            Telemetry {
                seq: 7,
                temp: 21.5,
                tags: vec!["x".into(), "y".into()]
            }
        );
        let err = data.to::<WholeDegrees>().expect_err("21.5 is not a u8");
        assert!(
            matches!(&err, netgear::DataError::Decode { path, .. } if path == "temp"),
            "{err}"
        );
    }
    client.close().await;
    let served = finish(tx);
    assert_eq!(served["frames"], json!(FRAMES), "{served}");
}

/// A vidgear server and a netgear-rs client answering through `requests()`: every frame gets
/// its own answer, the last one included. (With vidgear's own client, or `transceive_data`,
/// frame n is answered with what was queued after frame n-1, and the last value is never
/// sent: `check_replies` counts `FRAMES - 1`.) Frame i of `vg_peer.py` starts with the byte
/// `i * 13`, which the client reads back to name the frame in its answer.
async fn vidgear_server_to_requests(pattern: u8, echo: bool) {
    use futures::StreamExt;
    use netgear::{Client, Pattern};

    // Generous: it bounds the wait for vidgear's first frame (its imports are slow).
    let options = common::tcp(Pattern::try_from(pattern).unwrap(), 0, true, 30_000);
    let client = Client::new(options).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let serve = args(&["--frames", &FRAMES.to_string(), "--data", "frame"]);
    let tx = Proc::spawn(
        "vidgear serve",
        command(Impl::Vidgear, "serve", port, pattern, true, &serve),
    );
    let answered = async {
        let mut requests = std::pin::pin!(client.requests());
        let mut n = 0u64;
        while let Some(request) = requests.next().await {
            let request = request?;
            assert_eq!(request.data(), Some(&netgear::Data::from("frame")));
            let i = request.frame().as_bytes()[0] / 13;
            if echo {
                let frame = request.frame().clone();
                request.reply(&frame)?;
            } else {
                request.reply(format!("answer to frame {i}"))?;
            }
            n += 1;
        }
        Ok::<_, netgear::Error>(n)
    };
    let answered = tokio::time::timeout(HANG, answered)
        .await
        .expect("the client hung");
    let sent = tokio::task::spawn_blocking(move || finish(tx))
        .await
        .expect("vidgear's summary");
    assert_eq!(answered.expect("the client"), FRAMES);
    assert_eq!(sent["frames"], json!(FRAMES), "sent: {sent}");
    assert_eq!(
        sent["replies"],
        json!(FRAMES),
        "every frame answered: {sent}"
    );
    if echo {
        assert_eq!(sent["reply_frames"], json!(FRAMES), "sent: {sent}");
        assert_eq!(
            sent["reply_sha256"], sent["sha256"],
            "frame i answered with frame i, in order"
        );
    } else {
        let want: Vec<String> = (0..5).map(|i| format!("answer to frame {i}")).collect();
        assert_eq!(sent["reply_data"], json!(want), "sent: {sent}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vidgear_server_gets_each_frames_answer_pattern0() {
    vidgear_server_to_requests(0, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vidgear_server_gets_each_frames_answer_pattern1() {
    vidgear_server_to_requests(1, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vidgear_server_gets_each_frame_back_pattern0() {
    vidgear_server_to_requests(0, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vidgear_server_gets_each_frame_back_pattern1() {
    vidgear_server_to_requests(1, true).await;
}
