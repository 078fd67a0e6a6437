//! libzmq's socket monitor, read on tokio: what a socket's connections did (connected,
//! completed the handshake, went away), for the ends to know when a peer has gone and for a
//! timeout to say what it saw; a secure receiver logs here whom it refused, and why.

use std::os::fd::RawFd;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::error::Result;

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
pub(super) struct Peers {
    /// Connections made (connected or accepted).
    pub(super) connections: u32,
    /// Connections that completed the ZeroMQ handshake.
    pub(super) handshakes: u32,
    /// Connections that ended.
    pub(super) disconnects: u32,
    /// Whether the last connection of a connecting socket completed its handshake and is still
    /// up (a connecting socket has one connection at a time).
    pub(super) up: bool,
    /// Disconnections of a connection that had completed its handshake (connecting socket).
    pub(super) lost: u32,
    /// Failed handshakes logged as refused peers (a secure receiver).
    pub(super) refused: u64,
}

/// libzmq's socket monitor (`zmq_socket_monitor`): a PAIR socket on an inproc endpoint that
/// receives an event per connection, handshake and disconnection, read without waiting
/// whenever the socket's owner looks or waits to receive. libzmq (patched) never waits for it:
/// events that find its queue full (about 2,000 unread) are dropped, so its counts are a lower
/// bound while an application leaves it unread under a flood of connections.
pub(super) struct Monitor {
    // Declared first: deregistered before the socket that owns the fd closes.
    fd: AsyncFd<RawFd>,
    sock: Mutex<zmq::Socket>,
    peers: Mutex<Peers>,
    /// Log every failed handshake as a refused peer (a receiver in secure mode).
    log_refusals: bool,
}

impl Monitor {
    pub(super) fn open(
        ctx: &zmq::Context,
        sock: &zmq::Socket,
        log_refusals: bool,
    ) -> Result<Monitor> {
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
    pub(super) fn poll(&self, cx: Option<&mut Context<'_>>) -> Peers {
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
