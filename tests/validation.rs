//! Every error a user can meet, with its variant: invalid options, missing source, bind and
//! connect failures, no runtime, bidirectional mismatch from both sides, timeouts, the
//! `transceive_data` queue, and the state after termination.

mod common;

use std::time::{Duration, Instant};

use common::*;
use netgear::media::TestPattern;
use netgear::{
    Client, Data, End, Error, Frame, Options, ParseError, Pattern, PeerStatus, Protocol, Server,
    Source, SourceItem,
};

// ---------------------------------------------------------------------------------------------
// 1. options and construction

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bidirectional_needs_pattern_0_or_1() {
    for p in [Pattern::PubSub, Pattern::PushPull] {
        let opts = tcp(p, port_below_ephemeral(), true, 500);
        assert!(matches!(opts.validate(), Err(Error::BidirectionalPattern(q)) if q == p));
        assert!(matches!(
            Server::new(opts.clone()),
            Err(Error::BidirectionalPattern(q)) if q == p
        ));
        assert!(matches!(
            Client::new(opts),
            Err(Error::BidirectionalPattern(q)) if q == p
        ));
    }
    for p in [Pattern::Pair, Pattern::ReqRep] {
        assert!(tcp(p, 1, true, 500).validate().is_ok());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bidirectional_refuses_a_built_in_source() {
    let opts = Options {
        source: Some(Source::TestPattern(TestPattern::new(8, 6))),
        ..tcp(Pattern::Pair, port_below_ephemeral(), true, 500)
    };
    assert!(matches!(
        opts.validate(),
        Err(Error::BidirectionalWithSource)
    ));
    assert!(matches!(
        Server::new(opts.clone()),
        Err(Error::BidirectionalWithSource)
    ));
    assert!(matches!(
        Client::new(opts),
        Err(Error::BidirectionalWithSource)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_queue_capacity_is_invalid() {
    let opts = Options {
        queue_capacity: 0,
        ..tcp(Pattern::Pair, port_below_ephemeral(), true, 500)
    };
    assert!(matches!(opts.validate(), Err(Error::InvalidOption(_))));
    assert!(matches!(Client::new(opts), Err(Error::InvalidOption(_))));
}

/// A host name as the address binds as vidgear binds it (pyzmq resolves `localhost` for a
/// bind), and a server given the same name reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_name_binds_and_connects() {
    let named = |port| Options {
        address: Some("localhost".into()),
        ..tcp(Pattern::ReqRep, port, false, 5000)
    };
    let client = Client::new(named(0)).expect("binds localhost");
    let port = client.local_port().expect("a tcp port");
    assert_eq!(client.local_endpoint(), format!("tcp://127.0.0.1:{port}"));
    let mut server = Server::new(named(port)).expect("connects to localhost");
    three_frames_arrive(&mut server, &client).await;
}

/// `server` streams three frames and `client` receives them.
async fn three_frames_arrive(server: &mut Server, client: &Client) {
    let (sent, drained) = within(async {
        tokio::join!(
            server.launch(futures::stream::iter((0..3).map(frame))),
            drain(client)
        )
    })
    .await;
    assert_eq!(sent.expect("streamed"), 3);
    assert_eq!(drained.items.len(), 3);
}

/// Port 0 binds a port the kernel picks, which the client tells (as bound, and as libzmq
/// resolved the address), and a server reaches it there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_zero_binds_a_port_the_kernel_picks_and_tells_it() {
    let client = Client::new(tcp(Pattern::Pair, 0, false, 2000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    assert_ne!(port, 0);
    assert_eq!(client.endpoint(), "tcp://127.0.0.1:0");
    assert_eq!(client.local_endpoint(), format!("tcp://127.0.0.1:{port}"));
    assert!(net::is_listening(port), "nothing listens on {port}");
    let mut server = Server::new(tcp(Pattern::Pair, port, false, 2000)).expect("connects");
    three_frames_arrive(&mut server, &client).await;

    // Every address (`*`, the default), and a port given: told as bound.
    let any = Client::new(Options {
        address: None,
        ..tcp(Pattern::PushPull, 0, false, 500)
    })
    .expect("binds");
    let port = any.local_port().expect("a tcp port");
    assert_eq!(any.local_endpoint(), format!("tcp://0.0.0.0:{port}"));
    let again = tcp(Pattern::PushPull, port_below_ephemeral(), false, 500);
    let given = Client::new(again.clone()).expect("binds");
    assert_eq!(given.local_port(), Some(again.port));
    // Over ipc there is no port: the number is part of the file's name.
    let path = ipc_path("port0");
    let opts = ipc(Pattern::Pair, &path, false, 500);
    let over_ipc = Client::new(Options {
        port: 0,
        ..opts.clone()
    })
    .expect("binds");
    assert_eq!(over_ipc.local_port(), None);
    assert_eq!(
        over_ipc.local_endpoint(),
        format!("ipc://{}:0", path.display())
    );
    drop(over_ipc);
    remove_ipc(&Options { port: 0, ..opts });
}

/// A send-mode end cannot connect to port 0: a typed error at once, not a timeout later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_refuses_port_zero() {
    let r = Server::new(tcp(Pattern::Pair, 0, false, 500));
    assert!(
        matches!(r, Err(Error::ConnectPortZero)),
        "got {:?}",
        r.err()
    );
    let e = Server::new(tcp(Pattern::ReqRep, 0, true, 500)).expect_err("port 0");
    assert!(e.to_string().contains("Client::local_port"), "{e}");
    assert!(matches!(
        tcp(Pattern::Pair, 0, false, 500).validate_for(End::Server),
        Err(Error::ConnectPortZero)
    ));
    // Over ipc port 0 is a name like any other.
    let path = ipc_path("port0-send");
    let opts = Options {
        port: 0,
        ..ipc(Pattern::Pair, &path, false, 500)
    };
    assert!(opts.validate_for(End::Server).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_without_a_source_is_no_source() {
    let mut server =
        Server::new(tcp(Pattern::Pair, port_below_ephemeral(), false, 500)).expect("connects");
    let r = within(server.run(Some(3))).await;
    assert!(matches!(r, Err(Error::NoSource)), "got {r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_streams_the_built_in_source() {
    let pattern = TestPattern::new(8, 6);
    let client = Client::new(tcp(Pattern::Pair, 0, false, 2000)).expect("client binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(Options {
        source: Some(Source::TestPattern(pattern.clone())),
        ..tcp(Pattern::Pair, port, false, 2000)
    })
    .expect("connects");
    let (ran, drained) = within(async { tokio::join!(server.run(Some(5)), drain(&client)) }).await;
    assert_eq!(ran.expect("run succeeds"), 5);
    assert!(drained.error.is_none(), "{:?}", drained.error);
    let frames: Vec<Frame> = drained.items.into_iter().map(|(_, f)| f).collect();
    let want: Vec<Frame> = (0..5).map(|n| pattern.frame(n)).collect();
    assert_eq!(frames, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bidirectional_source_must_yield_pairs() {
    let client = Client::new(tcp(Pattern::Pair, 0, true, 500)).expect("client binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::Pair, port, true, 500)).expect("connects");
    let source = futures::stream::iter((0..3).map(|i| SourceItem::Frame(frame(i))));
    let r = within(server.launch(source)).await;
    assert!(matches!(r, Err(Error::ExpectedDataFramePair)), "got {r:?}");
    // Nothing was sent before the error.
    let r = within(client.recv()).await;
    assert!(matches!(r, Err(Error::Timeout { .. })), "got {r:?}");
}

/// The messages of an error and of each of its causes, outermost first.
fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    std::iter::successors(Some(e), |e| e.source())
        .map(ToString::to_string)
        .collect()
}

/// Each cause is said once: no message of the chain repeats the one of a cause below it.
fn assert_each_cause_once(e: &(dyn std::error::Error + 'static)) {
    let messages = chain(e);
    assert!(messages.len() >= 2, "a cause is given: {messages:?}");
    for (i, outer) in messages.iter().enumerate() {
        assert!(!outer.is_empty(), "{messages:?}");
        for inner in &messages[i + 1..] {
            assert!(!outer.contains(inner.as_str()), "said twice: {messages:?}");
        }
    }
}

/// Errors that wrap another (libzmq's, a decode error) give it as their source and do not
/// repeat it in their own message, so a chain printer says each cause once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_chain_says_each_cause_once() {
    let first = Client::new(tcp(Pattern::Pair, 0, false, 500)).expect("first bind");
    let port = first.local_port().expect("a tcp port");
    let bind = Client::new(tcp(Pattern::Pair, port, false, 500)).expect_err("the port is taken");
    assert_each_cause_once(&bind);
    assert!(chain(&bind)[1].contains("in use"), "{:?}", chain(&bind));

    let client = Client::new(tcp(Pattern::ReqRep, 0, false, 2000)).expect("binds");
    let endpoint = client.local_endpoint().to_owned();
    let peer = std::thread::spawn(move || {
        let ctx = zmq::Context::new();
        let s = ctx.socket(zmq::REQ).expect("a socket");
        s.connect(&endpoint).expect("connects");
        s.send(&b"garbage"[..], 0).expect("send");
        s.recv_bytes(0).expect("an answer to the garbage")
    });
    let decode = within(client.recv()).await.expect_err("garbage is refused");
    assert!(matches!(decode, Error::Decode(_)), "{decode:?}");
    assert_each_cause_once(&decode);
    peer.join().expect("the peer");

    let frame = Frame::new(netgear::Dtype::U8, vec![2, 2], vec![0u8; 3]).expect_err("short");
    assert_each_cause_once(&Error::from(frame));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_a_bound_port_is_bind_error() {
    let first = Client::new(tcp(Pattern::Pair, 0, false, 500)).expect("first bind");
    let port = first.local_port().expect("a tcp port");
    let second = Client::new(tcp(Pattern::Pair, port, false, 500));
    assert!(
        matches!(&second, Err(Error::Bind { endpoint, pattern: 0, .. }) if endpoint.ends_with(&format!(":{port}"))),
        "got {:?}",
        second.as_ref().err()
    );
    // A port held by something else entirely.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let held = listener.local_addr().unwrap().port();
    let r = Client::new(tcp(Pattern::PushPull, held, false, 500));
    assert!(
        matches!(&r, Err(Error::Bind { pattern: 3, .. })),
        "got {:?}",
        r.as_ref().err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_an_invalid_endpoint_is_connect_error() {
    let bad_host = Options {
        address: Some("not a host:".into()),
        ..tcp(Pattern::Pair, port_below_ephemeral(), false, 500)
    };
    let r = Server::new(bad_host);
    assert!(
        matches!(&r, Err(Error::Connect { pattern: 0, .. })),
        "got {:?}",
        r.as_ref().err()
    );
    // A socket path longer than a Unix socket address can hold.
    let long = std::env::temp_dir().join("x".repeat(300));
    let bad_ipc = ipc(Pattern::ReqRep, &long, false, 500);
    let r = Server::new(bad_ipc);
    assert!(
        matches!(&r, Err(Error::Connect { pattern: 1, .. })),
        "got {:?}",
        r.as_ref().err()
    );
}

#[test]
fn ends_need_a_tokio_runtime() {
    let r = Client::new(tcp(Pattern::Pair, 0, false, 500));
    assert!(matches!(r, Err(Error::NoRuntime)), "got {:?}", r.err());
    let r = Server::new(tcp(Pattern::Pair, port_below_ephemeral(), false, 500));
    assert!(matches!(r, Err(Error::NoRuntime)), "got {:?}", r.err());
}

#[test]
fn invalid_pattern_and_protocol() {
    for n in [4u8, 7, 255] {
        assert_eq!(Pattern::try_from(n), Err(ParseError::Pattern(n)));
        // At the CLI edge it becomes an invalid option, with the valid patterns named.
        let e = Error::from(ParseError::Pattern(n));
        assert!(
            matches!(&e, Error::InvalidOption(m) if m.contains("3 (PUSH/PULL)")),
            "{e}"
        );
    }
    for (n, p) in [
        (0u8, Pattern::Pair),
        (1, Pattern::ReqRep),
        (2, Pattern::PubSub),
        (3, Pattern::PushPull),
    ] {
        assert_eq!(Pattern::try_from(n).unwrap(), p);
    }
    assert_eq!(
        "udp".parse::<Protocol>(),
        Err(ParseError::Protocol("udp".into()))
    );
    assert_eq!("ipc".parse::<Protocol>().unwrap(), Protocol::Ipc);
    assert_eq!("tcp".parse::<Protocol>().unwrap(), Protocol::Tcp);
}

// ---------------------------------------------------------------------------------------------
// 2. bidirectional mode on one end only

/// Streams with bidirectional mode on at the server only (or the client only) and checks that
/// both ends fail naming the end that lacks it.
async fn mismatch(pattern: Pattern, server_bidi: bool) {
    let missing = if server_bidi {
        End::Client
    } else {
        End::Server
    };
    let client = Client::new(tcp(pattern, 0, !server_bidi, 1000)).expect("client binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(pattern, port, server_bidi, 1000)).expect("connects");
    let source = futures::stream::iter(
        (0..5).map(|i| SourceItem::WithData(Some(Data::from(i)), frame(i as usize))),
    );
    let (launched, drained) =
        within(async { tokio::join!(server.launch(source), drain(&client)) }).await;
    assert!(drained.items.is_empty(), "no frame is yielded");
    assert!(
        matches!(drained.error, Some(Error::BidirectionalMismatch { missing_on }) if missing_on == missing),
        "client: got {:?}",
        drained.error
    );
    assert!(
        matches!(launched, Err(Error::BidirectionalMismatch { missing_on }) if missing_on == missing),
        "server: got {launched:?}"
    );
    assert!(client.is_terminated());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatch_server_bidirectional_pattern0() {
    mismatch(Pattern::Pair, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatch_server_bidirectional_pattern1() {
    mismatch(Pattern::ReqRep, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatch_client_bidirectional_pattern0() {
    mismatch(Pattern::Pair, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatch_client_bidirectional_pattern1() {
    mismatch(Pattern::ReqRep, false).await;
}

// ---------------------------------------------------------------------------------------------
// 3. timeouts

const SHORT: Duration = Duration::from_millis(200);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_with_nobody_sending_times_out() {
    for pattern in [
        Pattern::Pair,
        Pattern::ReqRep,
        Pattern::PubSub,
        Pattern::PushPull,
    ] {
        let client = Client::new(tcp(pattern, 0, false, 200)).expect("client binds");
        let start = Instant::now();
        let r = within(client.recv()).await;
        let took = start.elapsed();
        assert!(
            matches!(r, Err(Error::Timeout { after, peer: PeerStatus::NeverConnected, .. }) if after == SHORT),
            "pattern {pattern}: got {r:?}"
        );
        assert!(took >= SHORT, "pattern {pattern}: gave up after {took:?}");
        let message = r.expect_err("a timeout").to_string();
        assert!(message.contains("no peer ever connected"), "{message}");
    }
}

/// A REQ sender (pattern 1) and a PAIR receiver (pattern 0) refuse each other in the ZeroMQ
/// handshake: both time out, and both timeouts say the other end may use another pattern.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pattern_mismatch_is_named_in_both_timeouts() {
    let client = Client::new(tcp(Pattern::Pair, 0, false, 1000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(Pattern::ReqRep, port, false, 1000)).expect("connects");
    let (sent, got) = within(async {
        tokio::join!(
            server.launch(futures::stream::iter((0..3).map(frame))),
            client.recv()
        )
    })
    .await;
    let sent = sent.expect_err("the server cannot send");
    let got = got.expect_err("the client gets nothing");
    for (e, pattern) in [(&sent, 1), (&got, 0)] {
        assert!(
            matches!(e, Error::Timeout { peer: PeerStatus::HandshakeFailed { pattern: p, attempts }, .. } if *p == pattern && *attempts > 0),
            "{e:?}"
        );
        let message = e.to_string();
        assert!(
            message.contains(&format!("this end uses pattern {pattern}")),
            "{message}"
        );
    }
}

/// A server with nobody receiving fails with a timeout, after waiting it (and never hangs:
/// `within`).
async fn server_with_nobody_receiving(pattern: Pattern) {
    let mut server =
        Server::new(tcp(pattern, port_below_ephemeral(), false, 200)).expect("connects");
    let start = Instant::now();
    let r = within(server.launch(futures::stream::iter((0..5).map(frame)))).await;
    let took = start.elapsed();
    assert!(
        matches!(r, Err(Error::Timeout { after, .. }) if after == SHORT),
        "pattern {pattern}: got {r:?}"
    );
    assert!(took >= SHORT, "pattern {pattern}: gave up after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_pattern0_with_nobody_receiving_times_out() {
    server_with_nobody_receiving(Pattern::Pair).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_pattern1_with_nobody_receiving_times_out() {
    server_with_nobody_receiving(Pattern::ReqRep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_pattern2_without_subscriber_times_out() {
    server_with_nobody_receiving(Pattern::PubSub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_send_with_nobody_receiving_times_out() {
    let mut server =
        Server::new(tcp(Pattern::Pair, port_below_ephemeral(), true, 200)).expect("connects");
    let r = within(server.send(Some(&Data::from("hi")), &frame(0))).await;
    assert!(matches!(r, Err(Error::Timeout { .. })), "got {r:?}");
}

// ---------------------------------------------------------------------------------------------
// 4. the transceive_data queue

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transceive_data_needs_bidirectional_mode() {
    let client = Client::new(tcp(Pattern::Pair, 0, false, 500)).expect("binds");
    assert!(matches!(
        client.transceive_data("hello"),
        Err(Error::InvalidOption(_))
    ));
    assert!(matches!(
        client.transceive_data(frame(0)),
        Err(Error::InvalidOption(_))
    ));
    assert_eq!(client.pending_replies(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transceive_data_queue_is_bounded() {
    let client = Client::new(Options {
        queue_capacity: 2,
        ..tcp(Pattern::Pair, 0, true, 500)
    })
    .expect("binds");
    client.transceive_data("one").expect("first fits");
    client.transceive_data(frame(1)).expect("second fits");
    // Full: the oldest goes, the stream goes on (vidgear's queue has no bound, and no
    // failure).
    client
        .transceive_data("three")
        .expect("a full queue drops its oldest");
    client.transceive_data("four").expect("and again");
    assert_eq!(client.pending_replies(), 2);
    assert_eq!(client.dropped_replies(), 2);
}

// ---------------------------------------------------------------------------------------------
// 5. after termination

async fn recv_after_termination(pattern: Pattern) {
    let client = Client::new(tcp(pattern, 0, false, 1000)).expect("client binds");
    let port = client.local_port().expect("a tcp port");
    let mut server = Server::new(tcp(pattern, port, false, 1000)).expect("connects");
    let client_side = async {
        let mut frames = 0;
        while client.recv().await?.is_some() {
            frames += 1;
        }
        Ok::<_, Error>(frames)
    };
    let (launched, got) = within(async {
        tokio::join!(
            server.launch(futures::stream::iter((0..4).map(frame))),
            client_side
        )
    })
    .await;
    assert_eq!(launched.expect("launch succeeds"), 4);
    assert_eq!(got.expect("client side succeeds"), 4);
    assert!(client.is_terminated());
    for _ in 0..2 {
        assert!(matches!(within(client.recv()).await, Ok(None)));
    }
    // The stream API agrees: it ends at once.
    let drained = within(drain(&client)).await;
    assert!(drained.items.is_empty() && drained.error.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recv_after_termination_pattern0() {
    recv_after_termination(Pattern::Pair).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recv_after_termination_pattern3() {
    recv_after_termination(Pattern::PushPull).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_terminated_before_the_end() {
    let client = Client::new(tcp(Pattern::Pair, 0, false, 500)).expect("binds");
    assert!(!client.is_terminated());
}

// ---------------------------------------------------------------------------------------------
// the tests' own ports

/// The ports the tests give peers that cannot bind port 0 (vidgear) are outside the kernel's
/// ephemeral range, free, and not handed out twice.
#[test]
fn ports_for_other_processes_are_outside_the_ephemeral_range() {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .expect("the kernel's ephemeral range");
    let bounds: Vec<u16> = range
        .split_whitespace()
        .map(|n| n.parse().expect("a port"))
        .collect();
    let ports: Vec<u16> = (0..50).map(|_| port_below_ephemeral()).collect();
    for &port in &ports {
        assert!(
            port < bounds[0] || port > bounds[1],
            "{port} is in the ephemeral range {range}"
        );
        std::net::TcpListener::bind(("127.0.0.1", port)).expect("free");
    }
    let distinct: std::collections::HashSet<_> = ports.iter().collect();
    assert_eq!(distinct.len(), ports.len(), "{ports:?}");
}
