//! Async ZeroMQ sockets on tokio: the patterns' socket types and options, endpoints, timeouts.
//!
//! libzmq signals readiness through one file descriptor (`ZMQ_FD`) that is edge-triggered and
//! shared by both directions; the true state is `ZMQ_EVENTS`. [`Socket`] registers that fd with
//! tokio and always tries the non-blocking operation first, waits only on `EAGAIN`, and re-reads
//! `ZMQ_EVENTS` after every wake-up — so no wake-up is lost and no thread is added.

use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::error::{Error, Result};
use crate::options::Options;
use crate::pattern::Pattern;
use crate::wire::DecodeError;

/// Frames queued on each side of a PUSH/PULL pipe.
const PIPELINE_HWM: i32 = 8;

/// Received parts of one message at most; a peer sending more is refused without storing them.
const MAX_PARTS: usize = 4;

/// Messages shorter than this are copied out of the ZeroMQ message instead of shared.
const SHARE_THRESHOLD: usize = 4096;

/// A received ZeroMQ message whose bytes a [`Bytes`] shares without a copy (`zmq::Message` is
/// `Send`: a `zmq_msg_t` may move between threads, and is only read here).
struct ZmqBuf(zmq::Message);

impl AsRef<[u8]> for ZmqBuf {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn into_bytes(msg: zmq::Message) -> Bytes {
    if msg.len() < SHARE_THRESHOLD {
        Bytes::copy_from_slice(&msg)
    } else {
        Bytes::from_owner(ZmqBuf(msg))
    }
}

/// One part of an outgoing message.
pub(crate) enum Part<'a> {
    /// Small bytes, copied into the message.
    Copy(&'a [u8]),
    /// Bytes handed to libzmq without a copy (when large enough to be worth it).
    Share(Bytes),
}

/// Drops the `Bytes` a zero-copy message was made from, once libzmq is done with it (called on
/// libzmq's I/O thread; `Bytes` is `Send`).
unsafe extern "C" fn release_bytes(_data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the `Box<Bytes>` leaked in `send_shared`, released exactly once here.
    drop(unsafe { Box::from_raw(hint.cast::<Bytes>()) });
}

/// Sends `bytes` as one part without copying them: libzmq keeps a reference until the bytes
/// are on the wire.
fn send_shared(sock: &mut zmq::Socket, bytes: Bytes, flags: i32) -> Result<()> {
    let data = bytes.as_ptr().cast_mut().cast::<c_void>();
    let len = bytes.len();
    let hint = Box::into_raw(Box::new(bytes)).cast::<c_void>();
    let mut msg = MaybeUninit::<zmq_sys::zmq_msg_t>::uninit();
    // SAFETY: `data`/`len` point into the boxed `Bytes`, which stays alive (and never moves its
    // buffer) until libzmq calls `release_bytes`, which frees it once. libzmq never writes to
    // the buffer of a message it sends. On every failure path the message is closed (or was
    // never made), which releases the box exactly once.
    unsafe {
        if zmq_sys::zmq_msg_init_data(msg.as_mut_ptr(), data, len, Some(release_bytes), hint) != 0 {
            drop(Box::from_raw(hint.cast::<Bytes>()));
            return Err(zmq::Error::from_raw(zmq_sys::zmq_errno()).into());
        }
        if zmq_sys::zmq_msg_send(msg.as_mut_ptr(), sock.as_mut_ptr(), flags) == -1 {
            let err = zmq::Error::from_raw(zmq_sys::zmq_errno());
            zmq_sys::zmq_msg_close(msg.as_mut_ptr());
            return Err(err.into());
        }
    }
    Ok(())
}

/// Which side of the pattern a socket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Send mode: connects.
    Send,
    /// Receive mode: binds.
    Receive,
}

/// One async ZeroMQ socket.
pub(crate) struct Socket {
    // Declared first so that it is deregistered before the socket (which owns the fd) closes.
    fd: AsyncFd<RawFd>,
    sock: Mutex<zmq::Socket>,
    endpoint: String,
}

