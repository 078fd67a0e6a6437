//! The shared-memory transport (`Protocol::Shm`, feature `shm`), through real iceoryx2 shared
//! memory: both ends in one process, and `netgear` processes (one killed mid-stream).
//!
//! Each test names its own stream (an address of its own), so they run side by side. Nothing
//! waits on the clock: each step waits for the event (a frame counted, a line printed), bounded
//! by a hang guard.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::proc::Proc;
use common::{frame, stream_and_check, within};
use futures::StreamExt;
use netgear::{Client, Data, Dtype, Error, Frame, Options, Pattern, Protocol, Reply, Server};

/// Options for either end of the stream `address` over shm, with a timeout.
fn shm(address: &str, pattern: Pattern, bidirectional: bool, timeout_ms: u64) -> Options {
    Options {
        address: Some(format!("{address}-{}", std::process::id())),
        port: 5555,
        protocol: Protocol::Shm,
        pattern,
        timeout: Duration::from_millis(timeout_ms),
        bidirectional_mode: bidirectional,
        ..Options::default()
    }
}

/// A 1080p-sized frame (640×360×3 here, to keep debug builds quick) whose bytes depend on `i`.
fn big_frame(i: usize) -> Frame {
    let bytes: Vec<u8> = (0..360 * 640 * 3)
        .map(|j| ((i * 31 + j * 7) % 251) as u8)
        .collect();
    Frame::new(Dtype::U8, vec![360, 640, 3], bytes).expect("valid frame")
}

