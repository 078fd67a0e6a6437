//! vidgear's `reducer()`: shrink a frame by a percentage, on fast_image_resize's SIMD resizer.
//!
//! The output size follows vidgear's formula exactly (`int()` truncation, same float steps), and
//! each [`Interpolation`] is mapped to the fast_image_resize algorithm that reproduces OpenCV's
//! `cv2.resize` most closely (see `tests/reducer.rs`, which compares against real OpenCV):
//!
//! | [`Interpolation`] | OpenCV             | fast_image_resize                                         |
//! |-------------------|--------------------|-----------------------------------------------------------|
//! | `Lanczos`         | `INTER_LANCZOS4`   | `Interpolation(Custom(Lanczos, a = 4))`: fixed 8-tap kernel |
//! | `Area`            | `INTER_AREA`       | `Convolution(Custom(area))`: exact pixel-overlap weights  |
//! | `Linear`          | `INTER_LINEAR`     | `Interpolation(Bilinear)`                                 |
//! | `Cubic`           | `INTER_CUBIC`      | `Interpolation(Custom(cubic, a = -0.75))`                 |
//! | `Nearest`         | `INTER_NEAREST`    | `Nearest`, with OpenCV's `floor(x * scale)` sampling      |
//!
//! OpenCV's Lanczos, linear and cubic resizes keep a fixed kernel when shrinking (no
//! anti-aliasing); the `Interpolation` algorithm does the same, where fast_image_resize's
//! `Convolution` would widen the kernel and give a smoother (different) picture.

use std::cell::{Cell, RefCell};

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{Filter, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::error::MediaError;
use crate::error::{Error, Result};
use crate::wire::{Dtype, Frame};

/// How [`reducer`] resamples (OpenCV's `INTER_*` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpolation {
    /// `INTER_LANCZOS4`, vidgear's default: Lanczos (a = 4) over 8×8 source pixels.
    #[default]
    Lanczos,
    /// `INTER_AREA`: each output pixel is the mean of the source area it covers.
    Area,
    /// `INTER_LINEAR`: bilinear over 2×2 source pixels.
    Linear,
    /// `INTER_CUBIC`: bicubic (a = -0.75) over 4×4 source pixels.
    Cubic,
    /// `INTER_NEAREST`: the source pixel at `floor(x * scale)`.
    Nearest,
}

/// Reduces `frame` by `percentage` (strictly between 0 and 90), as vidgear's `reducer()`.
///
/// The result is `int(w × (100 − p) / 100)` wide and `int(h × ratio)` high, computed with
/// vidgear's float steps, and resampled like `cv2.resize(frame, (w', h'), interpolation)`.
///
/// `frame` must be a `u8` image: `height × width` (kept 2-D) or `height × width × channels` with
/// 1 to 4 channels (BGR, BGRA, ...; channels are resized independently, alpha is not
/// premultiplied).
///
/// # Errors
///
/// [`Error::InvalidOption`] when `percentage` is not in (0, 90) (NaN included) or when the
/// reduced frame would have a zero dimension; [`Error::Media`] for frames of another dtype or
/// shape ([`MediaError::ReducerDtype`], [`MediaError::ReducerShape`], ...).
pub fn reducer(frame: &Frame, percentage: f64, interpolation: Interpolation) -> Result<Frame> {
    // `!(p > 0 && p < 90)`, as vidgear writes it, so that NaN is refused too.
    if !(percentage > 0.0 && percentage < 90.0) {
        return Err(Error::InvalidOption(format!(
            "reducer: frame-size reduction percentage must be greater than 0 and less than 90, got {percentage}"
        )));
    }
    if frame.dtype() != Dtype::U8 {
        return Err(MediaError::ReducerDtype {
            dtype: frame.dtype(),
        }
        .into());
    }
    let shape = frame.shape();
    let (height, width) = match shape {
        [h, w] | [h, w, _] => (*h, *w),
        _ => {
            return Err(MediaError::ReducerShape {
                shape: shape.to_vec(),
            }
            .into());
        }
    };
    let channels = frame.channels().unwrap_or(0);
    let pixel_type = match channels {
        1 => PixelType::U8,
        2 => PixelType::U8x2,
        3 => PixelType::U8x3,
        4 => PixelType::U8x4,
        _ => {
            return Err(MediaError::ReducerChannels {
                shape: shape.to_vec(),
            }
            .into());
        }
    };

    let (new_width, new_height) = reduced_size(width, height, percentage);
    if new_width == 0 || new_height == 0 {
        return Err(Error::InvalidOption(format!(
            "reducer: reducing a {width}x{height} frame by {percentage}% gives an empty \
             {new_width}x{new_height} frame"
        )));
    }
    let dim = |n: usize| {
        u32::try_from(n).map_err(|_| MediaError::ReducerTooLarge {
            shape: shape.to_vec(),
        })
    };
    let (src_w, src_h, dst_w, dst_h) =
        (dim(width)?, dim(height)?, dim(new_width)?, dim(new_height)?);

    let src = ImageRef::new(src_w, src_h, frame.as_bytes(), pixel_type).map_err(resize_error)?;
    let mut out = vec![0u8; new_width * new_height * channels];
    let mut dst = Image::from_slice_u8(dst_w, dst_h, &mut out, pixel_type).map_err(resize_error)?;

    let scale_x = f64::from(src_w) / f64::from(dst_w);
    let scale_y = f64::from(src_h) / f64::from(dst_h);
    let options = ResizeOptions::new().use_alpha(false);

    STATE.with_borrow_mut(|state| -> Result<()> {
        let State { resizer, scratch } = state;
        match interpolation {
            Interpolation::Lanczos => {
                let options = options.resize_alg(ResizeAlg::Interpolation(lanczos4()));
                resizer.resize(&src, &mut dst, &options)
            }
            Interpolation::Linear => {
                let options = options.resize_alg(ResizeAlg::Interpolation(FilterType::Bilinear));
                resizer.resize(&src, &mut dst, &options)
            }
            Interpolation::Cubic => {
                let options = options.resize_alg(ResizeAlg::Interpolation(cubic()));
                resizer.resize(&src, &mut dst, &options)
            }
            Interpolation::Nearest => {
                // OpenCV samples `floor(x * scale)`; fast_image_resize samples the pixel
                // centre, `floor(left + (x + 0.5) * scale)`: shift the source left by half an
                // output pixel. The fraction of `x * src / dst` is a multiple of `1 / dst`;
                // adding half of that keeps exact integers from rounding down to the row before
                // (fast_image_resize sums the row steps, which drifts below them).
                let options = options.resize_alg(ResizeAlg::Nearest).crop(
                    -0.5 * scale_x + 0.5 / f64::from(dst_w),
                    -0.5 * scale_y + 0.5 / f64::from(dst_h),
                    f64::from(src_w),
                    f64::from(src_h),
                );
                resizer.resize(&src, &mut dst, &options)
            }
            Interpolation::Area => {
                let options = options.resize_alg(ResizeAlg::Convolution(area()));
                if scale_x == scale_y {
                    AREA_SCALE.set(scale_x);
                    resizer.resize(&src, &mut dst, &options)
                } else {
                    // The area kernel depends on the scale, which differs per axis: resize the
                    // width, then the height (fast_image_resize does two passes anyway).
                    let len = new_width * height * channels;
                    if scratch.len() < len {
                        scratch.resize(len, 0);
                    }
                    let mut tmp = Image::from_slice_u8(dst_w, src_h, scratch, pixel_type)
                        .map_err(resize_error)?;
                    AREA_SCALE.set(scale_x);
                    resizer
                        .resize(&src, &mut tmp, &options)
                        .map_err(resize_error)?;
                    AREA_SCALE.set(scale_y);
                    resizer.resize(&tmp, &mut dst, &options)
                }
            }
        }
        .map_err(resize_error)
    })?;

    let mut new_shape = shape.to_vec();
    new_shape[0] = new_height;
    new_shape[1] = new_width;
    Ok(Frame::new(Dtype::U8, new_shape, out)?)
}

