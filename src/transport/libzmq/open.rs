//! Opening a libzmq socket for an end: the pattern's socket type and options, the limits on
//! what a peer can make it hold, secure mode, the monitor, and binding or connecting.

use std::time::Duration;

use super::monitor::Monitor;
use super::socket::ZmqSocket;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::pattern::Pattern;
use crate::secure::SecureMode;
use crate::transport::interface::Role;
use crate::wire::{Compression, End};

/// Frames queued on the sending side of a PUSH/PULL pipe.
const PIPELINE_HWM: i32 = 8;

/// Messages a socket queues from each peer before libzmq stops reading that peer's connection
/// (backpressure: nothing is dropped, except in PUB/SUB). With [`Options::max_message_size`]
/// it bounds what a peer can make a receiver hold: at most `RECEIVE_HWM` whole messages and
/// the one being read (libzmq's default is 1000 messages — 64 GB of 64 MiB frames).
const RECEIVE_HWM: i32 = 4;

/// The listen backlog of a receiver's socket (libzmq's default is 100; the kernel caps it at
/// `net.core.somaxconn`, 4096 on current Linux).
const LISTEN_BACKLOG: i32 = 1024;

/// How long a new connection may take to complete the ZeroMQ handshake before it is dropped
/// (libzmq's default is 30 s): a connection that never speaks ZMTP does not hold a slot or a
/// file descriptor for long.
const HANDSHAKE_IVL: Duration = Duration::from_secs(5);

/// ZMTP heartbeats: a PING every `HEARTBEAT_IVL`; a connection that answers nothing for
/// `HEARTBEAT_TIMEOUT` is dropped (a peer whose machine vanished without closing its TCP
/// connection), and the monitor reports it gone.
const HEARTBEAT_IVL: Duration = Duration::from_secs(2);
/// See [`HEARTBEAT_IVL`].
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);

/// With [`Options::reconnect`]: how long a connection attempt may wait for its peer before
/// libzmq gives it up and tries anew (100 ms later). The kernel's own retries of an unanswered
/// SYN back off (1 s, 3 s, 7 s...): a link that comes back would wait for the next one.
const RECONNECT_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// With [`Options::reconnect`], the heartbeats are closer: a PING every
/// `RECONNECT_HEARTBEAT_IVL`, and a connection from which nothing came for
/// `RECONNECT_HEARTBEAT_TIMEOUT` is dropped and made anew. A link that went down leaves the
/// connection's retransmissions backing off (0.2 s, 0.6, 1.4, 3, 6.2 s... after the loss): the
/// new connection comes back as soon as the link does. Kept above the round trips of the links
/// cameras use (a congested 4G uplink: hundreds of milliseconds). A receiver that is alive but not reading
/// still sends its PINGs (and its own heartbeat spares the connection it does not read: our
/// libzmq patch), so it is not dropped. (`TCP_USER_TIMEOUT` would drop the connection sooner,
/// but Linux applies it to a zero window too: it drops a receiver stalled with its buffers
/// full.)
const RECONNECT_HEARTBEAT_IVL: Duration = Duration::from_millis(250);
/// See [`RECONNECT_HEARTBEAT_IVL`].
const RECONNECT_HEARTBEAT_TIMEOUT: Duration = Duration::from_millis(1500);

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
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

/// Creates the socket for `role` in `opts.pattern` (its own ZeroMQ context), sets the pattern's
/// options and secure mode, and binds or connects. Must be called inside a tokio runtime.
pub(crate) fn open(opts: &Options, role: Role) -> Result<ZmqSocket> {
    let ctx = zmq::Context::new();
    let sock = ctx.socket(socket_type(opts.pattern, role))?;
    set_options(&sock, opts, role)?;
    // CURVE options must be set before binding or connecting.
    let zap = match &opts.secure {
        Some(secure) => {
            let end = match role {
                Role::Send => End::Server,
                Role::Receive => End::Client,
            };
            secure.apply(&ctx, &sock, end)?
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
    let monitor = match Monitor::open(&ctx, &sock, log_refusals) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::debug!(error = %e, "no socket monitor: timeouts will not say why");
            None
        }
    };
    let (endpoint, local_endpoint) = bind_or_connect(&sock, opts, role)?;
    ZmqSocket::new(
        sock,
        monitor,
        endpoint,
        local_endpoint,
        opts.pattern.number(),
        zap,
        all_or_none(opts, role),
    )
}

