//! vidgear's `colorspace=` for the built-in source: OpenCV's `cv2.cvtColor` conversions of a
//! BGR frame that need no table, computed here exactly as OpenCV computes them (so that a
//! program's frames are OpenCV's, byte for byte, with or without OpenCV installed). Any other
//! `COLOR_*` code is converted by OpenCV itself, on the Python side. Tested from Python against
//! OpenCV (`tests/test_programs.py`).

use netgear::wire::{Dtype, Frame};

/// OpenCV's `COLOR_BGR2BGRA` (also `COLOR_RGB2RGBA`): an opaque alpha channel added.
pub(crate) const BGR2BGRA: u32 = 0;
/// OpenCV's `COLOR_BGR2RGBA` (also `COLOR_RGB2BGRA`): channels swapped, alpha added.
pub(crate) const BGR2RGBA: u32 = 2;
/// OpenCV's `COLOR_BGR2RGB` (also `COLOR_RGB2BGR`): the first and third channels swapped.
pub(crate) const BGR2RGB: u32 = 4;
/// OpenCV's `COLOR_BGR2GRAY`: luma of BGR pixels.
pub(crate) const BGR2GRAY: u32 = 6;
/// OpenCV's `COLOR_RGB2GRAY`: luma of RGB pixels.
pub(crate) const RGB2GRAY: u32 = 7;

/// Whether `code` is one of the conversions done here.
pub(crate) fn is_native(code: u32) -> bool {
    matches!(code, BGR2BGRA | BGR2RGBA | BGR2RGB | BGR2GRAY | RGB2GRAY)
}

/// OpenCV's fixed-point luma weights for 8-bit pixels (`R2Y`, `G2Y`, `B2Y`, summing to
/// 1 << 15) and the shift (OpenCV's `color_rgb` for `uchar`, rounding to nearest).
const R2Y: u32 = 9798;
const G2Y: u32 = 19235;
const B2Y: u32 = 3735;
const SHIFT: u32 = 15;

/// What writes a converted frame's bytes.
type Fill<'a> = Box<dyn FnOnce(&mut [u8]) + 'a>;

/// `frame` (a `height × width × 3` `u8` frame) converted as `cv2.cvtColor(frame, code)` would;
/// `None` when `code` is not done here or the frame is not three-channel `u8`.
pub(crate) fn convert(frame: &Frame, code: u32) -> Option<Frame> {
    let (&[h, w, 3], Dtype::U8) = (frame.shape(), frame.dtype()) else {
        return None;
    };
    let src = frame.as_bytes();
    let pixels = src.chunks_exact(3);
    let (shape, fill): (Vec<usize>, Fill<'_>) = match code {
        BGR2GRAY | RGB2GRAY => {
            // The first channel is blue for BGR2GRAY, red for RGB2GRAY.
            let (first, third) = if code == BGR2GRAY {
                (B2Y, R2Y)
            } else {
                (R2Y, B2Y)
            };
            (
                vec![h, w],
                Box::new(move |out: &mut [u8]| {
                    for (o, p) in out.iter_mut().zip(pixels) {
                        let y = u32::from(p[0]) * first
                            + u32::from(p[1]) * G2Y
                            + u32::from(p[2]) * third
                            + (1 << (SHIFT - 1));
                        // At most 255.5 × 2^15 before the shift: it fits a byte.
                        *o = (y >> SHIFT) as u8;
                    }
                }),
            )
        }
        BGR2RGB => (
            vec![h, w, 3],
            Box::new(move |out: &mut [u8]| {
                for (o, p) in out.chunks_exact_mut(3).zip(pixels) {
                    o.copy_from_slice(&[p[2], p[1], p[0]]);
                }
            }),
        ),
        BGR2BGRA | BGR2RGBA => (
            vec![h, w, 4],
            Box::new(move |out: &mut [u8]| {
                for (o, p) in out.chunks_exact_mut(4).zip(pixels) {
                    let [a, b, c] = [p[0], p[1], p[2]];
                    let (a, c) = if code == BGR2RGBA { (c, a) } else { (a, c) };
                    o.copy_from_slice(&[a, b, c, 255]);
                }
            }),
        ),
        _ => return None,
    };
    Frame::build(Dtype::U8, shape, fill)
        .ok()
        .map(|f| match frame.captured() {
            Some(t) => f.with_captured(t),
            None => f,
        })
}
