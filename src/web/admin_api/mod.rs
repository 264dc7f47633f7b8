//! The admin API at `/admin/api/v1/` (DESIGN §6): JSON over the same
//! [`App`] operations as the CLI. Callers authenticate with HTTP Basic as an
//! administrator, or with a bearer token carrying the `admin` scope; errors
//! are RFC 9457 problem details. Every route is registered through
//! `utoipa_axum::routes!`, so the OpenAPI document served at
//! `/admin/api/v1/openapi.json` is generated from the handlers themselves.

mod audit;
mod auth;
mod clients;
mod input;
mod openapi;
mod scopes;
mod services;
mod tokens;
mod users;

pub use auth::Admin;
pub use input::{Body, Params};

use super::reply::Problem;
use crate::app::App;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;

/// Where [`routes`] is nested in the server.
pub const PREFIX: &str = "/admin/api/v1";

/// Every `(method, path)` the admin API serves, for tests and readers; a
/// unit test keeps it equal to the generated document.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/api/v1/openapi.json"),
    ("GET", "/admin/api/v1/clients"),
    ("POST", "/admin/api/v1/clients"),
    ("GET", "/admin/api/v1/clients/{id}"),
    ("PATCH", "/admin/api/v1/clients/{id}"),
    ("DELETE", "/admin/api/v1/clients/{id}"),
    ("POST", "/admin/api/v1/clients/{id}/secret"),
    ("GET", "/admin/api/v1/scopes"),
    ("POST", "/admin/api/v1/scopes"),
    ("GET", "/admin/api/v1/scopes/{name}"),
    ("PATCH", "/admin/api/v1/scopes/{name}"),
    ("DELETE", "/admin/api/v1/scopes/{name}"),
    ("GET", "/admin/api/v1/services"),
    ("POST", "/admin/api/v1/services"),
    ("GET", "/admin/api/v1/services/{path}"),
    ("PATCH", "/admin/api/v1/services/{path}"),
    ("DELETE", "/admin/api/v1/services/{path}"),
    ("GET", "/admin/api/v1/users"),
    ("POST", "/admin/api/v1/users"),
    ("GET", "/admin/api/v1/users/{username}"),
    ("PATCH", "/admin/api/v1/users/{username}"),
    ("DELETE", "/admin/api/v1/users/{username}"),
    ("GET", "/admin/api/v1/tokens"),
    ("POST", "/admin/api/v1/tokens"),
    ("GET", "/admin/api/v1/tokens/{id}"),
    ("DELETE", "/admin/api/v1/tokens/{id}"),
    ("GET", "/admin/api/v1/audit"),
];

/// The admin API's routes, relative to [`PREFIX`].
pub fn routes() -> Router<Arc<App>> {
    let (router, doc) = build();
    let json = doc.to_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot serialize the OpenAPI document");
        String::new()
    });
    router.layer(Extension(openapi::Document(Arc::from(json))))
}

/// The OpenAPI 3.1 document of the admin API, paths under [`PREFIX`].
pub fn document() -> utoipa::openapi::OpenApi {
    build().1
}

fn build() -> (Router<Arc<App>>, utoipa::openapi::OpenApi) {
    let (router, paths) = OpenApiRouter::new()
        .merge(openapi::routes())
        .merge(clients::routes())
        .merge(scopes::routes())
        .merge(services::routes())
        .merge(users::routes())
        .merge(tokens::routes())
        .merge(audit::routes())
        .split_for_parts();
    (router, openapi::finish(paths))
}

/// What a handler answers: a response, or problem details.
type Answer = Result<Response, Problem>;

/// One page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// The page size applied.
    pub limit: u32,
    /// How many items were skipped.
    pub offset: u32,
}

/// Pagination parameters, read as text so that a bad value is named.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 1000; default 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// Items to skip; default 0.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4_294_967_295_i64)]
    offset: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl PageParams {
    pub fn page(&self) -> Result<Page, Problem> {
        let limit = match self.limit.as_deref() {
            None => 100,
            Some(s) => s
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| invalid("limit", "must be an integer from 1 to 1000"))?,
        };
        let offset = match self.offset.as_deref() {
            None => 0,
            Some(s) => s
                .parse::<u32>()
                .map_err(|_| invalid("offset", "must be an integer from 0 to 4294967295"))?,
        };
        Ok(Page { limit, offset })
    }
}

impl Page {
    pub fn answer<T: Serialize>(self, items: Vec<T>) -> Response {
        Json(Listing {
            items,
            limit: self.limit,
            offset: self.offset,
        })
        .into_response()
    }
}

/// A validation problem naming `field` and the rule it broke.
pub fn invalid(field: &'static str, rule: &str) -> Problem {
    crate::domain::DomainError::invalid(field, rule).into()
}

/// Treats an empty filter value as no filter.
pub fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// `s` percent-encoded as one path segment (RFC 3986 unreserved kept).
fn path_segment(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// `201 Created` with `Location` and `no-store` (the body may hold a secret).
fn created<T: Serialize>(location: String, body: T) -> Response {
    (
        StatusCode::CREATED,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
        Json(body),
    )
        .into_response()
}

/// `200 OK` with `no-store`, for answers that carry a secret.
fn secret_ok<T: Serialize>(body: T) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn routes_match_the_document() {
        let doc = document();
        let mut documented = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            for (method, op) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
                ("HEAD", &item.head),
                ("OPTIONS", &item.options),
                ("TRACE", &item.trace),
            ] {
                if op.is_some() {
                    documented.insert((method.to_owned(), path.clone()));
                }
            }
        }
        let listed: BTreeSet<_> = ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(documented, listed);
    }

    #[test]
    fn document_is_openapi_3_1() {
        let json = serde_json::to_value(document()).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(json["components"]["securitySchemes"]["basic"].is_object());
        assert!(json["components"]["securitySchemes"]["bearer"].is_object());
    }
}
