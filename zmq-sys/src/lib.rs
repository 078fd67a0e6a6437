//! The raw C API of libzmq 4.3.5, as `include/zmq.h` declares it outside `ZMQ_BUILD_DRAFT_API`:
//! the types, the functions netgear's safe layer (`netgear-zmq`) calls, and the constants.
//!
//! Written by hand against the header in `libzmq/include/zmq.h`; the constants are in
//! `src/constants.rs`, each checked against the real header by the build script (a C++
//! `static_assert`), so a wrong value fails the build. Everything here is as unsafe as the C
//! API: see libzmq's manual pages for each call's contract.

#![warn(missing_docs)]
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_long, c_short, c_void};

mod constants;
pub use constants::*;

// Links libsodium (built from source by libsodium-sys-stable), which libzmq's CURVE calls.
use libsodium_sys as _;

/// The storage of one message (`zmq_msg_t`): 64 opaque bytes, aligned as a pointer (8 is
/// enough everywhere). Initialise it with one of the `zmq_msg_init*` calls before any other
/// use, close it with [`zmq_msg_close`], and never copy it bitwise while both copies are used
/// (libzmq's `zmq_msg_copy`/`zmq_msg_move` do that).
#[repr(C, align(8))]
pub struct zmq_msg_t {
    _d: [u8; 64],
}

impl Default for zmq_msg_t {
    /// All zeros: storage for one of the `zmq_msg_init*` calls, not yet a message.
    fn default() -> Self {
        zmq_msg_t { _d: [0; 64] }
    }
}

/// Frees the data of a message made with [`zmq_msg_init_data`], called once by libzmq (from any
/// of its threads) when the last reference to the message is gone.
pub type zmq_free_fn = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);

/// A socket's file descriptor as libzmq passes it (`ZMQ_FD`, [`zmq_pollitem_t::fd`]).
#[cfg(not(windows))]
pub type zmq_fd_t = c_int;
/// A socket's file descriptor as libzmq passes it (`ZMQ_FD`, [`zmq_pollitem_t::fd`]).
#[cfg(all(windows, target_pointer_width = "64"))]
pub type zmq_fd_t = u64;
/// A socket's file descriptor as libzmq passes it (`ZMQ_FD`, [`zmq_pollitem_t::fd`]).
#[cfg(all(windows, target_pointer_width = "32"))]
pub type zmq_fd_t = std::ffi::c_uint;

/// One entry of [`zmq_poll`]'s array.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct zmq_pollitem_t {
    /// The ZeroMQ socket to poll, or null to poll `fd`.
    pub socket: *mut c_void,
    /// A plain file descriptor to poll, when `socket` is null.
    pub fd: zmq_fd_t,
    /// The events to wait for (`ZMQ_POLLIN`, `ZMQ_POLLOUT`, `ZMQ_POLLERR`, `ZMQ_POLLPRI`).
    pub events: c_short,
    /// The events that happened, written by [`zmq_poll`].
    pub revents: c_short,
}

