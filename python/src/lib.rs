//! `netgear_rs._core`: the compiled half of the `netgear_rs` Python package.
//!
//! The Python half (`netgear_rs/__init__.py`) holds vidgear's asyncio surface of
//! `NetGear_Async` — the loop, the server task, the async generators, the errors vidgear
//! raises before anything is sent; this half is the netgear-rs core itself, in-process:
//! - `ends.rs`: `Sender` (a `netgear::Server`) and `Receiver` (a `netgear::Client`), each end
//!   on its own current-thread tokio runtime, driven by its own worker thread;
//! - `bridge.rs`: that worker thread, and the eventfd that tells asyncio's loop a call is done;
//! - `frames.rs`: numpy arrays ↔ `Frame`s (received frames without a copy, sent ones with one);
//! - `data.rs`: Python values ↔ msgpack data;
//! - `source.rs`: `VideoReader`, the ffmpeg-backed built-in source (vidgear's `source=`), and
//!   `colorspace.rs`, OpenCV's table-free `colorspace=` conversions;
//! - `errors.rs`: the core's errors as the exceptions vidgear raises.

#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod bridge;
mod colorspace;
mod data;
mod ends;
mod errors;
mod frames;
mod source;

use pyo3::prelude::*;

/// Keeps frame-sized buffers in glibc's heap, as the `netgear` command does: with glibc's
/// defaults each buffer above 128 KiB (every frame received, sent or decoded) is mapped and
/// unmapped anew, a page-fault storm per frame. Process-wide, so `NETGEAR_RS_TUNE_MALLOC=0` in
/// the environment before the import leaves the allocator as it is.
fn tune_allocator() {
    if std::env::var_os("NETGEAR_RS_TUNE_MALLOC").is_some_and(|v| v == "0") {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters (glibc takes its own lock to do so).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}

/// The module `netgear_rs._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    tune_allocator();
    m.add_class::<ends::Sender>()?;
    m.add_class::<ends::Receiver>()?;
    m.add_class::<frames::FrameBuffer>()?;
    m.add_class::<source::VideoReader>()?;
    m.add_function(pyo3::wrap_pyfunction!(ends::check_options, m)?)?;
    m.add_function(pyo3::wrap_pyfunction!(ends::keygen, m)?)?;
    m.add_function(pyo3::wrap_pyfunction!(frames::reducer, m)?)?;
    m.add("DecodeError", m.py().get_type::<errors::DecodeError>())?;
    m.add("Cancelled", m.py().get_type::<errors::Cancelled>())?;
    m.add("PeerGone", m.py().get_type::<errors::PeerGone>())?;
    m.add("DEFAULT_TIMEOUT", netgear::DEFAULT_TIMEOUT.as_secs_f64())?;
    Ok(())
}
