//! The audit log: who changed what and when, newest first, filtered by
//! actor, action or target.

use super::{Chrome, ConsoleAdmin, PAGE, Pager, Section, page_of, when};
use crate::app::App;
use crate::domain::AuditFilter;
use crate::web::pages::html;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/audit", get(list))
}

const LIST: &str = "/admin/audit";

/// The filter of the audit log; empty strings mean "any".
#[derive(Debug, Default, Deserialize)]
struct Filter {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    offset: u32,
}

/// A row of the audit table.
struct Row {
    at: String,
    actor: String,
    action: String,
    target: String,
    success: bool,
    /// Pretty-printed JSON, empty when there is none.
    detail: String,
}

#[derive(askama::Template)]
#[template(path = "console/audit.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    rows: Vec<Row>,
    pager: Pager,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

async fn list(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Query(filter): Query<Filter>,
) -> Response {
    let query = AuditFilter {
        actor: some(&filter.actor),
        action: some(&filter.action),
        target: some(&filter.target),
        limit: PAGE + 1,
        offset: filter.offset,
    };
    let mut events = match app.list_audit(&query).await {
        Ok(e) => e,
        Err(e) => return admin.failure(Section::Audit, &e),
    };
    let more = page_of(&mut events);
    let rows = events
        .into_iter()
        .map(|e| Row {
            at: when(e.at),
            success: e.outcome == "success",
            detail: if e.detail.is_null() {
                String::new()
            } else {
                serde_json::to_string_pretty(&e.detail).unwrap_or_default()
            },
            actor: e.actor,
            action: e.action,
            target: e.target.unwrap_or_default(),
        })
        .collect();
    let kept = [
        ("actor", filter.actor.as_str()),
        ("action", filter.action.as_str()),
        ("target", filter.target.as_str()),
    ];
    let page = ListPage {
        chrome: admin.chrome(Section::Audit, None),
        pager: Pager::new(LIST, &kept, filter.offset, more),
        filter,
        rows,
    };
    html(StatusCode::OK, &page)
}
