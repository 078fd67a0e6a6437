//! The raw-libzmq baseline: blocking `zmq` sockets, netgear's message shapes, each frame
//! produced in full into the message it is sent in (zero-copy sends), no serialisation; over
//! tcp on loopback or ipc.

use std::time::{Duration, Instant};

use netgear::wire::{self, Data, Dtype};
use netgear::{DecodeError, Error, Pattern, PeerStatus, Result};

use super::args::PeerArgs;
use super::case::{Impl, ReplyKind, ipc_address};
use super::peer_report::{PeerReport, record_frame, stamp};
use super::produce::{Checker, mark, stamp_sent};

/// How long the raw PUB/SUB receiver waits after a frame before it takes the stream as ended.
const RAW_SILENCE: Duration = Duration::from_secs(1);

/// A blocking raw-libzmq socket for the baseline.
struct RawSocket {
    sock: zmq::Socket,
    // Dropped after the socket: closing the context waits for the socket's linger.
    _ctx: zmq::Context,
}

impl RawSocket {
    fn open(kind: zmq::SocketType, pattern: Pattern, timeout: Duration) -> Result<RawSocket> {
        let ctx = zmq::Context::new();
        let sock = ctx.socket(kind)?;
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        sock.set_linger(ms)?;
        sock.set_rcvtimeo(ms)?;
        sock.set_sndtimeo(ms)?;
        sock.set_maxmsgsize(i64::try_from(netgear::DEFAULT_MAX_MESSAGE_SIZE).unwrap_or(i64::MAX))?;
        if pattern == Pattern::PubSub {
            // As netgear and vidgear do: keep only the newest frame.
            sock.set_sndhwm(1)?;
            sock.set_rcvhwm(1)?;
        }
        Ok(RawSocket { sock, _ctx: ctx })
    }

    /// Sends `buf` without copying it: libzmq references the buffer, which lives until the
    /// process ends.
    fn send_static(&mut self, buf: &'static [u8], flags: i32) -> Result<()> {
        Ok(self.sock.send(zmq::Message::from_static(buf), flags)?)
    }

