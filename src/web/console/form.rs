//! Reading submitted console forms.

use crate::domain::DomainError;

/// The fields of a submitted form, in order.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or the empty string.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    /// Every value of `name` (ticked checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether a checkbox `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// The non-blank lines of a text area, trimmed.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A whole number typed into `field`; blank is `None`.
pub fn number(text: &str, field: &'static str) -> Result<Option<i64>, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| DomainError::invalid(field, "must be a whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_keep_every_value() {
        let f = Form::parse(b"id=a&id=b&x=1&csrf_token=t");
        assert_eq!(f.all("id"), ["a", "b"]);
        assert_eq!(f.get("x"), Some("1"));
        assert!(!f.checked("y"));
        assert_eq!(lines(" a \n\n b\r\n"), ["a", "b"]);
        assert!(number("x", "n").is_err());
        assert_eq!(number(" -1 ", "n").ok(), Some(Some(-1)));
        assert_eq!(number(" ", "n").ok(), Some(None));
    }
}
