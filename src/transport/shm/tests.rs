//! A peer's bytes that do not fit our envelope, through real shared memory: a raw send side
//! (this module's ports, without a link) publishes slices a netgear end would never write.

use std::mem::MaybeUninit;
use std::time::Duration;

use super::ports::Ports;
use crate::error::Error;
use crate::options::Options;
use crate::pattern::{Pattern, Protocol};
use crate::transport::interface::{Role, Transport};
use crate::wire::{DecodeError, Outgoing};

fn options(name: &str) -> Options {
    Options {
        protocol: Protocol::Shm,
        address: Some(format!("{name}-{}", std::process::id())),
        pattern: Pattern::Pair,
        timeout: Duration::from_secs(5),
        ..Options::default()
    }
}

/// Publishes `bytes` as one slice from the raw send side, and wakes the receiver.
fn publish(ports: &Ports, bytes: &[u8]) {
    let mut sample = ports.publisher.loan_slice_uninit(bytes.len()).unwrap();
    for (dst, &b) in sample.payload_mut().iter_mut().zip(bytes) {
        *dst = MaybeUninit::new(b);
    }
    // SAFETY: every byte of the slice was written just above.
    let sample = unsafe { sample.assume_init() };
    assert_eq!(sample.send().unwrap(), 1, "delivered to the receiver");
    ports.notifier.notify().unwrap();
}

