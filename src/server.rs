//! Send mode (vidgear's "server"): connects, streams frames, collects the client's replies.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use futures::{Stream, StreamExt};
use tracing::{debug, info, warn};

use crate::codec::{self, CodecTimes, Codecs, Encoding};
use crate::error::{Error, Result};
use crate::media::SourceItem;
use crate::options::Options;
use crate::outage::Outages;
use crate::pattern::Pattern;
use crate::queue::{Queue, Transceiver};
use crate::rate::{Rate, RateControl, RateGauge};
use crate::transport::{Link, Received, Role, Transport};
use crate::wire::{self, Compression, Data, End, Frame, Outgoing, Reply, ReplyMessage};

mod send_buffer;

/// A frame on its way out: its data, capture time and frame part (maybe still being encoded).
struct Upcoming {
    data: Option<Data>,
    captured: Option<SystemTime>,
    part: Encoding,
}

impl Upcoming {
    /// Takes the source's next item and starts making its frame part; `None` at the source's
    /// end, and when the source fails (its error put in `failed`).
    async fn next<S, I, E>(
        source: &mut std::pin::Pin<&mut S>,
        rate: &Mutex<RateControl>,
        times: &Codecs,
        bidirectional: bool,
        failed: &mut Option<Error>,
    ) -> Result<Option<Upcoming>>
    where
        S: Stream<Item = std::result::Result<I, E>>,
        I: Into<SourceItem>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let item = match source.next().await {
            None => return Ok(None),
            Some(Ok(item)) => item,
            Some(Err(e)) => {
                *failed = Some(Error::from_source(e.into()));
                return Ok(None);
            }
        };
        let (data, frame) = match item.into() {
            SourceItem::WithData(d, f) => (d, f),
            SourceItem::Frame(_) if bidirectional => return Err(Error::ExpectedDataFramePair),
            SourceItem::Frame(f) => (None, f),
        };
        let plan = lock(rate).plan_frame(&frame);
        Ok(Some(Upcoming {
            data,
            captured: frame.captured(),
            part: Encoding::planned(&frame, plan, times),
        }))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Closed,
}

/// How often the end-of-stream message is repeated to PUB/SUB subscribers until they leave.
const PUBSUB_TERMINATE_INTERVAL: Duration = Duration::from_millis(10);

/// How long the end-of-stream message is repeated to subscribers that do not say they left (a
/// vidgear subscriber never does; a netgear-rs one unsubscribes at once).
const PUBSUB_TERMINATE_WINDOW: Duration = Duration::from_millis(500);

/// A send-mode end (vidgear's `NetGear_Async(receive_mode=False)`).
///
/// ```no_run
/// # async fn demo() -> netgear::Result<()> {
/// use netgear::{Data, Frame, Options, Server};
/// let mut server = Server::new(Options { bidirectional_mode: true, ..Options::default() })?;
/// let replies = server.transceiver();
/// let source = async_stream::stream! {
///     for _ in 0..100 {
///         if let Some(reply) = replies.transceive_data() {
///             println!("client said {reply:?}");
///         }
///         yield (Some(Data::from("Hi, I am a server")), Frame::zeros(netgear::Dtype::U8, [480, 640, 3]).unwrap());
///     }
/// };
/// server.launch(source).await?; // streams, then performs the termination handshake
/// # Ok(()) }
/// ```
///
/// There is no `recv_generator` on this type: receiving is [`crate::Client`]'s job.
pub struct Server {
    link: Option<Link>,
    opts: Options,
    timeout: Duration,
    replies: Transceiver,
    subscribed: bool,
    state: State,
    evictions: u64,
    sent: ByteCount,
    codec: Codecs,
    /// The frames sent whose answers have not been received yet, oldest first, each as the
    /// socket's peer mark when it was sent (its answer cannot come once that peer has gone).
    in_flight: std::collections::VecDeque<u32>,
    /// A [`Server::send`] began and did not end: it was cancelled.
    interrupted: bool,
    outages: Outages,
    /// The link's count of connections lost, as far as `outages` has taken it in.
    lost_seen: u32,
    /// Connections the link saw complete their handshake, as of the last look.
    arrivals_seen: u32,
    /// Frames the link dropped for a subscriber without room (PUB/SUB), as of the last look.
    dropped_seen: u64,
    /// A receiver has taken a frame (or subscribed) on some connection of this end.
    met_receiver: bool,
    /// When a wait for room that found the receiver connected but taking nothing was last
    /// logged (PUSH with [`Options::reconnect`]).
    stall_logged: Option<Instant>,
    /// When the link's news of the receiver was last taken in (see [`WATCH_EVERY`]).
    watched: Option<Instant>,
    /// The bitrate or quality of the frames ([`Options::rate`]).
    rate: Arc<Mutex<RateControl>>,
    /// Lock-step: when the frame in flight was handed over, and its bytes (its delivery
    /// time, for the rate controller).
    handed: Option<(Instant, usize)>,
}