/// Whether `ptr` lies in a mapping of a file in /dev/shm (a received frame borrowing the
/// iceoryx2 sample, not a copy on the heap).
fn in_shared_memory(ptr: *const u8) -> bool {
    let at = ptr as usize;
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    maps.lines().any(|line| {
        let mut fields = line.split_whitespace();
        let range = fields.next().unwrap_or_default();
        let path = fields.nth(4).unwrap_or_default();
        let Some((lo, hi)) = range.split_once('-') else {
            return false;
        };
        let (lo, hi) = (
            usize::from_str_radix(lo, 16).unwrap_or(0),
            usize::from_str_radix(hi, 16).unwrap_or(0),
        );
        lo <= at && at < hi && path.starts_with("/dev/shm/")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_frames_stream_in_patterns_0_1_and_3_plain_and_bidirectional() {
    for (pattern, bidi) in [
        (Pattern::Pair, false),
        (Pattern::Pair, true),
        (Pattern::ReqRep, false),
        (Pattern::ReqRep, true),
        (Pattern::PushPull, false),
    ] {
        let name = format!("small{}{bidi}", pattern.number());
        let opts = shm(&name, pattern, bidi, 5000);
        stream_and_check(opts.clone(), opts, 60).await;
    }
    // Two frames in flight (PAIR), as many as a queue holds.
    let opts = shm("small-window", Pattern::Pair, true, 5000);
    let window = Options {
        max_in_flight: 2,
        ..opts.clone()
    };
    stream_and_check(opts, window, 60).await;
}

/// Large frames arrive whole, their bytes in shared memory (no copy), and the answers (data,
/// frames) come back to the frame they answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_frames_are_received_without_a_copy_and_answered_with_data_and_frames() {
    for pattern in [Pattern::Pair, Pattern::ReqRep] {
        let n = 20;
        let opts = shm(&format!("chat{}", pattern.number()), pattern, true, 5000);
        let client = Client::new(opts.clone()).expect("client opens");
        let mut server = Server::new(opts).expect("server opens");
        let replies = server.transceiver();
        let got = Arc::new(std::sync::Mutex::new(Vec::new()));
        let got_in = got.clone();
        // The answer to frame i-1 is there when the source is asked for frame i (lock-step).
        let source = futures::stream::iter(0..n).map(move |i| {
            if i > 0 {
                got_in.lock().unwrap().push(replies.transceive_data());
            }
            (Some(Data::from(i as u64)), big_frame(i))
        });
        let client_side = async {
            let mut requests = std::pin::pin!(client.requests());
            let mut count = 0;
            while let Some(request) = requests.next().await {
                let request = request.expect("a request");
                let i: u64 = request.data().expect("data").deserialize().expect("u64");
                let frame = request.frame();
                assert_eq!(frame, &big_frame(i as usize), "frame {i}");
                assert!(
                    in_shared_memory(frame.as_bytes().as_ptr()),
                    "frame {i} was copied out of shared memory"
                );
                if i.is_multiple_of(2) {
                    request.reply(i * 10).expect("reply");
                } else {
                    request.reply(big_frame(1000 + i as usize)).expect("reply");
                }
                count += 1;
            }
            count
        };
        let (sent, count) =
            within(async { tokio::join!(server.launch(source), client_side) }).await;
        assert_eq!(sent.expect("launch"), n as u64);
        assert_eq!(count, n);
        let mut got = std::mem::take(&mut *got.lock().unwrap());
        got.push(server.transceive_data());
        assert_eq!(got.len(), n);
        for (i, reply) in got.into_iter().enumerate() {
            match reply {
                Some(Reply::Data(d)) if i % 2 == 0 => {
                    assert_eq!(d.deserialize::<u64>().unwrap(), i as u64 * 10)
                }
                Some(Reply::Frame(f)) if i % 2 == 1 => assert_eq!(f, big_frame(1000 + i)),
                other => panic!("answer to frame {i}: {other:?}"),
            }
        }
    }
}

/// Frames a receiver keeps are copied once it holds as many samples as it may: the stream
/// goes on, every frame intact — and those it holds without a copy stay readable after both
/// ends have closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_kept_by_the_application_do_not_stall_the_stream() {
    let opts = shm("keep", Pattern::Pair, false, 5000);
    let client = Client::new(opts.clone()).expect("client opens");
    let mut server = Server::new(opts).expect("server opens");
    let n = 12;
    let source = futures::stream::iter((0..n).map(big_frame));
    let (sent, drained) =
        within(async { tokio::join!(server.launch(source), common::drain(&client)) }).await;
    assert_eq!(sent.expect("launch"), n as u64);
    assert!(drained.error.is_none(), "{:?}", drained.error);
    let kept: Vec<Frame> = drained.items.into_iter().map(|(_, f)| f).collect();
    assert!(in_shared_memory(kept[0].as_bytes().as_ptr()));
    client.close().await;
    drop(server);
    assert_eq!(kept, (0..n).map(big_frame).collect::<Vec<_>>());
}

/// The sender may open first: it waits for its receiver. Compressed frames travel as any
/// other message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_may_open_first_and_frames_may_be_compressed() {
    let opts = Options {
        compression: netgear::Compression::Lz4,
        ..shm("first", Pattern::ReqRep, false, 5000)
    };
    let mut server = Server::new(opts.clone()).expect("server opens");
    let n = 10;
    let sending = server.launch(futures::stream::iter((0..n).map(big_frame)));
    let receiving = async {
        let client = Client::new(opts).expect("client opens");
        common::drain(&client).await
    };
    let (sent, drained) = within(async { tokio::join!(sending, receiving) }).await;
    assert_eq!(sent.expect("launch"), n as u64);
    assert!(drained.error.is_none(), "{:?}", drained.error);
    let got: Vec<Frame> = drained.items.into_iter().map(|(_, f)| f).collect();
    assert_eq!(got, (0..n).map(big_frame).collect::<Vec<_>>());
}

/// A second end of the same role on a stream is refused while the first is there, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_end_of_the_same_role_is_refused() {
    let opts = shm("second", Pattern::Pair, false, 1000);
    let _client = Client::new(opts.clone()).expect("client opens");
    let _server = Server::new(opts.clone()).expect("server opens");
    let err = Client::new(opts.clone()).expect_err("a second receiver");
    assert!(
        matches!(&err, Error::InvalidOption(text) if text.contains("another receive-mode end")),
        "{err}"
    );
    let err = Server::new(opts).expect_err("a second sender");
    assert!(
        matches!(&err, Error::InvalidOption(text) if text.contains("another send-mode end")),
        "{err}"
    );
}

