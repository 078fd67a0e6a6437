//! Live sources on real sockets: a sender slower than its camera sends the newest frame, and
//! every frame it had no time for is counted as dropped.

mod common;

use std::time::Duration;

use common::{tcp, within};
use futures::StreamExt;
use netgear::media::Live;
use netgear::{Client, Dtype, Frame, Pattern, Result, Server};

/// A camera at 500 fps whose frames hold their own number.
fn camera() -> impl futures::Stream<Item = Result<Frame>> + Send + 'static {
    let mut clock = tokio::time::interval(Duration::from_millis(2));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    futures::stream::unfold((clock, 0u32), |(mut clock, n)| async move {
        clock.tick().await;
        let frame = Frame::new(Dtype::U8, vec![4], n.to_le_bytes().to_vec());
        Some((frame.map_err(Into::into), (clock, n + 1)))
    })
}

fn number(f: &Frame) -> u32 {
    u32::from_le_bytes(f.as_bytes().try_into().expect("4 bytes"))
}

/// The receiver is slow by construction (it waits for the camera to make 5 more frames before
/// it takes the next one), so nothing here depends on how fast the machine is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_gets_the_newest_frames_and_the_rest_are_counted() {
    const SENT: usize = 20;
    let client = Client::new(tcp(Pattern::Pair, 0, false, 10_000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::Pair, port, false, 10_000)).expect("connects");
    let live = Live::new(camera());
    let counts = live.counts();
    let watch = counts.clone();
    let receiver = async {
        let mut got = Vec::new();
        let mut frames = std::pin::pin!(client.frames());
        while let Some(frame) = frames.next().await {
            let n = number(&frame.expect("a frame"));
            got.push(n);
            while watch.captured() < u64::from(n) + 6 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        got
    };
    let (sent, got) =
        within(async { tokio::join!(server.launch_try(live.take(SENT)), receiver) }).await;
    assert_eq!(sent.expect("streams"), SENT as u64);
    assert_eq!(got.len(), SENT);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in order: {got:?}");
    // The newest goes out. In lock-step the frame after next is taken once the receiver has
    // waited for 6 more captures, so it is at least 5 newer (a queue would give +2).
    assert!(
        got.windows(3).all(|w| w[2] - w[0] >= 5),
        "frames were queued, not skipped: {got:?}"
    );
    // Every frame captured was sent or counted as dropped (one may still have been waiting
    // when the sender stopped taking frames).
    let (captured, dropped) = (counts.captured(), counts.dropped());
    let unaccounted = captured - dropped - SENT as u64;
    assert!(
        unaccounted <= 1,
        "captured {captured}, dropped {dropped}, sent {SENT}"
    );
    // Each number between the first and the last frame received that did not arrive was dropped.
    let skipped = u64::from(got[SENT - 1] - got[0]) + 1 - SENT as u64;
    assert!(
        dropped >= skipped,
        "dropped {dropped}, skipped {skipped}: {got:?}"
    );
}
