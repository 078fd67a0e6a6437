//! What a peer can make a receiver hold is bounded in bytes: a raw peer flooding 16 MiB frames
//! at `netgear recv` (which takes each frame's hash, so it drains slower than loopback fills)
//! leaves it holding a few frames, not the thousand libzmq queues by default. And the default
//! ipc path is private: another local user cannot bind it first and take the stream (the
//! attacker runs as `nobody`). A peer that never finishes the ZeroMQ handshake is dropped; the
//! replies a sender keeps are bounded in bytes.

use std::time::Duration;

use crate::common;
use crate::common::proc::Proc;
use crate::common::raw::{Side, socket};
use crate::{alone, shared};
use netgear::{Dtype, Frame};

const HANG: Duration = Duration::from_secs(60);
const FRAME: usize = 16 << 20;
const FRAMES: usize = 16;

/// `netgear recv` on a port the kernel picks ([`Proc::await_bound_port`] tells it).
fn recv_args(pattern: u8) -> Vec<String> {
    [
        "recv",
        "--json",
        "--address",
        "127.0.0.1",
        "--timeout",
        "20",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        "--pattern".into(),
        pattern.to_string(),
        "--port".into(),
        "0".into(),
    ])
    .collect()
}

/// 16 frames of 16 MiB (256 MiB) pushed as fast as libzmq takes them: the receiver's peak
/// memory stays within a budget of a few frames (with libzmq's default of 1000 queued
/// messages it took hundreds of MiB and more).
#[test]
fn a_flood_of_large_frames_is_held_a_few_at_a_time() {
    // Alone: a bound of a few frames, which a receiver short of CPU can go past.
    let _turn = alone();
    for (pattern, kind) in [(0u8, zmq::PAIR), (3, zmq::PUSH)] {
        let mut rx = Proc::netgear("recv", &recv_args(pattern));
        let port = rx.await_bound_port(HANG);
        let baseline = rx.peak_rss_kb();
        let raw = socket(kind, port, Side::Connect);
        // The attacker holds at most one message itself: its sends wait for room.
        raw.set_sndhwm(1).expect("sndhwm");
        let frame = Frame::zeros(Dtype::U8, vec![FRAME]).expect("a frame");
        let message = common::raw::frame_message(false, None, &frame);
        for _ in 0..FRAMES {
            raw.send_multipart(&message, 0).expect("sent");
        }
        // Every frame has been handed over: all but the last few went through the receiver.
        let peak_mib = rx.peak_rss_kb().saturating_sub(baseline) / 1024;
        eprintln!("pattern {pattern}: the receiver grew by {peak_mib} MiB at most");
        // The queue, the frame being read, and one being handled.
        let budget_mib = ((netgear_receive_hwm() + 3) * FRAME as u64) >> 20;
        assert!(
            peak_mib < budget_mib,
            "pattern {pattern}: grew by {peak_mib} MiB, budget {budget_mib} MiB"
        );
        rx.kill();
        drop(raw);
    }
}

/// `recv --psnr` against a raw peer sending 2 KB zstd frames that decode to 64 MiB, their
/// shape alternating: the meter rendered a new test pattern (two frames of that size) before
/// dropping the old one, and queued two received frames (peak RSS 547 MiB, against 75 MiB
/// without `--psnr`). It now stays within the README's per-peer budget.
#[test]
fn psnr_stays_within_the_budget_under_alternating_shapes() {
    // Alone: the receiver decodes and compares gigabytes of pixels within the hang guard.
    let _turn = alone();
    let mut args = recv_args(3);
    args.extend(["--psnr".into(), "--no-hash".into()]);
    let mut rx = Proc::netgear("recv", &args);
    let port = rx.await_bound_port(HANG);
    let raw = socket(zmq::PUSH, port, Side::Connect);
    raw.set_sndhwm(1).expect("sndhwm");
    let mut header = Vec::new();
    netgear::wire::encode_header(&mut header, false, None);
    let parts: Vec<Vec<u8>> = [[4728usize, 4728, 3], [4096, 5461, 3]]
        .into_iter()
        .map(|shape| {
            let frame = Frame::zeros(Dtype::U8, shape.to_vec()).expect("a frame");
            let zstd = netgear::Compression::Zstd { level: 3 };
            netgear::wire::compressed_frame_part(&frame, zstd)
                .expect("compressed")
                .to_vec()
        })
        .collect();
    assert!(parts.iter().all(|p| p.len() < 8 << 10), "small on the wire");
    for i in 0..40 {
        raw.send_multipart([header.clone(), parts[i % 2].clone()], 0)
            .expect("sent");
    }
    // The frames wait in the sockets' buffers (2 KB each): the receiver's peak comes as it
    // decodes them, before it takes the end message. Read until it has gone.
    raw.send(common::raw::terminate(), 0).expect("the end");
    let pid = rx.pid().to_string();
    let mut peak_kib = 0;
    common::net::wait_until("recv to end", HANG, || {
        let hwm = common::proc::peak_rss_kib(&pid);
        peak_kib = peak_kib.max(hwm.unwrap_or(0));
        hwm.is_none()
    });
    let peak_mib = peak_kib >> 10;
    let rx = rx.wait(HANG);
    rx.assert_success();
    // The README's budget for one peer: 4 + 1.6 times `max_message_size` (64 MiB).
    let budget_mib = (56 * 64) / 10;
    assert!(
        peak_mib < budget_mib,
        "recv --psnr peaked at {peak_mib} MiB, budget {budget_mib} MiB"
    );
    eprintln!("recv --psnr peaked at {peak_mib} MiB");
}

