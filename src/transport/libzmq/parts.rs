//! Messages in and out of a libzmq socket: outgoing parts copied or handed over without a copy,
//! received parts kept in the ZeroMQ message that holds them, at most [`MAX_PARTS`] per message.

use bytes::Bytes;

use crate::error::Result;
use crate::transport::interface::{MAX_PARTS, Received};
use crate::wire::DecodeError;

/// Messages shorter than this are copied out of the ZeroMQ message instead of shared.
pub(super) const SHARE_THRESHOLD: usize = 4096;

fn into_bytes(msg: zmq::Message) -> Bytes {
    if msg.len() < SHARE_THRESHOLD {
        Bytes::copy_from_slice(&msg)
    } else {
        // The bytes stay in the ZeroMQ message, which the `Bytes` owns (a `zmq_msg_t` may
        // move between threads).
        Bytes::from_owner(msg)
    }
}

/// One part of an outgoing message.
pub(super) enum Part<'a> {
    /// Small bytes, copied into the message.
    Copy(&'a [u8]),
    /// Bytes handed to libzmq without a copy (when large enough to be worth it).
    Share(Bytes),
}

/// One attempt at sending one part (`flags` has `DONTWAIT`).
pub(super) fn send_part(sock: &mut zmq::Socket, part: &Part<'_>, flags: i32) -> Result<()> {
    match part {
        Part::Copy(bytes) => Ok(sock.send(*bytes, flags)?),
        Part::Share(bytes) if bytes.len() < SHARE_THRESHOLD => Ok(sock.send(&bytes[..], flags)?),
        // Without a copy: libzmq keeps a reference until the bytes are on the wire (a failed
        // send releases its message, so it gets a second reference).
        Part::Share(bytes) => Ok(sock.send(zmq::Message::from_owner(bytes.clone())?, flags)?),
    }
}

/// One attempt at receiving a whole message; parts beyond [`MAX_PARTS`] are refused unstored.
pub(super) fn try_recv_parts(sock: &mut zmq::Socket) -> Result<Received> {
    let first = sock.recv_msg(zmq::DONTWAIT)?;
    let mut more = first.get_more();
    let mut msg = Received::default();
    msg.push(into_bytes(first));
    let mut count = 1;
    // The rest of a multipart message is delivered atomically with its first part.
    while more {
        let part = sock.recv_msg(zmq::DONTWAIT)?;
        more = part.get_more();
        // Parts past the limit are read (to take the message off the socket), not kept.
        if count < MAX_PARTS {
            msg.push(into_bytes(part));
        }
        count += 1;
    }
    if count > MAX_PARTS {
        return Err(DecodeError::PartCount {
            what: "message",
            expected: MAX_PARTS,
            got: count,
        }
        .into());
    }
    Ok(msg)
}
