//! The character rules shared by client names, versions and scope names.

/// Characters that may not appear in a client name, version or scope name.
pub const FORBIDDEN: &[char] = &['&', '(', ')', '\\', ';', ',', '/', '"', ':', '\'', '<', '>'];

/// Checks a client name or version: non-empty after trimming, at most
/// `max` characters, no control or forbidden characters.
pub fn check_label(value: &str, max: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if let Some(c) = value.chars().find(|c| FORBIDDEN.contains(c)) {
        return Err(format!(
            "must not contain '{c}' (forbidden: & ( ) \\ ; , / \" : ' < >)"
        ));
    }
    Ok(())
}

/// Checks a scope name: 1–100 printable ASCII characters, no space, none of
/// the forbidden characters.
pub fn check_scope_name(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.len() > 100 {
        return Err("must be at most 100 characters".into());
    }
    if let Some(c) = value.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "must be printable ASCII without spaces (found {c:?})"
        ));
    }
    if let Some(c) = value.chars().find(|c| FORBIDDEN.contains(c)) {
        return Err(format!(
            "must not contain '{c}' (forbidden: & ( ) \\ ; , / \" : ' < >)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_refuse_each_forbidden_character() {
        for c in FORBIDDEN {
            assert!(check_label(&format!("app{c}x"), 100).is_err(), "{c}");
        }
        assert!(check_label("Billing App 2", 100).is_ok());
        assert!(check_label("  ", 100).is_err());
    }

    #[test]
    fn scope_names_are_printable_ascii_without_spaces() {
        assert!(check_scope_name("orders.read").is_ok());
        assert!(check_scope_name("a b").is_err());
        assert!(check_scope_name("é").is_err());
        assert!(check_scope_name("a/b").is_err());
    }
}
