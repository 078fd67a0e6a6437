//! The iceoryx2 side of a shared-memory link: the configuration (private files, no signal
//! handlers, no configuration files read), the services a stream is made of, the QoS that bounds
//! their memory, and the removal of what killed processes left behind.
//!
//! A stream at `shm://ADDRESS:PORT` in pattern P is four services, named
//! `netgear/ADDRESS/PORT/pP/`:
//!
//! - `frames`: publish-subscribe of byte slices, the send-mode end's messages;
//! - `frames.event`: its wake-ups (the receive-mode end's listener);
//! - `answers`, `answers.event`: the receive-mode end's answers, the other way.
//!
//! Each end publishes on one and subscribes to the other. In patterns 0, 1 and 3 each service
//! has one port of each kind: a second end of the same role is refused while the first is
//! alive. In pattern 2 (PUB/SUB) up to [`SUBSCRIBERS`] receivers subscribe to the frames (and
//! each publishes an `answers` that stays empty, its presence telling the sender it is there),
//! each with a queue of two whose oldest the newest message overwrites: a sender never waits for
//! a slow subscriber, and the end message never takes the place of the last frame before it.

use std::time::Duration;

use iceoryx2::port::listener::Listener;
use iceoryx2::port::notifier::Notifier;
use iceoryx2::port::publisher::Publisher;
use iceoryx2::port::subscriber::Subscriber;
use iceoryx2::prelude::*;
use iceoryx2::service::port_factory::{event, publish_subscribe};

use super::envelope;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::pattern::Pattern;
use crate::transport::interface::Role;

/// The iceoryx2 service flavour: ports that may move between threads (tokio's), at the cost of
/// a mutex per port.
pub(super) type Svc = ipc_threadsafe::Service;

/// A slice of bytes in shared memory, as received.
pub(super) type ShmSample = iceoryx2::sample::Sample<Svc, [u8], ()>;

/// Messages queued each way before a sender waits for room: the most frames a send-mode end
/// may have in flight ([`Options::max_in_flight`]) over shm. (Pattern 2: one, overwritten.)
pub(super) const BUFFER: usize = 2;

/// The most receivers of a PUB/SUB stream.
pub(super) const SUBSCRIBERS: usize = 4;

/// Received messages an end hands over without a copy and the application may still hold
/// (frames it keeps); past them a message is copied out of shared memory at once.
pub(super) const LENT: usize = 2;

/// Samples a subscriber may hold: [`LENT`], and the one being read.
const BORROWED: usize = LENT + 1;

/// How a service of a stream is shared, by pattern.
#[derive(Debug, Clone, Copy)]
struct Qos {
    /// Publishers of the frames (1) and of the answers.
    answerers: usize,
    /// Subscribers of the frames (of the answers: 1).
    subscribers: usize,
    /// A subscriber's queue.
    buffer: usize,
    /// Whether a full queue drops its oldest message (PUB/SUB) rather than refuse a new one.
    overflow: bool,
}

impl Qos {
    fn of(pattern: Pattern) -> Qos {
        match pattern {
            Pattern::PubSub => Qos {
                answerers: SUBSCRIBERS,
                subscribers: SUBSCRIBERS,
                buffer: 2,
                overflow: true,
            },
            _ => Qos {
                answerers: 1,
                subscribers: 1,
                buffer: BUFFER,
                overflow: false,
            },
        }
    }
}

/// Slots a publisher may have loaned at once: a frame being written in place
/// ([`Server::frame_buffer`](crate::Server::frame_buffer)) and a message sent meanwhile.
const LOANED: usize = 2;

/// Slots in the pool of a publisher of frames in `pattern`: those being written, and every
/// one each subscriber may hold (queued, or borrowed).
pub(super) fn pool_slots(pattern: Pattern) -> usize {
    let qos = Qos::of(pattern);
    LOANED + qos.subscribers * (qos.buffer + BORROWED)
}

/// The largest message shm carries by default: a slot is `min(max_message_size, MAX_SLOT)`
/// bytes (and the envelope's few hundred). 32 MiB holds a 4K (3840×2160×3) frame; the pool of
/// each direction is [`SLOTS`] slots, mapped at once but only backed by memory as it is written.
pub(super) const MAX_SLOT: usize = 32 << 20;

/// How long a peer's service creation may take before opening one fails.
const CREATION_TIMEOUT: Duration = Duration::from_secs(2);

