//! Console sign-in and sign-out. The login form is protected by a
//! double-submit CSRF token (cookie and field); a successful login always
//! starts a new session (no fixation).

use super::{BASE, ConsoleAdmin, LOGIN_CSRF_COOKIE, Post, SESSION_COOKIE, cookie, redirect};
use crate::app::{App, PageSettings};
use crate::crypto::random_secret;
use crate::domain::NewAuditEvent;
use crate::oauth::session::csrf_matches;
use crate::web::pages::{CSRF_FIELD, begin_session, check_credentials, error_page, html};
use crate::web::source::Source;
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

#[derive(askama::Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    page: &'a PageSettings,
    action: String,
    csrf: String,
    username: &'a str,
    error: Option<&'a str>,
    notice: Option<&'a str>,
}

/// The login page, with a CSRF cookie set if the browser has none.
fn login_page(
    app: &App,
    jar: CookieJar,
    status: StatusCode,
    username: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response {
    let (jar, csrf) = match jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned()) {
        Some(token) if !token.is_empty() => (jar, token),
        _ => {
            let token = random_secret("").expose().to_owned();
            let jar = jar.add(cookie(app, LOGIN_CSRF_COOKIE, token.clone(), 3600));
            (jar, token)
        }
    };
    let page = LoginPage {
        page: &app.settings.pages,
        action: format!("{BASE}/login"),
        csrf,
        username,
        error,
        notice,
    };
    (jar, html(status, &page)).into_response()
}

#[derive(Deserialize)]
struct LoginQuery {
    signed_out: Option<String>,
}

/// `GET /admin/login`; an administrator already signed in goes on.
async fn login_form(
    admin: Option<ConsoleAdmin>,
    State(app): State<Arc<App>>,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> Response {
    if admin.is_some() {
        return redirect(&format!("{BASE}/clients"));
    }
    let notice = q.signed_out.map(|_| "You are signed out.");
    login_page(&app, jar, StatusCode::OK, "", None, notice)
}

/// `POST /admin/login`.
async fn login(
    State(app): State<Arc<App>>,
    Extension(source): Extension<Source>,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let form = super::Form::parse(&body);
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if !csrf_matches(&expected, form.get(CSRF_FIELD)) {
        return error_page(
            &app,
            StatusCode::FORBIDDEN,
            "This form has expired or did not come from this site. Reload the sign-in page and try again.",
        );
    }
    let username = form.text("username");
    let password = form.text("password");
    if username.is_empty() || password.is_empty() {
        let message = "Enter your user name and password.";
        return login_page(&app, jar, StatusCode::OK, &username, Some(message), None);
    }
    let user = match check_credentials(&app, &source, &username, &password, "console").await {
        Ok(u) => u,
        Err(page) => return page,
    };
    let Some(user) = user else {
        let message = "The user name or password is wrong.";
        return login_page(&app, jar, StatusCode::OK, &username, Some(message), None);
    };
    if !user.admin {
        app.audit(
            NewAuditEvent::failure(
                format!("user:{}", user.username),
                "user.login",
                user.username.clone(),
            )
            .with_detail(
                serde_json::json!({ "page": "console", "reason": "not an administrator" }),
            ),
        )
        .await;
        let message = "This account is not an administrator.";
        return login_page(
            &app,
            jar,
            StatusCode::FORBIDDEN,
            &username,
            Some(message),
            None,
        );
    }
    let old = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());
    let id = match begin_session(&app, old.as_deref(), &user.username).await {
        Ok(id) => id,
        Err(page) => return page,
    };
    let jar = jar
        .add(cookie(
            &app,
            SESSION_COOKIE,
            id.expose().to_owned(),
            app.settings.session_lifetime,
        ))
        .remove(Cookie::build(LOGIN_CSRF_COOKIE).path(BASE));
    (jar, redirect(&format!("{BASE}/clients"))).into_response()
}

/// `POST /admin/logout`: ends the session.
async fn logout(State(app): State<Arc<App>>, jar: CookieJar, post: Post) -> Response {
    if let Some(c) = jar.get(SESSION_COOKIE)
        && let Err(e) = app.end_session(c.value()).await
    {
        tracing::warn!(error = %e, "console logout: could not delete the session");
    }
    app.audit(NewAuditEvent::success(
        post.admin.actor(),
        "user.logout",
        post.admin.username.clone(),
    ))
    .await;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path(BASE));
    (jar, redirect(&format!("{BASE}/login?signed_out=1"))).into_response()
}