/// vidgear's output size, `(int(reduction), int(height * ratio))`, with its float steps.
fn reduced_size(width: usize, height: usize, percentage: f64) -> (usize, usize) {
    let reduction = ((100.0 - percentage) / 100.0) * width as f64;
    let ratio = reduction / width as f64;
    // `as` truncates toward zero like Python's `int()` (and saturates; NaN, from a 0-wide
    // frame, gives 0).
    (reduction as usize, (height as f64 * ratio) as usize)
}

/// The resizer's failure.
fn resize_error(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    MediaError::Resize { error: Box::new(e) }.into()
}

/// Per-thread resizer (its internal buffers are reused across calls) and scratch image.
#[derive(Default)]
struct State {
    resizer: Resizer,
    scratch: Vec<u8>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
    /// Source pixels per output pixel along the axis being resized, for [`area_kernel`]
    /// (a fast_image_resize filter is a plain `fn(f64) -> f64`, so it cannot capture it).
    static AREA_SCALE: Cell<f64> = const { Cell::new(1.0) };
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let x = x * std::f64::consts::PI;
        x.sin() / x
    }
}

/// OpenCV's `INTER_LANCZOS4` kernel.
fn lanczos4_kernel(x: f64) -> f64 {
    if (-4.0..4.0).contains(&x) {
        sinc(x) * sinc(x / 4.0)
    } else {
        0.0
    }
}

/// OpenCV's `INTER_CUBIC` kernel (Keys, a = -0.75; Catmull-Rom is a = -0.5).
fn cubic_kernel(x: f64) -> f64 {
    const A: f64 = -0.75;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// OpenCV's `INTER_AREA` weights when shrinking: how much of a source pixel lies inside the
/// output pixel. `x` is the distance between their centres in output pixels (fast_image_resize
/// divides by the scale); a source pixel is `1 / scale` output pixels wide.
fn area_kernel(x: f64) -> f64 {
    let half = 0.5 / AREA_SCALE.get();
    ((x + half).min(0.5) - (x - half).max(-0.5)).max(0.0)
}

fn lanczos4() -> FilterType {
    FilterType::Custom(Filter::new("Lanczos4", lanczos4_kernel, 4.0).expect("finite support"))
}

fn cubic() -> FilterType {
    FilterType::Custom(Filter::new("Cubic(-0.75)", cubic_kernel, 2.0).expect("finite support"))
}

fn area() -> FilterType {
    // A source pixel overlaps the output pixel while |x| < 0.5 + 0.5 / scale <= 1.
    FilterType::Custom(Filter::new("Area", area_kernel, 1.0).expect("finite support"))
}
