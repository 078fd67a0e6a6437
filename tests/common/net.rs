//! Ports and connections on loopback, seen from the outside: the kernel's socket tables
//! (`/proc/net/tcp`, `/proc/net/tcp6`) say when an end has bound or a connection has gone,
//! without touching the sockets under test.
//!
//! Ports. A receiver of ours binds port 0 and says which port it got (`Client::local_port`,
//! `netgear recv`'s `listening on` line, [`super::raw::bound`]): nothing can take it between
//! the choice and the bind. For a receiver that cannot say (vidgear's NetGear_Async), and for
//! a port nothing must listen on, [`port_below_ephemeral`] picks one outside the kernel's
//! ephemeral range: a port bound, closed and handed on from inside that range can meanwhile
//! become the source port of any outgoing connection on the machine (a test's `Address
//! already in use`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Where [`port_below_ephemeral`] starts looking.
const PORTS_FROM: u32 = 20_000;

/// Ports each process walks before it reaches the next process's start.
const PORTS_PER_PROCESS: u32 = 128;

/// The kernel's ephemeral port range (`ip_local_port_range`), from which it gives outgoing
/// connections (and binds of port 0) their local port.
fn ephemeral_range() -> (u32, u32) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut n = text.split_whitespace().map(|v| v.parse::<u32>().ok());
            Some((n.next()??, n.next()??))
        })
        .unwrap_or((32_768, 60_999))
}

/// A tcp port for a peer that cannot bind port 0 and tell which port it got (vidgear), or for
/// a port nothing may listen on: outside the kernel's ephemeral range (below it, from 20000;
/// above it if there is no room below), so that no outgoing connection takes it as its source
/// port; distinct from the ports of other test processes of ours (each starts at an offset
/// from its pid and walks on with a counter, in this process and in `python/tests`); and free
/// when checked (bound on 127.0.0.1 and released). Only another program binding the same port
/// at the same moment could take it.
pub fn port_below_ephemeral() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let (low, high) = ephemeral_range();
    let (from, to) = if low >= PORTS_FROM + 2 * PORTS_PER_PROCESS {
        (PORTS_FROM, low)
    } else {
        (high + 1, 65_536)
    };
    let span = to.saturating_sub(from);
    assert!(
        span >= 2 * PORTS_PER_PROCESS,
        "no room for test ports outside the ephemeral range {low}-{high} \
         (/proc/sys/net/ipv4/ip_local_port_range): narrow it, e.g. to 32768 60999"
    );
    let start = (std::process::id() % (span / PORTS_PER_PROCESS)) * PORTS_PER_PROCESS;
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(from + (start + n) % span).expect("a port");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("every port from {from} to {to} is taken");
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

/// Sets an option of a socket this process owns (`setsockopt`), failing the test if it cannot.
pub fn set_option<T>(
    s: &impl std::os::fd::AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
    what: &str,
) {
    let len = libc::socklen_t::try_from(std::mem::size_of::<T>()).expect("a small option");
    // SAFETY: the socket is open for the whole call (borrowed), and `value` points to a live
    // `T` of `len` bytes, the type the option takes (the callers below).
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(value).cast(),
            len,
        )
    };
    assert_eq!(rc, 0, "{what}: {}", std::io::Error::last_os_error());
}

/// Makes the socket's close send a reset (`SO_LINGER` 0), as a port scanner's or a crashed
/// host's connection ends.
pub fn reset_on_close(s: &std::net::TcpStream) {
    let off = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    set_option(s, libc::SOL_SOCKET, libc::SO_LINGER, &off, "SO_LINGER");
}

/// The loopback address attacking connections come from: a source address other than the
/// legitimate peers' (127.0.0.1), as on a real network, so that what a receiver budgets per
/// source (CURVE handshakes) is the attacker's.
pub const ATTACKER: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 2);

/// A TCP connection to `to` from [`ATTACKER`] (any port), made within `limit`.
pub fn connect_as_attacker(
    to: std::net::SocketAddr,
    limit: Duration,
) -> std::io::Result<std::net::TcpStream> {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    s.bind(&std::net::SocketAddr::from((ATTACKER, 0)).into())?;
    s.connect_timeout(&to.into(), limit)?;
    Ok(s.into())
}
