//! The port of a case: one a receive peer can bind (it binds it itself; ipc and shm peers name
//! their endpoint after it), and whether it listens yet, told without connecting to it.

/// Whether something listens on 127.0.0.1:`port` (or the wildcard) — read from
/// `/proc/net/tcp`, so that no connection disturbs the peer.
pub(super) fn listening(port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return true; // cannot tell: let the connecting side retry
    };
    let local = [
        format!("0100007F:{port:04X}"),
        format!("00000000:{port:04X}"),
    ];
    table.lines().skip(1).any(|l| {
        let mut f = l.split_whitespace().skip(1);
        let (addr, st) = (f.next(), f.nth(1));
        addr.is_some_and(|a| local.iter().any(|x| x == a)) && st == Some("0A")
    })
}

/// A port for a case's receive peer, which binds it itself (the vidgear peer cannot bind port
/// 0 and say which port it got): outside the kernel's ephemeral range, where no outgoing
/// connection can take it as its source port between this check and the peer's bind (a port
/// bound on 0 and released is one of those); from 20000 up (above the range if it leaves no
/// room below), from an offset of this process's id on, and free when checked.
pub(super) fn free_port() -> std::io::Result<u16> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FROM: u32 = 20_000;
    let (low, high) = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut n = text.split_whitespace().map(|v| v.parse::<u32>().ok());
            Some((n.next()??, n.next()??))
        })
        .unwrap_or((32_768, 60_999));
    let (first, end) = if low >= FROM + 1024 {
        (FROM, low)
    } else {
        (high + 1, 65_536)
    };
    let span = end.saturating_sub(first).max(1);
    let start = std::process::id().wrapping_mul(128) % span;
    let mut last = std::io::Error::other(format!(
        "no port free outside the ephemeral range {low}-{high}"
    ));
    for _ in 0..span.min(4096) {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(first + (start + n) % span).unwrap_or(u16::MAX);
        match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(_) => return Ok(port),
            Err(e) => last = e,
        }
    }
    Err(last)
}