/// The bytes a message's parts may take in one slot, by the options of the end: what it sends
/// (its publisher's slot) and what it accepts.
pub(super) fn slot_len(opts: &Options) -> usize {
    opts.max_message_size.min(MAX_SLOT) + envelope::OVERHEAD
}

/// The slot of this end's publisher: [`slot_len`], or next to nothing for a receiver that
/// never answers (patterns 2 and 3: its publisher only says it is there).
fn publisher_slot(opts: &Options, role: Role) -> usize {
    if role == Role::Receive && !opts.pattern.has_replies() {
        envelope::OVERHEAD
    } else {
        slot_len(opts)
    }
}

/// An iceoryx2 failure, as this crate's error.
pub(super) fn failed(what: &str, e: impl std::fmt::Debug) -> Error {
    Error::Io(std::io::Error::other(format!(
        "shared memory: {what}: {e:?}"
    )))
}

/// The configuration of every node: files under this user's private directory (0700; the
/// shared memory itself in /dev/shm, mode 0600, under a prefix of our own), no configuration
/// file looked up.
pub(super) fn config() -> Result<Config> {
    let dir = crate::options::ensure_private_ipc_dir()?.join("iceoryx2");
    let mut root = dir.to_string_lossy().into_owned();
    root.push('/');
    let mut cfg = Config::default();
    let root = Path::new(root.as_bytes()).map_err(|e| failed("the root path", e))?;
    cfg.global.set_root_path(&root);
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    cfg.global.prefix = FileName::new(format!("netgear{uid}_").as_bytes())
        .map_err(|e| failed("the file prefix", e))?;
    cfg.global.creation_timeout = CREATION_TIMEOUT;
    Ok(cfg)
}

/// Removes what the nodes of dead processes (killed, crashed) left behind: their ports leave
/// the services, and their files go. Returns how many were removed.
pub(super) fn reap(cfg: &Config) -> usize {
    let mut removed = 0;
    let listed = Node::<Svc>::list(cfg, |state| {
        if let NodeState::Dead(view) = state {
            match view.try_remove_stale_resources() {
                Ok(()) => removed += 1,
                Err(e) => tracing::debug!(error = ?e, "a dead node's resources stay"),
            }
        }
        CallbackProgression::Continue
    });
    if let Err(e) = listed {
        tracing::debug!(error = ?e, "could not list the nodes");
    }
    removed
}

/// The ports of one end, and the services they belong to (whose counts tell who is there).
pub(super) struct Ports {
    pub(super) publisher: Publisher<Svc, [u8], ()>,
    /// Taken out when a PUB/SUB receiver unsubscribes.
    pub(super) subscriber: std::sync::Mutex<Option<Subscriber<Svc, [u8], ()>>>,
    pub(super) notifier: Notifier<Svc>,
    /// The service this end publishes on.
    pub(super) outgoing: publish_subscribe::PortFactory<Svc, [u8], ()>,
    /// The service this end subscribes to.
    pub(super) incoming: publish_subscribe::PortFactory<Svc, [u8], ()>,
    _events: [event::PortFactory<Svc>; 2],
    pub(super) config: Config,
    /// Last: the ports and services go first.
    _node: std::sync::Mutex<Node<Svc>>,
}

/// The services' names: `netgear/ADDRESS/PORT/pP/` and the service's own.
fn service_name(prefix: &str, what: &str) -> Result<ServiceName> {
    let name = format!("{prefix}{what}");
    ServiceName::new(&name).map_err(|e| {
        Error::InvalidOption(format!(
            "shm stream name {name:?}: {e:?} (a shorter address?)"
        ))
    })
}

