//! H.264 frames (`Compression::H264`) between two netgear-rs ends on real sockets: every
//! pattern, frame replies in video chat, and receivers that join a stream mid-way starting at
//! a key frame the sender makes for them.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;

use common::psnr::psnr;
use common::{drain, port_below_ephemeral, tcp, towards, within};
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
/// joined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_joins_mid_stream_starts_at_a_key_frame() {
    for pattern in [Pattern::PushPull, Pattern::PubSub] {
        let port = port_below_ephemeral();
        let first = Client::new(tcp(pattern, port, false, 5000)).expect("binds");
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
        let receivers = async {
            take(&first, 10).await;
            drop(first);
            let second = Client::new(tcp(pattern, port, false, 5000)).expect("binds again");
            let frames = take(&second, 10).await;
            let skipped = second.skipped_for_key_frame();
            stop.store(true, Ordering::Relaxed);
            let rest = drain(&second).await;
            (frames, skipped, rest)
        };
        let (sent, (frames, skipped, rest)) =
            within(async { tokio::join!(server.launch(source), receivers) }).await;
        sent.expect("streams");
        assert!(rest.error.is_none(), "{pattern:?}: {:?}", rest.error);
        for f in &frames {
            assert_eq!(f.shape(), &[240, 320, 3], "{pattern:?}");
        }
        assert!(
            skipped <= 2,
            "{pattern:?}: {skipped} frames skipped before the key frame"
        );
    }
}

/// The next `n` frames of `client`'s stream.
async fn take(client: &Client, n: usize) -> Vec<Frame> {
    let stream = std::pin::pin!(client.recv_generator());
    stream
        .take(n)
        .map(|item| item.expect("a frame").1)
        .collect()
        .await
}
