//! Media against the real thing: clips made by ffmpeg at test time, decoded by our ffmpeg
//! source, compared with OpenCV's decoding (in the interop venv) and streamed end to end,
//! Rust→Rust and Rust→vidgear; recording checked with ffprobe. And media against hostile
//! input: a stranger's frames in the middle of a recording, every way `recv` can stop while it
//! records, file names that look like ffmpeg options, a URL that never answers, an encoder
//! that is stuck.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::net::wait_until;
use common::proc::{Exit, NETGEAR, Proc};
use common::psnr::psnr;
use common::raw::{self, Side};
use common::{port_below_ephemeral, python, tcp, within};
use futures::StreamExt;
use netgear::media::{Recorder, TestPattern, VideoOptions, VideoSource};
use netgear::wire::Scalar;
use netgear::{Client, Dtype, Error, Frame, Options, Pattern, Server, Source};

const CLIP_FRAMES: usize = 30;
const W: usize = 320;
const H: usize = 240;

/// Bound on any child's run, or on a receiver's start: a hang guard.
const HANG: Duration = Duration::from_secs(60);

/// ffmpeg and ffprobe: every test here runs them (to make clips, through the library or the
/// command, or to read what was recorded).
fn need_media_tools() {
    common::need("ffmpeg");
    common::need("ffprobe");
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netgear-media-{tag}-{}", std::process::id()));
    // Empty: a run with the same process id may have left files here, and a test that waits
    // for a recording to appear would find the old one at once.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A short H.264 clip of ffmpeg's `testsrc2`.
fn make_clip(dir: &Path) -> PathBuf {
    let path = dir.join("clip.mp4");
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", &format!("testsrc2=size={W}x{H}:rate=25")])
        .args(["-frames:v", &CLIP_FRAMES.to_string()])
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(&path);
    Proc::run("ffmpeg (clip)", ffmpeg, HANG).assert_success();
    path
}

/// Frames of `path` as OpenCV decodes them (raw BGR, concatenated).
fn opencv_frames(path: &Path, dir: &Path) -> Vec<u8> {
    let raw = dir.join("opencv.raw");
    let mut script = Command::new(python());
    script
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/cv2_decode.py"))
        .arg(path)
        .arg(&raw);
    Proc::run("cv2_decode.py", script, HANG).assert_success();
    std::fs::read(raw).expect("raw frames")
}

/// Every frame within `min_db` of OpenCV's, and as many frames.
fn assert_like_opencv(ours: &[u8], opencv: &[u8], min_db: f64) {
    let frame = W * H * 3;
    assert_eq!(ours.len(), opencv.len(), "frame counts differ");
    assert_eq!(ours.len(), CLIP_FRAMES * frame);
    for (i, (a, b)) in ours.chunks(frame).zip(opencv.chunks(frame)).enumerate() {
        let db = psnr(a, b);
        assert!(db >= min_db, "frame {i}: PSNR {db:.1} dB < {min_db}");
    }
}

async fn decode_all(opts: VideoOptions) -> Vec<Frame> {
    let src = VideoSource::open(opts).await.expect("opens");
    src.into_stream()
        .map(|f| f.expect("decodes"))
        .collect()
        .await
}

#[tokio::test]
async fn video_source_decodes_like_opencv() {
    need_media_tools();
    let dir = scratch("decode");
    let clip = make_clip(&dir);
    let src = VideoSource::open(VideoOptions::new(clip.to_string_lossy()))
        .await
        .expect("opens");
    assert_eq!((src.width(), src.height()), (W, H));
    assert_eq!(src.fps(), Some(25.0));
    let frames: Vec<Frame> = src.into_stream().map(|f| f.expect("frame")).collect().await;
    assert!(frames.iter().all(|f| f.shape() == [H, W, 3]));
    let ours: Vec<u8> = frames.iter().flat_map(|f| f.as_bytes().to_vec()).collect();
    assert_like_opencv(&ours, &opencv_frames(&clip, &dir), 35.0);
}

#[tokio::test]
async fn image_sequences_and_gray_frames() {
    need_media_tools();
    let dir = scratch("images");
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "testsrc2=size=64x48:rate=5", "-frames:v", "5"])
        .arg(dir.join("img%03d.png"));
    Proc::run("ffmpeg (images)", ffmpeg, HANG).assert_success();
    let numbered = dir.join("img%03d.png").to_string_lossy().into_owned();
    let globbed = dir.join("*.png").to_string_lossy().into_owned();
    for source in [numbered.clone(), globbed] {
        let frames = decode_all(VideoOptions::new(source)).await;
        assert_eq!(frames.len(), 5);
    }
    let mut gray = VideoOptions::new(numbered);
    gray.frame_format = "gray".into();
    let frames = decode_all(gray).await;
    assert_eq!(frames[0].shape(), &[48, 64]);
}

