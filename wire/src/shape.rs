//! Shapes: how many dimensions a frame may have, how many bytes a shape of a dtype takes, and
//! [`Size`], an image's width and height by name.

use crate::dtype::Dtype;

/// Most dimensions a frame may have (numpy's own limit is 64).
pub const MAX_DIMS: usize = 32;

/// The size of an image in pixels, named field by field (`Size { width: 1920, height: 1080 }`):
/// numpy's shape puts the height first, most APIs the width, and a size type keeps the two
/// from being swapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Size {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

/// Number of bytes a shape of `dtype` takes, or `None` on overflow.
pub(crate) fn byte_len(dtype: Dtype, shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(dtype.itemsize(), |acc, &d| acc.checked_mul(d))
}
