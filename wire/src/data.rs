//! [`Data`]: any msgpack value, the "data of any type" that travels with frames and replies.

use rmpv::Value;
use serde::{Serialize, de::DeserializeOwned};

use crate::error::DataError;

/// Any msgpack value: nil, bool, integers, floats, str, bin, arrays, maps (and ext).
///
/// This is what vidgear calls "data of any type". Build it from Rust values with `From`
/// (`Data::from("hello")`, `Data::from(42)`) or from any serde type with [`Data::from_serde`];
/// read it back into a serde type with [`Data::to`], or look at the raw [`Value`].
///
/// Serde types travel as a Python peer expects them: a struct is a msgpack map keyed by its
/// field names (a `dict` in Python), an enum variant its name (`"Idle"`) or a one-key map
/// (`{"Moving": 3.5}`), sequences and tuples are arrays, maps are maps. Reading a map into a
/// struct goes by field name, in any order, and a value that does not fit names the field
/// (`DataError::Decode { path: "pose.x", .. }`).
///
/// Compatibility note: vidgear turns every falsy value (`""`, `0`, `False`, `[]`, `{}`) into
/// `None` on arrival. netgear-rs treats only `""` and nil as "no data" (so a Python peer's
/// `None` arrives as `None`) and delivers `0`, `false`, `[]` and `{}` as they were sent.
///
/// ```
/// use netgear_wire::{Data, rmpv::Value};
///
/// #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// struct Telemetry {
///     seq: u64,
///     temp: f64,
///     tags: Vec<String>,
/// }
///
/// let t = Telemetry { seq: 7, temp: 21.5, tags: vec!["a".into()] };
/// let data = Data::from_serde(&t)?;
/// // On the wire, and in Python: {"seq": 7, "temp": 21.5, "tags": ["a"]}
/// assert_eq!(data.value()["temp"], Value::F64(21.5));
/// assert_eq!(data.to::<Telemetry>()?, t);
/// # Ok::<(), netgear_wire::DataError>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Data(pub Value);

impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Data({})", self.0)
    }
}

impl Data {
    /// Builds data from any serde-serialisable value: structs become maps keyed by field name,
    /// enum variants their names (see [`Data`]).
    pub fn from_serde<T: Serialize + ?Sized>(value: &T) -> Result<Data, DataError> {
        // rmp-serde writes structs as maps with `with_struct_map`; its bytes are read straight
        // back into a `Value`. Human-readable, as rmpv's own serializer was: an `IpAddr` or a
        // `Uuid` travels as its text, which a Python peer can read.
        let mut bytes = Vec::new();
        let mut ser = rmp_serde::Serializer::new(&mut bytes)
            .with_struct_map()
            .with_human_readable();
        serde_path_to_error::serialize(value, &mut ser).map_err(|e| DataError::Encode {
            path: path_of(e.path()),
            detail: e.inner().to_string(),
        })?;
        rmpv::decode::read_value(&mut bytes.as_slice())
            .map(Data)
            .map_err(|e| DataError::Encode {
                path: String::new(),
                detail: e.to_string(),
            })
    }

    /// Reads the data into any serde type: a struct from a map by field name (an array still
    /// reads by position), an enum from a variant name or a one-key map.
    ///
    /// A value that does not fit is a [`DataError::Decode`] naming the type asked for and the
    /// path to the field that failed (`tags[1]`, `pose.x`).
    pub fn to<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        let mut bytes = Vec::new();
        crate::msgpack::put_value(&mut bytes, &self.0);
        let mut de = rmp_serde::Deserializer::from_read_ref(&bytes).with_human_readable();
        // The path and the message can hold the peer's keys and strings: cut short.
        serde_path_to_error::deserialize(&mut de).map_err(|e| DataError::Decode {
            ty: std::any::type_name::<T>(),
            path: crate::text::cut_detail(path_of(e.path())),
            detail: crate::text::cut_detail(decode_detail(e.inner())),
        })
    }

    /// The same as [`Data::to`].
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        self.to()
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

/// A serde path as text, empty for the value itself (`serde_path_to_error` writes `.`).
fn path_of(path: &serde_path_to_error::Path) -> String {
    if path.iter().next().is_none() {
        String::new()
    } else {
        path.to_string()
    }
}

