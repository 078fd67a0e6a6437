//! Receive mode (vidgear's "client"): binds, yields frames, answers each with queued data
//! ([`Client::recv_generator`], vidgear's way) or with its own responder ([`Client::requests`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use futures::Stream;
use tracing::{debug, warn};

use crate::codec::{self, CodecTimes, Codecs, Encoding};
use crate::error::{Error, Result};
use crate::options::{OnBadMessage, Options};
use crate::pattern::{Pattern, Protocol};
use crate::queue::Queue;
use crate::request::{self, Owed, Request};
use crate::transport::{Link, Role, Transport};
use crate::wire::{self, Data, End, Frame, IntoReply, Message, Outgoing, Reply};

/// Longest the client waits for room to answer termination (immediate while the server is
/// connected).
const ANSWER_WAIT: Duration = Duration::from_millis(200);

/// Longest a closing client waits for its termination answer to leave.
const ANSWER_LINGER: Duration = Duration::from_secs(2);

/// A receive-mode end (vidgear's `NetGear_Async(receive_mode=True)`).
///
/// In bidirectional mode there are two ways to answer frames. [`Client::recv_generator`] with
/// [`Client::transceive_data`] is vidgear's: a value given after frame n is sent with the
/// answer to frame n+1. [`Client::requests`] answers each frame itself (see there).
///
/// ```no_run
/// # async fn demo() -> netgear::Result<()> {
/// use futures::StreamExt;
/// use netgear::{Client, Options};
/// let client = Client::new(Options { bidirectional_mode: true, ..Options::default() })?;
/// let mut frames = std::pin::pin!(client.recv_generator());
/// while let Some(item) = frames.next().await {
///     let (data, frame) = item?;
///     println!("{data:?} with a {:?} frame", frame.shape());
///     client.transceive_data("Hi, I am a client")?; // sent back with the next frame's answer
/// }
/// # Ok(()) }
/// ```
pub struct Client {
    link: Link,
    opts: Options,
    timeout: Duration,
    id: String,
    queue: Queue<Reply>,
    /// Held while receiving (one frame at a time), with the answer owed to the last
    /// [`Request`].
    receiving: tokio::sync::Mutex<Owed>,
    terminated: AtomicBool,
    skipped: AtomicU64,
    /// Queued values dropped, the oldest first, to make room for new ones.
    dropped: AtomicU64,
    received: AtomicU64,
    codec: Codecs,
    /// The link's count of departed connections when the last frame arrived: in PAIR with
    /// [`Options::reconnect`] its answer goes only while that count stands.
    departures: AtomicU32,
    /// Answers dropped because the sender of their frame had gone.
    orphaned: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.local_endpoint())
            .field("id", &self.id)
            .field("pattern", &self.opts.pattern)
            .field("bidirectional_mode", &self.opts.bidirectional_mode)
            .field("pending_replies", &self.pending_replies())
            .field("terminated", &self.is_terminated())
            .field("skipped", &self.skipped())
            .finish()
    }
}

impl Client {
    /// Validates the options and binds. Must be called inside a tokio runtime.
    pub fn new(opts: Options) -> Result<Client> {
        opts.validate_for(End::Client)?;
        let link = Link::open(&opts, Role::Receive)?;
        debug!(endpoint = link.local_endpoint(), pattern = %opts.pattern, bidirectional = opts.bidirectional_mode, "receive mode bound");
        Ok(Client::over(link, opts))
    }

    /// A receive-mode end over `link`, with options already validated.
    pub(crate) fn over(link: Link, opts: Options) -> Client {
        Client {
            link,
            timeout: opts.effective_timeout(),
            codec: Codecs::new(opts.key_frame_interval()),
            // This end's own values: bounded by count (their bytes are the user's).
            queue: Queue::new(opts.queue_capacity, usize::MAX),
            opts,
            id: wire::new_id(),
            receiving: tokio::sync::Mutex::new(Owed::Nothing),
            terminated: AtomicBool::new(false),
            skipped: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            received: AtomicU64::new(0),
            departures: AtomicU32::new(0),
            orphaned: AtomicU64::new(0),
        }
    }

