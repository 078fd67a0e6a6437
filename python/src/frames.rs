//! Frames both ways: numpy arrays ↔ [`Frame`]s.
//!
//! A received frame reaches Python without a copy: a read-only numpy array over the frame's
//! bytes (inside the received ZeroMQ message, or over shm inside the shared-memory sample),
//! whose base object is a [`FrameBuffer`] holding the [`Frame`] — and with it the `Bytes` —
//! alive for as long as the array or any view of it is. Read-only, as vidgear's frames are
//! (msgpack_numpy's `frombuffer` over `bytes`), and because the bytes may be shared (a frame
//! echoed back is the same buffer; shared memory).
//!
//! A frame to send is copied once, into a buffer laid out for sending (behind room for its
//! msgpack_numpy header: [`Frame::copy_from_slice`]), when it is handed over and with the GIL
//! held (so that no Python code can free the array while it is read); an array that is (a
//! full view of) a received frame is not copied at all.

use std::ffi::c_void;

use netgear::{Dtype, Frame};
use numpy::npyffi::{self, NPY_ARRAY_C_CONTIGUOUS, NpyTypes, PY_ARRAY_API, npy_intp};
use numpy::{PyArrayDescr, PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// Keeps a received frame's bytes alive under the numpy arrays that view them (their `base`).
#[pyclass(frozen, module = "netgear_rs._core")]
pub(crate) struct FrameBuffer {
    frame: Frame,
}

#[pymethods]
impl FrameBuffer {
    fn __repr__(&self) -> String {
        format!(
            "FrameBuffer(dtype={}, shape={:?})",
            self.frame.dtype(),
            self.frame.shape()
        )
    }
}

/// A frame as a read-only numpy array over its own bytes (no copy).
pub(crate) fn to_numpy(py: Python<'_>, frame: Frame) -> PyResult<Bound<'_, PyAny>> {
    let descr = PyArrayDescr::new(py, frame.dtype().as_str())?;
    let mut dims = frame
        .shape()
        .iter()
        .map(|&d| npy_intp::try_from(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| PyValueError::new_err("a frame dimension exceeds numpy's index range"))?;
    let nd = i32::try_from(dims.len()).map_err(|_| PyValueError::new_err("too many dimensions"))?;
    let data = frame.as_bytes().as_ptr();
    let owner = Bound::new(py, FrameBuffer { frame })?;
    // SAFETY: `data` points at `product(dims) × itemsize` bytes (a `Frame` checks its byte
    // count against its shape and dtype when it is made), in C order (strides null: numpy
    // computes C-order strides). Those bytes are an immutable `Bytes` owned by the frame in
    // `owner`, a frozen pyclass that never gives it up: they stay where they are for as long
    // as `owner` lives, and `owner` is set as the array's base below, so numpy keeps it alive
    // as long as the array and every view of it. The flags are 0, so the array is not
    // writeable (the bytes may be shared with other clones of the frame); numpy derives the
    // alignment flag from the pointer itself. `descr` is a new reference that
    // PyArray_NewFromDescr steals; `owner.into_ptr()` is a new reference that
    // PyArray_SetBaseObject steals (also on failure, when the array is released).
    unsafe {
        let array = PY_ARRAY_API.PyArray_NewFromDescr(
            py,
            npyffi::get_type_object(py, NpyTypes::PyArray_Type),
            descr.into_dtype_ptr(),
            nd,
            dims.as_mut_ptr(),
            std::ptr::null_mut(),
            data as *mut c_void,
            0,
            std::ptr::null_mut(),
        );
        if array.is_null() {
            return Err(PyErr::fetch(py));
        }
        let array = Bound::from_owned_ptr(py, array);
        if PY_ARRAY_API.PyArray_SetBaseObject(
            py,
            array.as_ptr() as *mut npyffi::PyArrayObject,
            owner.into_any().into_ptr(),
        ) < 0
        {
            return Err(PyErr::fetch(py));
        }
        Ok(array)
    }
}

/// The frame to send for a numpy array (any dtype numpy_msgpack can carry without pickling, any
/// shape): a received frame passed back as it is (no copy), or else one copy of the array's
/// bytes into a buffer laid out for sending, made before this returns and with the GIL held.
///
/// So the frame is the array as it was when handed over, as in vidgear (msgpack copies it
/// then): a task of the same loop or another thread may refill, resize (even with
/// `refcheck=False`, which frees the memory at once) or drop the array as soon as this returns,
/// and nothing in Python runs while the bytes are read. A non-contiguous array is made
/// contiguous first (`numpy.ascontiguousarray`, as vidgear does).
pub(crate) fn frame_from_array(obj: &Bound<'_, PyAny>) -> PyResult<Frame> {
    let array = obj.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "a frame must be a numpy array, not {}",
            obj.get_type()
                .name()
                .map_or_else(|_| "?".into(), |n| n.to_string())
        ))
    })?;
    if let Some(frame) = received_frame(array)? {
        return Ok(frame);
    }
    let dtype_str: String = array.dtype().getattr("str")?.extract()?;
    let dtype = Dtype::parse(&dtype_str).map_err(|e| {
        PyTypeError::new_err(format!(
            "a frame of dtype {dtype_str} cannot be sent: {e} (frames are arrays of \
             bool, integers or floats; objects would need pickling, which netgear-rs \
             never does)"
        ))
    })?;
    let array = if array.is_c_contiguous() {
        array.clone()
    } else {
        let numpy = obj.py().import("numpy")?;
        numpy
            .call_method1("ascontiguousarray", (array,))?
            .cast_into::<PyUntypedArray>()
            .map_err(PyErr::from)?
    };
    let shape = array.shape().to_vec();
    let len = shape.iter().product::<usize>() * dtype.itemsize();
    // SAFETY: `as_array_ptr` is a valid PyArrayObject for as long as `array` is alive;
    // reading its `data` field is how numpy's own C macros (PyArray_DATA) read it.
    let data = unsafe { (*array.as_array_ptr()).fields.data } as *const u8;
    // SAFETY: `data` is the first of `len` bytes of the C-contiguous numpy array `array` (its
    // shape times its itemsize), which this function holds a reference to. The GIL is held
    // from reading `data` to the end of the copy below, and nothing until then calls into
    // Python, so no Python code (on this thread or another) can resize, refill or free the
    // array meanwhile; `src` is not used after the copy.
    let src = unsafe { std::slice::from_raw_parts(data, len) };
    // One pass: a copy into memory laid out for sending (`Frame::build` would zero it first).
    Frame::copy_from_slice(dtype, shape, src).map_err(|e| crate::errors::to_pyerr(e.into()))
}

