//! The HTTP edge: routes, middleware, and the mapping of errors to
//! responses (in [`reply`]).

pub mod admin_api;
pub mod console;
pub mod form;
pub mod oauth;
pub mod ops;
pub mod pages;
pub mod reply;
pub mod source;

use crate::app::App;
use crate::oauth::metadata::{
    AUTHORIZE_PATH, INTROSPECT_PATH, LOGIN_PATH, LOGOUT_PATH, METADATA_PATH, REVOKE_PATH,
    TOKEN_PATH,
};
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

/// Every route of the server; the demo routes only in demo mode.
pub fn router(app: Arc<App>, max_body_bytes: usize, demo: bool) -> Router {
    let demo_routes = if demo {
        crate::demo::routes()
    } else {
        Router::new()
    };
    Router::new()
        .route(AUTHORIZE_PATH, get(pages::authorize::authorize).post(pages::authorize::authorize))
        .route(LOGIN_PATH, post(pages::login::login))
        .route(LOGOUT_PATH, get(pages::login::logout_form).post(pages::login::logout))
        .route("/assets/flowgate.css", get(pages::stylesheet))
        .route(TOKEN_PATH, post(oauth::token))
        .route(INTROSPECT_PATH, post(oauth::introspect))
        .route(REVOKE_PATH, post(oauth::revoke))
        .route(METADATA_PATH, get(oauth::metadata))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .nest("/admin/api/v1", admin_api::routes())
        .merge(crate::gateway::routes())
        .merge(console::routes(app.clone()))
        .merge(demo_routes)
        .route_layer(middleware::from_fn(ops::track))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::from_fn_with_state(app.clone(), source::source))
        .layer(CatchPanicLayer::custom(|_| internal_error()))
        .layer(
            // The span names the path only: a query string could carry a
            // secret that must never reach the logs.
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(app)
}

fn error_json(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn not_found() -> Response {
    error_json(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> Response {
    error_json(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept this method",
    )
}

fn internal_error() -> Response {
    tracing::error!("request handler panicked");
    error_json(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "internal error",
    )
}
