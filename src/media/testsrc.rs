//! The built-in test pattern: moving, recognisable, numbered BGR frames that cost nothing to
//! produce, so that streaming it measures the transport and not the drawing.

use std::sync::Arc;

use futures::Stream;

use crate::wire::{Dtype, Frame};

/// Memory the pre-rendered cycle may take.
const CYCLE_BUDGET: usize = 24 << 20;
/// Memory the cycle of a noisy pattern may take: more frames, so that the noise of a frame is
/// not the noise of one an encoder still remembers (16 frames at 1080p).
const NOISY_CYCLE_BUDGET: usize = 100 << 20;
const MAX_CYCLE: usize = 60;
/// Largest width or height of the test pattern.
const MAX_SIDE: usize = 16384;

/// 3×5 bitmaps of the digits 0-9, one row per 3 bits.
const DIGITS: [[u8; 5]; 10] = [
    [7, 5, 5, 5, 7],
    [2, 6, 2, 2, 7],
    [7, 1, 7, 4, 7],
    [7, 1, 7, 1, 7],
    [5, 5, 7, 1, 1],
    [7, 4, 7, 1, 7],
    [7, 4, 7, 5, 7],
    [7, 1, 1, 1, 1],
    [7, 5, 7, 5, 7],
    [7, 5, 7, 1, 7],
];

/// A moving colour test pattern of `width × height` BGR frames.
///
/// A short cycle of frames (up to 60, within 24 MiB) is rendered once; streaming hands out
/// clones of them (no copy). Each frame has a colour gradient, a white bar that moves across it
/// and its number within the cycle drawn in the corner.
///
/// [`TestPattern::noisy`] adds noise that changes every frame, as a camera's sensor does (what
/// inter-frame codecs find hard), and is still the same on every run: a receiver renders the
/// same frames to measure what came through against.
#[derive(Debug, Clone)]
pub struct TestPattern {
    width: usize,
    height: usize,
    noise: u8,
    cycle: Arc<Vec<Frame>>,
}

impl TestPattern {
    /// Renders the cycle for `width × height` frames (each clamped to 1..=16384).
    pub fn new(width: usize, height: usize) -> TestPattern {
        TestPattern::noisy(width, height, 0)
    }

    /// The pattern with uniform noise of up to ±`strength` on every byte (a standard deviation
    /// of about 0.58 × `strength`: 7 makes about what ffmpeg's `noise=alls=8:allf=t` does),
    /// different in every frame of the cycle and the same on every run; 0 is
    /// [`TestPattern::new`]. Its cycle is longer (up to 60 frames within 100 MiB).
    pub fn noisy(width: usize, height: usize, strength: u8) -> TestPattern {
        let (width, height) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
        let frame_bytes = width * height * 3;
        let budget = if strength == 0 {
            CYCLE_BUDGET
        } else {
            NOISY_CYCLE_BUDGET
        };
        let len = (budget / frame_bytes).clamp(2, MAX_CYCLE);
        let cycle = (0..len)
            .map(|i| {
                let frame = render(width, height, i, len);
                if strength == 0 {
                    frame
                } else {
                    add_noise(&frame, i, strength)
                }
            })
            .collect();
        TestPattern {
            width,
            height,
            noise: strength,
            cycle: Arc::new(cycle),
        }
    }

    /// The noise's strength ([`TestPattern::noisy`]); 0 without.
    pub fn noise(&self) -> u8 {
        self.noise
    }

    /// The same frames without their noise (the scene a camera's noise hides): frame `n` of
    /// this is frame `n` of `self`, clean.
    pub fn clean(&self) -> TestPattern {
        if self.noise == 0 {
            return self.clone();
        }
        let len = self.cycle.len();
        let cycle = (0..len)
            .map(|i| render(self.width, self.height, i, len))
            .collect();
        TestPattern {
            width: self.width,
            height: self.height,
            noise: 0,
            cycle: Arc::new(cycle),
        }
    }

    /// Width of the frames.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height of the frames.
    pub fn height(&self) -> usize {
        self.height
    }

    /// How many distinct frames the pattern has: frame `n` is frame `n % cycle_len()`.
    pub fn cycle_len(&self) -> usize {
        self.cycle.len()
    }

    /// The `n`-th frame of the endless stream, captured now.
    pub fn frame(&self, n: u64) -> Frame {
        self.cycle[(n % self.cycle.len() as u64) as usize]
            .clone()
            .with_captured(std::time::SystemTime::now())
    }

    /// The frames as a stream: `count` of them, or endless with `None`.
    pub fn stream(&self, count: Option<u64>) -> impl Stream<Item = Frame> + Send + 'static {
        let this = self.clone();
        futures::stream::iter((0..count.unwrap_or(u64::MAX)).map(move |n| this.frame(n)))
    }
}

