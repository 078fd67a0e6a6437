//! [`Server::frame_buffer`] and [`Server::send_buffer`]: frames written where they are sent
//! from (a slot of shared memory over shm, published as it is).

#[cfg(feature = "shm")]
use std::time::{Instant, SystemTime};

use super::Server;
#[cfg(feature = "shm")]
use super::lock;
use crate::error::Result;
use crate::frame_buffer::{FrameBuffer, Store};
#[cfg(feature = "shm")]
use crate::pattern::Pattern;
#[cfg(feature = "shm")]
use crate::transport::{Link, Transport};
use crate::wire::{self, Data, Dtype};
#[cfg(feature = "shm")]
use crate::wire::{Compression, Outgoing};

impl Server {
    /// A buffer for the next frame's elements (`dtype`, `shape`), to write in place and send
    /// with [`Server::send_buffer`]. Over [`Protocol::Shm`](crate::Protocol::Shm), uncompressed,
    /// it is a slot of shared memory that the receiver is handed as it is (no copy on the way),
    /// where a slot sent is sure to be delivered: in patterns 0 and 1 with one frame in flight
    /// (lock-step: the receiver took the frame before when it answered) and in pattern 2 (a
    /// subscriber keeps the newest). It waits (at most the timeout) while the receiver holds
    /// every slot. Elsewhere it is on the heap, and copied once when sent. A buffer holds its
    /// slot until it is sent or dropped.
    pub async fn frame_buffer(&mut self, dtype: Dtype, shape: &[usize]) -> Result<FrameBuffer> {
        let shape = shape.to_vec();
        // The elements' length, and the checks of a frame (dimensions, size).
        let len = shape
            .iter()
            .try_fold(dtype.itemsize(), |n, &d| n.checked_mul(d))
            .ok_or_else(|| wire::FrameError::TooLarge(shape.clone()))?;
        let prefix = wire::frame_header(dtype, &shape, len)?;
        #[cfg(feature = "shm")]
        if let (Link::Shm(link), Compression::None) = (self.link()?, self.opts.compression)
            && link.delivers_loans(self.opts.max_in_flight)
        {
            let loan = link.loan_frame(&prefix, len, self.timeout).await?;
            return Ok(FrameBuffer::new(dtype, shape, Store::Shm(loan)));
        }
        let _ = prefix;
        Ok(FrameBuffer::new(dtype, shape, Store::Heap(vec![0; len])))
    }

    /// Sends a frame written into a [`Server::frame_buffer`] (with data in bidirectional
    /// mode), as [`Server::send`] does. A buffer in shared memory is published as it is, unless
    /// the header with its data does not fit the room left in its slot (16 KiB): then, as a
    /// buffer on the heap, it is copied into a frame first.
    pub async fn send_buffer(&mut self, data: Option<&Data>, buffer: FrameBuffer) -> Result<()> {
        #[cfg(feature = "shm")]
        if let Store::Shm(_) = buffer.store {
            lock(&self.rate).set_overlapped(false);
            self.interrupted = true;
            let result = self.send_loaned(data, buffer).await;
            self.interrupted = false;
            return match result {
                Ok(None) => Ok(()),
                Ok(Some(buffer)) => {
                    let frame = buffer.into_frame()?;
                    self.send(data, &frame).await
                }
                Err(e) => {
                    self.abort().await;
                    Err(e)
                }
            };
        }
        let frame = buffer.into_frame()?;
        self.send(data, &frame).await
    }

    /// Publishes a buffer in shared memory behind its header, then settles as
    /// [`Server::send`] does; gives the buffer back if its header does not fit its slot.
    #[cfg(feature = "shm")]
    async fn send_loaned(
        &mut self,
        data: Option<&Data>,
        mut buffer: FrameBuffer,
    ) -> Result<Option<FrameBuffer>> {
        if !buffer.written() {
            buffer.bytes_mut();
        }
        let stamp = self
            .opts
            .timestamps
            .then(|| buffer.captured().unwrap_or_else(SystemTime::now));
        let msg = Outgoing::frame(
            self.opts.bidirectional_mode,
            data,
            stamp,
            wire::bytes::Bytes::new(),
        );
        let head = msg.first();
        let Store::Shm(loan) = &mut buffer.store else {
            return Ok(Some(buffer));
        };
        if !loan.head_fits(head.len()) {
            return Ok(Some(buffer));
        }
        let Store::Shm(loan) = buffer.store else {
            unreachable!("matched above")
        };
        let timeout = self.timeout;
        if self.opts.pattern == Pattern::PubSub && !self.subscribed {
            self.link()?.await_subscriber(timeout).await?;
            self.subscribed = true;
            self.met_receiver = true;
        }
        self.watch_receiver().await?;
        let link = self.link()?;
        let mark = self.opts.pattern.has_replies().then(|| link.peer_mark());
        let Link::Shm(shm) = link else {
            unreachable!("a loan comes from a shared-memory link")
        };
        let handed = Instant::now();
        let size = loan.len() + head.len();
        // SAFETY: every byte of the elements is written (zeroed above if the application had
        // not said so).
        unsafe { shm.send_loan(loan, head, timeout, "room to send a frame") }.await?;
        self.handed_over(handed, size, mark);
        self.settle().await?;
        Ok(None)
    }
}