    /// The endpoint this end was asked to bind, as [`Options::endpoint`] built it
    /// (`tcp://*:5555`, `tcp://127.0.0.1:0`); [`Client::local_endpoint`] is the one it bound.
    pub fn endpoint(&self) -> &str {
        self.link.endpoint()
    }

    /// The endpoint this end bound, as libzmq resolved it: the address and the port in
    /// effect (`tcp://0.0.0.0:5555` for `*`, the port the kernel picked for port 0), or the
    /// ipc path.
    pub fn local_endpoint(&self) -> &str {
        self.link.local_endpoint()
    }

    /// The tcp port this end bound: the one asked for, or with [`Options::port`] 0 the one the
    /// kernel picked, for the sender to connect to. `None` over ipc and shm.
    ///
    /// ```no_run
    /// # async fn demo() -> netgear::Result<()> {
    /// use netgear::{Client, Options, Server};
    /// let client = Client::new(Options { port: 0, ..Options::default() })?;
    /// let port = client.local_port().expect("a tcp port");
    /// let server = Server::new(Options { port, ..Options::default() })?;
    /// # Ok(()) }
    /// ```
    pub fn local_port(&self) -> Option<u16> {
        match self.opts.protocol {
            Protocol::Tcp => tcp_port(self.local_endpoint()),
            Protocol::Ipc | Protocol::Shm => None,
        }
    }

