//! A frame written in place: a slot loaned from the publisher's pool before the frame exists
//! ([`Server::frame_buffer`](crate::Server::frame_buffer)), its elements written there by the
//! application, and the slot published as it is. No byte of the frame is copied on its way.
//!
//! The slot: the table of parts, the frame part (its msgpack_numpy header, then the elements,
//! which start on a 64-byte boundary), then room for the header part ([`HEAD_ROOM`]), which is
//! known only when the frame is sent (its data, its capture time). See `envelope`.

use std::mem::MaybeUninit;
use std::ops::Range;
use std::time::Duration;

use iceoryx2::sample_mut_uninit::SampleMutUninit;

use super::envelope::{self, HEADER_LEN, PART_ALIGN};
use super::link::ShmLink;
use super::ports::{self, Svc};
use crate::error::{Error, Result};
use crate::pattern::Pattern;

/// Room left in a loaned slot for the header part: a header with data longer than this goes
/// the usual way (the frame copied into a slot of its own).
pub(crate) const HEAD_ROOM: usize = 16 << 10;

/// A slot loaned for one frame, its frame part's header written, its elements the
/// application's to write.
pub(crate) struct ShmLoan {
    sample: SampleMutUninit<Svc, [MaybeUninit<u8>], ()>,
    /// The frame part's place in the slot (its header, then the elements).
    frame: Range<usize>,
    /// Where the elements start.
    elements: usize,
}

impl std::fmt::Debug for ShmLoan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShmLoan")
            .field("frame", &self.frame)
            .field("elements", &self.elements)
            .finish_non_exhaustive()
    }
}

fn align_up(n: usize) -> usize {
    n.next_multiple_of(PART_ALIGN)
}

impl ShmLoan {
    /// The elements' bytes, not yet written.
    pub(crate) fn elements_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        let range = self.elements..self.frame.end;
        &mut self.sample.payload_mut()[range]
    }

    /// The elements' bytes, written.
    ///
    /// # Safety
    /// Every byte of [`ShmLoan::elements_mut`] has been written.
    pub(crate) unsafe fn elements_mut_init(&mut self) -> &mut [u8] {
        let bytes = self.elements_mut();
        // SAFETY: the caller wrote every byte of this range (the function's contract);
        // `MaybeUninit<u8>` has the layout of `u8`.
        unsafe { &mut *(std::ptr::from_mut(bytes) as *mut [u8]) }
    }

    /// The frame part's bytes.
    pub(crate) fn len(&self) -> usize {
        self.frame.len()
    }

    /// Whether a header part of `len` bytes fits after the frame.
    pub(crate) fn head_fits(&mut self, len: usize) -> bool {
        align_up(self.frame.end) + len <= self.sample.payload_mut().len()
    }
}

impl ShmLink {
    /// Whether a loaned frame is sure to be delivered when it is sent: in lock-step (the
    /// receiver has taken the frame before from its queue when it answered it) and in PUB/SUB
    /// (a subscriber's queue keeps the newest). Elsewhere a full queue would discard it, and a
    /// frame copied in is tried again instead.
    pub(crate) fn delivers_loans(&self, max_in_flight: usize) -> bool {
        match self.pattern {
            Pattern::PubSub => true,
            Pattern::Pair | Pattern::ReqRep => max_in_flight == 1,
            Pattern::PushPull => false,
        }
    }

    /// Loans a slot for a frame part of `prefix` (its msgpack_numpy header) then `elements`
    /// bytes, waiting (at most `timeout`) while the peer holds every slot.
    pub(crate) async fn loan_frame(
        &self,
        prefix: &[u8],
        elements: usize,
        timeout: Duration,
    ) -> Result<ShmLoan> {
        let start = align_up(HEADER_LEN + prefix.len());
        let frame_end = start + elements;
        let head_at = align_up(frame_end);
        if head_at > self.slot {
            return Err(Error::MessageTooLarge {
                size: head_at,
                limit: self.slot,
            });
        }
        let len = (head_at + HEAD_ROOM).min(self.slot);
        let mut sample = self
            .wait(timeout, "a free slot for a frame", |link| {
                match link.ports.publisher.loan_slice_uninit(len) {
                    Ok(sample) => Ok(Some(sample)),
                    // Every slot is held by the peer: wait for one to come back.
                    Err(iceoryx2::port::LoanError::OutOfMemory) => Ok(None),
                    Err(e) => Err(ports::failed("loaning a slot", e)),
                }
            })
            .await?;
        let frame = start - prefix.len()..frame_end;
        let payload = sample.payload_mut();
        payload[..frame.start].fill(MaybeUninit::new(0));
        payload[frame.start..start].write_copy_of_slice(prefix);
        Ok(ShmLoan {
            sample,
            frame,
            elements: start,
        })
    }

    /// Sends a loaned frame whose elements are written, behind the header part `head` (which
    /// must fit: [`ShmLoan::head_fits`]), once the peer is there (at most `timeout`).
    ///
    /// # Safety
    /// Every byte of the loan's elements has been written.
    pub(crate) async unsafe fn send_loan(
        &self,
        mut loan: ShmLoan,
        head: &[u8],
        timeout: Duration,
        what: &'static str,
    ) -> Result<()> {
        let broadcast = self.pattern == Pattern::PubSub;
        self.wait(timeout, what, |link| {
            Ok((broadcast || link.look(false)).then_some(()))
        })
        .await?;
        let head_at = align_up(loan.frame.end);
        let payload = loan.sample.payload_mut();
        let head_range = head_at..head_at + head.len();
        envelope::write_table(payload, &[head_range.clone(), loan.frame.clone()]);
        payload[loan.frame.end..head_at].fill(MaybeUninit::new(0));
        payload[head_range.clone()].write_copy_of_slice(head);
        payload[head_range.end..].fill(MaybeUninit::new(0));
        // SAFETY: every byte is written: the table and the padding after it (here and in
        // `loan_frame`), the frame part's header (`loan_frame`), its elements (the caller's
        // contract), the padding after it, the header part and the rest of the slot (here).
        let sample = unsafe { loan.sample.assume_init() };
        match sample.send() {
            Ok(n) if n > 0 || broadcast => {}
            // The peer left between the look and the send: the frame went with the slot.
            Ok(_) => {
                return Err(Error::PeerGone {
                    endpoint: self.endpoint.clone(),
                    waiting_for: what,
                });
            }
            Err(e) => return Err(ports::failed("sending", e)),
        }
        self.ports
            .notifier
            .notify()
            .map_err(|e| ports::failed("notifying the peer", e))?;
        Ok(())
    }
}
