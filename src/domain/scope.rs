//! Scopes (RFC 6749 §3.3) and the folders and services each one grants.

use super::{DomainError, UnixTime, name};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The reserved scope that lets a bearer token use the admin API.
pub const ADMIN_SCOPE: &str = "admin";

/// A set of scope names, kept sorted so that its string form is canonical.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    pub fn new() -> Self {
        ScopeSet::default()
    }

    /// Parses a space-delimited scope string (RFC 6749 §3.3), checking each
    /// name; runs of spaces are tolerated.
    pub fn parse(s: &str) -> Result<ScopeSet, String> {
        let mut set = BTreeSet::new();
        for part in s.split(' ').filter(|p| !p.is_empty()) {
            name::check_scope_name(part).map_err(|rule| format!("scope \"{part}\" {rule}"))?;
            set.insert(part.to_owned());
        }
        Ok(ScopeSet(set))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Names in `self` that are not in `other`.
    pub fn missing_from<'a>(&'a self, other: &'a ScopeSet) -> impl Iterator<Item = &'a str> {
        self.0.difference(&other.0).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

impl From<ScopeSet> for String {
    fn from(s: ScopeSet) -> String {
        s.to_string()
    }
}

impl TryFrom<String> for ScopeSet {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        ScopeSet::parse(&s)
    }
}

impl FromIterator<String> for ScopeSet {
    fn from_iter<T: IntoIterator<Item = String>>(iter: T) -> Self {
        ScopeSet(iter.into_iter().collect())
    }
}

/// A registered scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Scope {
    pub name: String,
    /// Shown to the resource owner on the permissions page.
    pub description: String,
    /// Folder and service paths this scope grants.
    pub services: Vec<String>,
    /// Unix time in seconds.
    #[schema(value_type = i64)]
    pub created_at: UnixTime,
}

/// Fields of a scope as the admin API and the CLI send them; `None` keeps
/// the current value on update.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeInput {
    /// Printable ASCII without spaces and without `& ( ) \ ; , / " : ' < >`;
    /// cannot change once created.
    #[schema(min_length = 1, max_length = 100, example = "orders.read")]
    pub name: Option<String>,
    /// Shown on the permissions page.
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// Folder and service paths this scope grants.
    #[schema(example = json!(["orders/createOrder"]))]
    pub services: Option<Vec<String>>,
}

impl ScopeInput {
    /// Builds a new scope from this input.
    pub fn create(self, now: UnixTime) -> Result<Scope, DomainError> {
        let name = self
            .name
            .ok_or_else(|| DomainError::invalid("name", "is required"))?;
        let scope = Scope {
            name,
            description: self.description.unwrap_or_default(),
            services: self.services.unwrap_or_default(),
            created_at: now,
        };
        scope.validate()?;
        Ok(scope)
    }

    /// Applies this input to `current`; the name cannot change.
    pub fn update(self, current: &Scope) -> Result<Scope, DomainError> {
        if self.name.as_deref().is_some_and(|n| n != current.name) {
            return Err(DomainError::invalid("name", "cannot be changed"));
        }
        let scope = Scope {
            name: current.name.clone(),
            description: self
                .description
                .unwrap_or_else(|| current.description.clone()),
            services: self.services.unwrap_or_else(|| current.services.clone()),
            created_at: current.created_at,
        };
        scope.validate()?;
        Ok(scope)
    }
}

impl Scope {
    fn validate(&self) -> Result<(), DomainError> {
        name::check_scope_name(&self.name).map_err(|r| DomainError::invalid("name", r))?;
        if self.description.chars().count() > 1000 {
            return Err(DomainError::invalid(
                "description",
                "must be at most 1000 characters",
            ));
        }
        for path in &self.services {
            check_service_path(path).map_err(|r| DomainError::invalid("services", r))?;
        }
        Ok(())
    }
}

/// Checks the shape of a folder or service path such as `orders/createOrder`.
pub fn check_service_path(path: &str) -> Result<(), String> {
    if path.is_empty() || path.len() > 500 {
        return Err("a service path must be 1 to 500 characters".into());
    }
    for segment in path.split('/') {
        if segment.is_empty()
            || !segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            || segment == "."
            || segment == ".."
        {
            return Err(format!(
                "\"{path}\" is not a service path (segments of letters, digits, '-', '_', '.' separated by '/')"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_sets_are_canonical() {
        let s = ScopeSet::parse("write  read read").unwrap();
        assert_eq!(s.to_string(), "read write");
        assert_eq!(s.len(), 2);
        assert!(ScopeSet::parse("read \"x").is_err());
    }

    #[test]
    fn subset_and_missing() {
        let allowed = ScopeSet::parse("read write").unwrap();
        let asked = ScopeSet::parse("read admin").unwrap();
        assert!(!asked.is_subset(&allowed));
        assert_eq!(asked.missing_from(&allowed).collect::<Vec<_>>(), ["admin"]);
    }

    #[test]
    fn service_paths_are_checked() {
        assert!(check_service_path("orders/createOrder").is_ok());
        assert!(check_service_path("orders//x").is_err());
        assert!(check_service_path("../etc").is_err());
    }
}
