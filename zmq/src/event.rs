//! [`SocketEvent`]: the events of the socket monitor ([`Socket::monitor`](crate::Socket::monitor)).

use std::fmt;

use netgear_zmq_sys as sys;

/// A socket monitor event (`ZMQ_EVENT_*`), as the first two bytes of a monitor message carry
/// it. Any number is kept (a later libzmq may send others); the constants name libzmq 4.3's,
/// and work as `match` patterns.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketEvent(u16);

/// Declares the named events, and the table of their names for `Debug`.
macro_rules! events {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        impl SocketEvent {
            $(
                $(#[$doc])*
                pub const $name: SocketEvent = SocketEvent($value as u16);
            )*
        }

        /// The named events and their names, for `Debug`.
        const NAMES: &[(SocketEvent, &str)] = &[$((SocketEvent::$name, stringify!($name)),)*];
    };
}

events! {
    /// A connection was made (value: its file descriptor).
    CONNECTED = sys::ZMQ_EVENT_CONNECTED;
    /// A connect is pending (value: errno).
    CONNECT_DELAYED = sys::ZMQ_EVENT_CONNECT_DELAYED;
    /// A connection is being retried (value: the reconnect interval, ms).
    CONNECT_RETRIED = sys::ZMQ_EVENT_CONNECT_RETRIED;
    /// The socket is listening (value: the file descriptor).
    LISTENING = sys::ZMQ_EVENT_LISTENING;
    /// A bind failed (value: errno).
    BIND_FAILED = sys::ZMQ_EVENT_BIND_FAILED;
    /// A connection was accepted (value: its file descriptor).
    ACCEPTED = sys::ZMQ_EVENT_ACCEPTED;
    /// Accepting a connection failed (value: errno).
    ACCEPT_FAILED = sys::ZMQ_EVENT_ACCEPT_FAILED;
    /// A connection's file descriptor was closed (value: it).
    CLOSED = sys::ZMQ_EVENT_CLOSED;
    /// Closing a connection failed (value: errno).
    CLOSE_FAILED = sys::ZMQ_EVENT_CLOSE_FAILED;
    /// A session was disconnected (value: its file descriptor).
    DISCONNECTED = sys::ZMQ_EVENT_DISCONNECTED;
    /// The monitor was stopped.
    MONITOR_STOPPED = sys::ZMQ_EVENT_MONITOR_STOPPED;
    /// A handshake failed with a system error (value: errno).
    HANDSHAKE_FAILED_NO_DETAIL = sys::ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    /// A handshake succeeded (authentication included).
    HANDSHAKE_SUCCEEDED = sys::ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    /// A handshake failed on a protocol error (value: a `ZMQ_PROTOCOL_ERROR_*`).
    HANDSHAKE_FAILED_PROTOCOL = sys::ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    /// Authentication failed (value: the ZAP status code).
    HANDSHAKE_FAILED_AUTH = sys::ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    /// Every event: a mask for [`Socket::monitor`](crate::Socket::monitor), not an event.
    ALL = sys::ZMQ_EVENT_ALL;
}

impl SocketEvent {
    /// The event of a number (any: unknown ones are kept as they are).
    pub const fn from_raw(raw: u16) -> SocketEvent {
        SocketEvent(raw)
    }

    /// The event's number (`ZMQ_EVENT_*`); `i32::from` of it is a mask for
    /// [`Socket::monitor`](crate::Socket::monitor).
    pub const fn to_raw(self) -> u16 {
        self.0
    }
}

impl fmt::Debug for SocketEvent {
    /// The constant's name (`CONNECTED`), or `SocketEvent(0x…)` for another number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match NAMES.iter().find(|(e, _)| e == self) {
            Some((_, name)) => f.write_str(name),
            None => write!(f, "SocketEvent({:#06x})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trip_and_names() {
        assert_eq!(SocketEvent::from_raw(0x0020), SocketEvent::ACCEPTED);
        assert_eq!(SocketEvent::HANDSHAKE_SUCCEEDED.to_raw(), 0x1000);
        assert_eq!(SocketEvent::ALL.to_raw(), 0xFFFF);
        assert_eq!(format!("{:?}", SocketEvent::CONNECTED), "CONNECTED");
        assert_eq!(
            format!("{:?}", SocketEvent::from_raw(0x8000)),
            "SocketEvent(0x8000)"
        );
        assert!(matches!(
            SocketEvent::from_raw(0x0200),
            SocketEvent::DISCONNECTED
        ));
    }
}
