//! The constants of `zmq.h` (outside `ZMQ_BUILD_DRAFT_API`), by group.
//!
//! Each `pub const ZMQ_…: c_int = VALUE;` line is checked against the real header by the build
//! script (a C++ `static_assert`): keep them in that one-line form, with literal values.

use std::ffi::c_int;

// Version.

/// The major version of the header these declarations follow.
pub const ZMQ_VERSION_MAJOR: c_int = 4;
/// The minor version of the header these declarations follow.
pub const ZMQ_VERSION_MINOR: c_int = 3;
/// The patch version of the header these declarations follow.
pub const ZMQ_VERSION_PATCH: c_int = 5;
/// `major * 10000 + minor * 100 + patch`.
pub const ZMQ_VERSION: c_int = 40305;

// Errors.

/// The base of libzmq's own error numbers, above any system's `errno` range.
pub const ZMQ_HAUSNUMERO: c_int = 156384712;
/// The operation is not valid in the socket's current state (`ZMQ_HAUSNUMERO + 51`).
pub const EFSM: c_int = 156384763;
/// The endpoint's protocol does not fit the socket type (`ZMQ_HAUSNUMERO + 52`).
pub const ENOCOMPATPROTO: c_int = 156384764;
/// The socket's context was terminated (`ZMQ_HAUSNUMERO + 53`).
pub const ETERM: c_int = 156384765;
/// No I/O thread is available (`ZMQ_HAUSNUMERO + 54`).
pub const EMTHREAD: c_int = 156384766;

// Context options.

/// Context option: the number of I/O threads.
pub const ZMQ_IO_THREADS: c_int = 1;
/// Context option: the most sockets a context can have.
pub const ZMQ_MAX_SOCKETS: c_int = 2;
/// Context option (read only): the largest `ZMQ_MAX_SOCKETS` possible.
pub const ZMQ_SOCKET_LIMIT: c_int = 3;
/// Context option: the scheduling priority of the I/O threads.
pub const ZMQ_THREAD_PRIORITY: c_int = 3;
/// Context option: the scheduling policy of the I/O threads.
pub const ZMQ_THREAD_SCHED_POLICY: c_int = 4;
/// Context option: the largest message size.
pub const ZMQ_MAX_MSGSZ: c_int = 5;
/// Context option (read only): the size of `zmq_msg_t`.
pub const ZMQ_MSG_T_SIZE: c_int = 6;
/// Context option: adds a CPU to the I/O threads' affinity.
pub const ZMQ_THREAD_AFFINITY_CPU_ADD: c_int = 7;
/// Context option: removes a CPU from the I/O threads' affinity.
pub const ZMQ_THREAD_AFFINITY_CPU_REMOVE: c_int = 8;
/// Context option: the prefix of the I/O threads' names.
pub const ZMQ_THREAD_NAME_PREFIX: c_int = 9;
/// The default `ZMQ_IO_THREADS`.
pub const ZMQ_IO_THREADS_DFLT: c_int = 1;
/// The default `ZMQ_MAX_SOCKETS`.
pub const ZMQ_MAX_SOCKETS_DFLT: c_int = 1023;
/// The default `ZMQ_THREAD_PRIORITY` (the system's).
pub const ZMQ_THREAD_PRIORITY_DFLT: c_int = -1;
/// The default `ZMQ_THREAD_SCHED_POLICY` (the system's).
pub const ZMQ_THREAD_SCHED_POLICY_DFLT: c_int = -1;

// Socket types.

/// Socket type: exclusive pair.
pub const ZMQ_PAIR: c_int = 0;
/// Socket type: publisher.
pub const ZMQ_PUB: c_int = 1;
/// Socket type: subscriber.
pub const ZMQ_SUB: c_int = 2;
/// Socket type: requester.
pub const ZMQ_REQ: c_int = 3;
/// Socket type: replier.
pub const ZMQ_REP: c_int = 4;
/// Socket type: asynchronous requester.
pub const ZMQ_DEALER: c_int = 5;
/// Socket type: asynchronous replier (routes by peer identity).
pub const ZMQ_ROUTER: c_int = 6;
/// Socket type: pipeline receiver.
pub const ZMQ_PULL: c_int = 7;
/// Socket type: pipeline sender.
pub const ZMQ_PUSH: c_int = 8;
/// Socket type: publisher that sees subscriptions.
pub const ZMQ_XPUB: c_int = 9;
/// Socket type: subscriber that sends subscriptions as messages.
pub const ZMQ_XSUB: c_int = 10;
/// Socket type: raw TCP.
pub const ZMQ_STREAM: c_int = 11;
/// Deprecated alias of `ZMQ_DEALER`.
pub const ZMQ_XREQ: c_int = 5;
/// Deprecated alias of `ZMQ_ROUTER`.
pub const ZMQ_XREP: c_int = 6;