fn render(width: usize, height: usize, index: usize, len: usize) -> Frame {
    let bar_x = index * width / len;
    let bar_w = (width / 40).max(1);
    // Built with room for its header: streaming it never copies the pixels.
    Frame::build(Dtype::U8, vec![height, width, 3], |px| {
        for y in 0..height {
            let row = &mut px[y * width * 3..(y + 1) * width * 3];
            for (x, p) in row.chunks_exact_mut(3).enumerate() {
                let moving = (x + index * width / len) % width;
                p[0] = (moving * 255 / width) as u8;
                p[1] = (y * 255 / height) as u8;
                p[2] = (255 - moving * 255 / width) as u8;
                if x >= bar_x && x < bar_x + bar_w {
                    p.fill(255);
                }
            }
        }
        draw_number(px, width, height, index);
    })
    // Sizes are at most a few GiB here; a failure would be a bug in `build`.
    .unwrap_or_else(|e| unreachable!("test pattern {width}x{height}: {e}"))
}

/// `frame` with noise of up to ±`strength` on every byte, from a generator seeded with the
/// frame's index (xorshift64*: the same noise on every run and every machine).
fn add_noise(frame: &Frame, index: usize, strength: u8) -> Frame {
    let clean = frame.as_bytes();
    let span = 2 * u64::from(strength) + 1;
    let mut state =
        0x9E37_79B9_7F4A_7C15_u64 ^ (index as u64 + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93);
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    Frame::build(Dtype::U8, frame.shape().to_vec(), |px| {
        for (chunk, clean) in px.chunks_mut(8).zip(clean.chunks(8)) {
            let mut bits = next();
            for (p, &c) in chunk.iter_mut().zip(clean) {
                // 8 bits a byte: a value in 0..span, then centred on 0.
                let offset = (((bits & 0xFF) * span) >> 8) as i16 - i16::from(strength);
                *p = (i16::from(c) + offset).clamp(0, 255) as u8;
                bits >>= 8;
            }
        }
    })
    .unwrap_or_else(|e| unreachable!("noisy test pattern: {e}"))
}

/// Draws `n` in white on black, top-left, scaled to the frame.
fn draw_number(px: &mut [u8], width: usize, height: usize, n: usize) {
    let scale = (height / 40).max(1);
    let text: Vec<usize> = n
        .to_string()
        .bytes()
        .map(|b| usize::from(b - b'0'))
        .collect();
    let (x0, y0) = (2 * scale, 2 * scale);
    let box_w = (text.len() * 4 + 1) * scale;
    let box_h = 7 * scale;
    for y in y0.saturating_sub(scale)..(y0 + box_h).min(height) {
        for x in x0.saturating_sub(scale)..(x0 + box_w).min(width) {
            px[(y * width + x) * 3..(y * width + x) * 3 + 3].fill(0);
        }
    }
    for (i, &d) in text.iter().enumerate() {
        for (row, bits) in DIGITS[d].iter().enumerate() {
            for col in 0..3 {
                if bits & (4 >> col) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let x = x0 + (i * 4 + col) * scale + dx;
                        let y = y0 + (row + 1) * scale + dy;
                        if x < width && y < height {
                            px[(y * width + x) * 3..(y * width + x) * 3 + 3].fill(255);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_differ_and_cycle() {
        let t = TestPattern::new(64, 48);
        assert_eq!(t.frame(0).shape(), &[48, 64, 3]);
        assert_ne!(t.frame(0), t.frame(1));
        assert_eq!(t.frame(0), t.frame(t.cycle.len() as u64));
    }

    #[test]
    fn noise_is_bounded_changes_every_frame_and_is_the_same_every_run() {
        let (clean, noisy) = (TestPattern::new(64, 48), TestPattern::noisy(64, 48, 8));
        assert_eq!(noisy.noise(), 8);
        assert_eq!(noisy.frame(3), TestPattern::noisy(64, 48, 8).frame(3));
        for n in 0..2 {
            let (c, d) = (clean.frame(n), noisy.frame(n));
            let diffs: Vec<i16> = c
                .as_bytes()
                .iter()
                .zip(d.as_bytes())
                .map(|(&a, &b)| i16::from(b) - i16::from(a))
                .collect();
            assert!(diffs.iter().all(|d| d.abs() <= 8));
            assert!(diffs.iter().filter(|&&d| d != 0).count() > diffs.len() / 2);
        }
        // Not the same noise on two frames.
        let noise = |n: u64| -> Vec<i16> {
            let (c, d) = (TestPattern::noisy(64, 48, 0).frame(n), noisy.frame(n));
            c.as_bytes()
                .iter()
                .zip(d.as_bytes())
                .map(|(&a, &b)| i16::from(b) - i16::from(a))
                .collect()
        };
        assert_ne!(noise(0), noise(1));
        assert_eq!(noisy.clean().frame(1), clean.frame(1));
    }

    #[test]
    fn tiny_frames_render() {
        let t = TestPattern::new(1, 1);
        assert_eq!(t.frame(5).as_bytes().len(), 3);
    }
}
