//! Secure mode: key files (`netgear keygen`, read and written both ways with pyzmq), Rust↔Rust
//! streams in stonehouse and ironhouse, and attackers as real peers — a plain peer, a CURVE
//! peer with the wrong server key, and (ironhouse) a CURVE peer with an unknown client key —
//! none of whose frames arrive while the legitimate sender is served.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::proc::{NETGEAR, Proc};
use common::raw;
use common::*;
use futures::StreamExt;
use netgear::media::TestPattern;
use netgear::secure::{Certificate, Key, KeyError, KeyFiles, KeyPair};
use netgear::{
    Client, Compression, Data, Error, Frame, Options, Pattern, Reply, Secure, SecureMode, Server,
};

/// A fresh, empty directory for one test.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netgear-secure-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A keys directory with a server and a client pair.
fn keys(tag: &str) -> PathBuf {
    let dir = scratch(tag);
    KeyFiles::new(&dir).generate(false).expect("keygen");
    dir
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// `(public, secret or "None")` as pyzmq's `load_certificate` reads `path`.
fn pyzmq_load(path: &Path) -> (String, String) {
    let out = Command::new(python())
        .args([
            "-c",
            "import sys, zmq.auth as a\n\
             p, s = a.load_certificate(sys.argv[1])\n\
             print(p.decode()); print(s.decode() if s else 'None')",
        ])
        .arg(path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "pyzmq failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines().map(str::to_owned);
    (lines.next().expect("public"), lines.next().expect("secret"))
}

#[test]
fn keygen_writes_certificates_pyzmq_reads() {
    let dir = scratch("keygen");
    let run = |extra: &[&str]| {
        Command::new(NETGEAR)
            .arg("keygen")
            .arg(&dir)
            .args(extra)
            .output()
            .expect("netgear runs")
    };
    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = KeyFiles::new(&dir);
    for name in ["server", "client"] {
        let (public, secret) = (files.public(name), files.secret(name));
        assert_eq!(mode_of(&secret), 0o600, "{}", secret.display());
        let ours = Certificate::load(&secret).expect("ours");
        let pair = Certificate::load_pair(&secret).expect("a pair");
        assert_eq!(pair.public, ours.public);
        assert_eq!(
            pyzmq_load(&secret),
            (ours.public.to_z85(), pair.secret.to_z85()),
            "{name} secret file as pyzmq reads it"
        );
        assert_eq!(
            pyzmq_load(&public),
            (ours.public.to_z85(), "None".to_owned()),
            "{name} public file as pyzmq reads it"
        );
    }
    assert_ne!(
        Certificate::load(&files.public("server"))
            .expect("server")
            .public,
        Certificate::load(&files.public("client"))
            .expect("client")
            .public
    );

    // A second keygen refuses to replace them; --force does.
    let before = std::fs::read(files.secret("server")).expect("read");
    let again = run(&[]);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::read(files.secret("server")).expect("read"), before);
    // An exposed secret file gets its mode back when replaced.
    std::fs::set_permissions(
        files.secret("server"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    let forced = run(&["--force"]);
    assert!(forced.status.success());
    assert_ne!(std::fs::read(files.secret("server")).expect("read"), before);
    assert_eq!(mode_of(&files.secret("server")), 0o600);
}

#[test]
fn pyzmq_certificates_are_read() {
    let dir = scratch("pyzmq");
    let out = Command::new(python())
        .args([
            "-c",
            "import sys, zmq.auth as a\n\
             pub, sec = a.create_certificates(sys.argv[1], 'server')\n\
             p, s = a.load_certificate(sec)\n\
             print(pub); print(sec); print(p.decode()); print(s.decode())",
        ])
        .arg(&dir)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    let (public_file, secret_file) = (Path::new(lines[0]), Path::new(lines[1]));
    let pair = Certificate::load_pair(secret_file).expect("pyzmq's secret file");
    assert_eq!(pair.public.to_z85(), lines[2]);
    assert_eq!(pair.secret.to_z85(), lines[3]);
    let public = Certificate::load(public_file).expect("pyzmq's public file");
    assert_eq!(public.public, pair.public);
    assert_eq!(public.secret, None);
}

#[test]
fn bad_key_files_are_refused_naming_the_file() {
    let dir = keys("bad");
    let files = KeyFiles::new(&dir);
    let names_file = |e: &KeyError, path: &Path| {
        assert!(
            e.to_string().contains(&path.display().to_string()),
            "{e} does not name {}",
            path.display()
        );
    };

    let missing = dir.join("private_keys/nobody.key_secret");
    let e = Certificate::load(&missing).expect_err("missing");
    assert!(matches!(e, KeyError::Missing { .. }), "{e:?}");
    names_file(&e, &missing);

    let empty = dir.join("empty.key");
    std::fs::write(&empty, "#   just a comment\nmetadata\ncurve\n").expect("write");
    let e = Certificate::load(&empty).expect_err("no key");
    assert!(matches!(e, KeyError::Corrupt { .. }), "{e:?}");
    names_file(&e, &empty);

    let not_z85 = dir.join("notz85.key");
    std::fs::write(&not_z85, "curve\n    public-key = \"~~~~~\"\n").expect("write");
    let e = Certificate::load(&not_z85).expect_err("not z85");
    assert!(matches!(e, KeyError::NotZ85 { .. }), "{e:?}");
    names_file(&e, &not_z85);

    // A public file where a secret file is needed.
    let public = files.public("server");
    let e = Certificate::load_pair(&public).expect_err("no secret key");
    assert!(matches!(e, KeyError::Corrupt { .. }), "{e:?}");
    names_file(&e, &public);

    // A secret file whose public key is another's.
    let secret = files.secret("client");
    let text = std::fs::read_to_string(&secret).expect("read");
    let other = KeyPair::generate().expect("keys").public.to_z85();
    let public_line = text
        .lines()
        .find(|l| l.trim().starts_with("public-key"))
        .expect("public-key line");
    std::fs::write(
        &secret,
        text.replace(public_line, &format!("    public-key = \"{other}\"")),
    )
    .expect("write");
    let e = Certificate::load_pair(&secret).expect_err("mismatched");
    assert!(matches!(e, KeyError::Corrupt { .. }), "{e:?}");
    names_file(&e, &secret);

    // Through the options: a receive-mode end without its secret file fails at start.
    std::fs::remove_file(files.secret("server")).expect("rm");
    let e = Secure::receiver(SecureMode::Stonehouse, &dir).expect_err("missing");
    names_file(&e, &files.secret("server"));

    // Keys given directly: Z85 text or bytes.
    let key = KeyPair::generate().expect("keys").public;
    assert_eq!(key.to_z85().parse::<Key>().expect("z85"), key);
    assert_eq!(Key::from(*key.as_bytes()), key);
    assert!(matches!(
        "not a key".parse::<Key>(),
        Err(KeyError::NotZ85 { .. })
    ));
}

#[test]
fn an_exposed_secret_file_is_warned_about() {
    let dir = keys("exposed");
    let secret = KeyFiles::new(&dir).secret("server");
    assert!(!netgear::secure::exposed(&secret));
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert!(netgear::secure::exposed(&secret));
    let recv = Proc::netgear(
        "recv",
        &[
            "recv",
            "--secure",
            "stonehouse",
            "--keys",
            &dir.to_string_lossy(),
            "--port",
            "0",
            "--timeout",
            "0.3",
        ]
        .map(String::from),
    );
    let exit = recv.wait(Duration::from_secs(20));
    let stderr = exit.stderr_text();
    assert!(
        stderr.contains("readable by other users") && stderr.contains("server.key_secret"),
        "{stderr}"
    );
}

#[test]
fn secure_options_for_the_wrong_end_are_refused() {
    let dir = keys("wrong-end");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let _guard = rt.enter();
    let opts = Options {
        secure: Some(Secure::sender(SecureMode::Stonehouse, &dir).expect("keys")),
        ..tcp(Pattern::Pair, 0, false, 500)
    };
    let e = Client::new(opts).expect_err("a sender's keys on a receiver");
    assert!(matches!(e, Error::Key(KeyError::WrongEnd { .. })), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Rust↔Rust

fn secured(mut opts: Options, secure: Secure) -> Options {
    opts.secure = Some(secure);
    opts
}

/// Streams frames from a secure sender to a secure receiver: every frame arrives byte for
/// byte, with its data (and its answer) in bidirectional mode.
async fn secure_stream(mode: SecureMode, pattern: Pattern, bidi: bool, tag: &str) {
    secure_stream_with(mode, pattern, bidi, tag, |o| o).await;
}

/// [`secure_stream`] with both ends' options changed by `more` (e.g. compression).
async fn secure_stream_with(
    mode: SecureMode,
    pattern: Pattern,
    bidi: bool,
    tag: &str,
    more: impl Fn(Options) -> Options,
) {
    let dir = keys(tag);
    common::stream_and_check(
        more(secured(
            tcp(pattern, 0, bidi, 3000),
            Secure::receiver(mode, &dir).expect("receiver keys"),
        )),
        more(secured(
            tcp(pattern, 0, bidi, 3000),
            Secure::sender(mode, &dir).expect("sender keys"),
        )),
        10,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stonehouse_pattern0_pair() {
    secure_stream(SecureMode::Stonehouse, Pattern::Pair, false, "s0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stonehouse_pattern1_req_rep_bidirectional() {
    secure_stream(SecureMode::Stonehouse, Pattern::ReqRep, true, "s1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stonehouse_pattern3_push_pull() {
    secure_stream(SecureMode::Stonehouse, Pattern::PushPull, false, "s3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ironhouse_pattern0_pair_bidirectional() {
    secure_stream(SecureMode::Ironhouse, Pattern::Pair, true, "i0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ironhouse_pattern1_req_rep() {
    secure_stream(SecureMode::Ironhouse, Pattern::ReqRep, false, "i1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ironhouse_pattern3_push_pull() {
    secure_stream(SecureMode::Ironhouse, Pattern::PushPull, false, "i3").await;
}

/// Secure mode over ipc (a socket file): the same CURVE handshake and ZAP check as over tcp.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ironhouse_over_ipc() {
    let dir = keys("ipc");
    let path = ipc_path("secure");
    let opts = ipc(Pattern::Pair, &path, true, 3000);
    common::stream_and_check(
        secured(
            opts.clone(),
            Secure::receiver(SecureMode::Ironhouse, &dir).expect("receiver keys"),
        ),
        secured(
            opts.clone(),
            Secure::sender(SecureMode::Ironhouse, &dir).expect("sender keys"),
        ),
        10,
    )
    .await;
    remove_ipc(&opts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stonehouse_pattern2_pub_sub() {
    secure_pub_sub(SecureMode::Stonehouse, "s2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ironhouse_pattern2_pub_sub() {
    secure_pub_sub(SecureMode::Ironhouse, "i2").await;
}

/// PUB/SUB in secure mode (see `common::pub_sub_and_check`).
async fn secure_pub_sub(mode: SecureMode, tag: &str) {
    let dir = keys(tag);
    common::pub_sub_and_check(
        secured(
            tcp(Pattern::PubSub, 0, false, 3000),
            Secure::receiver(mode, &dir).expect("receiver keys"),
        ),
        secured(
            tcp(Pattern::PubSub, 0, false, 2000),
            Secure::sender(mode, &dir).expect("sender keys"),
        ),
        15,
    )
    .await;
}

/// Compression inside secure mode: lossless codecs arrive byte for byte (with data, and
/// answers in bidirectional mode), in both modes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_frames_in_secure_mode() {
    for (mode, pattern, bidi, compression, tag) in [
        (
            SecureMode::Stonehouse,
            Pattern::Pair,
            true,
            Compression::Lz4,
            "c0",
        ),
        (
            SecureMode::Ironhouse,
            Pattern::ReqRep,
            true,
            Compression::ZSTD,
            "c1",
        ),
        (
            SecureMode::Stonehouse,
            Pattern::PushPull,
            false,
            Compression::ZSTD,
            "c3",
        ),
    ] {
        secure_stream_with(mode, pattern, bidi, tag, |o| Options { compression, ..o }).await;
    }
}

/// JPEG in secure mode, with frame replies (video chat): frames arrive with their shape and
/// close to what was sent, and the answers come back as frames.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_video_chat_in_secure_mode() {
    let dir = keys("cj");
    let jpeg = |opts: Options| Options {
        compression: Compression::JPEG,
        ..opts
    };
    let client = Client::new(jpeg(secured(
        tcp(Pattern::Pair, 0, true, 3000),
        Secure::receiver(SecureMode::Ironhouse, &dir).expect("receiver keys"),
    )))
    .expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(jpeg(secured(
        tcp(Pattern::Pair, port, true, 3000),
        Secure::sender(SecureMode::Ironhouse, &dir).expect("sender keys"),
    )))
    .expect("connects");
    let source = TestPattern::new(320, 240);
    let sent: Vec<Frame> = (0..8).map(|n| source.frame(n)).collect();
    let items = sent
        .clone()
        .into_iter()
        .map(|f| (Some(Data::from("hi")), f));
    let client_side = async {
        let mut got = Vec::new();
        let mut requests = std::pin::pin!(client.requests());
        while let Some(request) = requests.next().await {
            let request = request.expect("a request");
            got.push(request.frame().clone());
            let echo = request.frame().clone();
            request.reply(echo).expect("answered");
        }
        got
    };
    let replies = server.transceiver();
    let (launched, got) =
        within(async { tokio::join!(server.launch(futures::stream::iter(items)), client_side) })
            .await;
    assert_eq!(launched.expect("streams"), sent.len() as u64);
    assert_eq!(got.len(), sent.len());
    for (a, b) in sent.iter().zip(&got) {
        assert_eq!(a.shape(), b.shape());
        let db = psnr::psnr(a.as_bytes(), b.as_bytes());
        assert!(db >= 38.0, "{db:.1} dB");
    }
    let mut frames_back = 0;
    while let Some(reply) = replies.transceive_data() {
        if matches!(reply, Reply::Frame(_)) {
            frames_back += 1;
        }
    }
    assert!(
        frames_back >= sent.len() - 1,
        "{frames_back} frames answered"
    );
}

// ---------------------------------------------------------------------------------------------
// Attackers, as real peers of `netgear recv`

/// `netgear CMD --secure MODE --keys DIR --port PORT --pattern PATTERN --json --timeout 10`.
fn secure_args(cmd: &str, mode: &str, dir: &Path, port: u16, pattern: u8) -> Vec<String> {
    let mut args: Vec<String> = [cmd, "--secure", mode, "--keys"].map(String::from).to_vec();
    args.push(dir.to_string_lossy().into_owned());
    args.extend(
        [
            "--port",
            &port.to_string(),
            "--pattern",
            &pattern.to_string(),
        ]
        .map(String::from),
    );
    args.extend(["--json", "--timeout", "10"].map(String::from));
    args
}

/// The kinds of attacker.
#[derive(Debug, Clone, Copy)]
enum Attacker {
    /// No CURVE at all.
    Plain,
    /// CURVE with a server key that is not the receiver's.
    WrongServerKey,
    /// CURVE with the right server key and a client key the receiver does not know.
    UnknownClient,
}

/// A raw peer of `kind` (PAIR or PUSH) connected to the receiver on `port`, that has sent a
/// few valid frame messages (of [`raw::sevens`]): they wait in its queue for a handshake that
/// never succeeds. Returns once libzmq reports its first handshake refused.
fn attack(attacker: Attacker, kind: zmq::SocketType, port: u16, dir: &Path) -> zmq::Socket {
    let ctx = zmq::Context::new();
    let sock = ctx.socket(kind).expect("socket");
    // The socket's own events: the refused handshake is what the caller waits for.
    let refused = [
        zmq::SocketEvent::HANDSHAKE_FAILED_NO_DETAIL,
        zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL,
        zmq::SocketEvent::HANDSHAKE_FAILED_AUTH,
        zmq::SocketEvent::DISCONNECTED,
    ];
    let monitor = format!("inproc://attacker-{port}-{attacker:?}");
    let events = refused.iter().fold(0, |all, e| all | i32::from(e.to_raw()));
    sock.monitor(&monitor, events).expect("monitor");
    let watch = ctx.socket(zmq::PAIR).expect("socket");
    watch.set_rcvtimeo(10_000).expect("rcvtimeo");
    watch.connect(&monitor).expect("monitor connects");
    sock.set_linger(0).expect("linger");
    sock.set_sndtimeo(100).expect("sndtimeo");
    let server = Certificate::load(&KeyFiles::new(dir).public("server"))
        .expect("server key")
        .public;
    let server = match attacker {
        Attacker::Plain => None,
        Attacker::WrongServerKey => Some(KeyPair::generate().expect("keys").public),
        Attacker::UnknownClient => Some(server),
    };
    if let Some(server) = server {
        let own = KeyPair::generate().expect("keys");
        sock.set_curve_serverkey(server.as_bytes())
            .expect("serverkey");
        sock.set_curve_publickey(own.public.as_bytes())
            .expect("publickey");
        sock.set_curve_secretkey(own.secret.as_bytes())
            .expect("secretkey");
    }
    sock.connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connect");
    for _ in 0..3 {
        let _ = sock.send_multipart(raw::good_message(), 0);
    }
    let event = watch.recv_multipart(0).expect("a refused handshake");
    let id = u16::from_ne_bytes([event[0][0], event[0][1]]);
    assert!(
        refused.iter().any(|e| e.to_raw() == id),
        "{attacker:?}: event {id:#x}"
    );
    sock
}

/// `netgear recv` in `mode` with attackers connected before and while `netgear serve` streams:
/// the receiver gets exactly the sender's frames (same count and SHA-256), and logs each refused
/// peer with its address and the reason.
fn attacked(mode: &str, pattern: u8, attackers: &[Attacker], tag: &str) {
    let dir = keys(tag);
    let common = |cmd: &str, port: u16| secure_args(cmd, mode, &dir, port, pattern);
    let mut recv = Proc::netgear("recv", &common("recv", 0));
    let port = recv.await_bound_port(Duration::from_secs(10));
    let kind = if pattern == 3 { zmq::PUSH } else { zmq::PAIR };
    let peers: Vec<zmq::Socket> = attackers
        .iter()
        .map(|&a| attack(a, kind, port, &dir))
        .collect();
    // Their handshakes have been tried and refused (`attack` waits for it); the legitimate
    // sender comes now.
    let mut serve_args = common("serve", port);
    serve_args.extend(["--frames", "40", "--width", "32", "--height", "24"].map(String::from));
    let serve = Proc::netgear("serve", &serve_args);
    // More attempts while it streams.
    for peer in &peers {
        let _ = peer.send_multipart(raw::good_message(), 0);
    }
    let served = serve.wait(Duration::from_secs(30));
    served.assert_success();
    let received = recv.wait(Duration::from_secs(30));
    received.assert_success();
    let (sent, got) = (served.summary(), received.summary());
    assert_eq!(got["frames"], 40, "{got}");
    assert_eq!(
        got["sha256"], sent["sha256"],
        "the frames differ from the sender's"
    );
    assert_eq!(got["shape"], serde_json::json!([24, 32, 3]));
    // Each refusal is logged with the peer's address and why.
    let stderr = received.stderr_text();
    for attacker in attackers {
        let why = match attacker {
            // Whichever end sees the mismatch first: "does not use", or "may not use".
            Attacker::Plain => "use secure mode",
            Attacker::WrongServerKey => "a wrong server key",
            Attacker::UnknownClient => "is not authorized",
        };
        assert!(
            stderr.lines().any(|l| l.contains("connection refused")
                && l.contains("127.0.0.1")
                && l.contains(why)),
            "{attacker:?}: no refusal logged: {stderr}"
        );
    }
    drop(peers);
}

#[test]
fn stonehouse_pattern3_refuses_plain_and_wrong_key_peers() {
    attacked(
        "stonehouse",
        3,
        &[Attacker::Plain, Attacker::WrongServerKey],
        "a-s3",
    );
}

#[test]
fn stonehouse_pattern0_refuses_plain_and_wrong_key_peers() {
    attacked(
        "stonehouse",
        0,
        &[Attacker::Plain, Attacker::WrongServerKey],
        "a-s0",
    );
}

#[test]
fn ironhouse_pattern3_refuses_unknown_clients() {
    attacked(
        "ironhouse",
        3,
        &[
            Attacker::Plain,
            Attacker::WrongServerKey,
            Attacker::UnknownClient,
        ],
        "a-i3",
    );
}

#[test]
fn ironhouse_pattern0_refuses_unknown_clients() {
    attacked("ironhouse", 0, &[Attacker::UnknownClient], "a-i0");
}

/// A stranger that knocks again and again (a plain peer, connecting anew each time it is
/// refused) cannot flood the receiver's log: the first ten refusals are logged, then one at each power
/// of two, and the legitimate sender is served all along.
#[test]
fn refusals_are_logged_without_flooding() {
    const KNOCKS: usize = 60;
    let dir = keys("flood");
    let common = |cmd: &str, port: u16| secure_args(cmd, "stonehouse", &dir, port, 3);
    let mut recv = Proc::netgear("recv", &common("recv", 0));
    let port = recv.await_bound_port(Duration::from_secs(10));
    for _ in 0..KNOCKS {
        // A plain ZeroMQ peer's greeting; the receiver refuses it and closes the connection.
        let mut knock = TcpStream::connect(("127.0.0.1", port)).expect("connects");
        knock
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        knock
            .write_all(&raw::zmtp_handshake("PUSH"))
            .expect("greeting");
        let mut rest = Vec::new();
        // Ok (end of stream) or a reset: either way the receiver has hung up.
        if let Err(e) = knock.read_to_end(&mut rest) {
            assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "not refused");
        }
    }
    let mut serve_args = common("serve", port);
    serve_args.extend(["--frames", "10", "--width", "32", "--height", "24"].map(String::from));
    let served = Proc::netgear("serve", &serve_args).wait(Duration::from_secs(30));
    served.assert_success();
    let received = recv.wait(Duration::from_secs(30));
    received.assert_success();
    assert_eq!(received.summary()["frames"], 10);
    let stderr = received.stderr_text();
    let logged = stderr
        .lines()
        .filter(|l| l.contains("connection refused"))
        .count();
    // At least KNOCKS refusals: ten lines, then 16 and 32 (and 64 if that many came).
    assert!((12..=13).contains(&logged), "{logged} lines: {stderr}");
}

/// Secure mode on one end only: both ends time out, and both timeouts say the handshake failed
/// and that secure mode and keys may differ.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_mode_on_one_end_only_is_named_in_the_timeouts() {
    let dir = keys("one-end");
    let client = Client::new(secured(
        tcp(Pattern::Pair, 0, false, 1000),
        Secure::receiver(SecureMode::Stonehouse, &dir).expect("receiver keys"),
    ))
    .expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::Pair, port, false, 1000)).expect("connects");
    let (sent, got) = within(async {
        tokio::join!(
            server.launch(futures::stream::iter((0..3).map(frame))),
            client.recv()
        )
    })
    .await;
    for e in [
        sent.expect_err("plain sender"),
        got.expect_err("secure receiver"),
    ] {
        let message = e.to_string();
        assert!(
            message.contains("failed the ZeroMQ handshake") && message.contains("secure mode"),
            "{message}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// vidgear's NetGear_Async as a pyzmq CURVE peer

/// How many frames the vidgear cases stream.
const VG_FRAMES: u64 = 20;

/// `vg_peer.py MODE` with `--curve-keys DIR`: vidgear 0.3.6's own NetGear_Async whose pyzmq
/// sockets are standard CURVE ends, with the certificates `netgear keygen` wrote, read by
/// pyzmq's `zmq.auth.load_certificate`.
fn vidgear(mode: &str, port: u16, pattern: u8, bi: bool, dir: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(python());
    c.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/vg_peer.py"))
        .arg(mode)
        .args(["--address", "127.0.0.1", "--port", &port.to_string()])
        .args(["--pattern", &pattern.to_string(), "--timeout", "20"])
        .arg("--curve-keys")
        .arg(dir)
        .args(extra);
    if bi {
        c.arg("--bidirectional");
    }
    c
}

/// `netgear MODE` in secure mode `secure` with the keys in `dir`.
#[allow(clippy::too_many_arguments)]
fn netgear_secure(
    mode: &str,
    secure: &str,
    port: u16,
    pattern: u8,
    bi: bool,
    dir: &Path,
    extra: &[&str],
) -> Proc {
    let mut args: Vec<String> = [mode, "--secure", secure, "--keys"]
        .map(String::from)
        .to_vec();
    args.push(dir.to_string_lossy().into_owned());
    args.extend(
        [
            "--address",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--pattern",
            &pattern.to_string(),
            "--timeout",
            "20",
            "--json",
        ]
        .map(String::from),
    );
    if bi {
        args.push("--bidirectional".into());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    Proc::netgear(mode, &args)
}

/// vidgear sends through pyzmq CURVE to `netgear recv` in `secure` mode: every frame arrives
/// byte for byte, with its data, and the answers go back.
fn vidgear_sends(secure: &str, pattern: u8, bi: bool, tag: &str) {
    let dir = keys(tag);
    let reply: &[&str] = if bi { &["--reply", "ok"] } else { &[] };
    let mut recv = netgear_secure("recv", secure, 0, pattern, bi, &dir, reply);
    let port = recv.await_bound_port(Duration::from_secs(60));
    let frames = VG_FRAMES.to_string();
    let mut extra = vec!["--frames", frames.as_str()];
    if bi {
        extra.extend(["--data", "hello"]);
    }
    if pattern >= 2 {
        // vidgear closes with LINGER 0 right after its end message, which can drop what is
        // still queued: as in the plain interop tests, a moment for the queue to drain.
        extra.extend(["--interval", "0.01", "--tail", "0.1"]);
    }
    let serve = Proc::spawn(
        "vidgear serve",
        vidgear("serve", port, pattern, bi, &dir, &extra),
    );
    check_vidgear_case(serve, recv, bi);
}

/// Both ends of a vidgear case succeed; every frame arrived byte for byte, with its data, and
/// (bidirectional) the answers came back: all but the last, which vidgear's sender never asks
/// for (it collects each answer with the next frame).
fn check_vidgear_case(serve: Proc, recv: Proc, bi: bool) {
    let sent = serve.wait(Duration::from_secs(60));
    sent.assert_success();
    let received = recv.wait(Duration::from_secs(60));
    received.assert_success();
    let (sent, got) = (sent.summary(), received.summary());
    assert_eq!(got["frames"], VG_FRAMES, "{got}");
    assert_eq!(got["sha256"], sent["sha256"], "frame bytes differ");
    assert_eq!(got["shape"], sent["shape"]);
    if bi {
        assert_eq!(got["data"][0], "hello", "{got}");
        assert_eq!(sent["replies"], VG_FRAMES - 1, "{sent}");
    }
}

#[test]
fn vidgear_over_curve_to_netgear_stonehouse_pattern0_bidirectional() {
    vidgear_sends("stonehouse", 0, true, "vg-s0");
}

#[test]
fn vidgear_over_curve_to_netgear_ironhouse_pattern1_bidirectional() {
    vidgear_sends("ironhouse", 1, true, "vg-i1");
}

#[test]
fn vidgear_over_curve_to_netgear_ironhouse_pattern3() {
    vidgear_sends("ironhouse", 3, false, "vg-i3");
}

/// `netgear serve` in secure mode streams to vidgear as a pyzmq CURVE server (stonehouse: pyzmq
/// runs no ZAP handler, any client key is let in): every frame arrives byte for byte.
fn netgear_sends(pattern: u8, bi: bool, tag: &str) {
    let dir = keys(tag);
    // vidgear cannot say which port it bound: one outside the kernel's ephemeral range.
    let port = port_below_ephemeral();
    let reply: &[&str] = if bi { &["--reply", "ok"] } else { &[] };
    let mut recv = Proc::spawn(
        "vidgear recv",
        vidgear("recv", port, pattern, bi, &dir, reply),
    );
    recv.await_listening(port, Duration::from_secs(60));
    let frames = VG_FRAMES.to_string();
    let mut extra = vec![
        "--frames",
        frames.as_str(),
        "--width",
        "64",
        "--height",
        "48",
    ];
    if bi {
        extra.extend(["--data", "hello"]);
    }
    let serve = netgear_secure("serve", "stonehouse", port, pattern, bi, &dir, &extra);
    check_vidgear_case(serve, recv, bi);
}

#[test]
fn netgear_over_curve_to_vidgear_pattern1_bidirectional() {
    netgear_sends(1, true, "vg-n1");
}

#[test]
fn netgear_over_curve_to_vidgear_pattern3() {
    netgear_sends(3, false, "vg-n3");
}

// ---------------------------------------------------------------------------------------------
// Key files another local user planted or can change

/// `netgear ARGS`, its exit and stderr; bounded (a FIFO among the keys once hung start-up).
fn netgear_in(args: &[String]) -> (bool, String) {
    let exit = Proc::netgear("netgear", args).wait(Duration::from_secs(60));
    (exit.status.success(), exit.stderr_text())
}

fn keygen_args(dir: &Path, force: bool) -> Vec<String> {
    let mut args = vec!["keygen".to_owned(), dir.to_string_lossy().into_owned()];
    if force {
        args.push("--force".to_owned());
    }
    args
}

/// `netgear recv --secure ironhouse --keys DIR` on a port the kernel picks, ended at once by its
/// timeout if it starts: what it says about the keys.
fn recv_with_keys(dir: &Path) -> (bool, String) {
    let mut args = secure_args("recv", "ironhouse", dir, 0, 0);
    let timeout = args
        .iter()
        .position(|a| a == "--timeout")
        .expect("--timeout")
        + 1;
    args[timeout] = "1".to_owned();
    netgear_in(&args)
}

#[test]
fn keygen_never_writes_through_a_link() {
    let dir = scratch("keylinks");
    std::fs::create_dir_all(dir.join("private_keys")).expect("dir");
    // A dangling link where the server's secret goes: keygen refuses, and creates nothing.
    let target = dir.join("stolen");
    let link = KeyFiles::new(&dir).secret("server");
    std::os::unix::fs::symlink(&target, &link).expect("link");
    let (ok, stderr) = netgear_in(&keygen_args(&dir, false));
    assert!(!ok && stderr.contains("already exists"), "{stderr}");
    assert!(!target.exists(), "keygen wrote the secret through the link");
    // --force replaces the link with a file of its own; a link to another file leaves it whole.
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, b"precious").expect("victim");
    std::fs::remove_file(&link).expect("unlink");
    std::os::unix::fs::symlink(&victim, &link).expect("link");
    let (ok, stderr) = netgear_in(&keygen_args(&dir, true));
    assert!(ok, "{stderr}");
    assert_eq!(std::fs::read(&victim).expect("victim"), b"precious");
    assert!(!target.exists());
    let meta = std::fs::symlink_metadata(&link).expect("the secret");
    assert!(meta.file_type().is_file() && mode_of(&link) == 0o600);
    Certificate::load_pair(&link).expect("a key pair");
}

#[test]
fn planted_key_files_are_refused_without_echo() {
    let dir = keys("planted");
    let files = KeyFiles::new(&dir);
    let planted = files.public("planted");
    let refused = |what: &str, because: &str| {
        let (ok, stderr) = recv_with_keys(&dir);
        assert!(!ok, "{what}: started anyway");
        assert!(stderr.contains(because), "{what}: {stderr}");
        assert!(
            stderr.len() < 600,
            "{what}: {} bytes on stderr",
            stderr.len()
        );
    };
    // A link to /dev/zero (which grew the receiver to 2.1 GB), a FIFO (which hung it), a file
    // too large to be a key, and a public-key line without '=' (which was echoed whole).
    std::os::unix::fs::symlink("/dev/zero", &planted).expect("link");
    refused("a link", "it is a symbolic link");
    std::fs::remove_file(&planted).expect("unlink");
    let fifo = std::ffi::CString::new(planted.to_string_lossy().as_bytes()).expect("path");
    // SAFETY: a NUL-terminated path and a mode.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0, "mkfifo");
    refused("a FIFO", "it is not a regular file");
    std::fs::remove_file(&planted).expect("unlink");
    std::fs::write(&planted, vec![b'#'; 1 << 20]).expect("big");
    refused("1 MiB", "more than a key file's");
    let line = format!("public-key {}\n", "x".repeat(3150));
    std::fs::write(&planted, &line).expect("no =");
    refused("no '='", "a public-key line has no '='");
    // Writable by others: anyone could have put their key there.
    std::fs::write(
        &planted,
        std::fs::read(files.public("client")).expect("a key"),
    )
    .expect("key");
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    refused("mode 666", "others may write it");
    std::fs::remove_file(&planted).expect("unlink");
    // A keys directory every user may write, or another user's.
    std::fs::set_permissions(files.public_dir(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod");
    refused("a world-writable directory", "every user may write it");
    std::fs::set_permissions(files.public_dir(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let public_dir =
        std::ffi::CString::new(files.public_dir().to_string_lossy().as_bytes()).expect("path");
    // SAFETY: a NUL-terminated path; 65534 is `nobody` (the tests run as root in CI).
    if unsafe { libc::chown(public_dir.as_ptr(), 65534, 65534) } == 0 {
        refused("another user's directory", "owned by another user");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
