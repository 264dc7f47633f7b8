//! Token Management: access tokens with client, user, scope, issue and
//! expiry time and state; filter, revoke one or many, and "Add New Token"
//! (shown once).

use super::{
    Chrome, ConsoleAdmin, Flash, Pager, Post, Section, item_path, message_of, number, page_of,
    status_of, when, with_query,
};
use crate::app::App;
use crate::domain::{Client, DomainError, TokenFilter, TokenState};
use crate::web::pages::html;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/tokens", get(list).post(mint))
        .route("/tokens/new", get(new_form))
        .route("/tokens/revoke", post(revoke))
}

const LIST: &str = "/admin/tokens";

/// The filter of the token list; empty strings mean "any".
#[derive(Debug, Clone, Default, Deserialize)]
struct Filter {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    offset: u32,
}

impl Filter {
    fn from_form(f: &super::Form) -> Filter {
        Filter {
            client_id: f.text("client_id"),
            username: f.text("username"),
            state: f.text("state"),
            offset: 0,
        }
    }

    fn query(&self) -> [(&'static str, &str); 3] {
        [
            ("client_id", &self.client_id),
            ("username", &self.username),
            ("state", &self.state),
        ]
    }

    /// The list page showing this filter's first page.
    fn location(&self) -> String {
        with_query(LIST, &self.query())
    }
}

/// A row of the token table.
struct Row {
    id: String,
    client: String,
    client_href: String,
    username: String,
    scope: String,
    grant_type: &'static str,
    issued: String,
    expires: String,
    state: &'static str,
    label: &'static str,
}

#[derive(askama::Template)]
#[template(path = "console/tokens.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    /// "Add New Token" for the client filtered on.
    new_href: String,
    /// (id, label) of every client, for the filter.
    clients: Vec<(String, String)>,
    rows: Vec<Row>,
    pager: Pager,
    /// A token just added, shown once.
    new_token: Option<String>,
}

/// Every client as (id, "name version"), for selects and labels.
async fn client_labels(app: &App) -> Result<Vec<(String, String, bool)>, DomainError> {
    let clients: Vec<Client> = app.list_clients(1000, 0).await?;
    Ok(clients
        .into_iter()
        .map(|c| {
            let label = format!("{} {}", c.spec.name, c.spec.version);
            (c.id, label, c.spec.active)
        })
        .collect())
}

async fn list(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Query(filter): Query<Filter>,
) -> Response {
    let flash = admin.take_flash(LIST);
    list_page(&app, &admin, &filter, flash).await
}

/// The token list under `filter`; `flash.secret` is a token just minted.
async fn list_page(app: &App, admin: &ConsoleAdmin, filter: &Filter, flash: Flash) -> Response {
    let clients = match client_labels(app).await {
        Ok(c) => c,
        Err(e) => return admin.failure(Section::Tokens, &e),
    };
    let query = TokenFilter {
        client_id: Some(filter.client_id.clone()).filter(|s| !s.is_empty()),
        username: Some(filter.username.trim().to_owned()).filter(|s| !s.is_empty()),
        state: TokenState::parse(&filter.state),
        limit: super::PAGE + 1,
        offset: filter.offset,
    };
    let mut tokens = match app.list_tokens(&query).await {
        Ok(t) => t,
        Err(e) => return admin.failure(Section::Tokens, &e),
    };
    let more = page_of(&mut tokens);
    let names: HashMap<&str, &str> = clients
        .iter()
        .map(|(id, label, _)| (id.as_str(), label.as_str()))
        .collect();
    let rows = tokens
        .into_iter()
        .map(|t| Row {
            client: names
                .get(t.client_id.as_str())
                .map_or_else(|| t.client_id.clone(), |n| (*n).to_owned()),
            client_href: item_path("clients", &t.client_id),
            username: t.username.unwrap_or_default(),
            scope: t.scope,
            grant_type: t.grant_type,
            issued: when(t.issued_at),
            expires: t.expires_at.map_or_else(|| "Never".into(), when),
            label: match t.state {
                "active" => "Active",
                "expired" => "Expired",
                _ => "Revoked",
            },
            state: t.state,
            id: t.id,
        })
        .collect();
    let page = ListPage {
        chrome: admin.chrome(Section::Tokens, flash.notice),
        pager: Pager::new(LIST, &filter.query(), filter.offset, more),
        new_href: with_query("/admin/tokens/new", &[("client_id", &filter.client_id)]),
        filter: filter.clone(),
        clients: clients
            .into_iter()
            .map(|(id, label, _)| (id, label))
            .collect(),
        rows,
        new_token: flash.secret,
    };
    html(StatusCode::OK, &page)
}