#[tokio::test]
async fn bad_sources_give_one_clear_error() {
    need_media_tools();
    let dir = scratch("bad");
    let missing = VideoSource::open(VideoOptions::new("/nonexistent/clip.mp4")).await;
    assert!(
        matches!(&missing, Err(Error::Media(m)) if m.to_string().contains("No such file")),
        "{:?}",
        missing.err()
    );
    let garbage = dir.join("garbage.mp4");
    std::fs::write(&garbage, vec![0x5au8; 4096]).expect("write");
    let undecodable = VideoSource::open(VideoOptions::new(garbage.to_string_lossy())).await;
    assert!(matches!(undecodable, Err(Error::Media(_))));
    let mut no_ffmpeg = VideoOptions::new(make_clip(&dir).to_string_lossy());
    no_ffmpeg.ffmpeg = Some("/nonexistent/bin/ffmpeg".into());
    let r = VideoSource::open(no_ffmpeg).await;
    assert!(
        matches!(&r, Err(Error::Media(m)) if m.to_string().contains("not found")),
        "{:?}",
        r.err()
    );
    let mut format = VideoOptions::new("x.mp4");
    format.frame_format = "yuv420p".into();
    assert!(matches!(
        VideoSource::open(format).await,
        Err(Error::InvalidOption(_))
    ));
}

