//! Answering a frame: `Client::requests()` on real sockets, Rust to Rust. Each frame gets its
//! own answer (no one-frame lag, unlike `transceive_data`) in patterns 0 and 1, as data or as a
//! frame (compressed or not); a dropped responder answers at once; a responder held past the
//! timeout answers with nothing and the stream goes on; outside bidirectional mode the stream
//! refuses with a typed error.

mod common;

use std::time::Duration;

use common::psnr::psnr;
use common::*;
use futures::StreamExt;
use netgear::media::TestPattern;
use netgear::{Client, Compression, Data, End, Error, Options, Pattern, Reply, Server};

/// The number the server sent with a request.
fn number(request: &netgear::Request) -> u64 {
    request
        .data()
        .expect("data with the frame")
        .deserialize()
        .expect("a number")
}

/// Frame n carries n; the client answers n*10 through the responder; right after `send()`
/// returns the server holds frame n's own answer.
async fn answers_without_lag(pattern: Pattern) {
    let client = Client::new(tcp(pattern, 0, true, 5000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(pattern, port, true, 5000)).expect("connects");
    let n = 12u64;
    let server_side = async {
        let mut answers = Vec::new();
        for i in 0..n {
            server
                .send(Some(&Data::from(i)), &frame(i as usize))
                .await?;
            assert_eq!(
                server.transceiver().pending(),
                1,
                "frame {i}'s answer is in"
            );
            answers.push(server.transceive_data());
        }
        server.close().await?;
        Ok::<_, Error>(answers)
    };
    let client_side = async {
        let mut requests = std::pin::pin!(client.requests());
        let mut seen = 0u64;
        while let Some(request) = requests.next().await {
            let request = request?;
            let i = number(&request);
            assert_eq!(request.frame(), &frame(i as usize));
            request.reply(i * 10)?;
            seen += 1;
        }
        Ok::<_, Error>(seen)
    };
    let (answers, seen) = within(async { tokio::join!(server_side, client_side) }).await;
    assert_eq!(seen.expect("client side"), n);
    let answers = answers.expect("server side");
    let want: Vec<Option<Reply>> = (0..n)
        .map(|i| Some(Reply::Data(Data::from(i * 10))))
        .collect();
    assert_eq!(answers, want);
    assert!(client.is_terminated());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_frame_gets_its_own_answer_pattern0() {
    answers_without_lag(Pattern::Pair).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_frame_gets_its_own_answer_pattern1() {
    answers_without_lag(Pattern::ReqRep).await;
}

/// Through `launch()` and a transceiver, with the responders handed to other tasks that reply
/// while the loop already waits for the next request: one answer per frame, the last frame's
/// included, each its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responders_in_other_tasks_answer_their_frames() {
    let client = Client::new(tcp(Pattern::Pair, 0, true, 5000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::Pair, port, true, 5000)).expect("connects");
    let replies = server.transceiver();
    let n = 20u64;
    let source = futures::stream::iter((0..n).map(|i| (Some(Data::from(i)), frame(i as usize))));
    let client_side = async {
        let mut requests = std::pin::pin!(client.requests());
        let mut tasks = Vec::new();
        while let Some(request) = requests.next().await {
            let request = request?;
            tasks.push(tokio::spawn(async move {
                tokio::task::yield_now().await;
                let i = number(&request);
                request.reply(format!("answer to {i}"))
            }));
        }
        for task in tasks {
            task.await.expect("the task")?;
        }
        Ok::<_, Error>(())
    };
    let (sent, received) = within(async { tokio::join!(server.launch(source), client_side) }).await;
    assert_eq!(sent.expect("launch"), n);
    received.expect("client side");
    assert_eq!(replies.pending(), n as usize, "one answer per frame");
    for i in 0..n {
        assert_eq!(
            replies.transceive_data(),
            Some(Reply::Data(Data::from(format!("answer to {i}")))),
            "answer to frame {i}"
        );
    }
}

/// Video chat through the responder: the client answers each frame with that frame (`&Frame`),
/// raw, lz4 or JPEG-compressed, and the server holds each frame's own echo after `send()`.
async fn frame_replies(pattern: Pattern, compression: Compression) {
    let client = Client::new(Options {
        compression,
        ..tcp(pattern, 0, true, 5000)
    })
    .expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(pattern, port, true, 5000)).expect("connects");
    let camera = TestPattern::new(96, 64);
    let n = 6u64;
    let server_side = async {
        let mut echoes = Vec::new();
        for i in 0..n {
            server
                .send(Some(&Data::from("Hi, I am a server")), &camera.frame(i))
                .await?;
            echoes.push(server.transceive_data().and_then(Reply::into_frame));
        }
        server.close().await?;
        Ok::<_, Error>(echoes)
    };
    let client_side = async {
        let mut requests = std::pin::pin!(client.requests());
        while let Some(request) = requests.next().await {
            let request = request?;
            let (data, frame, responder) = request.into_parts();
            assert_eq!(data, Some(Data::from("Hi, I am a server")));
            responder.reply(&frame)?;
        }
        Ok::<_, Error>(())
    };
    let (echoes, received) = within(async { tokio::join!(server_side, client_side) }).await;
    received.expect("client side");
    let echoes = echoes.expect("server side");
    assert_eq!(echoes.len(), n as usize);
    for (i, echo) in echoes.into_iter().enumerate() {
        let echo = echo.unwrap_or_else(|| panic!("frame {i} was echoed"));
        let sent = camera.frame(i as u64);
        assert_eq!((echo.dtype(), echo.shape()), (sent.dtype(), sent.shape()));
        if compression == Compression::JPEG {
            let db = psnr(sent.as_bytes(), echo.as_bytes());
            assert!(db >= 38.0, "echo {i}: {db:.1} dB");
        } else {
            assert_eq!(echo.as_bytes(), sent.as_bytes(), "bytes of echo {i}");
        }
    }
    let encoded = client.codec_times().encoded().frames;
    let decoded = server.codec_times().decoded().frames;
    if compression == Compression::None {
        assert_eq!((encoded, decoded), (0, 0));
    } else {
        assert_eq!((encoded, decoded), (n, n), "every echo went compressed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_replies_pattern0() {
    frame_replies(Pattern::Pair, Compression::None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_replies_pattern1() {
    frame_replies(Pattern::ReqRep, Compression::None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_frame_replies_lz4_pattern0() {
    frame_replies(Pattern::Pair, Compression::Lz4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_frame_replies_jpeg_pattern1() {
    frame_replies(Pattern::ReqRep, Compression::JPEG).await;
}

/// Timeouts past the test's hang guard: an answer that waited for one would fail the test.
const LONGER_THAN_THE_TEST: u64 = 120_000;

/// A dropped request, or a dropped responder whose frame is kept, answers its frame with
/// nothing at once: both ends' timeouts are longer than the test may take.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_responder_answers_at_once() {
    for pattern in [Pattern::Pair, Pattern::ReqRep] {
        let client = Client::new(tcp(pattern, 0, true, LONGER_THAN_THE_TEST)).expect("binds");
        let port = client.local_port().expect("a tcp port");
        let mut server =
            Server::new(tcp(pattern, port, true, LONGER_THAN_THE_TEST)).expect("connects");
        let n = 6;
        let server_side = async {
            for i in 0..n {
                server.send(Some(&Data::from(i as u64)), &frame(i)).await?;
                assert_eq!(server.transceiver().pending(), 1, "frame {i} was answered");
                assert_eq!(server.transceive_data(), None, "with nothing");
            }
            server.close().await
        };
        let client_side = async {
            let mut requests = std::pin::pin!(client.requests());
            let mut kept = Vec::new();
            while let Some(request) = requests.next().await {
                let request = request?;
                if kept.len() % 2 == 0 {
                    let (_, frame, responder) = request.into_parts();
                    drop(responder);
                    kept.push(frame);
                } else {
                    kept.push(request.frame().clone());
                    drop(request);
                }
            }
            Ok::<_, Error>(kept)
        };
        let (closed, kept) = within(async { tokio::join!(server_side, client_side) }).await;
        closed.expect("server side");
        let kept = kept.expect("client side");
        assert_eq!(kept, (0..n).map(frame).collect::<Vec<_>>(), "{pattern:?}");
    }
}

/// A responder the loop holds while it waits for the next request: the stream waits for it
/// until the client's timeout, answers its frame with nothing, and goes on; the late reply
/// fails with the timeout. The other frames get their answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_responder_held_past_the_timeout_answers_nothing() {
    for pattern in [Pattern::Pair, Pattern::ReqRep] {
        let client_timeout = Duration::from_millis(1000);
        let client = Client::new(tcp(pattern, 0, true, 1000)).expect("binds");
        let port = client.local_port().expect("a tcp port");
        // The server waits longer than the client holds the responder.
        let mut server = Server::new(tcp(pattern, port, true, 20_000)).expect("connects");
        let n = 5u64;
        let held_frame = 2;
        let server_side = async {
            let mut answers = Vec::new();
            for i in 0..n {
                server
                    .send(Some(&Data::from(i)), &frame(i as usize))
                    .await?;
                answers.push(server.transceive_data());
            }
            server.close().await?;
            Ok::<_, Error>(answers)
        };
        let client_side = async {
            let mut requests = std::pin::pin!(client.requests());
            let mut held = None;
            while let Some(request) = requests.next().await {
                let request = request?;
                let i = number(&request);
                if i == held_frame {
                    held = Some(request);
                } else {
                    request.reply(i)?;
                }
            }
            Ok::<_, Error>(held.expect("the held request"))
        };
        let (answers, held) = within(async { tokio::join!(server_side, client_side) }).await;
        let answers = answers.expect("server side");
        let held = held.expect("client side");
        let want: Vec<Option<Reply>> = (0..n)
            .map(|i| (i != held_frame).then(|| Reply::Data(Data::from(i))))
            .collect();
        assert_eq!(answers, want, "{pattern:?}");
        let (_, _, responder) = held.into_parts();
        assert!(responder.is_closed());
        let late = responder.reply("too late");
        assert!(
            matches!(late, Err(Error::Timeout { after: t, .. }) if t == client_timeout),
            "{late:?}"
        );
    }
}

/// A loop that stops after replying leaves the answer owed; closing the client sends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_sends_the_answer_still_owed() {
    let client = Client::new(tcp(Pattern::Pair, 0, true, 5000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::Pair, port, true, 5000)).expect("connects");
    let client_side = async {
        {
            let mut requests = std::pin::pin!(client.requests());
            let request = requests.next().await.expect("a frame")?;
            request.reply("the only answer")?;
        }
        client.close().await;
        Ok::<_, Error>(())
    };
    let server_side = async {
        server.send(None, &frame(0)).await?;
        Ok::<_, Error>(server.transceive_data())
    };
    let (answer, closed) = within(async { tokio::join!(server_side, client_side) }).await;
    closed.expect("client side");
    assert_eq!(
        answer.expect("server side"),
        Some(Reply::Data(Data::from("the only answer")))
    );
}

/// Outside bidirectional mode there is nothing to answer with: the stream yields one
/// `InvalidOption` and ends without taking a frame, which `recv_generator()` then gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_need_bidirectional_mode() {
    for pattern in [Pattern::Pair, Pattern::ReqRep, Pattern::PushPull] {
        let client = Client::new(tcp(pattern, 0, false, 5000)).expect("binds");
        let port = client.local_port().expect("a tcp port");
        let mut server = Server::new(tcp(pattern, port, false, 5000)).expect("connects");
        let refused: Vec<_> = client.requests().collect().await;
        assert_eq!(refused.len(), 1, "{pattern:?}");
        assert!(
            matches!(refused[0], Err(Error::InvalidOption(_))),
            "{:?}",
            refused[0]
        );
        let source = futures::stream::iter((0..3).map(frame));
        let (sent, drained) =
            within(async { tokio::join!(server.launch(source), drain(&client)) }).await;
        assert_eq!(sent.expect("launch"), 3);
        assert!(drained.error.is_none(), "{:?}", drained.error);
        assert_eq!(drained.items.len(), 3, "{pattern:?}");
    }
}

/// A bidirectional client meeting a server without bidirectional mode: the first request is
/// the mismatch error, naming the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_report_a_mismatch() {
    let client = Client::new(tcp(Pattern::Pair, 0, true, 5000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::Pair, port, false, 5000)).expect("connects");
    let source = futures::stream::iter([frame(0)]);
    let client_side = async { client.requests().collect::<Vec<_>>().await };
    let (sent, got) = within(async { tokio::join!(server.launch(source), client_side) }).await;
    assert_eq!(got.len(), 1);
    assert!(
        matches!(
            got[0],
            Err(Error::BidirectionalMismatch {
                missing_on: End::Server
            })
        ),
        "{:?}",
        got[0]
    );
    assert!(
        matches!(
            sent,
            Err(Error::BidirectionalMismatch {
                missing_on: End::Server
            })
        ),
        "{sent:?}"
    );
}

/// Frames in flight (pattern 0): the server sends ahead, the client still answers each frame
/// through its responder, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_with_frames_in_flight() {
    let options = Options {
        max_in_flight: 4,
        ..tcp(Pattern::Pair, 0, true, 10_000)
    };
    let client = Client::new(options.clone()).expect("binds");
    let mut server = Server::new(towards(&client, options)).expect("connects");
    let replies = server.transceiver();
    let n = 40u64;
    let source = futures::stream::iter((0..n).map(|i| (Some(Data::from(i)), frame(i as usize))));
    let client_side = async {
        let mut requests = std::pin::pin!(client.requests());
        while let Some(request) = requests.next().await {
            let request = request?;
            let i = number(&request);
            request.reply(i * 10)?;
        }
        Ok::<_, Error>(())
    };
    let (sent, received) = within(async { tokio::join!(server.launch(source), client_side) }).await;
    assert_eq!(sent.expect("launch"), n);
    received.expect("client side");
    let answers: Vec<Option<Reply>> =
        std::iter::from_fn(|| (replies.pending() > 0).then(|| replies.transceive_data())).collect();
    let want: Vec<Option<Reply>> = (0..n)
        .map(|i| Some(Reply::Data(Data::from(i * 10))))
        .collect();
    assert_eq!(answers, want);
}
