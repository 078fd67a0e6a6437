//! [`Outages`]: what a send-mode end saw of its receiver going away and coming back.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct State {
    count: u64,
    /// Outages that ended, their time summed.
    past: Duration,
    /// When the outage under way began.
    since: Option<Instant>,
    frames_lost: u64,
}

/// What a send-mode end saw of its receiver going away and coming back: a cloneable handle,
/// readable while the end streams (for a status line) and after.
///
/// An outage begins when the end learns that its receiver has gone (its connection lost, a
/// subscriber's departure, an answer that did not come) and ends when a receiver is back.
/// Without [`Options::reconnect`](crate::Options::reconnect) an outage in patterns 0 and 1
/// ends the stream with an error; in patterns 2 and 3 the stream goes on either way, and the
/// outage is counted all the same.
#[derive(Debug, Clone, Default)]
pub struct Outages(Arc<Mutex<State>>);

impl Outages {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Outages so far (the one under way included).
    pub fn count(&self) -> u64 {
        self.state().count
    }

    /// The time spent without a receiver so far (the outage under way included).
    pub fn total(&self) -> Duration {
        let s = self.state();
        s.past + s.since.map_or(Duration::ZERO, |t| t.elapsed())
    }

    /// Whether an outage is under way.
    pub fn ongoing(&self) -> bool {
        self.state().since.is_some()
    }

    /// Frames sent and never answered (patterns 0 and 1): the answer was on its way when the
    /// receiver went. They are counted, not sent again.
    pub fn frames_lost(&self) -> u64 {
        self.state().frames_lost
    }

    /// An outage begins (once: a second call while one is under way changes nothing).
    /// Returns whether it began now.
    pub(crate) fn begin(&self) -> bool {
        let mut s = self.state();
        if s.since.is_some() {
            return false;
        }
        s.count += 1;
        s.since = Some(Instant::now());
        true
    }

    /// The outage under way ends; returns how long it lasted.
    pub(crate) fn end(&self) -> Option<Duration> {
        let mut s = self.state();
        let lasted = s.since.take()?.elapsed();
        s.past += lasted;
        Some(lasted)
    }

    /// Counts frames whose answers were lost.
    pub(crate) fn lose(&self, frames: u64) {
        self.state().frames_lost += frames;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_counts_once_and_adds_its_time() {
        let o = Outages::default();
        assert!(!o.ongoing());
        assert!(o.begin());
        assert!(!o.begin(), "already under way");
        assert!(o.ongoing());
        o.lose(2);
        let lasted = o.end().expect("one was under way");
        assert_eq!(o.end(), None);
        assert_eq!((o.count(), o.frames_lost()), (1, 2));
        assert_eq!(o.total(), lasted);
        assert!(o.begin());
        assert_eq!(o.count(), 2);
    }
}
