//! [`ShmLink`]: one end's shared-memory link, and its [`Transport`] methods.
//!
//! A send writes the message's parts into one loaned slot (one copy, the only one), publishes
//! it and notifies the peer's listener; a receive takes the next sample, woken by the listener's
//! file descriptor registered with tokio (no thread, no polling while messages come). Every wait
//! is bounded by its timeout, and looks at the peer every [`TICK`] while it waits: whether its
//! ports are still there, once [`ports::reap`] has removed those of dead processes (at most
//! every [`REAP_EVERY`]). That is how a killed peer is found: a send-mode end waiting for the
//! answer of a peer that was killed fails with [`Error::PeerGone`] within a few hundred
//! milliseconds, not at its timeout.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use iceoryx2::port::listener::Listener;
use iceoryx2::prelude::FileDescriptorBased;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::time::Instant;

use super::envelope;
use super::ports::{self, Ports, Svc};
use super::received;
use crate::error::{Error, PeerStatus, Result};
use crate::pattern::Pattern;
use crate::transport::interface::{Received, Transport};
use crate::wire::Outgoing;

/// How often a wait looks at the peer's ports (and retries a send that found no room).
const TICK: Duration = Duration::from_millis(20);

/// How often a wait looks for dead processes' nodes (a directory listing and a lock each).
const REAP_EVERY: Duration = Duration::from_millis(200);

/// The listener's file descriptor (a unix datagram socket), for tokio. (Boxed, as the ports
/// are: iceoryx2's ports are kilobytes.)
struct Wake(Box<Listener<Svc>>);

impl AsRawFd for Wake {
    fn as_raw_fd(&self) -> RawFd {
        // SAFETY: the descriptor belongs to the listener, which this struct owns: it stays open
        // as long as the `AsyncFd` that holds this struct, and is closed only by the listener.
        unsafe { self.0.file_descriptor().native_handle() }
    }
}

/// What this end has seen of its peer.
#[derive(Debug, Default)]
struct Watch {
    up: bool,
    /// PUB/SUB: the subscribers as last reported by `subscribers_changed`.
    subscribers: usize,
    arrivals: u32,
    departures: u32,
    reaped: Option<Instant>,
}

/// One end of a shared-memory stream.
pub(crate) struct ShmLink {
    // Declared first: deregistered from tokio before the ports (and the listener) go.
    wake: AsyncFd<Wake>,
    pub(super) ports: Box<Ports>,
    watch: Mutex<Watch>,
    /// Received samples lent out as `Bytes` (see `received`).
    lent: Arc<AtomicUsize>,
    pub(super) endpoint: String,
    /// The largest envelope this end sends (its slot) and accepts.
    pub(super) slot: usize,
    pub(super) pattern: Pattern,
}

impl std::fmt::Debug for ShmLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShmLink")
            .field("endpoint", &self.endpoint)
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

impl ShmLink {
    /// The link over `ports`, `listener` registered with tokio (inside a runtime). Tells a peer
    /// already there that this end has come.
    pub(super) fn new(
        ports: Ports,
        listener: Listener<Svc>,
        endpoint: String,
        slot: usize,
        pattern: Pattern,
    ) -> Result<ShmLink> {
        // SAFETY: the descriptor is the listener's, which `Wake` owns and the `AsyncFd` holds:
        // it is open for as long as it is registered, and closed only when the `AsyncFd` (which
        // deregisters it first) drops the listener.
        let wake = unsafe {
            AsyncFd::register_with_interest(Wake(Box::new(listener)), Interest::READABLE)
        }
        .map_err(std::io::Error::from)?;
        let link = ShmLink {
            wake,
            ports: Box::new(ports),
            watch: Mutex::new(Watch::default()),
            lent: Arc::new(AtomicUsize::new(0)),
            endpoint,
            slot,
            pattern,
        };
        link.look(false);
        // A peer waiting for this end wakes (it looks at the ports again).
        link.ports
            .notifier
            .notify()
            .map_err(|e| ports::failed("notifying the peer", e))?;
        Ok(link)
    }

