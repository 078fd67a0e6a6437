//! [`Options`] for both ends, with vidgear's defaults.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::media::Source;
use crate::pattern::{Pattern, Protocol};
use crate::rate::Rate;
use crate::wire::{Compression, End};

/// What a receive-mode end does with a message from the server that it cannot decode.
///
/// Either way nothing of the bad message is used, a REQ/REP or PAIR server still gets an
/// (empty) answer, and the stream after it is intact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnBadMessage {
    /// End the stream with the error (vidgear's behaviour; the default).
    #[default]
    Stop,
    /// Log it, count it ([`crate::Client::skipped`]) and go on with the next message.
    Skip,
}

/// vidgear's timeout when none (or 0) is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Default limit on one incoming message: room for a 4K (3840×2160×4) frame and its header.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 << 20;

/// The address of a shared-memory stream when none is given ([`Protocol::Shm`]): the
/// endpoint is `shm://local:<port>`.
pub(crate) const DEFAULT_SHM_ADDRESS: &str = "local";

/// Default capacity of the queues behind `transceive_data`.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

/// Default bytes the replies a send-mode end keeps for `transceive_data` may stand for.
pub const DEFAULT_QUEUE_BYTES: usize = 256 << 20;

/// The default [`Options::key_interval`] in PUB/SUB and PUSH/PULL: an H.264 key frame at least
/// every 2 s. There a receiver may join unseen, or miss frames unseen (a subscriber that does
/// not keep up over shm; over tcp and ipc an H.264 publisher knows what it dropped and sends a
/// key frame next), and waits for the next key frame.
pub const DEFAULT_KEY_INTERVAL: Duration = Duration::from_secs(2);

/// The default [`Options::key_interval`] in the lock-step patterns (PAIR, REQ/REP): an H.264
/// key frame at least every 10 s. There every frame arrives and a receiver that joins is seen
/// and sent a key frame at once; a key frame costs several frames' bits, and on a narrow link
/// each one arrives late (720p over 2 Mbit/s: frame age p99 211–339 ms with one every 2 s,
/// 78–116 ms with one every 10 s).
pub const LOCK_STEP_KEY_INTERVAL: Duration = Duration::from_secs(10);