impl Ports {
    /// Opens (or creates) the services of the stream the options name, and this end's ports;
    /// the listener of its wake-ups apart (for tokio).
    pub(super) fn open(
        opts: &Options,
        role: Role,
        address: &str,
    ) -> Result<(Ports, Listener<Svc>)> {
        let config = config()?;
        // What killed processes left would count against the one port of each kind.
        reap(&config);
        let node_name = match role {
            Role::Send => "netgear-send",
            Role::Receive => "netgear-recv",
        };
        let node = NodeBuilder::new()
            .name(&NodeName::new(node_name).map_err(|e| failed("the node name", e))?)
            .config(&config)
            // Never install process-wide signal handlers in a library.
            .signal_handling_mode(SignalHandlingMode::Disabled)
            .create::<Svc>()
            .map_err(|e| failed("creating the node", e))?;
        let prefix = format!(
            "netgear/{address}/{}/p{}/",
            opts.port,
            opts.pattern.number()
        );
        let (out_name, in_name) = match role {
            Role::Send => ("frames", "answers"),
            Role::Receive => ("answers", "frames"),
        };
        let qos = Qos::of(opts.pattern);
        // Of the frames: one publisher, `subscribers` subscribers; of the answers the other way.
        let ends = |what: &str| match what {
            "frames" => (1, qos.subscribers),
            _ => (qos.answerers, 1),
        };
        // Room for every end, and for dead ones not removed yet.
        let nodes = 2 * (1 + qos.subscribers);
        let pubsub = |what: &str| -> Result<publish_subscribe::PortFactory<Svc, [u8], ()>> {
            let (publishers, subscribers) = ends(what);
            node.service_builder(&service_name(&prefix, what)?)
                // No `payload_alignment`: iceoryx2 would pad every byte of a `[u8]` slice to it.
                .publish_subscribe::<[u8]>()
                .max_publishers(publishers)
                .max_subscribers(subscribers)
                .max_nodes(nodes)
                .subscriber_max_buffer_size(qos.buffer)
                .subscriber_max_borrowed_samples(BORROWED)
                .history_size(0)
                .enable_safe_overflow(qos.overflow)
                .open_or_create()
                .map_err(|e| failed(what, e))
        };
        let events = |what: &str| -> Result<event::PortFactory<Svc>> {
            let (notifiers, listeners) = ends(what);
            node.service_builder(&service_name(&prefix, &format!("{what}.event"))?)
                .event()
                .max_notifiers(notifiers)
                .max_listeners(listeners)
                .max_nodes(nodes)
                .open_or_create()
                .map_err(|e| failed(what, e))
        };
        let outgoing = pubsub(out_name)?;
        let incoming = pubsub(in_name)?;
        let out_events = events(out_name)?;
        let in_events = events(in_name)?;
        let taken = |e: &dyn std::fmt::Debug| {
            let side = match role {
                Role::Send => "send-mode",
                Role::Receive => "receive-mode",
            };
            let many = if role == Role::Receive && qos.subscribers > 1 {
                format!("{} receive-mode ends", qos.subscribers)
            } else {
                format!("another {side} end")
            };
            Error::InvalidOption(format!(
                "{many} already use shm://{address}:{} in pattern {} ({e:?})",
                opts.port, opts.pattern
            ))
        };
        // The listener first: a peer that comes after the subscriber is looked for (see
        // `ShmLink::open`) wakes it.
        let listener = in_events
            .listener_builder()
            .create()
            .map_err(|e| taken(&e))?;
        let subscriber = incoming
            .subscriber_builder()
            .buffer_size(qos.buffer)
            .create()
            .map_err(|e| taken(&e))?;
        let publisher = outgoing
            .publisher_builder()
            .initial_max_slice_len(publisher_slot(opts, role))
            .allocation_strategy(AllocationStrategy::Static)
            .max_loaned_samples(LOANED)
            // A full receiver never blocks a send: it fails, and the send waits for room
            // under its own timeout.
            .backpressure_strategy(BackpressureStrategy::DiscardData)
            .set_backpressure_handler(|_: &_| {
                iceoryx2::port::BackpressureAction::DiscardDataAndFail
            })
            .create()
            .map_err(|e| taken(&e))?;
        let notifier = out_events
            .notifier_builder()
            .create()
            .map_err(|e| taken(&e))?;
        let ports = Ports {
            publisher,
            subscriber: std::sync::Mutex::new(Some(subscriber)),
            notifier,
            outgoing,
            incoming,
            _events: [out_events, in_events],
            config,
            _node: std::sync::Mutex::new(node),
        };
        Ok((ports, listener))
    }

    /// Whether the peer's ports are there: a subscriber to this end's messages and a publisher
    /// of its own (a dead peer's stay until [`reap`] removes them). PUB/SUB: any subscriber.
    pub(super) fn peer_present(&self) -> bool {
        self.subscribers() > 0 && self.incoming.dynamic_config().number_of_publishers() > 0
    }

    /// The subscribers to this end's messages.
    pub(super) fn subscribers(&self) -> usize {
        self.outgoing.dynamic_config().number_of_subscribers()
    }
}