    fn watch(&self) -> MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Looks at the peer's ports (after removing those of dead processes, with `reap`, at most
    /// every [`REAP_EVERY`]), counts an arrival or a departure, and says whether it is there.
    pub(super) fn look(&self, reap: bool) -> bool {
        let mut watch = self.watch();
        if reap && watch.reaped.is_none_or(|t| t.elapsed() >= REAP_EVERY) {
            watch.reaped = Some(Instant::now());
            let removed = ports::reap(&self.ports.config);
            if removed > 0 {
                tracing::debug!(removed, "removed the resources of dead shm peers");
            }
        }
        let up = self.ports.peer_present();
        if up != watch.up {
            if up {
                watch.arrivals += 1;
            } else {
                watch.departures += 1;
            }
            watch.up = up;
        }
        up
    }

    fn peer_status(&self) -> PeerStatus {
        let watch = self.watch();
        if watch.up {
            PeerStatus::Connected
        } else if watch.arrivals == 0 {
            PeerStatus::NeverConnected
        } else {
            PeerStatus::Disconnected
        }
    }

    /// Takes in the listener's notifications (any number, merged).
    fn drain(&self) -> Result<()> {
        self.wake
            .get_ref()
            .0
            .try_wait(|_| {})
            .map_err(|e| ports::failed("the listener", e))?;
        Ok(())
    }

    /// Runs `attempt` until it gives a value, waking for the peer's notifications and every
    /// [`TICK`] (when the peer is looked at); [`Error::Timeout`] after `timeout`.
    pub(super) async fn wait<T>(
        &self,
        timeout: Duration,
        what: &'static str,
        mut attempt: impl FnMut(&ShmLink) -> Result<Option<T>>,
    ) -> Result<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = attempt(self)? {
                return Ok(value);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    after: timeout,
                    waiting_for: what,
                    peer: self.peer_status(),
                });
            }
            match tokio::time::timeout_at(deadline.min(now + TICK), self.wake.readable()).await {
                Ok(ready) => {
                    let mut guard = ready?;
                    // Notifications that come after this are new readiness: not cleared.
                    self.drain()?;
                    guard.clear_ready();
                }
                Err(_) => {
                    self.look(true);
                }
            }
        }
    }

    /// One attempt at sending: `None` while there is no peer to take the message, or no room.
    /// PUB/SUB never waits: the message goes to the subscribers there are (none: dropped),
    /// the newest replacing any a subscriber has not taken yet.
    fn try_send(&self, parts: &[&[u8]], len: usize) -> Result<Option<()>> {
        let broadcast = self.pattern == Pattern::PubSub;
        if !self.look(false) && !broadcast {
            return Ok(None);
        }
        let mut sample = match self.ports.publisher.loan_slice_uninit(len) {
            Ok(sample) => sample,
            // Every slot is held by the peer: wait for one to come back.
            Err(iceoryx2::port::LoanError::OutOfMemory) => return Ok(None),
            Err(e) => return Err(ports::failed("loaning a slot", e)),
        };
        envelope::write(sample.payload_mut(), parts);
        // SAFETY: `envelope::write` initialised every byte of the slice.
        let sample = unsafe { sample.assume_init() };
        match sample.send() {
            // Delivered to the peer's subscriber.
            Ok(n) if n > 0 || broadcast => {}
            // The peer left between the look and the send.
            Ok(_) => return Ok(None),
            // Its queue is full (the back-pressure handler discards and fails): try again.
            Err(iceoryx2::port::SendError::UnableToDeliver) => return Ok(None),
            Err(e) => return Err(ports::failed("sending", e)),
        }
        self.ports
            .notifier
            .notify()
            .map_err(|e| ports::failed("notifying the peer", e))?;
        Ok(Some(()))
    }

    /// One attempt at receiving.
    fn try_recv(&self) -> Result<Option<Received>> {
        let taken = {
            let subscriber = self
                .ports
                .subscriber
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // Unsubscribed (PUB/SUB, after the end of the stream).
            let Some(subscriber) = subscriber.as_ref() else {
                return Err(Error::Closed);
            };
            subscriber.receive()
        };
        let sample = match taken {
            Ok(Some(sample)) => sample,
            Ok(None) => return Ok(None),
            Err(e) => return Err(ports::failed("receiving", e)),
        };
        // PUSH/PULL: the sender may be waiting for room (in lock-step it waits for the answer
        // instead).
        if self.pattern == Pattern::PushPull {
            self.ports
                .notifier
                .notify()
                .map_err(|e| ports::failed("notifying the peer", e))?;
        }
        received::parts(sample, &self.lent, self.slot).map(Some)
    }
}

