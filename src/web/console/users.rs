//! Users (resource owners and administrators): list, add, change the
//! password or the administrator flag, delete.

use super::{
    Chrome, ConsoleAdmin, Pager, Paging, Post, Section, confirm_delete_page, item_path, message_of,
    page_of, status_of, when,
};
use crate::app::App;
use crate::domain::{DomainError, UserInput};
use crate::web::pages::html;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{username}", get(edit_form).post(update))
        .route("/users/{username}/delete", get(confirm_delete).post(delete))
}

const LIST: &str = "/admin/users";

/// A row of the user table.
struct Row {
    username: String,
    href: String,
    admin: bool,
    created: String,
    updated: String,
}

#[derive(askama::Template)]
#[template(path = "console/users.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    /// The add form as typed (never the password).
    username: String,
    admin: bool,
    error: Option<String>,
}

async fn list(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Query(p): Query<Paging>,
) -> Response {
    let notice = admin.take_flash(LIST).notice;
    list_page(&app, &admin, notice, p.offset, (String::new(), false), None).await
}

/// The user table with the add form (`typed`, refused with `error`).
async fn list_page(
    app: &App,
    admin: &ConsoleAdmin,
    notice: Option<String>,
    offset: u32,
    typed: (String, bool),
    error: Option<DomainError>,
) -> Response {
    let mut users = match app.list_users(super::PAGE + 1, offset).await {
        Ok(u) => u,
        Err(e) => return admin.failure(Section::Users, &e),
    };
    let more = page_of(&mut users);
    let rows = users
        .into_iter()
        .map(|u| Row {
            href: item_path("users", &u.username),
            admin: u.admin,
            created: when(u.created_at),
            updated: when(u.updated_at),
            username: u.username,
        })
        .collect();
    let page = ListPage {
        chrome: admin.chrome(Section::Users, notice),
        rows,
        pager: Pager::new(LIST, &[], offset, more),
        username: typed.0,
        admin: typed.1,
        error: error.as_ref().map(message_of),
    };
    html(error.as_ref().map_or(StatusCode::OK, status_of), &page)
}

/// `POST /admin/users`: adds a user.
async fn create(State(app): State<Arc<App>>, post: Post) -> Response {
    let (admin, form) = (post.admin, post.form);
    let input = UserInput {
        username: Some(form.text("username").trim().to_owned()),
        password: Some(form.text("password")),
        admin: Some(form.checked("admin")),
    };
    match app.create_user(&admin.actor(), input).await {
        Ok(u) => admin.done(LIST, format!("User \"{}\" added.", u.username)),
        Err(e) => {
            let typed = (form.text("username"), form.checked("admin"));
            list_page(&app, &admin, None, 0, typed, Some(e)).await
        }
    }
}

#[derive(askama::Template)]
#[template(path = "console/user_form.html")]
struct EditPage {
    chrome: Chrome,
    action: String,
    username: String,
    admin: bool,
    error: Option<String>,
}

fn edit_page(a: &ConsoleAdmin, username: &str, admin: bool, e: Option<DomainError>) -> Response {
    let page = EditPage {
        chrome: a.chrome(Section::Users, None),
        action: item_path("users", username),
        username: username.to_owned(),
        admin,
        error: e.as_ref().map(message_of),
    };
    html(e.as_ref().map_or(StatusCode::OK, status_of), &page)
}

async fn edit_form(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Path(username): Path<String>,
) -> Response {
    match app.get_user(&username).await {
        Ok(u) => edit_page(&admin, &u.username, u.admin, None),
        Err(e) => admin.failure(Section::Users, &e),
    }
}

/// `POST /admin/users/{username}`: a new password (blank keeps it) and
/// the administrator flag.
async fn update(State(app): State<Arc<App>>, Path(username): Path<String>, post: Post) -> Response {
    let (admin, form) = (post.admin, post.form);
    let password = form.text("password");
    let input = UserInput {
        username: None,
        password: (!password.is_empty()).then_some(password),
        admin: Some(form.checked("admin")),
    };
    match app.update_user(&admin.actor(), &username, input).await {
        Ok(u) => admin.done(LIST, format!("User \"{}\" saved.", u.username)),
        Err(e @ DomainError::NotFound(_)) => admin.failure(Section::Users, &e),
        Err(e) => edit_page(&admin, &username, form.checked("admin"), Some(e)),
    }
}

fn confirm_page(admin: &ConsoleAdmin, username: &str, error: Option<DomainError>) -> Response {
    let path = item_path("users", username);
    let message = format!(
        "Delete the user \"{username}\"? Every token issued on their behalf is deleted with them."
    );
    confirm_delete_page(
        admin,
        Section::Users,
        "user",
        &message,
        format!("{path}/delete"),
        LIST.into(),
        error,
    )
}

async fn confirm_delete(
    admin: ConsoleAdmin,
    State(app): State<Arc<App>>,
    Path(username): Path<String>,
) -> Response {
    match app.get_user(&username).await {
        Ok(u) => confirm_page(&admin, &u.username, None),
        Err(e) => admin.failure(Section::Users, &e),
    }
}

/// `POST /admin/users/{username}/delete`.
async fn delete(State(app): State<Arc<App>>, Path(username): Path<String>, post: Post) -> Response {
    let admin = post.admin;
    match app.delete_user(&admin.actor(), &username).await {
        Ok(()) => admin.done(LIST, format!("User \"{username}\" deleted.")),
        Err(e @ DomainError::NotFound(_)) => admin.failure(Section::Users, &e),
        Err(e) => confirm_page(&admin, &username, Some(e)),
    }
}