/// The receive queue's depth, as the README's budget states it.
fn netgear_receive_hwm() -> u64 {
    4
}

/// A temporary directory like /tmp (mode 1777: anyone may create, only owners remove).
fn sticky_tmp(tag: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("netgear-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).expect("a temp dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    dir
}

/// The default ipc path is in a private directory: created mode 0700, the socket file mode
/// 0600, and a stream goes through it.
#[test]
fn the_default_ipc_path_is_private() {
    let _turn = shared();
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = sticky_tmp("ipc");
    // It only names the socket file, in this test's own directory.
    let port = 5555;
    let ipc = |cmd: &str| -> Vec<String> {
        [cmd, "--protocol", "ipc", "--json", "--timeout", "20"]
            .iter()
            .map(|s| s.to_string())
            .chain(["--port".into(), port.to_string()])
            .collect()
    };
    let uid = my_uid();
    let dir = tmp.join(format!("netgear-{uid}"));
    let socket_file = dir.join(format!("netgear:{port}"));
    let mut rx = Proc::netgear_env("recv", &ipc("recv"), &tmp);
    // The receiver binds (libzmq makes the file with the umask's mode), then makes it 0600:
    // wait for both.
    let mode = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.permissions().mode());
    rx.await_event("the ipc socket file, mode 0600", HANG, || {
        mode(&socket_file).is_ok_and(|m| m & 0o777 == 0o600)
    });
    let meta = std::fs::metadata(&dir).expect("the directory");
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o700,
        "{}",
        dir.display()
    );
    assert_eq!(meta.uid(), uid);
    let mut serve = ipc("serve");
    serve.extend(["--frames".into(), "5".into()]);
    let tx = Proc::netgear_env("serve", &serve, &tmp).wait(HANG);
    tx.assert_success();
    let rx = rx.wait(HANG);
    rx.assert_success();
    assert_eq!(rx.frames(), 5);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Another local user (`nobody`) who makes the directory first and binds the path in it gets
