//! Bytes a hostile or broken peer sends: each gives a typed error, nothing panics, and the
//! receive end stays usable.

use crate::common::proc::peak_rss_kib;
use crate::common::raw::{self, Side, good_message, is_confirmation, sevens};
use crate::common::{tcp, within};
use crate::{alone, shared};
use futures::StreamExt;
use netgear::wire;
use netgear::{Client, DecodeError, Error, Pattern};

/// After a bad message a REP client answers anyway, so both it and the peer can go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rep_client_recovers_after_garbage() {
    let _turn = shared();
    let client = Client::new(tcp(Pattern::ReqRep, 0, false, 2000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let peer = std::thread::spawn(move || {
        let s = raw::req(port);
        s.send(&b"garbage"[..], 0).expect("send");
        let first = s.recv_bytes(0).expect("an answer to the garbage");
        s.send_multipart(good_message(), 0).expect("send");
        let second = s.recv_bytes(0).expect("an answer to the frame");
        (first, second)
    });
    let bad = within(client.recv()).await;
    assert!(
        matches!(bad, Err(Error::Decode(DecodeError::Msgpack { .. }))),
        "{bad:?}"
    );
    let (_, frame) = within(client.recv())
        .await
        .expect("the next frame decodes")
        .expect("not terminated");
    assert_eq!(frame.as_bytes(), &[7u8; 12]);
    let (first, second) = peer.join().expect("peer");
    assert!(is_confirmation(&first));
    assert!(is_confirmation(&second));
}

/// Data beyond `max_data_size`, and data nested too deep, are refused before decoding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_deep_data_are_refused() {
    let _turn = shared();
    let mut opts = tcp(Pattern::ReqRep, 0, false, 2000);
    opts.max_data_size = 1024;
    let client = Client::new(opts).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let peer = std::thread::spawn(move || {
        let s = raw::req(port);
        // a header whose data is a 4 KiB string
        let mut big = good_message();
        big[0].clear();
        let text = "x".repeat(4096);
        wire::encode_header(
            &mut big[0],
            false,
            Some(&netgear::Data::from(text.as_str())),
        );
        s.send_multipart(big, 0).expect("send");
        s.recv_bytes(0).expect("answer");
        // a header whose data is 500 nested arrays (about 500 bytes)
        let mut deep = good_message();
        let keep = deep[0].len() - 1; // drop the empty-string data
        deep[0].truncate(keep);
        deep[0].extend(std::iter::repeat_n(0x91u8, 500));
        deep[0].push(0xc0);
        s.send_multipart(deep, 0).expect("send");
        s.recv_bytes(0).expect("answer");
    });
    let big = within(client.recv()).await;
    assert!(
        matches!(
            big,
            Err(Error::Decode(DecodeError::DataTooLarge { limit: 1024, .. }))
        ),
        "{big:?}"
    );
    let deep = within(client.recv()).await;
    assert!(
        matches!(deep, Err(Error::Decode(DecodeError::Msgpack { .. }))),
        "{deep:?}"
    );
    peer.join().expect("peer");
}

/// With `OnBadMessage::Skip` the client logs and skips bad messages and the stream after them is
/// intact; the default stops at the first one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_policy_keeps_the_stream_intact() {
    let _turn = shared();
    let mut opts = tcp(Pattern::ReqRep, 0, false, 2000);
    opts.on_bad_message = netgear::OnBadMessage::Skip;
    let client = Client::new(opts).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let peer = std::thread::spawn(move || {
        let s = raw::req(port);
        let mut answers = 0;
        for (i, msg) in [
            vec![b"garbage".to_vec()],
            good_message(),
            vec![vec![0x80]],                // an empty map: no keys
            vec![vec![0xc1]],                // a reserved marker
            vec![good_message()[0].clone()], // a header without its frame
            good_message().into_iter().chain([vec![1]]).collect(), // three parts
            good_message(),
        ]
        .into_iter()
        .enumerate()
        {
            s.send_multipart(msg, 0).expect("send");
            s.recv_bytes(0)
                .unwrap_or_else(|e| panic!("no answer to message {i}: {e}"));
            answers += 1;
        }
        s.send(raw::terminate(), 0).expect("terminate");
        s.recv_bytes(0).expect("termination answer");
        answers
    });
    let mut frames = 0;
    while let Some((_, frame)) = within(client.recv()).await.expect("skips, never fails") {
        assert_eq!(frame.as_bytes(), &[7u8; 12]);
        frames += 1;
    }
    assert_eq!(frames, 2);
    assert_eq!(client.skipped(), 5);
    assert_eq!(peer.join().expect("peer"), 7);
}

