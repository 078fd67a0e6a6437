//! The transport seam: the ends ([`Server`](crate::Server), [`Client`](crate::Client)) hand
//! whole messages to a [`Transport`] and take whole messages from it; how the bytes move is the
//! transport's business.
//!
//! - `interface.rs`: the [`Transport`] trait (send a message, receive one, receive an answer
//!   while watching its peer, peer events, PUB/SUB subscriptions, draining at close) and
//!   [`Received`].
//! - `libzmq/`: the first transport, async ZeroMQ sockets on tokio (tcp and ipc, the four
//!   patterns, secure mode).
//! - `shm/` (feature `shm`): shared memory between two processes of one host, over iceoryx2
//!   (every pattern; no secure mode, no reconnect yet).
//! - `memory.rs` (tests only): two ends joined by channels, to test the ends' protocol without
//!   sockets — and a second implementation, which keeps the interface honest.
//!
//! [`Link`] is the transport an end holds: an enum with a variant per transport (static
//! dispatch: the ends' futures stay `Send` and their types plain, where a `dyn` transport could
//! not have `async` methods and a type parameter would show in every public type). A second
//! transport is a module here, a variant of [`Link`] and an arm in [`Link::open`].

mod interface;
mod libzmq;
#[cfg(test)]
mod memory;
#[cfg(feature = "shm")]
mod shm;

use std::time::Duration;

pub(crate) use interface::{Received, Role, Transport};
#[cfg(test)]
pub(crate) use memory::pair as memory_pair;
#[cfg(feature = "shm")]
pub(crate) use shm::ShmLoan;

use crate::error::Result;
use crate::options::Options;
use crate::pattern::Protocol;
use crate::wire::Outgoing;

/// The transport of one end.
pub(crate) enum Link {
    /// libzmq: tcp or ipc.
    Zmq(libzmq::ZmqSocket),
    /// Shared memory (iceoryx2).
    #[cfg(feature = "shm")]
    Shm(shm::ShmLink),
    /// In memory, for the ends' own tests.
    #[cfg(test)]
    Memory(memory::MemoryLink),
}

impl Link {
    /// Opens the transport for `role` as the options say: binds (receive mode) or connects
    /// (send mode). Must be called inside a tokio runtime.
    pub(crate) fn open(opts: &Options, role: Role) -> Result<Link> {
        match opts.protocol {
            Protocol::Tcp | Protocol::Ipc => Ok(Link::Zmq(libzmq::open(opts, role)?)),
            #[cfg(feature = "shm")]
            Protocol::Shm => Ok(Link::Shm(shm::open(opts, role)?)),
            #[cfg(not(feature = "shm"))]
            Protocol::Shm => Err(crate::error::Error::InvalidOption(
                "protocol shm needs netgear built with the `shm` feature".into(),
            )),
        }
    }

    /// A new transport like this one, with a new connection (nothing of the old one's traffic
    /// can arrive on it).
    pub(crate) fn reopen(&self, opts: &Options, role: Role) -> Result<Link> {
        match self {
            Link::Zmq(_) => Link::open(opts, role),
            // Refused when the link opens (`Options::reconnect`).
            #[cfg(feature = "shm")]
            Link::Shm(_) => Err(crate::error::Error::InvalidOption(
                "reconnect is not supported over shm yet".into(),
            )),
            #[cfg(test)]
            Link::Memory(_) => Err(crate::error::Error::Closed),
        }
    }
}

/// Calls the same method on whichever transport `$link` is.
macro_rules! dispatch {
    ($link:expr, $t:ident => $call:expr) => {
        match $link {
            Link::Zmq($t) => $call,
            #[cfg(feature = "shm")]
            Link::Shm($t) => $call,
            #[cfg(test)]
            Link::Memory($t) => $call,
        }
    };
}

impl Transport for Link {
    fn endpoint(&self) -> &str {
        dispatch!(self, t => t.endpoint())
    }

    fn local_endpoint(&self) -> &str {
        dispatch!(self, t => t.local_endpoint())
    }

    async fn send(&self, msg: &Outgoing, timeout: Duration, what: &'static str) -> Result<()> {
        dispatch!(self, t => t.send(msg, timeout, what).await)
    }

    async fn recv(&self, timeout: Duration, what: &'static str) -> Result<Received> {
        dispatch!(self, t => t.recv(timeout, what).await)
    }

    fn peer_mark(&self) -> u32 {
        dispatch!(self, t => t.peer_mark())
    }

    async fn recv_answer(
        &self,
        timeout: Duration,
        what: &'static str,
        mark: u32,
    ) -> Result<Received> {
        dispatch!(self, t => t.recv_answer(timeout, what, mark).await)
    }

    fn alone(&self) -> Option<bool> {
        dispatch!(self, t => t.alone())
    }

    fn departures(&self) -> u32 {
        dispatch!(self, t => t.departures())
    }

    fn arrivals(&self) -> u32 {
        dispatch!(self, t => t.arrivals())
    }

    fn peer_up(&self) -> Option<bool> {
        dispatch!(self, t => t.peer_up())
    }

    async fn await_peer(&self, timeout: Duration) -> Result<()> {
        dispatch!(self, t => t.await_peer(timeout).await)
    }

    fn subscribers_changed(&self) -> Result<Option<bool>> {
        dispatch!(self, t => t.subscribers_changed())
    }

    async fn await_subscriber(&self, timeout: Duration) -> Result<()> {
        dispatch!(self, t => t.await_subscriber(timeout).await)
    }

    async fn subscriber_left(&self, within: Duration) -> Result<bool> {
        dispatch!(self, t => t.subscriber_left(within).await)
    }

    fn dropped(&self) -> u64 {
        dispatch!(self, t => t.dropped())
    }

    fn unsubscribe(&self) -> Result<()> {
        dispatch!(self, t => t.unsubscribe())
    }

    fn set_linger(&self, linger: Duration) -> Result<()> {
        dispatch!(self, t => t.set_linger(linger))
    }
}
