//! CURVE: the linked libzmq has it, its keys go through Z85 and back, the public key derives
//! from the secret one, and a CURVE client and server exchange messages (a client with the
//! wrong server key does not get through).

mod common;

use common::{bind_loopback, socket};
use netgear_zmq as zmq;

#[test]
fn libzmq_has_curve() {
    assert_eq!(zmq::has("curve"), Some(true));
    assert_eq!(zmq::has("no-such-capability"), Some(false));
    assert_eq!(zmq::has("cur\0ve"), None);
}

#[test]
fn key_pairs_round_trip_through_z85() {
    let pair = zmq::CurveKeyPair::new().expect("a key pair");
    let other = zmq::CurveKeyPair::new().expect("a key pair");
    assert_ne!(pair.secret_key, other.secret_key, "random keys");
    for key in [pair.public_key, pair.secret_key] {
        let text = zmq::z85_encode(&key).expect("z85");
        assert_eq!(text.len(), 40);
        assert_eq!(zmq::z85_decode(&text).expect("decodes"), key);
    }
    let debug = format!("{pair:?}");
    let secret = zmq::z85_encode(&pair.secret_key).expect("z85");
    assert!(
        !debug.contains(&secret),
        "the secret key is not shown: {debug}"
    );
}

#[test]
fn curve_public_derives_the_pair_s_public_key() {
    let pair = zmq::CurveKeyPair::new().expect("a key pair");
    assert_eq!(zmq::curve_public(&pair.secret_key), Ok(pair.public_key));
}

#[test]
fn curve_client_and_server_exchange_messages() {
    let ctx = zmq::Context::new();
    let server_keys = zmq::CurveKeyPair::new().expect("a key pair");
    let server = socket(&ctx, zmq::PAIR);
    server.set_curve_server(true).expect("curve server");
    server
        .set_curve_secretkey(&server_keys.secret_key)
        .expect("secret key");
    assert_eq!(server.is_curve_server(), Ok(true));
    let endpoint = bind_loopback(&server);

    let client_with = |server_key: &[u8]| {
        let keys = zmq::CurveKeyPair::new().expect("a key pair");
        let client = socket(&ctx, zmq::PAIR);
        client.set_curve_serverkey(server_key).expect("server key");
        client
            .set_curve_publickey(&keys.public_key)
            .expect("public");
        client
            .set_curve_secretkey(&keys.secret_key)
            .expect("secret");
        assert_eq!(client.get_curve_publickey(), Ok(keys.public_key.to_vec()));
        client
    };

    // A client with the wrong server key fails its handshake: nothing gets through.
    let stranger = client_with(&zmq::CurveKeyPair::new().expect("keys").public_key);
    stranger.set_sndtimeo(200).expect("sndtimeo");
    stranger.connect(&endpoint).expect("connects");
    let _ = stranger.send(&b"from a stranger"[..], 0);

    let client = client_with(&server_keys.public_key);
    client.connect(&endpoint).expect("connects");
    client.send(&b"hello over curve"[..], 0).expect("sent");
    assert_eq!(server.recv_bytes(0).expect("received"), b"hello over curve");
    server.send(&b"and back"[..], 0).expect("sent");
    assert_eq!(client.recv_bytes(0).expect("received"), b"and back");

    server.set_rcvtimeo(200).expect("rcvtimeo");
    assert_eq!(
        server.recv_bytes(0),
        Err(zmq::Error::EAGAIN),
        "the stranger got through"
    );
}