/// `POST /admin/tokens/revoke` with the ticked `id`s; back to the same
/// filter.
async fn revoke(State(app): State<Arc<App>>, post: Post) -> Response {
    let (admin, form) = (post.admin, post.form);
    let ids = form.all("id");
    let back = Filter::from_form(&form).location();
    if ids.is_empty() {
        return admin.done(&back, "Select the tokens to revoke first.");
    }
    let (mut revoked, mut missing) = (0, 0);
    for id in &ids {
        match app.revoke_token_by_id(&admin.actor(), id).await {
            Ok(()) => revoked += 1,
            Err(DomainError::NotFound(_)) => missing += 1,
            Err(e) => return admin.failure(Section::Tokens, &e),
        }
    }
    let mut notice = match revoked {
        1 => "Revoked 1 token.".to_owned(),
        n => format!("Revoked {n} tokens."),
    };
    if missing > 0 {
        notice.push_str(&format!(" {missing} no longer existed."));
    }
    admin.done(&back, notice)
}

#[derive(askama::Template)]
#[template(path = "console/token_form.html")]
struct FormPage {
    chrome: Chrome,
    /// (id, label) of every active client.
    clients: Vec<(String, String)>,
    client_id: String,
    scope: String,
    expires_in: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    #[serde(default)]
    client_id: String,
}

async fn form_page(
    app: &App,
    admin: &ConsoleAdmin,
    typed: (String, String, String),
    error: Option<DomainError>,
) -> Response {
    let clients = match client_labels(app).await {
        Ok(c) => c,
        Err(e) => return admin.failure(Section::Tokens, &e),
    };
    let page = FormPage {
        chrome: admin.chrome(Section::Tokens, None),
        clients: clients
            .into_iter()
            .filter(|c| c.2)
            .map(|(id, label, _)| (id, label))
            .collect(),
        client_id: typed.0,
        scope: typed.1,
        expires_in: typed.2,
        error: error.as_ref().map(message_of),
    };
    html(error.as_ref().map_or(StatusCode::OK, status_of), &page)
}

async fn new_form(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Query(q): Query<NewQuery>,
) -> Response {
    form_page(
        &app,
        &admin,
        (q.client_id, String::new(), String::new()),
        None,
    )
    .await
}

/// `POST /admin/tokens`: "Add New Token". The list then shows it once.
async fn mint(State(app): State<Arc<App>>, post: Post) -> Response {
    let (admin, form) = (post.admin, post.form);
    let typed = (
        form.text("client_id"),
        form.text("scope"),
        form.text("expires_in"),
    );
    let scope = typed.1.trim();
    let result = match number(&typed.2, "expires_in") {
        Ok(expires_in) => app
            .mint_token(
                &admin.actor(),
                &typed.0,
                (!scope.is_empty()).then_some(scope),
                expires_in,
            )
            .await
            .map_err(|e| match e {
                DomainError::NotFound(_) => DomainError::invalid("client_id", "no such client"),
                e => e,
            }),
        Err(e) => Err(e),
    };
    match result {
        Ok(m) => {
            let expiry = m.expires_in.map_or_else(
                || "never expires".into(),
                |s| format!("expires in {s} seconds"),
            );
            let scope = if m.scope.is_empty() {
                "no scope".to_owned()
            } else {
                format!("scope \"{}\"", m.scope)
            };
            let flash = Flash {
                notice: Some(format!("Access token added: {scope}, {expiry}.")),
                secret: Some(m.access_token),
            };
            let back = Filter {
                client_id: m.client_id,
                ..Filter::default()
            };
            // The token is shown by this response, exactly once.
            list_page(&app, &admin, &back, flash).await
        }
        Err(e) => form_page(&app, &admin, typed, Some(e)).await,
    }
}
