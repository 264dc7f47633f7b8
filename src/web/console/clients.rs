//! Clients: list, the client's page (client id, the secret once, endpoint
//! URLs), activate or deactivate, rotate the secret, delete. Registering
//! and editing are in [`super::client_form`].

use super::client_form;
use super::{
    Chrome, ConsoleAdmin, Flash, Pager, Paging, Post, Section, confirm_delete_page, item_path,
    message_of, number, page_of, status_of, when,
};
use crate::app::App;
use crate::domain::{Client, ClientInput, DomainError};
use crate::oauth::metadata::{AUTHORIZE_PATH, TOKEN_PATH};
use crate::service::ClientView;
use crate::web::pages::html;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/clients", get(list).post(client_form::create))
        .route("/clients/new", get(client_form::new_form))
        .route("/clients/{id}", get(show).post(client_form::update))
        .route("/clients/{id}/edit", get(client_form::edit_form))
        .route("/clients/{id}/active", post(set_active))
        .route("/clients/{id}/rotate", post(rotate))
        .route("/clients/{id}/delete", get(confirm_delete).post(delete))
}

pub(super) const LIST: &str = "/admin/clients";

#[derive(askama::Template)]
#[template(path = "console/clients.html")]
struct ListPage {
    chrome: Chrome,
    /// (page link, client) of each row.
    rows: Vec<(String, ClientView)>,
    pager: Pager,
}

async fn list(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Query(p): Query<Paging>,
) -> Response {
    let notice = admin.take_flash(LIST).notice;
    let mut clients = match app.list_clients(super::PAGE + 1, p.offset).await {
        Ok(c) => c,
        Err(e) => return admin.failure(Section::Clients, &e),
    };
    let more = page_of(&mut clients);
    let rows = clients
        .iter()
        .map(|c| (item_path("clients", &c.id), ClientView::of(c, None)))
        .collect();
    html(
        StatusCode::OK,
        &ListPage {
            chrome: admin.chrome(Section::Clients, notice),
            rows,
            pager: Pager::new(LIST, &[], p.offset, more),
        },
    )
}

#[derive(askama::Template)]
#[template(path = "console/client.html")]
struct ShowPage {
    chrome: Chrome,
    view: ClientView,
    path: String,
    secret: Option<String>,
    authorize_url: String,
    token_url: String,
    lifetime: String,
    refresh: String,
    created: String,
    updated: String,
    error: Option<String>,
}

async fn show(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Response {
    let flash = admin.take_flash(&item_path("clients", &id));
    show_page(&app, &admin, &id, flash, None).await
}

/// The client's page; `flash.secret` is the secret just generated.
pub(super) async fn show_page(
    app: &App,
    admin: &ConsoleAdmin,
    id: &str,
    flash: Flash,
    error: Option<DomainError>,
) -> Response {
    let client: Client = match app.get_client(id).await {
        Ok(c) => c,
        Err(e) => return admin.failure(Section::Clients, &e),
    };
    let view = ClientView::of(&client, None);
    let base = app.settings.public_url.trim_end_matches('/');
    let page = ShowPage {
        chrome: admin.chrome(Section::Clients, flash.notice),
        path: item_path("clients", &client.id),
        secret: flash.secret,
        authorize_url: format!("{base}{AUTHORIZE_PATH}"),
        token_url: format!("{base}{TOKEN_PATH}"),
        lifetime: match view.access_token_lifetime {
            None => format!(
                "Server default ({})",
                lifetime_text(app.settings.access_token_lifetime)
            ),
            Some(n) => lifetime_text(n),
        },
        refresh: match view.refresh_count {
            -1 => "Unlimited".into(),
            n => n.to_string(),
        },
        created: when(view.created_at),
        updated: when(view.updated_at),
        error: error.as_ref().map(message_of),
        view,
    };
    html(error.as_ref().map_or(StatusCode::OK, status_of), &page)
}

/// `N seconds`, or `never expires` for a negative lifetime.
pub(super) fn lifetime_text(secs: i64) -> String {
    if secs < 0 {
        "never expires".into()
    } else {
        format!("{secs} seconds")
    }
}

/// `POST /admin/clients/{id}/active` with `active=true|false`.
/// Deactivating revokes every token of the client at once.
async fn set_active(State(app): State<Arc<App>>, Path(id): Path<String>, post: Post) -> Response {
    let active = post.form.get("active") == Some("true");
    let input = ClientInput {
        active: Some(active),
        ..ClientInput::default()
    };
    match app.update_client(&post.admin.actor(), &id, input).await {
        Ok(_) => post.admin.done(
            &item_path("clients", &id),
            if active {
                "Client activated."
            } else {
                "Client deactivated; its tokens were revoked."
            },
        ),
        Err(e) => show_page(&app, &post.admin, &id, Flash::default(), Some(e)).await,
    }
}

/// `POST /admin/clients/{id}/rotate` with `overlap` seconds (blank: 0).
async fn rotate(State(app): State<Arc<App>>, Path(id): Path<String>, post: Post) -> Response {
    let admin = post.admin;
    let result = match number(&post.form.text("overlap"), "overlap") {
        Ok(overlap) => {
            let overlap = overlap.unwrap_or(0);
            app.rotate_client_secret(&admin.actor(), &id, overlap)
                .await
                .map(|(_, secret)| (secret, overlap))
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((secret, overlap)) => {
            let old = if overlap > 0 {
                format!("keeps working for {overlap} seconds")
            } else {
                "no longer works".into()
            };
            let flash = Flash {
                notice: Some(format!("New secret generated; the old one {old}.")),
                secret: Some(secret.expose().to_owned()),
            };
            show_page(&app, &admin, &id, flash, None).await
        }
        Err(e) => show_page(&app, &admin, &id, Flash::default(), Some(e)).await,
    }
}

async fn confirm_delete(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Response {
    match app.get_client(&id).await {
        Ok(c) => confirm_page(&admin, &c, None),
        Err(e) => admin.failure(Section::Clients, &e),
    }
}

fn confirm_page(admin: &ConsoleAdmin, c: &Client, error: Option<DomainError>) -> Response {
    let path = item_path("clients", &c.id);
    let message = format!(
        "Delete \"{}\" version {}? Its tokens and authorization codes are deleted with it, \
         and applications using it stop working at once.",
        c.spec.name, c.spec.version
    );
    confirm_delete_page(
        admin,
        Section::Clients,
        "client",
        &message,
        format!("{path}/delete"),
        path,
        error,
    )
}

/// `POST /admin/clients/{id}/delete`.
async fn delete(State(app): State<Arc<App>>, Path(id): Path<String>, post: Post) -> Response {
    let admin = post.admin;
    let client = match app.get_client(&id).await {
        Ok(c) => c,
        Err(e) => return admin.failure(Section::Clients, &e),
    };
    match app.delete_client(&admin.actor(), &id).await {
        Ok(()) => admin.done(LIST, format!("Client \"{}\" deleted.", client.spec.name)),
        Err(e) => confirm_page(&admin, &client, Some(e)),
    }
}
