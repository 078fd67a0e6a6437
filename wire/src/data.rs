//! [`Data`]: any msgpack value, the "data of any type" that travels with frames and replies.

use rmpv::Value;
use serde::{Serialize, de::DeserializeOwned};

use crate::error::DataError;

/// Any msgpack value: nil, bool, integers, floats, str, bin, arrays, maps (and ext).
///
/// This is what vidgear calls "data of any type". Build it from Rust values with `From`
/// (`Data::from("hello")`, `Data::from(42)`) or from any serde type with [`Data::from_serde`];
/// read it back with [`Data::deserialize`] or look at the raw [`Value`].
///
/// Compatibility note: vidgear turns every falsy value (`""`, `0`, `False`, `[]`, `{}`) into
/// `None` on arrival. netgear-rs treats only `""` and nil as "no data" (so a Python peer's
/// `None` arrives as `None`) and delivers `0`, `false`, `[]` and `{}` as they were sent.
#[derive(Clone, PartialEq)]
pub struct Data(pub Value);

impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Data({})", self.0)
    }
}

impl Data {
    /// Builds data from any serde-serialisable value.
    pub fn from_serde<T: Serialize + ?Sized>(value: &T) -> Result<Data, DataError> {
        rmpv::ext::to_value(value)
            .map(Data)
            .map_err(DataError::Encode)
    }

    /// Reads the data into any serde type.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        rmpv::ext::from_value(self.0.clone()).map_err(DataError::Decode)
    }

    /// The msgpack value.
    pub fn value(&self) -> &Value {
        &self.0
    }

    /// The value as a string slice, if it is a valid UTF-8 str.
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_str()
    }

    /// Whether this means "no data" on the wire: nil or the empty string (vidgear's `""`).
    pub fn is_none_marker(&self) -> bool {
        match &self.0 {
            Value::Nil => true,
            Value::String(s) => s.as_bytes().is_empty(),
            _ => false,
        }
    }

    /// Python's type name for this value, as vidgear puts it in `return_type`.
    pub(crate) fn python_type(&self) -> &'static str {
        match &self.0 {
            Value::Nil => "NoneType",
            Value::Boolean(_) => "bool",
            Value::Integer(_) => "int",
            Value::F32(_) | Value::F64(_) => "float",
            Value::String(_) => "str",
            Value::Binary(_) => "bytes",
            Value::Array(_) => "list",
            Value::Map(_) => "dict",
            Value::Ext(..) => "ExtType",
        }
    }

    /// The value as JSON: bin becomes an array of byte values, ext `{"ext": type, "data": [...]}`,
    /// non-string map keys are written as their msgpack text (e.g. `1`, `[1, 2]`).
    pub fn to_json(&self) -> serde_json::Value {
        value_to_json(&self.0)
    }

    /// Data from a JSON value (numbers become ints where they are integers, else floats).
    pub fn from_json(json: &serde_json::Value) -> Data {
        Data(json_to_value(json))
    }
}

fn value_to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Nil => J::Null,
        Value::Boolean(b) => J::Bool(*b),
        Value::Integer(i) => i
            .as_i64()
            .map(J::from)
            .or_else(|| i.as_u64().map(J::from))
            .unwrap_or(J::Null),
        Value::F32(f) => serde_json::Number::from_f64(f64::from(*f)).map_or(J::Null, J::Number),
        Value::F64(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::String(s) => J::String(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        Value::Binary(b) => J::Array(b.iter().map(|&x| J::from(x)).collect()),
        Value::Array(a) => J::Array(a.iter().map(value_to_json).collect()),
        Value::Map(m) => J::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                        // msgpack's own text, not JSON-in-JSON: escaping nested keys again at
                        // every level would double their size per level (found by fuzzing).
                        other => other.to_string(),
                    };
                    (key, value_to_json(v))
                })
                .collect(),
        ),
        Value::Ext(t, d) => serde_json::json!({ "ext": t, "data": d }),
    }
}

fn json_to_value(j: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match j {
        J::Null => Value::Nil,
        J::Bool(b) => Value::Boolean(*b),
        J::Number(n) => n
            .as_u64()
            .map(Value::from)
            .or_else(|| n.as_i64().map(Value::from))
            .unwrap_or_else(|| Value::F64(n.as_f64().unwrap_or(f64::NAN))),
        J::String(s) => Value::from(s.as_str()),
        J::Array(a) => Value::Array(a.iter().map(json_to_value).collect()),
        J::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (Value::from(k.as_str()), json_to_value(v)))
                .collect(),
        ),
    }
}

impl From<Value> for Data {
    fn from(v: Value) -> Data {
        Data(v)
    }
}

macro_rules! data_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Data {
            fn from(v: $t) -> Data {
                Data(Value::from(v))
            }
        }
    )*};
}
data_from!(
    &str,
    String,
    bool,
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    f32,
    f64,
    Vec<u8>,
    &[u8]
);

impl std::fmt::Display for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.as_str() {
            Some(s) => f.write_str(s),
            None => write!(f, "{}", self.to_json()),
        }
    }
}

impl Serialize for Data {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Data {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Data, D::Error> {
        Value::deserialize(d).map(Data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Pose {
        x: f64,
        label: String,
        ids: Vec<u32>,
    }

    #[test]
    fn serde_round_trip() {
        let p = Pose {
            x: 1.5,
            label: "cam".into(),
            ids: vec![1, 2],
        };
        let d = Data::from_serde(&p).unwrap();
        assert_eq!(d.deserialize::<Pose>().unwrap(), p);
        assert!(d.deserialize::<String>().is_err());
    }

    #[test]
    fn none_markers() {
        assert!(Data::from("").is_none_marker());
        assert!(Data(Value::Nil).is_none_marker());
        assert!(!Data::from(0).is_none_marker());
        assert!(!Data::from(false).is_none_marker());
    }

    #[test]
    fn nested_map_keys_stay_linear_in_json() {
        // A map whose key is a map whose key is a map ... 40 deep: about 100 bytes of msgpack.
        let mut v = Value::from("x");
        for _ in 0..40 {
            v = Value::Map(vec![(v, Value::Nil)]);
        }
        let json = Data(v).to_json().to_string();
        assert!(json.len() < 4096, "{} bytes", json.len());
    }

    #[test]
    fn json_round_trip() {
        let j = serde_json::json!({"a": [1, -2, 2.5, true, null, "x"]});
        assert_eq!(Data::from_json(&j).to_json(), j);
    }
}
