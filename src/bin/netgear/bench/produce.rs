//! Every sender produces every frame in full, as a camera or a decoder would: a memset of the
//! whole frame to a value of its own, its number in its first and last 8 bytes (which the
//! receiver checks), and the wall-clock time just before it is sent in the 8 bytes after the
//! first (from which the receiver, on the same host, takes the hand-over time). And the
//! ceiling: the same memset alone, the cost of producing a frame, which no transport can beat.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use netgear::{DecodeError, Error, Result};

use super::peer_report::PeerReport;

/// The bytes a frame needs for its number (twice) and its send time: smaller frames are only
/// memset.
const MARKED: usize = 24;

/// Nanoseconds since the Unix epoch (CLOCK_REALTIME, the same clock in both peers).
fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Produces frame `n` in `pixels`: every byte set to `n`'s low byte, the number in the first
/// and last 8 bytes.
pub(super) fn produce(pixels: &mut [u8], n: u64) {
    pixels.fill(n as u8);
    mark(pixels, n);
}

/// Writes frame `n`'s number into its first and last 8 bytes (the rest already set to `n`'s
/// low byte).
pub(super) fn mark(pixels: &mut [u8], n: u64) {
    if pixels.len() >= MARKED {
        let end = pixels.len() - 8;
        pixels[..8].copy_from_slice(&n.to_le_bytes());
        pixels[end..].copy_from_slice(&n.to_le_bytes());
    }
}

/// Writes the send time into a produced frame, just before it is sent.
pub(super) fn stamp_sent(pixels: &mut [u8]) {
    if pixels.len() >= MARKED {
        pixels[8..16].copy_from_slice(&now_ns().to_le_bytes());
    }
}

/// What a receiver checks of each frame and how long its hand-over took.
#[derive(Debug, Default)]
pub(super) struct Checker {
    /// The number of the last frame received.
    last: Option<u64>,
    /// Hand-over times in nanoseconds: the sender's clock before its send to this receiver's
    /// clock when it woke up with the frame.
    pub handovers: Vec<u64>,
}

impl Checker {
    /// Checks a received frame (`pixels`, just received): its first and last bytes carry one
    /// number, greater than the last frame's (patterns 0, 1 and 3: the next one), and its
    /// hand-over time is recorded.
    pub(super) fn check(&mut self, pixels: &[u8], every: bool) -> Result<()> {
        let woke = now_ns();
        if pixels.len() < MARKED {
            return Ok(());
        }
        let word = |at: usize| u64::from_le_bytes(pixels[at..at + 8].try_into().unwrap_or([0; 8]));
        let (n, sent, tail) = (word(0), word(8), word(pixels.len() - 8));
        let expected = self.last.map_or(0, |l| l + 1);
        let in_order = if every {
            n == expected
        } else {
            self.last.is_none_or(|l| n > l)
        };
        if n != tail || !in_order || pixels[16] != n as u8 {
            return Err(Error::Decode(DecodeError::Unexpected(format!(
                "frame {n} (last bytes {tail}, byte 16 {}) after {:?}: not the frame produced",
                pixels[16], self.last
            ))));
        }
        // The first frame may have waited for the connection: not a hand-over.
        if self.last.is_some() {
            self.handovers.push(woke.saturating_sub(sent));
        }
        self.last = Some(n);
        Ok(())
    }
}

/// The ceiling of a case: `frames` memsets of a `width` × `height` BGR frame (its buffer
/// touched once first), each timed alone; the rate is that of the median one (a memset the
/// scheduler did not interrupt: the machine may be shared, and this is an upper bound).
pub(super) fn ceiling(width: usize, height: usize, frames: u64) -> PeerReport {
    let mut report = PeerReport::new(super::case::Impl::Ceil, super::case::Role::Recv);
    let mut pixels = vec![0u8; width * height * 3];
    produce(&mut pixels, u64::MAX);
    let mut times = Vec::with_capacity(frames as usize);
    for n in 0..frames {
        let start = Instant::now();
        produce(&mut pixels, n);
        std::hint::black_box(&mut pixels);
        times.push(start.elapsed());
        report.frames += 1;
        report.bytes += pixels.len() as u64;
    }
    times.sort_unstable();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let start = Instant::now();
    let span = (
        start,
        start + median * u32::try_from(frames).unwrap_or(u32::MAX),
    );
    report.finish(Some(span), &mut [], &mut []);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn produced_frames_check_in_order_only() {
        let mut frame = vec![0u8; 64];
        let mut checker = Checker::default();
        for n in 0..3 {
            produce(&mut frame, n);
            stamp_sent(&mut frame);
            checker.check(&frame, true).unwrap();
        }
        assert_eq!(checker.handovers.len(), 2);
        assert!(checker.check(&frame, true).is_err(), "frame 2 twice");
        produce(&mut frame, 7);
        assert!(checker.check(&frame, true).is_err(), "a gap");
        checker.check(&frame, false).unwrap();
        frame[63] = 0;
        assert!(checker.check(&frame, false).is_err(), "a torn frame");
    }
}
