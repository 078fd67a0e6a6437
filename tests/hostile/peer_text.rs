//! A peer's text in errors and logs is cut short: a frame whose `kind` (or dtype) is megabytes
//! long gives an error of a few hundred bytes, in the library and on the command line, however
//! many such messages come.

use std::time::Duration;

use crate::common;
use crate::common::proc::Proc;
use crate::common::raw::{Side, socket};
use crate::common::{tcp, within};
use crate::shared;
use netgear::{Client, DecodeError, Error, OnBadMessage, Options, PEER_TEXT_LIMIT, Pattern};

const HANG: Duration = Duration::from_secs(60);

/// A frame message whose frame map carries `kind` of `len` bytes (msgpack_numpy's keys, all
/// else valid).
fn long_kind_message(len: usize) -> Vec<Vec<u8>> {
    let mut header = Vec::new();
    netgear::wire::encode_header(&mut header, false, None);
    let mut part = Vec::new();
    rmp::encode::write_map_len(&mut part, 5).expect("in memory");
    rmp::encode::write_bin(&mut part, b"nd").expect("in memory");
    rmp::encode::write_bool(&mut part, true).expect("in memory");
    rmp::encode::write_bin(&mut part, b"type").expect("in memory");
    rmp::encode::write_str(&mut part, "|u1").expect("in memory");
    rmp::encode::write_bin(&mut part, b"kind").expect("in memory");
    rmp::encode::write_bin(&mut part, &vec![b'"'; len]).expect("in memory");
    rmp::encode::write_bin(&mut part, b"shape").expect("in memory");
    rmp::encode::write_array_len(&mut part, 1).expect("in memory");
    rmp::encode::write_uint(&mut part, 1).expect("in memory");
    rmp::encode::write_bin(&mut part, b"data").expect("in memory");
    rmp::encode::write_bin(&mut part, &[7]).expect("in memory");
    vec![header, part]
}

/// The library: the error for a 4 MiB `kind` (of quotes, which an escape doubles) is short,
/// and says how long the peer's text was; skipped messages keep the stream going.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_megabyte_kind_gives_a_short_error() {
    let _turn = shared();
    let client = Client::new(tcp(Pattern::PushPull, 0, false, 5000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let raw = socket(zmq::PUSH, port, Side::Connect);
    let message = long_kind_message(4 << 20);
    let sender = std::thread::spawn(move || {
        raw.send_multipart(&message, 0).expect("sent");
        raw
    });
    let e = within(client.recv()).await.expect_err("refused");
    let Error::Decode(DecodeError::UnsupportedDtype(text)) = &e else {
        panic!("{e:?}")
    };
    assert!(
        text.len() < 2 * PEER_TEXT_LIMIT + 64,
        "{} bytes",
        text.len()
    );
    assert!(text.contains(&format!("({} bytes)", 4 << 20)), "{text}");
    let line = netgear::error_chain(&e);
    assert!(line.len() < 512, "{} bytes: {line}", line.len());
    drop(sender.join().expect("the sender"));
}

/// With the skip policy twenty such messages are skipped and counted, and the good frame after
/// them arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skipped_long_kinds_leave_the_stream_intact() {
    let _turn = shared();
    let client = Client::new(Options {
        on_bad_message: OnBadMessage::Skip,
        ..tcp(Pattern::PushPull, 0, false, 5000)
    })
    .expect("binds");
    let port = client.local_port().expect("a tcp port");
    let raw = socket(zmq::PUSH, port, Side::Connect);
    let sender = std::thread::spawn(move || {
        let bad = long_kind_message(1 << 20);
        for _ in 0..20 {
            raw.send_multipart(&bad, 0).expect("sent");
        }
        raw.send_multipart(common::raw::good_message(), 0)
            .expect("sent");
        raw
    });
    let (_, frame) = within(client.recv())
        .await
        .expect("the good frame")
        .expect("not terminated");
    assert_eq!(frame.as_bytes(), &[7u8; 12]);
    assert_eq!(client.skipped(), 20);
    drop(sender.join().expect("the sender"));
}

/// The command: `netgear recv --json` given a 4 MiB `kind` prints one short error line and a
/// short summary (before, the `kind` was escaped twice into 25 MB of stderr).
#[test]
fn the_command_prints_a_short_error() {
    let _turn = shared();
    let args: Vec<String> = [
        "recv",
        "--json",
        "--address",
        "127.0.0.1",
        "--pattern",
        "3",
        "--timeout",
        "20",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(["--port".to_string(), "0".to_string()])
    .collect();
    let mut rx = Proc::netgear("recv", &args);
    let port = rx.await_bound_port(HANG);
    let raw = socket(zmq::PUSH, port, Side::Connect);
    raw.send_multipart(long_kind_message(4 << 20), 0)
        .expect("sent");
    let out = rx.wait(HANG);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr_text());
    let (stderr, stdout) = (out.stderr_text(), out.stdout_text());
    assert!(stderr.len() < 1024, "{} bytes of stderr", stderr.len());
    assert!(stdout.len() < 1024, "{} bytes of stdout", stdout.len());
    assert!(stderr.contains("unsupported dtype kind"), "{stderr}");
    drop(raw);
}
