//! [`Socket`] and [`SocketType`]: binding, connecting, sending, receiving, options, the
//! monitor.

use std::ffi::{CString, c_int, c_void};
use std::mem::size_of;
use std::string::FromUtf8Error;

use netgear_zmq_sys as sys;

use crate::{Context, Error, Message, PollEvents, PollItem, RawFd, Result, SNDMORE};

/// The type of a socket (its messaging pattern's role).
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketType {
    /// Exclusive pair: one peer, both directions.
    PAIR,
    /// Publisher: sends to every subscriber whose subscription matches.
    PUB,
    /// Subscriber: receives what it subscribed to.
    SUB,
    /// Requester: send a request, receive its reply, in turn.
    REQ,
    /// Replier: receive a request, send its reply, in turn.
    REP,
    /// Asynchronous requester (load-balanced sends, fair-queued receives).
    DEALER,
    /// Asynchronous replier, routing by peer identity.
    ROUTER,
    /// Pipeline receiver.
    PULL,
    /// Pipeline sender (load-balanced).
    PUSH,
    /// Publisher that receives subscriptions as messages.
    XPUB,
    /// Subscriber that sends subscriptions as messages.
    XSUB,
    /// Raw TCP.
    STREAM,
}

impl SocketType {
    /// libzmq's number of the type (`ZMQ_PAIR`, …).
    pub fn to_raw(self) -> i32 {
        match self {
            SocketType::PAIR => sys::ZMQ_PAIR,
            SocketType::PUB => sys::ZMQ_PUB,
            SocketType::SUB => sys::ZMQ_SUB,
            SocketType::REQ => sys::ZMQ_REQ,
            SocketType::REP => sys::ZMQ_REP,
            SocketType::DEALER => sys::ZMQ_DEALER,
            SocketType::ROUTER => sys::ZMQ_ROUTER,
            SocketType::PULL => sys::ZMQ_PULL,
            SocketType::PUSH => sys::ZMQ_PUSH,
            SocketType::XPUB => sys::ZMQ_XPUB,
            SocketType::XSUB => sys::ZMQ_XSUB,
            SocketType::STREAM => sys::ZMQ_STREAM,
        }
    }

    /// The type of libzmq's number, or `None` for another (a draft type).
    pub fn from_raw(raw: i32) -> Option<SocketType> {
        const ALL: [SocketType; 12] = [
            SocketType::PAIR,
            SocketType::PUB,
            SocketType::SUB,
            SocketType::REQ,
            SocketType::REP,
            SocketType::DEALER,
            SocketType::ROUTER,
            SocketType::PULL,
            SocketType::PUSH,
            SocketType::XPUB,
            SocketType::XSUB,
            SocketType::STREAM,
        ];
        ALL.into_iter().find(|t| t.to_raw() == raw)
    }
}

/// Something [`Socket::send`] can send as one part.
///
/// Everything `Into<Message>` is: `Message` itself (sent as it is: no copy of a zero-copy
/// message), `&[u8]`, `&[u8; N]`, `&str` (copied), `Vec<u8>`, `Box<[u8]>`, `String` (not
/// copied), and `&T` of those that are `Clone`.
pub trait Sendable {
    /// Sends `self` on `socket` with `flags` (`DONTWAIT`, `SNDMORE`).
    fn send(self, socket: &Socket, flags: i32) -> Result<()>;
}

impl<T> Sendable for T
where
    T: Into<Message>,
{
    fn send(self, socket: &Socket, flags: i32) -> Result<()> {
        let mut msg: Message = self.into();
        // SAFETY: `msg` is an initialised message and `socket.sock` a live socket. On success
        // libzmq takes the content and leaves `msg` empty; on failure the content is still
        // `msg`'s, released once when it drops (after the error is read).
        if unsafe { sys::zmq_msg_send(msg.raw_for_send(), socket.sock, flags) } == -1 {
            return Err(Error::last());
        }
        Ok(())
    }
}

/// A ZeroMQ socket. It keeps its [`Context`] alive, and is closed when dropped.
///
/// `Send` (a socket may move to another thread: the move's own synchronisation is the full
/// memory barrier libzmq asks for) but not `Sync` (libzmq's sockets are not thread safe).
pub struct Socket {
    sock: *mut c_void,
    // Dropped after the socket is closed (`Drop`), so the context outlives it.
    _context: Context,
}