/// The frame behind an array that is a full, unchanged view of a received frame (its base a
/// [`FrameBuffer`], same start, shape and dtype, C-contiguous): sending it again costs nothing.
fn received_frame(array: &Bound<'_, PyUntypedArray>) -> PyResult<Option<Frame>> {
    // SAFETY: a valid PyArrayObject while `array` is alive; `base` is a borrowed pointer (or
    // null), read as numpy's PyArray_BASE macro reads it.
    let (base, data) = unsafe {
        let fields = &(*array.as_array_ptr()).fields;
        (fields.base, fields.data as *const u8)
    };
    if base.is_null() || array.flags_bits() & NPY_ARRAY_C_CONTIGUOUS == 0 {
        return Ok(None);
    }
    // SAFETY: `base` is non-null and owned by the array, alive while `array` is.
    let base = unsafe { Bound::from_borrowed_ptr(array.py(), base) };
    let Ok(buffer) = base.cast::<FrameBuffer>() else {
        return Ok(None);
    };
    let frame = &buffer.get().frame;
    let dtype_str: String = array.dtype().getattr("str")?.extract()?;
    let same = data == frame.as_bytes().as_ptr()
        && array.shape() == frame.shape()
        && Dtype::parse(&dtype_str).is_ok_and(|d| d == frame.dtype());
    Ok(same.then(|| frame.clone()))
}

/// The flags of an array.
trait Flags {
    fn flags_bits(&self) -> i32;
}

impl Flags for Bound<'_, PyUntypedArray> {
    fn flags_bits(&self) -> i32 {
        // SAFETY: a valid PyArrayObject while `self` is alive (numpy's PyArray_FLAGS).
        unsafe { (*self.as_array_ptr()).fields.flags }
    }
}

/// vidgear's `reducer(frame, percentage, interpolation)`: the frame made `percentage` %
/// smaller (`0 < percentage < 90`), on netgear-rs's SIMD resizer, with the GIL released.
/// `interpolation` is OpenCV's constant: 0 nearest, 1 linear, 2 cubic, 3 area, 4 Lanczos.
#[pyfunction]
#[pyo3(signature = (frame, percentage, interpolation=4))]
pub(crate) fn reducer<'py>(
    py: Python<'py>,
    frame: &Bound<'py, PyAny>,
    percentage: f64,
    interpolation: i32,
) -> PyResult<Bound<'py, PyAny>> {
    use netgear::media::Interpolation;
    let interpolation = match interpolation {
        0 => Interpolation::Nearest,
        1 => Interpolation::Linear,
        2 => Interpolation::Cubic,
        3 => Interpolation::Area,
        4 => Interpolation::Lanczos,
        other => {
            return Err(PyValueError::new_err(format!(
                "interpolation {other}: use 0 (nearest), 1 (linear), 2 (cubic), 3 (area) or 4 (Lanczos)"
            )));
        }
    };
    let frame = frame_from_array(frame)?;
    let reduced = py
        .detach(|| netgear::media::reducer(&frame, percentage, interpolation))
        .map_err(crate::errors::to_pyerr)?;
    to_numpy(py, reduced)
}
