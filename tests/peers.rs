//! Both ends in one process over real ZeroMQ sockets (tcp and ipc on loopback): streams in every
//! pattern, data of every msgpack kind both ways, frames of every dtype both ways, the step API,
//! and dropping an end mid-stream.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use netgear::{
    ByteOrder, Client, Data, Dtype, Error, Frame, Options, Pattern, Reply, Scalar, Server,
};
use rmpv::Value;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// 1. every pattern, tcp and ipc

/// Both ends' timeout in the streams that succeed: it bounds the waits (and the sender's linger
/// at its end), so it is generous for a loaded machine; it only lengthens a failing run.
const STREAM_TIMEOUT_MS: u64 = 8000;

async fn tcp_stream(pattern: Pattern, bidi: bool) {
    stream_and_check(
        tcp(pattern, 0, bidi, STREAM_TIMEOUT_MS),
        tcp(pattern, 0, bidi, STREAM_TIMEOUT_MS),
        12,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_pattern0_pair() {
    tcp_stream(Pattern::Pair, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_pattern1_req_rep() {
    tcp_stream(Pattern::ReqRep, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_pattern3_push_pull() {
    tcp_stream(Pattern::PushPull, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_pattern0_bidirectional() {
    tcp_stream(Pattern::Pair, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_pattern1_bidirectional() {
    tcp_stream(Pattern::ReqRep, true).await;
}

async fn ipc_stream(pattern: Pattern, tag: &str) {
    let path = ipc_path(tag);
    let opts = ipc(pattern, &path, false, STREAM_TIMEOUT_MS);
    stream_and_check(opts.clone(), opts.clone(), 10).await;
    remove_ipc(&opts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_pattern0_pair() {
    ipc_stream(Pattern::Pair, "p0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_pattern1_req_rep() {
    ipc_stream(Pattern::ReqRep, "p1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_pattern3_push_pull() {
    ipc_stream(Pattern::PushPull, "p3").await;
}

/// PUB/SUB with high-water mark 1 may drop frames: what arrives is a subsequence of what was
/// sent, at least one frame arrives, and the stream still ends cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_pattern2_pub_sub_paced() {
    common::pub_sub_and_check(
        tcp(Pattern::PubSub, 0, false, 2000),
        tcp(Pattern::PubSub, 0, false, 1000),
        15,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// 2. data of every msgpack kind, both ways

/// What a source records while it streams, read by the test afterwards.
type Shared<T> = Arc<Mutex<Vec<T>>>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Pose {
    x: f64,
    label: String,
    ids: Vec<u32>,
    visible: bool,
}

fn pose() -> Pose {
    Pose {
        x: -1.25,
        label: "camera-7".into(),
        ids: vec![3, 1, 4, 1, 5],
        visible: true,
    }
}

/// Index of the serde struct in [`data_cases`].
const STRUCT_CASE: usize = 15;

/// (value sent, value expected on arrival): vidgear's no-data markers nil and "" arrive as None.
fn data_cases() -> Vec<(Option<Data>, Option<Data>)> {
    let same = |d: Data| (Some(d.clone()), Some(d));
    let nested = Value::Map(vec![
        (
            Value::from("outer"),
            Value::Map(vec![
                (
                    Value::from("inner"),
                    Value::Array(vec![Value::from(1), Value::from(-2), Value::from(2.5)]),
                ),
                (Value::from("empty"), Value::Map(vec![])),
            ]),
        ),
        (Value::from("nil"), Value::Nil),
        (Value::from(7), Value::from("int key")),
    ]);
    let cases = vec![
        (Some(Data(Value::Nil)), None),
        same(Data::from(true)),
        same(Data::from(false)),
        same(Data::from(0)),
        same(Data::from(42)),
        same(Data::from(-42)),
        same(Data::from(u64::MAX)),
        same(Data::from(i64::MIN)),
        same(Data::from(std::f64::consts::PI)),
        same(Data::from(-0.5f32)),
        same(Data::from("héllo, netgear ✓")),
        (Some(Data::from("")), None),
        same(Data::from(vec![0u8, 1, 127, 128, 255])),
        same(Data(Value::Array(vec![
            Value::from(1),
            Value::from("two"),
            Value::Nil,
            Value::Array(vec![Value::from(true)]),
        ]))),
        same(Data(nested)),
        same(Data::from_serde(&pose()).expect("serialisable")),
        (None, None),
    ];
    assert_eq!(
        cases[STRUCT_CASE]
            .0
            .as_ref()
            .unwrap()
            .deserialize::<Pose>()
            .unwrap(),
        pose()
    );
    cases
}

/// The server sends each value with a frame; the client answers each with the same value. A
/// value queued after frame k answers frame k+1, so a trailing frame carries the last answer,
/// and the source takes one reply before each item and one after the last.
async fn data_both_ways(pattern: Pattern) {
    let cases = data_cases();
    let n = cases.len();
    let client = Client::new(tcp(pattern, 0, true, 2000)).expect("client binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(pattern, port, true, 2000)).expect("connects");
    let replies = server.transceiver();
    // (pending before the take, what was taken)
    let taken: Shared<(usize, Option<Reply>)> = Arc::default();
    let source = {
        let taken = taken.clone();
        let items: Vec<(Option<Data>, Frame)> = cases
            .iter()
            .map(|c| c.0.clone())
            .chain([None]) // the trailing frame
            .enumerate()
            .map(|(i, d)| (d, frame(i)))
            .collect();
        async_stream::stream! {
            for item in items {
                taken.lock().unwrap().push((replies.pending(), replies.transceive_data()));
                yield item;
            }
            taken.lock().unwrap().push((replies.pending(), replies.transceive_data()));
        }
    };
    let client_side = async {
        let mut received = Vec::new();
        let mut stream = std::pin::pin!(client.recv_generator());
        while let Some(item) = futures::StreamExt::next(&mut stream).await {
            let (data, f) = item?;
            let k = received.len();
            if k < n {
                if k == STRUCT_CASE {
                    let p: Pose = data.as_ref().expect("struct data").deserialize()?;
                    assert_eq!(p, pose());
                    client.transceive_data(p)?;
                } else {
                    // Option<Data> is serde: None is sent as nil, a no-data answer.
                    client.transceive_data(cases[k].0.clone())?;
                }
            }
            received.push((data, f));
        }
        Ok::<_, Error>(received)
    };
    let (launched, received) =
        within(async { tokio::join!(server.launch(source), client_side) }).await;
    assert_eq!(launched.expect("launch succeeds"), n as u64 + 1);
    let received = received.expect("client side succeeds");
    assert_eq!(received.len(), n + 1);
    for (k, (data, f)) in received.iter().enumerate().take(n) {
        assert_eq!(data, &cases[k].1, "server→client data of case {k}");
        assert_eq!(f, &frame(k));
    }
    let taken = taken.lock().unwrap();
    assert_eq!(taken.len(), n + 2);
    assert_eq!(taken[0].0, 0, "no reply before the first frame");
    assert!(taken[0].1.is_none());
    for (j, (pending, _)) in taken.iter().enumerate().skip(1) {
        assert_eq!(*pending, 1, "one reply queued per frame (take {j})");
    }
    assert!(taken[1].1.is_none(), "frame 0 is answered with nothing");
    for k in 0..n {
        let want = cases[k].1.clone().map(Reply::Data);
        assert_eq!(taken[k + 2].1, want, "client→server data of case {k}");
    }
    let back = taken[STRUCT_CASE + 2]
        .1
        .as_ref()
        .and_then(Reply::as_data)
        .unwrap();
    assert_eq!(back.deserialize::<Pose>().unwrap(), pose());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_of_every_kind_both_ways_pattern0() {
    data_both_ways(Pattern::Pair).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_of_every_kind_both_ways_pattern1() {
    data_both_ways(Pattern::ReqRep).await;
}

/// The answer to the last frame arrives during the last send; it must still be there for
/// `server.transceive_data()` once `launch()` has returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_answer_is_available_after_launch() {
    let client = Client::new(tcp(Pattern::Pair, 0, true, 2000)).expect("client binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::Pair, port, true, 2000)).expect("connects");
    let items: Vec<(Data, Frame)> = (0..3).map(|i| (Data::from(i), frame(i as usize))).collect();
    let client_side = async {
        let mut stream = std::pin::pin!(client.recv_generator());
        let mut k = 0;
        while let Some(item) = futures::StreamExt::next(&mut stream).await {
            item?;
            client.transceive_data(format!("answer {k}"))?;
            k += 1;
        }
        Ok::<_, Error>(k)
    };
    let (launched, got) =
        within(async { tokio::join!(server.launch(futures::stream::iter(items)), client_side) })
            .await;
    assert_eq!(launched.unwrap(), 3);
    assert_eq!(got.unwrap(), 3);
    // Answers to frames 0, 1, 2: nothing, "answer 0", "answer 1".
    assert_eq!(server.transceiver().pending(), 3);
    assert_eq!(server.transceive_data(), None);
    assert_eq!(
        server.transceive_data(),
        Some(Reply::Data(Data::from("answer 0")))
    );
    assert_eq!(
        server.transceive_data(),
        Some(Reply::Data(Data::from("answer 1")))
    );
    assert_eq!(server.transceive_data(), None);
}

// ---------------------------------------------------------------------------------------------
// 3. frames of every dtype, both ways

/// Frames of every dtype, both byte orders for multi-byte ones, alternating 2-D and 3-D shapes.
fn dtype_frames() -> Vec<Frame> {
    let scalars = Scalar::ALL;
    let mut frames = Vec::new();
    for s in scalars {
        let orders: &[ByteOrder] = if s.itemsize() == 1 {
            &[ByteOrder::Little]
        } else {
            &[ByteOrder::Little, ByteOrder::Big]
        };
        for &order in orders {
            let dtype = Dtype::with_order(s, order);
            let i = frames.len();
            let shape = if i % 2 == 0 {
                vec![4, 5]
            } else {
                vec![3, 4, 2]
            };
            let len: usize = shape.iter().product::<usize>() * dtype.itemsize();
            let bytes: Vec<u8> = (0..len)
                .map(|j| {
                    if s == Scalar::Bool {
                        ((i + j) % 2) as u8
                    } else {
                        (i * 41 + j * 13 + 5) as u8
                    }
                })
                .collect();
            frames.push(Frame::new(dtype, shape, bytes).expect("valid frame"));
        }
    }
    frames
}

async fn frames_both_ways(pattern: Pattern) {
    let frames = dtype_frames();
    assert_eq!(frames.len(), 21);
    let n = frames.len();
    let client = Client::new(tcp(pattern, 0, true, 2000)).expect("client binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(pattern, port, true, 2000)).expect("connects");
    let replies = server.transceiver();
    let echoed: Shared<Option<Reply>> = Arc::default();
    let source = {
        let echoed = echoed.clone();
        let items: Vec<(Option<Data>, Frame)> = frames
            .iter()
            .cloned()
            .chain([frame(0)]) // the trailing frame carries the last echo
            .map(|f| (None, f))
            .collect();
        async_stream::stream! {
            for item in items {
                echoed.lock().unwrap().push(replies.transceive_data());
                yield item;
            }
            echoed.lock().unwrap().push(replies.transceive_data());
        }
    };
    let client_side = async {
        let mut received = Vec::new();
        let mut stream = std::pin::pin!(client.recv_generator());
        while let Some(item) = futures::StreamExt::next(&mut stream).await {
            let (_, f) = item?;
            if received.len() < n {
                client.transceive_data(f.clone())?;
            }
            received.push(f);
        }
        Ok::<_, Error>(received)
    };
    let (launched, received) =
        within(async { tokio::join!(server.launch(source), client_side) }).await;
    assert_eq!(launched.expect("launch succeeds"), n as u64 + 1);
    let received = received.expect("client side succeeds");
    assert_eq!(received.len(), n + 1);
    let echoed = echoed.lock().unwrap();
    assert_eq!(echoed.len(), n + 2);
    for (k, sent) in frames.iter().enumerate() {
        let got = &received[k];
        assert_eq!(
            got.dtype(),
            sent.dtype(),
            "dtype of frame {k} at the client"
        );
        assert_eq!(
            got.shape(),
            sent.shape(),
            "shape of frame {k} at the client"
        );
        assert_eq!(
            got.as_bytes(),
            sent.as_bytes(),
            "bytes of frame {k} at the client"
        );
        let back = echoed[k + 2]
            .clone()
            .and_then(Reply::into_frame)
            .unwrap_or_else(|| panic!("frame {k} ({}) was echoed back", sent.dtype()));
        assert_eq!(back.dtype(), sent.dtype(), "dtype of echo {k}");
        assert_eq!(back.shape(), sent.shape(), "shape of echo {k}");
        assert_eq!(back.as_bytes(), sent.as_bytes(), "bytes of echo {k}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_of_every_dtype_both_ways_pattern0() {
    frames_both_ways(Pattern::Pair).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_of_every_dtype_both_ways_pattern1() {
    frames_both_ways(Pattern::ReqRep).await;
}

/// Typed values survive the trip: big-endian elements read back as the same numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_endian_elements_read_back() {
    let values = [1.5f32, -2.25, 1e-3, f32::MAX, 0.0, -0.0];
    let be: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let sent = Frame::new(
        Dtype::with_order(Scalar::F32, ByteOrder::Big),
        vec![2, 3],
        be,
    )
    .unwrap();
    let client = Client::new(tcp(Pattern::PushPull, 0, false, 2000)).unwrap();
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::PushPull, port, false, 2000)).unwrap();
    let (launched, drained) = within(async {
        tokio::join!(
            server.launch(futures::stream::iter([sent.clone()])),
            drain(&client)
        )
    })
    .await;
    assert_eq!(launched.unwrap(), 1);
    assert!(drained.error.is_none());
    let got = &drained.items[0].1;
    assert_eq!(got.dtype().order(), Some(ByteOrder::Big));
    let read: Vec<f32> = got.to_vec().expect("f32 frame");
    assert_eq!(read, values);
}

// ---------------------------------------------------------------------------------------------
// 4. the step API

async fn step_api(pattern: Pattern, bidi: bool) {
    let n = 6;
    let client = Client::new(tcp(pattern, 0, bidi, 2000)).expect("client binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(pattern, port, bidi, 2000)).expect("connects");
    let server_side = async {
        for i in 0..n {
            server
                .send(Some(&Data::from(format!("step {i}"))), &frame(i))
                .await?;
        }
        server.close().await?;
        // Closing twice is harmless; sending after closing is not allowed.
        server.close().await?;
        assert!(matches!(
            server.send(None, &frame(0)).await,
            Err(Error::Closed)
        ));
        Ok::<_, Error>(())
    };
    let client_side = async {
        let mut got = Vec::new();
        for _ in 0..n {
            got.push(client.recv().await?);
        }
        let after = client.recv().await?;
        Ok::<_, Error>((got, after))
    };
    let (sent, received) = within(async { tokio::join!(server_side, client_side) }).await;
    sent.expect("server side succeeds");
    let (got, after) = received.expect("client side succeeds");
    for (i, item) in got.into_iter().enumerate() {
        let (data, f) = item.unwrap_or_else(|| panic!("frame {i} arrives"));
        assert_eq!(data, Some(Data::from(format!("step {i}"))));
        assert_eq!(f, frame(i));
    }
    assert!(after.is_none(), "recv returns None after the close");
    assert!(client.recv().await.expect("still fine").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_api_pattern0_bidirectional() {
    step_api(Pattern::Pair, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_api_pattern1() {
    step_api(Pattern::ReqRep, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_api_pattern3() {
    step_api(Pattern::PushPull, false).await;
}

// ---------------------------------------------------------------------------------------------
// 5. dropping an end mid-stream

/// Drops a value off the event loop, failing if that hangs.
async fn drop_within<T: Send + 'static>(value: T) {
    within(tokio::task::spawn_blocking(move || drop(value)))
        .await
        .expect("drop did not panic");
}

/// The timeout of the end that outlives the other: long enough that no stall of a loaded
/// machine between two frames reaches it; it is what the end reports once the other is gone.
const SURVIVOR_TIMEOUT: Duration = Duration::from_secs(2);

/// The server is dropped mid-stream, once the client has 3 frames: the client's next
/// receive fails with its timeout.
async fn server_dropped_mid_stream(pattern: Pattern) {
    let ms = SURVIVOR_TIMEOUT.as_millis() as u64;
    let client = Client::new(tcp(pattern, 0, false, ms)).expect("client binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(pattern, port, false, 2000)).expect("connects");
    let three_arrived = tokio::sync::Notify::new();
    let server_side = async {
        // An endless source, abandoned mid-stream.
        let source = futures::stream::iter((0..).map(|i| frame(i % 50)));
        tokio::select! {
            r = server.launch(source) => panic!("the endless launch ended: {r:?}"),
            () = three_arrived.notified() => {}
        }
        drop_within(server).await;
    };
    let client_side = async {
        let mut frames = 0;
        loop {
            match client.recv().await {
                Ok(Some(_)) => {
                    frames += 1;
                    if frames == 3 {
                        three_arrived.notify_one();
                    }
                }
                other => return (frames, other),
            }
        }
    };
    let ((), (frames, end)) = within(async { tokio::join!(server_side, client_side) }).await;
    assert!(frames >= 3, "frames arrived before the drop");
    assert!(
        matches!(end, Err(Error::Timeout { after, .. }) if after == SURVIVOR_TIMEOUT),
        "client ends with a timeout, got {end:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_server_mid_stream_pattern0() {
    server_dropped_mid_stream(Pattern::Pair).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_server_mid_stream_pattern1() {
    server_dropped_mid_stream(Pattern::ReqRep).await;
}

/// The client goes away holding a frame it has not answered (a raw socket that answers three
/// frames, takes the fourth and closes): libzmq tells the server at once that its peer went
/// away, and launch fails with `PeerGone` — the server's timeout (two minutes, beyond the
/// test's hang guard) is not waited out.
async fn client_dropped_mid_stream(pattern: Pattern) {
    let kind = if pattern == Pattern::Pair {
        zmq::PAIR
    } else {
        zmq::REP
    };
    let (raw, port) = common::raw::bound(kind);
    let mut server = Server::new(tcp(pattern, port, false, 120_000)).expect("connects");
    let client_side = tokio::task::spawn_blocking(move || {
        for _ in 0..3 {
            assert_eq!(raw.recv_multipart(0).expect("a frame").len(), 2);
            raw.send(&b"Data received on client: RAWPEER1 !"[..], 0)
                .expect("answer");
        }
        assert_eq!(raw.recv_multipart(0).expect("the fourth").len(), 2);
        drop(raw);
    });
    let server_side = server.launch(futures::stream::iter((0..20).map(frame)));
    let (launched, gone) = within(async { tokio::join!(server_side, client_side) }).await;
    gone.expect("the raw client");
    assert!(
        matches!(
            launched,
            Err(Error::PeerGone {
                waiting_for: "the client's reply",
                ..
            })
        ),
        "the server learns that its peer left, got {launched:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_client_mid_stream_pattern0() {
    client_dropped_mid_stream(Pattern::Pair).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_client_mid_stream_pattern1() {
    client_dropped_mid_stream(Pattern::ReqRep).await;
}

// ---------------------------------------------------------------------------------------------
// edges: empty streams, large frames, the default ipc address, the message size limit

async fn empty_stream(pattern: Pattern) {
    stream_and_check(
        tcp(pattern, 0, false, 1000),
        tcp(pattern, 0, false, 1000),
        0,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_stream_pattern0() {
    empty_stream(Pattern::Pair).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_stream_pattern1() {
    empty_stream(Pattern::ReqRep).await;
}

/// A subscriber waiting on an empty PUB/SUB stream should see the end, not time out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_stream_pattern2() {
    empty_stream(Pattern::PubSub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_stream_pattern3() {
    empty_stream(Pattern::PushPull).await;
}

/// Frames above the size where received messages are shared rather than copied, both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_frames_both_ways() {
    let big = |i: usize| {
        let bytes: Vec<u8> = (0..120 * 160 * 3)
            .map(|j| ((i * 7 + j * 3) % 251) as u8)
            .collect();
        Frame::from_bgr(
            netgear::Size {
                width: 160,
                height: 120,
            },
            bytes,
        )
        .unwrap()
    };
    let n = 5;
    let client = Client::new(tcp(Pattern::Pair, 0, true, 2000)).unwrap();
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::Pair, port, true, 2000)).unwrap();
    let replies = server.transceiver();
    let echoed: Shared<Option<Reply>> = Arc::default();
    let source = {
        let echoed = echoed.clone();
        async_stream::stream! {
            for i in 0..=n {
                echoed.lock().unwrap().push(replies.transceive_data());
                yield (Some(Data::from(i as u64)), big(i));
            }
            echoed.lock().unwrap().push(replies.transceive_data());
        }
    };
    let client_side = async {
        let mut received = Vec::new();
        let mut stream = std::pin::pin!(client.recv_generator());
        while let Some(item) = futures::StreamExt::next(&mut stream).await {
            let (_, f) = item?;
            client.transceive_data(f.clone())?;
            received.push(f);
        }
        Ok::<_, Error>(received)
    };
    let (launched, received) =
        within(async { tokio::join!(server.launch(source), client_side) }).await;
    assert_eq!(launched.unwrap(), n as u64 + 1);
    let received = received.unwrap();
    let echoed = echoed.lock().unwrap();
    for i in 0..n {
        assert_eq!(received[i], big(i), "frame {i} at the client");
        assert_eq!(
            echoed[i + 2].clone().and_then(Reply::into_frame),
            Some(big(i)),
            "echo of frame {i}"
        );
    }
}

/// With no address, both ends of an ipc connection meet at the same default socket file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_default_address_meets() {
    let opts = Options {
        address: None,
        port: port_below_ephemeral(),
        protocol: netgear::Protocol::Ipc,
        timeout: Duration::from_millis(2000),
        ..Options::default()
    };
    assert_eq!(opts.endpoint(true), opts.endpoint(false));
    stream_and_check(opts.clone(), opts.clone(), 5).await;
    let _ = std::fs::remove_file(opts.endpoint(true).trim_start_matches("ipc://"));
}

/// A message above the receiver's size limit is refused: no frame is yielded; libzmq drops the
/// connection, so the sender learns that its peer went away, and the receiver times out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frame_is_refused() {
    let client = Client::new(Options {
        max_message_size: 1000,
        ..tcp(Pattern::Pair, 0, false, 500)
    })
    .unwrap();
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::Pair, port, false, 500)).unwrap();
    let big = Frame::zeros(Dtype::U8, vec![40, 40, 3]).unwrap();
    let (launched, drained) =
        within(async { tokio::join!(server.launch(futures::stream::iter([big])), drain(&client)) })
            .await;
    assert!(
        drained.items.is_empty(),
        "the oversized frame was not delivered"
    );
    assert!(
        matches!(drained.error, Some(Error::Timeout { .. })),
        "client: {:?}",
        drained.error
    );
    assert!(
        matches!(launched, Err(Error::PeerGone { .. })),
        "server: {launched:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Capture times
// ---------------------------------------------------------------------------------------------

/// A frame's capture time travels with it (an extra header key a vidgear receiver ignores):
/// the receiver's frame has the sender's stamp, to the microsecond.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_times_travel_with_frames() {
    use std::time::{SystemTime, UNIX_EPOCH};
    let client = Client::new(tcp(Pattern::Pair, 0, false, 5000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::Pair, port, false, 5000)).expect("connects");
    let stamps: Vec<SystemTime> = (0..3u64)
        .map(|i| UNIX_EPOCH + Duration::from_micros(1_764_000_000_000_000 + i * 33_333))
        .collect();
    let frames: Vec<Frame> = stamps.iter().map(|&t| frame(1).with_captured(t)).collect();
    // A frame without a capture time is stamped when it is sent.
    let before = SystemTime::now();
    let unstamped = frame(2);
    let source = futures::stream::iter(frames.into_iter().chain([unstamped]));
    let (sent, got) = within(async { tokio::join!(server.launch(source), drain(&client)) }).await;
    assert_eq!(sent.expect("streams"), 4);
    let got: Vec<Option<SystemTime>> = got.items.iter().map(|(_, f)| f.captured()).collect();
    assert_eq!(
        &got[..3],
        stamps.iter().map(|&t| Some(t)).collect::<Vec<_>>()
    );
    let last = got[3].expect("stamped on sending");
    assert!(
        last >= before - Duration::from_millis(1),
        "{last:?} before {before:?}"
    );
}

/// With timestamps off, the header a receiver gets is exactly vidgear's bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_timestamps_the_header_is_vidgears() {
    let (raw, port) = common::raw::bound(zmq::PULL);
    let mut server = Server::new(Options {
        timestamps: false,
        ..tcp(Pattern::PushPull, port, false, 5000)
    })
    .expect("connects");
    let f = frame(3).with_captured(std::time::SystemTime::now());
    let receive = tokio::task::spawn_blocking(move || raw.recv_multipart(0).expect("a message"));
    let sent = within(server.launch(futures::stream::iter([f.clone()]))).await;
    assert_eq!(sent.expect("streams"), 1);
    let parts = receive.await.expect("the raw receiver");
    let mut vidgear = Vec::new();
    netgear::wire::encode_header(&mut vidgear, false, None);
    assert_eq!(parts[0], vidgear);
    assert_eq!(parts[1], netgear::wire::encode_frame(&f));
}

// ---------------------------------------------------------------------------------------------
// Frames in flight (pattern 0)
// ---------------------------------------------------------------------------------------------

/// With `max_in_flight` 3 a server sends three frames before it needs an answer: a raw PAIR
/// peer reads all three without answering any (in lock-step the second would never come).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_go_out_before_their_answers() {
    let (raw, port) = common::raw::bound(zmq::PAIR);
    let mut server = Server::new(Options {
        max_in_flight: 3,
        ..tcp(Pattern::Pair, port, false, 10_000)
    })
    .expect("connects");
    let peer = tokio::task::spawn_blocking(move || {
        let mut confirmation = Vec::new();
        netgear::wire::encode_terminated(&mut confirmation, "RAWPEER1");
        for _ in 0..3 {
            let parts = raw.recv_multipart(0).expect("a frame before any answer");
            assert_eq!(parts.len(), 2);
        }
        for n in 0..5 {
            if n >= 3 {
                assert_eq!(raw.recv_multipart(0).expect("a frame").len(), 2);
            }
            raw.send(&b"Data received on client: RAWPEER1 !"[..], 0)
                .expect("answer");
        }
        let end = raw.recv_multipart(0).expect("the end");
        assert_eq!(end.len(), 1);
        raw.send(&confirmation[..], 0).expect("termination answer");
        raw
    });
    let frames = futures::stream::iter((0..5).map(frame));
    let sent = within(server.launch(frames)).await;
    assert_eq!(sent.expect("streams"), 5);
    drop(peer.await.expect("the raw peer"));
}

/// Pipelined, every answer is still matched to its frame: the data the client queues after
/// frame n rides on the answer to frame n+1, in order, as in lock-step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_stay_in_order_with_frames_in_flight() {
    let options = Options {
        max_in_flight: 4,
        ..tcp(Pattern::Pair, 0, true, 10_000)
    };
    let client = Client::new(options.clone()).expect("binds");
    let mut server = Server::new(towards(&client, options)).expect("connects");
    let replies = server.transceiver();
    let source =
        futures::stream::iter((0..50u64).map(|n| (Some(Data::from(n)), frame(n as usize))));
    let receiver = async {
        let mut got = Vec::new();
        let mut stream = std::pin::pin!(client.recv_generator());
        while let Some(item) = futures::StreamExt::next(&mut stream).await {
            let (data, _) = item.expect("a frame");
            let n: u64 = data.expect("data").deserialize().expect("a number");
            got.push(n);
            client.transceive_data(n).expect("queued");
        }
        got
    };
    let (sent, got) = within(async { tokio::join!(server.launch(source), receiver) }).await;
    assert_eq!(sent.expect("streams"), 50);
    assert_eq!(got, (0..50).collect::<Vec<u64>>());
    assert_eq!(replies.pending(), 50);
    assert_eq!(replies.transceive_data(), None);
    for n in 0..49u64 {
        let r = replies.transceive_data().expect("an answer");
        assert_eq!(r, Reply::Data(Data::from(n)), "answer {}", n + 1);
    }
}

#[test]
fn frames_in_flight_need_pair() {
    for (pattern, n) in [
        (Pattern::ReqRep, 2),
        (Pattern::PushPull, 2),
        (Pattern::Pair, 0),
    ] {
        let o = Options {
            max_in_flight: n,
            ..tcp(pattern, 5555, false, 1000)
        };
        assert!(
            matches!(o.validate(), Err(Error::InvalidOption(_))),
            "{pattern:?} {n}"
        );
    }
}
