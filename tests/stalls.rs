//! A receiver whose application stops reading for 30 s (three times the heartbeat timeout)
//! keeps its connection and every frame queued for it while the sender is alive, in every
//! pattern: the stall is the application's, not the peer's.
//!
//! libzmq stops reading a connection once the socket's queue is full; upstream then took the
//! peer's unread heartbeat answers for silence and dropped the connection after 10 s, and the
//! frames in its buffers with it (a PULL reader paused for 13 s got 28 of 40 frames). Our
//! libzmq patch `stalled-input-keeps-connection` counts such a connection as alive.
//!
//! The four patterns run side by side in one test, so the file takes one stall's time.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use netgear::{Client, Data, Frame, Pattern, Server, SourceItem};

use common::{frame, tcp, towards};

/// How long the application stops reading: three heartbeat timeouts (10 s).
const STALL: Duration = Duration::from_secs(30);

/// Each side's timeout: beyond the stall, so that a lock-step sender waits it out.
const TIMEOUT_MS: u64 = 60_000;

/// Frames sent in the patterns that lose nothing.
const FRAMES: u64 = 40;

/// A hang guard for one case: the stall, then a stream of small frames.
const LIMIT: Duration = Duration::from_secs(120);

/// Frame `i`, carrying `i` as its data.
fn numbered(i: u64) -> SourceItem {
    SourceItem::WithData(Some(Data::from(i)), frame(i as usize))
}

fn number(data: &Option<Data>) -> u64 {
    data.as_ref()
        .and_then(|d| d.deserialize::<u64>().ok())
        .expect("a numbered frame")
}

/// A sender and a receiver in `pattern`, over tcp on loopback.
fn ends(pattern: Pattern, max_in_flight: usize) -> (Server, Client) {
    let opts = tcp(pattern, 0, false, TIMEOUT_MS);
    let client = Client::new(opts.clone()).expect("client binds");
    let server = Server::new(towards(
        &client,
        netgear::Options {
            max_in_flight,
            ..opts
        },
    ))
    .expect("server connects");
    (server, client)
}

/// The receiver takes one frame, stops reading for [`STALL`] while the sender sends the rest
/// of [`FRAMES`] (as far as it may: lock-step waits), then reads on: every frame arrives, in
/// order, the stream ends cleanly, and the sender never lost its connection.
async fn nothing_lost(pattern: Pattern, max_in_flight: usize) {
    let (mut server, client) = ends(pattern, max_in_flight);
    let losses = server.outages();
    let sending = async {
        let sent = server
            .launch(futures::stream::iter((0..FRAMES).map(numbered)))
            .await;
        (sent, server)
    };
    let receiving = async {
        let mut frames = std::pin::pin!(client.recv_generator());
        let mut got = Vec::new();
        let (data, _) = frames.next().await.expect("a frame").expect("frame 0");
        got.push(number(&data));
        tokio::time::sleep(STALL).await;
        while let Some(item) = frames.next().await {
            let (data, _): (Option<Data>, Frame) = item.expect("a frame after the stall");
            got.push(number(&data));
        }
        got
    };
    let ((sent, _server), got) =
        tokio::time::timeout(LIMIT, async { tokio::join!(sending, receiving) })
            .await
            .expect("the case hung");
    assert_eq!(sent.expect("the stream ends cleanly"), FRAMES);
    assert_eq!(
        got,
        (0..FRAMES).collect::<Vec<_>>(),
        "{pattern}: every frame, in order"
    );
    assert_eq!(
        losses.count(),
        0,
        "{pattern}: the sender lost its connection"
    );
    client.close().await;
}

/// The four patterns at once (the test harness runs only as many tests at a time as there are
/// cores): PUSH/PULL; PAIR with eight frames in flight (the receiver's queue of 4 fills, so
/// libzmq stops reading); REQ/REP, lock-step (the sender waits out the stall for its answer);
/// PUB/SUB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pattern_outlives_a_stalled_reader() {
    tokio::join!(
        nothing_lost(Pattern::PushPull, 1),
        nothing_lost(Pattern::Pair, 8),
        nothing_lost(Pattern::ReqRep, 1),
        pub_sub_stalled_reader_keeps_its_connection(),
    );
}

/// PUB/SUB keeps the newest frames for a subscriber that does not keep up: after the stall
/// the receiver gets frames the sender sent after it, and the connection was never lost.
async fn pub_sub_stalled_reader_keeps_its_connection() {
    let (mut server, client) = ends(Pattern::PubSub, 1);
    let losses = server.outages();
    let (resumed_tx, resumed_rx) = tokio::sync::watch::channel(None::<u64>);
    let counter = Arc::new(AtomicU64::new(0));
    let made = counter.clone();
    let source = async_stream::stream! {
        let mut i = 0u64;
        loop {
            made.store(i, Ordering::Relaxed);
            // Once the receiver reads again, a few more frames, then the end.
            if let Some(at) = *resumed_rx.borrow() && i > at + 20 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            yield numbered(i);
            i += 1;
        }
    };
    let sending = async {
        let sent = server.launch(source).await;
        (sent, server)
    };
    let receiving = async {
        let mut frames = std::pin::pin!(client.recv_generator());
        let (data, _) = frames.next().await.expect("a frame").expect("frame 0");
        let first = number(&data);
        tokio::time::sleep(STALL).await;
        // The sender's count when the reader woke: a frame numbered past it was sent after.
        let woke = counter.load(Ordering::Relaxed);
        resumed_tx.send_replace(Some(woke));
        let mut after = Vec::new();
        while let Some(item) = frames.next().await {
            let (data, _) = item.expect("a frame after the stall");
            after.push(number(&data));
        }
        (first, woke, after)
    };
    let ((sent, _server), (first, woke, after)) =
        tokio::time::timeout(LIMIT, async { tokio::join!(sending, receiving) })
            .await
            .expect("the case hung");
    sent.expect("the stream ends cleanly");
    assert!(
        after.windows(2).all(|w| w[0] < w[1]),
        "frames in order: {first} then {after:?}"
    );
    assert!(
        after.iter().any(|&n| n > woke),
        "a frame sent after the stall arrived (woke at {woke}): {after:?}"
    );
    assert_eq!(losses.count(), 0, "the publisher lost its subscriber");
    client.close().await;
}
