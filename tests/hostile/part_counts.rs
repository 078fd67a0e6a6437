//! Part counts, end to end: they are checked outside the pure decoders (whose hostile cases are
//! netgear-wire's `tests/corpus.rs`), so these cases run against a real `Client` (and `Server`)
//! with a raw ZeroMQ peer sending one part too few or too many.

use netgear::wire::{self, Data, Frame};
use netgear::{Client, DecodeError, Error, Pattern, Server};

use crate::common::raw::{self, good_message as frame_message, is_confirmation};
use crate::common::{tcp, within};
use crate::shared;

/// A pickle that runs `os.system("echo pwned")` when loaded (`__reduce__`, protocol 2).
const PICKLE_RUNS_CODE: &[u8] =
    b"\x80\x02cposix\nsystem\nq\x00X\n\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.";

/// What msgpack_numpy writes for `np.array([obj], dtype=object)`: the dtype as a descr list,
/// kind `b"O"`, and the data a pickle (the map `object_array` of netgear-wire's
/// `tests/corpus.rs` builds, written out).
fn object_array(pickle: &[u8]) -> Vec<u8> {
    let mut part = Vec::new();
    let bin = |part: &mut Vec<u8>, b: &[u8]| rmp::encode::write_bin(part, b).expect("in memory");
    rmp::encode::write_map_len(&mut part, 5).expect("in memory");
    bin(&mut part, b"nd");
    rmp::encode::write_bool(&mut part, true).expect("in memory");
    bin(&mut part, b"type");
    rmp::encode::write_array_len(&mut part, 1).expect("in memory");
    rmp::encode::write_array_len(&mut part, 2).expect("in memory");
    rmp::encode::write_str(&mut part, "").expect("in memory");
    rmp::encode::write_str(&mut part, "|O").expect("in memory");
    bin(&mut part, b"kind");
    bin(&mut part, b"O");
    bin(&mut part, b"shape");
    rmp::encode::write_array_len(&mut part, 1).expect("in memory");
    rmp::encode::write_uint(&mut part, 1).expect("in memory");
    bin(&mut part, b"data");
    bin(&mut part, pickle);
    part
}

/// A REP client refuses a one-part and a three-part frame message with `PartCount`, answers
/// each anyway, and takes the good message after them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_refuses_wrong_part_counts_and_goes_on() {
    let _turn = shared();
    let client = Client::new(tcp(Pattern::ReqRep, 0, false, 3000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let peer = std::thread::spawn(move || {
        let s = raw::req(port);
        let good = frame_message();
        let mut answers = Vec::new();
        let one = vec![good[0].clone()];
        let three = vec![good[0].clone(), good[1].clone(), b"extra".to_vec()];
        for msg in [one, three, good] {
            s.send_multipart(msg, 0).expect("send");
            answers.push(s.recv_bytes(0).expect("an answer"));
        }
        answers
    });
    let one = within(client.recv()).await;
    assert!(
        matches!(
            one,
            Err(Error::Decode(DecodeError::PartCount {
                expected: 2,
                got: 1,
                ..
            }))
        ),
        "{one:?}"
    );
    let three = within(client.recv()).await;
    assert!(
        matches!(
            three,
            Err(Error::Decode(DecodeError::PartCount {
                expected: 2,
                got: 3,
                ..
            }))
        ),
        "{three:?}"
    );
    let (_, f) = within(client.recv())
        .await
        .expect("the good message decodes")
        .expect("not terminated");
    assert_eq!(f.as_bytes(), &[7u8; 12]);
    let answers = peer.join().expect("peer");
    assert!(answers.iter().all(|a| is_confirmation(a)), "{answers:?}");
}

/// A frame message whose frame is an object array with a pickle: refused, the client goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_refuses_a_pickled_frame_and_goes_on() {
    let _turn = shared();
    let client = Client::new(tcp(Pattern::ReqRep, 0, false, 3000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let peer = std::thread::spawn(move || {
        let s = raw::req(port);
        let mut bad = frame_message();
        bad[1] = object_array(PICKLE_RUNS_CODE);
        for msg in [bad, frame_message()] {
            s.send_multipart(msg, 0).expect("send");
            s.recv_bytes(0).expect("an answer");
        }
    });
    let bad = within(client.recv()).await;
    assert!(
        matches!(bad, Err(Error::Decode(DecodeError::PickledObject))),
        "{bad:?}"
    );
    assert!(within(client.recv()).await.expect("good").is_some());
    peer.join().expect("peer");
}

/// A terminate is one part; with more parts it is a malformed message like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_refuses_a_terminate_with_extra_parts() {
    let _turn = shared();
    let client = Client::new(tcp(Pattern::ReqRep, 0, false, 3000)).expect("binds");
    let port = client.local_port().expect("a tcp port");
    let peer = std::thread::spawn(move || {
        let s = raw::req(port);
        s.send_multipart([raw::terminate(), b"extra".to_vec()], 0)
            .expect("send");
        s.recv_bytes(0).expect("an answer");
    });
    let r = within(client.recv()).await;
    assert!(
        matches!(
            r,
            Err(Error::Decode(DecodeError::PartCount {
                expected: 1,
                got: 2,
                ..
            }))
        ),
        "{r:?}"
    );
    peer.join().expect("peer");
}

/// A bidirectional server gets `reply` (as parts) from a raw REP client for its one frame.
async fn server_gets(reply_parts: Vec<Vec<u8>>) -> netgear::Result<()> {
    let (rep, port) = raw::bound(zmq::REP);
    let peer = std::thread::spawn(move || {
        rep.recv_multipart(0).expect("the frame message");
        rep.send_multipart(reply_parts, 0).expect("reply");
        // Handed back open: it is closed once the server has read the reply.
        rep
    });
    let mut server = Server::new(tcp(Pattern::ReqRep, port, true, 3000)).expect("connects");
    let f = Frame::from_bgr(
        netgear::Size {
            width: 2,
            height: 2,
        },
        vec![1u8; 12],
    )
    .expect("frame");
    let result = within(server.send(Some(&Data::from("hi")), &f)).await;
    let _rep = peer.join().expect("peer");
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_refuses_an_ndarray_reply_without_its_frame() {
    let _turn = shared();
    let mut head = Vec::new();
    wire::encode_reply_frame_head(&mut head);
    let r = server_gets(vec![head]).await;
    assert!(
        matches!(
            r,
            Err(Error::Decode(DecodeError::PartCount {
                what: "frame reply",
                expected: 2,
                got: 1
            }))
        ),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_refuses_a_data_reply_with_an_extra_part() {
    let _turn = shared();
    let mut head = Vec::new();
    wire::encode_reply_data(&mut head, Some(&Data::from(1)));
    let r = server_gets(vec![head, b"extra".to_vec()]).await;
    assert!(
        matches!(
            r,
            Err(Error::Decode(DecodeError::PartCount {
                what: "data reply",
                expected: 1,
                got: 2
            }))
        ),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_refuses_a_frame_message_as_reply() {
    let _turn = shared();
    let r = server_gets(frame_message()).await;
    assert!(
        matches!(
            r,
            Err(Error::Decode(DecodeError::MissingKey {
                what: "reply",
                key: "return_type"
            }))
        ),
        "{r:?}"
    );
}
