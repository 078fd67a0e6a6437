//! An in-memory transport, for tests: two ends joined by a pair of bounded channels, no
//! sockets and no timers but the ones a wait asks for. It runs the ends' protocol (lock-step,
//! the in-flight window, data and frame answers, termination, mismatches) deterministically and
//! fast, and shows that an end speaks only to the [`Transport`] interface.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{Mutex, mpsc};

use super::interface::{Received, Transport};
use crate::error::{Error, PeerStatus, Result};
use crate::wire::{DecodeError, Outgoing};

/// Messages in flight each way before a send waits (as a high-water mark does).
const CAPACITY: usize = 4;

/// One end of an in-memory link.
#[derive(Debug)]
pub(crate) struct MemoryLink {
    tx: mpsc::Sender<Vec<Bytes>>,
    rx: Mutex<mpsc::Receiver<Vec<Bytes>>>,
    /// Set once the other end has been dropped and this one has seen it.
    lost: AtomicU32,
    endpoint: String,
}

/// Two joined ends: what one sends, the other receives.
pub(crate) fn pair() -> (MemoryLink, MemoryLink) {
    let (a_tx, b_rx) = mpsc::channel(CAPACITY);
    let (b_tx, a_rx) = mpsc::channel(CAPACITY);
    let end = |tx, rx| MemoryLink {
        tx,
        rx: Mutex::new(rx),
        lost: AtomicU32::new(0),
        endpoint: "memory://".into(),
    };
    (end(a_tx, a_rx), end(b_tx, b_rx))
}

/// A received message as a transport hands it over: at most `MAX_PARTS` parts.
fn received(parts: Vec<Bytes>) -> Result<Received> {
    let got = parts.len();
    let mut msg = Received::default();
    for part in parts {
        if !msg.push(part) {
            return Err(DecodeError::PartCount {
                what: "message",
                expected: super::interface::MAX_PARTS,
                got,
            }
            .into());
        }
    }
    Ok(msg)
}

impl MemoryLink {
    fn timeout(&self, after: Duration, what: &'static str) -> Error {
        Error::Timeout {
            after,
            waiting_for: what,
            peer: PeerStatus::Connected,
        }
    }

    fn gone(&self, what: &'static str) -> Error {
        self.lost.store(1, Ordering::Relaxed);
        Error::PeerGone {
            endpoint: self.endpoint.clone(),
            waiting_for: what,
        }
    }
}

impl Transport for MemoryLink {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn local_endpoint(&self) -> &str {
        &self.endpoint
    }

    async fn send(&self, msg: &Outgoing, timeout: Duration, what: &'static str) -> Result<()> {
        match tokio::time::timeout(timeout, self.tx.send(msg.to_parts())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(self.gone(what)),
            Err(_) => Err(self.timeout(timeout, what)),
        }
    }

    async fn recv(&self, timeout: Duration, what: &'static str) -> Result<Received> {
        let mut rx = self.rx.lock().await;
        match tokio::time::timeout(timeout, rx.recv()).await {
            Ok(Some(parts)) => received(parts),
            Ok(None) => Err(self.gone(what)),
            Err(_) => Err(self.timeout(timeout, what)),
        }
    }

    fn peer_mark(&self) -> u32 {
        self.lost.load(Ordering::Relaxed)
    }

    async fn recv_answer(
        &self,
        timeout: Duration,
        what: &'static str,
        _mark: u32,
    ) -> Result<Received> {
        self.recv(timeout, what).await
    }

    fn alone(&self) -> Option<bool> {
        self.tx.is_closed().then_some(true)
    }

    fn departures(&self) -> u32 {
        self.lost.load(Ordering::Relaxed)
    }

    /// The two ends are made together: no peer joins later.
    fn arrivals(&self) -> u32 {
        0
    }

    fn peer_up(&self) -> Option<bool> {
        Some(!self.tx.is_closed())
    }

    async fn await_peer(&self, _timeout: Duration) -> Result<()> {
        Ok(())
    }

    fn subscribers_changed(&self) -> Result<Option<bool>> {
        Ok(None)
    }

    async fn await_subscriber(&self, _timeout: Duration) -> Result<()> {
        Ok(())
    }

    async fn subscriber_left(&self, _within: Duration) -> Result<bool> {
        Ok(true)
    }

    /// Nothing is dropped: a send waits for room.
    fn dropped(&self) -> u64 {
        0
    }

    fn unsubscribe(&self) -> Result<()> {
        Ok(())
    }

    fn set_linger(&self, _linger: Duration) -> Result<()> {
        Ok(())
    }
}
