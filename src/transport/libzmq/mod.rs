//! The libzmq transport: async ZeroMQ sockets on tokio, over tcp or ipc, in the four patterns,
//! with secure mode (CURVE) — through our own binding (`zmq/`, over `zmq-sys/`: libzmq with our
//! patches).
//!
//! - `open.rs`: a socket for an end — the pattern's socket type and options, secure mode,
//!   binding or connecting;
//! - `socket.rs`: [`ZmqSocket`], the socket on tokio (the edge-triggered `ZMQ_FD`, bounded
//!   waits) and its [`Transport`](crate::transport::Transport) methods;
//! - `monitor.rs`: libzmq's socket monitor, for peer events;
//! - `parts.rs`: message parts in and out, without copies where they pay.

mod monitor;
mod open;
mod parts;
mod socket;

pub(crate) use open::open;
pub(crate) use socket::ZmqSocket;
