//! Data both ways: Python values ↔ msgpack values ([`Data`], an `rmpv` value).
//!
//! What vidgear's `msgpack.packb` takes and its `unpackb(use_list=False)` gives: None, bool,
//! int, float, str, bytes, lists and tuples (arrays; they arrive as tuples, as in vidgear), and
//! dicts. Anything else is a `TypeError` naming the type, as msgpack raises.

use netgear::Data;
use netgear::rmpv::{Integer, Value};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};

/// How deep a value may nest, both ways (the core refuses deeper data from a peer).
const MAX_DEPTH: usize = 64;

/// A Python value as msgpack data.
pub(crate) fn to_data(obj: &Bound<'_, PyAny>) -> PyResult<Data> {
    to_value(obj, 0).map(Data)
}

fn to_value(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "data nested deeper than {MAX_DEPTH} levels cannot be sent"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Nil);
    }
    // bool before int: a Python bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Boolean(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return int_value(obj);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::F64(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.as_ref().into()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Binary(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Value::Binary(b.to_vec()));
    }
    if obj.is_instance_of::<PyMemoryView>() {
        let bytes = obj.call_method0("tobytes")?;
        return Ok(Value::Binary(bytes.cast::<PyBytes>()?.as_bytes().to_vec()));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return l
            .iter()
            .map(|v| to_value(&v, depth + 1))
            .collect::<PyResult<_>>()
            .map(Value::Array);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t
            .iter()
            .map(|v| to_value(&v, depth + 1))
            .collect::<PyResult<_>>()
            .map(Value::Array);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return d
            .iter()
            .map(|(k, v)| Ok((to_value(&k, depth + 1)?, to_value(&v, depth + 1)?)))
            .collect::<PyResult<_>>()
            .map(Value::Map);
    }
    // numpy scalars (np.int32, np.float32, np.bool_, ...) and other numbers: by their own
    // int or float; an array is not a value.
    if !obj.is_instance_of::<numpy::PyUntypedArray>() {
        let type_name = obj.get_type().name()?.to_string();
        if type_name == "bool" || type_name == "bool_" {
            return Ok(Value::Boolean(obj.is_truthy()?));
        }
        if obj.hasattr("__index__")? {
            return int_value(&obj.call_method0("__index__")?);
        }
        if obj.hasattr("__float__")? {
            return Ok(Value::F64(obj.extract::<f64>()?));
        }
    }
    Err(PyTypeError::new_err(format!(
        "cannot send a value of type {}: data must be None, bool, int, float, str, bytes, a \
         list or tuple, or a dict of these (msgpack values)",
        obj.get_type().name()?
    )))
}

fn int_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(Value::Integer(Integer::from(i)));
    }
    match obj.extract::<u64>() {
        Ok(u) => Ok(Value::Integer(Integer::from(u))),
        Err(_) => Err(PyValueError::new_err(
            "an int out of msgpack's range (-2**63 to 2**64-1) cannot be sent",
        )),
    }
}

/// Msgpack data as a Python value; arrays become tuples, as vidgear's `use_list=False` gives.
pub(crate) fn to_py<'py>(py: Python<'py>, data: &Data) -> PyResult<Bound<'py, PyAny>> {
    value_to_py(py, &data.0)
}

fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Nil => py.None().into_bound(py),
        Value::Boolean(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Integer(i) => match (i.as_i64(), i.as_u64()) {
            (Some(v), _) => v.into_pyobject(py)?.into_any(),
            (None, Some(v)) => v.into_pyobject(py)?.into_any(),
            (None, None) => py.None().into_bound(py),
        },
        Value::F32(f) => PyFloat::new(py, f64::from(*f)).into_any(),
        Value::F64(f) => PyFloat::new(py, *f).into_any(),
        Value::String(s) => match s.as_str() {
            Some(s) => PyString::new(py, s).into_any(),
            // Not UTF-8 (msgpack's raw=False would fail): its bytes, rather than an error.
            None => PyBytes::new(py, s.as_bytes()).into_any(),
        },
        Value::Binary(b) => PyBytes::new(py, b).into_any(),
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|v| value_to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, items)?.into_any()
        }
        Value::Map(entries) => {
            let dict = PyDict::new(py);
            for (k, v) in entries {
                dict.set_item(value_to_py(py, k)?, value_to_py(py, v)?)?;
            }
            dict.into_any()
        }
        // msgpack's ExtType(code, data), as a plain tuple.
        Value::Ext(code, bytes) => PyTuple::new(
            py,
            [
                code.into_pyobject(py)?.into_any(),
                PyBytes::new(py, bytes).into_any(),
            ],
        )?
        .into_any(),
    })
}