/// Options of either end, with vidgear's defaults.
///
/// ```
/// use netgear::{Options, Pattern};
/// let opts = Options {
///     port: 5566,
///     pattern: Pattern::ReqRep,
///     bidirectional_mode: true,
///     ..Options::default()
/// };
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to connect (send mode, default `localhost`) or bind (receive mode, default `*`).
    /// For ipc, the socket file's path (default: `netgear:<port>` in a private directory of
    /// this user — `$XDG_RUNTIME_DIR/netgear`, or `netgear-<uid>` in the temp directory,
    /// created mode 0700 and refused if another user owns it or can enter it — the same
    /// for both ends; vidgear's defaults name two different files).
    pub address: Option<String>,
    /// Port (default 5555). For ipc it is appended to the path as `:{port}`, as vidgear does.
    ///
    /// Over tcp, port 0 makes a receive-mode end bind a free port the kernel picks (its
    /// ephemeral range), which [`Client::local_port`](crate::Client::local_port) and
    /// [`Client::local_endpoint`](crate::Client::local_endpoint) tell; a send-mode end refuses
    /// it ([`Error::ConnectPortZero`]).
    pub port: u16,
    /// tcp (default) or ipc.
    pub protocol: Protocol,
    /// Messaging pattern (default 0, PAIR).
    pub pattern: Pattern,
    /// How long to wait for the peer; zero means the default, 15 s.
    pub timeout: Duration,
    /// Bidirectional mode: data travels with every frame and the receive side answers each frame
    /// with data or a frame. Patterns 0 and 1 only, custom sources only.
    pub bidirectional_mode: bool,
    /// A built-in source for a send-mode end (vidgear's `source`); `None` for a custom source.
    pub source: Option<Source>,
    /// Largest message accepted from a peer, in bytes (libzmq's `ZMQ_MAXMSGSIZE`, which this
    /// project's libzmq applies to a whole message: the sum of its parts, each part after the
    /// first charged 64 bytes more; a peer that goes over is disconnected), and largest frame a
    /// compressed frame from a peer may decode into.
    pub max_message_size: usize,
    /// Largest encoded data (the first part of a frame message or of a reply) accepted from a
    /// peer, in bytes.
    pub max_data_size: usize,
    /// Capacity of the queue behind `transceive_data` on each end.
    pub queue_capacity: usize,
    /// Bytes the client's replies waiting in a send-mode end's queue may stand for (as they
    /// came on the wire; default 256 MiB): past it the oldest are dropped, as past
    /// [`Options::queue_capacity`]. A peer's answers cannot hold more memory than this.
    pub queue_max_bytes: usize,
    /// What a receive-mode end does with a bad message: stop (default) or skip it.
    pub on_bad_message: OnBadMessage,
    /// How this end compresses the frames it sends (a send-mode end's frames, a receive-mode
    /// end's frame replies): `None` (default) is vidgear's wire. A netgear-rs end decodes
    /// compressed frames whatever this says; a vidgear end refuses them (see the README).
    pub compression: Compression,
    /// Whether a send-mode end stamps each frame with its capture time (an extra key in the
    /// header, `captured_us`, that vidgear ignores), so that a netgear-rs receiver knows how old
    /// each frame is ([`Frame::captured`](crate::Frame::captured)). On by default; off, the
    /// header's bytes are exactly vidgear's.
    pub timestamps: bool,
    /// Frames a send-mode end may have sent and not yet had answered, in pattern 0 (PAIR):
    /// 1 (the default) is vidgear's lock-step; more keeps a slow link busy while answers are
    /// on their way, each still matched to its frame in order (the client, netgear-rs or
    /// vidgear, answers every frame as it arrives). Pattern 1 (REQ/REP) is lock-step by nature.
    pub max_in_flight: usize,
    /// In Bidirectional Mode with compression, [`Server::launch`](crate::Server::launch) takes
    /// the next frame from the source and encodes it while this frame's answer is awaited, as
    /// it always does without Bidirectional Mode ([`Server::send`](crate::Server::send), frame
    /// by frame, is unchanged). Off by default: a source that reads the answers with
    /// `transceive_data()` must see the answer to the frame before, as in vidgear, and with
    /// this on it sees the one before that. Turn it on for a source that does not read them (a
    /// camera, a file): encoding then no longer waits its turn behind each round trip, which
    /// on a narrow link leaves the frame its whole interval on the wire (the `netgear serve`
    /// command does). Needs a core to spare; no change on the wire.
    pub encode_ahead: bool,
    /// Secure mode (ZeroMQ CURVE): `None` (default) is vidgear NetGear_Async's clear text.
    /// A receive-mode end takes [`Secure::receiver`](crate::Secure::receiver)'s keys, a
    /// send-mode end [`Secure::sender`](crate::Secure::sender)'s; both ends must use it.
    pub secure: Option<crate::Secure>,
    /// Keep streaming through the peer's absences (off by default: vidgear's behaviour, where
    /// a peer gone for longer than the timeout ends the stream with an error).
    ///
    /// A send-mode end survives receiver restarts and link outages of any length: while its
    /// receiver is away it takes nothing from its source (a live source keeps only its newest
    /// frame; a file waits), it notices the receiver's return and resumes at once, and in
    /// patterns 0 and 1 a frame whose answer was lost is counted
    /// ([`Outages::frames_lost`](crate::Outages::frames_lost)), neither awaited for ever nor
    /// sent twice. Each outage is logged (`tracing`) and counted
    /// ([`Server::outages`](crate::Server::outages)).
    ///
    /// A receive-mode end waits for its senders without a time limit: senders come and go (in
    /// PAIR one at a time; an answer owed to a sender that has gone is dropped, never given to
    /// the next one), and the stream ends only with the end message (or when the application
    /// stops reading).
    pub reconnect: bool,
    /// With `h264` compression ([`Compression::H264 { .. }`](enum@Compression)): the longest
    /// time between key frames (a key frame also goes whenever a receiver joins). A receiver
    /// that lost a frame, or joined when no one else did, shows nothing until the next one.
    /// `None` (the default): the pattern's, [`LOCK_STEP_KEY_INTERVAL`] (10 s) in PAIR and
    /// REQ/REP, [`DEFAULT_KEY_INTERVAL`] (2 s) in PUB/SUB and PUSH/PULL
    /// ([`Options::key_frame_interval`]).
    pub key_interval: Option<Duration>,
    /// How a send-mode end sets its bitrate (H.264) or quality (JPEG): [`Rate::Fixed`]
    /// (default) as [`Options::compression`] says, or [`Rate::Auto`], following the link,
    /// with the compression's value as the ceiling (and the frame size reduced below a
    /// floor). Needs `jpeg` or `h264` compression.
    pub rate: Rate,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            address: None,
            port: 5555,
            protocol: Protocol::Tcp,
            pattern: Pattern::Pair,
            timeout: DEFAULT_TIMEOUT,
            bidirectional_mode: false,
            source: None,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_data_size: crate::wire::DEFAULT_MAX_DATA_SIZE,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            queue_max_bytes: DEFAULT_QUEUE_BYTES,
            on_bad_message: OnBadMessage::Stop,
            compression: Compression::None,
            timestamps: true,
            max_in_flight: 1,
            encode_ahead: false,
            secure: None,
            reconnect: false,
            key_interval: None,
            rate: Rate::Fixed,
        }
    }
}

