//! Field paths into the pipeline document: a JSON pointer (`/a/b/0`, with
//! `~1` for `/` and `~0` for `~`) or a dotted path (`a.b.0`). `""` and `"."`
//! name the whole document. A segment indexes an array when the value
//! there is an array and the segment is a decimal index (or `-`, "one past
//! the end", when setting).

use serde_json::{Map, Value};

/// Most segments a path may have.
pub const MAX_SEGMENTS: usize = 32;
/// Longest path text.
const MAX_PATH_LEN: usize = 1000;

/// A parsed field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    segments: Vec<String>,
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl FieldPath {
    /// Parses a JSON pointer or a dotted path.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        if text.len() > MAX_PATH_LEN {
            return Err(format!("a path must be at most {MAX_PATH_LEN} characters"));
        }
        let segments = if text.is_empty() || text == "." {
            Vec::new()
        } else if let Some(pointer) = text.strip_prefix('/') {
            pointer
                .split('/')
                .map(unescape_pointer)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("\"{text}\" is not a JSON pointer: {e}"))?
        } else {
            let segments: Vec<String> = text.split('.').map(str::to_owned).collect();
            if segments.iter().any(String::is_empty) {
                return Err(format!(
                    "\"{text}\" has an empty segment (write a.b, or a JSON pointer /a/b)"
                ));
            }
            segments
        };
        if segments.len() > MAX_SEGMENTS {
            return Err(format!("a path must have at most {MAX_SEGMENTS} segments"));
        }
        Ok(FieldPath {
            text: text.to_owned(),
            segments,
        })
    }

    /// The whole document.
    pub fn root() -> FieldPath {
        FieldPath {
            text: String::new(),
            segments: Vec::new(),
        }
    }

    /// Whether the path names the whole document.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// How many segments deep the path goes (0 for the whole document).
    pub fn depth(&self) -> usize {
        self.segments.len()
    }

    /// The value at the path, if there is one.
    pub fn get<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        let mut current = doc;
        for segment in &self.segments {
            current = match current {
                Value::Object(map) => map.get(segment)?,
                Value::Array(items) => items.get(array_index(segment)?)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// Puts `value` at the path, creating missing (or null) intermediate
    /// fields as objects. Fails when the way passes through a scalar or
    /// an array index out of range.
    pub fn set(&self, doc: &mut Value, value: Value) -> Result<(), String> {
        let Some((last, parents)) = self.segments.split_last() else {
            *doc = value;
            return Ok(());
        };
        let mut current = doc;
        for (i, segment) in parents.iter().enumerate() {
            if current.is_null() {
                *current = Value::Object(Map::new());
            }
            current = match current {
                Value::Object(map) => map.entry(segment.clone()).or_insert(Value::Null),
                Value::Array(items) => {
                    let len = items.len();
                    array_index(segment)
                        .and_then(|index| items.get_mut(index))
                        .ok_or_else(|| self.out_of_range(i, len))?
                }
                other => return Err(self.through_scalar(i, other)),
            };
        }
        if current.is_null() {
            *current = Value::Object(Map::new());
        }
        match current {
            Value::Object(map) => {
                map.insert(last.clone(), value);
            }
            Value::Array(items) => {
                let len = items.len();
                let index = if last == "-" {
                    len
                } else {
                    array_index(last).ok_or_else(|| self.out_of_range(parents.len(), len))?
                };
                if index < len {
                    items[index] = value;
                } else if index == len {
                    items.push(value);
                } else {
                    return Err(self.out_of_range(parents.len(), len));
                }
            }
            other => return Err(self.through_scalar(parents.len(), other)),
        }
        Ok(())
    }

    /// Takes the value at the path out of the document (the whole
    /// document leaves null behind); `None` when there is none.
    pub fn remove(&self, doc: &mut Value) -> Option<Value> {
        let Some((last, parents)) = self.segments.split_last() else {
            return Some(std::mem::take(doc));
        };
        let mut current = doc;
        for segment in parents {
            current = match current {
                Value::Object(map) => map.get_mut(segment)?,
                Value::Array(items) => items.get_mut(array_index(segment)?)?,
                _ => return None,
            };
        }
        match current {
            Value::Object(map) => map.remove(last),
            Value::Array(items) => {
                let index = array_index(last)?;
                (index < items.len()).then(|| items.remove(index))
            }
            _ => None,
        }
    }

    fn out_of_range(&self, at: usize, len: usize) -> String {
        format!(
            "cannot set \"{}\": \"{}\" is not an index of an array of {len}",
            self.text, self.segments[at]
        )
    }

    fn through_scalar(&self, at: usize, value: &Value) -> String {
        let what = match value {
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            _ => "not an object",
        };
        let place = if at == 0 {
            "the document".to_owned()
        } else {
            format!("\"{}\"", self.segments[..at].join("."))
        };
        format!("cannot set \"{}\": {place} is {what}", self.text)
    }
}

/// A decimal array index (no sign, no leading zeros).
fn array_index(segment: &str) -> Option<usize> {
    if segment.is_empty()
        || (segment.len() > 1 && segment.starts_with('0'))
        || !segment.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    segment.parse().ok()
}

fn unescape_pointer(segment: &str) -> Result<String, String> {
    let mut out = String::with_capacity(segment.len());
    let mut chars = segment.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return Err("'~' must be followed by 0 or 1".into()),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> FieldPath {
        FieldPath::parse(text).unwrap()
    }

    #[test]
    fn pointers_and_dotted_paths_read_the_same_fields() {
        let doc = json!({"a": {"b": [10, {"c": 3}]}, "x/y": 1, "t~": 2});
        assert_eq!(p("a.b.1.c").get(&doc), Some(&json!(3)));
        assert_eq!(p("/a/b/1/c").get(&doc), Some(&json!(3)));
        assert_eq!(p("/x~1y").get(&doc), Some(&json!(1)));
        assert_eq!(p("/t~0").get(&doc), Some(&json!(2)));
        assert_eq!(p("").get(&doc), Some(&doc));
        assert_eq!(p(".").get(&doc), Some(&doc));
        assert_eq!(p("a.b.7").get(&doc), None);
        assert_eq!(p("a.b.01").get(&doc), None);
        assert_eq!(p("a.b.0.z").get(&doc), None);
    }

    #[test]
    fn bad_paths_are_rejected() {
        assert!(
            FieldPath::parse("a..b")
                .unwrap_err()
                .contains("empty segment")
        );
        assert!(FieldPath::parse("/a~2").is_err());
        let deep = vec!["a"; MAX_SEGMENTS + 1].join(".");
        assert!(FieldPath::parse(&deep).is_err());
    }

    #[test]
    fn setting_creates_intermediate_objects() {
        let mut doc = json!(null);
        p("a.b.c").set(&mut doc, json!(1)).unwrap();
        assert_eq!(doc, json!({"a": {"b": {"c": 1}}}));
        p("/a/list").set(&mut doc, json!([1])).unwrap();
        p("a.list.1").set(&mut doc, json!(2)).unwrap();
        p("a.list.-").set(&mut doc, json!(3)).unwrap();
        p("a.list.0").set(&mut doc, json!(0)).unwrap();
        assert_eq!(doc["a"]["list"], json!([0, 2, 3]));
        assert!(p("a.list.9").set(&mut doc, json!(1)).is_err());
        assert!(
            p("a.b.c.d")
                .set(&mut doc, json!(1))
                .unwrap_err()
                .contains("\"a.b.c\" is a number")
        );
        p("").set(&mut doc, json!("all")).unwrap();
        assert_eq!(doc, json!("all"));
    }

    #[test]
    fn removing_takes_the_value_out() {
        let mut doc = json!({"a": {"b": 1, "c": [1, 2]}});
        assert_eq!(p("a.b").remove(&mut doc), Some(json!(1)));
        assert_eq!(p("a.c.0").remove(&mut doc), Some(json!(1)));
        assert_eq!(p("a.zz").remove(&mut doc), None);
        assert_eq!(doc, json!({"a": {"c": [2]}}));
        assert_eq!(p(".").remove(&mut doc), Some(json!({"a": {"c": [2]}})));
        assert_eq!(doc, json!(null));
    }
}
