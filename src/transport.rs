//! Async ZeroMQ sockets on tokio: the patterns' socket types and options, endpoints, timeouts.
//!
//! libzmq signals readiness through one file descriptor (`ZMQ_FD`) that is edge-triggered and
//! shared by both directions: it turns readable when commands (a peer's message arrived, room
//! freed up) wait in the socket's mailbox, and libzmq takes them in inside its own calls.
//! [`Socket`] registers that fd with tokio and always tries the non-blocking operation first,
//! waiting only on `EAGAIN`, so no thread is added and an operation that can complete costs no
//! poll. After an `EAGAIN` it clears only the readiness it saw *before* the attempt (tokio keeps
//! any signal that came later): a receive that finds nothing has taken in every pending command
//! itself, and a send that finds no room is followed by a `ZMQ_EVENTS` read, which does — so no
//! wake-up is lost, and the common path pays no `ZMQ_EVENTS` call. Only an operation that has to
//! wait uses a timer, and the timer is kept from one wait to the next.

use std::future::{Future, poll_fn};
use std::ops::Deref;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::time::{Instant, Sleep};

use crate::error::{Error, PeerStatus, Result};
use crate::options::Options;
use crate::pattern::Pattern;
use crate::secure::SecureMode;
use crate::wire::DecodeError;

/// Frames queued on the sending side of a PUSH/PULL pipe.
const PIPELINE_HWM: i32 = 8;

/// Messages a socket queues from each peer before libzmq stops reading that peer's connection
/// (backpressure: nothing is dropped, except in PUB/SUB). With [`Options::max_message_size`]
/// it bounds what a peer can make a receiver hold: at most `RECEIVE_HWM` whole messages and
/// the one being read (libzmq's default is 1000 messages — 64 GB of 64 MiB frames).
pub(crate) const RECEIVE_HWM: i32 = 4;

/// The listen backlog of a receiver's socket (libzmq's default is 100; the kernel caps it at
/// `net.core.somaxconn`, 4096 on current Linux).
const LISTEN_BACKLOG: i32 = 1024;

/// How long a new connection may take to complete the ZeroMQ handshake before it is dropped
/// (libzmq's default is 30 s): a connection that never speaks ZMTP does not hold a slot or a
/// file descriptor for long.
pub(crate) const HANDSHAKE_IVL: Duration = Duration::from_secs(5);

/// ZMTP heartbeats: a PING every `HEARTBEAT_IVL`; a connection that answers nothing for
/// `HEARTBEAT_TIMEOUT` is dropped (a peer whose machine vanished without closing its TCP
/// connection), and the monitor reports it gone.
pub(crate) const HEARTBEAT_IVL: Duration = Duration::from_secs(2);
/// See [`HEARTBEAT_IVL`].
pub(crate) const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// Received parts of one message at most; a peer sending more is refused without storing them.
const MAX_PARTS: usize = 4;

/// Messages shorter than this are copied out of the ZeroMQ message instead of shared.
const SHARE_THRESHOLD: usize = 4096;

fn into_bytes(msg: zmq::Message) -> Bytes {
    if msg.len() < SHARE_THRESHOLD {
        Bytes::copy_from_slice(&msg)
    } else {
        // The bytes stay in the ZeroMQ message, which the `Bytes` owns (a `zmq_msg_t` may
        // move between threads).
        Bytes::from_owner(msg)
    }
}

/// The parts of one received message, held without a heap allocation of their own.
pub(crate) struct Message {
    parts: [Bytes; MAX_PARTS],
    len: usize,
}

impl Deref for Message {
    type Target = [Bytes];

    fn deref(&self) -> &[Bytes] {
        &self.parts[..self.len]
    }
}

/// One part of an outgoing message.
pub(crate) enum Part<'a> {
    /// Small bytes, copied into the message.
    Copy(&'a [u8]),
    /// Bytes handed to libzmq without a copy (when large enough to be worth it).
    Share(Bytes),
}

/// One attempt at sending one part (`flags` has `DONTWAIT`).
fn send_part(sock: &mut zmq::Socket, part: &Part<'_>, flags: i32) -> Result<()> {
    match part {
        Part::Copy(bytes) => Ok(sock.send(*bytes, flags)?),
        Part::Share(bytes) if bytes.len() < SHARE_THRESHOLD => Ok(sock.send(&bytes[..], flags)?),
        // Without a copy: libzmq keeps a reference until the bytes are on the wire (a failed
        // send releases its message, so it gets a second reference).
        Part::Share(bytes) => Ok(sock.send(zmq::Message::from_owner(bytes.clone())?, flags)?),
    }
}