impl Options {
    /// The longest time between H.264 key frames: [`Options::key_interval`], or the pattern's
    /// default.
    pub fn key_frame_interval(&self) -> Duration {
        self.key_interval.unwrap_or(match self.pattern {
            Pattern::Pair | Pattern::ReqRep => LOCK_STEP_KEY_INTERVAL,
            Pattern::PubSub | Pattern::PushPull => DEFAULT_KEY_INTERVAL,
        })
    }

    /// Checks the combination, with the errors vidgear raises at construction.
    pub fn validate(&self) -> Result<()> {
        if self.bidirectional_mode && !self.pattern.has_replies() {
            return Err(Error::BidirectionalPattern(self.pattern));
        }
        if self.bidirectional_mode && self.source.is_some() {
            return Err(Error::BidirectionalWithSource);
        }
        if self.max_in_flight == 0 {
            return Err(Error::InvalidOption(
                "max_in_flight must be at least 1".into(),
            ));
        }
        if self.max_in_flight > 1 && self.pattern != Pattern::Pair {
            return Err(Error::InvalidOption(format!(
                "max_in_flight {} needs pattern 0 (PAIR): REQ/REP answers one request at a time, and patterns 2 and 3 have no answers",
                self.max_in_flight
            )));
        }
        if self.rate == Rate::Auto
            && !matches!(
                self.compression,
                Compression::Jpeg { .. } | Compression::H264 { .. }
            )
        {
            return Err(Error::InvalidOption(format!(
                "rate auto sets a JPEG quality or an H.264 bitrate: it needs compression jpeg or h264, not {}",
                self.compression
            )));
        }
        if self.queue_capacity == 0 {
            return Err(Error::InvalidOption(
                "queue_capacity must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// Checks the options for one end: [`Options::validate`], and for a send-mode end
    /// (`End::Server`) over tcp a port to connect to ([`Error::ConnectPortZero`] for port 0,
    /// which only a receive-mode end can take: it binds a free port).
    pub fn validate_for(&self, end: End) -> Result<()> {
        self.validate()?;
        if end == End::Server && self.protocol == Protocol::Tcp && self.port == 0 {
            return Err(Error::ConnectPortZero);
        }
        Ok(())
    }

    /// What the decoders accept from a peer.
    pub fn limits(&self) -> crate::wire::Limits {
        crate::wire::Limits {
            max_data_size: self.max_data_size,
            max_frame_size: self.max_message_size,
        }
    }

    /// The timeout in effect (15 s when zero).
    pub fn effective_timeout(&self) -> Duration {
        if self.timeout.is_zero() {
            DEFAULT_TIMEOUT
        } else {
            self.timeout
        }
    }

    /// The ZeroMQ endpoint for the given role: `{protocol}://{address}:{port}`.
    pub fn endpoint(&self, binds: bool) -> String {
        let address = match (&self.address, self.protocol) {
            (Some(a), _) => a.clone(),
            (None, Protocol::Tcp) if binds => "*".to_owned(),
            (None, Protocol::Tcp) => "localhost".to_owned(),
            (None, Protocol::Ipc) => private_ipc_dir()
                .join("netgear")
                .to_string_lossy()
                .into_owned(),
            (None, Protocol::Shm) => DEFAULT_SHM_ADDRESS.to_owned(),
        };
        format!("{}://{}:{}", self.protocol, address, self.port)
    }

    /// Whether the endpoint is the default ipc path (in the private directory).
    pub(crate) fn default_ipc(&self) -> bool {
        self.protocol == Protocol::Ipc && self.address.is_none()
    }
}

/// This user's private directory for ipc socket files: `$XDG_RUNTIME_DIR/netgear` when the
/// runtime directory is set, else `netgear-<uid>` in the temp directory. (Created and checked
/// by [`ensure_private_ipc_dir`] before a socket is bound or connected there.)
pub(crate) fn private_ipc_dir() -> std::path::PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => std::path::PathBuf::from(dir).join("netgear"),
        None => std::env::temp_dir().join(format!("netgear-{}", current_uid())),
    }
}

fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// Creates the private ipc directory (mode 0700) if it is missing, and refuses it unless it is
/// a real directory (not a symlink) owned by this user that nobody else can enter: another
/// local user must not be able to bind the path first and receive the stream.
pub(crate) fn ensure_private_ipc_dir() -> Result<std::path::PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let dir = private_ipc_dir();
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(Error::InvalidOption(format!(
                "cannot create the private ipc directory {}: {e}",
                dir.display()
            )));
        }
    }
    let meta = std::fs::symlink_metadata(&dir)
        .map_err(|e| Error::InvalidOption(format!("cannot read {}: {e}", dir.display())))?;
    let uid = current_uid();
    if !meta.file_type().is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
        return Err(Error::InvalidOption(format!(
            "the ipc directory {} is not private (it must be a directory owned by uid {uid} \
             with mode 0700; it is {}owned by uid {} with mode {:o}): another user could take \
             the socket path. Remove it, or give an address",
            dir.display(),
            if meta.file_type().is_dir() {
                ""
            } else {
                "not a directory, "
            },
            meta.uid(),
            meta.mode() & 0o7777
        )));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::TestPattern;

    #[test]
    fn endpoints_follow_vidgear() {
        let o = Options::default();
        assert_eq!(o.endpoint(true), "tcp://*:5555");
        assert_eq!(o.endpoint(false), "tcp://localhost:5555");
        let ipc = Options {
            protocol: Protocol::Ipc,
            address: Some("/tmp/feed".into()),
            ..Options::default()
        };
        assert_eq!(ipc.endpoint(true), "ipc:///tmp/feed:5555");
        let ipc_default = Options {
            protocol: Protocol::Ipc,
            ..Options::default()
        };
        assert_eq!(ipc_default.endpoint(true), ipc_default.endpoint(false));
    }

    #[test]
    fn validation_errors() {
        for p in [Pattern::PubSub, Pattern::PushPull] {
            let o = Options {
                pattern: p,
                bidirectional_mode: true,
                ..Options::default()
            };
            assert!(matches!(o.validate(), Err(Error::BidirectionalPattern(q)) if q == p));
        }
        let o = Options {
            bidirectional_mode: true,
            source: Some(Source::TestPattern(TestPattern::new(8, 8))),
            ..Options::default()
        };
        assert!(matches!(o.validate(), Err(Error::BidirectionalWithSource)));
        assert!(Pattern::try_from(4).is_err());
        assert!("udp".parse::<Protocol>().is_err());
        let z = Options {
            timeout: Duration::ZERO,
            ..Options::default()
        };
        assert_eq!(z.effective_timeout(), DEFAULT_TIMEOUT);
    }

    #[test]
    fn port_zero_is_for_a_receiver_over_tcp() {
        let zero = Options {
            port: 0,
            ..Options::default()
        };
        assert!(zero.validate_for(End::Client).is_ok());
        assert!(matches!(
            zero.validate_for(End::Server),
            Err(Error::ConnectPortZero)
        ));
        assert_eq!(zero.endpoint(true), "tcp://*:0");
        // Over ipc the port is only part of the file's name, as in vidgear.
        let ipc = Options {
            protocol: Protocol::Ipc,
            address: Some("/tmp/feed".into()),
            ..zero
        };
        assert!(ipc.validate_for(End::Server).is_ok());
        assert_eq!(ipc.endpoint(false), "ipc:///tmp/feed:0");
    }
}
