//! `/scopes`: the scopes clients may request and the services each grants.

use super::openapi::{Conflict, NewScope, NotFound, ValidationFailed};
use super::{Admin, Answer, Body, Listing, PageParams, Params, created, path_segment};
use crate::app::App;
use crate::domain::{Scope, ScopeInput};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(list_scopes, create_scope))
        .routes(routes!(get_scope, update_scope, delete_scope))
}

/// Lists scopes by name.
#[utoipa::path(
    get,
    path = "/scopes",
    tag = "scopes",
    params(PageParams),
    responses(
        (status = 200, description = "One page of scopes", body = Listing<Scope>),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_scopes(
    _: Admin,
    State(app): State<Arc<App>>,
    Params(p): Params<PageParams>,
) -> Answer {
    let page = p.page()?;
    // Scopes are few and cached whole; the page is cut here.
    let scopes = app.list_scopes().await?;
    Ok(page.answer(
        scopes
            .into_iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .collect(),
    ))
}

/// Registers a scope.
#[utoipa::path(
    post,
    path = "/scopes",
    tag = "scopes",
    request_body = NewScope,
    responses(
        (status = 201, description = "Registered; `Location` names it", body = Scope),
        (status = 409, response = Conflict),
    )
)]
async fn create_scope(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Body(input): Body<ScopeInput>,
) -> Answer {
    let scope = app.create_scope(&actor, input).await?;
    let location = format!("{}/scopes/{}", super::PREFIX, path_segment(&scope.name));
    Ok(created(location, scope))
}

/// One scope.
#[utoipa::path(
    get,
    path = "/scopes/{name}",
    tag = "scopes",
    params(("name" = String, Path, description = "The scope name")),
    responses(
        (status = 200, description = "The scope", body = Scope),
        (status = 404, response = NotFound),
    )
)]
async fn get_scope(_: Admin, State(app): State<Arc<App>>, Path(name): Path<String>) -> Answer {
    Ok(Json(app.get_scope(&name).await?).into_response())
}

/// Changes the description or the services; the name cannot change.
#[utoipa::path(
    patch,
    path = "/scopes/{name}",
    tag = "scopes",
    params(("name" = String, Path, description = "The scope name")),
    request_body = ScopeInput,
    responses(
        (status = 200, description = "The changed scope", body = Scope),
        (status = 404, response = NotFound),
    )
)]
async fn update_scope(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Body(input): Body<ScopeInput>,
) -> Answer {
    Ok(Json(app.update_scope(&actor, &name, input).await?).into_response())
}

/// Deletes a scope; tokens already issued keep it. The reserved `admin`
/// scope cannot be deleted (422).
#[utoipa::path(
    delete,
    path = "/scopes/{name}",
    tag = "scopes",
    params(("name" = String, Path, description = "The scope name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
async fn delete_scope(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Answer {
    app.delete_scope(&actor, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
