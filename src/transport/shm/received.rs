//! A message received in shared memory, handed over as [`Bytes`] that borrow the iceoryx2
//! sample: a frame costs no copy. The sample goes back to its publisher's pool when the last
//! of its `Bytes` is dropped.
//!
//! A subscriber may hold only so many samples at once (the QoS fixed when the service was
//! made), and the application may keep frames as long as it likes: past [`LENT`] samples held,
//! and for small messages, the parts are copied out and the sample released at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;

use super::envelope;
use super::ports::{LENT, ShmSample};
use crate::error::Result;
use crate::transport::interface::Received;
use crate::wire::DecodeError;

/// Messages shorter than this are copied out of shared memory (answers, confirmations), so
/// that they hold no sample.
const COPY_BELOW: usize = 4096;

/// The owner of a sample's bytes, shared by the `Bytes` of its parts.
struct Lent {
    sample: ShmSample,
    /// The count of samples lent out by the subscriber, down by one when this is dropped.
    lent: Arc<AtomicUsize>,
}

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        self.sample.payload()
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        self.lent.fetch_sub(1, Ordering::AcqRel);
    }
}

// `Bytes::from_owner` needs a `Send` owner: `Sample` is `Send` with `ipc_threadsafe` (its
// subscriber's state behind an `Arc` and a mutex), and dropping it on any thread is sound.
const _: fn() = || {
    fn is_send<T: Send + 'static>() {}
    is_send::<Lent>();
};

/// The parts of a received sample: borrowed from shared memory, or copied (see the module
/// doc). `lent` counts the samples held; `limit` is the most bytes this end accepts in one
/// message's envelope.
pub(super) fn parts(sample: ShmSample, lent: &Arc<AtomicUsize>, limit: usize) -> Result<Received> {
    let payload: &[u8] = sample.payload();
    if payload.len() > limit {
        return Err(DecodeError::Framing {
            transport: "shared-memory",
            detail: format!(
                "{} bytes, more than the {limit} this end accepts (max_message_size)",
                payload.len()
            ),
        }
        .into());
    }
    let table = envelope::read(payload)?;
    let mut msg = Received::default();
    if payload.len() < COPY_BELOW || lent.load(Ordering::Acquire) >= LENT {
        for range in table.parts() {
            // In bounds: `envelope::read` checked every range against the payload.
            msg.push(Bytes::copy_from_slice(&payload[range.clone()]));
        }
        return Ok(msg);
    }
    let len = payload.len();
    lent.fetch_add(1, Ordering::AcqRel);
    let whole = Bytes::from_owner(Lent {
        sample,
        lent: lent.clone(),
    });
    // The length is read from the sample's header again, which is in memory the peer can
    // write: it must still be the one checked.
    if whole.len() != len {
        return Err(DecodeError::Framing {
            transport: "shared-memory",
            detail: "the slice's length changed while it was read".into(),
        }
        .into());
    }
    for range in table.parts() {
        msg.push(whole.slice(range.clone()));
    }
    Ok(msg)
}
