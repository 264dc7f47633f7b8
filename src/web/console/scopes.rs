//! Scopes: list, add, edit (description and services), delete.

use super::{
    Chrome, ConsoleAdmin, Post, Section, confirm_delete_page, item_path, lines, message_of,
    status_of, when,
};
use crate::app::App;
use crate::domain::scope::ADMIN_SCOPE;
use crate::domain::{DomainError, Scope, ScopeInput};
use crate::web::pages::html;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/scopes", get(list).post(create))
        .route("/scopes/{name}", get(edit_form).post(update))
        .route("/scopes/{name}/delete", get(confirm_delete).post(delete))
}

const LIST: &str = "/admin/scopes";

/// The scope form's fields as typed.
#[derive(Default)]
struct Values {
    name: String,
    description: String,
    services: String,
}

impl Values {
    fn from_form(f: &super::Form) -> Values {
        Values {
            name: f.text("name"),
            description: f.text("description"),
            services: f.text("services"),
        }
    }

    fn input(&self, with_name: bool) -> ScopeInput {
        ScopeInput {
            name: with_name.then(|| self.name.trim().to_owned()),
            description: Some(self.description.clone()),
            services: Some(lines(&self.services)),
        }
    }
}

/// A row of the scope table.
struct Row {
    name: String,
    href: String,
    description: String,
    services: String,
    created: String,
    reserved: bool,
}

#[derive(askama::Template)]
#[template(path = "console/scopes.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    v: Values,
    error: Option<String>,
}

async fn list(admin: ConsoleAdmin, State(app): State<Arc<App>>) -> Response {
    let notice = admin.take_flash(LIST).notice;
    list_page(&app, &admin, notice, Values::default(), None).await
}

/// The scope table with the add form (`v`, refused with `error`).
async fn list_page(
    app: &App,
    admin: &ConsoleAdmin,
    notice: Option<String>,
    v: Values,
    error: Option<DomainError>,
) -> Response {
    let scopes = match app.list_scopes().await {
        Ok(s) => s,
        Err(e) => return admin.failure(Section::Scopes, &e),
    };
    let rows = scopes
        .into_iter()
        .map(|s: Scope| Row {
            href: item_path("scopes", &s.name),
            reserved: s.name == ADMIN_SCOPE,
            services: s.services.join(", "),
            created: when(s.created_at),
            name: s.name,
            description: s.description,
        })
        .collect();
    let page = ListPage {
        chrome: admin.chrome(Section::Scopes, notice),
        rows,
        v,
        error: error.as_ref().map(message_of),
    };
    html(error.as_ref().map_or(StatusCode::OK, status_of), &page)
}

/// `POST /admin/scopes`: adds a scope.
async fn create(State(app): State<Arc<App>>, post: Post) -> Response {
    let (admin, v) = (post.admin, Values::from_form(&post.form));
    match app.create_scope(&admin.actor(), v.input(true)).await {
        Ok(s) => admin.done(LIST, format!("Scope \"{}\" added.", s.name)),
        Err(e) => list_page(&app, &admin, None, v, Some(e)).await,
    }
}

#[derive(askama::Template)]
#[template(path = "console/scope_form.html")]
struct EditPage {
    chrome: Chrome,
    action: String,
    v: Values,
    error: Option<String>,
}

fn edit_page(admin: &ConsoleAdmin, v: Values, error: Option<DomainError>) -> Response {
    let page = EditPage {
        chrome: admin.chrome(Section::Scopes, None),
        action: item_path("scopes", &v.name),
        v,
        error: error.as_ref().map(message_of),
    };
    html(error.as_ref().map_or(StatusCode::OK, status_of), &page)
}

async fn edit_form(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Response {
    match app.get_scope(&name).await {
        Ok(s) => {
            let v = Values {
                services: s.services.join("\n"),
                name: s.name,
                description: s.description,
            };
            edit_page(&admin, v, None)
        }
        Err(e) => admin.failure(Section::Scopes, &e),
    }
}

/// `POST /admin/scopes/{name}`: saves the description and services.
async fn update(State(app): State<Arc<App>>, Path(name): Path<String>, post: Post) -> Response {
    let admin = post.admin;
    let v = Values {
        name: name.clone(),
        ..Values::from_form(&post.form)
    };
    match app
        .update_scope(&admin.actor(), &name, v.input(false))
        .await
    {
        Ok(s) => admin.done(LIST, format!("Scope \"{}\" saved.", s.name)),
        Err(e @ DomainError::NotFound(_)) => admin.failure(Section::Scopes, &e),
        Err(e) => edit_page(&admin, v, Some(e)),
    }
}

fn confirm_page(admin: &ConsoleAdmin, name: &str, error: Option<DomainError>) -> Response {
    let path = item_path("scopes", name);
    let message = format!(
        "Delete the scope \"{name}\"? Clients may no longer request it; tokens already issued keep it until they expire."
    );
    confirm_delete_page(
        admin,
        Section::Scopes,
        "scope",
        &message,
        format!("{path}/delete"),
        LIST.into(),
        error,
    )
}

async fn confirm_delete(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Response {
    match app.get_scope(&name).await {
        Ok(s) => confirm_page(&admin, &s.name, None),
        Err(e) => admin.failure(Section::Scopes, &e),
    }
}

/// `POST /admin/scopes/{name}/delete`.
async fn delete(State(app): State<Arc<App>>, Path(name): Path<String>, post: Post) -> Response {
    let admin = post.admin;
    match app.delete_scope(&admin.actor(), &name).await {
        Ok(()) => admin.done(LIST, format!("Scope \"{name}\" deleted.")),
        Err(e @ DomainError::NotFound(_)) => admin.failure(Section::Scopes, &e),
        Err(e) => confirm_page(&admin, &name, Some(e)),
    }
}
