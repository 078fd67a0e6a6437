//! Hostile and broken peers, one module per attack: bytes no netgear end would send
//! ([`bad_bytes`], [`part_counts`], [`peer_text`]), messages without end ([`parts_flood`],
//! [`message_limit`]), floods of frames and replies and other local users ([`limits`]),
//! connection floods ([`connect_flood`]), replayed CURVE handshakes ([`handshake_flood`]), and
//! peers that hold more connections than a receiver has file descriptors for
//! ([`accept_backoff`]). Each module's doc says what its attack is and what must hold.
//!
//! # Turns
//!
//! The tests of one binary run side by side, on as many threads as the harness has (one per
//! core), in one process; the files they came from ran one after another. So every test first
//! takes a turn:
//! - [`alone()`]: no other test of this binary runs meanwhile. For the tests that measure what
//!   others would change: a receiver's CPU time while it is out of file descriptors
//!   ([`accept_backoff`], whose peers this process holds) or under a replayed handshake
//!   ([`handshake_flood`]); a receiver's peak memory within a bound of a few frames, or its
//!   time to decode gigabytes of frames ([`limits`]); and this process's own peak memory, which
//!   every test here adds to ([`bad_bytes`]).
//! - [`shared()`]: the rest, side by side with each other, as they ran in their own files:
//!   short exchanges with raw peers, and the floods of [`connect_flood`] and [`parts_flood`],
//!   which only count what arrives and bound what their own receiver holds, generously (they
//!   take twice as long one at a time).
//!
//! A test waiting to run alone goes before the shared tests that come after it: it is never
//! starved.

#[path = "../common/mod.rs"]
mod common;

mod accept_backoff;
mod bad_bytes;
mod connect_flood;
mod handshake_flood;
mod limits;
mod message_limit;
mod part_counts;
mod parts_flood;
mod peer_text;

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Who runs now: tests sharing the process, or one test alone.
struct Gate {
    /// Tests running with a [`shared()`] turn.
    shared: usize,
    /// Whether a test runs with an [`alone()`] turn.
    alone: bool,
    /// Tests waiting for an [`alone()`] turn: no shared turn starts while there are any.
    waiting_alone: usize,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    shared: 0,
    alone: false,
    waiting_alone: 0,
});

/// Notified whenever a turn ends.
static TURN_ENDED: Condvar = Condvar::new();

fn gate() -> MutexGuard<'static, Gate> {
    // A test that failed holding a turn has ended it (`Turn::drop`): the gate is consistent.
    GATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A test's turn to run, held until it is dropped (also when the test fails).
#[must_use = "the turn ends when it is dropped: bind it, `let _turn = ...`"]
pub struct Turn {
    alone: bool,
}

/// Waits until no other test of this binary runs, and keeps them all waiting until the turn is
/// dropped: for a test that measures, or that loads the machine.
pub fn alone() -> Turn {
    let mut g = gate();
    g.waiting_alone += 1;
    while g.alone || g.shared > 0 {
        g = TURN_ENDED.wait(g).unwrap_or_else(PoisonError::into_inner);
    }
    g.waiting_alone -= 1;
    g.alone = true;
    Turn { alone: true }
}

/// Waits until no test runs (or waits to run) [`alone()`]: for a test that may run side by side
/// with other such tests.
pub fn shared() -> Turn {
    let mut g = gate();
    while g.alone || g.waiting_alone > 0 {
        g = TURN_ENDED.wait(g).unwrap_or_else(PoisonError::into_inner);
    }
    g.shared += 1;
    Turn { alone: false }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut g = gate();
        if self.alone {
            g.alone = false;
        } else {
            g.shared -= 1;
        }
        drop(g);
        TURN_ENDED.notify_all();
    }
}
