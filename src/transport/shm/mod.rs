//! The shared-memory transport ([`Protocol::Shm`](crate::Protocol::Shm), feature `shm`): two
//! processes of one host, over iceoryx2. A frame is copied once, into a slot of memory both
//! ends map, and received without a copy: the receiver's `Bytes` borrow the slot.
//!
//! - `ports.rs`: the iceoryx2 side: configuration, the stream's services and their QoS (the
//!   memory they may take), this end's ports, the removal of dead processes' leftovers;
//! - `envelope.rs`: a message's parts in one slot, behind a table the receiver checks;
//! - `received.rs`: a received slot as `Bytes` that borrow it;
//! - `link.rs`: [`ShmLink`] and its [`Transport`](crate::transport::Transport) methods: bounded
//!   waits woken through tokio, the peer watched;
//! - `loan.rs`: a frame written in place, in a slot loaned before it exists ([`ShmLoan`]).
//!
//! In patterns 0 and 1 the ends go in lock-step: the answer wakes the sender. In pattern 3
//! (PUSH/PULL) a receiver that takes a message wakes the sender too, which may be waiting for
//! room in its queue ([`BUFFER`](ports::BUFFER) messages). In pattern 2 (PUB/SUB) up to
//! [`SUBSCRIBERS`](ports::SUBSCRIBERS) receivers subscribe; the sender never waits for them, a
//! subscriber's queue keeps the newest two messages (so that the end message never takes the
//! last frame's place).
//!
//! What it does not do yet is refused when the link opens ([`open`]): secure mode (there is
//! no network to protect; the files are this user's) and [`Options::reconnect`].
//!
//! Memory: each end's publisher has a pool of [`pool_slots`](ports::pool_slots) slots (7; 22
//! in PUB/SUB) of `min(max_message_size, 32 MiB)` bytes and a few hundred more (see
//! [`ports::MAX_SLOT`]), fixed when it is created
//! ([`AllocationStrategy::Static`](iceoryx2::prelude::AllocationStrategy)): mapped at once,
//! backed by memory as it is written. A message that does not fit fails at the sender with
//! [`Error::MessageTooLarge`](crate::Error::MessageTooLarge). (A receiver of patterns 2 and 3,
//! which never answers, has a pool of tiny slots.)
//!
//! Trust: both ends are processes of the same user. iceoryx2 takes a sample's length from a
//! header the publisher writes in shared memory; our own table of parts is checked against it
//! before any part is read, but a peer that writes into memory it has handed over could still
//! change bytes under the receiver.

mod envelope;
mod link;
mod loan;
mod ports;
mod received;

pub(crate) use link::ShmLink;
pub(crate) use loan::ShmLoan;

use crate::error::{Error, Result};
use crate::options::{DEFAULT_SHM_ADDRESS, Options};
use crate::transport::interface::Role;

/// Opens the shared-memory link of an end: the stream's services (made by whichever end comes
/// first), this end's ports, registered with tokio. Refuses what shm does not carry yet with
/// [`Error::InvalidOption`].
pub(crate) fn open(opts: &Options, role: Role) -> Result<ShmLink> {
    if opts.secure.is_some() {
        return Err(Error::InvalidOption(
            "secure mode is not supported over shm: the stream never leaves this host, and its \
             files are this user's only"
                .into(),
        ));
    }
    if opts.reconnect {
        return Err(Error::InvalidOption(
            "reconnect is not supported over shm yet".into(),
        ));
    }
    if opts.max_in_flight > ports::BUFFER {
        return Err(Error::InvalidOption(format!(
            "max_in_flight {} over shm: at most {} frames can be in flight there",
            opts.max_in_flight,
            ports::BUFFER
        )));
    }
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(Error::NoRuntime);
    }
    let address = opts.address.as_deref().unwrap_or(DEFAULT_SHM_ADDRESS);
    let endpoint = format!("shm://{address}:{}", opts.port);
    let (ports, listener) = ports::Ports::open(opts, role, address)?;
    let slot = ports::slot_len(opts);
    tracing::debug!(
        endpoint,
        slot,
        pool_bytes = ports::pool_slots(opts.pattern) * slot,
        "shared-memory link open"
    );
    ShmLink::new(ports, listener, endpoint, slot, opts.pattern)
}

#[cfg(test)]
mod tests;
