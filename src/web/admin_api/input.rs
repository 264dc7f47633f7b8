//! Request extractors whose rejections are problem details: a JSON body
//! whose errors name the offending field, and query parameters.

use super::Problem;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

/// Every field name of an admin API request body, so that an error can
/// name its field with a `&'static str`.
const FIELDS: &[&str] = &[
    "client_name",
    "client_version",
    "description",
    "token_endpoint_auth_method",
    "redirect_uris",
    "grant_types",
    "scope",
    "access_token_lifetime",
    "refresh_count",
    "active",
    "name",
    "services",
    "username",
    "password",
    "admin",
    "client_id",
    "expires_in",
    "overlap_seconds",
    "path",
    "kind",
    "upstream_url",
    "timeout_ms",
    "definition",
];

/// A JSON request body (`application/json` or `+json`).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        if !is_json(req.headers()) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| Problem::new(e.status(), "Bad request", e.body_text()))?;
        parse_json(&bytes).map(Body)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON; a malformed document is 400, a well-formed one of the
/// wrong shape is 422 naming the field when it is a known one.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| problem(&e.path().to_string(), e.inner()))?;
    de.end().map_err(|e| problem("", &e))?;
    Ok(value)
}

fn problem(path: &str, e: &serde_json::Error) -> Problem {
    let message = e.to_string();
    // serde_json appends " at line L column C"; the rule reads better without.
    let rule = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_owned();
    if e.classify() != Category::Data {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "Bad request",
            format!("malformed JSON: {rule}"),
        );
    }
    let field = field_of(path, &rule);
    let detail = match field {
        Some(f) => format!("{f}: {rule}"),
        None => rule.clone(),
    };
    Problem {
        field,
        rule: Some(rule),
        ..Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed",
            detail,
        )
    }
}

/// The known field an error is about: the first segment of its path, or
/// the field a "missing field" error names.
fn field_of(path: &str, rule: &str) -> Option<&'static str> {
    let first = path.split(['.', '[']).next().unwrap_or("");
    let named = rule
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next());
    let candidate = if first.is_empty() { named? } else { first };
    FIELDS.iter().copied().find(|f| *f == candidate)
}

/// Query parameters; fields are text so that handlers can name a bad one.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Params(v))
            .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "Bad request", e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ClientInput;

    #[test]
    fn type_errors_name_the_field() {
        let e = parse_json::<ClientInput>(br#"{"active": "yes"}"#)
            .err()
            .unwrap();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.field, Some("active"));
        let e = parse_json::<ClientInput>(br#"{"redirect_uris": [1]}"#)
            .err()
            .unwrap();
        assert_eq!(e.field, Some("redirect_uris"));
    }

    #[test]
    fn unknown_fields_and_bad_syntax() {
        let e = parse_json::<ClientInput>(br#"{"nope": 1}"#).err().unwrap();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.detail.contains("nope"), "{}", e.detail);
        let e = parse_json::<ClientInput>(b"{").err().unwrap();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        let e = parse_json::<ClientInput>(b"{} x").err().unwrap();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }
}