// SAFETY: libzmq allows a socket to be used from another thread after a full memory barrier,
// which moving a value between threads implies; `Socket` is not `Sync`, so it is never used from
// two threads at once.
unsafe impl Send for Socket {}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: `sock` is a live socket, closed once here and never used again. Closing
        // cannot fail for a live socket; its pending messages go within its linger.
        unsafe { sys::zmq_close(self.sock) };
    }
}

/// An endpoint or other text for libzmq: `EINVAL` if it has a NUL.
fn c_string(text: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::EINVAL)
}

/// Maps a libzmq return code: -1 is the thread's error.
fn check(rc: c_int) -> Result<c_int> {
    if rc == -1 { Err(Error::last()) } else { Ok(rc) }
}

impl Socket {
    /// Wraps a socket `zmq_socket` made in `context`.
    pub(crate) fn from_raw_parts(sock: *mut c_void, context: Context) -> Socket {
        Socket {
            sock,
            _context: context,
        }
    }

    /// The socket's pointer, for libzmq's C API. It is valid while the socket lives; closing
    /// it, or using it from another thread while this socket is used, is up to the caller not
    /// to do.
    pub fn as_mut_ptr(&mut self) -> *mut c_void {
        self.sock
    }

    /// The socket's pointer for a poll item (which borrows the socket).
    pub(crate) fn raw(&self) -> *mut c_void {
        self.sock
    }