/// PUSH/PULL: a sender faster than its receiver waits for room (woken as the receiver takes
/// each frame), and every frame arrives, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_pull_waits_for_room_and_loses_nothing() {
    let opts = shm("push", Pattern::PushPull, false, 5000);
    let client = Client::new(opts.clone()).expect("client opens");
    let mut server = Server::new(opts).expect("server opens");
    let n = 200;
    let source = futures::stream::iter((0..n).map(|i| big_frame(i % 7)));
    let (sent, drained) =
        within(async { tokio::join!(server.launch(source), common::drain(&client)) }).await;
    assert_eq!(sent.expect("launch"), n as u64);
    assert!(drained.error.is_none(), "{:?}", drained.error);
    assert_eq!(drained.items.len(), n);
    for (i, (_, f)) in drained.items.iter().enumerate() {
        assert_eq!(f, &big_frame(i % 7), "frame {i}");
    }
}

/// A message larger than the sender's slot fails at the sender, typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_larger_than_the_slot_is_refused_at_the_sender() {
    let opts = Options {
        max_message_size: 64 * 1024,
        ..shm("large", Pattern::Pair, false, 3000)
    };
    let client = Client::new(opts.clone()).expect("client opens");
    let mut server = Server::new(opts).expect("server opens");
    let err = server
        .launch(futures::stream::iter([big_frame(0)]))
        .await
        .expect_err("too large");
    assert!(
        matches!(err, Error::MessageTooLarge { size, limit } if size > limit && limit < 70_000),
        "{err}"
    );
    drop(client);
}

/// PUB/SUB, paced like a camera: an ordered subsequence of the frames arrives, and the end of
/// the stream (the subscriber leaves, the sender stops repeating it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pub_sub_streams_and_ends() {
    let opts = shm("pubsub", Pattern::PubSub, false, 5000);
    common::pub_sub_and_check(opts.clone(), opts, 40).await;
}

/// What shm does not carry yet is refused when an end opens, saying so.
#[tokio::test]
async fn reconnect_and_a_wider_window_are_refused_with_a_clear_error() {
    let reconnect = Options {
        reconnect: true,
        ..shm("refused", Pattern::Pair, false, 1000)
    };
    let err = Client::new(reconnect).expect_err("refused");
    assert!(
        matches!(&err, Error::InvalidOption(text) if text.contains("shm") && text.contains("reconnect")),
        "{err}"
    );
    let window = Options {
        max_in_flight: 3,
        ..shm("refused", Pattern::Pair, false, 1000)
    };
    let err = Server::new(window).expect_err("refused");
    assert!(
        matches!(&err, Error::InvalidOption(text) if text.contains("max_in_flight 3 over shm")),
        "{err}"
    );
    assert_eq!("shm".parse::<Protocol>().unwrap(), Protocol::Shm);
}

/// `netgear serve` and `netgear recv`, two processes, over shm.
#[test]
fn two_processes_stream_over_shm() {
    for (pattern, bidi) in [("0", false), ("1", true), ("2", false), ("3", false)] {
        let address = format!("procs{pattern}-{}", std::process::id());
        let mut args = vec![
            "--protocol",
            "shm",
            "--address",
            &address,
            "--pattern",
            pattern,
            "--timeout",
            "10",
            "--json",
        ];
        if bidi {
            args.push("--bidirectional");
        }
        let recv: Vec<String> = ["recv"]
            .iter()
            .chain(&args)
            .map(|s| s.to_string())
            .collect();
        let mut serve: Vec<String> = ["serve"]
            .iter()
            .chain(&args)
            .map(|s| s.to_string())
            .collect();
        serve.extend(["--frames", "40", "--width", "320", "--height", "240"].map(String::from));
        let client = Proc::netgear("recv", &recv);
        let server = Proc::netgear("serve", &serve);
        let server = server.wait(Duration::from_secs(30));
        server.assert_success();
        let client = client.wait(Duration::from_secs(30));
        client.assert_success();
        if pattern == "2" {
            // PUB/SUB keeps the newest frame for a subscriber: some may be skipped.
            assert!((1..=40).contains(&client.frames()), "{}", client.frames());
            continue;
        }
        assert_eq!(client.frames(), 40);
        assert_eq!(
            client.summary()["sha256"],
            server.summary()["sha256"],
            "the frames received are the frames sent"
        );
    }
}