/// How often a streaming end looks at what its link saw of the receiver (a connection lost, a
/// subscriber gone or back): often enough to ride an outage out as it begins, rarely enough to
/// cost nothing per frame at thousands of frames a second.
const WATCH_EVERY: Duration = Duration::from_millis(20);

/// A running count of bytes, readable from anywhere while an end streams (a cloneable
/// handle): for a status line or a rate on the wire.
#[derive(Debug, Clone, Default)]
pub struct ByteCount(Arc<AtomicU64>);

impl ByteCount {
    /// The bytes counted so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("endpoint", &self.endpoint())
            .field("pattern", &self.opts.pattern)
            .field("bidirectional_mode", &self.opts.bidirectional_mode)
            .field("state", &self.state)
            .field("pending_replies", &self.replies.pending())
            .finish()
    }
}

impl Server {
    /// Validates the options and connects. Must be called inside a tokio runtime.
    pub fn new(opts: Options) -> Result<Server> {
        opts.validate_for(End::Server)?;
        let link = Link::open(&opts, Role::Send)?;
        debug!(endpoint = link.endpoint(), pattern = %opts.pattern, bidirectional = opts.bidirectional_mode, "send mode connected");
        Ok(Server::over(link, opts))
    }

    /// A send-mode end over `link`, with options already validated.
    pub(crate) fn over(link: Link, opts: Options) -> Server {
        let (opts_compression, opts_rate) = (opts.compression, opts.rate);
        Server {
            link: Some(link),
            timeout: opts.effective_timeout(),
            codec: Codecs::new(opts.key_frame_interval()),
            replies: Transceiver {
                queue: Arc::new(Queue::new(opts.queue_capacity, opts.queue_max_bytes)),
            },
            opts,
            subscribed: false,
            state: State::Open,
            evictions: 0,
            sent: ByteCount::default(),
            in_flight: std::collections::VecDeque::new(),
            interrupted: false,
            outages: Outages::default(),
            lost_seen: 0,
            arrivals_seen: 0,
            dropped_seen: 0,
            met_receiver: false,
            stall_logged: None,
            watched: None,
            rate: Arc::new(Mutex::new(RateControl::new(
                opts_compression,
                opts_rate == Rate::Auto,
            ))),
            handed: None,
        }
    }

    /// The endpoint this end connected to.
    pub fn endpoint(&self) -> Option<&str> {
        self.link.as_ref().map(|l| l.endpoint())
    }

    /// The options in effect.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// A handle for a custom source to take the client's replies with
    /// [`Transceiver::transceive_data`] while this end streams it.
    pub fn transceiver(&self) -> Transceiver {
        self.replies.clone()
    }

    /// The bitrate (H.264) or quality (JPEG) the frames are made with, and the reduction of
    /// their size: a handle that can be read while [`Server::launch`] streams. It follows the
    /// link with [`Options::rate`] set to [`Rate::Auto`].
    pub fn rate(&self) -> RateGauge {
        lock(&self.rate).gauge()
    }

    /// The bytes of the frame messages sent so far, as they went on the wire (compressed, when
    /// [`Options::compression`] is on): a handle that can be read while [`Server::launch`]
    /// streams.
    pub fn bytes_sent(&self) -> ByteCount {
        self.sent.clone()
    }

    /// The time this end spent compressing frames (and decompressing frame replies): a handle
    /// that can be read while [`Server::launch`] streams.
    pub fn codec_times(&self) -> CodecTimes {
        self.codec.times.clone()
    }

    /// H.264 frame replies received that could not be shown because one before them was
    /// missing (skipped until the next key frame).
    pub fn skipped_for_key_frame(&self) -> u64 {
        self.codec.skipped_for_key_frame()
    }