/// Whether a PUB/SUB sender sends each frame to every subscriber or to none, knowing which it
/// dropped (`ZMQ_XPUB_NODROP`): with an inter-frame codec (H.264). A frame dropped unseen for
/// one subscriber (a lossy PUB's way with a subscriber that has no room) would leave it unable
/// to decode anything until the next periodic key frame; a drop the sender knows of is
/// followed by a key frame at once.
fn all_or_none(opts: &Options, role: Role) -> bool {
    opts.pattern == Pattern::PubSub
        && role == Role::Send
        && matches!(opts.compression, Compression::H264 { .. })
}

/// The libzmq socket type of `role` in `pattern`.
fn socket_type(pattern: Pattern, role: Role) -> zmq::SocketType {
    use zmq::SocketType::*;
    match (pattern, role) {
        (Pattern::Pair, _) => PAIR,
        (Pattern::ReqRep, Role::Send) => REQ,
        (Pattern::ReqRep, Role::Receive) => REP,
        // XPUB speaks to a SUB exactly as PUB does, and also tells the sender when a
        // subscriber arrives and leaves: no frames thrown away before anyone listens.
        (Pattern::PubSub, Role::Send) => XPUB,
        (Pattern::PubSub, Role::Receive) => SUB,
        (Pattern::PushPull, Role::Send) => PUSH,
        (Pattern::PushPull, Role::Receive) => PULL,
    }
}

/// The options of every socket (bounds on what a peer can make it hold, how long a silent peer
/// stays) and of the pattern.
fn set_options(sock: &zmq::Socket, opts: &Options, role: Role) -> Result<()> {
    // Never let a pending message block closing; a graceful close raises it, bounded.
    sock.set_linger(0)?;
    sock.set_maxmsgsize(i64::try_from(opts.max_message_size).unwrap_or(i64::MAX))?;
    // What a peer can make this end hold, and for how long a silent or dead one stays.
    sock.set_rcvhwm(RECEIVE_HWM)?;
    sock.set_handshake_ivl(millis(HANDSHAKE_IVL))?;
    let (ivl, timeout) = if opts.reconnect {
        (RECONNECT_HEARTBEAT_IVL, RECONNECT_HEARTBEAT_TIMEOUT)
    } else {
        (HEARTBEAT_IVL, HEARTBEAT_TIMEOUT)
    };
    sock.set_heartbeat_ivl(millis(ivl))?;
    sock.set_heartbeat_timeout(millis(timeout))?;
    if role == Role::Receive {
        // Connections the kernel completes before the receiver accepts them: a port scan's
        // bursts overflow libzmq's default of 100, and a sender's connection that comes
        // then waits for a SYN retransmission (a second or more).
        sock.set_backlog(LISTEN_BACKLOG)?;
    }
    if opts.reconnect && role == Role::Send {
        sock.set_connect_timeout(millis(RECONNECT_CONNECT_TIMEOUT))?;
        // Messages go only to a connection that has completed its handshake: while the
        // receiver is away a send waits (the end rides the outage out) instead of queueing
        // frames that would reach it stale, or reach the next receiver.
        sock.set_immediate(true)?;
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
            if role == Role::Send {
                // A subscriber's pipe ends with its connection (by default a connecting
                // socket keeps it, with a frame queued, for the next connection): the frame
                // waiting there would reach a subscriber that comes back stale, and its
                // departure and return would not be told (XPUB reports a subscription when
                // a pipe comes and goes, not when its connection does).
                sock.set_immediate(true)?;
                if all_or_none(opts, role) {
                    sock.set_xpub_nodrop(true)?;
                }
            }
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
    Ok(())
}

/// Binds (receive mode) or connects (send mode): the endpoint asked for, and the one in effect
/// (as bound: the port the kernel picked for port 0).
fn bind_or_connect(sock: &zmq::Socket, opts: &Options, role: Role) -> Result<(String, String)> {
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
            last_endpoint(sock)?
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
    Ok((endpoint, local_endpoint))
}
