//! The built-in test pattern: moving, recognisable, numbered BGR frames that cost nothing to
//! produce, so that streaming it measures the transport and not the drawing.

use std::sync::Arc;

use futures::Stream;

use crate::wire::{Dtype, Frame};

/// Memory the pre-rendered cycle may take.
const CYCLE_BUDGET: usize = 24 << 20;
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
#[derive(Debug, Clone)]
pub struct TestPattern {
    width: usize,
    height: usize,
    cycle: Arc<Vec<Frame>>,
}

impl TestPattern {
    /// Renders the cycle for `width × height` frames (each clamped to 1..=16384).
    pub fn new(width: usize, height: usize) -> TestPattern {
        let (width, height) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
        let frame_bytes = width * height * 3;
        let len = (CYCLE_BUDGET / frame_bytes).clamp(2, MAX_CYCLE);
        let cycle = (0..len).map(|i| render(width, height, i, len)).collect();
        TestPattern {
            width,
            height,
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
    fn tiny_frames_render() {
        let t = TestPattern::new(1, 1);
        assert_eq!(t.frame(5).as_bytes().len(), 3);
    }
}
