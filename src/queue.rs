//! The bounded queues behind `transceive_data` on both ends, and [`Transceiver`], the send-mode
//! end's handle on the replies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use crate::wire::Reply;

/// A FIFO shared between an end and its users, bounded in items and in bytes.
#[derive(Debug)]
pub(crate) struct Queue<T> {
    items: Mutex<Items<T>>,
    capacity: usize,
    max_bytes: usize,
}

/// The items with the bytes each stands for, and their sum.
#[derive(Debug)]
struct Items<T> {
    queue: VecDeque<(T, usize)>,
    bytes: usize,
}

impl<T> Queue<T> {
    /// A queue of at most `capacity` items standing for at most `max_bytes` bytes.
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Queue<T> {
        Queue {
            items: Mutex::new(Items {
                queue: VecDeque::new(),
                bytes: 0,
            }),
            capacity,
            max_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Items<T>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an item that stands for `bytes` bytes (as a peer sent it), dropping the oldest ones
    /// while the queue would hold too many items or bytes; says how many it dropped. An item
    /// larger than the whole budget is still kept, alone.
    pub(crate) fn push_evicting(&self, item: T, bytes: usize) -> usize {
        let mut q = self.lock();
        let mut evicted = 0;
        while !q.queue.is_empty()
            && (q.queue.len() >= self.capacity || q.bytes.saturating_add(bytes) > self.max_bytes)
        {
            if let Some((_, b)) = q.queue.pop_front() {
                q.bytes -= b;
                evicted += 1;
            }
        }
        q.bytes += bytes;
        q.queue.push_back((item, bytes));
        evicted
    }

    pub(crate) fn pop(&self) -> Option<T> {
        let mut q = self.lock();
        let (item, bytes) = q.queue.pop_front()?;
        q.bytes -= bytes;
        Some(item)
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// The bytes the queued items stand for.
    pub(crate) fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

/// The send-mode end's view of the replies: a cloneable handle, so that a custom source can
/// call [`Transceiver::transceive_data`] while the end streams it.
#[derive(Debug, Clone)]
pub struct Transceiver {
    pub(crate) queue: Arc<Queue<Option<Reply>>>,
}

impl Transceiver {
    /// Takes the oldest reply the client sent back, or `None` when there is none or the client
    /// answered a frame with nothing. Never waits (vidgear's `await server.transceive_data()`).
    ///
    /// Like vidgear, one entry is queued per frame answered, so calling this once per frame
    /// stays in step with the stream.
    pub fn transceive_data(&self) -> Option<Reply> {
        self.queue.pop().flatten()
    }

    /// Number of replies waiting, empty answers included.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The bytes the waiting replies hold (at most [`Options::queue_max_bytes`], or one reply
    /// larger than that).
    ///
    /// [`Options::queue_max_bytes`]: crate::Options::queue_max_bytes
    pub fn pending_bytes(&self) -> usize {
        self.queue.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_bounded() {
        let q = Queue::new(2, usize::MAX);
        assert_eq!(q.push_evicting(1, 0), 0);
        assert_eq!(q.push_evicting(2, 0), 0);
        assert_eq!(q.push_evicting(3, 0), 1);
        assert_eq!(q.pop(), Some(2));
        assert_eq!(q.pop(), Some(3));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn queue_is_bounded_in_bytes() {
        let q = Queue::new(100, 1000);
        for n in 0..3 {
            assert_eq!(q.push_evicting(n, 300), 0, "{n}");
        }
        // A fourth of 300 bytes: the oldest goes (900 + 300 - 300 = 900).
        assert_eq!(q.push_evicting(3, 300), 1);
        assert_eq!((q.len(), q.bytes()), (3, 900));
        assert_eq!(q.pop(), Some(1));
        // Larger than the budget: kept alone.
        assert_eq!(q.push_evicting(5, 5000), 2);
        assert_eq!((q.len(), q.bytes()), (1, 5000));
        assert_eq!(q.pop(), Some(5));
        assert_eq!(q.bytes(), 0);
    }
}
