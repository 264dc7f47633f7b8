//! `/services`: the REST APIs and flows flowgate protects. A service is
//! addressed by its path, which holds slashes (`/services/orders/create`),
//! so the item routes use the wildcard `{*path}`, which
//! [`super::openapi::finish`] writes as `{path}` in the document.

use super::openapi::{Conflict, NewService, NotFound, ValidationFailed};
use super::{Admin, Answer, Body, Listing, PageParams, Params, created, path_segment};
use crate::app::App;
use crate::service::{ServiceInput, ServiceView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(list_services, create_service))
        .routes(routes!(get_service, update_service, delete_service))
}

/// `/admin/api/v1/services/<path>`, each segment percent-encoded.
pub fn location(path: &str) -> String {
    let segments: Vec<String> = path.split('/').map(path_segment).collect();
    format!("{}/services/{}", super::PREFIX, segments.join("/"))
}

/// Lists services by path.
#[utoipa::path(
    get,
    path = "/services",
    tag = "services",
    params(PageParams),
    responses(
        (status = 200, description = "One page of services", body = Listing<ServiceView>),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_services(
    _: Admin,
    State(app): State<Arc<App>>,
    Params(p): Params<PageParams>,
) -> Answer {
    let page = p.page()?;
    let services = app.list_services().await?;
    Ok(page.answer(
        services
            .iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .map(ServiceView::from)
            .collect(),
    ))
}

/// Registers a service: `kind` `rest` with `upstream_url`, or `flow` with
/// `definition`. A flow definition is checked step by step; an error names
/// the step in `rule`.
#[utoipa::path(
    post,
    path = "/services",
    tag = "services",
    request_body = NewService,
    responses(
        (status = 201, description = "Registered; `Location` names it", body = ServiceView),
        (status = 409, response = Conflict),
    )
)]
async fn create_service(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Body(input): Body<ServiceInput>,
) -> Answer {
    let service = app.create_service(&actor, input).await?;
    Ok(created(
        location(&service.path),
        ServiceView::from(&service),
    ))
}

/// One service.
#[utoipa::path(
    get,
    path = "/services/{*path}",
    tag = "services",
    params(("path" = String, Path, description = "The service path, slashes included", example = "orders/createOrder")),
    responses(
        (status = 200, description = "The service", body = ServiceView),
        (status = 404, response = NotFound),
    )
)]
async fn get_service(_: Admin, State(app): State<Arc<App>>, Path(path): Path<String>) -> Answer {
    Ok(Json(ServiceView::from(&app.get_service(&path).await?)).into_response())
}

/// Changes a service; absent fields keep their values. Changing `kind`
/// needs the new kind's fields (`upstream_url` or `definition`).
#[utoipa::path(
    patch,
    path = "/services/{*path}",
    tag = "services",
    params(("path" = String, Path, description = "The service path, slashes included", example = "orders/createOrder")),
    request_body = ServiceInput,
    responses(
        (status = 200, description = "The changed service", body = ServiceView),
        (status = 404, response = NotFound),
    )
)]
async fn update_service(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
    Body(input): Body<ServiceInput>,
) -> Answer {
    let service = app.update_service(&actor, &path, input).await?;
    Ok(Json(ServiceView::from(&service)).into_response())
}

/// Deletes a service. Scopes that name it keep the path, which grants
/// nothing until a service is registered there again.
#[utoipa::path(
    delete,
    path = "/services/{*path}",
    tag = "services",
    params(("path" = String, Path, description = "The service path, slashes included", example = "orders/createOrder")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
    )
)]
async fn delete_service(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
) -> Answer {
    app.delete_service(&actor, &path).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
