//! What a benchmark case is made of: the implementation measured, the role of each of its two
//! peers, how the receive side answers, and the frames. Shared by the orchestrator, the peers and
//! the report, so it depends on none of them.

use clap::ValueEnum;

/// An implementation under test (and the transport it runs over).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Impl {
    /// netgear-rs: the library's `Server` and `Client`, over tcp on loopback.
    Netgear,
    /// netgear-rs in secure mode (CURVE, stonehouse): the cost of encryption beside `Netgear`.
    Secure,
    /// netgear-rs over ipc (a Unix socket in the temp directory).
    Ipc,
    /// netgear-rs over shared memory (`Protocol::Shm`), each frame written in place into a
    /// slot (`Server::frame_buffer`) where the pattern allows.
    Shm,
    /// The raw-libzmq baseline: blocking sockets, the same message shapes, no serialisation,
    /// over tcp on loopback.
    Raw,
    /// The raw-libzmq baseline over ipc.
    RawIpc,
    /// vidgear's NetGear_Async (Python, `tests/interop/vg_bench.py`).
    Vidgear,
    /// No transport: a memset of each frame alone, in the orchestrator's process (the cost of
    /// producing a frame, which no transport can beat).
    Ceil,
}

/// What carries a case's frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// tcp on 127.0.0.1.
    Tcp,
    /// ipc: a Unix socket, `$TMPDIR/netgear-bench:PORT`.
    Ipc,
    /// netgear-rs's shared memory.
    Shm,
    /// Nothing (the ceiling).
    None,
}

/// The ipc endpoint's address (before `:PORT`): `netgear-bench` in the temp directory (libzmq
/// removes the socket file when the receiver closes, and a stale one when it binds).
pub fn ipc_address() -> String {
    std::env::temp_dir()
        .join("netgear-bench")
        .to_string_lossy()
        .into_owned()
}

impl Impl {
    /// The name used on the command line, in the table and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Impl::Netgear => "netgear",
            Impl::Secure => "secure",
            Impl::Ipc => "ipc",
            Impl::Shm => "shm",
            Impl::Raw => "raw",
            Impl::RawIpc => "raw-ipc",
            Impl::Vidgear => "vidgear",
            Impl::Ceil => "ceil",
        }
    }

    /// What carries its frames.
    pub fn transport(self) -> Transport {
        match self {
            Impl::Netgear | Impl::Secure | Impl::Raw | Impl::Vidgear => Transport::Tcp,
            Impl::Ipc | Impl::RawIpc => Transport::Ipc,
            Impl::Shm => Transport::Shm,
            Impl::Ceil => Transport::None,
        }
    }

    /// Whether it is a raw-libzmq peer.
    pub fn is_raw(self) -> bool {
        matches!(self, Impl::Raw | Impl::RawIpc)
    }
}

/// Which end of a case a peer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Send mode: connects, sends the frames, times the round trips.
    Serve,
    /// Receive mode: binds, receives the frames, answers them.
    Recv,
}

impl Role {
    /// The name used on the command line and in a peer's report.
    pub fn name(self) -> &'static str {
        match self {
            Role::Serve => "serve",
            Role::Recv => "recv",
        }
    }
}

/// How the receive side answers each frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplyKind {
    /// No bidirectional mode: vidgear's plain confirmation in patterns 0 and 1, nothing in 2, 3.
    None,
    /// Bidirectional mode, the text `"ok"` back for every frame.
    Text,
    /// Bidirectional mode, every frame sent back (video chat, zero-copy echo).
    Frame,
}

impl ReplyKind {
    /// The name used on the command line, in the table and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            ReplyKind::None => "none",
            ReplyKind::Text => "text",
            ReplyKind::Frame => "frame",
        }
    }
}

/// One case to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// The implementation both peers run.
    pub implementation: Impl,
    /// vidgear's pattern number.
    pub pattern: u8,
    /// How the receive side answers.
    pub reply: ReplyKind,
    /// Frame width.
    pub width: usize,
    /// Frame height.
    pub height: usize,
    /// Frames the send side sends.
    pub frames: u64,
}

impl Case {
    /// Whether `other` is the same case (pattern, reply and size), whatever its implementation:
    /// the cases whose rounds alternate and whose rows are compared.
    pub fn same_shape(&self, other: &Case) -> bool {
        (self.pattern, self.reply, self.width, self.height)
            == (other.pattern, other.reply, other.width, other.height)
    }
}