/// One attempt at receiving a whole message; parts beyond [`MAX_PARTS`] are refused unstored.
fn try_recv_parts(sock: &mut zmq::Socket) -> Result<Message> {
    let first = sock.recv_msg(zmq::DONTWAIT)?;
    let mut more = first.get_more();
    let mut msg = Message {
        parts: Default::default(),
        len: 1,
    };
    msg.parts[0] = into_bytes(first);
    let mut count = 1;
    // The rest of a multipart message is delivered atomically with its first part.
    while more {
        let part = sock.recv_msg(zmq::DONTWAIT)?;
        more = part.get_more();
        if count < MAX_PARTS {
            msg.parts[count] = into_bytes(part);
            msg.len = count + 1;
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

/// The endpoint a socket last bound, as libzmq resolved it (`ZMQ_LAST_ENDPOINT`): the port
/// the kernel picked for port 0, `0.0.0.0` for `*`. The only read of that option.
fn last_endpoint(sock: &zmq::Socket) -> Result<String> {
    Ok(match sock.get_last_endpoint()? {
        Ok(endpoint) => endpoint,
        // Not UTF-8: only an ipc path could be, and ours are built from a `String`.
        Err(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
    })
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
    /// libzmq's events about the socket's connections; closed before the socket.
    monitor: Option<Monitor>,
    sock: Mutex<zmq::Socket>,
    endpoint: String,
    /// The endpoint as bound ([`last_endpoint`]); the one connected for a connecting socket.
    local_endpoint: String,
    pattern: u8,
    /// The timer of the last operation that waited, kept for the next one (see `bounded`).
    spare_timer: Mutex<Option<Pin<Box<Sleep>>>>,
    /// Secure mode's ZAP handler (an ironhouse receiver), stopped after the socket closes.
    _zap: Option<crate::secure::ZapHandler>,
}

/// The events a [`Monitor`] listens to.
const MONITORED: [zmq::SocketEvent; 7] = [
    zmq::SocketEvent::CONNECTED,
    zmq::SocketEvent::ACCEPTED,
    zmq::SocketEvent::ACCEPT_FAILED,
    zmq::SocketEvent::DISCONNECTED,
    zmq::SocketEvent::HANDSHAKE_SUCCEEDED,
    zmq::SocketEvent::HANDSHAKE_FAILED_NO_DETAIL,
    zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL,
];

/// Why a secure receiver refused a peer, from a failed handshake's event and value (an errno
/// for `NO_DETAIL`, a `ZMQ_PROTOCOL_ERROR_*` code for `PROTOCOL`). Refusals by the ZAP handler
/// (ironhouse: an unknown client key) are logged by the handler, with the key.
fn refusal_reason(event: zmq::SocketEvent, value: u32) -> String {
    const MECHANISM_MISMATCH: u32 = 0x1100_0002;
    const CRYPTOGRAPHIC: u32 = 0x1100_0001;
    match (event, value) {
        (zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL, MECHANISM_MISMATCH) => {
            "the peer does not use secure mode (no CURVE at its end)".into()
        }
        (zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL, CRYPTOGRAPHIC) => {
            "the peer's CURVE handshake does not decrypt: it does not have this receiver's \
             public key (a wrong server key)"
                .into()
        }
        (zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL, code) => {
            format!("the peer broke the CURVE handshake (ZeroMQ protocol error {code:#010x})")
        }
        // Typically the peer hung up first, having seen the mismatch itself.
        (_, errno) => format!(
            "the connection ended during the handshake ({}): the peer may not use secure mode, \
             or not with this receiver's public key",
            std::io::Error::from_raw_os_error(i32::try_from(errno).unwrap_or(0))
        ),
    }
}

/// What libzmq's socket monitor has told about a socket's connections.
#[derive(Debug, Default, Clone, Copy)]
struct Peers {
    /// Connections made (connected or accepted).
    connections: u32,
    /// Connections that completed the ZeroMQ handshake.
    handshakes: u32,
    /// Connections that ended.
    disconnects: u32,
    /// Whether the last connection of a connecting socket completed its handshake and is still
    /// up (a connecting socket has one connection at a time).
    up: bool,
    /// Disconnections of a connection that had completed its handshake (connecting socket).
    lost: u32,
    /// Failed handshakes logged as refused peers (a secure receiver).
    refused: u64,
}

/// libzmq's socket monitor (`zmq_socket_monitor`): a PAIR socket on an inproc endpoint that
/// receives an event per connection, handshake and disconnection, read without waiting
/// whenever the socket's owner looks or waits to receive. libzmq (patched) never waits for it:
/// events that find its queue full (about 2,000 unread) are dropped, so its counts are a lower
/// bound while an application leaves it unread under a flood of connections.
struct Monitor {
    // Declared first: deregistered before the socket that owns the fd closes.
    fd: AsyncFd<RawFd>,
    sock: Mutex<zmq::Socket>,
    peers: Mutex<Peers>,
    /// Log every failed handshake as a refused peer (a receiver in secure mode).
    log_refusals: bool,
}

impl Monitor {
    fn open(ctx: &zmq::Context, sock: &zmq::Socket, log_refusals: bool) -> Result<Monitor> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let endpoint = format!("inproc://netgear-monitor-{}-{n}", std::process::id());
        let events = MONITORED
            .iter()
            .fold(0, |all, e| all | i32::from(e.to_raw()));
        sock.monitor(&endpoint, events)?;
        let reader = ctx.socket(zmq::PAIR)?;
        reader.set_linger(0)?;
        reader.connect(&endpoint)?;
        let raw = reader.get_fd()?;
        // SAFETY: `raw` is the monitor socket's `ZMQ_FD`, open for as long as that socket is;
        // the socket is dropped after this `AsyncFd` (field order in `Monitor`), and the fd is
        // never closed by us.
        let fd = unsafe { AsyncFd::register_with_interest(raw, Interest::READABLE) }
            .map_err(std::io::Error::from)?;
        Ok(Monitor {
            fd,
            sock: Mutex::new(reader),
            peers: Mutex::new(Peers::default()),
            log_refusals,
        })
    }

    /// Takes in every event waiting, and (with a context) asks to be woken by the next.
    fn poll(&self, cx: Option<&mut Context<'_>>) -> Peers {
        let Some(cx) = cx else {
            return self.take_events();
        };
        loop {
            // The readiness before reading: all that may be cleared once every event is in.
            let before = match self.fd.poll_read_ready(cx) {
                Poll::Ready(Ok(guard)) => Some(guard),
                _ => None,
            };
            let peers = self.take_events();
            let Some(mut guard) = before else {
                return peers; // not ready: the waker is registered
            };
            guard.clear_ready();
            // Ready again only if a signal came while reading: then read again. Otherwise this
            // registers the waker for the next one (a guard taken is not a registration).
            if !matches!(self.fd.poll_read_ready(cx), Poll::Ready(Ok(_))) {
                return peers;
            }
        }
    }

    /// Takes in every event waiting, without waiting.
    fn take_events(&self) -> Peers {
        let sock = self.sock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut peers = self.peers.lock().unwrap_or_else(PoisonError::into_inner);
        // Each event is two parts: 6 bytes (the event, u16, and a value, u32), the endpoint.
        while let Ok(parts) = sock.recv_multipart(zmq::DONTWAIT) {
            let Some(head) = parts.first().filter(|h| h.len() >= 2) else {
                continue;
            };
            let event = zmq::SocketEvent::from_raw(u16::from_ne_bytes([head[0], head[1]]));
            let value = head
                .get(2..6)
                .and_then(|v| <[u8; 4]>::try_from(v).ok())
                .map_or(0, u32::from_ne_bytes);
            match event {
                zmq::SocketEvent::CONNECTED | zmq::SocketEvent::ACCEPTED => {
                    peers.connections += 1;
                    peers.up = false;
                }
                zmq::SocketEvent::HANDSHAKE_SUCCEEDED => {
                    peers.handshakes += 1;
                    peers.up = true;
                }
                zmq::SocketEvent::DISCONNECTED => {
                    peers.disconnects += 1;
                    if std::mem::take(&mut peers.up) {
                        peers.lost += 1;
                    }
                }
                zmq::SocketEvent::HANDSHAKE_FAILED_NO_DETAIL
                | zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL
                    if self.log_refusals =>
                {
                    let peer = parts.get(1).map(|p| String::from_utf8_lossy(p));
                    let peer = peer.as_deref().unwrap_or("?");
                    peers.refused += 1;
                    crate::secure::log_refusal(peers.refused, peer, &refusal_reason(event, value));
                }
                // libzmq (patched) closed a connection unread: its source address has started
                // too many CURVE handshakes (the endpoint is the listener's; the source is not
                // told).
                zmq::SocketEvent::ACCEPT_FAILED
                    if self.log_refusals && value == libc::ECONNREFUSED as u32 =>
                {
                    peers.refused += 1;
                    crate::secure::log_refusal(
                        peers.refused,
                        "a source past its handshake budget",
                        &format!(
                            "its address started more than {} CURVE handshakes at once, or more \
                             than {} a second: closed before any cryptography",
                            crate::secure::HANDSHAKE_BURST,
                            crate::secure::HANDSHAKE_RATE
                        ),
                    );
                }
                _ => {}
            }
        }
        *peers
    }
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
        // What a peer can make this end hold, and for how long a silent or dead one stays.
        sock.set_rcvhwm(RECEIVE_HWM)?;
        sock.set_handshake_ivl(millis(HANDSHAKE_IVL))?;
        sock.set_heartbeat_ivl(millis(HEARTBEAT_IVL))?;
        sock.set_heartbeat_timeout(millis(HEARTBEAT_TIMEOUT))?;
        if role == Role::Receive {
            // Connections the kernel completes before the receiver accepts them: a port scan's
            // bursts overflow libzmq's default of 100, and a sender's connection that comes
            // then waits for a SYN retransmission (a second or more).
            sock.set_backlog(LISTEN_BACKLOG)?;
        }
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
                    if opts
                        .secure
                        .as_ref()
                        .is_some_and(|s| s.mode == SecureMode::Ironhouse)
                    {
                        // libzmq (4.3.4 and 4.3.5 alike) delivers nothing at all to a SUB whose
                        // receive high-water mark is 1 when a ZAP handler lets its peers in:
                        // 2 is the smallest that works.
                        sock.set_rcvhwm(2)?;
                    }
                }
            }
            (Pattern::PushPull, _) => {
                // A frame is large: ZeroMQ's default of 1000 queued messages per side is gigabytes
                // at 1080p. A few frames in flight keep the pipe full.
                sock.set_sndhwm(PIPELINE_HWM)?;
            }
            _ => {}
        }
        // CURVE options must be set before binding or connecting.
        let zap = match &opts.secure {
            Some(secure) => {
                let end = match role {
                    Role::Send => crate::wire::End::Server,
                    Role::Receive => crate::wire::End::Client,
                };
                secure.apply(ctx, &sock, end)?
            }
            None => None,
        };
        if opts.default_ipc() {
            crate::options::ensure_private_ipc_dir()?;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        // The monitor listens before the socket binds or connects: libzmq (patched) drops an
        // event that no reader is connected for, and a connection made to a peer that is
        // already listening is reported at once (a lost CONNECTED made a timeout say that no
        // peer ever connected after a hundred frames had gone through).
        // A secure receiver logs whom it refuses, and why.
        let log_refusals = role == Role::Receive && opts.secure.is_some();
        let monitor = match Monitor::open(ctx, &sock, log_refusals) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::debug!(error = %e, "no socket monitor: timeouts will not say why");
                None
            }
        };
        let endpoint = opts.endpoint(role == Role::Receive);
        let pattern = opts.pattern.number();
        let local_endpoint = match role {
            Role::Receive => {
                sock.bind(&endpoint).map_err(|source| Error::Bind {
                    endpoint: endpoint.clone(),
                    pattern,
                    source,
                })?;
                if let Some(path) = endpoint.strip_prefix("ipc://") {
                    // Only this user may connect (libzmq creates the file with the umask's mode).
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
                }
                last_endpoint(&sock)?
            }
            Role::Send => {
                sock.connect(&endpoint).map_err(|source| Error::Connect {
                    endpoint: endpoint.clone(),
                    pattern,
                    source,
                })?;
                endpoint.clone()
            }
        };
        let raw = sock.get_fd()?;
        // SAFETY: `raw` is the socket's `ZMQ_FD`, open for as long as the socket is; the socket
        // is dropped after this `AsyncFd` (field order in `Socket`), and the fd is never
        // closed by us.
        let fd = unsafe { AsyncFd::register_with_interest(raw, Interest::READABLE) }
            .map_err(std::io::Error::from)?;
        Ok(Socket {
            fd,
            monitor,
            sock: Mutex::new(sock),
            endpoint,
            local_endpoint,
            pattern,
            spare_timer: Mutex::new(None),
            _zap: zap,
        })
    }

    /// The endpoint this socket bound or connected, as asked for.
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The endpoint this socket bound, as libzmq resolved it (the port the kernel picked for
    /// port 0); for a connecting socket, the endpoint connected.
    pub(crate) fn local_endpoint(&self) -> &str {
        &self.local_endpoint
    }

    /// A mark to give [`Socket::recv_answer`]: how many times a connected peer of this
    /// (connecting) socket has gone away so far.
    pub(crate) fn peer_mark(&self) -> u32 {
        self.monitor.as_ref().map_or(0, |m| m.poll(None).lost)
    }

    /// Whether no peer is connected to this socket now, as far as its monitor has seen:
    /// `Some(true)` if one was and has left, `Some(false)` if none has come yet, `None` while
    /// one is connected (or without a monitor, not known). A connection that the kernel
    /// completed a moment ago may not be reported yet.
    pub(crate) fn alone(&self) -> Option<bool> {
        let peers = self.monitor.as_ref()?.poll(None);
        (peers.connections <= peers.disconnects).then_some(peers.connections > 0)
    }

    /// What the monitor has seen of the peers, for a timeout's message.
    fn peer_status(&self) -> PeerStatus {
        let Some(monitor) = &self.monitor else {
            return PeerStatus::Unknown;
        };
        let peers = monitor.poll(None);
        let open = peers.connections.saturating_sub(peers.disconnects);
        if peers.connections == 0 {
            PeerStatus::NeverConnected
        } else if peers.handshakes == 0 && peers.disconnects > 0 {
            PeerStatus::HandshakeFailed {
                attempts: peers.disconnects,
                pattern: self.pattern,
            }
        } else if open == 0 {
            PeerStatus::Disconnected
        } else {
            PeerStatus::Connected
        }
    }

    fn sock(&self) -> MutexGuard<'_, zmq::Socket> {
        self.sock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `attempt` until it completes or fails otherwise than with `EAGAIN`; between attempts
    /// it waits for a `ZMQ_FD` signal newer than the last attempt (see the module doc).
    ///
    /// `takes_signals`: whether an attempt that fails with `EAGAIN` has taken in every pending
    /// command (a receive); otherwise `ZMQ_EVENTS` is read for `want`, which does.
    fn poll_io<T>(
        &self,
        cx: &mut Context<'_>,
        want: zmq::PollEvents,
        takes_signals: bool,
        mut attempt: impl FnMut(&mut zmq::Socket) -> Result<T>,
    ) -> Poll<Result<T>> {
        loop {
            // The readiness before the attempt: what the attempt accounts for, and all that may be
            // cleared if it finds nothing to do. (`Pending` registers the waker, so a signal that
            // comes during the attempt wakes this task.)
            let before = match self.fd.poll_read_ready(cx) {
                Poll::Ready(Ok(guard)) => Some(guard),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Pending => None,
            };
            {
                let mut sock = self.sock();
                match attempt(&mut sock) {
                    Err(Error::Zmq(zmq::Error::EAGAIN)) => {}
                    other => return Poll::Ready(other),
                }
                if !takes_signals {
                    match sock.get_events() {
                        Ok(events) if events.contains(want) => continue,
                        Ok(_) => {}
                        Err(e) => return Poll::Ready(Err(e.into())),
                    }
                }
            }
            let Some(mut guard) = before else {
                return Poll::Pending;
            };
            guard.clear_ready();
            // Ready again only if a signal came after `before`: then try again.
            drop(ready!(self.fd.poll_read_ready(cx)).map_err(Error::from)?);
        }
    }

    /// Polls `op` to completion, failing with [`Error::Timeout`] if it has not completed within
    /// `timeout` of its first wait.
    ///
    /// Arming a tokio timer for every wait (and cancelling it when the wait ends, in a
    /// millisecond) costs more than the rest of a small message's bookkeeping, so one timer is
    /// kept from wait to wait: it is moved to an earlier deadline when needed, and otherwise left
    /// armed at the last one — it then fires early, at most once per `timeout`, and is moved on.
    async fn bounded<T>(
        &self,
        timeout: Duration,
        what: &'static str,
        mut op: impl FnMut(&mut Context<'_>) -> Poll<Result<T>>,
    ) -> Result<T> {
        let mut deadline = None;
        let mut timer: Option<Pin<Box<Sleep>>> = None;
        let result = poll_fn(|cx| {
            if let Poll::Ready(result) = op(cx) {
                return Poll::Ready(result);
            }
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + timeout);
            let timer = timer.get_or_insert_with(|| {
                let spare = self
                    .spare_timer
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                spare.unwrap_or_else(|| Box::pin(tokio::time::sleep_until(deadline)))
            });
            loop {
                if timer.deadline() > deadline {
                    timer.as_mut().reset(deadline);
                }
                ready!(timer.as_mut().poll(cx));
                if Instant::now() >= deadline {
                    return Poll::Ready(Err(Error::Timeout {
                        after: timeout,
                        waiting_for: what,
                        peer: self.peer_status(),
                    }));
                }
                timer.as_mut().reset(deadline);
            }
        })
        .await;
        if let Some(timer) = timer {
            *self
                .spare_timer
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(timer);
        }
        result
    }

    /// Sends one multipart message, waiting at most `timeout` for room.
    pub(crate) async fn send<'a>(
        &self,
        parts: impl IntoIterator<Item = Part<'a>>,
        timeout: Duration,
        what: &'static str,
    ) -> Result<()> {
        let mut parts = parts.into_iter().peekable();
        let mut current = parts.next();
        self.bounded(timeout, what, |cx| {
            while let Some(part) = &current {
                let more = parts.peek().is_some();
                let flags = zmq::DONTWAIT | if more { zmq::SNDMORE } else { 0 };
                let sent =
                    self.poll_io(cx, zmq::POLLOUT, false, |sock| send_part(sock, part, flags));
                ready!(sent)?;
                current = parts.next();
            }
            Poll::Ready(Ok(()))
        })
        .await
    }

    /// Receives one multipart message, waiting at most `timeout`. Meanwhile it also wakes for
    /// its monitor's events and takes them in, so that they never pile up while the
    /// application waits (a port scan makes three per connection; libzmq drops those that find
    /// the monitor's queue full) and a secure receiver logs refused peers as they come.
    pub(crate) async fn recv(&self, timeout: Duration, what: &'static str) -> Result<Message> {
        self.bounded(timeout, what, |cx| {
            let received = self.poll_io(cx, zmq::POLLIN, true, try_recv_parts);
            if received.is_pending()
                && let Some(monitor) = &self.monitor
            {
                monitor.poll(Some(cx));
            }
            received
        })
        .await
    }

    /// Receives the answer to a message this (connecting) socket sent, waiting at most
    /// `timeout`; fails with [`Error::PeerGone`] as soon as libzmq reports that the peer that
    /// was connected when `mark` was taken ([`Socket::peer_mark`]) has gone: its answer will
    /// not come.
    pub(crate) async fn recv_answer(
        &self,
        timeout: Duration,
        what: &'static str,
        mark: u32,
    ) -> Result<Message> {
        let Some(monitor) = &self.monitor else {
            return self.recv(timeout, what).await;
        };
        self.bounded(timeout, what, |cx| {
            if let Poll::Ready(msg) = self.poll_io(cx, zmq::POLLIN, true, try_recv_parts) {
                return Poll::Ready(msg);
            }
            if monitor.poll(Some(cx)).lost != mark {
                // A last look: the answer may have come just before the peer left.
                return match self.sock().poll(zmq::POLLIN, 0) {
                    Ok(n) if n > 0 => self.poll_io(cx, zmq::POLLIN, true, try_recv_parts),
                    _ => Poll::Ready(Err(Error::PeerGone {
                        endpoint: self.endpoint.clone(),
                        waiting_for: what,
                    })),
                };
            }
            Poll::Pending
        })
        .await
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A receiving socket on a port the kernel picks, and a sending socket connected to it.
    fn pair(pattern: Pattern) -> (Socket, Socket) {
        let opts = Options {
            address: Some("127.0.0.1".into()),
            port: 0,
            pattern,
            ..Options::default()
        };
        let ctx = zmq::Context::new();
        let receiver = Socket::open(&ctx, &opts, Role::Receive).unwrap();
        let bound = receiver.local_endpoint().to_owned();
        let port = bound.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
        assert!(port.is_some_and(|p: u16| p != 0), "bound {bound}");
        let opts = Options {
            port: port.unwrap(),
            ..opts
        };
        let sender = Socket::open(&ctx, &opts, Role::Send).unwrap();
        (sender, receiver)
    }

    /// A lost wake-up shows as a timeout (10 s, far beyond any scheduling delay): both ends wait on
    /// every message, on a runtime whose I/O driver runs on whichever thread is free.
    #[test]
    fn lock_step_never_loses_a_wake_up() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (sender, receiver) = pair(Pattern::Pair);
            let wait = Duration::from_secs(10);
            let echo = tokio::spawn(async move {
                for _ in 0..2000 {
                    let msg = receiver.recv(wait, "a message").await?;
                    receiver
                        .send(
                            [Part::Copy(&msg[0]), Part::Share(msg[1].clone())],
                            wait,
                            "room",
                        )
                        .await?;
                }
                // Handed back, not dropped: closing (LINGER 0) would discard the last echo
                // if libzmq's I/O thread has not sent it yet.
                Ok::<Socket, Error>(receiver)
            });
            let big = Bytes::from(vec![7u8; 2 * SHARE_THRESHOLD]);
            for n in 0u32..2000 {
                let head = n.to_le_bytes();
                sender
                    .send([Part::Copy(&head), Part::Share(big.clone())], wait, "room")
                    .await
                    .unwrap();
                let back = sender.recv(wait, "the echo").await.unwrap();
                assert_eq!((&back[0][..], back[1].len()), (&head[..], big.len()));
            }
            drop(echo.await.unwrap().unwrap());
        });
    }

    /// The timer kept from wait to wait: it fires early for a later deadline without failing
    /// the wait, and still bounds a wait with a shorter timeout.
    #[tokio::test]
    async fn a_kept_timer_neither_fires_early_nor_late() {
        let (sender, receiver) = pair(Pattern::Pair);
        async fn later(ms: u64, sender: &Socket) -> Result<()> {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            let msg = Bytes::from_static(b"x");
            sender
                .send([Part::Share(msg)], Duration::from_secs(1), "room")
                .await
        }
        // Arms the timer at +300 ms.
        let (got, sent) = tokio::join!(
            receiver.recv(Duration::from_millis(300), "first"),
            later(50, &sender)
        );
        sent.unwrap();
        assert_eq!(&got.unwrap()[0][..], b"x");
        // The kept timer fires at about +250 ms here; the message comes at +600 ms, in time.
        let (got, sent) = tokio::join!(
            receiver.recv(Duration::from_secs(2), "second"),
            later(600, &sender)
        );
        sent.unwrap();
        assert_eq!(&got.unwrap()[0][..], b"x");
        // Moved to an earlier deadline than the one it is armed at (+2 s).
        let started = std::time::Instant::now();
        let err = receiver.recv(Duration::from_millis(200), "third").await;
        let took = started.elapsed();
        assert!(matches!(
            err,
            Err(Error::Timeout {
                waiting_for: "third",
                ..
            })
        ));
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_millis(1500),
            "{took:?}"
        );
    }

    /// PUSH with a full pipe: sends that find no room wait for the receiver to drain it.
    #[tokio::test]
    async fn a_full_pipe_drains_and_times_out_when_nobody_reads() {
        let (sender, receiver) = pair(Pattern::PushPull);
        let wait = Duration::from_secs(2);
        let part = Bytes::from(vec![1u8; 64 * 1024]);
        let drain = async {
            for _ in 0..200 {
                receiver.recv(wait, "a message").await?;
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            Ok::<(), Error>(())
        };
        let fill = async {
            for _ in 0..200 {
                sender
                    .send([Part::Share(part.clone())], wait, "room")
                    .await?;
            }
            Ok::<(), Error>(())
        };
        let (drained, filled) = tokio::join!(drain, fill);
        drained.unwrap();
        filled.unwrap();
        let short = Duration::from_millis(100);
        let mut sent = 0;
        let err = loop {
            match sender
                .send([Part::Share(part.clone())], short, "room")
                .await
            {
                Ok(()) => sent += 1,
                Err(e) => break e,
            }
            assert!(sent < 1000, "the pipe never filled up");
        };
        assert!(
            matches!(err, Error::Timeout { after, waiting_for: "room", .. } if after == short),
            "{err}"
        );
        let err = receiver.recv(short, "x").await.map(|_| ());
        assert!(err.is_ok(), "the queued messages are still there");
    }
}
