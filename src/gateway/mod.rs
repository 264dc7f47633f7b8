//! The gateway in front of the protected services (DESIGN §5):
//! `/integration/rest/run/{folders}/{service}[/{suffix}]`.
//!
//! A call is authenticated with a bearer token in the Authorization header
//! (RFC 6750 §2.1), checked from memory, resolved to a service (after
//! authentication, so names do not leak to anonymous callers), authorized
//! by the token's scopes, then forwarded to a REST upstream ([`rest`]) or
//! run as a flow ([`invoker`]).

pub mod bearer;
pub mod invoker;
pub mod metrics;
pub mod registry;
pub mod reply;
pub mod rest;

pub use registry::{Gateway, Target};

use crate::app::App;
use crate::domain::{AccessToken, Service, ServiceKind};
use crate::flow::Caller;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::any;
use axum::{RequestExt, Router};
use bearer::ErrorCode;
use std::sync::Arc;
use std::time::Instant;

/// Where the services are called.
pub const RUN_PREFIX: &str = "/integration/rest/run/";

/// The gateway's routes, to merge into the server's router.
pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/integration/rest/run/{*path}", any(run))
}

/// A request body: still streaming, or read already (form bodies are read
/// to look for a refused `access_token` parameter, RFC 6750 §2.2).
pub enum Incoming {
    Stream(Body),
    Read(Bytes),
}

/// Any method at `/integration/rest/run/{*path}`.
pub async fn run(State(app): State<Arc<App>>, req: Request) -> Response {
    let start = Instant::now();
    let (service, response) = call(&app, req).await;
    let path = service.as_ref().map_or("-", |s| s.path.as_str());
    app.gateway
        .metrics
        .record(path, response.status(), start.elapsed());
    response
}

/// Answers a call; also returns the service it reached, if it got so far
/// (for the metrics).
async fn call(app: &Arc<App>, req: Request) -> (Option<Arc<Service>>, Response) {
    let none = || None;
    let req = req.with_limited_body();
    let raw = req.uri().path().strip_prefix(RUN_PREFIX).unwrap_or("");
    let path = raw.to_owned();
    if has_dot_segment(&path) {
        let r = reply::error_json(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the path must not contain . or .. segments",
        );
        return (none(), r);
    }
    let (parts, body) = req.into_parts();
    let body = if bearer::is_form(&parts.headers) {
        match axum::body::to_bytes(body, usize::MAX).await {
            Ok(b) => Incoming::Read(b),
            Err(e) => return (none(), body_error(&e)),
        }
    } else {
        Incoming::Stream(body)
    };
    let form = match &body {
        Incoming::Read(b) => Some(b.as_ref()),
        Incoming::Stream(_) => None,
    };
    let token = match bearer::extract(&parts.headers, parts.uri.query(), form) {
        Ok(Some(t)) => t,
        Ok(None) => return (none(), bearer::no_credentials()),
        Err(bearer::InvalidRequest(why)) => {
            return (
                none(),
                bearer::challenge(ErrorCode::InvalidRequest, why, None),
            );
        }
    };
    let record = match app.validate_access_token(&token).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            let why = "the access token is invalid, expired or revoked";
            return (
                none(),
                bearer::challenge(ErrorCode::InvalidToken, why, None),
            );
        }
        Err(e) => return (none(), reply::store_error(e)),
    };
    let target = match app.resolve_service(&path).await {
        Ok(Some(t)) => t,
        Ok(None) => return (none(), reply::not_found()),
        Err(e) => return (none(), reply::store_error(e)),
    };
    let label = Some(target.service.clone());
    let scopes = match app.scopes().await {
        Ok(s) => s,
        Err(e) => return (label, reply::store_error(e)),
    };
    let service_path = target.service.path.as_str();
    if !registry::covers(record.scope.iter(), &scopes, service_path) {
        let needed = registry::needed_scope(&scopes, service_path);
        let why = "the access token's scopes do not cover this service";
        let r = bearer::challenge(ErrorCode::InsufficientScope, why, Some(&needed));
        return (label, r);
    }
    let response = match &target.service.kind {
        ServiceKind::Rest {
            upstream_url,
            timeout_ms,
        } => {
            let upstream = rest::Upstream {
                url: upstream_url,
                suffix: &target.suffix,
                timeout_ms: *timeout_ms,
            };
            rest::forward(app, &upstream, &record, parts, body).await
        }
        ServiceKind::Flow { .. } => {
            if parts.method != Method::POST {
                let mut r = reply::status_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "a flow service is called with POST",
                );
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
                return (label, r);
            }
            invoker::run_flow(app, &target, caller_of(&record), body).await
        }
    };
    (label, response)
}

/// The identity a call runs with.
pub fn caller_of(token: &AccessToken) -> Caller {
    Caller {
        client_id: token.client_id.clone(),
        subject: token.username.clone(),
        scope: token.scope.to_string(),
    }
}

/// Whether a raw path has a `.` or `..` segment, plain or percent-encoded,
/// which an upstream URL would resolve away.
fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|seg| {
        let decoded = percent_encoding::percent_decode_str(seg).decode_utf8_lossy();
        decoded == "." || decoded == ".."
    })
}

/// Whether a body error is the server's size limit.
pub fn is_length_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// 413 for a body over the limit, 400 for one that broke off.
pub fn body_error(e: &axum::Error) -> Response {
    if is_length_limit(e) {
        reply::too_large()
    } else {
        reply::error_json(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the request body could not be read",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_found() {
        assert!(has_dot_segment("api/../x"));
        assert!(has_dot_segment("api/%2e%2E/x"));
        assert!(has_dot_segment("api/./x"));
        assert!(!has_dot_segment("api/.well-known/x..y"));
    }
}
