//! [`Message`]: one part of a ZeroMQ message, owning a `zmq_msg_t`; zero-copy constructors
//! ([`Message::from_owner`], [`Message::from_static`]).

use std::ffi::c_void;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr;

use netgear_zmq_sys as sys;

use crate::{Error, Result};

/// One part (frame) of a ZeroMQ message: received, or made here to be sent.
///
/// Its bytes are reached through `Deref<Target = [u8]>`. It is `Send` and `Sync`: a message's
/// content may be released on any thread (libzmq's own do), every free function given to
/// libzmq here drops only `Send` values, and `&Message` only reads.
///
/// Writing through `DerefMut` never writes to bytes that are not the message's alone: a message
/// made from borrowed or shared bytes ([`from_owner`](Message::from_owner),
/// [`from_static`](Message::from_static)) or received (whose bytes may be another message's in
/// this process, sent over `inproc://`) is first copied into a buffer of its own.
pub struct Message {
    raw: sys::zmq_msg_t,
    /// Whether `raw`'s bytes are this message's alone to write: allocated by libzmq for it, or
    /// a buffer given to it outright (`Vec`, `Box<[u8]>`).
    exclusive: bool,
    /// The `ZMQ_MORE` flag of a received part whose bytes were copied for writing (a new
    /// `zmq_msg_t` has no way to set it).
    more: bool,
}

impl Message {
    /// Wraps a `zmq_msg_t` that a `zmq_msg_init*` call initialised.
    fn wrap(raw: sys::zmq_msg_t, exclusive: bool) -> Message {
        Message {
            raw,
            exclusive,
            more: false,
        }
    }

    /// An empty message.
    pub fn new() -> Message {
        let mut raw = sys::zmq_msg_t::default();
        // SAFETY: `raw` is storage for a `zmq_msg_t`; `zmq_msg_init` makes it an empty message
        // and cannot fail (it allocates nothing).
        unsafe { sys::zmq_msg_init(&mut raw) };
        Message::wrap(raw, true)
    }

    /// A message of `len` bytes, all 0.
    ///
    /// # Panics
    ///
    /// If libzmq cannot allocate the bytes (out of memory).
    pub fn with_size(len: usize) -> Message {
        let mut msg = Message::uninit(len);
        // SAFETY: the message's `len` bytes were allocated for it alone by `zmq_msg_init_size`;
        // zeroing them makes them initialised.
        unsafe { ptr::write_bytes(msg.data_mut(), 0, len) };
        msg
    }

    /// A message of `len` uninitialised bytes, for the caller to write before any read.
    fn uninit(len: usize) -> Message {
        let mut raw = sys::zmq_msg_t::default();
        // SAFETY: `raw` is storage for a `zmq_msg_t`, which `zmq_msg_init_size` initialises
        // (or, failing, leaves uninitialised and unused: nothing is dropped then).
        if unsafe { sys::zmq_msg_init_size(&mut raw, len) } == -1 {
            out_of_memory(Error::last());
        }
        Message::wrap(raw, true)
    }

    /// A message over `owner`'s bytes, without copying them: libzmq reads them in place (on its
    /// I/O threads, until they are on the wire) and drops `owner` exactly once when done, on
    /// whichever thread releases the message last (a failed send releases it too).
    ///
    /// `owner.as_ref()` is called once, after `owner` has been boxed (so bytes inside `O`
    /// itself do not move again), and its slice is used until `owner` is dropped: the bytes
    /// must stay where they are, unchanged, while `owner` lives untouched. Any sound type
    /// keeps to that (bytes lent by `&self` cannot change while the borrow could last, and
    /// nobody else can touch the owner), and the usual ones are made for it: `Vec<u8>`,
    /// `Box<[u8]>`, `Arc<[u8]>`, `bytes::Bytes`, `String`, arrays, `&'static [u8]`. Dropping
    /// `owner` must not panic (it may run on a libzmq thread, where a panic aborts).
    ///
    /// # Errors
    ///
    /// `ENOMEM` if libzmq cannot allocate its reference count (`owner` is dropped then).
    pub fn from_owner<O>(owner: O) -> Result<Message>
    where
        O: AsRef<[u8]> + Send + 'static,
    {
        let owner = Box::into_raw(Box::new(owner));
        // SAFETY: `owner` is the box just leaked: valid, and only read here. The bytes are
        // borrowed once the owner is in its box, so bytes inside `O` itself do not move again.
        let bytes: &[u8] = unsafe { (*owner).as_ref() };
        let (data, len) = (bytes.as_ptr().cast_mut(), bytes.len());
        // SAFETY: `owner` is a leaked box, given up here. Its bytes stay valid and unchanged
        // while it lives (documented above), and nothing writes to them: libzmq never writes
        // to a message's bytes, and `Message` does not either (not `exclusive`).
        unsafe { Message::over_boxed(owner, data, len, false) }
    }

