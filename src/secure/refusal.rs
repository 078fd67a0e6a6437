//! How a secure receiver refuses peers, and says so: the handshake budget of our libzmq, and
//! the log of refusals (by the ZAP handler, and by the socket monitor for handshakes that
//! failed or were over the budget). A leaf of the module.

/// How many CURVE handshakes one source address (an IPv4 address, or an IPv6 /64 prefix) may
/// start at once with a secure receiver; past it, [`HANDSHAKE_RATE`] a second. A connection
/// over the budget is closed as soon as it is accepted, before any cryptography is done for it
/// (our libzmq patch `curve-handshake-budget`): a handshake costs the receiver about 0.3 ms of
/// CPU, and a peer can replay one captured HELLO without any cost of its own.
pub const HANDSHAKE_BURST: u32 = 32;

/// The CURVE handshakes a second one source address may start once it has used
/// [`HANDSHAKE_BURST`].
pub const HANDSHAKE_RATE: u32 = 8;

/// Logs the `n`th refusal of a peer (1-based) with its address and the reason. A stranger can
/// knock as often as it likes: the first ten are logged, then one at each power of two.
pub(crate) fn log_refusal(n: u64, peer: &str, reason: &str) {
    if n <= 10 || n.is_power_of_two() {
        tracing::warn!(
            target: "netgear::secure",
            %peer,
            %reason,
            refused = n,
            "secure mode: connection refused"
        );
    }
}
