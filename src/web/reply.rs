//! How errors leave the server: one writer per kind of endpoint. OAuth
//! endpoints answer RFC 6749 §5.2 JSON with `no-store`; the admin API
//! answers RFC 9457 problem details. Internal causes are logged, never sent.

use crate::domain::DomainError;
use crate::oauth::{ErrorCode, OAuthError};
use crate::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub fn no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A JSON body that must not be cached (token responses, introspection).
pub fn json_no_store<T: Serialize>(body: &T) -> Response {
    no_store(Json(body).into_response())
}

/// An OAuth error as the token, introspection and revocation endpoints
/// send it, optionally with a transport status that overrides the code's
/// (413 for an oversized body).
#[derive(Debug)]
pub struct OAuthReply {
    pub error: OAuthError,
    pub status: Option<StatusCode>,
}

impl From<OAuthError> for OAuthReply {
    fn from(error: OAuthError) -> Self {
        OAuthReply {
            error,
            status: None,
        }
    }
}

#[derive(Serialize)]
struct OAuthErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl IntoResponse for OAuthReply {
    fn into_response(self) -> Response {
        let status = self
            .status
            .or_else(|| StatusCode::from_u16(self.error.code.status()).ok())
            .unwrap_or(StatusCode::BAD_REQUEST);
        let description = crate::oauth::error::clean_description(&self.error.description);
        let body = OAuthErrorBody {
            error: self.error.code.as_str(),
            error_description: &description,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = self.error.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.error.code == ErrorCode::InvalidClient {
            // RFC 6749 §5.2: 401 with a challenge for the scheme the client
            // can use; Basic is the only HTTP scheme for client secrets.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"flowgate\", charset=\"UTF-8\""),
            );
        }
        no_store(response)
    }
}

/// An admin API error as RFC 9457 problem details.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    pub field: Option<&'static str>,
    pub rule: Option<String>,
    /// Extra headers such as `WWW-Authenticate`.
    pub challenge: Option<&'static str>,
}

impl Problem {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            title,
            detail: detail.into(),
            field: None,
            rule: None,
            challenge: None,
        }
    }
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = ProblemBody {
            kind: "about:blank",
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            field: self.field,
            rule: self.rule.as_deref(),
        };
        let mut response = (self.status, Json(body)).into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(c) = self.challenge {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
        }
        response
    }
}

impl From<DomainError> for Problem {
    fn from(e: DomainError) -> Problem {
        match e {
            DomainError::Invalid { field, rule } => Problem {
                field: Some(field),
                rule: Some(rule.clone()),
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation failed",
                    format!("{field}: {rule}"),
                )
            },
            DomainError::NotFound(what) => Problem::new(
                StatusCode::NOT_FOUND,
                "Not found",
                format!("{what} not found"),
            ),
            DomainError::Conflict(msg) => Problem::new(StatusCode::CONFLICT, "Conflict", msg),
            DomainError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match e {
            StoreError::Unavailable(msg) => {
                tracing::warn!(error = %msg, "store unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable",
                    "the store cannot be reached; retry later",
                )
            }
            StoreError::NotFound => Problem::new(StatusCode::NOT_FOUND, "Not found", "not found"),
            StoreError::Conflict(msg) => Problem::new(StatusCode::CONFLICT, "Conflict", msg),
            StoreError::Internal(msg) => {
                tracing::error!(error = %msg, "store failure");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "internal error",
                )
            }
        }
    }
}
