//! One libzmq socket on tokio.
//!
//! libzmq signals readiness through one file descriptor (`ZMQ_FD`) that is edge-triggered and
//! shared by both directions: it turns readable when commands (a peer's message arrived, room
//! freed up) wait in the socket's mailbox, and libzmq takes them in inside its own calls.
//! [`ZmqSocket`] registers that fd with tokio and always tries the non-blocking operation first,
//! waiting only on `EAGAIN`, so no thread is added and an operation that can complete costs no
//! poll. After an `EAGAIN` it clears only the readiness it saw *before* the attempt (tokio keeps
//! any signal that came later): a receive that finds nothing has taken in every pending command
//! itself, and a send that finds no room is followed by a `ZMQ_EVENTS` read, which does — so no
//! wake-up is lost, and the common path pays no `ZMQ_EVENTS` call. Only an operation that has to
//! wait uses a timer, and the timer is kept from one wait to the next.

use std::future::{Future, poll_fn};
use std::os::fd::RawFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::time::{Instant, Sleep};

use super::monitor::Monitor;
use super::parts::{Part, send_part, try_recv_parts};
use crate::error::{Error, PeerStatus, Result};
use crate::secure::ZapHandler;
use crate::transport::interface::{Received, Transport};
use crate::wire::Outgoing;

/// How long an answer is still looked for once its peer is known to have gone (see
/// `recv_answer`).
const GONE_GRACE: Duration = Duration::from_millis(100);

/// One async ZeroMQ socket.
pub(crate) struct ZmqSocket {
    // Declared first so that it is deregistered before the socket (which owns the fd) closes.
    fd: AsyncFd<RawFd>,
    /// libzmq's events about the socket's connections; closed before the socket.
    monitor: Option<Monitor>,
    sock: Mutex<zmq::Socket>,
    endpoint: String,
    /// The endpoint as bound (`ZMQ_LAST_ENDPOINT`); the one connected for a connecting socket.
    local_endpoint: String,
    pattern: u8,
    /// The timer of the last operation that waited, kept for the next one (see `bounded`).
    spare_timer: Mutex<Option<Pin<Box<Sleep>>>>,
    /// Secure mode's ZAP handler (an ironhouse receiver), stopped after the socket closes.
    _zap: Option<ZapHandler>,
    /// An XPUB that sends each message to every subscriber or to none (`ZMQ_XPUB_NODROP`):
    /// the messages that found a subscriber without room, dropped (see `publish`).
    dropped: Option<AtomicU64>,
}

impl ZmqSocket {
    /// The socket, bound or connected, registered with tokio (inside a runtime).
    pub(super) fn new(
        sock: zmq::Socket,
        monitor: Option<Monitor>,
        endpoint: String,
        local_endpoint: String,
        pattern: u8,
        zap: Option<ZapHandler>,
        all_or_none: bool,
    ) -> Result<ZmqSocket> {
        let raw = sock.get_fd()?;
        // SAFETY: `raw` is the socket's `ZMQ_FD`, open for as long as the socket is; the socket
        // is dropped after this `AsyncFd` (field order in `ZmqSocket`), and the fd is never
        // closed by us.
        let fd = unsafe { AsyncFd::register_with_interest(raw, Interest::READABLE) }
            .map_err(std::io::Error::from)?;
        Ok(ZmqSocket {
            fd,
            monitor,
            sock: Mutex::new(sock),
            endpoint,
            local_endpoint,
            pattern,
            spare_timer: Mutex::new(None),
            _zap: zap,
            dropped: all_or_none.then(AtomicU64::default),
        })
    }

    /// What the monitor has seen of the peers, for a timeout's message.
    fn peer_status(&self) -> PeerStatus {
        let Some(monitor) = &self.monitor else {
            return PeerStatus::Unknown;
        };
        let peers = monitor.poll(None);
        let open = peers.connections.saturating_sub(peers.disconnects);
        if peers.connections == 0 {
            PeerStatus::NeverConnected
        } else if peers.handshakes == 0 && peers.disconnects > 0 {
            PeerStatus::HandshakeFailed {
                attempts: peers.disconnects,
                pattern: self.pattern,
            }
        } else if open == 0 {
            PeerStatus::Disconnected
        } else {
            PeerStatus::Connected
        }
    }

