//! A short soak in every pattern: nothing lost or reordered where the pattern guarantees
//! delivery, no errors, memory flat. (`netgear soak` runs the long one.)

mod common;

use netgear::Pattern;
use netgear::soak::{SoakOptions, run};

async fn soak(pattern: Pattern) {
    let report = run(&SoakOptions {
        frames: 3000,
        pattern,
        width: 64,
        height: 48,
        port: common::free_port(),
        warmup: 500,
    })
    .await
    .expect("both ends start");
    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(report.sent, 3000);
    if pattern != Pattern::PubSub {
        assert_eq!(report.lost, 0, "{report:?}");
        assert_eq!(report.out_of_order, 0, "{report:?}");
    } else {
        assert!(report.received > 0);
    }
    if pattern.has_replies() {
        // every frame answered; the first answer is empty (vidgear's FIFO semantics)
        assert_eq!(report.replies, 2999, "{report:?}");
    }
    assert!(report.passed(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_pair() {
    soak(Pattern::Pair).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_reqrep() {
    soak(Pattern::ReqRep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_pubsub() {
    soak(Pattern::PubSub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_pushpull() {
    soak(Pattern::PushPull).await;
}