/// nothing: the sender refuses the directory, naming it, instead of streaming to the attacker.
/// (Needs root, to run the attacker as another user; CI runs as root.)
#[test]
fn another_user_cannot_take_the_ipc_path() {
    let _turn = shared();
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let uid = my_uid();
    assert_eq!(
        uid, 0,
        "this test plays two users: run it as root (CI does)"
    );
    let tmp = sticky_tmp("hijack");
    // It only names the socket file, in this test's own directory.
    let port = 5555;
    let dir = tmp.join("netgear-0");
    // The attacker, as nobody: the victim's directory, open to all, with a receiver in it.
    let attacker_dir = dir.clone();
    let mut mkdir = std::process::Command::new("mkdir");
    mkdir
        .arg("-m")
        .arg("0777")
        .arg(&attacker_dir)
        .uid(65534)
        .gid(65534);
    assert!(mkdir.status().expect("mkdir").success());
    let address = dir.join("netgear").to_string_lossy().into_owned();
    let mut cmd = std::process::Command::new(common::proc::NETGEAR);
    cmd.args([
        "recv",
        "--protocol",
        "ipc",
        "--json",
        "--timeout",
        "3",
        "--address",
        &address,
    ])
    .args(["--port", &port.to_string()])
    .env("TMPDIR", &tmp)
    .env_remove("XDG_RUNTIME_DIR")
    .uid(65534)
    .gid(65534);
    let mut attacker = Proc::spawn("attacker recv", cmd);
    let socket_file = dir.join(format!("netgear:{port}"));
    attacker.await_event("the attacker's socket", HANG, || socket_file.exists());
    let mode = std::fs::metadata(&dir).expect("dir").permissions().mode();
    assert_eq!(mode & 0o777, 0o777);
    // The victim, as root, with the default path.
    let serve: Vec<String> = [
        "serve",
        "--protocol",
        "ipc",
        "--frames",
        "5",
        "--timeout",
        "3",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(["--port".into(), port.to_string()])
    .collect();
    let tx = Proc::netgear_env("serve", &serve, &tmp).wait(HANG);
    assert_eq!(tx.status.code(), Some(1), "{}", tx.stderr_text());
    let err = tx.stderr_text();
    assert!(err.contains("is not private"), "{err}");
    assert!(err.contains(&dir.to_string_lossy().into_owned()), "{err}");
    let got = attacker.wait(HANG);
    assert_eq!(got.frames(), 0, "the attacker got frames");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// This process's user id (the owner of its `/proc` entry).
fn my_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid())
}

/// A client (a raw PAIR peer) answering every frame with a 1 MiB frame, to a server whose user
/// never takes the replies: the server keeps at most `queue_max_bytes` of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_are_kept_within_their_byte_budget() {
    let _turn = shared();
    let (raw, port) = common::raw::bound(zmq::PAIR);
    let budget = 4 << 20;
    let mut server = netgear::Server::new(netgear::Options {
        bidirectional_mode: true,
        queue_max_bytes: budget,
        ..common::tcp(netgear::Pattern::Pair, port, true, 10_000)
    })
    .expect("connects");
    let replies = server.transceiver();
    const SENT: usize = 20;
    let attacker = std::thread::spawn(move || {
        let big = Frame::zeros(Dtype::U8, vec![1 << 20]).expect("a frame");
        let mut head = Vec::new();
        netgear::wire::encode_reply_frame_head(&mut head);
        let part = netgear::wire::encode_frame(&big);
        for _ in 0..SENT {
            raw.recv_multipart(0).expect("a frame");
            raw.send_multipart([&head[..], &part[..]], 0)
                .expect("a reply");
        }
        raw.recv_multipart(0).expect("the end");
        let mut done = Vec::new();
        netgear::wire::encode_terminated(&mut done, "RAWPEER1");
        raw.send(&done[..], 0).expect("termination answer");
        raw
    });
    let source = futures::stream::iter((0..SENT).map(|_| {
        (
            Some(netgear::Data::from("hi")),
            Frame::zeros(Dtype::U8, [4]).unwrap(),
        )
    }));
    let sent = common::within(server.launch(source))
        .await
        .expect("streams");
    assert_eq!(sent, SENT as u64);
    drop(attacker.join().expect("the attacker"));
    // 20 MiB of replies came; three fit (each is 1 MiB and its header).
    assert!(
        replies.pending_bytes() <= budget,
        "{}",
        replies.pending_bytes()
    );
    assert_eq!(replies.pending(), 3, "{} bytes", replies.pending_bytes());
}

/// A connection that never speaks ZeroMQ (a bare TCP connect, or a scanner) is closed by the
/// receiver once the handshake interval (5 s) has passed, instead of holding a slot and a file
/// descriptor for libzmq's default 30 s. The guard is 20 s: before, nothing closed it in time.
#[test]
fn a_silent_connection_is_dropped_after_the_handshake_interval() {
    let _turn = shared();
    use std::io::Read;
    let mut rx = Proc::netgear("recv", &recv_args(0));
    let port = rx.await_bound_port(HANG);
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
    tcp.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let started = std::time::Instant::now();
    // libzmq sends its greeting at once; then nothing more comes until it closes.
    let mut buf = [0u8; 256];
    let closed = loop {
        match tcp.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    assert!(closed, "still open after {:?}", started.elapsed());
    eprintln!("closed after {:?}", started.elapsed());
    rx.kill();
}