    /// A message over the `len` bytes at `data`, which the leaked box `owner` keeps alive:
    /// libzmq drops it once when done with them (or it is dropped now, on failure).
    ///
    /// # Safety
    ///
    /// `owner` comes from `Box::into_raw` and is given up by the caller. The `len` bytes at
    /// `data` stay valid while it lives; nothing but the message writes to them, and the
    /// message only if `exclusive` (then `data` must allow writes).
    unsafe fn over_boxed<O: Send>(
        owner: *mut O,
        data: *mut u8,
        len: usize,
        exclusive: bool,
    ) -> Result<Message> {
        /// Drops the boxed owner given as `hint`.
        unsafe extern "C" fn release<O>(_data: *mut c_void, hint: *mut c_void) {
            // SAFETY: `hint` is the leaked `Box<O>` of this message's content only; libzmq
            // calls the free function once, when the content's last reference goes.
            drop(unsafe { Box::from_raw(hint.cast::<O>()) });
        }
        let mut raw = sys::zmq_msg_t::default();
        // SAFETY: the bytes stay valid until `release::<O>` drops their owner (the caller's
        // promise), which libzmq does once, after its last use of them; `O: Send`, so it may
        // be dropped on one of libzmq's threads.
        let rc = unsafe {
            sys::zmq_msg_init_data(&mut raw, data.cast(), len, Some(release::<O>), owner.cast())
        };
        if rc == -1 {
            let error = Error::last();
            // SAFETY: libzmq does not keep the owner when it fails: the box is still ours,
            // freed here once.
            drop(unsafe { Box::from_raw(owner) });
            return Err(error);
        }
        Ok(Message::wrap(raw, exclusive))
    }

    /// A message over `bytes`, without copying them and without any allocation: libzmq reads
    /// them in place for as long as it needs (they live for the whole program).
    pub fn from_static(bytes: &'static [u8]) -> Message {
        let mut raw = sys::zmq_msg_t::default();
        let data = bytes.as_ptr().cast_mut().cast::<c_void>();
        // SAFETY: without a free function libzmq makes a constant message over `bytes`
        // (allocating nothing, so this cannot fail); they are `'static`, so they outlive every
        // use of the message and of its copies. Nobody writes to them: libzmq never writes to
        // a message's bytes, and `Message` does not either (`exclusive` is false).
        let rc =
            unsafe { sys::zmq_msg_init_data(&mut raw, data, bytes.len(), None, ptr::null_mut()) };
        if rc == -1 {
            // Not in libzmq 4.3.5; a copy then, should a later one ever fail here.
            return Message::from(bytes);
        }
        Message::wrap(raw, false)
    }

    /// Whether more parts of the message follow this received one (`ZMQ_MORE`).
    pub fn get_more(&self) -> bool {
        // SAFETY: `raw` is an initialised message; `zmq_msg_more` only reads it.
        self.more || unsafe { sys::zmq_msg_more(&self.raw) } == 1
    }

    /// The bytes as text, if they are UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self).ok()
    }

    /// The `zmq_msg_t`, for libzmq to receive into: the bytes it then holds may be another
    /// message's (inproc), so they are no longer treated as this message's alone.
    pub(crate) fn raw_for_recv(&mut self) -> *mut sys::zmq_msg_t {
        self.exclusive = false;
        self.more = false;
        &mut self.raw
    }

    /// The `zmq_msg_t`, for libzmq to send from (which leaves it empty on success).
    pub(crate) fn raw_for_send(&mut self) -> *mut sys::zmq_msg_t {
        &mut self.raw
    }

    /// A pointer to the bytes, writable if they are the message's alone.
    fn data_mut(&mut self) -> *mut u8 {
        // SAFETY: `raw` is an initialised message; `zmq_msg_data` only computes the pointer.
        unsafe { sys::zmq_msg_data(&mut self.raw) }.cast::<u8>()
    }

    /// Makes the bytes the message's alone, copying them if they may not be.
    fn make_exclusive(&mut self) {
        if self.exclusive {
            return;
        }
        let mut copy = Message::from(&self[..]);
        copy.more = self.get_more();
        // The old content is released (its owner dropped, if it was the last reference).
        *self = copy;
    }
}

