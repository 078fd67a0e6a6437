//! `netgear` as a dependency, from outside its workspace: what a user's crate gets.
//!
//! `netgear-downstream NETGEAR` (the path of the `netgear` command) checks, and exits non-zero
//! with the reason if one fails:
//! 1. libzmq has CURVE: a key pair is made, and its public key derived again from its secret;
//! 2. this crate streams in ironhouse secure mode to `NETGEAR recv --secure ironhouse`, which
//!    receives every frame;
//! 3. a receiver of its own survives a peer that sends the parts of one message forever: the
//!    peer is dropped, this process's peak memory stays within [`PEAK_LIMIT_MIB`], and a
//!    legitimate sender streams to it afterwards.
//!
//! Each holds only with the libzmq that `netgear` builds (patched, with CURVE), whatever the
//! crate that depends on it.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures::StreamExt;
use netgear::media::TestPattern;
use netgear::secure::{KeyFiles, KeyPair};
use netgear::{Client, Options, Pattern, Secure, SecureMode, Server};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// How long any one step may take before it counts as a hang (generous: it bounds hangs, it
/// does not measure).
const HANG: Duration = Duration::from_secs(60);

/// Frames streamed in each check.
const FRAMES: u64 = 30;

/// The most this process may peak at while a peer floods its receiver: the default 64 MiB
/// `max_message_size` bounds what one message may hold, plus the process itself, with room.
/// An unpatched libzmq holds every part the peer sends (here up to 1 GiB).
const PEAK_LIMIT_MIB: u64 = 256;

#[tokio::main]
async fn main() {
    let netgear = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .expect("usage: netgear-downstream PATH-OF-THE-netgear-COMMAND");
    curve_keys();
    ironhouse_to_the_command(&netgear).await;
    survives_a_never_ending_message().await;
    println!("downstream: every check passed");
}

/// 1. CURVE is there.
fn curve_keys() {
    let pair = KeyPair::generate().unwrap_or_else(|e| panic!("no CURVE key pair: {e}"));
    let again = KeyPair::from_secret(pair.secret.clone()).expect("the public key of a secret");
    assert_eq!(
        again.public, pair.public,
        "the public key derived from the secret differs"
    );
    println!("downstream: CURVE key pair made ({})", pair.public.to_z85());
}