// Socket options.

/// Socket option: the I/O threads' affinity of new connections (`u64`).
pub const ZMQ_AFFINITY: c_int = 4;
/// Socket option: the socket's routing id (bytes).
pub const ZMQ_ROUTING_ID: c_int = 5;
/// Socket option: adds a subscription prefix (bytes).
pub const ZMQ_SUBSCRIBE: c_int = 6;
/// Socket option: removes a subscription prefix (bytes).
pub const ZMQ_UNSUBSCRIBE: c_int = 7;
/// Socket option: the multicast data rate (kbit/s).
pub const ZMQ_RATE: c_int = 8;
/// Socket option: the multicast recovery interval (ms).
pub const ZMQ_RECOVERY_IVL: c_int = 9;
/// Socket option: the kernel's send buffer size.
pub const ZMQ_SNDBUF: c_int = 11;
/// Socket option: the kernel's receive buffer size.
pub const ZMQ_RCVBUF: c_int = 12;
/// Socket option (read only): whether more parts of a received message follow.
pub const ZMQ_RCVMORE: c_int = 13;
/// Socket option (read only): the file descriptor signalling the socket's events.
pub const ZMQ_FD: c_int = 14;
/// Socket option (read only): the socket's pending events (`ZMQ_POLLIN`, `ZMQ_POLLOUT`).
pub const ZMQ_EVENTS: c_int = 15;
/// Socket option (read only): the socket type.
pub const ZMQ_TYPE: c_int = 16;
/// Socket option: how long pending messages are kept after a close (ms, -1: forever).
pub const ZMQ_LINGER: c_int = 17;
/// Socket option: the interval between reconnections (ms).
pub const ZMQ_RECONNECT_IVL: c_int = 18;
/// Socket option: the listen backlog.
pub const ZMQ_BACKLOG: c_int = 19;
/// Socket option: the largest reconnection interval (ms).
pub const ZMQ_RECONNECT_IVL_MAX: c_int = 21;
/// Socket option: the largest inbound message (`i64`, -1: no limit).
pub const ZMQ_MAXMSGSIZE: c_int = 22;
/// Socket option: the outbound high-water mark (messages).
pub const ZMQ_SNDHWM: c_int = 23;
/// Socket option: the inbound high-water mark (messages).
pub const ZMQ_RCVHWM: c_int = 24;
/// Socket option: the multicast hop limit.
pub const ZMQ_MULTICAST_HOPS: c_int = 25;
/// Socket option: the receive timeout (ms, -1: forever).
pub const ZMQ_RCVTIMEO: c_int = 27;
/// Socket option: the send timeout (ms, -1: forever).
pub const ZMQ_SNDTIMEO: c_int = 28;
/// Socket option (read only): the last endpoint bound (a NUL-terminated string).
pub const ZMQ_LAST_ENDPOINT: c_int = 32;
/// Socket option: a ROUTER fails unroutable messages instead of dropping them.
pub const ZMQ_ROUTER_MANDATORY: c_int = 33;
/// Socket option: TCP keep-alive (-1: the system's, 0: off, 1: on).
pub const ZMQ_TCP_KEEPALIVE: c_int = 34;
/// Socket option: TCP keep-alive probe count.
pub const ZMQ_TCP_KEEPALIVE_CNT: c_int = 35;
/// Socket option: TCP keep-alive idle time (s).
pub const ZMQ_TCP_KEEPALIVE_IDLE: c_int = 36;
/// Socket option: TCP keep-alive probe interval (s).
pub const ZMQ_TCP_KEEPALIVE_INTVL: c_int = 37;
/// Socket option: queue messages only on completed connections.
pub const ZMQ_IMMEDIATE: c_int = 39;
/// Socket option: an XPUB passes on every subscription, repeated ones too.
pub const ZMQ_XPUB_VERBOSE: c_int = 40;
/// Socket option: a ROUTER in raw mode.
pub const ZMQ_ROUTER_RAW: c_int = 41;
/// Socket option: IPv6 on the socket.
pub const ZMQ_IPV6: c_int = 42;
/// Socket option (read only): the security mechanism (`ZMQ_NULL`, …).
pub const ZMQ_MECHANISM: c_int = 43;
/// Socket option: PLAIN server role.
pub const ZMQ_PLAIN_SERVER: c_int = 44;
/// Socket option: PLAIN user name.
pub const ZMQ_PLAIN_USERNAME: c_int = 45;
/// Socket option: PLAIN password.
pub const ZMQ_PLAIN_PASSWORD: c_int = 46;
/// Socket option: CURVE server role.
pub const ZMQ_CURVE_SERVER: c_int = 47;
/// Socket option: the CURVE public key (32 bytes, or 40 Z85 characters).
pub const ZMQ_CURVE_PUBLICKEY: c_int = 48;
/// Socket option: the CURVE secret key (32 bytes, or 40 Z85 characters).
pub const ZMQ_CURVE_SECRETKEY: c_int = 49;
/// Socket option: the CURVE server's public key, for a client (32 bytes, or 40 Z85 characters).
pub const ZMQ_CURVE_SERVERKEY: c_int = 50;
/// Socket option: a ROUTER/DEALER sends an empty message on connecting.
pub const ZMQ_PROBE_ROUTER: c_int = 51;
/// Socket option: a REQ matches replies to requests.
pub const ZMQ_REQ_CORRELATE: c_int = 52;
/// Socket option: a REQ may send a new request without waiting for the reply.
pub const ZMQ_REQ_RELAXED: c_int = 53;
/// Socket option: keep only the last message.
pub const ZMQ_CONFLATE: c_int = 54;
/// Socket option: the ZAP domain.
pub const ZMQ_ZAP_DOMAIN: c_int = 55;
/// Socket option: a ROUTER hands a routing id over to a new connection.
pub const ZMQ_ROUTER_HANDOVER: c_int = 56;
/// Socket option: the IP type-of-service.
pub const ZMQ_TOS: c_int = 57;
/// Socket option: the routing id of the next connection.
pub const ZMQ_CONNECT_ROUTING_ID: c_int = 61;
/// Socket option: GSSAPI server role.
pub const ZMQ_GSSAPI_SERVER: c_int = 62;
/// Socket option: GSSAPI principal.
pub const ZMQ_GSSAPI_PRINCIPAL: c_int = 63;
/// Socket option: GSSAPI service principal.
pub const ZMQ_GSSAPI_SERVICE_PRINCIPAL: c_int = 64;
/// Socket option: GSSAPI without encryption.
pub const ZMQ_GSSAPI_PLAINTEXT: c_int = 65;
/// Socket option: the handshake timeout (ms).
pub const ZMQ_HANDSHAKE_IVL: c_int = 66;
/// Socket option: a SOCKS5 proxy.
pub const ZMQ_SOCKS_PROXY: c_int = 68;
/// Socket option: an XPUB fails with `EAGAIN` at the high-water mark instead of dropping.
pub const ZMQ_XPUB_NODROP: c_int = 69;
/// Socket option: legacy blocking context termination.
pub const ZMQ_BLOCKY: c_int = 70;
/// Socket option: an XPUB's subscriptions are set by hand.
pub const ZMQ_XPUB_MANUAL: c_int = 71;
/// Socket option: an XPUB's welcome message.
pub const ZMQ_XPUB_WELCOME_MSG: c_int = 72;
/// Socket option: a STREAM's connect/disconnect notifications.
pub const ZMQ_STREAM_NOTIFY: c_int = 73;
/// Socket option: PUB/SUB match the prefixes that do not match.
pub const ZMQ_INVERT_MATCHING: c_int = 74;
/// Socket option: the interval of ZMTP heartbeats (ms).
pub const ZMQ_HEARTBEAT_IVL: c_int = 75;
/// Socket option: the time-to-live a heartbeat asks of the peer (ms).
pub const ZMQ_HEARTBEAT_TTL: c_int = 76;
/// Socket option: how long to wait for any traffic after a heartbeat (ms).
pub const ZMQ_HEARTBEAT_TIMEOUT: c_int = 77;
/// Socket option: an XPUB passes on every subscription and unsubscription.
pub const ZMQ_XPUB_VERBOSER: c_int = 78;
/// Socket option: the TCP connect timeout (ms).
pub const ZMQ_CONNECT_TIMEOUT: c_int = 79;
/// Socket option: the TCP retransmission timeout (ms).
pub const ZMQ_TCP_MAXRT: c_int = 80;
/// Socket option (read only): whether the socket is thread safe.
pub const ZMQ_THREAD_SAFE: c_int = 81;
/// Socket option: the largest multicast transport data unit.
pub const ZMQ_MULTICAST_MAXTPDU: c_int = 84;
/// Socket option: the VMCI buffer size.
pub const ZMQ_VMCI_BUFFER_SIZE: c_int = 85;
/// Socket option: the smallest VMCI buffer size.
pub const ZMQ_VMCI_BUFFER_MIN_SIZE: c_int = 86;
/// Socket option: the largest VMCI buffer size.
pub const ZMQ_VMCI_BUFFER_MAX_SIZE: c_int = 87;
/// Socket option: the VMCI connect timeout.
pub const ZMQ_VMCI_CONNECT_TIMEOUT: c_int = 88;
/// Socket option: a pre-bound file descriptor to use.
pub const ZMQ_USE_FD: c_int = 89;
/// Socket option: the name type of the GSSAPI principal.
pub const ZMQ_GSSAPI_PRINCIPAL_NAMETYPE: c_int = 90;
/// Socket option: the name type of the GSSAPI service principal.
pub const ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE: c_int = 91;
/// Socket option: the network device to bind to.
pub const ZMQ_BINDTODEVICE: c_int = 92;