/// Panics for a message libzmq could not allocate.
#[cold]
fn out_of_memory(error: Error) -> ! {
    panic!("libzmq could not allocate a message: {error}");
}

impl Drop for Message {
    fn drop(&mut self) {
        // SAFETY: `raw` is an initialised message, closed once here; closing releases its
        // content's reference (calling its free function if it was the last). It cannot fail
        // for an initialised message.
        unsafe { sys::zmq_msg_close(&mut self.raw) };
    }
}

impl Default for Message {
    fn default() -> Message {
        Message::new()
    }
}

impl Deref for Message {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        let raw = ptr::from_ref(&self.raw).cast_mut();
        // SAFETY: `raw` is an initialised message; `zmq_msg_data` and `zmq_msg_size` only read
        // it (the `*mut` is the C signature's, nothing is written through it).
        let (data, len) = unsafe { (sys::zmq_msg_data(raw).cast::<u8>(), sys::zmq_msg_size(raw)) };
        if data.is_null() || len == 0 {
            return &[];
        }
        // SAFETY: a message's `len` bytes at `data` are initialised and live as long as the
        // message (its content's reference); while `&self` lasts nothing writes to them (only
        // `DerefMut` would, on bytes that are the message's alone).
        unsafe { std::slice::from_raw_parts(data, len) }
    }
}

impl DerefMut for Message {
    /// The bytes, to write: copied first into a buffer of the message's own unless they are
    /// already (see the type's doc).
    fn deref_mut(&mut self) -> &mut [u8] {
        self.make_exclusive();
        // SAFETY: `raw` is an initialised message; `zmq_msg_size` only reads it.
        let len = unsafe { sys::zmq_msg_size(&self.raw) };
        let data = self.data_mut();
        if data.is_null() || len == 0 {
            return &mut [];
        }
        // SAFETY: the `len` bytes at `data` are initialised, live as long as the message, and
        // are its alone (`make_exclusive`): nothing else reads or writes them while `&mut self`
        // lasts.
        unsafe { std::slice::from_raw_parts_mut(data, len) }
    }
}

impl AsRef<[u8]> for Message {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Message {}

impl fmt::Debug for Message {
    /// The length, the `more` flag and the first bytes (a message may be a whole video frame).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEAD: usize = 32;
        let bytes: &[u8] = self;
        let mut s = f.debug_struct("Message");
        s.field("len", &bytes.len()).field("more", &self.get_more());
        if bytes.len() <= HEAD {
            s.field("bytes", &bytes).finish()
        } else {
            s.field("head", &&bytes[..HEAD]).finish_non_exhaustive()
        }
    }
}

impl From<&[u8]> for Message {
    /// A message with a copy of the bytes.
    ///
    /// # Panics
    ///
    /// If libzmq cannot allocate the bytes (out of memory).
    fn from(bytes: &[u8]) -> Message {
        let mut msg = Message::uninit(bytes.len());
        if !bytes.is_empty() {
            // SAFETY: the message has room for `bytes.len()` bytes of its own, which do not
            // overlap `bytes`.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), msg.data_mut(), bytes.len()) };
        }
        msg
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    /// A message with a copy of the bytes.
    fn from(bytes: &[u8; N]) -> Message {
        Message::from(&bytes[..])
    }
}

impl From<&str> for Message {
    /// A message with a copy of the text's bytes.
    fn from(text: &str) -> Message {
        Message::from(text.as_bytes())
    }
}

/// Drops the `Box<[u8]>` of `len` (`hint`) bytes at `data`.
unsafe extern "C" fn release_boxed_slice(data: *mut c_void, hint: *mut c_void) {
    let len = hint.addr();
    // SAFETY: `data` and `len` are those of the `Box<[u8]>` leaked in `From<Box<[u8]>>` for
    // this message's content only; libzmq calls the free function once.
    drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(data.cast::<u8>(), len)) });
}

