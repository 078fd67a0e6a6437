//! The preview of a peer's data in a summary (`recv`'s `data`, `serve`'s replies): the value as
//! JSON while it is short, cut to a bounded size otherwise, so that a peer's megabyte of data
//! cannot become tens of megabytes of output.

use netgear::Data;
use netgear::rmpv::Value;
use serde_json::Value as Json;

/// Bytes of JSON each value of the summary's `data` is cut to (about: a marker says where).
const PREVIEW_BYTES: usize = 1024;

/// Bytes of a binary value shown, as hex.
const HEX_BYTES: usize = 32;

/// A value of data as the summary shows it: as [`Data::to_json`] gives it while that is short,
/// cut to about [`PREVIEW_BYTES`] of JSON otherwise (a peer's megabyte of data must not become
/// tens of megabytes of JSON). Binary is `{"bin": LENGTH, "hex": "first 32 bytes"}` (ext
/// adds `"ext": TYPE`); a string cut short ends in `…`; an array cut short ends in a
/// `"… N more"` element, a map in a `"…": "N more"` entry.
pub(crate) fn data_preview(d: &Data) -> Json {
    let mut budget = PREVIEW_BYTES;
    preview(&d.0, &mut budget)
}

fn preview(v: &Value, budget: &mut usize) -> Json {
    let json = match v {
        Value::Binary(b) => bin_preview(None, b),
        Value::Ext(t, b) => bin_preview(Some(*t), b),
        Value::String(s) => {
            // A bounded prefix only, before any copy of a long string.
            let bytes = s.as_bytes();
            let head = &bytes[..bytes.len().min(*budget + 4)];
            let (text, cut) = cut_text(&String::from_utf8_lossy(head), budget);
            return Json::String(if cut || head.len() < bytes.len() {
                text + "…"
            } else {
                text
            });
        }
        Value::Array(items) => {
            *budget = budget.saturating_sub(2);
            let mut out = Vec::new();
            for item in items {
                if *budget == 0 {
                    break;
                }
                *budget = budget.saturating_sub(1);
                out.push(preview(item, budget));
            }
            if out.len() < items.len() {
                let more = format!("… {} more", items.len() - out.len());
                *budget = budget.saturating_sub(more.len() + 3);
                out.push(Json::String(more));
            }
            return Json::Array(out);
        }
        Value::Map(entries) => {
            *budget = budget.saturating_sub(2);
            let mut out = serde_json::Map::new();
            for (k, v) in entries {
                if *budget == 0 {
                    break;
                }
                let key = match k {
                    Value::String(_) => preview(k, budget),
                    other => Json::String(preview(other, budget).to_string()),
                };
                let key = match key {
                    Json::String(s) => s,
                    other => other.to_string(),
                };
                *budget = budget.saturating_sub(4);
                let value = preview(v, budget);
                out.insert(key, value);
            }
            if out.len() < entries.len() {
                let more = format!("{} more", entries.len() - out.len());
                *budget = budget.saturating_sub(more.len() + 8);
                out.insert("…".into(), Json::String(more));
            }
            return Json::Object(out);
        }
        scalar => Data(scalar.clone()).to_json(),
    };
    *budget = budget.saturating_sub(json.to_string().len());
    json
}

/// `{"bin": LENGTH, "hex": ...}` (and `"ext"`): the length and the first [`HEX_BYTES`].
fn bin_preview(ext: Option<i8>, bytes: &[u8]) -> Json {
    let mut m = serde_json::Map::new();
    if let Some(t) = ext {
        m.insert("ext".into(), t.into());
    }
    m.insert("bin".into(), bytes.len().into());
    m.insert(
        "hex".into(),
        hex::encode(&bytes[..bytes.len().min(HEX_BYTES)]).into(),
    );
    Json::Object(m)
}

/// The longest prefix of `text` whose JSON (quoted, escaped) fits `budget`, the budget left,
/// and whether it was cut.
fn cut_text(text: &str, budget: &mut usize) -> (String, bool) {
    *budget = budget.saturating_sub(2);
    let mut out = String::new();
    for c in text.chars() {
        let cost = match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        };
        if cost > *budget {
            return (out, true);
        }
        *budget -= cost;
        out.push(c);
    }
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(v: Value) -> Json {
        data_preview(&Data(v))
    }

    #[test]
    fn short_values_are_shown_as_they_are() {
        let v = serde_json::json!({"a": [1, -2, 2.5, "x", null, true], "b": {"c": "d"}});
        assert_eq!(data_preview(&Data::from_json(&v)), v);
    }

    #[test]
    fn long_values_are_cut_to_the_budget() {
        // Every character of this string takes two bytes of JSON (`\"`).
        let quotes = shown(Value::from("\"".repeat(5000)));
        let text = quotes.as_str().expect("a string");
        assert!(text.ends_with('…'));
        assert!(quotes.to_string().len() <= PREVIEW_BYTES + 3, "{quotes}");
        let nested = Value::Array(vec![Value::Array(vec![Value::from(7); 300]); 300]);
        assert!(shown(nested).to_string().len() <= 2 * PREVIEW_BYTES);
        assert_eq!(
            shown(Value::Binary(vec![0xff; 3])),
            serde_json::json!({"bin": 3, "hex": "ffffff"})
        );
    }
}