// Deprecated socket options and aliases.

/// Deprecated alias of `ZMQ_ROUTING_ID`.
pub const ZMQ_IDENTITY: c_int = 5;
/// Deprecated alias of `ZMQ_CONNECT_ROUTING_ID`.
pub const ZMQ_CONNECT_RID: c_int = 61;
/// Deprecated socket option: a TCP accept filter.
pub const ZMQ_TCP_ACCEPT_FILTER: c_int = 38;
/// Deprecated socket option: an IPC peer process id filter.
pub const ZMQ_IPC_FILTER_PID: c_int = 58;
/// Deprecated socket option: an IPC peer user id filter.
pub const ZMQ_IPC_FILTER_UID: c_int = 59;
/// Deprecated socket option: an IPC peer group id filter.
pub const ZMQ_IPC_FILTER_GID: c_int = 60;
/// Deprecated socket option: IPv4 only (the opposite of `ZMQ_IPV6`).
pub const ZMQ_IPV4ONLY: c_int = 31;
/// Deprecated alias of `ZMQ_IMMEDIATE`.
pub const ZMQ_DELAY_ATTACH_ON_CONNECT: c_int = 39;
/// Deprecated alias of `ZMQ_ROUTER_MANDATORY`.
pub const ZMQ_FAIL_UNROUTABLE: c_int = 33;
/// Deprecated alias of `ZMQ_ROUTER_MANDATORY`.
pub const ZMQ_ROUTER_BEHAVIOR: c_int = 33;

