//! [`Error`]: an error number from libzmq (the system's `errno` values and libzmq's own).

use std::collections::HashMap;
use std::ffi::CStr;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use netgear_zmq_sys as sys;

/// `zmq`-style result: a libzmq call's value, or its [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The error number a libzmq call failed with.
///
/// Any number can be held (libzmq may report any of the system's); the associated constants
/// name the ones libzmq documents, and work as `match` patterns:
///
/// ```no_run
/// # fn f(sock: &netgear_zmq::Socket) -> netgear_zmq::Result<()> {
/// match sock.recv_msg(netgear_zmq::DONTWAIT) {
///     Ok(msg) => println!("{} bytes", msg.len()),
///     Err(netgear_zmq::Error::EAGAIN) => println!("nothing yet"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Error(i32);

/// Declares the named errors, and the table of their names for `Debug`.
macro_rules! errors {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        impl Error {
            $(
                $(#[$doc])*
                pub const $name: Error = Error($value);
            )*
        }

        /// The named errors and their names, for `Debug`.
        const NAMES: &[(Error, &str)] = &[$((Error::$name, stringify!($name)),)*];
    };
}

errors! {
    /// Resource temporarily unavailable: nothing to receive, or no room to send, without
    /// waiting (`DONTWAIT`, or a timeout passed).
    EAGAIN = libc::EAGAIN;
    /// Interrupted by a signal.
    EINTR = libc::EINTR;
    /// A bad address (an invalid socket or context).
    EFAULT = libc::EFAULT;
    /// An invalid argument (an option value, an endpoint, …).
    EINVAL = libc::EINVAL;
    /// Not supported (the operation on this socket type, or a capability libzmq lacks).
    ENOTSUP = libc::ENOTSUP;
    /// The endpoint's transport protocol is not supported.
    EPROTONOSUPPORT = libc::EPROTONOSUPPORT;
    /// No buffer space available.
    ENOBUFS = libc::ENOBUFS;
    /// The network is down.
    ENETDOWN = libc::ENETDOWN;
    /// The address is already in use.
    EADDRINUSE = libc::EADDRINUSE;
    /// The address is not available (not a local interface).
    EADDRNOTAVAIL = libc::EADDRNOTAVAIL;
    /// The connection was refused.
    ECONNREFUSED = libc::ECONNREFUSED;
    /// The operation is in progress.
    EINPROGRESS = libc::EINPROGRESS;
    /// Not a socket.
    ENOTSOCK = libc::ENOTSOCK;
    /// The message is too long.
    EMSGSIZE = libc::EMSGSIZE;
    /// The address family is not supported.
    EAFNOSUPPORT = libc::EAFNOSUPPORT;
    /// The network is unreachable.
    ENETUNREACH = libc::ENETUNREACH;
    /// The connection was aborted.
    ECONNABORTED = libc::ECONNABORTED;
    /// The connection was reset by the peer.
    ECONNRESET = libc::ECONNRESET;
    /// Not connected.
    ENOTCONN = libc::ENOTCONN;
    /// Timed out.
    ETIMEDOUT = libc::ETIMEDOUT;
    /// The host is unreachable.
    EHOSTUNREACH = libc::EHOSTUNREACH;
    /// The network dropped the connection on reset.
    ENETRESET = libc::ENETRESET;
    /// No such device (an inproc endpoint nobody bound).
    ENODEV = libc::ENODEV;
    /// No such file or directory (an endpoint that is not bound, for `unbind`/`disconnect`).
    ENOENT = libc::ENOENT;
    /// Too many open files.
    EMFILE = libc::EMFILE;
    /// Out of memory.
    ENOMEM = libc::ENOMEM;
    /// The operation cannot be done in the socket's current state (such as a REQ sending
    /// twice).
    EFSM = sys::EFSM;
    /// The endpoint's protocol is not compatible with the socket type.
    ENOCOMPATPROTO = sys::ENOCOMPATPROTO;
    /// The socket's context was terminated.
    ETERM = sys::ETERM;
    /// No I/O thread is available.
    EMTHREAD = sys::EMTHREAD;
}

