//! Zero-copy messages: `Message::from_owner` hands libzmq the owner's bytes and drops the owner
//! exactly once (after a send, after a failed send, when never sent); `Message::from_static`
//! hands it static bytes. Over `inproc://` the receiver gets the very same bytes, which shows
//! that nothing was copied.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{inproc_pair, socket, tcp_pair};
use netgear_zmq as zmq;

/// Bytes whose drops are counted.
struct Counted {
    bytes: Vec<u8>,
    drops: Arc<AtomicUsize>,
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A counted owner of `len` bytes of `fill`, and its drop count.
fn counted(len: usize, fill: u8) -> (Counted, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let owner = Counted {
        bytes: vec![fill; len],
        drops: Arc::clone(&drops),
    };
    (owner, drops)
}

#[test]
fn from_owner_over_inproc_is_not_copied_and_dropped_once() {
    let ctx = zmq::Context::new();
    let (a, b) = inproc_pair(&ctx, "from-owner");
    let (owner, drops) = counted(100_000, 0x5A);
    let address = owner.bytes.as_ptr();
    let msg = zmq::Message::from_owner(owner).expect("message");
    assert_eq!(msg.as_ptr(), address, "the owner's own bytes");
    a.send(msg, 0).expect("send");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "held by the receiver's queue"
    );

    let mut got = b.recv_msg(0).expect("recv");
    assert_eq!(
        got.as_ptr(),
        address,
        "the receiver has the sender's bytes: no copy"
    );
    assert!(got.iter().all(|&x| x == 0x5A));
    // Writing to a received message copies it first: the owner's bytes stay as they were.
    got[0] = 0;
    assert_eq!(drops.load(Ordering::SeqCst), 1, "released by the copy");
    assert_ne!(got.as_ptr(), address);
    assert_eq!(got[0], 0);
    drop(got);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn from_owner_dropped_once_when_received_message_drops() {
    let ctx = zmq::Context::new();
    let (a, b) = inproc_pair(&ctx, "from-owner-drop");
    let (owner, drops) = counted(64, 1);
    a.send(zmq::Message::from_owner(owner).expect("message"), 0)
        .expect("send");
    let got = b.recv_msg(0).expect("recv");
    assert_eq!(got.len(), 64);
    drop(got);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn from_owner_over_tcp_is_dropped_once() {
    let (owner, drops) = counted(1 << 20, 7);
    {
        let ctx = zmq::Context::new();
        let (a, b) = tcp_pair(&ctx);
        a.send(zmq::Message::from_owner(owner).expect("message"), 0)
            .expect("send");
        let got = b.recv_msg(0).expect("recv");
        assert_eq!(got.len(), 1 << 20);
        assert!(got.iter().all(|&x| x == 7));
        // The context's termination waits for the sockets, whose I/O released the message.
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn from_owner_dropped_once_after_a_failed_send() {
    let ctx = zmq::Context::new();
    // A PUSH with no peer has nowhere to queue a message.
    let push = socket(&ctx, zmq::PUSH);
    let (owner, drops) = counted(10_000, 3);
    let msg = zmq::Message::from_owner(owner).expect("message");
    assert_eq!(push.send(msg, zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "released by the failed send"
    );

    // And one never sent.
    let (owner, drops) = counted(10, 3);
    drop(zmq::Message::from_owner(owner).expect("message"));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn from_owner_takes_the_common_owners() {
    let ctx = zmq::Context::new();
    let (a, b) = inproc_pair(&ctx, "owners");
    let shared: Arc<[u8]> = Arc::from(&b"shared"[..]);
    let parts = [
        zmq::Message::from_owner(vec![1u8, 2, 3]).expect("Vec"),
        zmq::Message::from_owner(Box::<[u8]>::from(&b"boxed"[..])).expect("Box"),
        zmq::Message::from_owner(Arc::clone(&shared)).expect("Arc"),
        zmq::Message::from_owner(String::from("string")).expect("String"),
        // Bytes inside the owner itself: it is boxed before they are borrowed.
        zmq::Message::from_owner([9u8; 40]).expect("array"),
        zmq::Message::from_owner(&b"static"[..]).expect("&'static"),
        zmq::Message::from_owner(Vec::new()).expect("empty"),
    ];
    a.send_multipart(parts, 0).expect("send");
    let got = b.recv_multipart(0).expect("recv");
    let want: [&[u8]; 7] = [
        &[1, 2, 3],
        b"boxed",
        b"shared",
        b"string",
        &[9; 40],
        b"static",
        b"",
    ];
    assert_eq!(got, want);
    assert_eq!(Arc::strong_count(&shared), 1, "the clone was dropped");
}

#[test]
fn from_static_is_not_copied() {
    static FRAME: [u8; 4096] = [0xAB; 4096];
    let ctx = zmq::Context::new();
    let (a, b) = inproc_pair(&ctx, "from-static");
    let msg = zmq::Message::from_static(&FRAME);
    assert_eq!(msg.as_ptr(), FRAME.as_ptr());
    a.send(msg, zmq::SNDMORE).expect("send");
    a.send(zmq::Message::from_static(b""), 0)
        .expect("send empty");
    let mut got = b.recv_msg(0).expect("recv");
    assert_eq!(
        got.as_ptr(),
        FRAME.as_ptr(),
        "the receiver has the static bytes: no copy"
    );
    assert!(got.get_more());
    // Writing copies (the static bytes are read-only); the `more` flag stays.
    got[0] = 1;
    assert_ne!(got.as_ptr(), FRAME.as_ptr());
    assert!(got.get_more());
    assert_eq!(FRAME[0], 0xAB);
    let last = b.recv_msg(0).expect("recv");
    assert!(last.is_empty() && !last.get_more());

    // Over TCP too.
    let (c, d) = tcp_pair(&ctx);
    c.send(zmq::Message::from_static(&FRAME), 0).expect("send");
    assert_eq!(d.recv_bytes(0).expect("recv"), FRAME);
}

#[test]
fn zero_copy_vec_and_box_messages() {
    let ctx = zmq::Context::new();
    let (a, b) = inproc_pair(&ctx, "vec-box");
    let mut spare = Vec::with_capacity(10_000);
    spare.extend_from_slice(&[4u8; 5000]);
    let address = spare.as_ptr();
    let msg = zmq::Message::from(spare);
    assert_eq!(
        msg.as_ptr(),
        address,
        "a Vec with spare capacity is not copied"
    );
    a.send(msg, 0).expect("send");
    let got = b.recv_msg(0).expect("recv");
    assert_eq!(got.as_ptr(), address);
    assert_eq!(got.len(), 5000);

    // A message moves between threads, and is released there.
    let (owner, drops) = counted(1000, 2);
    let msg = zmq::Message::from_owner(owner).expect("message");
    std::thread::spawn(move || drop(msg))
        .join()
        .expect("thread");
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}
