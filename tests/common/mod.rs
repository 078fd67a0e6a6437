//! Helpers shared by the integration tests: short-timeout options, small frames, draining a
//! client's stream, and in submodules child processes ([`proc`]), ports and connections
//! ([`net`]), raw ZeroMQ peers ([`raw`]), a counting relay ([`relay`]), PSNR ([`psnr`]) and
//! video chat with compression ([`chat`]).
#![allow(dead_code)]

pub mod chat;
pub mod mode;
pub mod net;
pub mod netns;
pub mod proc;
pub mod psnr;
pub mod raw;
pub mod relay;

#[allow(unused_imports)] // not every test file needs it
pub use net::port_below_ephemeral;

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use netgear::{Client, Data, Dtype, Error, Frame, Options, Pattern, Protocol, Server};

/// The Python of the vidgear venv (`NETGEAR_VENV`, else `.venv` in the repository): vidgear
/// 0.3.6, OpenCV and pyzmq, the references the interop, media, reducer and secure tests compare
/// against. Tests that need it fail, never skip, when it is missing, in one line that says
/// what to run.
pub fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let venv = std::env::var_os("NETGEAR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv"));
    let py = venv.join("bin").join("python");
    assert!(
        py.exists(),
        "this test needs the vidgear venv, missing at {}: run scripts/setup-venv.sh first \
         (once; it pins vidgear 0.3.6, OpenCV and pyzmq)",
        venv.display()
    );
    // The stamp `scripts/setup-venv.sh` writes once everything is installed: the hash of the
    // requirements it installed.
    let stamp = std::fs::read_to_string(venv.join(".netgear-rs-requirements.sha256"));
    let wanted = requirements_hash(&root.join("tests/interop/requirements.txt"));
    match (stamp, wanted) {
        (Err(_), _) => panic!(
            "the vidgear venv at {} was never completed (its setup stopped before the end): \
             run scripts/setup-venv.sh",
            venv.display()
        ),
        (Ok(have), Some(want)) if have.trim() != want => panic!(
            "the vidgear venv at {} was made for other requirements than \
             tests/interop/requirements.txt: run scripts/setup-venv.sh",
            venv.display()
        ),
        _ => {}
    }
    py
}

/// The sha256 of `path` as `sha256sum` prints it (`None` when it cannot be run: then the stamp
/// is not compared).
fn requirements_hash(path: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.split_whitespace().next()?.to_owned())
}

/// Fails the test, in one line that says what to run, unless `program` is on the `PATH`: the
/// tools the tests run besides the crate (`ffmpeg`, `ffprobe`, `script`), which
/// `scripts/deps.sh --test` installs.
pub fn need(program: &str) {
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    });
    assert!(
        found,
        "this test runs `{program}`, which is not installed: run scripts/deps.sh --test first \
         (it installs what the tests need)"
    );
}

/// Upper bound on any one test: a hang becomes a failure, not a stuck suite. Generous, so that
/// a loaded machine never reaches it: it bounds hangs, it does not measure.
pub const TEST_LIMIT: Duration = Duration::from_secs(30);

/// Runs `fut`, failing the test if it takes longer than [`TEST_LIMIT`].
pub async fn within<F: Future>(fut: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, fut)
        .await
        .expect("the test hung")
}

/// Options for either end over tcp on loopback, with a short timeout.
pub fn tcp(pattern: Pattern, port: u16, bidirectional: bool, timeout_ms: u64) -> Options {
    Options {
        address: Some("127.0.0.1".into()),
        port,
        protocol: Protocol::Tcp,
        pattern,
        timeout: Duration::from_millis(timeout_ms),
        bidirectional_mode: bidirectional,
        ..Options::default()
    }
}

/// `opts` aimed at the port `client` bound (over tcp; over ipc `opts` as they are): a client
/// binds port 0, and its server connects to the port the kernel picked.
pub fn towards(client: &Client, opts: Options) -> Options {
    match client.local_port() {
        Some(port) => Options { port, ..opts },
        None => opts,
    }
}