/// A `netgear recv` killed (SIGKILL) mid-stream: the server finds it gone and fails with
/// `PeerGone` (or its timeout) within its timeout — a PUB/SUB one goes on, and ends its stream
/// cleanly; a new receiver can take the stream's name at once (what the dead one left is
/// removed).
#[test]
fn a_killed_receiver_fails_the_server_within_its_timeout() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for pattern in [
        Pattern::Pair,
        Pattern::ReqRep,
        Pattern::PushPull,
        Pattern::PubSub,
    ] {
        let timeout = Duration::from_secs(3);
        let opts = shm(
            &format!("killed{}", pattern.number()),
            pattern,
            false,
            timeout.as_millis() as u64,
        );
        let address = opts.address.clone().unwrap();
        let recv_args: Vec<String> = [
            "recv",
            "--protocol",
            "shm",
            "--address",
            &address,
            "--pattern",
            &pattern.number().to_string(),
            "--timeout",
            "30",
        ]
        .map(String::from)
        .into();
        let mut client = Proc::netgear("recv", &recv_args);
        let sent = Arc::new(AtomicU64::new(0));
        let counted = sent.clone();
        // Ends once the receiver has been killed (a PUB/SUB sender would go on for ever).
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let source = futures::stream::iter(0..)
            .take_while(move |_| futures::future::ready(!stopped.load(Ordering::Relaxed)))
            .map(move |i| {
                counted.store(i as u64, Ordering::Relaxed);
                frame(i)
            });
        let server = rt.spawn(async move {
            let mut server = Server::new(opts).expect("server opens");
            let result = server.launch(source).await;
            (result, Instant::now())
        });
        // Frames flow (each answered: lock-step), then the receiver is killed.
        client.await_event("50 frames", Duration::from_secs(20), || {
            sent.load(Ordering::Relaxed) >= 50
        });
        let killed = client.kill();
        if pattern == Pattern::PubSub {
            // Frames still go out, to nobody.
            let at = sent.load(Ordering::Relaxed);
            common::net::wait_until("more frames", Duration::from_secs(20), || {
                sent.load(Ordering::Relaxed) >= at + 20
            });
            stop.store(true, Ordering::Relaxed);
        }
        let (result, ended) = rt.block_on(async { within(server).await.unwrap() });
        let took = ended.duration_since(killed);
        eprintln!("pattern {pattern}: {result:?} after {took:?}");
        if pattern == Pattern::PubSub {
            assert!(result.is_ok(), "{result:?}");
        } else {
            assert!(
                matches!(result, Err(Error::PeerGone { .. } | Error::Timeout { .. })),
                "{result:?}"
            );
        }
        assert!(took <= timeout + Duration::from_secs(1), "took {took:?}");
        // The dead receiver's ports are gone: a new one opens on the same name.
        let opts = shm(&format!("killed{}", pattern.number()), pattern, false, 1000);
        rt.block_on(async { Client::new(opts).expect("a new receiver opens") });
    }
}