    fn sock(&self) -> MutexGuard<'_, zmq::Socket> {
        self.sock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `attempt` until it completes or fails otherwise than with `EAGAIN`; between attempts
    /// it waits for a `ZMQ_FD` signal newer than the last attempt (see the module doc).
    ///
    /// `takes_signals`: whether an attempt that fails with `EAGAIN` has taken in every pending
    /// command (a receive); otherwise `ZMQ_EVENTS` is read for `want`, which does.
    fn poll_io<T>(
        &self,
        cx: &mut Context<'_>,
        want: zmq::PollEvents,
        takes_signals: bool,
        mut attempt: impl FnMut(&mut zmq::Socket) -> Result<T>,
    ) -> Poll<Result<T>> {
        loop {
            // The readiness before the attempt: what the attempt accounts for, and all that may be
            // cleared if it finds nothing to do. (`Pending` registers the waker, so a signal that
            // comes during the attempt wakes this task.)
            let before = match self.fd.poll_read_ready(cx) {
                Poll::Ready(Ok(guard)) => Some(guard),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Pending => None,
            };
            {
                let mut sock = self.sock();
                match attempt(&mut sock) {
                    Err(Error::Zmq(zmq::Error::EAGAIN)) => {}
                    other => return Poll::Ready(other),
                }
                if !takes_signals {
                    match sock.get_events() {
                        Ok(events) if events.contains(want) => continue,
                        Ok(_) => {}
                        Err(e) => return Poll::Ready(Err(e.into())),
                    }
                }
            }
            let Some(mut guard) = before else {
                return Poll::Pending;
            };
            guard.clear_ready();
            // Ready again only if a signal came after `before`: then try again.
            drop(ready!(self.fd.poll_read_ready(cx)).map_err(Error::from)?);
        }
    }

    /// Polls `op` to completion, failing with [`Error::Timeout`] if it has not completed within
    /// `timeout` of its first wait.
    ///
    /// Arming a tokio timer for every wait (and cancelling it when the wait ends, in a
    /// millisecond) costs more than the rest of a small message's bookkeeping, so one timer is
    /// kept from wait to wait: it is moved to an earlier deadline when needed, and otherwise left
    /// armed at the last one — it then fires early, at most once per `timeout`, and is moved on.
    async fn bounded<T>(
        &self,
        timeout: Duration,
        what: &'static str,
        mut op: impl FnMut(&mut Context<'_>) -> Poll<Result<T>>,
    ) -> Result<T> {
        let mut deadline = None;
        let mut timer: Option<Pin<Box<Sleep>>> = None;
        let result = poll_fn(|cx| {
            if let Poll::Ready(result) = op(cx) {
                return Poll::Ready(result);
            }
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + timeout);
            let timer = timer.get_or_insert_with(|| {
                let spare = self
                    .spare_timer
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                spare.unwrap_or_else(|| Box::pin(tokio::time::sleep_until(deadline)))
            });
            loop {
                if timer.deadline() > deadline {
                    timer.as_mut().reset(deadline);
                }
                ready!(timer.as_mut().poll(cx));
                if Instant::now() >= deadline {
                    return Poll::Ready(Err(Error::Timeout {
                        after: timeout,
                        waiting_for: what,
                        peer: self.peer_status(),
                    }));
                }
                timer.as_mut().reset(deadline);
            }
        })
        .await;
        if let Some(timer) = timer {
            *self
                .spare_timer
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(timer);
        }
        result
    }