    /// Accepts connections on an endpoint (`tcp://127.0.0.1:*` binds a free port: see
    /// [`get_last_endpoint`](Socket::get_last_endpoint)).
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        let endpoint = c_string(endpoint)?;
        // SAFETY: `sock` is live; `endpoint` is NUL-terminated and outlives the call.
        check(unsafe { sys::zmq_bind(self.sock, endpoint.as_ptr()) }).map(drop)
    }

    /// Stops accepting connections on an endpoint bound before.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        let endpoint = c_string(endpoint)?;
        // SAFETY: `sock` is live; `endpoint` is NUL-terminated and outlives the call.
        check(unsafe { sys::zmq_unbind(self.sock, endpoint.as_ptr()) }).map(drop)
    }

    /// Connects to an endpoint (in the background: the connection may come later).
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        let endpoint = c_string(endpoint)?;
        // SAFETY: `sock` is live; `endpoint` is NUL-terminated and outlives the call.
        check(unsafe { sys::zmq_connect(self.sock, endpoint.as_ptr()) }).map(drop)
    }

    /// Undoes a [`connect`](Socket::connect).
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        let endpoint = c_string(endpoint)?;
        // SAFETY: `sock` is live; `endpoint` is NUL-terminated and outlives the call.
        check(unsafe { sys::zmq_disconnect(self.sock, endpoint.as_ptr()) }).map(drop)
    }

    /// Publishes the socket's `events` (an OR of [`SocketEvent`](crate::SocketEvent)s'
    /// [`to_raw`](crate::SocketEvent::to_raw)) on a PAIR socket bound at `endpoint` (an
    /// `inproc://` one), for a PAIR connected there to read: each event is two parts, the
    /// event (`u16`) and its value (`u32`) in native byte order, then the endpoint.
    pub fn monitor(&self, endpoint: &str, events: i32) -> Result<()> {
        let endpoint = c_string(endpoint)?;
        // SAFETY: `sock` is live; `endpoint` is NUL-terminated and outlives the call.
        check(unsafe { sys::zmq_socket_monitor(self.sock, endpoint.as_ptr(), events) }).map(drop)
    }

    /// Sends one part: see [`Sendable`] for what `data` can be (a [`Message`] is sent without a
    /// copy). `flags`: [`DONTWAIT`](crate::DONTWAIT) (`EAGAIN` instead of waiting),
    /// [`SNDMORE`] (more parts follow).
    pub fn send<T>(&self, data: T, flags: i32) -> Result<()>
    where
        T: Sendable,
    {
        data.send(self, flags)
    }

    /// Sends the parts of one message (every part but the last with `SNDMORE`). With
    /// `DONTWAIT`, only the first part can fail with `EAGAIN`: the rest then always go.
    pub fn send_multipart<I, T>(&self, iter: I, flags: i32) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: Into<Message>,
    {
        let mut parts = iter.into_iter().peekable();
        while let Some(part) = parts.next() {
            let more = if parts.peek().is_some() { SNDMORE } else { 0 };
            self.send(part.into(), flags | more)?;
        }
        Ok(())
    }

    /// Receives one part into `msg` (whose old content is released).
    pub fn recv(&self, msg: &mut Message, flags: i32) -> Result<()> {
        // SAFETY: `msg` holds an initialised message, which libzmq releases and refills (or
        // leaves initialised on failure); `sock` is live.
        check(unsafe { sys::zmq_msg_recv(msg.raw_for_recv(), self.sock, flags) }).map(drop)
    }

    /// Receives one part into `bytes`; the part's whole length, which is more than
    /// `bytes.len()` when the part was truncated.
    pub fn recv_into(&self, bytes: &mut [u8], flags: i32) -> Result<usize> {
        let ptr = bytes.as_mut_ptr().cast::<c_void>();
        // SAFETY: libzmq writes at most `bytes.len()` bytes to `bytes`; `sock` is live.
        let len = check(unsafe { sys::zmq_recv(self.sock, ptr, bytes.len(), flags) })?;
        usize::try_from(len).map_err(|_| Error::EINVAL)
    }

    /// Receives one part as a new [`Message`] (no copy of its bytes).
    pub fn recv_msg(&self, flags: i32) -> Result<Message> {
        let mut msg = Message::new();
        self.recv(&mut msg, flags)?;
        Ok(msg)
    }

    /// Receives one part as a copy of its bytes.
    pub fn recv_bytes(&self, flags: i32) -> Result<Vec<u8>> {
        self.recv_msg(flags).map(|msg| msg.to_vec())
    }

    /// Receives one part as text: `Ok(Err(bytes))` if it is not UTF-8.
    pub fn recv_string(&self, flags: i32) -> Result<std::result::Result<String, Vec<u8>>> {
        self.recv_bytes(flags)
            .map(|bytes| String::from_utf8(bytes).map_err(FromUtf8Error::into_bytes))
    }

    /// Receives all the parts of one message, as copies of their bytes. (The parts after the
    /// first are delivered with it, so `DONTWAIT` can only fail on the first.)
    pub fn recv_multipart(&self, flags: i32) -> Result<Vec<Vec<u8>>> {
        let mut parts = Vec::new();
        loop {
            let part = self.recv_msg(flags)?;
            let more = part.get_more();
            parts.push(part.to_vec());
            if !more {
                return Ok(parts);
            }
        }
    }

    /// A poll item for this socket, waiting for `events`.
    pub fn as_poll_item(&self, events: PollEvents) -> PollItem<'_> {
        PollItem::from_socket(self, events)
    }

    /// Polls this socket alone for `events`, waiting up to `timeout_ms` (-1: forever); 1 if
    /// an event came, 0 if not.
    pub fn poll(&self, events: PollEvents, timeout_ms: i64) -> Result<i32> {
        crate::poll(&mut [self.as_poll_item(events)], timeout_ms)
    }

    /// The socket's type (`ZMQ_TYPE`).
    pub fn get_socket_type(&self) -> Result<SocketType> {
        let raw: i32 = get_option(self, sys::ZMQ_TYPE)?;
        SocketType::from_raw(raw).ok_or(Error::EINVAL)
    }

    /// Whether more parts of the message follow the part last received (`ZMQ_RCVMORE`).
    pub fn get_rcvmore(&self) -> Result<bool> {
        get_option(self, sys::ZMQ_RCVMORE)
    }

    /// The file descriptor that becomes readable when the socket's events may have changed
    /// (`ZMQ_FD`): edge-triggered, and only a hint; read [`get_events`](Socket::get_events)
    /// for the events. It belongs to the socket: do not close it.
    pub fn get_fd(&self) -> Result<RawFd> {
        get_option(self, sys::ZMQ_FD)
    }

    /// The socket's pending events (`ZMQ_EVENTS`: [`POLLIN`](crate::POLLIN),
    /// [`POLLOUT`](crate::POLLOUT)). Reading them processes the socket's pending commands.
    pub fn get_events(&self) -> Result<PollEvents> {
        let bits: i32 = get_option(self, sys::ZMQ_EVENTS)?;
        Ok(PollEvents::from_int(bits))
    }

    /// The last endpoint bound (`ZMQ_LAST_ENDPOINT`), with a wildcard port resolved
    /// (`tcp://127.0.0.1:*` → `tcp://127.0.0.1:40123`); `Ok(Err(bytes))` if it is not UTF-8.
    pub fn get_last_endpoint(&self) -> Result<std::result::Result<String, Vec<u8>>> {
        let bytes = self.get_string_option(sys::ZMQ_LAST_ENDPOINT, 1024)?;
        Ok(String::from_utf8(bytes).map_err(FromUtf8Error::into_bytes))
    }

    /// The socket's routing id (`ZMQ_ROUTING_ID`, at most 255 bytes).
    pub fn get_identity(&self) -> Result<Vec<u8>> {
        self.get_bytes_option(sys::ZMQ_ROUTING_ID, 255)
    }

    /// The socket's routing id (`ZMQ_ROUTING_ID`, at most 255 bytes).
    pub fn get_routing_id(&self) -> Result<Vec<u8>> {
        self.get_identity()
    }

    /// The ZAP domain (`ZMQ_ZAP_DOMAIN`); `Ok(Err(bytes))` if it is not UTF-8.
    pub fn get_zap_domain(&self) -> Result<std::result::Result<String, Vec<u8>>> {
        let bytes = self.get_string_option(sys::ZMQ_ZAP_DOMAIN, 256)?;
        Ok(String::from_utf8(bytes).map_err(FromUtf8Error::into_bytes))
    }

    /// The CURVE public key set (`ZMQ_CURVE_PUBLICKEY`, 32 bytes).
    pub fn get_curve_publickey(&self) -> Result<Vec<u8>> {
        self.get_bytes_option(sys::ZMQ_CURVE_PUBLICKEY, 32)
    }

    /// The CURVE secret key set (`ZMQ_CURVE_SECRETKEY`, 32 bytes).
    pub fn get_curve_secretkey(&self) -> Result<Vec<u8>> {
        self.get_bytes_option(sys::ZMQ_CURVE_SECRETKEY, 32)
    }

    /// The CURVE server key set (`ZMQ_CURVE_SERVERKEY`, 32 bytes).
    pub fn get_curve_serverkey(&self) -> Result<Vec<u8>> {
        self.get_bytes_option(sys::ZMQ_CURVE_SERVERKEY, 32)
    }

    /// Reads an option into `buf`; the number of bytes libzmq wrote.
    fn get_option_into(&self, option: c_int, buf: &mut [u8]) -> Result<usize> {
        let mut len = buf.len();
        // SAFETY: `sock` is live; libzmq writes at most `len` (`buf`'s length) bytes to `buf`
        // and the length it wrote to `len`.
        check(unsafe {
            sys::zmq_getsockopt(self.sock, option, buf.as_mut_ptr().cast(), &mut len)
        })?;
        Ok(len.min(buf.len()))
    }

    /// Reads an option of at most `max` bytes.
    fn get_bytes_option(&self, option: c_int, max: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0; max];
        let len = self.get_option_into(option, &mut buf)?;
        buf.truncate(len);
        Ok(buf)
    }

    /// Reads a NUL-terminated text option of at most `max` bytes, without its NUL.
    fn get_string_option(&self, option: c_int, max: usize) -> Result<Vec<u8>> {
        let mut bytes = self.get_bytes_option(option, max)?;
        if bytes.last() == Some(&0) {
            bytes.pop();
        }
        Ok(bytes)
    }

    /// Sets an option from its bytes.
    fn set_option_bytes(&self, option: c_int, value: &[u8]) -> Result<()> {
        // SAFETY: `sock` is live; libzmq reads `value.len()` bytes at `value` during the call.
        check(unsafe { sys::zmq_setsockopt(self.sock, option, value.as_ptr().cast(), value.len()) })
            .map(drop)
    }
}

