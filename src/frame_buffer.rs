//! [`FrameBuffer`]: a frame written where it will be sent from ([`Server::frame_buffer`]).
//!
//! [`Server::frame_buffer`]: crate::Server::frame_buffer

use std::mem::MaybeUninit;
use std::time::SystemTime;

use crate::error::Result;
use crate::wire::{Dtype, Frame};

/// Where a [`FrameBuffer`]'s elements live.
#[derive(Debug)]
pub(crate) enum Store {
    /// On the heap: copied into a [`Frame`] when sent.
    Heap(Vec<u8>),
    /// In a slot of shared memory, published as it is when sent.
    #[cfg(feature = "shm")]
    Shm(crate::transport::ShmLoan),
}

/// The elements of the next frame, written in place and then sent with
/// [`Server::send_buffer`](crate::Server::send_buffer); from
/// [`Server::frame_buffer`](crate::Server::frame_buffer).
///
/// Over [`Protocol::Shm`](crate::Protocol::Shm) the elements are in a slot of shared memory that
/// the receiver is handed as it is: rendering, decoding or capturing straight into
/// [`FrameBuffer::bytes_mut`] (or [`FrameBuffer::uninit_mut`]) costs no copy at all, and
/// [`FrameBuffer::copy_from`] costs one. Elsewhere (and where shm cannot be sure to deliver a
/// slot, see [`Server::frame_buffer`](crate::Server::frame_buffer)) they are on the heap and
/// copied once when sent. Elements never written are sent as zeros.
#[derive(Debug)]
pub struct FrameBuffer {
    dtype: Dtype,
    shape: Vec<usize>,
    captured: Option<SystemTime>,
    pub(crate) store: Store,
    written: bool,
}

impl FrameBuffer {
    pub(crate) fn new(dtype: Dtype, shape: Vec<usize>, store: Store) -> FrameBuffer {
        let written = matches!(store, Store::Heap(_));
        FrameBuffer {
            dtype,
            shape,
            captured: None,
            store,
            written,
        }
    }

    /// The elements' type.
    pub fn dtype(&self) -> Dtype {
        self.dtype
    }

    /// The frame's shape (numpy's order: rows first).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Whether the elements are in shared memory (sent without a copy).
    pub fn is_shared(&self) -> bool {
        !matches!(self.store, Store::Heap(_))
    }

    /// The capture time sent with the frame (the send time if not set), as
    /// [`Frame::with_captured`].
    pub fn with_captured(mut self, captured: SystemTime) -> FrameBuffer {
        self.captured = Some(captured);
        self
    }

    /// The capture time set, if any.
    pub fn captured(&self) -> Option<SystemTime> {
        self.captured
    }

    /// The elements' bytes, to write (C order, native byte order). In shared memory they are
    /// zeroed the first time (one pass over the memory); [`FrameBuffer::uninit_mut`] skips that.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        if !self.written {
            self.uninit_mut().fill(MaybeUninit::new(0));
            self.written = true;
        }
        match &mut self.store {
            Store::Heap(v) => v,
            #[cfg(feature = "shm")]
            // SAFETY: every byte is written: zeroed above, or by the application before it
            // said so (`assume_written`).
            Store::Shm(loan) => unsafe { loan.elements_mut_init() },
        }
    }

    /// The elements' bytes as they may be before anything is written, to write without zeroing
    /// them first; then [`FrameBuffer::assume_written`].
    pub fn uninit_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        match &mut self.store {
            Store::Heap(v) => {
                let bytes: &mut [u8] = v;
                // SAFETY: `MaybeUninit<u8>` has the layout of `u8`, and every `u8` is a valid
                // `MaybeUninit<u8>`; what is written through it is a byte, so `v` stays
                // initialised.
                unsafe { &mut *(std::ptr::from_mut(bytes) as *mut [MaybeUninit<u8>]) }
            }
            #[cfg(feature = "shm")]
            Store::Shm(loan) => loan.elements_mut(),
        }
    }

    /// Says that every byte of [`FrameBuffer::uninit_mut`] has been written.
    ///
    /// # Safety
    /// Every byte of the elements has been written since the buffer was made.
    pub unsafe fn assume_written(&mut self) {
        self.written = true;
    }

    /// Copies `src` into the elements (the one copy of a frame that already exists elsewhere).
    ///
    /// # Panics
    /// If `src` is not as long as the elements.
    pub fn copy_from(&mut self, src: &[u8]) {
        self.uninit_mut().write_copy_of_slice(src);
        self.written = true;
    }

    /// Whether every element has been written (or zeroed).
    #[cfg(feature = "shm")]
    pub(crate) fn written(&self) -> bool {
        self.written
    }

    /// The frame, on the heap (a copy of the elements).
    pub fn into_frame(mut self) -> Result<Frame> {
        let (dtype, shape) = (self.dtype, self.shape.clone());
        let frame = Frame::build(dtype, shape, |dst| dst.copy_from_slice(self.bytes_mut()))?;
        Ok(match self.captured {
            Some(t) => frame.with_captured(t),
            None => frame,
        })
    }
}