#[tokio::test]
async fn ffmpeg_never_outlives_its_source() {
    need_media_tools();
    let dir = scratch("child");
    let clip = make_clip(&dir);
    let mut src = VideoSource::open(VideoOptions::new(clip.to_string_lossy()))
        .await
        .expect("opens");
    src.read().await.expect("reads").expect("a frame");
    let pid = src.pid().expect("ffmpeg runs");
    drop(src);
    let stat = format!("/proc/{pid}/stat");
    tokio::task::spawn_blocking(move || {
        wait_until("ffmpeg ended after its source was dropped", HANG, || {
            let state = std::fs::read_to_string(&stat).ok();
            // gone, or a zombie waiting to be reaped: not running either way
            state.as_deref().is_none_or(|s| s.contains(") Z "))
        })
    })
    .await
    .expect("wait");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_video_source_streams_rust_to_rust() {
    need_media_tools();
    let dir = scratch("r2r");
    let clip = make_clip(&dir);
    let expected = decode_all(VideoOptions::new(clip.to_string_lossy())).await;
    let client = Client::new(tcp(Pattern::Pair, 0, false, 3000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(Options {
        source: Some(Source::Video(VideoOptions::new(clip.to_string_lossy()))),
        ..tcp(Pattern::Pair, port, false, 3000)
    })
    .expect("connects");
    let receive = async {
        let frames: Vec<Frame> = client.frames().map(|f| f.expect("frame")).collect().await;
        frames
    };
    let (sent, got) = within(async { tokio::join!(server.run(None), receive) }).await;
    assert_eq!(sent.expect("streams"), CLIP_FRAMES as u64);
    assert_eq!(got, expected, "frames arrive byte for byte");
    // vidgear refuses bidirectional mode with a built-in source, and so do we
    let bi = Options {
        bidirectional_mode: true,
        source: Some(Source::Video(VideoOptions::new("x.mp4"))),
        ..Options::default()
    };
    assert!(matches!(
        Server::new(bi),
        Err(Error::BidirectionalWithSource)
    ));
}

/// Both ends' address, port and timeout (generous: it bounds how long the receiver waits for
/// the sender to start).
fn conn(port: u16) -> Vec<String> {
    let port = port.to_string();
    ["--address", "127.0.0.1", "--port", &port, "--timeout", "20"]
        .map(String::from)
        .into()
}

/// Starts `receiver`, then, once it has bound, the sender `sender` makes for its port; both
/// must succeed. `port` is the port the receiver was given (vidgear, which cannot say which it
/// bound), or `None` for `netgear recv --port 0`, which says.
fn receive_and_send(receiver: Command, port: Option<u16>, sender: impl FnOnce(u16) -> Command) {
    let mut rx = Proc::spawn("receiver", receiver);
    let port = match port {
        Some(port) => {
            rx.await_listening(port, HANG);
            port
        }
        None => rx.await_bound_port(HANG),
    };
    Proc::run("sender", sender(port), HANG).assert_success();
    rx.wait(HANG).assert_success();
}

/// `netgear serve --source clip.mp4` → vidgear client: what arrives matches OpenCV's decoding.
#[test]
fn video_file_to_vidgear_client() {
    need_media_tools();
    let dir = scratch("vg");
    let clip = make_clip(&dir);
    let raw = dir.join("vidgear.raw");
    let port = port_below_ephemeral();
    let mut vidgear = Command::new(python());
    vidgear
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/vg_peer.py"))
        .arg("recv")
        .args(conn(port))
        .arg("--save-raw")
        .arg(&raw);
    receive_and_send(vidgear, Some(port), |port| {
        let mut netgear = Command::new(NETGEAR);
        netgear
            .arg("serve")
            .args(conn(port))
            .arg("--source")
            .arg(&clip);
        netgear
    });
    let received = std::fs::read(&raw).expect("raw frames");
    assert_like_opencv(&received, &opencv_frames(&clip, &dir), 35.0);
}

fn ffprobe_frames(path: &Path) -> (u64, String) {
    let mut ffprobe = Command::new("ffprobe");
    ffprobe
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames,width,height"])
        .args(["-of", "csv=p=0"])
        .arg(path);
    let out = Proc::run("ffprobe", ffprobe, HANG);
    let text = out.stdout_text().trim().to_owned();
    let frames = text
        .rsplit(',')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (frames, text)
}

#[tokio::test]
async fn recorder_writes_a_playable_file() {
    need_media_tools();
    let dir = scratch("rec");
    let path = dir.join("rec.mp4");
    let pattern = TestPattern::new(161, 121);
    let mut rec = Recorder::for_frame(&path, &pattern.frame(0), 25.0, None).expect("starts");
    for n in 0..20 {
        rec.write(&pattern.frame(n)).await.expect("writes");
    }
    let wrong = Frame::from_bgr(
        netgear::Size {
            width: 2,
            height: 2,
        },
        vec![0u8; 12],
    )
    .expect("frame");
    assert!(!rec.accepts(&wrong));
    assert!(matches!(
        rec.write(&wrong).await,
        Err(Error::Media(m)) if m.is_invalid_frame()
    ));
    // Refused without harm: the recording goes on.
    rec.write(&pattern.frame(20)).await.expect("writes");
    assert_eq!(rec.finish().await.expect("finishes"), 21);
    let (frames, text) = ffprobe_frames(&path);
    assert_eq!(frames, 21, "ffprobe: {text}");
    assert!(text.starts_with("162,122"), "padded to even sizes: {text}");
}

/// The end-to-end check: `netgear serve --source clip.mp4` → `netgear recv --save out.mp4`.
#[test]
fn serve_file_recv_save() {
    need_media_tools();
    let dir = scratch("cli");
    let clip = make_clip(&dir);
    let out = dir.join("out.mp4");
    let mut recv = Command::new(NETGEAR);
    recv.arg("recv").args(conn(0)).arg("--save").arg(&out);
    receive_and_send(recv, None, |port| {
        let mut serve = Command::new(NETGEAR);
        serve
            .arg("serve")
            .args(conn(port))
            .args(["--reduce", "50"])
            .arg("--source")
            .arg(&clip);
        serve
    });
    let (frames, text) = ffprobe_frames(&out);
    assert_eq!(frames, CLIP_FRAMES as u64, "ffprobe: {text}");
    assert!(text.starts_with("160,120"), "reduced by half: {text}");
}

// ---------------------------------------------------------------------------------------------
// hostile input and hung processes

/// ffprobe reads the recording to its end: the file is complete (an MP4 has its index, the
/// `moov` atom), with this many frames.
fn assert_playable(path: &Path) -> u64 {
    let (frames, text) = ffprobe_frames(path);
    assert!(
        frames > 0,
        "{} is not playable (no moov atom?): ffprobe says {text:?}",
        path.display()
    );
    frames
}

/// `netgear recv --save out` on `port` with `--timeout SECONDS` and `extra` flags.
fn recv_saving(port: u16, timeout: &str, out: &Path, extra: &[&str]) -> Command {
    let mut recv = Command::new(NETGEAR);
    recv.env_remove("RUST_LOG")
        .args([
            "recv",
            "--address",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args(["--timeout", timeout, "--json", "--save"])
        .arg(out)
        .args(extra);
    recv
}

/// Waits until ffmpeg has created the recording: it does once it has a frame to encode.
fn await_recording(recv: &mut Proc, out: &Path) {
    recv.await_event("the recording to start", HANG, || out.exists());
}

/// A sender streams 64×48 frames over PUSH/PULL while a stranger connects a second PUSH socket
/// and sends frames of another shape, of another dtype, and of two dimensions: each is skipped
/// and counted, the stream goes on, and the recording holds every frame of the sender.
#[test]
fn a_strangers_frames_do_not_spoil_a_recording() {
    need_media_tools();
    let dir = scratch("stranger");
    let out = dir.join("out.mp4");
    let mut rx = Proc::spawn(
        "recv --save",
        recv_saving(0, "20", &out, &["--pattern", "3"]),
    );
    let port = rx.await_bound_port(HANG);
    let pattern = TestPattern::new(64, 48);
    let sender = raw::socket(zmq::PUSH, port, Side::Connect);
    sender.set_linger(10_000).expect("linger");
    let send = |n: u64| {
        sender
            .send_multipart(raw::frame_message(false, None, &pattern.frame(n)), 0)
            .expect("a frame");
    };
    (0..10).for_each(send);
    // The recording is of the sender's frames: the stranger has not connected yet.
    await_recording(&mut rx, &out);
    let stranger = raw::socket(zmq::PUSH, port, Side::Connect);
    stranger.set_linger(10_000).expect("linger");
    let strangers = [
        raw::sevens(),
        Frame::zeros(Dtype::native(Scalar::F32), [48, 64, 3]).expect("frame"),
        Frame::zeros(Dtype::U8, [48, 64]).expect("frame"),
    ];
    for f in &strangers {
        stranger
            .send_multipart(raw::frame_message(false, None, f), 0)
            .expect("a stranger's frame");
    }
    rx.await_stderr(HANG, strangers.len(), |l| l.starts_with("not recorded: "));
    (10..20).for_each(send);
    sender.send(raw::terminate(), 0).expect("the end");
    let exit = rx.wait(HANG);
    exit.assert_success();
    let summary = exit.summary();
    assert_eq!(summary["frames"], 23, "{summary}");
    assert_eq!(summary["save_frames"], 20, "{summary}");
    assert_eq!(summary["save_skipped"], 3, "{summary}");
    assert_eq!(assert_playable(&out), 20);
}

/// A stranger's frames sent before the sender's, as an outside audit sent them: ones H.264 cannot
/// take (40,000 pixels wide; 22,369,621 wide, as 2 KB of zstd) are skipped without a file being
/// started or the receiver ending, and with `--save-size` a tiny gray frame cannot size the
/// recording either. Either way the sender's 20 frames are recorded, and `recv` ends well.
#[test]
fn a_stranger_first_cannot_end_or_size_a_recording() {
    need_media_tools();
    let pattern = TestPattern::new(64, 48);
    let too_wide = Frame::zeros(Dtype::U8, [2, 40_000, 3]).expect("frame");
    let far_too_wide = Frame::zeros(Dtype::U8, [1, 22_369_621, 3]).expect("frame");
    let far_too_wide =
        netgear::wire::compressed_frame_part(&far_too_wide, netgear::Compression::ZSTD)
            .expect("zstd");
    assert!(far_too_wide.len() < 4096, "{} bytes", far_too_wide.len());
    let tiny_gray = Frame::zeros(Dtype::U8, [2, 2]).expect("frame");
    let header = raw::frame_message(false, None, &tiny_gray).remove(0);
    for (name, extra, skipped) in [
        ("first frames too wide", &[][..], 2),
        ("a tiny gray frame first", &["--save-size", "64x48"][..], 3),
    ] {
        let dir = scratch("stranger-first");
        let out = dir.join("out.mp4");
        let mut args = vec!["--pattern", "3"];
        args.extend_from_slice(extra);
        let mut rx = Proc::spawn("recv --save", recv_saving(0, "20", &out, &args));
        let port = rx.await_bound_port(HANG);
        let stranger = raw::socket(zmq::PUSH, port, Side::Connect);
        stranger.set_linger(10_000).expect("linger");
        stranger
            .send_multipart(raw::frame_message(false, None, &too_wide), 0)
            .expect("a stranger's frame");
        stranger
            .send_multipart([&header[..], &far_too_wide[..]], 0)
            .expect("a stranger's frame");
        if skipped == 3 {
            stranger
                .send_multipart(raw::frame_message(false, None, &tiny_gray), 0)
                .expect("a stranger's frame");
        }
        rx.await_stderr(HANG, skipped, |l| l.starts_with("not recorded: "));
        assert!(!out.exists(), "{name}: a recording was started");
        let sender = raw::socket(zmq::PUSH, port, Side::Connect);
        sender.set_linger(10_000).expect("linger");
        for n in 0..20 {
            sender
                .send_multipart(raw::frame_message(false, None, &pattern.frame(n)), 0)
                .expect("a frame");
        }
        sender.send(raw::terminate(), 0).expect("the end");
        let exit = rx.wait(HANG);
        exit.assert_success();
        let summary = exit.summary();
        assert_eq!(summary["frames"], 20 + skipped, "{name}: {summary}");
        assert_eq!(summary["save_frames"], 20, "{name}: {summary}");
        assert_eq!(summary["save_skipped"], skipped, "{name}: {summary}");
        assert_eq!(assert_playable(&out), 20, "{name}");
    }
}

/// A streaming `netgear serve` of the test pattern (it runs until it is killed).
fn endless_sender(port: u16) -> Proc {
    let mut serve = Command::new(NETGEAR);
    serve
        .env_remove("RUST_LOG")
        .args([
            "serve",
            "--address",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args(["--timeout", "20", "--width", "64", "--height", "48"])
        .args(["--frames", "1000000", "--fps", "50"]);
    Proc::spawn("serve", serve)
}

/// `recv --save` whose sender dies: it times out, an error exit, and the file it was writing is
/// finished all the same, with every frame it recorded.
#[test]
fn a_recording_is_finished_when_recv_times_out() {
    need_media_tools();
    let dir = scratch("timeout");
    let out = dir.join("out.mp4");
    let mut rx = Proc::spawn("recv --save", recv_saving(0, "2", &out, &[]));
    let port = rx.await_bound_port(HANG);
    let mut tx = endless_sender(port);
    await_recording(&mut rx, &out);
    tx.kill();
    let exit = rx.wait(HANG);
    assert_eq!(exit.status.code(), Some(1), "{}", exit.stderr_text());
    let summary = exit.summary();
    assert!(summary["error"].is_string(), "{summary}");
    let saved = summary["save_frames"].as_u64().expect("save_frames");
    assert!(saved > 0, "{summary}");
    assert_eq!(assert_playable(&out), saved);
}

/// SIGTERM (and Ctrl-C, which is SIGINT) end `recv --save` the way the end of the stream does:
/// the recording finished, the summary printed, exit status 0.
#[test]
fn a_recording_is_finished_on_sigterm_and_sigint() {
    need_media_tools();
    for (signal, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        let dir = scratch(&format!("signal-{name}"));
        let out = dir.join("out.mp4");
        let mut rx = Proc::spawn("recv --save", recv_saving(0, "20", &out, &[]));
        let port = rx.await_bound_port(HANG);
        let _tx = endless_sender(port);
        await_recording(&mut rx, &out);
        let pid = libc::pid_t::try_from(rx.pid()).expect("a pid");
        // SAFETY: kill(2) with a valid signal number on the receiver this test started.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill {name}");
        let exit = rx.wait(HANG);
        exit.assert_success();
        let summary = exit.summary();
        assert_eq!(summary["stopped_by"], name, "{summary}");
        let saved = summary["save_frames"].as_u64().expect("save_frames");
        assert!(saved > 0, "{summary}");
        assert_eq!(assert_playable(&out), saved, "{name}");
    }
}

/// A recorder dropped without `finish` (an early `?` in a library user's loop) closes ffmpeg's
/// input instead of killing it: ffmpeg finishes the file.
#[tokio::test]
async fn a_dropped_recorder_leaves_a_playable_file() {
    need_media_tools();
    let dir = scratch("dropped");
    let path = dir.join("dropped.mp4");
    let pattern = TestPattern::new(64, 48);
    let mut rec = Recorder::for_frame(&path, &pattern.frame(0), 25.0, None).expect("starts");
    for n in 0..10 {
        rec.write(&pattern.frame(n)).await.expect("writes");
    }
    let pid = rec.pid().expect("ffmpeg runs");
    drop(rec);
    let stat = format!("/proc/{pid}/stat");
    tokio::task::spawn_blocking(move || {
        wait_until("ffmpeg ended after its recorder was dropped", HANG, || {
            let state = std::fs::read_to_string(&stat).ok();
            state.as_deref().is_none_or(|s| s.contains(") Z "))
        })
    })
    .await
    .expect("wait");
    assert_eq!(assert_playable(&path), 10);
}

/// Paths that start with `-` are files, not ffmpeg options: `--source=-report` is a missing
/// file (ffmpeg's `-report` would have written a log into the working directory), a clip named
/// `-clip.mp4` streams, and `--save=-out.mp4` records.
#[test]
fn names_that_look_like_options_are_files() {
    need_media_tools();
    let dir = scratch("dash");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    let mut serve = Command::new(NETGEAR);
    serve
        .current_dir(&empty)
        .env_remove("RUST_LOG")
        .arg("serve")
        .args(conn(port_below_ephemeral()))
        .arg("--source=-report");
    let exit = Proc::run("serve --source=-report", serve, HANG);
    assert_eq!(exit.status.code(), Some(1), "{}", exit.stderr_text());
    let said = exit.stderr_text();
    assert!(
        said.contains("error: cannot open \"-report\"") && said.contains("No such file"),
        "{said}"
    );
    let left: Vec<_> = std::fs::read_dir(&empty)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "ffprobe wrote {left:?}");

    std::fs::rename(make_clip(&dir), dir.join("-clip.mp4")).expect("rename");
    let mut recv = Command::new(NETGEAR);
    recv.current_dir(&dir)
        .arg("recv")
        .args(conn(0))
        .arg("--save=-out.mp4");
    receive_and_send(recv, None, |port| {
        let mut serve = Command::new(NETGEAR);
        serve
            .current_dir(&dir)
            .arg("serve")
            .args(conn(port))
            .arg("--source=-clip.mp4");
        serve
    });
    assert_eq!(assert_playable(&dir.join("-out.mp4")), CLIP_FRAMES as u64);
}

/// A TCP listener that accepts connections and never says a word.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let held: Vec<TcpStream> = listener.incoming().map_while(Result::ok).collect();
        drop(held);
    });
    port
}

/// An HTTP server that answers its first request with `body` (ffprobe's) and every later one
/// (ffmpeg's) with headers and then silence: a stream that stops sending.
fn stalling_http_server(body: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(mut conn) = conn else { return };
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") {
                match conn.read(&mut byte) {
                    Ok(1) => request.push(byte[0]),
                    _ => break,
                }
            }
            let head = b"HTTP/1.0 200 OK\r\nContent-Type: video/mp2t\r\n\r\n";
            let _ = conn.write_all(head);
            if n == 0 {
                let _ = conn.write_all(&body);
            } else {
                held.push(conn);
            }
        }
    });
    port
}

