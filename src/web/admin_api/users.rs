//! `/users`: resource owners and administrators. Passwords go in, never out.

use super::openapi::{Conflict, NewUser, NotFound, ValidationFailed};
use super::{Admin, Answer, Body, Listing, PageParams, Params, created, path_segment};
use crate::app::App;
use crate::domain::UserInput;
use crate::service::UserView;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
}

/// Lists users by name.
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    params(PageParams),
    responses(
        (status = 200, description = "One page of users", body = Listing<UserView>),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_users(
    _: Admin,
    State(app): State<Arc<App>>,
    Params(p): Params<PageParams>,
) -> Answer {
    let page = p.page()?;
    let users = app.list_users(page.limit, page.offset).await?;
    Ok(page.answer(users.iter().map(UserView::from).collect()))
}

/// Creates a user; `admin: true` makes an administrator.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "Created; `Location` names it", body = UserView),
        (status = 409, response = Conflict),
    )
)]
async fn create_user(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Body(input): Body<UserInput>,
) -> Answer {
    let user = app.create_user(&actor, input).await?;
    Ok(created(
        format!("{}/users/{}", super::PREFIX, path_segment(&user.username)),
        UserView::from(&user),
    ))
}

/// One user.
#[utoipa::path(
    get,
    path = "/users/{username}",
    tag = "users",
    params(("username" = String, Path, description = "The user name")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 404, response = NotFound),
    )
)]
async fn get_user(_: Admin, State(app): State<Arc<App>>, Path(username): Path<String>) -> Answer {
    Ok(Json(UserView::from(&app.get_user(&username).await?)).into_response())
}

/// Changes the password or the administrator flag; the last administrator
/// keeps the flag (422).
#[utoipa::path(
    patch,
    path = "/users/{username}",
    tag = "users",
    params(("username" = String, Path, description = "The user name")),
    request_body = UserInput,
    responses(
        (status = 200, description = "The changed user", body = UserView),
        (status = 404, response = NotFound),
    )
)]
async fn update_user(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(username): Path<String>,
    Body(input): Body<UserInput>,
) -> Answer {
    let user = app.update_user(&actor, &username, input).await?;
    Ok(Json(UserView::from(&user)).into_response())
}

/// Deletes a user and the tokens issued on their behalf; the last
/// administrator cannot be deleted (409).
#[utoipa::path(
    delete,
    path = "/users/{username}",
    tag = "users",
    params(("username" = String, Path, description = "The user name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn delete_user(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(username): Path<String>,
) -> Answer {
    app.delete_user(&actor, &username).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
