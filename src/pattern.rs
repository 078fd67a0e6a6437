//! The ZeroMQ messaging [`Pattern`] and the transport [`Protocol`], as vidgear numbers and names
//! them.

/// The ZeroMQ messaging pattern (vidgear's `pattern` number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pattern {
    /// 0: PAIR ↔ PAIR, one reply per frame (the default).
    #[default]
    Pair,
    /// 1: REQ ↔ REP, one reply per frame.
    ReqRep,
    /// 2: PUB → SUB, no reply; a slow subscriber may miss frames (high-water mark 1).
    PubSub,
    /// 3: PUSH → PULL, no reply.
    PushPull,
}

impl Pattern {
    /// vidgear's number for the pattern.
    pub const fn number(self) -> u8 {
        match self {
            Pattern::Pair => 0,
            Pattern::ReqRep => 1,
            Pattern::PubSub => 2,
            Pattern::PushPull => 3,
        }
    }

    /// Whether the receive side answers every frame (patterns 0 and 1).
    pub const fn has_replies(self) -> bool {
        matches!(self, Pattern::Pair | Pattern::ReqRep)
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.number())
    }
}

impl TryFrom<u8> for Pattern {
    type Error = ParseError;
    fn try_from(n: u8) -> Result<Pattern, ParseError> {
        match n {
            0 => Ok(Pattern::Pair),
            1 => Ok(Pattern::ReqRep),
            2 => Ok(Pattern::PubSub),
            3 => Ok(Pattern::PushPull),
            _ => Err(ParseError::Pattern(n)),
        }
    }
}

/// The transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// TCP (the default).
    #[default]
    Tcp,
    /// Unix-domain sockets (ZeroMQ `ipc://`).
    Ipc,
    /// Shared memory between two processes of one host (iceoryx2; a netgear-rs extension,
    /// feature `shm`): a frame is written once into memory both ends map, and received without
    /// a copy. Every pattern (PUB/SUB: up to 4 subscribers); the address and port name the stream (default address
    /// `local`). Without the feature an end fails to open with
    /// [`Error::InvalidOption`](crate::Error::InvalidOption).
    Shm,
}

impl std::str::FromStr for Protocol {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Protocol, ParseError> {
        match s {
            "tcp" => Ok(Protocol::Tcp),
            "ipc" => Ok(Protocol::Ipc),
            "shm" => Ok(Protocol::Shm),
            _ => Err(ParseError::Protocol(s.chars().take(64).collect())),
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Ipc => "ipc",
            Protocol::Shm => "shm",
        })
    }
}

/// A pattern number or protocol name that is not one of vidgear's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not 0, 1, 2 or 3.
    #[error("pattern {0}: valid patterns are 0 (PAIR), 1 (REQ/REP), 2 (PUB/SUB), 3 (PUSH/PULL)")]
    Pattern(u8),
    /// Not `tcp`, `ipc` or `shm`.
    #[error("protocol {0:?}: valid protocols are tcp, ipc and shm")]
    Protocol(String),
}