    /// The options in effect.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// This end's 8-character system id, as it appears in its confirmations.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The frames as they arrive: `(data, frame)`, with `data` the value the server sent with the
    /// frame (`None` when it sent none, and always outside bidirectional mode with a vidgear
    /// server). Ends when the server terminates; yields one error and ends on a timeout or a bad
    /// message.
    ///
    /// In bidirectional mode each frame is answered, before it is yielded, with the oldest value
    /// queued by [`Client::transceive_data`] (or with nothing), as vidgear does: a value queued
    /// while handling frame n goes out with the answer to frame n+1. To answer frame n itself,
    /// use [`Client::requests`].
    pub fn recv_generator(&self) -> impl Stream<Item = Result<(Option<Data>, Frame)>> + Send + '_ {
        steps(self, |client| async move { (client.recv().await, client) })
    }

    /// Like [`Client::recv_generator`], as a stream that owns the client: `'static`, so it can
    /// be moved into a spawned task, and [`ClientStream::close`] follows the loop.
    ///
    /// ```no_run
    /// # async fn demo() -> netgear::Result<()> {
    /// use futures::StreamExt;
    /// let client = netgear::Client::new(netgear::Options::default())?;
    /// let receiver = tokio::spawn(async move {
    ///     let mut frames = client.into_stream();
    ///     let mut n = 0;
    ///     while let Some(item) = frames.next().await {
    ///         let (_data, _frame) = item?;
    ///         n += 1;
    ///     }
    ///     frames.close().await;
    ///     Ok::<_, netgear::Error>(n)
    /// });
    /// # Ok(()) }
    /// ```
    pub fn into_stream(self) -> ClientStream {
        let client = Arc::new(self);
        let items = steps(client.clone(), |client| async move {
            (client.recv().await, client)
        });
        ClientStream {
            items: Box::pin(items),
            client,
        }
    }

    /// Like [`Client::recv_generator`], frames only.
    pub fn frames(&self) -> impl Stream<Item = Result<Frame>> + Send + '_ {
        futures::StreamExt::map(self.recv_generator(), |r| r.map(|(_, f)| f))
    }

    /// The frames as they arrive, each as a [`Request`] that answers *that* frame (bidirectional
    /// mode): its data, its frame, and a [`Responder`](crate::Responder). Ends when the server
    /// terminates; yields one error and ends on a timeout or a bad message.
    ///
    /// ```no_run
    /// # async fn demo() -> netgear::Result<()> {
    /// use futures::StreamExt;
    /// use netgear::{Client, Options};
    /// let client = Client::new(Options { bidirectional_mode: true, ..Options::default() })?;
    /// let mut requests = std::pin::pin!(client.requests());
    /// while let Some(request) = requests.next().await {
    ///     let request = request?;
    ///     let n: u64 = request.data().map(|d| d.deserialize()).transpose()?.unwrap_or(0);
    ///     request.reply(n * 10)?; // the answer to this very frame
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// The server gets each frame's own answer: `Server::transceive_data()` right after
    /// `Server::send()` returns gives the reply to the frame just sent, with no one-frame lag.
    /// The answer waits for the responder, and the next frame can only come once the answer
    /// is out (patterns 0 and 1 are lock-step), so the stream sends it itself, first thing
    /// when it is polled for the next request:
    ///
    /// - [`Request::reply`] / [`Responder::reply`](crate::Responder::reply) with a serde value,
    ///   a [`Frame`] or `&Frame` (compressed as [`Options::compression`] says), or a [`Reply`]:
    ///   that is the answer;
    /// - dropping the request or its responder: the frame is answered with nothing, at once;
    /// - a responder still out when the stream is polled is awaited — held by another task, or
    ///   by the loop itself while it waits for the next request — but at most until the timeout
    ///   ([`Options::timeout`], counted from the moment the request was yielded): then the frame
    ///   is answered with nothing (as vidgear answers a frame for which nothing was queued), a
    ///   late reply fails with [`Error::Timeout`], and the stream goes on with the next frame.
    ///
    /// A stream dropped with an answer owed leaves it to the client: the next receive (any of
    /// its streams, [`Client::recv`]) or [`Client::close`] sends it. Values queued with
    /// [`Client::transceive_data`] are not used here.
    ///
    /// Outside bidirectional mode frames are not answered with data (a plain confirmation in
    /// patterns 0 and 1, nothing in patterns 2 and 3): the stream yields one
    /// [`Error::InvalidOption`] and ends, without taking a frame; use
    /// [`Client::recv_generator`] there.
    pub fn requests(&self) -> impl Stream<Item = Result<Request>> + Send + '_ {
        steps(self, |client| async move {
            (client.recv_request().await, client)
        })
    }

    /// Receives the next frame as a [`Request`], after sending the answer owed to the last one;
    /// `None` once the server has terminated. The step form of [`Client::requests`] (see there).
    pub async fn recv_request(&self) -> Result<Option<Request>> {
        if !self.opts.bidirectional_mode {
            return Err(Error::InvalidOption(
                "requests() needs bidirectional mode: without it a frame is answered with a plain confirmation (patterns 0 and 1) or not at all (2 and 3); use recv_generator()".into(),
            ));
        }
        let mut owed = self.receiving.lock().await;
        self.pay(&mut owed).await?;
        let Some((bi_mode, data, frame)) = self.receive().await? else {
            return Ok(None);
        };
        if !bi_mode {
            return Err(self.mismatch(End::Server).await);
        }
        let (request, awaiting) = request::pair(data, frame, self.timeout);
        *owed = Owed::Awaiting(awaiting);
        Ok(Some(request))
    }

    /// Receives the next frame, answering it as the pattern asks; `None` once the server has
    /// terminated.
    pub async fn recv(&self) -> Result<Option<(Option<Data>, Frame)>> {
        let mut owed = self.receiving.lock().await;
        self.pay(&mut owed).await?;
        let Some((bi_mode, data, frame)) = self.receive().await? else {
            return Ok(None);
        };
        if self.opts.pattern.has_replies() {
            match (self.opts.bidirectional_mode, bi_mode) {
                (true, true) => self.answer(self.queue.pop().as_ref(), self.timeout).await?,
                (false, false) => {
                    let confirm = Outgoing::confirmation(&self.id);
                    self.send_answer(&confirm, self.timeout, "room to confirm")
                        .await?;
                }
                (mine, _) => {
                    return Err(self
                        .mismatch(if mine { End::Server } else { End::Client })
                        .await);
                }
            }
        }
        Ok(Some((data, frame)))
    }

    /// Sends the answer owed to the last [`Request`], once it is known.
    async fn pay(&self, owed: &mut Owed) -> Result<()> {
        if let Some(answer) = owed.known().await {
            self.answer(answer.as_ref(), self.timeout).await?;
            *owed = Owed::Nothing;
        }
        Ok(())
    }

    /// Receives the next frame message, `(bi_mode, data, frame)`: answers termination and bad
    /// messages itself; `None` once the server has terminated. The caller answers the frame.
    async fn receive(&self) -> Result<Option<(bool, Option<Data>, Frame)>> {
        if self.terminated.load(Ordering::Acquire) {
            return Ok(None);
        }
        loop {
            let decoded = match self
                .link
                .recv(self.timeout, "a frame from the server")
                .await
            {
                Ok(parts) => {
                    if self.guards_answers() {
                        self.departures
                            .store(self.link.departures(), Ordering::Relaxed);
                    }
                    self.received
                        .fetch_add(parts.wire_len() as u64, Ordering::Relaxed);
                    match wire::parse_message(&parts, self.opts.limits()) {
                        Ok(parsed) => codec::decode(parsed, &self.codec).await?,
                        Err(e) => Err(e),
                    }
                }
                // Too many parts: refused by the transport, answered here like any bad message.
                Err(Error::Decode(e)) => Err(e),
                // Senders come and go: wait on.
                Err(Error::Timeout { peer, .. }) if self.opts.reconnect => {
                    debug!(%peer, "no frame for the timeout; waiting on (reconnect)");
                    continue;
                }
                Err(e) => return Err(e),
            };
            match decoded {
                Ok(Message::Frame {
                    bi_mode,
                    data,
                    frame,
                }) => return Ok(Some((bi_mode, data, frame))),
                Ok(Message::Terminate) => {
                    self.terminated.store(true, Ordering::Release);
                    if self.opts.pattern.has_replies() {
                        let answer = Outgoing::terminated(&self.id);
                        // Best effort: the stream is complete either way. A server that left right
                        // after its terminate leaves a PAIR socket no room for the answer.
                        let wait = self.timeout.min(ANSWER_WAIT);
                        let sent = self
                            .link
                            .send(&answer, wait, "room to answer termination")
                            .await;
                        if let Err(e) = sent {
                            debug!(error = %e, "the termination answer was not sent");
                        }
                        self.link.set_linger(self.timeout.min(ANSWER_LINGER))?;
                    }
                    if self.opts.pattern == Pattern::PubSub {
                        // Tell a netgear-rs publisher that this subscriber has its end message,
                        // so it stops repeating it.
                        self.link.unsubscribe()?;
                        self.link.set_linger(self.timeout.min(ANSWER_LINGER))?;
                    }
                    debug!("server terminated the stream");
                    return Ok(None);
                }
                Err(e) => {
                    if self.opts.pattern.has_replies() {
                        // Answer anyway, so that a REP socket can go on and the peer is not
                        // left waiting for its timeout.
                        let empty = if self.opts.bidirectional_mode {
                            Outgoing::reply_data(None)
                        } else {
                            Outgoing::confirmation(&self.id)
                        };
                        let _ = self.send(&empty, "room to reply").await;
                    }
                    if matches!(e, wire::DecodeError::AwaitingKeyFrame) {
                        // Not a bad message: a frame that builds on one this end lacks.
                        continue;
                    }
                    match self.opts.on_bad_message {
                        OnBadMessage::Stop => return Err(e.into()),
                        OnBadMessage::Skip => {
                            let n = self.skipped.fetch_add(1, Ordering::Relaxed) + 1;
                            // A peer can send bad messages as fast as it likes: the first ten
                            // are logged, then one at each power of two.
                            if n <= 10 || n.is_power_of_two() {
                                warn!(error = %crate::error_chain(&e), skipped = n, "skipped a bad message");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Answers a frame from a server whose bidirectional mode differs from ours, ending the
    /// stream; returns the error to report.
    async fn mismatch(&self, missing_on: End) -> Error {
        // Best effort: tell a netgear-rs server too; a vidgear one ignores it.
        let report = Outgoing::mismatch(missing_on);
        let _ = self.send(&report, "room to report").await;
        self.terminated.store(true, Ordering::Release);
        Error::BidirectionalMismatch { missing_on }
    }

    /// Whether answers are sent only to the sender of their frame, checked (PAIR with
    /// [`Options::reconnect`]: a PAIR socket would give an answer owed to a sender that has gone
    /// to the next one, which would take it for the answer to its own first frame).
    fn guards_answers(&self) -> bool {
        self.opts.reconnect && self.opts.pattern == Pattern::Pair
    }

    /// Sends an answer to the last frame; in PAIR with [`Options::reconnect`] only if its
    /// sender is still connected (else it is dropped and counted).
    async fn send_answer(&self, msg: &Outgoing, wait: Duration, what: &'static str) -> Result<()> {
        if !self.guards_answers() {
            return self.link.send(msg, wait, what).await;
        }
        let orphan = || {
            self.orphaned.fetch_add(1, Ordering::Relaxed);
            debug!("the sender of the last frame has gone: its answer is dropped");
            Ok(())
        };
        if self.link.departures() != self.departures.load(Ordering::Relaxed) {
            return orphan();
        }
        // While the sender is connected there is room at once: a wait means it has gone.
        match self.link.send(msg, wait.min(ANSWER_WAIT), what).await {
            Err(Error::Timeout { .. }) => orphan(),
            other => other,
        }
    }

    /// Answers dropped because the sender of their frame had gone (PAIR with
    /// [`Options::reconnect`]).
    pub fn orphaned_answers(&self) -> u64 {
        self.orphaned.load(Ordering::Relaxed)
    }

    /// Answers a frame in bidirectional mode: with data, a frame, or nothing.
    async fn answer(&self, reply: Option<&Reply>, wait: Duration) -> Result<()> {
        let msg = match reply {
            Some(Reply::Frame(f)) => {
                let part = Encoding::start(f, self.opts.compression, &self.codec);
                Outgoing::reply_frame(part.finish().await?.0)
            }
            Some(Reply::Data(d)) => Outgoing::reply_data(Some(d)),
            None => Outgoing::reply_data(None),
        };
        self.send_answer(&msg, wait, "room to reply").await
    }

    async fn send(&self, msg: &Outgoing, what: &'static str) -> Result<()> {
        self.link.send(msg, self.timeout, what).await
    }

    /// Queues a value — any serde-serialisable value, or a [`Frame`] — to be sent back as the
    /// answer to the next frame (vidgear's `await client.transceive_data(data)`).
    ///
    /// The queue is bounded ([`Options::queue_capacity`]): when values are queued faster than
    /// frames arrive to carry them, the oldest is dropped to make room, counted in
    /// [`Client::dropped_replies`], with a warning the first time. The stream goes on, as
    /// vidgear's does (whose queue has no bound). Outside bidirectional mode nothing is ever
    /// sent back, and this fails with [`Error::InvalidOption`].
    pub fn transceive_data(&self, value: impl IntoReply) -> Result<()> {
        if !self.opts.bidirectional_mode {
            return Err(Error::InvalidOption(
                "transceive_data() needs bidirectional mode".into(),
            ));
        }
        let evicted = self.queue.push_evicting(value.into_reply()?, 0) as u64;
        if evicted > 0 && self.dropped.fetch_add(evicted, Ordering::Relaxed) == 0 {
            warn!(
                capacity = self.opts.queue_capacity,
                "values are queued with transceive_data() faster than frames come to carry \
                 them: dropping the oldest (Client::dropped_replies counts them)"
            );
        }
        Ok(())
    }

    /// Values queued with [`Client::transceive_data`] that were dropped, the oldest first,
    /// because the queue was full.
    pub fn dropped_replies(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The bytes of the messages received so far, as they came on the wire (compressed frames
    /// at their compressed size).
    pub fn bytes_received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// The time this end spent decompressing frames (and compressing frame replies).
    pub fn codec_times(&self) -> CodecTimes {
        self.codec.times.clone()
    }

    /// H.264 frames received that could not be shown because one before them was missing (a
    /// frame dropped on the way, or a stream joined mid-way): skipped until their stream's
    /// next key frame, each answered as the pattern asks.
    pub fn skipped_for_key_frame(&self) -> u64 {
        self.codec.skipped_for_key_frame()
    }

    /// Bad messages skipped so far (with [`OnBadMessage::Skip`]).
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Number of queued values not sent yet.
    pub fn pending_replies(&self) -> usize {
        self.queue.len()
    }

    /// Whether the server has terminated the stream (or a mismatch ended it).
    pub fn is_terminated(&self) -> bool {
        self.terminated.load(Ordering::Acquire)
    }

    /// Closes the end. Waits (off the event loop, at most 2 s) for the termination answer to
    /// leave if one was just sent; otherwise returns at once.
    ///
    /// An answer still owed to a [`Request`] is sent first, as it stands (the reply if its
    /// responder has replied, else nothing), without waiting for the responder.
    pub async fn close(mut self) {
        if let Some(answer) = std::mem::take(self.receiving.get_mut()).now() {
            let wait = self.timeout.min(ANSWER_WAIT);
            match self.answer(answer.as_ref(), wait).await {
                Ok(()) => {
                    let _ = self.link.set_linger(self.timeout.min(ANSWER_LINGER));
                }
                Err(e) => debug!(error = %e, "the answer owed to the last request was not sent"),
            }
        }
        let _ = tokio::task::spawn_blocking(move || drop(self)).await;
    }
}

/// The port of a tcp endpoint as libzmq writes it: `tcp://ADDRESS:PORT`, the address an IPv4
/// one or a bracketed IPv6 one.
fn tcp_port(endpoint: &str) -> Option<u16> {
    endpoint
        .strip_prefix("tcp://")?
        .rsplit_once(':')?
        .1
        .parse()
        .ok()
}

/// The stream of a receiving step (`recv`, `recv_request`) taken over and over: its items
/// until it says the server terminated (`None`), or its first error, yielded before the end.
fn steps<C, T, F, Fut>(client: C, step: F) -> impl Stream<Item = Result<T>>
where
    F: Fn(C) -> Fut,
    Fut: std::future::Future<Output = (Result<Option<T>>, C)>,
{
    futures::stream::unfold(Some(client), move |client| {
        let next = client.map(&step);
        async move {
            match next?.await {
                (Ok(Some(item)), client) => Some((Ok(item), Some(client))),
                (Ok(None), _) => None,
                (Err(e), _) => Some((Err(e), None)),
            }
        }
    })
}

/// One item of a client's stream.
type Item = Result<(Option<Data>, Frame)>;

/// A [`Client`]'s frames as a stream that owns the client ([`Client::into_stream`]): each item
/// is `(data, frame)` or the error that ended the stream, as [`Client::recv_generator`] yields.
pub struct ClientStream {
    items: std::pin::Pin<Box<dyn Stream<Item = Item> + Send>>,
    client: Arc<Client>,
}

impl std::fmt::Debug for ClientStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientStream")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl ClientStream {
    /// The client: to queue answers with [`Client::transceive_data`], or read its counts.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Closes the client (see [`Client::close`]).
    pub async fn close(self) {
        let ClientStream { items, client } = self;
        // The stream's own reference goes first; then the client is the only one left.
        drop(items);
        if let Ok(client) = Arc::try_unwrap(client) {
            client.close().await;
        }
    }
}

impl Stream for ClientStream {
    type Item = Result<(Option<Data>, Frame)>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.items.as_mut().poll_next(cx)
    }
}
