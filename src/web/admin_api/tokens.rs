//! `/tokens`: access token records (never the tokens themselves), "Add New
//! Token", and revocation.

use super::openapi::{NotFound, ValidationFailed};
use super::{Admin, Answer, Body, Listing, PageParams, Params, created, invalid, non_empty};
use crate::app::App;
use crate::domain::{DomainError, TokenFilter, TokenState};
use crate::service::{MintedToken, TokenView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, mint_token))
        .routes(routes!(get_token, revoke_token))
}

/// Which token records to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TokenParams {
    /// Only tokens of this client.
    client_id: Option<String>,
    /// Only tokens issued on behalf of this user.
    username: Option<String>,
    /// Only tokens in this state.
    #[param(value_type = Option<TokenState>)]
    state: Option<String>,
}

/// Lists access token records, newest first.
#[utoipa::path(
    get,
    path = "/tokens",
    tag = "tokens",
    params(TokenParams, PageParams),
    responses(
        (status = 200, description = "One page of token records", body = Listing<TokenView>),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_tokens(
    _: Admin,
    State(app): State<Arc<App>>,
    Params(q): Params<TokenParams>,
    Params(p): Params<PageParams>,
) -> Answer {
    let page = p.page()?;
    let state = match q.state {
        None => None,
        Some(s) => Some(
            TokenState::parse(&s)
                .ok_or_else(|| invalid("state", "must be one of active, expired, revoked"))?,
        ),
    };
    let filter = TokenFilter {
        client_id: non_empty(q.client_id),
        username: non_empty(q.username),
        state,
        limit: page.limit,
        offset: page.offset,
    };
    Ok(page.answer(app.list_tokens(&filter).await?))
}

/// "Add New Token": what to mint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MintRequest {
    /// The client the token is for; it must be active.
    client_id: String,
    /// Space-separated; default: every registered scope the client may request.
    scope: Option<String>,
    /// Seconds, up to ten years; `-1` never expires; default: the client's lifetime.
    #[schema(minimum = -1, maximum = 315_360_000)]
    expires_in: Option<i64>,
}

/// "Add New Token": mints an access token for a client, answered like a
/// token response plus the record `id`. The token is shown only here.
#[utoipa::path(
    post,
    path = "/tokens",
    tag = "tokens",
    request_body = MintRequest,
    responses(
        (status = 201, description = "Minted; `Location` names the record", body = MintedToken),
    )
)]
async fn mint_token(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Body(req): Body<MintRequest>,
) -> Answer {
    let minted = app
        .mint_token(&actor, &req.client_id, req.scope.as_deref(), req.expires_in)
        .await
        .map_err(|e| match e {
            DomainError::NotFound(_) => DomainError::invalid("client_id", "no such client"),
            e => e,
        })?;
    Ok(created(
        format!("{}/tokens/{}", super::PREFIX, minted.id),
        minted,
    ))
}

/// One access token record.
#[utoipa::path(
    get,
    path = "/tokens/{id}",
    tag = "tokens",
    params(("id" = String, Path, format = Uuid, description = "The record id")),
    responses(
        (status = 200, description = "The token record", body = TokenView),
        (status = 404, response = NotFound),
    )
)]
async fn get_token(_: Admin, State(app): State<Arc<App>>, Path(id): Path<String>) -> Answer {
    Ok(Json(app.get_token(&id).await?).into_response())
}

/// Revokes an access token at once; revoking it again succeeds.
#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    tag = "tokens",
    params(("id" = String, Path, format = Uuid, description = "The record id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, response = NotFound),
    )
)]
async fn revoke_token(
    Admin(actor): Admin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Answer {
    app.revoke_token_by_id(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