unsafe extern "C" {
    // Errors and version.

    /// The calling thread's `errno` as libzmq sees it.
    pub safe fn zmq_errno() -> c_int;
    /// The text of an error number (libzmq's own, or the system's); the pointer is libzmq's or
    /// the C library's (`strerror`), valid until the next call on this thread at least.
    pub safe fn zmq_strerror(errnum: c_int) -> *const c_char;
    /// Writes the linked library's version to the three pointers.
    pub fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int);
    /// 1 if the library has `capability` (a NUL-terminated name such as `"curve"`), 0 if not.
    pub fn zmq_has(capability: *const c_char) -> c_int;

    // Contexts.

    /// A new context, or null (with `errno` set) if it could not be made.
    pub safe fn zmq_ctx_new() -> *mut c_void;
    /// Terminates a context: blocks until all its sockets are closed (and their linger passed).
    pub fn zmq_ctx_term(context: *mut c_void) -> c_int;
    /// Makes every blocking call on the context's sockets fail with `ETERM`.
    pub fn zmq_ctx_shutdown(context: *mut c_void) -> c_int;
    /// Sets a context option (`ZMQ_IO_THREADS`, …).
    pub fn zmq_ctx_set(context: *mut c_void, option: c_int, optval: c_int) -> c_int;
    /// Reads a context option.
    pub fn zmq_ctx_get(context: *mut c_void, option: c_int) -> c_int;

    // Sockets.

    /// A new socket of a type (`ZMQ_PAIR`, …) in a context, or null.
    pub fn zmq_socket(context: *mut c_void, kind: c_int) -> *mut c_void;
    /// Closes a socket; its pending messages are sent within its linger.
    pub fn zmq_close(socket: *mut c_void) -> c_int;
    /// Sets a socket option from `optvallen` bytes at `optval`.
    pub fn zmq_setsockopt(
        socket: *mut c_void,
        option: c_int,
        optval: *const c_void,
        optvallen: usize,
    ) -> c_int;
    /// Reads a socket option into the `*optvallen` bytes at `optval`, and writes its length to
    /// `*optvallen`.
    pub fn zmq_getsockopt(
        socket: *mut c_void,
        option: c_int,
        optval: *mut c_void,
        optvallen: *mut usize,
    ) -> c_int;
    /// Binds a socket to a NUL-terminated endpoint.
    pub fn zmq_bind(socket: *mut c_void, endpoint: *const c_char) -> c_int;
    /// Connects a socket to a NUL-terminated endpoint.
    pub fn zmq_connect(socket: *mut c_void, endpoint: *const c_char) -> c_int;
    /// Undoes a bind.
    pub fn zmq_unbind(socket: *mut c_void, endpoint: *const c_char) -> c_int;
    /// Undoes a connect.
    pub fn zmq_disconnect(socket: *mut c_void, endpoint: *const c_char) -> c_int;
    /// Sends a copy of `len` bytes as one part; the number of bytes, or -1.
    pub fn zmq_send(socket: *mut c_void, buf: *const c_void, len: usize, flags: c_int) -> c_int;
    /// Sends `len` bytes without copying them; they must outlive the send (in practice: static).
    pub fn zmq_send_const(
        socket: *mut c_void,
        buf: *const c_void,
        len: usize,
        flags: c_int,
    ) -> c_int;
    /// Receives one part into `len` bytes (truncating); the part's full size, or -1.
    pub fn zmq_recv(socket: *mut c_void, buf: *mut c_void, len: usize, flags: c_int) -> c_int;
    /// Publishes a socket's events (`ZMQ_EVENT_*`) on a PAIR bound at an `inproc://` endpoint.
    pub fn zmq_socket_monitor(socket: *mut c_void, endpoint: *const c_char, events: c_int)
    -> c_int;

    // Messages.

    /// Initialises an empty message.
    pub fn zmq_msg_init(msg: *mut zmq_msg_t) -> c_int;
    /// Initialises a message of `size` uninitialised bytes allocated by libzmq.
    pub fn zmq_msg_init_size(msg: *mut zmq_msg_t, size: usize) -> c_int;
    /// Initialises a message over `size` bytes at `data` without copying them. With `ffn`,
    /// libzmq calls `ffn(data, hint)` once when done with them; without, they are constant
    /// and must outlive every use of the message.
    pub fn zmq_msg_init_data(
        msg: *mut zmq_msg_t,
        data: *mut c_void,
        size: usize,
        ffn: Option<zmq_free_fn>,
        hint: *mut c_void,
    ) -> c_int;
    /// Sends a message; on success libzmq owns its content and leaves `msg` empty, on failure it
    /// is still the caller's to close.
    pub fn zmq_msg_send(msg: *mut zmq_msg_t, socket: *mut c_void, flags: c_int) -> c_int;
    /// Receives one part into an initialised message (its old content is released).
    pub fn zmq_msg_recv(msg: *mut zmq_msg_t, socket: *mut c_void, flags: c_int) -> c_int;
    /// Releases a message's content.
    pub fn zmq_msg_close(msg: *mut zmq_msg_t) -> c_int;
    /// Moves `src`'s content to `dest` (whose own is released), leaving `src` empty.
    pub fn zmq_msg_move(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int;
    /// Makes `dest` share `src`'s content (whose own is released).
    pub fn zmq_msg_copy(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int;
    /// The message's bytes.
    pub fn zmq_msg_data(msg: *mut zmq_msg_t) -> *mut c_void;
    /// The number of the message's bytes.
    pub fn zmq_msg_size(msg: *const zmq_msg_t) -> usize;
    /// 1 if more parts of the message follow this received one, 0 if not.
    pub fn zmq_msg_more(msg: *const zmq_msg_t) -> c_int;
    /// A message property (`ZMQ_MORE`, `ZMQ_SHARED`), or -1.
    pub fn zmq_msg_get(msg: *const zmq_msg_t, property: c_int) -> c_int;
    /// A metadata property of a received message (such as `"Peer-Address"`), or null.
    pub fn zmq_msg_gets(msg: *const zmq_msg_t, property: *const c_char) -> *const c_char;

    // Polling.

    /// Waits up to `timeout` ms (-1: forever) for events on `nitems` items; the number of items
    /// with events, or -1.
    pub fn zmq_poll(items: *mut zmq_pollitem_t, nitems: c_int, timeout: c_long) -> c_int;

    // Z85 and CURVE keys.

    /// Writes the Z85 text of `size` bytes (a multiple of 4) and a NUL to `dest`, which has room
    /// for `size * 5 / 4 + 1` bytes; `dest`, or null.
    pub fn zmq_z85_encode(dest: *mut c_char, data: *const u8, size: usize) -> *mut c_char;
    /// Writes the bytes of a NUL-terminated Z85 text (a multiple of 5 characters) to `dest`,
    /// which has room for `strlen(string) * 4 / 5` bytes; `dest`, or null if it is not Z85.
    pub fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8;
    /// Writes a new CURVE key pair as two 40-character Z85 texts and NULs (41 bytes each).
    pub fn zmq_curve_keypair(z85_public_key: *mut c_char, z85_secret_key: *mut c_char) -> c_int;
    /// Writes the 40-character Z85 public key (and a NUL) of a NUL-terminated Z85 secret key.
    pub fn zmq_curve_public(z85_public_key: *mut c_char, z85_secret_key: *const c_char) -> c_int;
}