/// A unique socket path under the temp directory (the endpoint appends `:{port}` to it).
pub fn ipc_path(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "netgear-test-{}-{tag}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Options for either end over ipc at `path`, with a short timeout.
pub fn ipc(
    pattern: Pattern,
    path: &std::path::Path,
    bidirectional: bool,
    timeout_ms: u64,
) -> Options {
    Options {
        address: Some(path.to_string_lossy().into_owned()),
        port: 5555,
        protocol: Protocol::Ipc,
        pattern,
        timeout: Duration::from_millis(timeout_ms),
        bidirectional_mode: bidirectional,
        ..Options::default()
    }
}

/// Removes the socket file an ipc end may have left behind.
pub fn remove_ipc(opts: &Options) {
    if let Some(a) = &opts.address {
        let _ = std::fs::remove_file(format!("{a}:{}", opts.port));
    }
}

/// A small 6×8×3 BGR frame whose bytes depend on `i`, so that every frame of a stream differs.
pub fn frame(i: usize) -> Frame {
    let bytes: Vec<u8> = (0..6 * 8 * 3)
        .map(|j| (i.wrapping_mul(37).wrapping_add(j * 7) % 256) as u8)
        .collect();
    Frame::new(Dtype::U8, vec![6, 8, 3], bytes).expect("valid frame")
}

/// Everything a client's stream yielded: the items before the end, and the error if it ended
/// with one.
pub struct Drained {
    pub items: Vec<(Option<Data>, Frame)>,
    pub error: Option<Error>,
}

/// Reads `client.recv_generator()` to its end.
pub async fn drain(client: &Client) -> Drained {
    let mut items = Vec::new();
    let mut error = None;
    let mut stream = std::pin::pin!(client.recv_generator());
    while let Some(item) = stream.next().await {
        match item {
            Ok(it) => items.push(it),
            Err(e) => {
                assert!(error.is_none(), "the stream went on after an error");
                error = Some(e);
            }
        }
    }
    Drained { items, error }
}

/// Streams `n` frames from a server to a client and checks what arrives: the same frames in
/// order, the data sent with them (bidirectional mode), and a clean end. Over tcp the server
/// connects to the port the client bound ([`towards`]): give the client port 0.
pub async fn stream_and_check(client_opts: Options, server_opts: Options, n: usize) {
    let bidi = server_opts.bidirectional_mode;
    let sent: Vec<Frame> = (0..n).map(frame).collect();
    let client = Client::new(client_opts).expect("client binds");
    let mut server = Server::new(towards(&client, server_opts)).expect("server connects");
    let source = sent.clone();
    let server_side = async move {
        if bidi {
            let items = source
                .into_iter()
                .enumerate()
                .map(|(i, f)| (Some(Data::from(i as u64)), f));
            server.launch(futures::stream::iter(items)).await
        } else {
            server.launch(futures::stream::iter(source)).await
        }
    };
    let (launched, drained) = within(async { tokio::join!(server_side, drain(&client)) }).await;
    assert_eq!(launched.expect("launch succeeds"), n as u64);
    assert!(
        drained.error.is_none(),
        "the stream ended with an error: {:?}",
        drained.error
    );
    assert_eq!(drained.items.len(), n, "frame count");
    for (i, (data, f)) in drained.items.iter().enumerate() {
        assert_eq!(f, &sent[i], "frame {i}");
        assert_eq!(f.as_bytes(), sent[i].as_bytes(), "bytes of frame {i}");
        if bidi {
            assert_eq!(data, &Some(Data::from(i as u64)), "data of frame {i}");
        } else {
            assert_eq!(data, &None, "data of frame {i}");
        }
    }
    assert!(client.is_terminated());
    assert!(matches!(client.recv().await, Ok(None)));
}

/// Streams `n` frames over PUB/SUB, paced like a camera, and checks what arrives: PUB/SUB with
/// high-water mark 1 may drop frames, so what arrives is an ordered subsequence of what was
/// sent, at least one frame, and the stream still ends with the terminate message. Over tcp
/// the server connects to the port the client bound ([`towards`]): give the client port 0.
pub async fn pub_sub_and_check(client_opts: Options, server_opts: Options, n: usize) {
    let sent: Vec<Frame> = (0..n).map(frame).collect();
    let client = Client::new(client_opts).expect("client binds");
    let mut server = Server::new(towards(&client, server_opts)).expect("server connects");
    let source_frames = sent.clone();
    let source = async_stream::stream! {
        for f in source_frames {
            // A camera's pace; what is checked holds at any pace (drops are allowed).
            tokio::time::sleep(Duration::from_millis(5)).await;
            yield f;
        }
    };
    let client_side = async move {
        let drained = drain(&client).await;
        let terminated = client.is_terminated();
        // Leaving lets the server stop repeating its terminate message.
        client.close().await;
        (drained, terminated)
    };
    let (launched, (drained, terminated)) =
        within(async { tokio::join!(server.launch(source), client_side) }).await;
    assert_eq!(launched.expect("launch succeeds"), n as u64);
    assert!(
        drained.error.is_none(),
        "the stream ended with an error: {:?}",
        drained.error
    );
    assert!(terminated, "the client saw the terminate message");
    assert!(!drained.items.is_empty(), "at least one frame arrives");
    let mut last = None;
    for (data, f) in &drained.items {
        assert_eq!(data, &None);
        let idx = sent
            .iter()
            .position(|s| s == f)
            .expect("every received frame is one that was sent");
        assert!(last.is_none_or(|l| idx > l), "order preserved");
        last = Some(idx);
    }
}
