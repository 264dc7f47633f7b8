//! `/clients`: register, list, read, change, delete client applications
//! and rotate their secrets.

use super::input::parse_json;
use super::openapi::{Conflict, NewClient, NotFound, ValidationFailed};
use super::{Admin, Answer, Body, Listing, PageParams, Params, created, secret_ok};
use crate::app::App;
use crate::domain::{ClientInput, DomainError};
use crate::service::ClientView;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, update_client, delete_client))
        .routes(routes!(rotate_secret))
}

/// Lists clients, oldest first.
#[utoipa::path(
    get,
    path = "/clients",
    tag = "clients",
    params(PageParams),
    responses(
        (status = 200, description = "One page of clients", body = Listing<ClientView>),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_clients(
    _: Admin,
    State(app): State<Arc<App>>,
    Params(p): Params<PageParams>,
) -> Answer {
    let page = p.page()?;
    let clients = app.list_clients(page.limit, page.offset).await?;
    Ok(page.answer(clients.iter().map(|c| ClientView::of(c, None)).collect()))
}

/// Registers a client. A confidential client's `client_secret` is in this
/// answer only; it is stored as a hash.
#[utoipa::path(
    post,
    path = "/clients",
    tag = "clients",
    request_body = NewClient,
    responses(
        (status = 201, description = "Registered; `Location` names it", body = ClientView),
        (status = 409, response = Conflict),
    )
)]
async fn create_client(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Body(input): Body<ClientInput>,
) -> Answer {
    let (client, secret) = app.create_client(&actor, input).await?;
    Ok(created(
        format!("{}/clients/{}", super::PREFIX, client.id),
        ClientView::of(&client, secret.as_ref()),
    ))
}

/// One client (never its secret).
#[utoipa::path(
    get,
    path = "/clients/{id}",
    tag = "clients",
    params(("id" = String, Path, description = "The client_id")),
    responses(
        (status = 200, description = "The client", body = ClientView),
        (status = 404, response = NotFound),
    )
)]
async fn get_client(_: Admin, State(app): State<Arc<App>>, Path(id): Path<String>) -> Answer {
    Ok(Json(ClientView::of(&app.get_client(&id).await?, None)).into_response())
}

/// Changes the fields given; deactivating a client revokes its tokens.
#[utoipa::path(
    patch,
    path = "/clients/{id}",
    tag = "clients",
    params(("id" = String, Path, description = "The client_id")),
    request_body = ClientInput,
    responses(
        (status = 200, description = "The changed client", body = ClientView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn update_client(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(input): Body<ClientInput>,
) -> Answer {
    let client = app.update_client(&actor, &id, input).await?;
    Ok(Json(ClientView::of(&client, None)).into_response())
}

/// Deletes a client with all its tokens.
#[utoipa::path(
    delete,
    path = "/clients/{id}",
    tag = "clients",
    params(("id" = String, Path, description = "The client_id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
    )
)]
async fn delete_client(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Answer {
    app.delete_client(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// How to rotate a secret.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Seconds the old secret keeps working, 0 (default) to 2592000 (30 days).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 2_592_000)]
    overlap_seconds: i64,
}

/// Gives a confidential client a new secret, shown in this answer only;
/// the old one keeps working for `overlap_seconds`. The body is optional.
#[utoipa::path(
    post,
    path = "/clients/{id}/secret",
    tag = "clients",
    params(("id" = String, Path, description = "The client_id")),
    request_body(content = Option<Rotation>, description = "Optional; default no overlap"),
    responses(
        (status = 200, description = "The client with its new `client_secret`", body = ClientView),
        (status = 404, response = NotFound),
    )
)]
async fn rotate_secret(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let rotation = if body.iter().all(u8::is_ascii_whitespace) {
        Rotation::default()
    } else {
        parse_json::<Rotation>(&body)?
    };
    let (client, secret) = app
        .rotate_client_secret(&actor, &id, rotation.overlap_seconds)
        .await
        .map_err(|e| match e {
            DomainError::Invalid {
                field: "overlap",
                rule,
            } => DomainError::invalid("overlap_seconds", rule),
            e => e,
        })?;
    Ok(secret_ok(ClientView::of(&client, Some(&secret))))
}
