//! Protected services (DESIGN §5): a REST API forwarded to an upstream, or
//! a flow run by flowgate itself, at a path of folders and a name such as
//! `orders/createOrder`. Scopes grant folders and services.

use super::scope::check_service_path;
use super::{DomainError, UnixTime};
use serde::{Deserialize, Serialize};

/// Longest upstream timeout a service may set.
pub const MAX_TIMEOUT_MS: u64 = 300_000;
/// Upstream timeout when a REST service sets none.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// What a service does when called.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServiceKind {
    /// Forward the call to `upstream_url` (plus the path suffix).
    Rest {
        upstream_url: String,
        timeout_ms: Option<u64>,
    },
    /// Run the flow `definition` (`{"steps": [...]}`) over the request body.
    Flow { definition: serde_json::Value },
}

/// A registered service.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Folders and name, `/`-separated, e.g. `orders/createOrder`.
    pub path: String,
    pub description: String,
    pub kind: ServiceKind,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

impl Service {
    /// Whether a scope entry (a folder or a service path) covers `path`:
    /// the same path, or a folder above it. `orders` covers
    /// `orders/create` but not `orders2/create`.
    pub fn covered_by(path: &str, entry: &str) -> bool {
        let entry = entry.trim_matches('/');
        path == entry
            || (path.len() > entry.len()
                && path.starts_with(entry)
                && path.as_bytes()[entry.len()] == b'/')
    }

    /// Checks the rules that need no other record.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_service_path(&self.path).map_err(|r| DomainError::invalid("path", r))?;
        if self.description.chars().count() > 1000 {
            return Err(DomainError::invalid(
                "description",
                "must be at most 1000 characters",
            ));
        }
        match &self.kind {
            ServiceKind::Rest {
                upstream_url,
                timeout_ms,
            } => {
                let url = url::Url::parse(upstream_url).map_err(|e| {
                    DomainError::invalid("upstream_url", format!("not an absolute URL: {e}"))
                })?;
                if !matches!(url.scheme(), "http" | "https") || url.fragment().is_some() {
                    return Err(DomainError::invalid(
                        "upstream_url",
                        "must be an http(s) URL without fragment",
                    ));
                }
                if timeout_ms.is_some_and(|t| t == 0 || t > MAX_TIMEOUT_MS) {
                    return Err(DomainError::invalid(
                        "timeout_ms",
                        format!("must be 1 to {MAX_TIMEOUT_MS} milliseconds"),
                    ));
                }
            }
            ServiceKind::Flow { definition } => {
                if !definition.is_object() {
                    return Err(DomainError::invalid(
                        "definition",
                        "must be an object {\"steps\": [...]}",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_cover_what_lies_below_them() {
        assert!(Service::covered_by("orders/create", "orders"));
        assert!(Service::covered_by("orders/create", "orders/create"));
        assert!(Service::covered_by("a/b/c", "a"));
        assert!(!Service::covered_by("orders2/create", "orders"));
        assert!(!Service::covered_by("orders", "orders/create"));
    }
}