impl Transport for ShmLink {
    /// `shm://ADDRESS:PORT`.
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn local_endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Waits (at most `timeout`) for a peer to take the message, and for room in its queue.
    async fn send(&self, msg: &Outgoing, timeout: Duration, what: &'static str) -> Result<()> {
        let head = msg.first();
        let parts: &[&[u8]] = match msg.frame_part() {
            Some(frame) => &[head, frame],
            None => &[head],
        };
        let len = envelope::encoded_len(parts);
        if len > self.slot {
            return Err(Error::MessageTooLarge {
                size: len,
                limit: self.slot,
            });
        }
        self.wait(timeout, what, |link| link.try_send(parts, len))
            .await
    }

    async fn recv(&self, timeout: Duration, what: &'static str) -> Result<Received> {
        self.wait(timeout, what, ShmLink::try_recv).await
    }

    /// How many times the peer has gone so far.
    fn peer_mark(&self) -> u32 {
        self.look(false);
        self.watch().departures
    }

    /// Fails with [`Error::PeerGone`] once the peer that was there at `mark` has gone (a
    /// message it sent before it went is still taken).
    async fn recv_answer(
        &self,
        timeout: Duration,
        what: &'static str,
        mark: u32,
    ) -> Result<Received> {
        self.wait(timeout, what, |link| {
            let gone = link.watch().departures != mark;
            match link.try_recv()? {
                Some(msg) => Ok(Some(msg)),
                None if gone => Err(Error::PeerGone {
                    endpoint: link.endpoint.clone(),
                    waiting_for: what,
                }),
                None => Ok(None),
            }
        })
        .await
    }

    fn alone(&self) -> Option<bool> {
        if self.look(false) {
            return None;
        }
        Some(self.watch().arrivals > 0)
    }

    fn departures(&self) -> u32 {
        self.look(false);
        self.watch().departures
    }

    fn arrivals(&self) -> u32 {
        self.look(false);
        self.watch().arrivals
    }

    fn peer_up(&self) -> Option<bool> {
        Some(self.look(false))
    }

    async fn await_peer(&self, timeout: Duration) -> Result<()> {
        self.wait(timeout, "the peer to come back", |link| {
            Ok(link.look(false).then_some(()))
        })
        .await
    }

    /// The subscribers' count against the last one reported: up is a subscriber come, down to
    /// none the last one gone (dead ones removed first, at most every [`REAP_EVERY`]).
    fn subscribers_changed(&self) -> Result<Option<bool>> {
        self.look(true);
        let now = self.ports.subscribers();
        let before = std::mem::replace(&mut self.watch().subscribers, now);
        Ok(if now > before {
            Some(true)
        } else if now == 0 && before > 0 {
            Some(false)
        } else {
            None
        })
    }

    /// Woken by a subscriber's ports as they come (it notifies when it opens).
    async fn await_subscriber(&self, timeout: Duration) -> Result<()> {
        let count = self
            .wait(timeout, "a subscriber", |link| {
                link.look(false);
                let n = link.ports.subscribers();
                Ok((n > 0).then_some(n))
            })
            .await?;
        self.watch().subscribers = count;
        Ok(())
    }

    /// Whether every subscriber has left within `within` (a subscriber that unsubscribes
    /// notifies).
    async fn subscriber_left(&self, within: Duration) -> Result<bool> {
        let left = self
            .wait(within, "the subscribers to leave", |link| {
                Ok((link.ports.subscribers() == 0).then_some(()))
            })
            .await;
        match left {
            Ok(()) => Ok(true),
            Err(Error::Timeout { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Not told: a subscriber's full queue gives up its oldest sample to the newest
    /// (iceoryx2's safe overflow), unseen by the publisher.
    fn dropped(&self) -> u64 {
        0
    }

    /// Drops this end's subscriber, and tells the sender.
    fn unsubscribe(&self) -> Result<()> {
        let subscriber = self
            .ports
            .subscriber
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(subscriber);
        self.ports
            .notifier
            .notify()
            .map_err(|e| ports::failed("notifying the peer", e))?;
        Ok(())
    }

    /// Nothing to drain: a message delivered stays in the peer's queue after this end has
    /// gone, until the peer takes it.
    fn set_linger(&self, _linger: Duration) -> Result<()> {
        Ok(())
    }
}