/// A value a socket option can be set to.
trait SetOption {
    /// Sets `option` of `socket` to `self`.
    fn set(self, socket: &Socket, option: c_int) -> Result<()>;
}

/// A value a socket option can be read as.
trait GetOption: Sized {
    /// Reads `option` of `socket`.
    fn get(socket: &Socket, option: c_int) -> Result<Self>;
}

/// Reads an option as `T`.
fn get_option<T: GetOption>(socket: &Socket, option: c_int) -> Result<T> {
    T::get(socket, option)
}

/// The integer types of options, in native byte order.
macro_rules! integer_options {
    ($($ty:ty),*) => {$(
        impl SetOption for $ty {
            fn set(self, socket: &Socket, option: c_int) -> Result<()> {
                socket.set_option_bytes(option, &self.to_ne_bytes())
            }
        }

        impl GetOption for $ty {
            fn get(socket: &Socket, option: c_int) -> Result<$ty> {
                let mut buf = [0; size_of::<$ty>()];
                if socket.get_option_into(option, &mut buf)? != buf.len() {
                    return Err(Error::EINVAL);
                }
                Ok(<$ty>::from_ne_bytes(buf))
            }
        }
    )*};
}

integer_options!(i32, u32, i64, u64);

/// Boolean options are C `int`s, 0 or 1.
impl SetOption for bool {
    fn set(self, socket: &Socket, option: c_int) -> Result<()> {
        i32::from(self).set(socket, option)
    }
}

