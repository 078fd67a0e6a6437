//! [`Bridge`]: an end's own worker thread, and an eventfd that tells asyncio's loop when the
//! worker's call is done.
//!
//! The hot path of a stream — send a frame and take its answer, receive a frame and answer it
//! — runs here rather than through `loop.run_in_executor`: the loop thread turns the Python
//! values into Rust ones and hands a job over; the worker runs it with no Python object and
//! without ever taking the GIL; when it is done it puts the outcome aside and writes the
//! eventfd, which the loop watches (`loop.add_reader`); the loop thread then takes the outcome
//! and turns it into Python values. With the executor, the worker took the GIL twice per call
//! (to run the call and to hand back its result), each time contending with the loop thread
//! that had just been woken; here only the loop thread touches Python.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// What the loop thread does with a finished job's outcome (with the GIL): its Python value,
/// or the exception to raise.
pub(crate) type Done = Box<dyn for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>> + Send>;

/// A job for the worker: runs without the GIL, returns what to do with its outcome.
pub(crate) type Job = Box<dyn FnOnce() -> Done + Send>;

/// A worker thread taking jobs one at a time, and the eventfd it signals when one is done.
pub(crate) struct Bridge {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    done: Arc<Mutex<VecDeque<Done>>>,
    event: Arc<OwnedFd>,
}

impl Bridge {
    pub(crate) fn new(name: &str) -> PyResult<Bridge> {
        // SAFETY: eventfd has no memory preconditions; its result is checked before use.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        let event = Arc::new(unsafe { OwnedFd::from_raw_fd(fd) });
        let done = Arc::new(Mutex::new(VecDeque::new()));
        let (tx, rx) = mpsc::channel::<Job>();
        let (worker_done, worker_event) = (done.clone(), event.clone());
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                for job in rx {
                    let outcome = job();
                    lock(&worker_done).push_back(outcome);
                    signal(&worker_event);
                }
            })
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start a worker thread: {e}")))?;
        Ok(Bridge {
            jobs: Mutex::new(Some(tx)),
            done,
            event,
        })
    }

    /// The eventfd to watch for readability.
    pub(crate) fn fileno(&self) -> RawFd {
        self.event.as_raw_fd()
    }

    /// Hands a job to the worker.
    pub(crate) fn submit(&self, job: Job) -> PyResult<()> {
        let jobs = lock(&self.jobs);
        match jobs.as_ref().map(|tx| tx.send(job)) {
            Some(Ok(())) => Ok(()),
            _ => Err(PyRuntimeError::new_err("this end is closed")),
        }
    }

    /// The oldest finished job's outcome, `None` when there is none; clears the eventfd.
    pub(crate) fn take<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut count = [0u8; 8];
        // SAFETY: reads at most 8 bytes into `count`; the descriptor is non-blocking, and a
        // failure (nothing to read) leaves `count` as it was.
        unsafe { libc::read(self.fileno(), count.as_mut_ptr().cast(), count.len()) };
        let done = lock(&self.done).pop_front();
        if !lock(&self.done).is_empty() {
            signal(&self.event); // more than one finished: come back for the next
        }
        done.map(|d| d(py)).transpose()
    }

    /// Stops taking jobs: the worker ends after the one it runs (if any).
    pub(crate) fn stop(&self) {
        lock(&self.jobs).take();
    }
}

fn signal(event: &OwnedFd) {
    let one = 1u64.to_ne_bytes();
    // SAFETY: writes 8 bytes from `one` to an eventfd, which is what an eventfd takes.
    unsafe { libc::write(event.as_raw_fd(), one.as_ptr().cast(), one.len()) };
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