    /// The receiver's absences seen so far: how many, how long, and the frames whose answers
    /// they took (a handle that can be read while [`Server::launch`] streams). See
    /// [`Options::reconnect`].
    pub fn outages(&self) -> Outages {
        self.outages.clone()
    }

    /// Takes the oldest reply from the client, or `None` (never waits). See
    /// [`Transceiver::transceive_data`].
    pub fn transceive_data(&self) -> Option<Reply> {
        self.replies.transceive_data()
    }

    fn link(&self) -> Result<&Link> {
        match (self.state, &self.link) {
            (State::Open, Some(s)) => Ok(s),
            _ => Err(Error::Closed),
        }
    }

    /// Streams a custom source to the end, then performs the termination handshake.
    /// Returns the number of frames sent.
    ///
    /// In bidirectional mode the source must yield `(data, frame)` pairs; elsewhere bare frames
    /// (data given with a frame outside bidirectional mode travels in the header too, and a
    /// vidgear client ignores it). On an error of the connection (a timeout, the peer gone) the
    /// connection is dropped without the handshake and the error returned.
    pub async fn launch<S>(&mut self, source: S) -> Result<u64>
    where
        S: Stream,
        S::Item: Into<SourceItem>,
    {
        self.launch_try(source.map(Ok::<_, Error>)).await
    }

    /// Like [`Server::launch`], and ends the stream cleanly (the termination handshake, so the
    /// client's stream ends at once) as soon as `shutdown` completes: a Ctrl-C, a channel, a
    /// cancellation token. The frame on its way when it completes is still sent and answered.
    ///
    /// ```no_run
    /// # async fn demo() -> netgear::Result<()> {
    /// use netgear::{media::TestPattern, Options, Server};
    /// let mut server = Server::new(Options::default())?;
    /// let camera = TestPattern::new(640, 480).stream(None); // endless
    /// let sent = server.launch_until(camera, tokio::signal::ctrl_c()).await?;
    /// println!("stopped after {sent} frames");
    /// # Ok(()) }
    /// ```
    pub async fn launch_until<S, F>(&mut self, source: S, shutdown: F) -> Result<u64>
    where
        S: Stream,
        S::Item: Into<SourceItem>,
        F: std::future::Future,
    {
        self.launch(source.take_until(shutdown)).await
    }