// Message options.

/// Message property: more parts follow.
pub const ZMQ_MORE: c_int = 1;
/// Deprecated message property: the file descriptor the message came from.
pub const ZMQ_SRCFD: c_int = 2;
/// Message property: the content is shared (constant, or referenced by another message).
pub const ZMQ_SHARED: c_int = 3;

// Send and receive flags.

/// Send/receive flag: fail with `EAGAIN` instead of blocking.
pub const ZMQ_DONTWAIT: c_int = 1;
/// Send flag: more parts of this message follow.
pub const ZMQ_SNDMORE: c_int = 2;
/// Deprecated alias of `ZMQ_DONTWAIT`.
pub const ZMQ_NOBLOCK: c_int = 1;

// Security mechanisms.

/// Security mechanism: none.
pub const ZMQ_NULL: c_int = 0;
/// Security mechanism: PLAIN (clear-text user name and password).
pub const ZMQ_PLAIN: c_int = 1;
/// Security mechanism: CURVE (CurveZMQ encryption and authentication).
pub const ZMQ_CURVE: c_int = 2;
/// Security mechanism: GSSAPI.
pub const ZMQ_GSSAPI: c_int = 3;

// RADIO-DISH and GSSAPI.

/// The longest RADIO-DISH group name.
pub const ZMQ_GROUP_MAX_LENGTH: c_int = 255;
/// GSSAPI principal name type: host based.
pub const ZMQ_GSSAPI_NT_HOSTBASED: c_int = 0;
/// GSSAPI principal name type: user name.
pub const ZMQ_GSSAPI_NT_USER_NAME: c_int = 1;
/// GSSAPI principal name type: Kerberos 5 principal.
pub const ZMQ_GSSAPI_NT_KRB5_PRINCIPAL: c_int = 2;

// Socket monitor events: the first frame of a monitor message is the event (u16) and its value
// (u32), the second the endpoint.