/// The most distinct error texts kept (each is kept for the life of the process, so that
/// [`Error::message`] can lend it); numbers beyond these get a generic text.
const MAX_TEXTS: usize = 256;

impl Error {
    /// The error of this number.
    pub const fn from_raw(raw: i32) -> Error {
        Error(raw)
    }

    /// This error's number.
    pub const fn to_raw(self) -> i32 {
        self.0
    }

    /// The error of the calling thread's last failed libzmq call (`zmq_errno`).
    pub fn last() -> Error {
        Error(sys::zmq_errno())
    }

    /// The error's text, from libzmq (`zmq_strerror`: its own texts, or the system's).
    pub fn message(self) -> &'static str {
        // `zmq_strerror` may return the C library's `strerror` buffer, which the next call can
        // overwrite or free: the text is copied out at once (under the lock, so that no two of
        // these calls race on it) and kept, once per number, for the process's life.
        static TEXTS: Mutex<Option<HashMap<i32, &'static str>>> = Mutex::new(None);
        let mut texts = TEXTS.lock().unwrap_or_else(PoisonError::into_inner);
        let texts = texts.get_or_insert_with(HashMap::new);
        if let Some(text) = texts.get(&self.0) {
            return text;
        }
        if texts.len() >= MAX_TEXTS {
            return "unknown error";
        }
        let ptr = sys::zmq_strerror(self.0);
        let text = if ptr.is_null() {
            String::from("unknown error")
        } else {
            // SAFETY: `zmq_strerror` returned a non-null pointer to a NUL-terminated string,
            // valid until the next `strerror` call on this thread; it is copied before any.
            unsafe { CStr::from_ptr(ptr) }
                .to_string_lossy()
                .into_owned()
        };
        let text: &'static str = Box::leak(text.into_boxed_str());
        texts.insert(self.0, text);
        text
    }

    /// The constant's name of a named error (`"EAGAIN"`), or `None`.
    fn name(self) -> Option<&'static str> {
        NAMES
            .iter()
            .find(|(e, _)| *e == self)
            .map(|(_, name)| *name)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl fmt::Debug for Error {
    /// `Error(EAGAIN: Resource temporarily unavailable)`, or `Error(1234: …)` for a number
    /// without a name here.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "Error({name}: {})", self.message()),
            None => write!(f, "Error({}: {})", self.0, self.message()),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    /// An I/O error of the matching kind (from the system's error number; `Other` for
    /// libzmq's own), with the [`Error`] as its inner error.
    fn from(error: Error) -> std::io::Error {
        let kind = if cfg!(unix) && (0..sys::ZMQ_HAUSNUMERO).contains(&error.0) {
            std::io::Error::from_raw_os_error(error.0).kind()
        } else {
            std::io::ErrorKind::Other
        };
        std::io::Error::new(kind, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_texts() {
        let debug = format!("{:?}", Error::EAGAIN);
        assert!(debug.starts_with("Error(EAGAIN: "), "{debug}");
        assert_eq!(Error::ETERM.message(), "Context was terminated");
        assert_eq!(format!("{}", Error::EFSM), Error::EFSM.message());
        assert!(format!("{:?}", Error::from_raw(123_456)).starts_with("Error(123456: "));
        // Lent texts stay the same.
        assert!(std::ptr::eq(
            Error::EINVAL.message(),
            Error::EINVAL.message()
        ));
    }

    #[test]
    fn io_kinds() {
        let io = std::io::Error::from(Error::EAGAIN);
        assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);
        let inner = io.get_ref().and_then(|e| e.downcast_ref::<Error>());
        assert_eq!(inner, Some(&Error::EAGAIN));
        assert_eq!(
            std::io::Error::from(Error::ETERM).kind(),
            std::io::ErrorKind::Other
        );
    }
}
