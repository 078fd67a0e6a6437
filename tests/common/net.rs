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

/// (local port, state) of every TCP socket of this network namespace.
fn tcp_sockets() -> Vec<(u16, u8)> {
    let mut sockets = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let mut fields = line.split_whitespace();
            let (Some(local), Some(_remote), Some(state)) =
                (fields.nth(1), fields.next(), fields.next())
            else {
                continue;
            };
            let port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if let (Some(port), Ok(state)) = (port, u8::from_str_radix(state, 16)) {
                sockets.push((port, state));
            }
        }
    }
    sockets
}

/// Whether something listens on tcp `port`.
pub fn is_listening(port: u16) -> bool {
    tcp_sockets().contains(&(port, LISTEN))
}

/// Whether a connection accepted on `port` is still open on this host (in any state but
/// LISTEN: established, or closing but not yet closed by its owner).
pub fn has_accepted_connection(port: u16) -> bool {
    tcp_sockets()
        .iter()
        .any(|&(p, state)| p == port && state != LISTEN)
}

/// The send and receive queues (bytes not yet acknowledged by the peer, bytes not yet read by
/// the owner) of the tcp connections whose local port is `port`, added up; `None` when there
/// is no such connection.
pub fn queues(port: u16) -> Option<(u64, u64)> {
    let mut total = None;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(queues)) = (f.get(1), f.get(3), f.get(4)) else {
                continue;
            };
            let port_here = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            let listening = u8::from_str_radix(state, 16).ok() == Some(LISTEN);
            let (tx, rx) = queues.split_once(':').unwrap_or(("", ""));
            let (Ok(tx), Ok(rx)) = (u64::from_str_radix(tx, 16), u64::from_str_radix(rx, 16))
            else {
                continue;
            };
            if port_here == Some(port) && !listening {
                let (t, r) = total.get_or_insert((0, 0));
                *t += tx;
                *r += rx;
            }
        }
    }
    total
}

/// Polls `ready` until it holds; fails the test after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}