/// Event: a connection was made.
pub const ZMQ_EVENT_CONNECTED: c_int = 0x0001;
/// Event: a connect is pending (not immediate).
pub const ZMQ_EVENT_CONNECT_DELAYED: c_int = 0x0002;
/// Event: a connection is being retried (value: the reconnect interval).
pub const ZMQ_EVENT_CONNECT_RETRIED: c_int = 0x0004;
/// Event: the socket is bound and listening.
pub const ZMQ_EVENT_LISTENING: c_int = 0x0008;
/// Event: a bind failed (value: errno).
pub const ZMQ_EVENT_BIND_FAILED: c_int = 0x0010;
/// Event: a connection was accepted.
pub const ZMQ_EVENT_ACCEPTED: c_int = 0x0020;
/// Event: accepting a connection failed (value: errno).
pub const ZMQ_EVENT_ACCEPT_FAILED: c_int = 0x0040;
/// Event: a connection's file descriptor was closed.
pub const ZMQ_EVENT_CLOSED: c_int = 0x0080;
/// Event: closing a connection failed (value: errno).
pub const ZMQ_EVENT_CLOSE_FAILED: c_int = 0x0100;
/// Event: a session was disconnected.
pub const ZMQ_EVENT_DISCONNECTED: c_int = 0x0200;
/// Event: the monitor was stopped.
pub const ZMQ_EVENT_MONITOR_STOPPED: c_int = 0x0400;
/// Every event (a mask for `zmq_socket_monitor`).
pub const ZMQ_EVENT_ALL: c_int = 0xFFFF;
/// Event: a handshake failed with a system error (value: errno).
pub const ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: c_int = 0x0800;
/// Event: a handshake succeeded (authentication included).
pub const ZMQ_EVENT_HANDSHAKE_SUCCEEDED: c_int = 0x1000;
/// Event: a handshake failed on a protocol error (value: a `ZMQ_PROTOCOL_ERROR_*`).
pub const ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: c_int = 0x2000;
/// Event: authentication failed (value: the ZAP status code, 300, 400 or 500).
pub const ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: c_int = 0x4000;

// Protocol errors: the value of a ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL event.

/// ZMTP protocol error: unspecified.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED: c_int = 0x10000000;
/// ZMTP protocol error: an unexpected command.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND: c_int = 0x10000001;
/// ZMTP protocol error: an invalid sequence.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE: c_int = 0x10000002;
/// ZMTP protocol error: the key exchange failed.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE: c_int = 0x10000003;
/// ZMTP protocol error: a malformed command.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED: c_int = 0x10000011;
/// ZMTP protocol error: a malformed MESSAGE command.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE: c_int = 0x10000012;
/// ZMTP protocol error: a malformed HELLO command.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO: c_int = 0x10000013;
/// ZMTP protocol error: a malformed INITIATE command.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE: c_int = 0x10000014;
/// ZMTP protocol error: a malformed ERROR command.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR: c_int = 0x10000015;
/// ZMTP protocol error: a malformed READY command.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY: c_int = 0x10000016;
/// ZMTP protocol error: a malformed WELCOME command.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME: c_int = 0x10000017;
/// ZMTP protocol error: invalid metadata.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA: c_int = 0x10000018;
/// ZMTP protocol error: a cryptographic failure (such as the wrong server key).
pub const ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: c_int = 0x11000001;
/// ZMTP protocol error: the peers' security mechanisms differ.
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: c_int = 0x11000002;
/// ZAP protocol error: unspecified.
pub const ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED: c_int = 0x20000000;
/// ZAP protocol error: a malformed reply.
pub const ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY: c_int = 0x20000001;
/// ZAP protocol error: a reply to another request.
pub const ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID: c_int = 0x20000002;
/// ZAP protocol error: a reply of another ZAP version.
pub const ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION: c_int = 0x20000003;
/// ZAP protocol error: an invalid status code.
pub const ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE: c_int = 0x20000004;
/// ZAP protocol error: invalid metadata.
pub const ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA: c_int = 0x20000005;
/// WebSocket protocol error: unspecified.
pub const ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED: c_int = 0x30000000;

// Polling.

/// Poll event: a message can be received.
pub const ZMQ_POLLIN: c_int = 1;
/// Poll event: a message can be sent.
pub const ZMQ_POLLOUT: c_int = 2;
/// Poll event: an error on a plain file descriptor.
pub const ZMQ_POLLERR: c_int = 4;
/// Poll event: urgent data on a plain file descriptor.
pub const ZMQ_POLLPRI: c_int = 8;
/// The default number of poll items libzmq allocates on the stack.
pub const ZMQ_POLLITEMS_DFLT: c_int = 16;

// Capabilities and devices.

/// Defined when `zmq_has` exists.
pub const ZMQ_HAS_CAPABILITIES: c_int = 1;
/// Deprecated device type: streamer.
pub const ZMQ_STREAMER: c_int = 1;
/// Deprecated device type: forwarder.
pub const ZMQ_FORWARDER: c_int = 2;
/// Deprecated device type: queue.
pub const ZMQ_QUEUE: c_int = 3;