/// rmp-serde's error in words: its type mismatch names a msgpack marker (`FixStr(3)`); say
/// what kind of value arrived instead.
fn decode_detail(e: &rmp_serde::decode::Error) -> String {
    use rmp::Marker as M;
    match e {
        rmp_serde::decode::Error::TypeMismatch(m) => {
            let kind = match m {
                M::Null => "nil",
                M::True | M::False => "a boolean",
                M::FixPos(_) | M::FixNeg(_) => "an integer",
                M::U8 | M::U16 | M::U32 | M::U64 => "an integer",
                M::I8 | M::I16 | M::I32 | M::I64 => "an integer",
                M::F32 | M::F64 => "a float",
                M::FixStr(_) | M::Str8 | M::Str16 | M::Str32 => "a string",
                M::Bin8 | M::Bin16 | M::Bin32 => "bytes",
                M::FixArray(_) | M::Array16 | M::Array32 => "an array",
                M::FixMap(_) | M::Map16 | M::Map32 => "a map",
                M::FixExt1 | M::FixExt2 | M::FixExt4 | M::FixExt8 | M::FixExt16 => "an ext",
                M::Ext8 | M::Ext16 | M::Ext32 => "an ext",
                M::Reserved => "a reserved marker",
            };
            format!("got {kind}, which this type cannot hold")
        }
        other => other.to_string(),
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
        assert_eq!(d.to::<Pose>().unwrap(), p);
        assert_eq!(d.deserialize::<Pose>().unwrap(), p);
        assert!(d.to::<String>().is_err());
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Telemetry {
        seq: u64,
        temp: f64,
        tags: Vec<String>,
    }

    fn telemetry() -> Telemetry {
        Telemetry {
            seq: 7,
            temp: 21.5,
            tags: vec!["a".into()],
        }
    }

    fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::from(k), v))
                .collect(),
        )
    }

    #[test]
    fn structs_are_maps_keyed_by_field_name() {
        let d = Data::from_serde(&telemetry()).unwrap();
        let want = map(vec![
            ("seq", Value::from(7)),
            ("temp", Value::F64(21.5)),
            ("tags", Value::Array(vec![Value::from("a")])),
        ]);
        assert_eq!(d.0, want);
        // Python's msgpack.packb({"seq": 7, "temp": 21.5, "tags": ["a"]}), byte for byte.
        let mut bytes = Vec::new();
        crate::msgpack::put_value(&mut bytes, &d.0);
        let python =
            b"\x83\xa3seq\x07\xa4temp\xcb\x40\x35\x80\x00\x00\x00\x00\x00\xa4tags\x91\xa1a";
        assert_eq!(bytes, python);
        // Nested structs, options and enums: maps, nil, and variant names.
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        enum Mode {
            Idle,
            Moving(f32),
            Turning { angle: i32 },
        }
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Outer {
            inner: Telemetry,
            note: Option<String>,
            modes: Vec<Mode>,
        }
        let o = Outer {
            inner: telemetry(),
            note: None,
            modes: vec![Mode::Idle, Mode::Moving(0.5), Mode::Turning { angle: -90 }],
        };
        let d = Data::from_serde(&o).unwrap();
        assert_eq!(d.0["inner"], want);
        assert_eq!(d.0["note"], Value::Nil);
        assert_eq!(
            d.0["modes"],
            Value::Array(vec![
                Value::from("Idle"),
                map(vec![("Moving", Value::F32(0.5))]),
                map(vec![("Turning", map(vec![("angle", Value::from(-90))]))]),
            ])
        );
        assert_eq!(d.to::<Outer>().unwrap(), o);
    }

    #[test]
    fn a_map_decodes_by_field_name_in_any_order() {
        // As a Python peer would send it: other key order, an extra key.
        let d = Data(map(vec![
            ("tags", Value::Array(vec![Value::from("a")])),
            ("extra", Value::from(true)),
            ("temp", Value::F64(21.5)),
            ("seq", Value::from(7)),
        ]));
        assert_eq!(d.to::<Telemetry>().unwrap(), telemetry());
        // A list still reads by position, as older netgear-rs peers sent structs.
        let list = Data(Value::Array(vec![
            Value::from(7),
            Value::F64(21.5),
            Value::Array(vec![Value::from("a")]),
        ]));
        assert_eq!(list.to::<Telemetry>().unwrap(), telemetry());
        // A struct with the same field types but other names does not decode silently.
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Other {
            id: u64,
            level: f64,
            names: Vec<String>,
        }
        let err = Data::from_serde(&telemetry())
            .unwrap()
            .to::<Other>()
            .unwrap_err();
        assert!(
            matches!(&err, DataError::Decode { detail, .. } if detail.contains("`id`")),
            "{err}"
        );
    }

    #[test]
    fn a_mismatch_names_the_field() {
        let d = Data(map(vec![
            ("seq", Value::from(7)),
            ("temp", Value::from("hot")),
            ("tags", Value::Array(vec![])),
        ]));
        let err = d.to::<Telemetry>().unwrap_err();
        let DataError::Decode { ty, path, detail } = &err else {
            panic!("{err:?}")
        };
        assert!(ty.ends_with("Telemetry"), "{ty}");
        assert_eq!(path, "temp");
        assert_eq!(detail, "got a string, which this type cannot hold");
        assert!(
            err.to_string()
                .contains("Telemetry at `temp`: got a string"),
            "{err}"
        );
        // Deeper: an element of a list.
        let d = Data(map(vec![
            ("seq", Value::from(7)),
            ("temp", Value::F64(1.0)),
            ("tags", Value::Array(vec![Value::from("a"), Value::from(3)])),
        ]));
        let err = d.to::<Telemetry>().unwrap_err();
        assert!(
            matches!(&err, DataError::Decode { path, .. } if path == "tags[1]"),
            "{err}"
        );
        // The value itself: an empty path.
        let err = Data::from("x").to::<u32>().unwrap_err();
        assert!(
            matches!(&err, DataError::Decode { path, .. } if path.is_empty()),
            "{err}"
        );
    }

    /// Values that are not structs are the same `Value` as before structs became maps, so
    /// their bytes (checked against Python in `tests/interop.rs`) do not change.
    #[test]
    fn non_struct_values_are_unchanged() {
        use std::collections::BTreeMap;
        let same = |d: Data, v: Value| assert_eq!(d.0, v);
        same(Data::from_serde("héllo").unwrap(), Value::from("héllo"));
        same(Data::from_serde(&0u8).unwrap(), Value::from(0));
        same(Data::from_serde(&-300i32).unwrap(), Value::from(-300));
        same(Data::from_serde(&u64::MAX).unwrap(), Value::from(u64::MAX));
        same(Data::from_serde(&i64::MIN).unwrap(), Value::from(i64::MIN));
        same(Data::from_serde(&0.25f32).unwrap(), Value::F32(0.25));
        same(Data::from_serde(&0.25f64).unwrap(), Value::F64(0.25));
        same(Data::from_serde(&true).unwrap(), Value::from(true));
        same(Data::from_serde(&()).unwrap(), Value::Nil);
        same(Data::from_serde(&None::<u8>).unwrap(), Value::Nil);
        same(
            Data::from_serde(&vec![1u16, 2]).unwrap(),
            Value::Array(vec![Value::from(1), Value::from(2)]),
        );
        same(
            Data::from_serde(&(1, "a")).unwrap(),
            Value::Array(vec![Value::from(1), Value::from("a")]),
        );
        let m = BTreeMap::from([("k", vec![1.5f64])]);
        same(
            Data::from_serde(&m).unwrap(),
            map(vec![("k", Value::Array(vec![Value::F64(1.5)]))]),
        );
        // Data and raw values (bin, ext, non-string keys) pass through as they are.
        let raw = Value::Map(vec![
            (Value::from(7), Value::Binary(vec![0, 255])),
            (Value::from("e"), Value::Ext(5, vec![1, 2])),
        ]);
        same(Data::from_serde(&Data(raw.clone())).unwrap(), raw.clone());
        assert_eq!(Data(raw.clone()).to::<Data>().unwrap(), Data(raw));
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