/// 2. Ironhouse to the `netgear` command.
async fn ironhouse_to_the_command(netgear: &Path) {
    let dir = std::env::temp_dir().join(format!("netgear-downstream-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    KeyFiles::new(&dir).generate(true).expect("key files");
    let mut recv = tokio::process::Command::new(netgear)
        .args(["recv", "--secure", "ironhouse", "--keys"])
        .arg(&dir)
        .args([
            "--address",
            "127.0.0.1",
            "--port",
            "0",
            "--pattern",
            "0",
            "--json",
            "--no-hash",
        ])
        .args(["--timeout", &HANG.as_secs().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", netgear.display()));
    let mut stderr = BufReader::new(recv.stderr.take().expect("stderr")).lines();
    let port = tokio::time::timeout(HANG, async {
        while let Some(line) = stderr.next_line().await.expect("recv's stderr") {
            if let Some(port) = listening_port(&line) {
                return port;
            }
            eprintln!("recv: {line}");
        }
        panic!("netgear recv ended without saying where it listens");
    })
    .await
    .expect("netgear recv did not say where it listens");

    let secure = Secure::sender(SecureMode::Ironhouse, &dir).expect("the sender's keys");
    stream(Options {
        secure: Some(secure),
        ..loopback(port, Pattern::Pair)
    })
    .await;

    let mut stdout = String::new();
    let mut out = recv.stdout.take().expect("stdout");
    let read = out.read_to_string(&mut stdout);
    tokio::time::timeout(HANG, read)
        .await
        .expect("recv's output")
        .expect("recv's stdout");
    let status = tokio::time::timeout(HANG, recv.wait())
        .await
        .expect("recv ended")
        .expect("wait");
    assert!(status.success(), "netgear recv failed: {status}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        summary.contains(&format!("\"frames\":{FRAMES},")),
        "netgear recv did not receive {FRAMES} frames: {summary}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    println!("downstream: {FRAMES} frames streamed in ironhouse to netgear recv");
}

/// The port in `netgear recv`'s line saying where it listens (`… tcp://127.0.0.1:PORT`).
fn listening_port(line: &str) -> Option<u16> {
    let rest = &line[line.find("listening on tcp://")? + "listening on tcp://".len()..];
    let port = rest.rsplit_once(':')?.1;
    port.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Options for either end on loopback, with a generous timeout.
fn loopback(port: u16, pattern: Pattern) -> Options {
    Options {
        address: Some("127.0.0.1".into()),
        port,
        pattern,
        timeout: HANG,
        ..Options::default()
    }
}

/// Streams [`FRAMES`] frames of the test pattern with a sender of `opts`, and ends the stream.
async fn stream(opts: Options) {
    let mut server = Server::new(opts).expect("a sender");
    let pattern = TestPattern::new(64, 48);
    for n in 0..FRAMES {
        let sent = server.send(None, &pattern.frame(n)).await;
        sent.expect("a frame sent");
    }
    server.close().await.expect("the stream ended");
}

/// 3. A peer that never ends its message.
async fn survives_a_never_ending_message() {
    let client = Client::new(loopback(0, Pattern::PushPull)).expect("a receiver");
    let port = client.local_port().expect("the receiver's port");
    let flood = tokio::task::spawn_blocking(move || flood(port))
        .await
        .expect("the flood");
    let peak = peak_rss_mib();
    assert!(
        flood.dropped,
        "the flooding peer was never dropped ({} MiB sent)",
        flood.bytes >> 20
    );
    assert!(
        peak <= PEAK_LIMIT_MIB,
        "peak memory {peak} MiB, over {PEAK_LIMIT_MIB} MiB"
    );
    println!(
        "downstream: a peer sending one message forever was dropped after {} MiB; peak memory \
         {peak} MiB (budget {PEAK_LIMIT_MIB} MiB)",
        flood.bytes >> 20
    );

    let sender = stream(loopback(port, Pattern::PushPull));
    let receiver = async {
        let frames = client.recv_generator().map(|r| r.expect("a frame")).count();
        tokio::time::timeout(HANG, frames)
            .await
            .expect("the frames")
    };
    let ((), received) = tokio::join!(sender, receiver);
    assert_eq!(received as u64, FRAMES, "frames received after the flood");
    println!("downstream: then a legitimate sender's {FRAMES} frames arrived");
}

/// What the flooding peer managed.
struct Flood {
    /// Bytes written before the receiver dropped it (or the cap).
    bytes: u64,
    /// Whether the receiver dropped it (a write failed) before the cap.
    dropped: bool,
}

/// Connects to `port` as a PUSH peer speaking ZMTP 3.0 by hand (so that it holds nothing
/// itself), and sends 1 MiB parts, each with the MORE flag, until the receiver drops it or
/// 1 GiB has gone.
fn flood(port: u16) -> Flood {
    const CAP: u64 = 1 << 30;
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_write_timeout(Some(HANG)).expect("write timeout");
    s.set_read_timeout(Some(HANG)).expect("read timeout");
    // Greeting: signature, version 3.0, the NULL mechanism, as client, filler.
    let mut hello = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 0];
    hello.extend(b"NULL".iter().copied().chain(std::iter::repeat_n(0, 16)));
    hello.resize(64, 0);
    // READY with Socket-Type PUSH, as a short command frame.
    let ready = [&b"\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH"[..]].concat();
    hello.extend([0x04, u8::try_from(ready.len()).expect("short")]);
    hello.extend(ready);
    s.write_all(&hello).expect("greeting");
    // The receiver's greeting (64 bytes) and READY (a short command); parts may follow only then.
    let mut greeting = [0u8; 66];
    s.read_exact(&mut greeting)
        .expect("the receiver's greeting");
    let mut ready = vec![0u8; usize::from(greeting[65])];
    s.read_exact(&mut ready).expect("the receiver's READY");
    assert!(ready.starts_with(b"\x05READY"), "not a ZMTP 3 receiver");

    // A long frame with MORE: flags (MORE | LONG), 8-byte size, the bytes.
    let mut part = vec![0x03u8];
    part.extend((1u64 << 20).to_be_bytes());
    part.resize(part.len() + (1 << 20), 0xAB);
    let mut bytes = 0;
    while bytes < CAP {
        match s.write_all(&part) {
            Ok(()) => bytes += part.len() as u64,
            Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => {
                return Flood {
                    bytes,
                    dropped: true,
                };
            }
            Err(e) => panic!("the flood's write failed otherwise than by a dropped peer: {e}"),
        }
    }
    Flood {
        bytes,
        dropped: false,
    }
}

/// This process's peak resident memory (`VmHWM`), in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM");
    kib >> 10
}