    /// Sends one multipart message, waiting at most `timeout` for room.
    pub(super) async fn send_parts<'a>(
        &self,
        parts: impl IntoIterator<Item = Part<'a>>,
        timeout: Duration,
        what: &'static str,
    ) -> Result<()> {
        let mut parts = parts.into_iter().peekable();
        let mut current = parts.next();
        self.bounded(timeout, what, |cx| {
            while let Some(part) = &current {
                let more = parts.peek().is_some();
                let flags = zmq::DONTWAIT | if more { zmq::SNDMORE } else { 0 };
                let sent =
                    self.poll_io(cx, zmq::POLLOUT, false, |sock| send_part(sock, part, flags));
                ready!(sent)?;
                current = parts.next();
            }
            Poll::Ready(Ok(()))
        })
        .await
    }

    /// A send of an all-or-none XPUB (`ZMQ_XPUB_NODROP`): one attempt, never a wait. When a
    /// subscriber has no room for the message its first part fails (`EAGAIN`), sent to
    /// nobody: the message is dropped and counted. Its other parts cannot fail so: room is
    /// counted in whole messages, and only grows while one is being sent.
    fn publish(&self, msg: &Outgoing, dropped: &AtomicU64) -> Result<()> {
        let mut sock = self.sock();
        let frame = msg.frame_part().map(|f| Part::Share(f.clone()));
        let more = if frame.is_some() { zmq::SNDMORE } else { 0 };
        match send_part(&mut sock, &Part::Copy(msg.first()), zmq::DONTWAIT | more) {
            Err(Error::Zmq(zmq::Error::EAGAIN)) => {
                dropped.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            sent => sent?,
        }
        match frame {
            Some(frame) => send_part(&mut sock, &frame, zmq::DONTWAIT),
            None => Ok(()),
        }
    }
}

