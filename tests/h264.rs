//! H.264 frames (`Compression::H264`) between two netgear-rs ends on real sockets: every
//! pattern, frame replies in video chat, and receivers that join a stream mid-way starting at
//! a key frame the sender makes for them.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;

use common::psnr::psnr;
use common::{TEST_LIMIT, drain, port_below_ephemeral, tcp, towards, within};
use netgear::media::TestPattern;
use netgear::{Client, Compression, Frame, Options, Pattern, Server};

const H264: Compression = Compression::H264 { kbps: 8000 };

fn pattern_frames(width: usize, height: usize, n: u64) -> Vec<Frame> {
    let source = TestPattern::new(width, height);
    (0..n).map(|i| source.frame(i)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h264_in_every_lossless_pattern_every_frame_decoded() {
    for pattern in [Pattern::Pair, Pattern::ReqRep, Pattern::PushPull] {
        let client = Client::new(tcp(pattern, 0, false, 5000)).expect("binds");
        let mut server = Server::new(Options {
            compression: H264,
            ..towards(&client, tcp(pattern, 0, false, 5000))
        })
        .expect("connects");
        let sent = pattern_frames(320, 240, 30);
        let source = futures::stream::iter(sent.clone());
        let (n, got) = within(async { tokio::join!(server.launch(source), drain(&client)) }).await;
        assert_eq!(n.expect("streams"), 30);
        assert!(got.error.is_none(), "{pattern:?}: {:?}", got.error);
        assert_eq!(got.items.len(), 30, "{pattern:?}: every frame shown");
        for (a, (_, b)) in sent.iter().zip(&got.items) {
            assert_eq!((b.dtype(), b.shape()), (a.dtype(), a.shape()));
            let db = psnr(a.as_bytes(), b.as_bytes());
            assert!(db >= 25.0, "{pattern:?}: {db:.1} dB");
        }
        assert_eq!(client.skipped_for_key_frame(), 0, "{pattern:?}");
        assert_eq!(server.codec_times().encoded().frames, 30);
        assert_eq!(client.codec_times().decoded().frames, 30);
    }
}

/// Video chat with H.264 both ways: the client's frame replies are a stream of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h264_frame_replies() {
    let server = common::chat::frame_replies(H264, 20, 25.0).await;
    assert_eq!(server.skipped_for_key_frame(), 0);
}

/// A receiver restarted mid-stream (PUSH/PULL and PUB/SUB, the sender riding the outage out)
/// gets a key frame at once: with key frames otherwise an hour apart, the new receiver shows
/// frames within moments, having skipped at most the frame already being encoded when it
/// joined. In PUB/SUB a frame the new receiver had no room for (a high-water mark of 1) is
/// followed by a key frame too: one dropped unseen would leave it waiting for the next
/// periodic key frame, an hour away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_joins_mid_stream_starts_at_a_key_frame() {
    for pattern in [Pattern::PushPull, Pattern::PubSub] {
        replace_the_receiver(pattern, false).await;
    }
}

/// The lock-step patterns too (PAIR, REQ/REP: a key frame only every 10 s by default): a
/// receiver replaced by a new one on the same port mid-stream, itself riding outages out or
/// not, starts at a key frame the sender makes as soon as it has it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_step_receiver_replaced_mid_stream_starts_at_a_key_frame() {
    for pattern in [Pattern::Pair, Pattern::ReqRep] {
        for receiver_reconnects in [false, true] {
            replace_the_receiver(pattern, receiver_reconnects).await;
        }
    }
}

/// A sender streams a live camera (key frames an hour apart, riding outages out) to a receiver
/// that takes 10 frames and is dropped; a new one binds the same port and must show 10 frames,
/// having skipped at most 2 before its key frame. A test that hangs says which pattern, and
/// which receiver was waiting for what.
async fn replace_the_receiver(pattern: Pattern, receiver_reconnects: bool) {
    let port = port_below_ephemeral();
    let receiver = || Options {
        reconnect: receiver_reconnects,
        ..tcp(pattern, port, false, 5000)
    };
    let first = Client::new(receiver()).expect("binds");
    let mut server = Server::new(Options {
        compression: H264,
        key_interval: Some(Duration::from_secs(3600)),
        reconnect: true,
        ..tcp(pattern, port, false, 5000)
    })
    .expect("connects");
    let stop = Arc::new(AtomicBool::new(false));
    let camera = TestPattern::new(320, 240);
    let source = {
        let stop = stop.clone();
        async_stream::stream! {
            // A live camera at 100 fps: its clock paces the frames (nothing waits on it).
            let mut clock = tokio::time::interval(Duration::from_millis(10));
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                clock.tick().await;
                yield camera.frame(n);
                n += 1;
            }
        }
    };
    let waiting = Waiting::default();
    let receivers = async {
        take(&first, 10, &waiting, "the first receiver").await;
        drop(first);
        let second = Client::new(receiver()).expect("binds again");
        let frames = take(&second, 10, &waiting, "the receiver that replaced it").await;
        let skipped = second.skipped_for_key_frame();
        stop.store(true, Ordering::Relaxed);
        waiting.set("the end of the stream".into());
        let rest = drain(&second).await;
        (frames, skipped, rest)
    };
    let hung = |what: String| {
        format!("the test hung ({pattern:?}, receiver reconnect {receiver_reconnects}): {what}")
    };
    let (sent, (frames, skipped, rest)) = tokio::time::timeout(TEST_LIMIT, async {
        tokio::join!(server.launch(source), receivers)
    })
    .await
    .unwrap_or_else(|_| panic!("{}", hung(waiting.get())));
    sent.expect("streams");
    assert!(rest.error.is_none(), "{pattern:?}: {:?}", rest.error);
    for f in &frames {
        assert_eq!(f.shape(), &[240, 320, 3], "{pattern:?}");
    }
    assert!(
        skipped <= 2,
        "{pattern:?} (receiver reconnect {receiver_reconnects}): {skipped} frames skipped before \
         the key frame"
    );
}

/// What a test's receivers are waiting for, for the message of a test that hangs.
#[derive(Default)]
struct Waiting(Mutex<String>);

impl Waiting {
    fn set(&self, what: String) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = what;
    }

    fn get(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The next `n` frames of `client`'s stream (`who`'s), saying in `waiting` how far it got.
async fn take(client: &Client, n: usize, waiting: &Waiting, who: &str) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(n);
    let mut stream = std::pin::pin!(client.recv_generator());
    while frames.len() < n {
        waiting.set(format!(
            "{who} was waiting for its frame {} of {n} (frames before a key frame are skipped)",
            frames.len() + 1
        ));
        match stream.next().await {
            Some(Ok((_, frame))) => frames.push(frame),
            Some(Err(e)) => panic!("{who}: {e}"),
            None => panic!("{who}: the stream ended after {} frames", frames.len()),
        }
    }
    frames
}