    /// Receives one message (all its parts, no copy), or `None` when the receive timeout passes.
    fn recv_parts(&self) -> Result<Option<Vec<zmq::Message>>> {
        let first = match self.sock.recv_msg(0) {
            Ok(m) => m,
            Err(zmq::Error::EAGAIN) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut more = first.get_more();
        let mut parts = vec![first];
        while more {
            let m = self.sock.recv_msg(0)?;
            more = m.get_more();
            parts.push(m);
        }
        Ok(Some(parts))
    }
}

/// The endpoint of a raw peer: tcp on 127.0.0.1, or ipc (`$TMPDIR/netgear-bench:PORT`).
fn endpoint(args: &PeerArgs) -> String {
    match args.implementation {
        Impl::RawIpc => format!("ipc://{}:{}", ipc_address(), args.port),
        _ => format!("tcp://127.0.0.1:{}", args.port),
    }
}

/// netgear's frame part prefix (msgpack_numpy's) of a `width` × `height` BGR frame: the same
/// for every frame of a size.
fn frame_prefix(width: usize, height: usize) -> Result<Vec<u8>> {
    let shape = [height, width, 3];
    Ok(wire::frame_header(Dtype::U8, &shape, width * height * 3)?)
}

/// Frame `n`'s part, produced in full where it is sent from: the prefix, the pixels set to
/// `n`'s low byte in the same pass that sizes them, its number and its send time.
fn produce_part(prefix: &[u8], pixels: usize, n: u64) -> Result<zmq::Message> {
    let mut part = Vec::with_capacity(prefix.len() + pixels);
    part.extend_from_slice(prefix);
    part.resize(prefix.len() + pixels, n as u8);
    mark(&mut part[prefix.len()..], n);
    stamp_sent(&mut part[prefix.len()..]);
    Ok(zmq::Message::from_owner(part)?)
}

/// The 1-part end marker of the baseline's pipelined streams.
const RAW_END: &[u8] = b"\x00";

/// The raw end's timeout error: what it waited for.
fn timed_out(after: Duration, waiting_for: &'static str) -> Error {
    Error::Timeout {
        after,
        waiting_for,
        peer: PeerStatus::Unknown,
    }
}

/// Raw send side: 2-part messages (netgear's header bytes + the frame part, produced in full
/// for every frame), zero-copy; lock-step in patterns 0 and 1 (the reply's parts received
/// without a copy).
pub(super) fn raw_serve(
    args: &PeerArgs,
    pattern: Pattern,
    timeout: Duration,
    report: &mut PeerReport,
) -> Result<()> {
    let prefix = frame_prefix(args.width, args.height)?;
    let mut header = Vec::new();
    let data = args.bidirectional().then(|| Data::from("hi"));
    wire::encode_header(&mut header, args.bidirectional(), data.as_ref());
    let header: &'static [u8] = Box::leak(header.into_boxed_slice());
    let pixels = args.width * args.height * 3;
    let kind = match pattern {
        Pattern::Pair => zmq::PAIR,
        Pattern::ReqRep => zmq::REQ,
        Pattern::PubSub => zmq::XPUB,
        Pattern::PushPull => zmq::PUSH,
    };
    let mut raw = RawSocket::open(kind, pattern, timeout)?;
    raw.sock.connect(&endpoint(args))?;
    if pattern == Pattern::PubSub {
        wait_for_subscriber(&raw, timeout)?;
    }
    let lock_step = pattern.has_replies();
    let mut rtts = Vec::with_capacity(if lock_step { args.frames as usize } else { 0 });
    let mut span = None;
    for n in 0..args.frames {
        let part = produce_part(&prefix, pixels, n)?;
        let start = Instant::now();
        raw.send_static(header, zmq::SNDMORE)?;
        raw.sock.send(part, 0)?;
        if lock_step && raw.recv_parts()?.is_none() {
            return Err(timed_out(timeout, "the reply"));
        }
        record_frame(&mut span, &mut rtts, start, Instant::now(), lock_step);
        report.frames += 1;
        report.bytes += pixels as u64;
    }
    report.finish(span, &mut rtts, &mut []);
    end_stream(&mut raw, pattern, timeout)
}

/// XPUB hears the subscription: stream only once the subscriber is there.
fn wait_for_subscriber(raw: &RawSocket, timeout: Duration) -> Result<()> {
    loop {
        match raw.recv_parts()? {
            Some(m) if m[0].first() == Some(&1) => return Ok(()),
            Some(_) => {}
            None => return Err(timed_out(timeout, "a subscriber")),
        }
    }
}

/// Sends the end marker of the pipelined patterns (the lock-step ones end with their count).
fn end_stream(raw: &mut RawSocket, pattern: Pattern, timeout: Duration) -> Result<()> {
    match pattern {
        Pattern::PushPull => raw.send_static(RAW_END, 0)?, // drained by the linger on close
        Pattern::PubSub => {
            // The end marker can be dropped like any frame: repeat it until the subscriber
            // leaves (XPUB then hears its unsubscription) or a while has passed.
            raw.sock.set_rcvtimeo(5)?;
            let deadline = Instant::now() + timeout.min(Duration::from_secs(3));
            while Instant::now() < deadline {
                raw.send_static(RAW_END, 0)?;
                if let Some(m) = raw.recv_parts()?
                    && m[0].first() == Some(&0)
                {
                    break;
                }
            }
        }
        Pattern::Pair | Pattern::ReqRep => {}
    }
    Ok(())
}

/// The answer of the raw receive side to each frame: netgear's reply with `"ok"`, the head of
/// a frame reply (the frame part follows it), or vidgear's plain confirmation.
fn reply_bytes(reply: ReplyKind) -> Vec<u8> {
    let mut bytes = Vec::new();
    match reply {
        ReplyKind::Text => wire::encode_reply_data(&mut bytes, Some(&Data::from("ok"))),
        ReplyKind::Frame => wire::encode_reply_frame_head(&mut bytes),
        ReplyKind::None => bytes = wire::confirmation(&wire::new_id()),
    }
    bytes
}

/// Raw receive side: receives the parts without a copy, checks each frame (its number, its
/// hand-over time), answers in patterns 0 and 1 with a small reply of netgear's size or with
/// the received frame part itself (zero-copy echo).
pub(super) fn raw_recv(
    args: &PeerArgs,
    pattern: Pattern,
    timeout: Duration,
    report: &mut PeerReport,
) -> Result<()> {
    let pixels = args.width * args.height * 3;
    let prefix_len = frame_prefix(args.width, args.height)?.len();
    let frame_part_len = prefix_len + pixels;
    let mut checker = Checker::default();
    let reply = reply_bytes(args.reply);
    let kind = match pattern {
        Pattern::Pair => zmq::PAIR,
        Pattern::ReqRep => zmq::REP,
        Pattern::PubSub => zmq::SUB,
        Pattern::PushPull => zmq::PULL,
    };
    let raw = RawSocket::open(kind, pattern, timeout)?;
    if pattern == Pattern::PubSub {
        raw.sock.set_subscribe(b"")?;
    }
    raw.sock.bind(&endpoint(args))?;
    let mut span = None;
    while report.frames < args.frames {
        let Some(mut parts) = raw.recv_parts()? else {
            if pattern == Pattern::PubSub && report.frames > 0 {
                break; // silence: the rest of the stream, end markers included, was dropped
            }
            report.finish(span, &mut [], &mut checker.handovers);
            return Err(timed_out(timeout, "a frame"));
        };
        if parts.len() == 1 && &parts[0][..] == RAW_END {
            break;
        }
        if parts.len() != 2 || parts[1].len() != frame_part_len {
            let sizes: Vec<usize> = parts.iter().map(|p| p.len()).collect();
            return Err(Error::Decode(DecodeError::Unexpected(format!(
                "parts of {sizes:?} bytes, expected a header and {frame_part_len}"
            ))));
        }
        checker.check(&parts[1][prefix_len..], pattern != Pattern::PubSub)?;
        stamp(&mut span, Instant::now());
        report.frames += 1;
        report.bytes += pixels as u64;
        if pattern == Pattern::PubSub && report.frames == 1 {
            raw.sock.set_rcvtimeo(RAW_SILENCE.as_millis() as i32)?;
        }
        if pattern.has_replies() {
            if args.reply == ReplyKind::Frame {
                let echo = parts.pop().unwrap_or_else(zmq::Message::new);
                raw.sock.send(&reply[..], zmq::SNDMORE)?;
                raw.sock.send(echo, 0)?;
            } else {
                raw.sock.send(&reply[..], 0)?;
            }
        }
    }
    report.finish(span, &mut [], &mut checker.handovers);
    if pattern == Pattern::PubSub {
        // Tell the publisher at once that nobody listens any more.
        raw.sock.set_unsubscribe(b"")?;
    }
    Ok(())
}