/// A table of parts: `count` parts of `lens`, one after the other from the end of the table,
/// each on a 64-byte boundary, as the envelope writes it.
fn table(count: u32, lens: &[u64]) -> Vec<u8> {
    let mut t = vec![0u8; 64];
    t[..4].copy_from_slice(b"NGS2");
    t[4..8].copy_from_slice(&count.to_le_bytes());
    let mut at = 64u64;
    for (i, len) in lens.iter().enumerate() {
        t[8 + 8 * i..16 + 8 * i].copy_from_slice(&len.to_le_bytes());
        let offset = u32::try_from(at).unwrap_or(u32::MAX);
        t[40 + 4 * i..44 + 4 * i].copy_from_slice(&offset.to_le_bytes());
        at = at.saturating_add(*len).next_multiple_of(64);
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_of_parts_that_does_not_fit_the_slice_is_a_typed_error() {
    let opts = options("malformed");
    let client = crate::Client::new(opts.clone()).expect("the receiver opens");
    let address = opts.address.clone().unwrap();
    let (raw, _listener) = Ports::open(&opts, Role::Send, &address).expect("a raw sender");
    // A part claimed far longer than the slice that came.
    let mut bytes = table(2, &[10, 1 << 40]);
    bytes.extend([0u8; 100]);
    publish(&raw, &bytes);
    let err = client.recv().await.expect_err("refused");
    assert!(
        matches!(
            &err,
            Error::Decode(DecodeError::Framing { detail, .. }) if detail.contains("not within")
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_slices_and_too_many_parts_are_refused_by_the_link() {
    let opts = options("malformed-link");
    let link = super::open(&opts, Role::Receive).expect("the receiver opens");
    let address = opts.address.clone().unwrap();
    let (raw, _listener) = Ports::open(&opts, Role::Send, &address).expect("a raw sender");
    let wait = Duration::from_secs(5);
    publish(&raw, b"NGS1");
    let err = link.recv(wait, "a message").await.expect_err("refused");
    assert!(
        matches!(err, Error::Decode(DecodeError::Framing { .. })),
        "{err:?}"
    );
    publish(&raw, &table(9, &[]));
    let err = link.recv(wait, "a message").await.expect_err("refused");
    assert!(
        matches!(err, Error::Decode(DecodeError::PartCount { got: 9, .. })),
        "{err:?}"
    );
    // A good message after them still comes through.
    let mut bytes = table(1, &[3]);
    bytes.extend(b"abc");
    publish(&raw, &bytes);
    let msg = link.recv(wait, "a message").await.expect("a message");
    assert_eq!(&msg[..], [bytes::Bytes::from_static(b"abc")]);
    let big = vec![5u8; 10_000];
    let mut bytes = table(1, &[big.len() as u64]);
    bytes.extend(&big);
    publish(&raw, &bytes);
    let msg = link.recv(wait, "a message").await.expect("a message");
    assert_eq!(&msg[0][..], &big[..]);
    // Borrowed from the sample, 8-aligned: the elements of a frame (up to 8 bytes) are as
    // aligned as the frame part lays them out (iceoryx2 does not promise it for `[u8]`).
    assert_eq!(msg[0].as_ptr() as usize % 8, 0);
}

/// What an end says of its peer, as the ends ask it: none yet, there, gone (and a peer gone
/// while an answer is awaited is `PeerGone`, at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_events_follow_the_peers_ports() {
    let opts = options("peers");
    let receiver = super::open(&opts, Role::Receive).expect("the receiver opens");
    assert_eq!(receiver.alone(), Some(false), "no peer yet");
    assert_eq!(receiver.peer_up(), Some(false));
    assert_eq!((receiver.arrivals(), receiver.departures()), (0, 0));
    let wait = Duration::from_secs(5);
    let err = receiver.recv(Duration::from_millis(50), "a frame").await;
    assert!(
        matches!(
            err,
            Err(Error::Timeout {
                waiting_for: "a frame",
                peer: crate::error::PeerStatus::NeverConnected,
                after,
            }) if after == Duration::from_millis(50)
        ),
        "{err:?}"
    );
    let sender = super::open(&opts, Role::Send).expect("the sender opens");
    sender
        .await_peer(wait)
        .await
        .expect("the receiver is there");
    assert_eq!(sender.peer_up(), Some(true));
    assert_eq!(sender.alone(), None);
    assert_eq!(receiver.peer_up(), Some(true));
    assert_eq!(receiver.arrivals(), 1);
    let mark = receiver.peer_mark();
    drop(sender);
    // The receiver waits for an answer from the sender that has gone: it learns it at its next
    // look at the ports (a tick), long before its timeout.
    let started = std::time::Instant::now();
    let err = receiver.recv_answer(wait, "an answer", mark).await;
    assert!(
        matches!(
            err,
            Err(Error::PeerGone {
                waiting_for: "an answer",
                ..
            })
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(receiver.alone(), Some(true), "a peer came and went");
    assert_eq!((receiver.arrivals(), receiver.departures()), (1, 1));
    let err = receiver.recv(Duration::from_millis(50), "a frame").await;
    assert!(
        matches!(
            err,
            Err(Error::Timeout {
                peer: crate::error::PeerStatus::Disconnected,
                ..
            })
        ),
        "{err:?}"
    );
}

/// PUB/SUB: a subscriber that has not read yet keeps the newest two messages, so the end
/// message, sent right after the last frame, does not take that frame's place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pub_sub_keeps_the_last_frame_before_the_end() {
    let opts = Options {
        pattern: Pattern::PubSub,
        ..options("pubsub-end")
    };
    let receiver = super::open(&opts, Role::Receive).expect("the receiver opens");
    let sender = super::open(&opts, Role::Send).expect("the sender opens");
    let wait = Duration::from_secs(5);
    sender.await_subscriber(wait).await.expect("a subscriber");
    for i in 0u8..5 {
        let msg = Outgoing::frame(false, None, None, bytes::Bytes::from(vec![i; 100]));
        sender.send(&msg, wait, "room").await.expect("sent");
    }
    sender
        .send(&Outgoing::terminate(), wait, "room")
        .await
        .expect("sent");
    let last = receiver
        .recv(wait, "a message")
        .await
        .expect("the last frame");
    assert_eq!(last.len(), 2, "a frame message: {last:?}");
    assert_eq!(&last[1][..], &[4u8; 100][..]);
    let end = receiver.recv(wait, "a message").await.expect("the end");
    assert_eq!(&end[0][..], Outgoing::terminate().first());
}
