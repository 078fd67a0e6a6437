//! Ports and connections on loopback, seen from the outside: the kernel's socket tables
//! (`/proc/net/tcp`, `/proc/net/tcp6`) say when an end has bound or a connection has gone,
//! without touching the sockets under test.

use std::time::{Duration, Instant};

/// A TCP port that was free a moment ago (bound on 127.0.0.1:0, then released).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// TCP states in `/proc/net/tcp` (include/net/tcp_states.h).
const LISTEN: u8 = 0x0a;

/// A TCP socket of this network namespace, as its row in `/proc/net/tcp(6)` says.
struct TcpSocket {
    port: u16,
    state: u8,
    /// Bytes sent and not yet acknowledged by the peer.
    unacked: u64,
    /// Bytes received and not yet read by the owner.
    unread: u64,
}

/// Every TCP socket of this network namespace.
fn tcp_sockets() -> Vec<TcpSocket> {
    let mut sockets = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(queues)) = (f.get(1), f.get(3), f.get(4)) else {
                continue;
            };
            let hex = |s: &str| u64::from_str_radix(s, 16).ok();
            let port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            let state = u8::from_str_radix(state, 16).ok();
            let (unacked, unread) = queues.split_once(':').unwrap_or(("", ""));
            if let (Some(port), Some(state), Some(unacked), Some(unread)) =
                (port, state, hex(unacked), hex(unread))
            {
                sockets.push(TcpSocket {
                    port,
                    state,
                    unacked,
                    unread,
                });
            }
        }
    }
    sockets
}

/// Whether something listens on tcp `port`.
pub fn is_listening(port: u16) -> bool {
    tcp_sockets()
        .iter()
        .any(|s| s.port == port && s.state == LISTEN)
}

/// Whether a connection accepted on `port` is still open on this host (in any state but
/// LISTEN: established, or closing but not yet closed by its owner).
pub fn has_accepted_connection(port: u16) -> bool {
    tcp_sockets()
        .iter()
        .any(|s| s.port == port && s.state != LISTEN)
}

/// The send and receive queues (bytes not yet acknowledged by the peer, bytes not yet read by
/// the owner) of the tcp connections whose local port is `port`, added up; `None` when there
/// is no such connection.
pub fn queues(port: u16) -> Option<(u64, u64)> {
    tcp_sockets()
        .iter()
        .filter(|s| s.port == port && s.state != LISTEN)
        .fold(None, |total, s| {
            let (unacked, unread) = total.unwrap_or((0, 0));
            Some((unacked + s.unacked, unread + s.unread))
        })
}

/// Polls `ready` until it holds; fails the test after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}
