//! The gateway's own answers: JSON `{"error", "error_description"}`, never
//! cached. Answers that come from an upstream are passed through instead.

use crate::flow::FlowError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A JSON error answer with `Cache-Control: no-store`.
pub fn error_json(status: StatusCode, error: &str, description: &str) -> Response {
    let mut r = (
        status,
        Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The error code for a status the gateway answers with: its reason
/// phrase in snake case (`bad_gateway`, `gateway_timeout`), `server_error`
/// for 500.
pub fn code_for(status: StatusCode) -> String {
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        return "server_error".into();
    }
    status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

/// An error answer whose code follows from the status.
pub fn status_error(status: StatusCode, description: &str) -> Response {
    error_json(status, &code_for(status), description)
}

pub fn not_found() -> Response {
    status_error(StatusCode::NOT_FOUND, "no such service")
}

pub fn too_large() -> Response {
    status_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "the request body is larger than the server accepts",
    )
}

pub fn bad_gateway() -> Response {
    status_error(StatusCode::BAD_GATEWAY, "the upstream could not be reached")
}

pub fn gateway_timeout() -> Response {
    status_error(
        StatusCode::GATEWAY_TIMEOUT,
        "the upstream did not answer in time",
    )
}

/// A failure inside flowgate: logged with its cause, answered as 500.
pub fn internal(cause: impl std::fmt::Display) -> Response {
    tracing::error!(error = %cause, "gateway failure");
    status_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// The store could not be reached: 503.
pub fn store_error(e: crate::store::StoreError) -> Response {
    tracing::warn!(error = %e, "gateway could not read the store");
    status_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the store cannot be reached; retry later",
    )
}

/// A failed flow: its status (exit, invoke, 400 invalid document, 508
/// limit) and message.
pub fn flow_error(e: &FlowError) -> Response {
    let status = StatusCode::from_u16(e.status())
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    status_error(status, &e.to_string())
}