/// A `netgear serve` killed mid-stream: the receiver's wait for the next frame ends at its
/// timeout, saying the peer has gone.
#[test]
fn a_killed_sender_times_the_receiver_out() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let timeout = Duration::from_secs(2);
    let opts = shm(
        "killed-sender",
        Pattern::Pair,
        false,
        timeout.as_millis() as u64,
    );
    let address = opts.address.clone().unwrap();
    let client = rt.block_on(async { Client::new(opts).expect("client opens") });
    let serve: Vec<String> = [
        "serve",
        "--protocol",
        "shm",
        "--address",
        &address,
        "--timeout",
        "30",
        "--width",
        "32",
        "--height",
        "24",
        "--frames",
        "100000",
    ]
    .map(String::from)
    .into();
    let mut server = Proc::netgear("serve", &serve);
    let (err, killed, ended) = rt.block_on(async {
        let mut frames = std::pin::pin!(client.frames());
        for _ in 0..20 {
            frames.next().await.expect("a frame").expect("a frame");
        }
        let killed = server.kill();
        loop {
            match within(frames.next()).await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => break (e, killed, Instant::now()),
                None => panic!("the stream ended without an error"),
            }
        }
    });
    let took = ended.duration_since(killed);
    eprintln!("{err:?} after {took:?}");
    assert!(
        matches!(
            err,
            Error::Timeout {
                peer: netgear::PeerStatus::Disconnected,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(took <= timeout + Duration::from_secs(1), "took {took:?}");
}

/// The files of a stream are this user's only: the shared memory in /dev/shm (0600, but
/// iceoryx2's node counter, `global_mgmt`, which it makes 0666), and the private directory
/// holding the rest (0700). Each publisher's pool is the size it should be: 6 slots of
/// `max_message_size` and the envelope's few hundred bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_files_are_the_users_only_and_the_pools_bounded() {
    use std::os::unix::fs::MetadataExt;
    let opts = Options {
        max_message_size: 1 << 20,
        ..shm("modes", Pattern::Pair, false, 3000)
    };
    let _client = Client::new(opts.clone()).expect("client opens");
    let _server = Server::new(opts).expect("server opens");
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let prefix = format!("netgear{uid}_");
    let (mut seen, mut pools) = (0, 0);
    for entry in std::fs::read_dir("/dev/shm").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix) {
            continue;
        }
        let meta = entry.metadata().unwrap();
        let mode = meta.mode() & 0o777;
        if name.ends_with("global_mgmt") {
            continue;
        }
        assert_eq!(mode & 0o077, 0, "{name} has mode {mode:o}");
        seen += 1;
        if name.ends_with(".data") {
            // Any test's pool (PUB/SUB's 22 slots of 32 MiB at most), and this one's.
            assert!(
                meta.len() <= 22 * (33 << 20),
                "{name}: {} bytes",
                meta.len()
            );
            let ours = 7 * ((1 << 20) + 253);
            pools += usize::from((ours..ours + 65536).contains(&(meta.len() as usize)));
        }
    }
    assert!(seen > 0, "no shared memory file with the prefix {prefix}");
    assert_eq!(
        pools, 2,
        "this stream's two pools (frames, answers) of 7 slots of 1 MiB"
    );
    let private = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .map(|d| std::path::PathBuf::from(d).join("netgear"))
        .unwrap_or_else(|| std::env::temp_dir().join(format!("netgear-{uid}")));
    let mode = std::fs::metadata(&private).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", private.display());
    assert!(private.join("iceoryx2").is_dir());
}

/// Frames written in place (`Server::frame_buffer`): over shm in lock-step (PAIR, REQ/REP) the
/// buffer is a slot of shared memory, published as it is; in PUSH/PULL, where a full queue
/// would discard a slot, it is on the heap and copied once. Every frame arrives intact, with
/// its data, its bytes in shared memory at the receiver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_written_in_place_are_sent_without_a_copy() {
    for (pattern, bidi, shared) in [
        (Pattern::Pair, true, true),
        (Pattern::ReqRep, false, true),
        (Pattern::PushPull, false, false),
    ] {
        let n = 12;
        let opts = shm(&format!("inplace{}", pattern.number()), pattern, bidi, 5000);
        let client = Client::new(opts.clone()).expect("client opens");
        let mut server = Server::new(opts).expect("server opens");
        let sender = async {
            for i in 0..n {
                let mut buf = server
                    .frame_buffer(Dtype::U8, &[360, 640, 3])
                    .await
                    .expect("a buffer");
                assert_eq!(buf.is_shared(), shared, "{pattern:?}");
                let at = buf.uninit_mut().as_ptr().cast::<u8>();
                assert_eq!(
                    in_shared_memory(at),
                    shared,
                    "{pattern:?}: the buffer's memory"
                );
                let frame = big_frame(i);
                if i % 2 == 0 {
                    buf.copy_from(frame.as_bytes());
                } else {
                    buf.bytes_mut().copy_from_slice(frame.as_bytes());
                }
                let data = Data::from(i as u64);
                server
                    .send_buffer(bidi.then_some(&data), buf)
                    .await
                    .expect("sent");
            }
            server.close().await.expect("ends");
        };
        let receiver = async {
            let mut frames = std::pin::pin!(client.recv_generator());
            let mut i = 0;
            while let Some(item) = frames.next().await {
                let (data, frame) = item.expect("a frame");
                assert_eq!(frame, big_frame(i), "{pattern:?}: frame {i}");
                assert!(in_shared_memory(frame.as_bytes().as_ptr()));
                if bidi {
                    let got: u64 = data.expect("data").deserialize().expect("u64");
                    assert_eq!(got, i as u64);
                }
                i += 1;
            }
            i
        };
        let ((), received) = within(async { tokio::join!(sender, receiver) }).await;
        assert_eq!(received, n, "{pattern:?}");
    }
}