impl Socket {
    /// Creates the socket for `role` in `opts.pattern`, sets the pattern's options and
    /// binds or connects. Must be called inside a tokio runtime.
    pub(crate) fn open(ctx: &zmq::Context, opts: &Options, role: Role) -> Result<Socket> {
        use zmq::SocketType::*;
        let kind = match (opts.pattern, role) {
            (Pattern::Pair, _) => PAIR,
            (Pattern::ReqRep, Role::Send) => REQ,
            (Pattern::ReqRep, Role::Receive) => REP,
            // XPUB speaks to a SUB exactly as PUB does, and also tells the sender when a
            // subscriber arrives and leaves: no frames thrown away before anyone listens.
            (Pattern::PubSub, Role::Send) => XPUB,
            (Pattern::PubSub, Role::Receive) => SUB,
            (Pattern::PushPull, Role::Send) => PUSH,
            (Pattern::PushPull, Role::Receive) => PULL,
        };
        let sock = ctx.socket(kind)?;
        // Never let a pending message block closing; a graceful close raises it, bounded.
        sock.set_linger(0)?;
        sock.set_maxmsgsize(i64::try_from(opts.max_message_size).unwrap_or(i64::MAX))?;
        match (opts.pattern, role) {
            (Pattern::ReqRep, Role::Send) => {
                sock.set_req_relaxed(true)?;
                sock.set_req_correlate(true)?;
            }
            (Pattern::PubSub, _) => {
                // vidgear's choice for live video: keep only the newest frame.
                sock.set_sndhwm(1)?;
                sock.set_rcvhwm(1)?;
                if role == Role::Receive {
                    sock.set_subscribe(b"")?;
                }
            }
            (Pattern::PushPull, _) => {
                // A frame is large: ZeroMQ's default of 1000 queued messages per side is gigabytes
                // at 1080p. A few frames in flight keep the pipe full.
                sock.set_sndhwm(PIPELINE_HWM)?;
                sock.set_rcvhwm(PIPELINE_HWM)?;
            }
            _ => {}
        }
        let endpoint = opts.endpoint(role == Role::Receive);
        let pattern = opts.pattern.number();
        match role {
            Role::Receive => sock.bind(&endpoint).map_err(|source| Error::Bind {
                endpoint: endpoint.clone(),
                pattern,
                source,
            })?,
            Role::Send => sock.connect(&endpoint).map_err(|source| Error::Connect {
                endpoint: endpoint.clone(),
                pattern,
                source,
            })?,
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        let raw = sock.get_fd()?;
        // SAFETY: `raw` is the socket's `ZMQ_FD`, open for as long as the socket is; the socket
        // is dropped after this `AsyncFd` (field order in `Socket`), and the fd is never
        // closed by us.
        let fd = unsafe { AsyncFd::register_with_interest(raw, Interest::READABLE) }
            .map_err(std::io::Error::from)?;
        Ok(Socket {
            fd,
            sock: Mutex::new(sock),
            endpoint,
        })
    }

    /// The endpoint this socket bound or connected.
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn sock(&self) -> MutexGuard<'_, zmq::Socket> {
        self.sock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `ZMQ_EVENTS` has `want`.
    async fn ready(&self, want: zmq::PollEvents) -> Result<()> {
        loop {
            let mut guard = self.fd.readable().await?;
            if self.sock().get_events()?.contains(want) {
                return Ok(());
            }
            guard.clear_ready();
        }
    }

    async fn send_one(&self, part: Part<'_>, more: bool) -> Result<()> {
        let flags = zmq::DONTWAIT | if more { zmq::SNDMORE } else { 0 };
        loop {
            // Try first: there is room almost always, and asking ZMQ_EVENTS costs a call.
            let sent = {
                let mut sock = self.sock();
                match &part {
                    Part::Copy(bytes) => sock.send(*bytes, flags).map_err(Error::from),
                    Part::Share(bytes) if bytes.len() < SHARE_THRESHOLD => {
                        sock.send(&bytes[..], flags).map_err(Error::from)
                    }
                    // A failed send releases its message: hand libzmq a second reference.
                    Part::Share(bytes) => send_shared(&mut sock, bytes.clone(), flags),
                }
            };
            match sent {
                Err(Error::Zmq(zmq::Error::EAGAIN)) => self.ready(zmq::POLLOUT).await?,
                other => return other,
            }
        }
    }

    /// Sends one multipart message, waiting at most `timeout` for room.
    pub(crate) async fn send<'a>(
        &self,
        parts: impl IntoIterator<Item = Part<'a>>,
        timeout: Duration,
        what: &'static str,
    ) -> Result<()> {
        let mut parts = parts.into_iter().peekable();
        let fut = async {
            while let Some(part) = parts.next() {
                self.send_one(part, parts.peek().is_some()).await?;
            }
            Ok(())
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| Error::Timeout(timeout, what))?
    }

    /// Receives one multipart message, waiting at most `timeout`.
    pub(crate) async fn recv(&self, timeout: Duration, what: &'static str) -> Result<Vec<Bytes>> {
        tokio::time::timeout(timeout, self.recv_parts())
            .await
            .map_err(|_| Error::Timeout(timeout, what))?
    }

    async fn recv_parts(&self) -> Result<Vec<Bytes>> {
        loop {
            match self.try_recv_parts() {
                Err(Error::Zmq(zmq::Error::EAGAIN)) => self.ready(zmq::POLLIN).await?,
                other => return other,
            }
        }
    }

    fn try_recv_parts(&self) -> Result<Vec<Bytes>> {
        let sock = self.sock();
        let first = sock.recv_msg(zmq::DONTWAIT)?;
        let mut more = first.get_more();
        let mut parts = vec![into_bytes(first)];
        let mut count = 1;
        // The rest of a multipart message is delivered atomically with its first part.
        while more {
            let msg = sock.recv_msg(zmq::DONTWAIT)?;
            more = msg.get_more();
            count += 1;
            if count <= MAX_PARTS {
                parts.push(into_bytes(msg));
            }
        }
        if count > MAX_PARTS {
            return Err(DecodeError::PartCount {
                what: "message",
                expected: MAX_PARTS,
                got: count,
            }
            .into());
        }
        Ok(parts)
    }

    /// Drops a SUB socket's subscription (its publisher hears of it).
    pub(crate) fn unsubscribe_all(&self) -> Result<()> {
        Ok(self.sock().set_unsubscribe(b"")?)
    }

    /// Lets pending outgoing messages drain for at most `linger` when the socket closes.
    pub(crate) fn set_linger(&self, linger: Duration) -> Result<()> {
        let ms = i32::try_from(linger.as_millis()).unwrap_or(i32::MAX);
        Ok(self.sock().set_linger(ms)?)
    }
}