/// The default policy (`OnBadMessage::Stop`, vidgear's behaviour): a raw server sends a good
/// frame, garbage, and another good frame; the stream yields the first frame, then exactly
/// one `Error::Decode`, then ends — the second good frame is never taken. The server still
/// gets its answer to the garbage (REQ/REP and PAIR), so it is not left waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_policy_stops_at_the_first_bad_message() {
    let _turn = shared();
    for (pattern, kind) in [(Pattern::ReqRep, zmq::REQ), (Pattern::Pair, zmq::PAIR)] {
        let opts = tcp(pattern, 0, false, 2000);
        assert_eq!(
            opts.on_bad_message,
            netgear::OnBadMessage::Stop,
            "the default"
        );
        let client = Client::new(opts).expect("binds");
        let port = client.local_port().expect("a tcp port");
        let peer = std::thread::spawn(move || {
            let s = raw::socket(kind, port, Side::Connect);
            s.send_multipart(good_message(), 0).expect("send");
            let good = s.recv_bytes(0).expect("an answer to the good frame");
            s.send(&b"garbage"[..], 0).expect("send");
            let bad = s.recv_bytes(0).expect("an answer to the garbage");
            s.send_multipart(good_message(), 0).expect("send");
            (good, bad, s)
        });
        // Everything the stream yields, to its end.
        let items: Vec<_> = within(client.recv_generator().collect()).await;
        let what = format!("pattern {pattern}");
        assert_eq!(items.len(), 2, "{what}: {items:?}");
        assert!(
            matches!(&items[0], Ok((None, f)) if *f == sevens()),
            "{what}: {:?}",
            items[0]
        );
        assert!(
            matches!(&items[1], Err(Error::Decode(DecodeError::Msgpack { .. }))),
            "{what}: {:?}",
            items[1]
        );
        let (good, bad, _socket) = tokio::task::spawn_blocking(move || peer.join())
            .await
            .expect("join")
            .expect("peer");
        assert!(is_confirmation(&good), "{what}: {good:?}");
        assert!(is_confirmation(&bad), "{what}: {bad:?}");
    }
}

/// A `netgear:jpeg` frame part claiming a `|u1` frame of `shape`, with `jpeg` as its data.
fn jpeg_part(jpeg: &[u8], shape: &[u64]) -> Vec<u8> {
    let mut out = vec![0x86];
    let bin = |out: &mut Vec<u8>, b: &[u8]| {
        rmp::encode::write_bin(out, b).expect("in memory");
    };
    bin(&mut out, b"nd");
    out.push(0xc3);
    bin(&mut out, b"type");
    rmp::encode::write_str(&mut out, "netgear:jpeg").expect("in memory");
    bin(&mut out, b"kind");
    bin(&mut out, b"");
    bin(&mut out, b"shape");
    rmp::encode::write_array_len(&mut out, shape.len() as u32).expect("in memory");
    for &d in shape {
        rmp::encode::write_uint(&mut out, d).expect("in memory");
    }
    bin(&mut out, b"dtype");
    rmp::encode::write_str(&mut out, "|u1").expect("in memory");
    bin(&mut out, b"data");
    bin(&mut out, jpeg);
    out
}

/// Starts this process's peak memory (`VmHWM`, which [`peak_rss_kib`] reads) afresh from what it
/// holds now: the tests that ran before in this process leave no peak behind that would hide
/// the next one's (`/proc/PID/clear_refs`, Linux 4.0).
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak memory");
}

/// A raw peer sends a progressive three-component JPEG as a 4096×4096 gray frame (16 MiB): a
/// decoder holds every coefficient of all three components of a progressive image (96 MiB
/// here) and reads them once per scan. The receiver refuses it before decoding, naming why,
/// and grows by less than the frame it claims.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_progressive_colour_jpeg_is_refused_before_decoding() {
    // Alone: what this process's peak memory grows by is this test's, and nobody else's.
    let _turn = alone();
    reset_peak_rss();
    const SIDE: usize = 4096;
    let pixels = vec![0u8; SIDE * SIDE * 3];
    let mut compressor = turbojpeg::Compressor::new().expect("a compressor");
    compressor
        .set_subsamp(turbojpeg::Subsamp::None)
        .expect("4:4:4");
    compressor.set_progressive(true).expect("progressive");
    let bomb = compressor
        .compress_to_vec(turbojpeg::Image {
            pixels: &pixels[..],
            width: SIDE,
            pitch: SIDE * 3,
            height: SIDE,
            format: turbojpeg::PixelFormat::BGR,
        })
        .expect("a progressive JPEG");
    drop(pixels);
    let part = jpeg_part(&bomb, &[SIDE as u64, SIDE as u64]);
    let mut header = Vec::new();
    wire::encode_header(&mut header, false, None);

    let client = Client::new(tcp(Pattern::PushPull, 0, false, 10_000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let before = peak_rss_kib("self").expect("VmHWM");
    let peer = std::thread::spawn(move || {
        let s = raw::socket(zmq::PUSH, port, Side::Connect);
        s.send_multipart([header, part], 0).expect("send");
        s
    });
    let refused = within(client.recv()).await;
    let grew_mib = peak_rss_kib("self").expect("VmHWM").saturating_sub(before) >> 10;
    match refused {
        Err(Error::Decode(DecodeError::Compressed { detail, .. })) => {
            assert!(detail.contains("a progressive JPEG"), "{detail}");
        }
        other => panic!("not refused: {other:?}"),
    }
    assert!(
        grew_mib < 16,
        "the receiver grew by {grew_mib} MiB for a {} KiB JPEG",
        bomb.len() >> 10
    );
    drop(peer.join().expect("the peer"));
}