/// ffprobe on a URL that never answers: the command fails with a timeout that names ffprobe,
/// after `--media-timeout`.
#[test]
fn a_source_that_never_answers_times_out() {
    need_media_tools();
    let url = format!("http://127.0.0.1:{}/clip.ts", silent_server());
    let mut serve = Command::new(NETGEAR);
    serve
        .env_remove("RUST_LOG")
        .arg("serve")
        .args(conn(port_below_ephemeral()))
        .args(["--source", &url, "--media-timeout", "2"]);
    let started = Instant::now();
    let exit: Exit = Proc::run("serve --source <silent URL>", serve, HANG);
    exit.assert_timed_out(Duration::from_secs(2), "ffprobe to probe the video source");
    assert!(started.elapsed() >= Duration::from_secs(2));
}

/// A stream that answers ffprobe and then stops sending: the read fails with a timeout instead
/// of waiting forever.
#[tokio::test]
async fn a_stream_that_stops_sending_times_out() {
    need_media_tools();
    let dir = scratch("stall");
    let clip = dir.join("clip.ts");
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "testsrc2=size=64x48:rate=25", "-frames:v", "10"])
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(&clip);
    Proc::run("ffmpeg (ts clip)", ffmpeg, HANG).assert_success();
    let port = stalling_http_server(std::fs::read(&clip).expect("clip"));
    let mut opts = VideoOptions::new(format!("http://127.0.0.1:{port}/clip.ts"));
    opts.timeout = Duration::from_secs(2);
    let mut src = within(VideoSource::open(opts)).await.expect("probed");
    assert_eq!((src.width(), src.height()), (64, 48));
    let read = within(src.read()).await;
    assert!(
        matches!(
            &read,
            Err(Error::Timeout { after, waiting_for, .. })
                if *after == Duration::from_secs(2) && waiting_for.contains("frame from ffmpeg")
        ),
        "{read:?}"
    );
    assert!(
        matches!(src.read().await, Ok(None)),
        "ended after the error"
    );
}

