//! The libzmq this project builds has CURVE (through libsodium): `zmq::has("curve")`, and an
//! encrypted, authenticated exchange on raw sockets — the ground secure mode stands on.

mod common;

use common::raw::curve_client;

#[test]
fn libzmq_has_curve() {
    assert_eq!(zmq::has("curve"), Some(true));
}

/// A CURVE server and a client that knows its public key talk; a client with the wrong server
/// key gets nothing through.
#[test]
fn a_curve_exchange_works_and_a_wrong_key_is_refused() {
    let ctx = zmq::Context::new();
    let server_keys = zmq::CurveKeyPair::new().expect("a key pair");
    let server = ctx.socket(zmq::PAIR).expect("socket");
    server.set_curve_server(true).expect("curve server");
    server
        .set_curve_secretkey(&server_keys.secret_key)
        .expect("secret key");
    server.set_rcvtimeo(10_000).expect("timeout");
    server.bind("tcp://127.0.0.1:*").expect("binds");
    let endpoint = server
        .get_last_endpoint()
        .expect("endpoint")
        .expect("utf-8");

    let client_with = |server_key: &[u8]| curve_client(&ctx, zmq::PAIR, server_key);

    // The wrong server key first: its handshake fails, nothing arrives.
    let stranger = client_with(&zmq::CurveKeyPair::new().expect("keys").public_key);
    stranger.connect(&endpoint).expect("connects");
    stranger.set_sndtimeo(200).expect("timeout");
    let _ = stranger.send(&b"from a stranger"[..], 0);

    let client = client_with(&server_keys.public_key);
    client.connect(&endpoint).expect("connects");
    client.send(&b"hello over curve"[..], 0).expect("sent");
    let got = server.recv_bytes(0).expect("received");
    assert_eq!(got, b"hello over curve");
    // Nothing else came: the stranger's message never got through.
    server.set_rcvtimeo(0).expect("timeout");
    assert!(server.recv_bytes(0).is_err(), "the stranger got through");
    drop((stranger, client));
}
