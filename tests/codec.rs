//! Compressed frames between two netgear-rs ends on real sockets: JPEG through libjpeg-turbo,
//! lz4 and zstd, in every pattern, as frame replies too; the receiver needs no option.

mod common;

use common::psnr::psnr;
use common::{drain, tcp, within};
use netgear::media::TestPattern;
use netgear::{Client, Compression, Frame, Options, Pattern, Server};

/// Streams `frames` from a server compressing with `compression` and returns what arrived.
async fn stream(pattern: Pattern, compression: Compression, frames: Vec<Frame>) -> Vec<Frame> {
    let client = Client::new(tcp(pattern, 0, false, 5000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(Options {
        compression,
        ..tcp(pattern, port, false, 5000)
    })
    .expect("connects");
    let n = frames.len() as u64;
    let source = futures::stream::iter(frames);
    let (sent, got) = within(async { tokio::join!(server.launch(source), drain(&client)) }).await;
    assert_eq!(sent.expect("streams"), n);
    assert!(got.error.is_none(), "{:?}", got.error);
    got.items.into_iter().map(|(_, f)| f).collect()
}

fn pattern_frames(width: usize, height: usize, n: u64) -> Vec<Frame> {
    let source = TestPattern::new(width, height);
    (0..n).map(|i| source.frame(i)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_in_every_pattern_at_38_db() {
    for pattern in [Pattern::Pair, Pattern::ReqRep, Pattern::PushPull] {
        let sent = pattern_frames(640, 480, 5);
        let got = stream(pattern, Compression::JPEG, sent.clone()).await;
        assert_eq!(got.len(), sent.len(), "{pattern:?}");
        for (a, b) in sent.iter().zip(&got) {
            assert_eq!((b.dtype(), b.shape()), (a.dtype(), a.shape()));
            let db = psnr(a.as_bytes(), b.as_bytes());
            assert!(db >= 38.0, "{pattern:?}: {db:.1} dB at quality 90");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_over_pubsub_arrives() {
    let client = Client::new(tcp(Pattern::PubSub, 0, false, 5000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(Options {
        compression: Compression::JPEG,
        ..tcp(Pattern::PubSub, port, false, 5000)
    })
    .expect("connects");
    let source = TestPattern::new(320, 240);
    // PUB/SUB keeps one frame in flight and drops what a slow subscriber has no room for.
    let frames = async_stream::stream! {
        for n in 0..20 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            yield source.frame(n);
        }
    };
    let (sent, got) = within(async { tokio::join!(server.launch(frames), drain(&client)) }).await;
    assert_eq!(sent.expect("streams"), 20);
    assert!(got.error.is_none(), "{:?}", got.error);
    assert!(!got.items.is_empty());
    for (_, f) in &got.items {
        assert_eq!(f.shape(), &[240, 320, 3]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossless_modes_are_byte_exact() {
    let depth = Frame::from_elements(
        &(0..120 * 160)
            .map(|i| (i * 37 % 65_521) as u16)
            .collect::<Vec<_>>(),
        [120, 160],
    )
    .expect("a depth map");
    let float = Frame::from_elements(
        &(0..3000).map(|i| i as f32 / 7.0).collect::<Vec<_>>(),
        [10, 100, 3],
    )
    .expect("a float frame");
    let image = TestPattern::new(320, 240).frame(3);
    for compression in [Compression::Lz4, Compression::ZSTD] {
        for pattern in [Pattern::Pair, Pattern::PushPull] {
            let sent = vec![depth.clone(), float.clone(), image.clone()];
            let got = stream(pattern, compression, sent.clone()).await;
            assert_eq!(got, sent, "{compression} {pattern:?}");
        }
    }
    // JPEG leaves what it cannot carry as it is: exact too.
    let got = stream(Pattern::Pair, Compression::JPEG, vec![depth.clone()]).await;
    assert_eq!(got, vec![depth]);
}

/// Video chat with compression on both ends: the client's frame replies go as JPEG too, and
/// the server gets ordinary frames back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_frame_replies() {
    common::chat::frame_replies(Compression::JPEG, 10, 38.0).await;
}

/// With a frame to compress and a core to spare, the server takes the next frame from its
/// source (and starts encoding it) while the current one is on the wire: a raw lock-step PAIR
/// peer that holds its answer to the first frame sees the source asked for the second before it
/// answers. Without the overlap the source would wait for that answer, and the peer for the
/// source, until the hang guard. In Bidirectional Mode the source may read the answers, so it
/// is asked for the next frame only once the answer is in — unless `encode_ahead` says it does
/// not read them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_frame_is_encoded_while_this_one_travels() {
    let cores = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    // (bidirectional, encode_ahead, overlaps)
    for (bi, ahead, overlaps) in [
        (false, false, cores),
        (true, false, false),
        (true, true, cores),
    ] {
        overlap_case(bi, ahead, overlaps).await;
    }
}

async fn overlap_case(bidirectional: bool, encode_ahead: bool, overlaps: bool) {
    use std::sync::mpsc;
    let case = format!("bidirectional {bidirectional}, encode_ahead {encode_ahead}");
    let (raw, port) = common::raw::bound(zmq::PAIR);
    let mut server = Server::new(Options {
        compression: Compression::Lz4,
        encode_ahead,
        ..tcp(Pattern::Pair, port, bidirectional, 10_000)
    })
    .expect("connects");
    let frames = pattern_frames(320, 240, 3);
    let (asked_tx, asked) = mpsc::channel::<u64>();
    let source = {
        let frames = frames.clone();
        async_stream::stream! {
            for (n, f) in frames.into_iter().enumerate() {
                asked_tx.send(n as u64).expect("the peer listens");
                let item: netgear::SourceItem = if bidirectional {
                    (None, f).into()
                } else {
                    f.into()
                };
                yield item;
            }
        }
    };
    let peer = tokio::task::spawn_blocking(move || {
        let guard = std::time::Duration::from_secs(10);
        let mut confirmation = Vec::new();
        netgear::wire::encode_terminated(&mut confirmation, "RAWPEER1");
        let mut answer = Vec::new();
        if bidirectional {
            netgear::wire::encode_reply_data(&mut answer, None);
        } else {
            answer.extend_from_slice(b"Data received on client: RAWPEER1 !");
        }
        let mut got = Vec::new();
        let mut seen = 0u64;
        let mut asked_for = |upto: u64| {
            while seen <= upto {
                assert_eq!(asked.recv_timeout(guard), Ok(seen), "the source was asked");
                seen += 1;
            }
        };
        for n in 0..3u64 {
            let parts = raw.recv_multipart(0).expect("a frame");
            let parts: Vec<bytes::Bytes> = parts.into_iter().map(bytes::Bytes::from).collect();
            let message = netgear::wire::decode_message(&parts, Default::default());
            let Ok(netgear::wire::Message::Frame { frame, .. }) = message else {
                panic!("frame {n}: {message:?}")
            };
            got.push(frame);
            asked_for(n);
            if overlaps && n < 2 {
                // Frame n is here and unanswered: the source has been asked for frame n + 1.
                asked_for(n + 1);
            } else if !overlaps {
                // Not before the answer (a check that an overlap could slip past, never one
                // that fails without it).
                assert!(asked.try_recv().is_err(), "asked for frame {} early", n + 1);
            }
            raw.send(&answer[..], 0).expect("answer");
        }
        let end = raw.recv_multipart(0).expect("the end");
        assert_eq!(end.len(), 1);
        raw.send(&confirmation[..], 0).expect("termination answer");
        got
    });
    let sent = within(server.launch(source)).await;
    assert_eq!(sent.expect("streams"), 3, "{case}");
    let got = peer.await.expect("the raw peer");
    assert_eq!(got, frames, "lz4 is lossless ({case})");
}
