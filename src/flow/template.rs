//! Templates: strings with `{{path}}` references to the pipeline document
//! (a dotted path or JSON pointer, `{{.}}` for the whole document) or to
//! the caller (`{{caller.client_id}}`, `{{caller.subject}}`,
//! `{{caller.scope}}`). Spaces inside the braces are ignored.
//!
//! A string that is exactly one reference takes the referenced JSON value
//! as is (a number stays a number; a missing field gives null). Otherwise
//! the references are written into the text: strings as they are, null or
//! missing as nothing, other values as JSON.

use super::Caller;
use super::path::FieldPath;
use serde_json::Value;

/// What a `{{...}}` refers to.
#[derive(Debug, Clone, PartialEq)]
pub enum Ref {
    Pipeline(FieldPath),
    ClientId,
    Subject,
    Scope,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Ref(Ref),
}

/// A parsed template string.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses a template; text without `{{` is a plain string.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed \"{{{{\" in \"{text}\""))?;
            parts.push(Part::Ref(parse_ref(after[..end].trim())?));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// Whether the template refers to nothing.
    pub fn is_plain(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }

    /// The template with every reference replaced by `with`: to check the
    /// shape of a templated URL when parsing.
    pub fn sample(&self, with: &str) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.as_str(),
                Part::Ref(_) => with,
            })
            .collect()
    }

    /// The value of the template: the referenced value when the template
    /// is exactly one reference, else a string.
    pub fn render(&self, doc: &Value, caller: &Caller) -> Value {
        if let [Part::Ref(r)] = self.parts.as_slice() {
            return resolve(r, doc, caller);
        }
        Value::String(self.render_text(doc, caller, |s| s.to_owned()))
    }

    /// The template as text, each inserted value passed through `escape`.
    pub fn render_text(
        &self,
        doc: &Value,
        caller: &Caller,
        escape: impl Fn(&str) -> String,
    ) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Ref(r) => match resolve(r, doc, caller) {
                    Value::Null => {}
                    Value::String(s) => out.push_str(&escape(&s)),
                    other => out.push_str(&escape(&other.to_string())),
                },
            }
        }
        out
    }
}

fn parse_ref(inner: &str) -> Result<Ref, String> {
    match inner {
        "caller.client_id" => Ok(Ref::ClientId),
        "caller.subject" => Ok(Ref::Subject),
        "caller.scope" => Ok(Ref::Scope),
        "" => Err("an empty \"{{}}\" (write {{.}} for the whole document)".into()),
        _ if inner.starts_with("caller.") => Err(format!(
            "unknown \"{{{{{inner}}}}}\" (the caller has client_id, subject and scope)"
        )),
        _ => FieldPath::parse(inner).map(Ref::Pipeline),
    }
}

fn resolve(r: &Ref, doc: &Value, caller: &Caller) -> Value {
    match r {
        Ref::Pipeline(path) => path.get(doc).cloned().unwrap_or(Value::Null),
        Ref::ClientId => Value::String(caller.client_id.clone()),
        Ref::Subject => caller
            .subject
            .clone()
            .map(Value::String)
            .unwrap_or(Value::Null),
        Ref::Scope => Value::String(caller.scope.clone()),
    }
}

/// A JSON value whose strings may be templates (the values of `map.set`).
#[derive(Debug, Clone, PartialEq)]
pub enum TValue {
    Literal(Value),
    Template(Template),
    Array(Vec<TValue>),
    Object(Vec<(String, TValue)>),
}

impl TValue {
    /// Parses every string inside `value` as a template.
    pub fn parse(value: &Value) -> Result<TValue, String> {
        let parsed = match value {
            Value::String(s) => {
                let t = Template::parse(s)?;
                if t.is_plain() {
                    return Ok(TValue::Literal(value.clone()));
                }
                TValue::Template(t)
            }
            Value::Array(items) => {
                TValue::Array(items.iter().map(TValue::parse).collect::<Result<_, _>>()?)
            }
            Value::Object(map) => TValue::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), TValue::parse(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => return Ok(TValue::Literal(other.clone())),
        };
        let literal = match &parsed {
            TValue::Array(items) => items.iter().all(|i| matches!(i, TValue::Literal(_))),
            TValue::Object(fields) => fields.iter().all(|(_, v)| matches!(v, TValue::Literal(_))),
            _ => false,
        };
        Ok(if literal {
            TValue::Literal(value.clone())
        } else {
            parsed
        })
    }

    /// The value with its templates rendered over `doc`.
    pub fn eval(&self, doc: &Value, caller: &Caller) -> Value {
        match self {
            TValue::Literal(v) => v.clone(),
            TValue::Template(t) => t.render(doc, caller),
            TValue::Array(items) => {
                Value::Array(items.iter().map(|i| i.eval(doc, caller)).collect())
            }
            TValue::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.eval(doc, caller)))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn caller() -> Caller {
        Caller {
            client_id: "app".into(),
            subject: Some("alice".into()),
            scope: "orders".into(),
        }
    }

    fn render(t: &str, doc: &Value) -> Value {
        Template::parse(t).unwrap().render(doc, &caller())
    }

    #[test]
    fn a_lone_reference_keeps_its_type() {
        let doc = json!({"n": 5, "o": {"k": [1, 2]}, "s": "x"});
        assert_eq!(render("{{n}}", &doc), json!(5));
        assert_eq!(render("{{ /o/k }}", &doc), json!([1, 2]));
        assert_eq!(render("{{missing}}", &doc), json!(null));
        assert_eq!(render("{{.}}", &doc), doc);
        assert_eq!(render("{{caller.subject}}", &doc), json!("alice"));
    }

    #[test]
    fn references_in_text_are_written_in() {
        let doc = json!({"n": 5, "o": {"k": [1, 2]}, "s": "x"});
        assert_eq!(
            render("n={{n}} s={{s}} k={{o.k}} m={{missing}}!", &doc),
            json!("n=5 s=x k=[1,2] m=!")
        );
        assert_eq!(
            render("{{caller.client_id}}/{{caller.scope}}", &doc),
            json!("app/orders")
        );
        let anonymous = Caller {
            subject: None,
            ..caller()
        };
        let t = Template::parse("{{caller.subject}}").unwrap();
        assert_eq!(t.render(&doc, &anonymous), json!(null));
        assert_eq!(render("plain }} text", &doc), json!("plain }} text"));
    }

    #[test]
    fn bad_templates_are_rejected() {
        assert!(Template::parse("a {{b").unwrap_err().contains("unclosed"));
        assert!(Template::parse("{{}}").is_err());
        assert!(
            Template::parse("{{caller.email}}")
                .unwrap_err()
                .contains("client_id")
        );
        assert!(Template::parse("{{a..b}}").is_err());
    }

    #[test]
    fn nested_values_render_their_strings() {
        let v = TValue::parse(&json!({"a": ["{{n}}", 1], "b": "lit"})).unwrap();
        assert_eq!(
            v.eval(&json!({"n": true}), &caller()),
            json!({"a": [true, 1], "b": "lit"})
        );
        let lit = TValue::parse(&json!({"a": ["x"]})).unwrap();
        assert!(matches!(lit, TValue::Literal(_)));
    }
}
