//! What the ends ask of a transport ([`Transport`]), and what a transport gives them back
//! ([`Received`]). A leaf: the ends and every transport build on it.

use std::future::Future;
use std::ops::Deref;
use std::time::Duration;

use bytes::Bytes;

use crate::error::Result;
use crate::wire::Outgoing;

/// Which side of the pattern an end is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Send mode: connects.
    Send,
    /// Receive mode: binds.
    Receive,
}

/// Received parts of one message at most; a transport refuses a message with more, without
/// storing them (no message of the protocol has more than two).
pub(crate) const MAX_PARTS: usize = 4;

/// The parts of one received message, held without a heap allocation of their own.
#[derive(Debug, Default)]
pub(crate) struct Received {
    parts: [Bytes; MAX_PARTS],
    len: usize,
}

impl Received {
    /// Adds a part; `false` (the part dropped) once [`MAX_PARTS`] are held.
    pub(crate) fn push(&mut self, part: Bytes) -> bool {
        let Some(slot) = self.parts.get_mut(self.len) else {
            return false;
        };
        *slot = part;
        self.len += 1;
        true
    }

    /// The bytes of all its parts, as they came on the wire.
    pub(crate) fn wire_len(&self) -> usize {
        self.iter().map(Bytes::len).sum()
    }
}

impl Deref for Received {
    type Target = [Bytes];

    fn deref(&self) -> &[Bytes] {
        &self.parts[..self.len]
    }
}

/// A transport: one end's connection to its peers in one messaging pattern, moving whole
/// messages ([`Outgoing`] out, [`Received`] in) with every wait bounded, and telling what it
/// knows of its peers. The ends ([`Server`](crate::Server), [`Client`](crate::Client)) speak
/// to nothing else: the protocol (what to send when, lock-step, termination) is theirs, bytes
/// are the wire layer's, and moving them is the transport's.
///
/// Every wait fails with [`Error::Timeout`](crate::Error::Timeout) after its timeout, naming
/// `what` it waited for and what the transport saw of its peers. Dropping a transport may block
/// for as long as [`Transport::set_linger`] allows (messages still draining): the ends drop it
/// off the async reactor.
pub(crate) trait Transport: Send + Sync {
    /// The endpoint this end was asked to bind or connect.
    fn endpoint(&self) -> &str;

    /// The endpoint in effect: as bound (the port the kernel picked for port 0), or as
    /// connected.
    fn local_endpoint(&self) -> &str;

    /// Sends one message, waiting at most `timeout` for room.
    fn send(
        &self,
        msg: &Outgoing,
        timeout: Duration,
        what: &'static str,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Receives one message, waiting at most `timeout`.
    fn recv(
        &self,
        timeout: Duration,
        what: &'static str,
    ) -> impl Future<Output = Result<Received>> + Send;

    /// A mark to give [`Transport::recv_answer`]: how many connected peers have gone so far.
    fn peer_mark(&self) -> u32;

    /// Receives the answer to a message sent, waiting at most `timeout`; fails with
    /// [`Error::PeerGone`](crate::Error::PeerGone) as soon as the peer that was connected when
    /// `mark` was taken has gone (its answer will not come).
    fn recv_answer(
        &self,
        timeout: Duration,
        what: &'static str,
        mark: u32,
    ) -> impl Future<Output = Result<Received>> + Send;

    /// Whether no peer is connected now, as far as the transport has seen: `Some(true)` if one
    /// was and has left, `Some(false)` if none has come yet, `None` while one is connected (or
    /// when it cannot tell).
    fn alone(&self) -> Option<bool>;

    /// How many connections have ended so far: an answer owed to a frame received at one
    /// count must not go out at another (in PAIR it would reach the next peer).
    fn departures(&self) -> u32;

    /// How many connections have completed their handshake so far (peers that joined): a
    /// sender of an inter-frame codec starts each newcomer at a key frame. 0 when the
    /// transport cannot tell.
    fn arrivals(&self) -> u32;

    /// Whether a peer of this (connecting) end is connected and has completed the handshake;
    /// `None` when the transport cannot tell.
    fn peer_up(&self) -> Option<bool>;

    /// Waits until a peer of this (connecting) end is connected and has completed the
    /// handshake (at once if one is), at most `timeout`.
    fn await_peer(&self, timeout: Duration) -> impl Future<Output = Result<()>> + Send;

    /// PUB/SUB, send side: takes in the subscription changes waiting, without waiting; the
    /// newest tells where things stand: `Some(true)` a subscriber came, `Some(false)` the last
    /// one left, `None` nothing changed.
    fn subscribers_changed(&self) -> Result<Option<bool>>;

    /// PUB/SUB, send side: waits until a subscriber is there to take messages.
    fn await_subscriber(&self, timeout: Duration) -> impl Future<Output = Result<()>> + Send;

    /// PUB/SUB, send side: whether a subscriber says within `within` that it has left.
    fn subscriber_left(&self, within: Duration) -> impl Future<Output = Result<bool>> + Send;

    /// PUB/SUB, send side: how many messages so far went to no subscriber because one had no
    /// room for them (a send that never waits drops them), when the transport can tell — 0
    /// otherwise. A sender of an inter-frame codec makes the frame after a drop a key frame:
    /// a receiver that missed a frame can decode nothing before one.
    fn dropped(&self) -> u64;

    /// PUB/SUB, receive side: tells the publisher that this end has left.
    fn unsubscribe(&self) -> Result<()>;

    /// Lets messages still queued drain for at most `linger` when the transport is dropped.
    fn set_linger(&self, linger: Duration) -> Result<()>;
}
