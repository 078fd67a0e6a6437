//! [`Context`]: libzmq's context, shared by the sockets made in it.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

use netgear_zmq_sys as sys;

use crate::{Error, Result, Socket, SocketType};

/// A libzmq context: its I/O threads, and the sockets made in it.
///
/// Clones share one context, which is terminated when the last clone and the last of its
/// sockets (each holds a clone) are gone: terminating waits for the sockets to be closed, so a
/// socket keeping its context alive means a context is never terminated under a live socket
/// (which would block forever).
#[derive(Clone)]
pub struct Context {
    raw: Arc<RawContext>,
}

/// The context pointer, or why libzmq could not make one (out of file descriptors, say).
struct RawContext(std::result::Result<NonNull<c_void>, Error>);

// SAFETY: libzmq's contexts are thread safe: every `zmq_ctx_*` call and `zmq_socket` may be
// made on one context from any number of threads at once.
unsafe impl Send for RawContext {}
// SAFETY: as for `Send`: `&RawContext` is only used for thread-safe libzmq calls.
unsafe impl Sync for RawContext {}

impl Drop for RawContext {
    fn drop(&mut self) {
        let Ok(ctx) = self.0 else {
            return;
        };
        loop {
            // SAFETY: `ctx` is a live context, terminated here once (retried only when a
            // signal interrupted the wait, which leaves it live), and no socket of it is left:
            // each holds a clone of the `Context`, so the last one is gone.
            if unsafe { sys::zmq_ctx_term(ctx.as_ptr()) } == 0 || Error::last() != Error::EINTR {
                return;
            }
        }
    }
}

impl Context {
    /// A new context (one I/O thread, libzmq's defaults).
    ///
    /// If libzmq cannot make one (out of file descriptors), this still returns a context, on
    /// which [`socket`](Context::socket) fails with that error.
    pub fn new() -> Context {
        let raw = NonNull::new(sys::zmq_ctx_new()).ok_or_else(Error::last);
        Context {
            raw: Arc::new(RawContext(raw)),
        }
    }

    /// The live context's pointer, or why there is none.
    fn ptr(&self) -> Result<*mut c_void> {
        self.raw.0.map(NonNull::as_ptr)
    }

    /// A new socket of `socket_type` in this context (keeping it alive).
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        let ctx = self.ptr()?;
        // SAFETY: `ctx` is a live context (this `Context` keeps it so).
        let sock = unsafe { sys::zmq_socket(ctx, socket_type.to_raw()) };
        if sock.is_null() {
            return Err(Error::last());
        }
        Ok(Socket::from_raw_parts(sock, self.clone()))
    }

    /// The number of I/O threads (`ZMQ_IO_THREADS`).
    pub fn get_io_threads(&self) -> Result<i32> {
        let ctx = self.ptr()?;
        // SAFETY: `ctx` is a live context.
        let value = unsafe { sys::zmq_ctx_get(ctx, sys::ZMQ_IO_THREADS) };
        if value == -1 {
            return Err(Error::last());
        }
        Ok(value)
    }

    /// Sets the number of I/O threads (`ZMQ_IO_THREADS`), before the first socket is made.
    pub fn set_io_threads(&self, value: i32) -> Result<()> {
        let ctx = self.ptr()?;
        // SAFETY: `ctx` is a live context.
        if unsafe { sys::zmq_ctx_set(ctx, sys::ZMQ_IO_THREADS, value) } == -1 {
            return Err(Error::last());
        }
        Ok(())
    }
}

impl Default for Context {
    fn default() -> Context {
        Context::new()
    }
}