/// ffmpeg stuck (its output is a FIFO nobody reads: it blocks opening it and stops taking
/// frames): a write fails with a timeout instead of blocking forever, and so does `finish`.
#[tokio::test]
async fn a_stuck_encoder_times_out() {
    need_media_tools();
    let dir = scratch("stuck");
    let fifo = dir.join("fifo.mp4");
    let _ = std::fs::remove_file(&fifo);
    let name = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).expect("path");
    // SAFETY: mkfifo(3) with a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
    let pattern = TestPattern::new(640, 480);
    let limit = Duration::from_secs(2);
    let mut rec = Recorder::for_frame(&fifo, &pattern.frame(0), 25.0, None)
        .expect("starts")
        .with_timeout(limit);
    let pid = rec.pid().expect("ffmpeg runs");
    // A frame is 900 KB and a pipe holds 64 KiB: once ffmpeg's input queue is full, a write
    // cannot complete.
    let mut result = Ok(());
    for n in 0..100 {
        result = within(rec.write(&pattern.frame(n))).await;
        if result.is_err() {
            break;
        }
    }
    assert!(
        matches!(&result, Err(Error::Timeout { after, waiting_for, .. })
            if *after == limit && waiting_for.contains("take a frame")),
        "{result:?}"
    );
    let finished = within(rec.finish()).await;
    assert!(
        matches!(&finished, Err(Error::Timeout { waiting_for, .. })
            if waiting_for.contains("finish the recording")),
        "{finished:?}"
    );
    let stat = format!("/proc/{pid}/stat");
    let gone = std::fs::read_to_string(&stat).ok();
    assert!(
        gone.as_deref().is_none_or(|s| s.contains(") Z ")),
        "the stuck ffmpeg was stopped: {gone:?}"
    );
}
