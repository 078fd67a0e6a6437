//! The ends' protocol in memory: a [`Server`] and a [`Client`] joined by the in-memory
//! transport, no sockets — lock-step answers, each frame's own answer, the in-flight window,
//! compressed frames, mismatches and termination, deterministic and in milliseconds (quinn's
//! lesson: the protocol tested apart from the I/O). The same behaviours on real sockets, and
//! against vidgear, are in `tests/`.

use std::time::Duration;

use futures::StreamExt;

use crate::transport::{Link, memory_pair};
use crate::{Client, Compression, Data, End, Error, Frame, Options, Pattern, Reply, Server, Size};

/// Options for both ends; the timeout only guards against a hang.
fn options(bidirectional: bool) -> Options {
    Options {
        pattern: Pattern::Pair,
        bidirectional_mode: bidirectional,
        timeout: Duration::from_secs(20),
        ..Options::default()
    }
}

fn ends(server: Options, client: Options) -> (Server, Client) {
    let (a, b) = memory_pair();
    (
        Server::over(Link::Memory(a), server),
        Client::over(Link::Memory(b), client),
    )
}

/// A 2 × 1 BGR frame of `n`s.
fn frame(n: u8) -> Frame {
    Frame::from_bgr(
        Size {
            width: 2,
            height: 1,
        },
        vec![n; 6],
    )
    .expect("frame")
}

fn number(reply: Option<Reply>) -> Option<i64> {
    reply.and_then(|r| r.as_data()?.deserialize().ok())
}

/// vidgear's way: a value queued after frame n rides on the answer to frame n + 1.
#[tokio::test]
async fn queued_values_ride_on_the_next_answer() {
    let (mut server, client) = ends(options(true), options(true));
    let serve = async {
        let mut replies = Vec::new();
        for n in 0..4u8 {
            server.send(Some(&Data::from(n)), &frame(n)).await?;
            replies.push(number(server.transceive_data()));
        }
        server.close().await?;
        Ok::<_, Error>(replies)
    };
    let receive = async {
        let mut frames = std::pin::pin!(client.recv_generator());
        let mut got = Vec::new();
        while let Some(item) = frames.next().await {
            let (data, f) = item?;
            let n: i64 = data.expect("data").deserialize()?;
            client.transceive_data(n * 10)?;
            got.push((n, f));
        }
        Ok::<_, Error>(got)
    };
    let (replies, got) = tokio::join!(serve, receive);
    assert_eq!(replies.unwrap(), [None, Some(0), Some(10), Some(20)]);
    let got = got.unwrap();
    assert_eq!(got.len(), 4);
    for (n, f) in got {
        assert_eq!(f, frame(n as u8));
    }
    assert!(client.is_terminated());
}

/// `requests()`: each frame's own answer, a value or a frame, with no lag.
#[tokio::test]
async fn a_request_answers_its_own_frame() {
    let (mut server, client) = ends(options(true), options(true));
    let serve = async {
        let mut replies = Vec::new();
        for n in 0..4u8 {
            server.send(Some(&Data::from(n)), &frame(n)).await?;
            replies.push(server.transceive_data());
        }
        server.close().await?;
        Ok::<_, Error>(replies)
    };
    let receive = async {
        let mut requests = std::pin::pin!(client.requests());
        while let Some(request) = requests.next().await {
            let request = request?;
            let n: u8 = request.data().expect("data").deserialize()?;
            if n.is_multiple_of(2) {
                request.reply(u64::from(n) + 100)?;
            } else {
                request.reply(frame(n + 100))?;
            }
        }
        Ok::<_, Error>(())
    };
    let (replies, received) = tokio::join!(serve, receive);
    received.unwrap();
    let replies = replies.unwrap();
    assert_eq!(number(replies[0].clone()), Some(100));
    assert_eq!(
        replies[1].clone().and_then(Reply::into_frame),
        Some(frame(101))
    );
    assert_eq!(number(replies[2].clone()), Some(102));
    assert_eq!(
        replies[3].clone().and_then(Reply::into_frame),
        Some(frame(103))
    );
}

/// With up to three frames unanswered, `send` returns before its answer, and every answer is
/// still taken, in order, by the time the stream ends.
#[tokio::test]
async fn the_in_flight_window_keeps_every_answer_in_order() {
    let server_opts = Options {
        max_in_flight: 3,
        ..options(true)
    };
    let (mut server, client) = ends(server_opts, options(true));
    let serve = async {
        for n in 0..10u8 {
            server.send(Some(&Data::from(n)), &frame(n)).await?;
        }
        server.close().await?;
        let mut replies = Vec::new();
        while server.transceiver().pending() > 0 {
            replies.push(number(server.transceive_data()));
        }
        Ok::<_, Error>(replies)
    };
    let receive = async {
        let mut requests = std::pin::pin!(client.requests());
        while let Some(request) = requests.next().await {
            let request = request?;
            let n: i64 = request.data().expect("data").deserialize()?;
            request.reply(n)?;
        }
        Ok::<_, Error>(())
    };
    let (replies, received) = tokio::join!(serve, receive);
    received.unwrap();
    let expected: Vec<_> = (0..10).map(Some).collect();
    assert_eq!(replies.unwrap(), expected);
}

/// Compressed frames: compressed by the sender's codec work, decoded by the receiver's (both
/// counted), equal to what was sent (lz4 is lossless).
#[tokio::test]
async fn compressed_frames_arrive_as_sent() {
    let server_opts = Options {
        compression: Compression::Lz4,
        ..options(false)
    };
    let (mut server, client) = ends(server_opts, options(false));
    let serve = async {
        for n in 0..3u8 {
            server.send(None, &frame(n)).await?;
        }
        server.close().await
    };
    let receive = async {
        let frames: Vec<_> = client.frames().collect().await;
        frames.into_iter().collect::<Result<Vec<_>, _>>()
    };
    let (served, frames) = tokio::join!(serve, receive);
    served.unwrap();
    assert_eq!(frames.unwrap(), [frame(0), frame(1), frame(2)]);
    assert_eq!(server.codec_times().encoded().frames, 3);
    assert_eq!(client.codec_times().decoded().frames, 3);
}

/// Bidirectional mode at the receiving end only: both ends fail, each naming the end that
/// lacks it.
#[tokio::test]
async fn a_mismatch_ends_the_stream_at_both_ends() {
    let (mut server, client) = ends(options(false), options(true));
    let one = frame(1);
    let (sent, received) = tokio::join!(server.send(None, &one), client.recv());
    assert!(matches!(
        sent,
        Err(Error::BidirectionalMismatch {
            missing_on: End::Server
        })
    ));
    assert!(matches!(
        received,
        Err(Error::BidirectionalMismatch {
            missing_on: End::Server
        })
    ));
    assert!(client.is_terminated());
}

/// A client gone before the end: closing does not wait for anyone to take the end message.
#[tokio::test]
async fn closing_after_the_client_left_returns_at_once() {
    let (mut server, client) = ends(options(false), options(false));
    let one = frame(1);
    let (sent, got) = tokio::join!(server.send(None, &one), client.recv());
    sent.unwrap();
    assert_eq!(got.unwrap().map(|(_, f)| f), Some(frame(1)));
    drop(client);
    let started = tokio::time::Instant::now();
    server.close().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "a hang guard");
}