impl GetOption for bool {
    fn get(socket: &Socket, option: c_int) -> Result<bool> {
        i32::get(socket, option).map(|value| value != 0)
    }
}

impl SetOption for &[u8] {
    fn set(self, socket: &Socket, option: c_int) -> Result<()> {
        socket.set_option_bytes(option, self)
    }
}

impl SetOption for &str {
    fn set(self, socket: &Socket, option: c_int) -> Result<()> {
        socket.set_option_bytes(option, self.as_bytes())
    }
}

/// Declares the getters and setters of socket options: `OPTION as TYPE, "doc", get NAME, set
/// NAME;` (either may be left out).
macro_rules! options {
    ($(
        $option:ident as $ty:ty, $doc:literal $(, get $getter:ident)? $(, set $setter:ident)?;
    )*) => {
        impl Socket {$(
            $(
                #[doc = concat!("Reads `", stringify!($option), "`: ", $doc)]
                pub fn $getter(&self) -> Result<$ty> {
                    get_option(self, sys::$option)
                }
            )?
            $(
                #[doc = concat!("Sets `", stringify!($option), "`: ", $doc)]
                pub fn $setter(&self, value: $ty) -> Result<()> {
                    SetOption::set(value, self, sys::$option)
                }
            )?
        )*}
    };
}