impl From<Box<[u8]>> for Message {
    /// A message over the bytes, without copying them.
    ///
    /// # Panics
    ///
    /// If libzmq cannot allocate its reference count (out of memory).
    fn from(bytes: Box<[u8]>) -> Message {
        let len = bytes.len();
        if len == 0 {
            return Message::new();
        }
        let data = Box::into_raw(bytes).cast::<c_void>();
        let mut raw = sys::zmq_msg_t::default();
        // SAFETY: `data` is the leaked box of `len` bytes, given to libzmq with the free
        // function that rebuilds and drops it once (the length travels as the hint). The bytes
        // are the message's alone: nothing else has the box.
        let rc = unsafe {
            sys::zmq_msg_init_data(
                &mut raw,
                data,
                len,
                Some(release_boxed_slice),
                ptr::without_provenance_mut(len),
            )
        };
        if rc == -1 {
            let error = Error::last();
            // SAFETY: libzmq did not keep the box; it is freed here once.
            unsafe { release_boxed_slice(data, ptr::without_provenance_mut(len)) };
            out_of_memory(error);
        }
        Message::wrap(raw, true)
    }
}

impl From<Vec<u8>> for Message {
    /// A message over the vector's bytes, without copying them.
    ///
    /// # Panics
    ///
    /// If libzmq cannot allocate its reference count (out of memory).
    fn from(bytes: Vec<u8>) -> Message {
        if bytes.len() == bytes.capacity() {
            return Message::from(bytes.into_boxed_slice());
        }
        // Kept whole (a boxed slice would reallocate to drop the spare capacity).
        let owner = Box::into_raw(Box::new(bytes));
        // SAFETY: `owner` is the box just leaked, valid; the buffer's pointer is taken from
        // `&mut`, as the message may write to it.
        let (data, len) = unsafe { ((*owner).as_mut_ptr(), (*owner).len()) };
        // SAFETY: `owner` is a leaked box, given up here; its buffer stays where it is while
        // it lives, and the vector was given outright, so the message alone may write to it.
        match unsafe { Message::over_boxed(owner, data, len, true) } {
            Ok(msg) => msg,
            Err(error) => out_of_memory(error),
        }
    }
}

impl From<String> for Message {
    /// A message over the text's bytes, without copying them.
    fn from(text: String) -> Message {
        Message::from(text.into_bytes())
    }
}

impl<T> From<&T> for Message
where
    T: Into<Message> + Clone,
{
    /// A message made from a clone (`&Vec<u8>`, `&String`, `&&[u8]`, …).
    fn from(value: &T) -> Message {
        value.clone().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors() {
        assert!(Message::new().is_empty());
        assert_eq!(&Message::with_size(3)[..], &[0, 0, 0]);
        assert_eq!(&Message::from(&b"abc"[..])[..], b"abc");
        assert_eq!(&Message::from(b"abc")[..], b"abc");
        assert_eq!(Message::from("abc").as_str(), Some("abc"));
        assert_eq!(&Message::from(String::from("abc"))[..], b"abc");
        let mut spare = Vec::with_capacity(100);
        spare.extend_from_slice(&[1, 2, 3]);
        assert_eq!(&Message::from(spare)[..], &[1, 2, 3]);
        assert_eq!(&Message::from(vec![4u8; 100])[..], &[4u8; 100][..]);
        assert_eq!(&Message::from(&vec![5u8; 2])[..], &[5, 5]);
        assert_eq!(&Message::from(Box::<[u8]>::from(&[6u8][..]))[..], &[6]);
        assert!(Message::from(Vec::new()).is_empty());
        assert!(!Message::new().get_more());
    }

    #[test]
    fn writes_copy_borrowed_bytes() {
        static BYTES: [u8; 4] = [1, 2, 3, 4];
        let mut msg = Message::from_static(&BYTES);
        assert_eq!(msg.as_ptr(), BYTES.as_ptr(), "no copy");
        msg[0] = 9;
        assert_eq!(&msg[..], &[9, 2, 3, 4]);
        assert_eq!(BYTES, [1, 2, 3, 4]);

        let shared: std::sync::Arc<[u8]> = vec![7u8; 100].into();
        let mut msg = Message::from_owner(shared.clone()).expect("message");
        assert_eq!(msg.as_ptr(), shared.as_ptr(), "no copy");
        msg[0] = 0;
        assert_eq!(shared[0], 7);
        assert_eq!(msg[0], 0);

        // Bytes that are the message's own are written in place.
        let mut msg = Message::with_size(100);
        let before = msg.as_ptr();
        msg[0] = 1;
        assert_eq!(msg.as_ptr(), before);
    }

    #[test]
    fn debug_is_short() {
        let text = format!("{:?}", Message::from(vec![0u8; 1000]));
        assert!(text.len() < 200, "{text}");
        assert!(text.contains("len: 1000"), "{text}");
    }
}