    /// Like [`Server::launch`], for a source that can fail (a camera, a file being decoded)
    /// with an error of its own type. Its first error ends the stream — the termination
    /// handshake is performed (bounded by the timeout), so the client's stream ends at once
    /// rather than waiting out its timeout — and is returned: as it is when it is a
    /// [`netgear::Error`](Error), else as [`Error::Source`] with it as the source.
    ///
    /// A source written with `async_stream::try_stream!` leaves its error type to inference:
    /// name it, as in `server.launch_try::<_, _, netgear::Error>(source)`.
    pub async fn launch_try<S, I, E>(&mut self, source: S) -> Result<u64>
    where
        S: Stream<Item = std::result::Result<I, E>>,
        I: Into<SourceItem>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let mut source = std::pin::pin!(source);
        let (compression, bidirectional) = (self.opts.compression, self.opts.bidirectional_mode);
        let (codec, rate) = (self.codec.clone(), self.rate.clone());
        // With a frame to compress and a core to spare, the next frame is taken from the
        // source and encoded while this one travels and its answer is awaited — unless the
        // answers carry data in lock-step: a source that reads them with transceive_data()
        // must see the answer to the frame before, as in vidgear, not the one before that
        // (unless the options say the source does not read them).
        let overlap = compression != Compression::None
            && (!bidirectional || self.opts.max_in_flight > 1 || self.opts.encode_ahead)
            && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        lock(&rate).set_overlapped(overlap);
        let mut sent = 0u64;
        let mut failed = None;
        let streamed: Result<()> = async {
            let mut upcoming =
                Upcoming::next(&mut source, &rate, &codec, bidirectional, &mut failed).await?;
            while let Some(outgoing) = upcoming {
                let Upcoming {
                    data,
                    captured,
                    part,
                } = outgoing;
                self.transmit(data.as_ref(), captured, part).await?;
                sent += 1;
                // A send that never waits (PUB/SUB drops what finds no room) and a source that
                // is always ready would keep this task from ever yielding, starving the tasks
                // queued behind it on this thread: take part in tokio's cooperative budget.
                tokio::task::consume_budget().await;
                upcoming = if overlap {
                    let next =
                        Upcoming::next(&mut source, &rate, &codec, bidirectional, &mut failed);
                    futures::future::try_join(self.settle(), next).await?.1
                } else {
                    self.settle().await?;
                    Upcoming::next(&mut source, &rate, &codec, bidirectional, &mut failed).await?
                };
            }
            Ok(())
        }
        .await;
        match streamed {
            Ok(()) => {
                let closed = self.close().await;
                if let Some(e) = failed {
                    if let Err(c) = closed {
                        warn!(error = %crate::error_chain(&c), "ending the stream after the source failed");
                    }
                    return Err(e);
                }
                closed?;
                Ok(sent)
            }
            Err(e) => {
                self.abort().await;
                Err(e)
            }
        }
    }

    /// Streams the built-in source from the options (vidgear's `source=`), `count` frames or to
    /// its end, then terminates.
    pub async fn run(&mut self, count: Option<u64>) -> Result<u64> {
        let source = self.opts.source.clone().ok_or(Error::NoSource)?;
        let limit = usize::try_from(count.unwrap_or(u64::MAX)).unwrap_or(usize::MAX);
        let frames = source.open().await?;
        self.launch_try(frames.take(limit)).await
    }

    /// Sends one frame (with data in bidirectional mode) and, in patterns 0 and 1, waits for the
    /// client's answer, queueing it for [`Server::transceive_data`]. With
    /// [`Options::max_in_flight`] above 1 (pattern 0) it returns once the frame is sent and at
    /// most that many less one are unanswered, taking earlier frames' answers as needed.
    ///
    /// After an error the end is closed: a late answer would otherwise be taken for the next
    /// frame's.
    pub async fn send(&mut self, data: Option<&Data>, frame: &Frame) -> Result<()> {
        // Frame by frame: encoded in turn with the deliveries.
        lock(&self.rate).set_overlapped(false);
        // Stays set if this is cancelled (dropped) before it ends.
        self.interrupted = true;
        let result = self.send_frame(data, frame).await;
        self.interrupted = false;
        if result.is_err() {
            self.abort().await;
        }
        result
    }

    /// Accounts for a frame message of `size` bytes handed to the link at `handed`: its bytes,
    /// the delivery time to learn from in lock-step (the wait for room otherwise), and its
    /// answer's mark.
    fn handed_over(&mut self, handed: Instant, size: usize, mark: Option<u32>) {
        self.sent.add(size);
        if self.opts.pattern.has_replies() && self.opts.max_in_flight == 1 {
            self.handed = Some((handed, size));
        } else {
            lock(&self.rate).sent(handed.elapsed());
        }
        self.in_flight.extend(mark);
    }

    async fn send_frame(&mut self, data: Option<&Data>, frame: &Frame) -> Result<()> {
        let plan = lock(&self.rate).plan_frame(frame);
        let part = Encoding::planned(frame, plan, &self.codec);
        self.transmit(data, frame.captured(), part).await?;
        self.settle().await
    }

    /// Puts one frame message on the wire (once its part is made).
    async fn transmit(
        &mut self,
        data: Option<&Data>,
        captured: Option<SystemTime>,
        part: Encoding,
    ) -> Result<()> {
        let timeout = self.timeout;
        if self.opts.pattern == Pattern::PubSub && !self.subscribed {
            match self.link()?.await_subscriber(timeout).await {
                Ok(()) => {}
                Err(e) if self.rides_out(&e) => self.ride_out(e).await?,
                Err(e) => return Err(e),
            }
            self.subscribed = true;
            self.met_receiver = true;
        }
        let (part, took) = part.finish().await?;
        if !took.is_zero() {
            lock(&self.rate).made(part.len(), took);
        }
        let stamp = self
            .opts
            .timestamps
            .then(|| captured.unwrap_or_else(SystemTime::now));
        let msg = Outgoing::frame(self.opts.bidirectional_mode, data, stamp, part);
        loop {
            self.watch_receiver().await?;
            let link = self.link()?;
            // Only an answered frame needs the mark (and its look at the peers).
            let mark = self.opts.pattern.has_replies().then(|| link.peer_mark());
            let handed = Instant::now();
            match link.send(&msg, timeout, "room to send a frame").await {
                Ok(()) => {
                    self.take_in_drops(link.dropped());
                    self.handed_over(handed, msg.len(), mark);
                    return Ok(());
                }
                // The frame waits out the outage, and goes to the receiver that comes back.
                Err(e) if self.rides_out(&e) => self.ride_out(e).await?,
                Err(e) => return Err(e),
            }
        }
    }

    /// Takes in the link's count of frames `dropped` (PUB/SUB: for every subscriber, one having
    /// had no room; see [`Transport::dropped`]). After a drop the receivers decode nothing
    /// until a key frame comes: the next frame is one.
    fn take_in_drops(&mut self, dropped: u64) {
        if dropped != self.dropped_seen {
            self.dropped_seen = dropped;
            self.codec.want_key_frame();
            debug!(
                dropped,
                "a subscriber had no room: the next frame is a key frame"
            );
        }
    }

    /// Whether the end rides out `e` rather than ending the stream with it: with
    /// [`Options::reconnect`], a receiver that went away or does not answer.
    fn rides_out(&self, e: &Error) -> bool {
        self.opts.reconnect && matches!(e, Error::Timeout { .. } | Error::PeerGone { .. })
    }

    /// Takes in what the link saw of the receiver since the last frame: a connection lost
    /// begins an outage, a receiver back ends it. With [`Options::reconnect`] an outage is
    /// ridden out here, before the next frame goes.
    async fn watch_receiver(&mut self) -> Result<()> {
        if self.watched.is_some_and(|t| t.elapsed() < WATCH_EVERY) {
            return Ok(());
        }
        self.watched = Some(Instant::now());
        // A receiver that joined starts at a key frame (an inter-frame codec's).
        let arrived = self.link()?.arrivals();
        if arrived != self.arrivals_seen {
            self.arrivals_seen = arrived;
            self.codec.want_key_frame();
        }
        let link = self.link()?;
        let (gone, back) = if self.opts.pattern == Pattern::PubSub {
            match link.subscribers_changed()? {
                Some(subscribed) => {
                    if subscribed {
                        self.codec.want_key_frame();
                    }
                    (!subscribed, subscribed)
                }
                None => (false, false),
            }
        } else {
            let (lost, connected) = (link.peer_mark(), link.peer_up() != Some(false));
            let gone = lost > self.lost_seen;
            self.lost_seen = lost;
            self.met_receiver |= connected;
            (gone, connected)
        };
        if gone && self.outages.begin() {
            warn!(pattern = %self.opts.pattern, "the receiver has gone");
            if self.opts.reconnect {
                return self.ride_out(Error::Closed).await;
            }
        } else if back && let Some(lasted) = self.outages.end() {
            info!(after_s = lasted.as_secs_f64(), "the receiver is back");
        }
        Ok(())
    }

    /// Waits for the receiver to come back (without a time limit: see
    /// [`Options::reconnect`]), after `cause`: the error that showed it gone. In patterns 0 and
    /// 1 the connection is made anew first, so that an answer still on its way on the old one
    /// is never taken for a later frame's.
    async fn ride_out(&mut self, cause: Error) -> Result<()> {
        let link = self.link()?;
        let connected = link.peer_up() != Some(false);
        if !self.opts.pattern.has_replies() && connected && matches!(cause, Error::Timeout { .. }) {
            // PUSH: the receiver is there and takes nothing (its application stalled): keep
            // waiting for room. Not an outage.
            self.log_stall(&cause);
            return Ok(());
        }
        let first_peer = !self.met_receiver && link.alone() != Some(true);
        if first_peer {
            debug!(error = %cause, "no receiver yet; waiting for one");
        } else if self.outages.begin() {
            warn!(error = %cause, pattern = %self.opts.pattern, "the receiver has gone: waiting for it to come back");
        }
        if self.opts.pattern.has_replies() && !first_peer {
            let lost = self.in_flight.len() as u64;
            if lost > 0 {
                self.outages.lose(lost);
                warn!(
                    frames = lost,
                    "frames whose answers were lost with the receiver"
                );
            }
            self.in_flight.clear();
            self.reconnect().await?;
        }
        loop {
            let link = self.link()?;
            let waited = if self.opts.pattern == Pattern::PubSub {
                link.await_subscriber(self.timeout).await
            } else {
                link.await_peer(self.timeout).await
            };
            match waited {
                Ok(()) => break,
                Err(Error::Timeout { .. }) => debug!("still waiting for the receiver"),
                Err(e) => return Err(e),
            }
        }
        // The connections lost meanwhile belong to this outage; the receiver back (whose
        // connection the arrivals count already) starts at a key frame.
        let link = self.link()?;
        (self.lost_seen, self.arrivals_seen) = (link.peer_mark(), link.arrivals());
        self.codec.want_key_frame();
        if let Some(lasted) = self.outages.end() {
            info!(
                after_s = lasted.as_secs_f64(),
                "the receiver is back: streaming again"
            );
        }
        Ok(())
    }

    /// Says, once a minute at most, that the receiver is there and takes nothing.
    fn log_stall(&mut self, cause: &Error) {
        if self
            .stall_logged
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
        {
            warn!(error = %cause, "the receiver is connected and takes nothing; still waiting");
            self.stall_logged = Some(Instant::now());
        }
    }

    /// Replaces the connection with a new one (the old one closed at once, off the reactor).
    async fn reconnect(&mut self) -> Result<()> {
        let fresh = self.link()?.reopen(&self.opts, Role::Send)?;
        if let Some(old) = self.link.replace(fresh) {
            let _ = old.set_linger(Duration::ZERO);
            let _ = tokio::task::spawn_blocking(move || drop(old)).await;
        }
        (self.lost_seen, self.arrivals_seen, self.dropped_seen) = (0, 0, 0);
        Ok(())
    }

    /// Takes the answers due after a frame went out: in lock-step (one in flight, the default)
    /// its own; with more in flight, those of earlier frames, in order, as room is needed.
    async fn settle(&mut self) -> Result<()> {
        if self.opts.pattern.has_replies() {
            while self.in_flight.len() > self.opts.max_in_flight - 1 {
                match self.take_answer().await {
                    Ok(()) => {
                        if let Some((at, bytes)) = self.handed.take() {
                            lock(&self.rate).answered(bytes, at.elapsed());
                        }
                    }
                    // The receiver is there and has not answered yet (its application is
                    // stalled): the answer is owed on a live connection (the heartbeats tell
                    // if it dies), so it is waited for, not given up.
                    Err(e @ Error::Timeout { .. })
                        if self.opts.reconnect && self.link()?.peer_up() == Some(true) =>
                    {
                        // Not the link's doing: no delivery time to learn from.
                        self.handed = None;
                        self.log_stall(&e);
                    }
                    // The frames in flight are lost with the receiver: counted, not resent.
                    Err(e) if self.rides_out(&e) => self.ride_out(e).await?,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Receives answers, oldest first, until at most `keep` frames are unanswered.
    async fn take_answers(&mut self, keep: usize) -> Result<()> {
        while self.in_flight.len() > keep {
            self.take_answer().await?;
        }
        Ok(())
    }

    /// Receives the answer to the oldest frame in flight.
    async fn take_answer(&mut self) -> Result<()> {
        let mark = self.in_flight.front().copied().unwrap_or_default();
        let parts = self
            .link()?
            .recv_answer(self.timeout, "the client's reply", mark)
            .await?;
        // Taken before anything else is awaited (a compressed reply's decoding): if this is
        // cancelled there, the answer is not waited for again at close.
        self.in_flight.pop_front();
        self.met_receiver = true;
        self.receive_reply(parts).await
    }

    async fn receive_reply(&mut self, parts: Received) -> Result<()> {
        let wire_bytes = parts.wire_len();
        let parsed =
            wire::parse_reply_message(&parts, self.opts.bidirectional_mode, self.opts.limits())?;
        let reply = codec::decode(parsed, &self.codec).await?;
        let reply = match reply? {
            ReplyMessage::Mismatch(missing_on) => {
                return Err(Error::BidirectionalMismatch { missing_on });
            }
            ReplyMessage::Confirmation => {
                // The peer's text, cut short for the log.
                let first = parts.first().map(|f| f.slice(..f.len().min(80)));
                debug!(confirmation = %String::from_utf8_lossy(&first.unwrap_or_default()), "reply");
                return Ok(());
            }
            ReplyMessage::Data(d) => d.map(Reply::Data),
            ReplyMessage::Frame(f) => Some(Reply::Frame(f)),
        };
        // What the reply holds: its message, or its frame once decompressed.
        let held = match &reply {
            Some(Reply::Frame(f)) => f.as_bytes().len().max(wire_bytes),
            _ => wire_bytes,
        };
        let evicted = self.replies.queue.push_evicting(reply, held);
        if evicted > 0 {
            self.evictions += evicted as u64;
            if self.evictions == evicted as u64 {
                warn!(
                    capacity = self.opts.queue_capacity,
                    max_bytes = self.opts.queue_max_bytes,
                    "replies are not being taken with transceive_data(); dropping the oldest"
                );
            }
        }
        Ok(())
    }

    /// Ends the stream: sends `{"terminate": true}` and, in patterns 0 and 1, waits for the
    /// client's answer — all bounded by the timeout. Safe to call twice. When the client has
    /// left, or none has come and a frame's [`Server::send`] was cancelled waiting for one
    /// (Ctrl-C), it returns at once: there is nobody to send the end message to.
    ///
    /// Replies not taken yet stay available to [`Server::transceive_data`] (vidgear empties
    /// its queue here, losing the answer to the last frame).
    pub async fn close(&mut self) -> Result<()> {
        if self.state == State::Closed {
            return Ok(());
        }
        let result = self.terminate().await;
        self.state = State::Closed;
        self.release().await;
        result
    }

    async fn terminate(&mut self) -> Result<()> {
        let link = self.link()?;
        let timeout = self.timeout;
        // Nobody to tell: the client has left, or none has come and the stream was interrupted
        // waiting for one (a frame's send cancelled, as Ctrl-C does). The end message would wait
        // the whole timeout for a peer to take it; the stream ends now instead. (A stream that
        // simply ends before its client has come still waits for it, as vidgear's does.)
        let nobody = match link.alone() {
            Some(left) => left || self.interrupted,
            None => false,
        };
        if nobody {
            debug!("no peer is connected: the stream ends without the end message");
            return Ok(());
        }
        let end = Outgoing::terminate();
        match self.opts.pattern {
            Pattern::Pair | Pattern::ReqRep => {
                // The answers still on their way belong to frames sent: take them first.
                self.take_answers(0).await?;
                let link = self.link()?;
                let mark = link.peer_mark();
                link.send(&end, timeout, "room to terminate").await?;
                let answer = match link
                    .recv_answer(timeout, "the termination answer", mark)
                    .await
                {
                    Ok(answer) => answer,
                    // The end message went out: with reconnect, a receiver that leaves (or
                    // goes quiet) before its answer has come does not fail the stream, which is
                    // over either way.
                    Err(e @ (Error::PeerGone { .. } | Error::Timeout { .. }))
                        if self.opts.reconnect =>
                    {
                        warn!(error = %e, "the end message was sent; its answer did not come");
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                };
                let text = wire::decode_terminated_message(&answer)?;
                debug!(%text, "client confirmed termination");
            }
            Pattern::PubSub => {
                // With no frame sent yet, a subscriber may still be on its way: wait for it
                // (a timeout here means there is nobody to tell).
                let subscribed = self.subscribed
                    || match link.await_subscriber(timeout).await {
                        Ok(()) => true,
                        Err(Error::Timeout { .. }) => false,
                        Err(e) => return Err(e),
                    };
                if subscribed {
                    Self::terminate_subscribers(link, &end, timeout).await?;
                }
            }
            Pattern::PushPull => {
                link.send(&end, timeout, "room to terminate").await?;
                // Let the queued frames and the end message drain when the socket closes.
                link.set_linger(timeout)?;
            }
        }
        Ok(())
    }

    /// PUB/SUB drops what a slow subscriber has no room for, so the end message is repeated
    /// until the subscribers leave (they stop at the first one; a netgear-rs subscriber
    /// unsubscribes) or for half a second (bounded by the timeout).
    async fn terminate_subscribers(link: &Link, end: &Outgoing, timeout: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout.min(PUBSUB_TERMINATE_WINDOW);
        loop {
            link.send(end, timeout, "room to terminate").await?;
            if link.subscriber_left(PUBSUB_TERMINATE_INTERVAL).await? {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                debug!("the end of the stream was repeated; no subscriber said it left");
                return Ok(());
            }
        }
    }

    /// Drops the connection without the handshake.
    async fn abort(&mut self) {
        self.state = State::Closed;
        if let Some(link) = &self.link {
            let _ = link.set_linger(Duration::ZERO);
        }
        self.release().await;
    }

    /// Closes the socket off the event loop: closing waits for the linger period.
    async fn release(&mut self) {
        if let Some(link) = self.link.take() {
            let _ = tokio::task::spawn_blocking(move || drop(link)).await;
        }
    }
}
