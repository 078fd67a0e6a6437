//! Writing msgpack: the few helpers every encoder shares. Reading is [`crate::reader`].

use rmpv::Value;

/// Writing msgpack into a `Vec` cannot fail; this keeps that impossible error out of every
/// encoder's signature.
pub(crate) fn infallible<T, E: std::fmt::Debug>(r: Result<T, E>) {
    if let Err(e) = r {
        unreachable!("writing msgpack into a Vec failed: {e:?}");
    }
}

pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    infallible(rmp::encode::write_str(out, s));
}

pub(crate) fn put_bin(out: &mut Vec<u8>, b: &[u8]) {
    infallible(rmp::encode::write_bin(out, b));
}

pub(crate) fn put_value(out: &mut Vec<u8>, v: &Value) {
    infallible(rmpv::encode::write_value(out, v));
}
