//! The bounded queues behind `transceive_data` on both ends, and [`Transceiver`], the send-mode
//! end's handle on the replies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::{Error, Result};
use crate::wire::Reply;

/// A bounded FIFO shared between an end and its users.
#[derive(Debug)]
pub(crate) struct Queue<T> {
    items: Mutex<VecDeque<T>>,
    capacity: usize,
}

impl<T> Queue<T> {
    pub(crate) fn new(capacity: usize) -> Queue<T> {
        Queue {
            items: Mutex::new(VecDeque::new()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<T>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an item, or fails when the queue is full.
    pub(crate) fn push(&self, item: T) -> Result<()> {
        let mut q = self.lock();
        if q.len() >= self.capacity {
            return Err(Error::QueueFull(self.capacity));
        }
        q.push_back(item);
        Ok(())
    }

    /// Adds an item, dropping the oldest one when the queue is full; says whether it did.
    pub(crate) fn push_evicting(&self, item: T) -> bool {
        let mut q = self.lock();
        let evicted = q.len() >= self.capacity;
        if evicted {
            q.pop_front();
        }
        q.push_back(item);
        evicted
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.lock().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_bounded() {
        let q = Queue::new(2);
        q.push(1).unwrap();
        q.push(2).unwrap();
        assert!(matches!(q.push(3), Err(Error::QueueFull(2))));
        assert!(q.push_evicting(3));
        assert_eq!(q.pop(), Some(2));
        assert_eq!(q.pop(), Some(3));
        assert_eq!(q.pop(), None);
    }
}