impl Transport for ZmqSocket {
    /// The endpoint this socket bound or connected, as asked for.
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The endpoint this socket bound, as libzmq resolved it (the port the kernel picked for
    /// port 0); for a connecting socket, the endpoint connected.
    fn local_endpoint(&self) -> &str {
        &self.local_endpoint
    }

    async fn send(&self, msg: &Outgoing, timeout: Duration, what: &'static str) -> Result<()> {
        if self.pattern == 2 {
            // PUB drops a message for a subscriber whose pipe looks full, and a pipe looks full
            // until the socket has taken in the reader's notice that it read the last one; a
            // send takes in such notices at most once a millisecond. With a high-water mark of
            // 1, frames sent faster than that were dropped although the subscriber had taken
            // every one: reading the events takes every notice in first.
            self.sock().get_events()?;
            if let Some(dropped) = &self.dropped {
                return self.publish(msg, dropped);
            }
        }
        let head = Part::Copy(msg.first());
        match msg.frame_part() {
            Some(frame) => {
                let parts = [head, Part::Share(frame.clone())];
                self.send_parts(parts, timeout, what).await
            }
            None => self.send_parts([head], timeout, what).await,
        }
    }

    /// Receives one multipart message, waiting at most `timeout`. Meanwhile it also wakes for
    /// its monitor's events and takes them in, so that they never pile up while the
    /// application waits (a port scan makes three per connection; libzmq drops those that find
    /// the monitor's queue full) and a secure receiver logs refused peers as they come.
    async fn recv(&self, timeout: Duration, what: &'static str) -> Result<Received> {
        self.bounded(timeout, what, |cx| {
            let received = self.poll_io(cx, zmq::POLLIN, true, try_recv_parts);
            if received.is_pending()
                && let Some(monitor) = &self.monitor
            {
                monitor.poll(Some(cx));
            }
            received
        })
        .await
    }

    /// A mark to give [`Transport::recv_answer`]: how many times a connected peer of this
    /// (connecting) socket has gone away so far.
    fn peer_mark(&self) -> u32 {
        self.monitor.as_ref().map_or(0, |m| m.poll(None).lost)
    }

    /// Receives the answer to a message this (connecting) socket sent, waiting at most
    /// `timeout`; fails with [`Error::PeerGone`] as soon as libzmq reports that the peer that
    /// was connected when `mark` was taken ([`Transport::peer_mark`]) has gone: its answer will
    /// not come.
    async fn recv_answer(
        &self,
        timeout: Duration,
        what: &'static str,
        mark: u32,
    ) -> Result<Received> {
        let Some(monitor) = &self.monitor else {
            return self.recv(timeout, what).await;
        };
        let waited = self
            .bounded(timeout, what, |cx| {
                if let Poll::Ready(msg) = self.poll_io(cx, zmq::POLLIN, true, try_recv_parts) {
                    return Poll::Ready(msg);
                }
                if monitor.poll(Some(cx)).lost != mark {
                    return Poll::Ready(Err(Error::PeerGone {
                        endpoint: self.endpoint.clone(),
                        waiting_for: what,
                    }));
                }
                Poll::Pending
            })
            .await;
        match waited {
            // The answer may have come just before the peer left, and be a moment behind the
            // news: libzmq tells the monitor of a connection's end before it hands over what
            // the connection last read (a peer that answers and closes at once, as a client
            // answering the end message does). A last look, for a moment.
            Err(gone @ Error::PeerGone { .. }) => match self.recv(GONE_GRACE, what).await {
                Err(Error::Timeout { .. }) => Err(gone),
                other => other,
            },
            other => other,
        }
    }

    /// Whether no peer is connected to this socket now, as far as its monitor has seen:
    /// `Some(true)` if one was and has left, `Some(false)` if none has come yet, `None` while
    /// one is connected (or without a monitor, not known). A connection that the kernel
    /// completed a moment ago may not be reported yet.
    fn alone(&self) -> Option<bool> {
        let peers = self.monitor.as_ref()?.poll(None);
        (peers.connections <= peers.disconnects).then_some(peers.connections > 0)
    }

    /// Connections that ended, as the monitor has seen so far.
    fn departures(&self) -> u32 {
        self.monitor
            .as_ref()
            .map_or(0, |m| m.poll(None).disconnects)
    }

    /// Connections that completed their handshake, as the monitor has seen so far.
    fn arrivals(&self) -> u32 {
        self.monitor.as_ref().map_or(0, |m| m.poll(None).handshakes)
    }

    /// Waits for the monitor to tell of a connection that completed its handshake and is still
    /// up (a connecting socket: one connection at a time). Without a monitor it cannot tell,
    /// and returns at once.
    async fn await_peer(&self, timeout: Duration) -> Result<()> {
        let Some(monitor) = &self.monitor else {
            return Ok(());
        };
        self.bounded(timeout, "the peer to come back", |cx| {
            if monitor.poll(Some(cx)).up {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        })
        .await
    }

    fn peer_up(&self) -> Option<bool> {
        Some(self.monitor.as_ref()?.poll(None).up)
    }

    /// XPUB tells of each subscription as a message: `1` and the topic when a subscriber
    /// comes, `0` when the last one leaves. Read here without waiting, so that they never pile
    /// up in the socket while it streams (libzmq keeps them in a queue without a bound).
    fn subscribers_changed(&self) -> Result<Option<bool>> {
        let mut newest = None;
        let mut sock = self.sock();
        loop {
            match try_recv_parts(&mut sock) {
                Ok(msg) => match msg.first().and_then(|m| m.first()) {
                    Some(1) => newest = Some(true),
                    Some(0) => newest = Some(false),
                    _ => {}
                },
                Err(Error::Zmq(zmq::Error::EAGAIN)) => return Ok(newest),
                Err(e) => return Err(e),
            }
        }
    }

    /// XPUB tells of each subscription as a message: `1` and the topic when a subscriber
    /// comes, `0` when it leaves.
    async fn await_subscriber(&self, timeout: Duration) -> Result<()> {
        loop {
            let msg = self.recv(timeout, "a subscriber").await?;
            if msg.first().and_then(|m| m.first()) == Some(&1) {
                return Ok(());
            }
        }
    }

    async fn subscriber_left(&self, within: Duration) -> Result<bool> {
        match self.recv(within, "").await {
            Ok(m) => Ok(m.first().and_then(|p| p.first()) == Some(&0)),
            Err(Error::Timeout { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Counted by an all-or-none XPUB only: a lossy one drops a message for a subscriber
    /// without room unseen.
    fn dropped(&self) -> u64 {
        self.dropped
            .as_ref()
            .map_or(0, |d| d.load(Ordering::Relaxed))
    }

    /// Drops a SUB socket's subscription (its publisher hears of it).
    fn unsubscribe(&self) -> Result<()> {
        Ok(self.sock().set_unsubscribe(b"")?)
    }

    /// Lets pending outgoing messages drain for at most `linger` when the socket closes.
    fn set_linger(&self, linger: Duration) -> Result<()> {
        let ms = i32::try_from(linger.as_millis()).unwrap_or(i32::MAX);
        Ok(self.sock().set_linger(ms)?)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::options::Options;
    use crate::pattern::Pattern;
    use crate::transport::Role;
    use crate::transport::libzmq::open;
    use crate::transport::libzmq::parts::SHARE_THRESHOLD;

    /// A receiving socket on a port the kernel picks, and a sending socket connected to it.
    fn pair(pattern: Pattern) -> (ZmqSocket, ZmqSocket) {
        let opts = Options {
            address: Some("127.0.0.1".into()),
            port: 0,
            pattern,
            ..Options::default()
        };
        let receiver = open(&opts, Role::Receive).unwrap();
        let bound = receiver.local_endpoint().to_owned();
        let port = bound.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
        assert!(port.is_some_and(|p: u16| p != 0), "bound {bound}");
        let opts = Options {
            port: port.unwrap(),
            ..opts
        };
        let sender = open(&opts, Role::Send).unwrap();
        (sender, receiver)
    }

    /// A lost wake-up shows as a timeout (10 s, far beyond any scheduling delay): both ends wait on
    /// every message, on a runtime whose I/O driver runs on whichever thread is free.
    #[test]
    fn lock_step_never_loses_a_wake_up() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (sender, receiver) = pair(Pattern::Pair);
            let wait = Duration::from_secs(10);
            let echo = tokio::spawn(async move {
                for _ in 0..2000 {
                    let msg = receiver.recv(wait, "a message").await?;
                    receiver
                        .send_parts(
                            [Part::Copy(&msg[0]), Part::Share(msg[1].clone())],
                            wait,
                            "room",
                        )
                        .await?;
                }
                // Handed back, not dropped: closing (LINGER 0) would discard the last echo
                // if libzmq's I/O thread has not sent it yet.
                Ok::<ZmqSocket, Error>(receiver)
            });
            let big = Bytes::from(vec![7u8; 2 * SHARE_THRESHOLD]);
            for n in 0u32..2000 {
                let head = n.to_le_bytes();
                sender
                    .send_parts([Part::Copy(&head), Part::Share(big.clone())], wait, "room")
                    .await
                    .unwrap();
                let back = sender.recv(wait, "the echo").await.unwrap();
                assert_eq!((&back[0][..], back[1].len()), (&head[..], big.len()));
            }
            drop(echo.await.unwrap().unwrap());
        });
    }

    /// The timer kept from wait to wait: it fires early for a later deadline without failing
    /// the wait, and still bounds a wait with a shorter timeout.
    #[tokio::test]
    async fn a_kept_timer_neither_fires_early_nor_late() {
        let (sender, receiver) = pair(Pattern::Pair);
        async fn later(ms: u64, sender: &ZmqSocket) -> Result<()> {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            let msg = Bytes::from_static(b"x");
            sender
                .send_parts([Part::Share(msg)], Duration::from_secs(1), "room")
                .await
        }
        // Arms the timer at +300 ms.
        let (got, sent) = tokio::join!(
            receiver.recv(Duration::from_millis(300), "first"),
            later(50, &sender)
        );
        sent.unwrap();
        assert_eq!(&got.unwrap()[0][..], b"x");
        // The kept timer fires at about +250 ms here; the message comes at +600 ms, in time.
        let (got, sent) = tokio::join!(
            receiver.recv(Duration::from_secs(2), "second"),
            later(600, &sender)
        );
        sent.unwrap();
        assert_eq!(&got.unwrap()[0][..], b"x");
        // Moved to an earlier deadline than the one it is armed at (+2 s).
        let started = std::time::Instant::now();
        let err = receiver.recv(Duration::from_millis(200), "third").await;
        let took = started.elapsed();
        assert!(matches!(
            err,
            Err(Error::Timeout {
                waiting_for: "third",
                ..
            })
        ));
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_millis(1500),
            "{took:?}"
        );
    }

    /// A PUB/SUB sender of H.264 frames sends each message to every subscriber or to none,
    /// and counts what it drops: a subscriber that reads nothing gets every message up to the
    /// first dropped (none lost unseen), and after it the next one sent, whole.
    #[tokio::test]
    async fn an_all_or_none_publisher_counts_what_it_drops() {
        let opts = Options {
            address: Some("127.0.0.1".into()),
            port: 0,
            pattern: Pattern::PubSub,
            compression: crate::wire::Compression::H264 { kbps: 1000 },
            ..Options::default()
        };
        let receiver = open(&opts, Role::Receive).unwrap();
        let port = receiver.local_endpoint().rsplit_once(':').unwrap().1;
        let opts = Options {
            port: port.parse().unwrap(),
            ..opts
        };
        let sender = open(&opts, Role::Send).unwrap();
        let wait = Duration::from_secs(5);
        let numbered = |n: u32| {
            let mut part = vec![0u8; 64 * 1024];
            part[..4].copy_from_slice(&n.to_le_bytes());
            Outgoing::frame(false, None, None, Bytes::from(part))
        };
        let number = |msg: &Received| {
            assert_eq!((msg.len(), msg[1].len()), (2, 64 * 1024), "a whole message");
            u32::from_le_bytes(msg[1][..4].try_into().unwrap())
        };
        // The subscriber subscribes as it takes its connection in: while it waits for a first
        // message.
        let (subscribed, hello) = tokio::join!(
            async {
                sender.await_subscriber(wait).await?;
                sender.send(&numbered(u32::MAX), wait, "room").await
            },
            receiver.recv(wait, "a first message")
        );
        subscribed.unwrap();
        assert_eq!(number(&hello.unwrap()), u32::MAX);
        // Sent without a wait while the subscriber reads nothing, until its buffers are full.
        let mut first_dropped = 0;
        while sender.dropped() == 0 {
            sender
                .send(&numbered(first_dropped), wait, "room")
                .await
                .unwrap();
            first_dropped += 1;
            assert!(first_dropped < 10_000, "nothing was dropped, or not told");
        }
        let first_dropped = first_dropped - 1;
        assert_eq!(sender.dropped(), 1);
        for n in 0..first_dropped {
            assert_eq!(number(&receiver.recv(wait, "a message").await.unwrap()), n);
        }
        // Room again: the next message goes, and nothing more was dropped.
        sender
            .send(&numbered(first_dropped + 1), wait, "room")
            .await
            .unwrap();
        let next = receiver
            .recv(wait, "the message after the drop")
            .await
            .unwrap();
        assert_eq!(number(&next), first_dropped + 1);
        assert_eq!(sender.dropped(), 1);
    }

    /// PUSH with a full pipe: sends that find no room wait for the receiver to drain it.
    #[tokio::test]
    async fn a_full_pipe_drains_and_times_out_when_nobody_reads() {
        let (sender, receiver) = pair(Pattern::PushPull);
        let wait = Duration::from_secs(2);
        let part = Bytes::from(vec![1u8; 64 * 1024]);
        let drain = async {
            for _ in 0..200 {
                receiver.recv(wait, "a message").await?;
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            Ok::<(), Error>(())
        };
        let fill = async {
            for _ in 0..200 {
                sender
                    .send_parts([Part::Share(part.clone())], wait, "room")
                    .await?;
            }
            Ok::<(), Error>(())
        };
        let (drained, filled) = tokio::join!(drain, fill);
        drained.unwrap();
        filled.unwrap();
        let short = Duration::from_millis(100);
        let mut sent = 0;
        let err = loop {
            match sender
                .send_parts([Part::Share(part.clone())], short, "room")
                .await
            {
                Ok(()) => sent += 1,
                Err(e) => break e,
            }
            assert!(sent < 1000, "the pipe never filled up");
        };
        assert!(
            matches!(err, Error::Timeout { after, waiting_for: "room", .. } if after == short),
            "{err}"
        );
        let err = receiver.recv(short, "x").await.map(|_| ());
        assert!(err.is_ok(), "the queued messages are still there");
    }
}