options! {
    ZMQ_LINGER as i32, "how long a close keeps unsent messages (ms; -1: until sent, 0: drop).",
        get get_linger, set set_linger;
    ZMQ_MAXMSGSIZE as i64, "the largest inbound message (bytes; -1: no limit); a peer sending a \
        larger one is disconnected.", get get_maxmsgsize, set set_maxmsgsize;
    ZMQ_RCVHWM as i32, "the inbound high-water mark (messages; 0: none).",
        get get_rcvhwm, set set_rcvhwm;
    ZMQ_SNDHWM as i32, "the outbound high-water mark (messages; 0: none).",
        get get_sndhwm, set set_sndhwm;
    ZMQ_RCVTIMEO as i32, "how long a receive waits before `EAGAIN` (ms; -1: forever).",
        get get_rcvtimeo, set set_rcvtimeo;
    ZMQ_SNDTIMEO as i32, "how long a send waits before `EAGAIN` (ms; -1: forever).",
        get get_sndtimeo, set set_sndtimeo;
    ZMQ_HANDSHAKE_IVL as i32, "how long a connection's handshake may take (ms; 0: forever).",
        get get_handshake_ivl, set set_handshake_ivl;
    ZMQ_HEARTBEAT_IVL as i32, "the interval of ZMTP heartbeats (ms; 0: none).",
        get get_heartbeat_ivl, set set_heartbeat_ivl;
    ZMQ_HEARTBEAT_TIMEOUT as i32, "how long after a heartbeat without any traffic the \
        connection is dropped (ms).", get get_heartbeat_timeout, set set_heartbeat_timeout;
    ZMQ_HEARTBEAT_TTL as i32, "how long the peer may go without hearing from this socket \
        (ms, sent in heartbeats).", get get_heartbeat_ttl, set set_heartbeat_ttl;
    ZMQ_RECONNECT_IVL as i32, "the interval between reconnections (ms; -1: never reconnect).",
        get get_reconnect_ivl, set set_reconnect_ivl;
    ZMQ_RECONNECT_IVL_MAX as i32, "the largest reconnection interval, doubling up to it \
        (ms; 0: no doubling).", get get_reconnect_ivl_max, set set_reconnect_ivl_max;
    ZMQ_CONNECT_TIMEOUT as i32, "the TCP connect timeout (ms; 0: the system's).",
        get get_connect_timeout, set set_connect_timeout;
    ZMQ_TCP_MAXRT as i32, "how long sent data may go unacknowledged, retransmitted, before \
        the connection is dropped (ms, `TCP_USER_TIMEOUT`; 0: the system's).",
        get get_tcp_maxrt, set set_tcp_maxrt;
    ZMQ_TCP_KEEPALIVE as i32, "TCP keep-alive (-1: the system's, 0: off, 1: on).",
        get get_tcp_keepalive, set set_tcp_keepalive;
    ZMQ_TCP_KEEPALIVE_CNT as i32, "TCP keep-alive probe count (-1: the system's).",
        get get_tcp_keepalive_cnt, set set_tcp_keepalive_cnt;
    ZMQ_TCP_KEEPALIVE_IDLE as i32, "TCP keep-alive idle time (s; -1: the system's).",
        get get_tcp_keepalive_idle, set set_tcp_keepalive_idle;
    ZMQ_TCP_KEEPALIVE_INTVL as i32, "TCP keep-alive probe interval (s; -1: the system's).",
        get get_tcp_keepalive_intvl, set set_tcp_keepalive_intvl;
    ZMQ_SNDBUF as i32, "the kernel's send buffer size (bytes; -1: the system's).",
        get get_sndbuf, set set_sndbuf;
    ZMQ_RCVBUF as i32, "the kernel's receive buffer size (bytes; -1: the system's).",
        get get_rcvbuf, set set_rcvbuf;
    ZMQ_BACKLOG as i32, "the listen backlog of bound endpoints.",
        get get_backlog, set set_backlog;
    ZMQ_TOS as i32, "the IP type-of-service of outgoing packets.", get get_tos, set set_tos;
    ZMQ_AFFINITY as u64, "the I/O threads new connections may use (a bit mask; 0: any).",
        get get_affinity, set set_affinity;
    ZMQ_IPV6 as bool, "IPv6 (and IPv4) on the socket, not IPv4 only.",
        get is_ipv6, set set_ipv6;
    ZMQ_IMMEDIATE as bool, "queue messages only on completed connections.",
        get is_immediate, set set_immediate;
    ZMQ_CONFLATE as bool, "keep only the last message (single-part messages only).",
        get is_conflate, set set_conflate;
    ZMQ_PROBE_ROUTER as bool, "send an empty message to a ROUTER on connecting.",
        get is_probe_router, set set_probe_router;
    ZMQ_ROUTER_MANDATORY as bool, "a ROUTER fails unroutable messages (`EHOSTUNREACH`) \
        instead of dropping them.", get is_router_mandatory, set set_router_mandatory;
    ZMQ_ROUTER_HANDOVER as bool, "a ROUTER hands a routing id in use over to a new \
        connection.", get is_router_handover, set set_router_handover;
    ZMQ_CURVE_SERVER as bool, "the CURVE server role (with `ZMQ_CURVE_SECRETKEY`).",
        get is_curve_server, set set_curve_server;
    ZMQ_PLAIN_SERVER as bool, "the PLAIN server role.",
        get is_plain_server, set set_plain_server;
    ZMQ_REQ_RELAXED as bool, "a REQ may send a new request without the last one's reply.",
        set set_req_relaxed;
    ZMQ_REQ_CORRELATE as bool, "a REQ matches replies to its requests (dropping stale ones).",
        set set_req_correlate;
    ZMQ_XPUB_VERBOSE as bool, "an XPUB passes on every subscription, repeated ones too.",
        set set_xpub_verbose;
    ZMQ_XPUB_NODROP as bool, "an XPUB fails a send with `EAGAIN` (sending it to nobody) when \
        a subscriber has no room for it, instead of dropping it for that subscriber alone.",
        set set_xpub_nodrop;
    ZMQ_SUBSCRIBE as &[u8], "adds a subscription prefix (a SUB; empty: everything).",
        set set_subscribe;
    ZMQ_UNSUBSCRIBE as &[u8], "removes a subscription prefix added before.",
        set set_unsubscribe;
    ZMQ_ROUTING_ID as &[u8], "the socket's routing id (1 to 255 bytes, not starting with 0).",
        set set_identity;
    ZMQ_ROUTING_ID as &[u8], "the socket's routing id (1 to 255 bytes, not starting with 0).",
        set set_routing_id;
    ZMQ_ZAP_DOMAIN as &str, "the ZAP domain (authentication through a ZAP handler).",
        set set_zap_domain;
    ZMQ_CURVE_PUBLICKEY as &[u8], "the CURVE public key (32 bytes, or 40 Z85 characters).",
        set set_curve_publickey;
    ZMQ_CURVE_SECRETKEY as &[u8], "the CURVE secret key (32 bytes, or 40 Z85 characters).",
        set set_curve_secretkey;
    ZMQ_CURVE_SERVERKEY as &[u8], "the CURVE server's public key, which makes this socket a \
        CURVE client (32 bytes, or 40 Z85 characters).", set set_curve_serverkey;
}
