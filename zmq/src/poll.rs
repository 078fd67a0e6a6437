//! [`poll`], [`PollItem`] and [`PollEvents`]: waiting for sockets and file descriptors.

use std::ffi::{c_int, c_long};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign};
use std::ptr;

use netgear_zmq_sys as sys;

use crate::{Error, RawFd, Result, Socket};

/// A set of poll events.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PollEvents(i16);

impl PollEvents {
    /// A message can be received.
    pub const POLLIN: PollEvents = PollEvents(sys::ZMQ_POLLIN as i16);
    /// A message can be sent.
    pub const POLLOUT: PollEvents = PollEvents(sys::ZMQ_POLLOUT as i16);
    /// An error condition (plain file descriptors only).
    pub const POLLERR: PollEvents = PollEvents(sys::ZMQ_POLLERR as i16);
    /// Urgent data (plain file descriptors only).
    pub const POLLPRI: PollEvents = PollEvents(sys::ZMQ_POLLPRI as i16);

    /// Every event libzmq knows.
    const ALL: i16 = PollEvents::POLLIN.0
        | PollEvents::POLLOUT.0
        | PollEvents::POLLERR.0
        | PollEvents::POLLPRI.0;

    /// No event.
    pub const fn empty() -> PollEvents {
        PollEvents(0)
    }

    /// The events' bits (`ZMQ_POLLIN`, …).
    pub const fn bits(self) -> i16 {
        self.0
    }

    /// The events of `bits`, ignoring unknown bits.
    pub const fn from_bits_truncate(bits: i16) -> PollEvents {
        PollEvents(bits & PollEvents::ALL)
    }

    /// The events of a C `int` of bits (`ZMQ_EVENTS`), ignoring unknown bits.
    pub(crate) fn from_int(bits: c_int) -> PollEvents {
        let known = bits & c_int::from(PollEvents::ALL);
        PollEvents(i16::try_from(known).unwrap_or_default())
    }

    /// Whether every event of `other` is in `self`.
    pub const fn contains(self, other: PollEvents) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether `self` and `other` have an event in common.
    pub const fn intersects(self, other: PollEvents) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether there is no event.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for PollEvents {
    type Output = PollEvents;

    fn bitor(self, other: PollEvents) -> PollEvents {
        PollEvents(self.0 | other.0)
    }
}

impl BitOrAssign for PollEvents {
    fn bitor_assign(&mut self, other: PollEvents) {
        self.0 |= other.0;
    }
}

impl BitAnd for PollEvents {
    type Output = PollEvents;

    fn bitand(self, other: PollEvents) -> PollEvents {
        PollEvents(self.0 & other.0)
    }
}

impl BitAndAssign for PollEvents {
    fn bitand_assign(&mut self, other: PollEvents) {
        self.0 &= other.0;
    }
}

impl fmt::Debug for PollEvents {
    /// `POLLIN | POLLOUT`, or `(empty)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (PollEvents::POLLIN, "POLLIN"),
            (PollEvents::POLLOUT, "POLLOUT"),
            (PollEvents::POLLERR, "POLLERR"),
            (PollEvents::POLLPRI, "POLLPRI"),
        ];
        let mut first = true;
        for (event, name) in names {
            if self.contains(event) {
                f.write_str(if first { "" } else { " | " })?;
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("(empty)")?;
        }
        Ok(())
    }
}

/// One thing to [`poll`]: a socket (borrowed for `'a`) or a plain file descriptor, the events
/// to wait for, and, after the poll, the events that came.
#[repr(transparent)]
pub struct PollItem<'a> {
    raw: sys::zmq_pollitem_t,
    _socket: PhantomData<&'a Socket>,
}

impl<'a> PollItem<'a> {
    /// An item for `socket`.
    pub(crate) fn from_socket(socket: &'a Socket, events: PollEvents) -> PollItem<'a> {
        PollItem {
            raw: sys::zmq_pollitem_t {
                socket: socket.raw(),
                fd: 0,
                events: events.bits(),
                revents: 0,
            },
            _socket: PhantomData,
        }
    }

    /// An item for a plain file descriptor (a pipe, a TCP socket).
    pub fn from_fd(fd: RawFd, events: PollEvents) -> PollItem<'a> {
        PollItem {
            raw: sys::zmq_pollitem_t {
                socket: ptr::null_mut(),
                fd,
                events: events.bits(),
                revents: 0,
            },
            _socket: PhantomData,
        }
    }

    /// Changes the events to wait for.
    pub fn set_events(&mut self, events: PollEvents) {
        self.raw.events = events.bits();
    }

    /// The events that came in the last poll.
    pub fn get_revents(&self) -> PollEvents {
        PollEvents::from_bits_truncate(self.raw.revents)
    }

    /// Whether a message can be received (`POLLIN` came).
    pub fn is_readable(&self) -> bool {
        self.get_revents().contains(PollEvents::POLLIN)
    }

    /// Whether a message can be sent (`POLLOUT` came).
    pub fn is_writable(&self) -> bool {
        self.get_revents().contains(PollEvents::POLLOUT)
    }

    /// Whether an error condition came (`POLLERR`, plain file descriptors only).
    pub fn is_error(&self) -> bool {
        self.get_revents().contains(PollEvents::POLLERR)
    }

    /// Whether this is the item of `socket`.
    pub fn has_socket(&self, socket: &Socket) -> bool {
        self.raw.socket == socket.raw()
    }

    /// Whether this is the item of the plain file descriptor `fd`.
    pub fn has_fd(&self, fd: RawFd) -> bool {
        self.raw.socket.is_null() && self.raw.fd == fd
    }
}

/// Waits until an event of some item comes, or `timeout` ms pass (0: do not wait; -1:
/// forever); the number of items with events (their [`get_revents`](PollItem::get_revents)).
///
/// `EINTR` if a signal came first; `ETERM` if a socket's context was terminated.
pub fn poll(items: &mut [PollItem<'_>], timeout: i64) -> Result<i32> {
    let count = c_int::try_from(items.len()).map_err(|_| Error::EINVAL)?;
    // Beyond `long` (on 32-bit targets): forever, as good as.
    let timeout = c_long::try_from(timeout).unwrap_or(if timeout < 0 { -1 } else { c_long::MAX });
    // `PollItem` is a transparent `zmq_pollitem_t` (and a zero-sized marker).
    let raw = items.as_mut_ptr().cast::<sys::zmq_pollitem_t>();
    // SAFETY: `raw` points to `count` `zmq_pollitem_t`s, which libzmq reads and whose
    // `revents` it writes during the call; each socket in them is live (borrowed by its item)
    // and used by this thread only (`Socket` is not `Sync`).
    let n = unsafe { sys::zmq_poll(raw, count, timeout) };
    if n == -1 {
        return Err(Error::last());
    }
    Ok(n)
}
