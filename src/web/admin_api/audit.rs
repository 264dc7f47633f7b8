//! `/audit`: the audit log, newest first. Events never hold secrets.

use super::openapi::ValidationFailed;
use super::{Admin, Answer, Listing, PageParams, Params, non_empty};
use crate::app::App;
use crate::domain::{AuditEvent, AuditFilter};
use axum::extract::State;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Which audit events to list; each filter matches exactly.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// Who acted, e.g. `admin:alice`, `client:<client_id>`, `cli`, `system`.
    actor: Option<String>,
    /// What was done, e.g. `client.create`, `token.revoke`.
    action: Option<String>,
    /// The record acted on, e.g. a client_id or a token record id.
    target: Option<String>,
}

/// Lists audit events, newest first.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    params(AuditParams, PageParams),
    responses(
        (status = 200, description = "One page of audit events", body = Listing<AuditEvent>),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_audit(
    _: Admin,
    State(app): State<Arc<App>>,
    Params(q): Params<AuditParams>,
    Params(p): Params<PageParams>,
) -> Answer {
    let page = p.page()?;
    let filter = AuditFilter {
        actor: non_empty(q.actor),
        action: non_empty(q.action),
        target: non_empty(q.target),
        limit: page.limit,
        offset: page.offset,
    };
    Ok(page.answer(app.list_audit(&filter).await?))
}
