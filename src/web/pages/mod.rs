//! The login and permissions pages (DESIGN §4): server-rendered askama
//! templates with an embedded stylesheet, no script, and headers that
//! forbid framing, caching and referrers.

pub mod authorize;
pub mod login;

use crate::app::{App, PageSettings};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};

/// Cookie holding the login session id.
pub const SESSION_COOKIE: &str = "fg_session";
/// Cookie holding the CSRF token of the login form (no session yet).
pub const LOGIN_CSRF_COOKIE: &str = "fg_login_csrf";
/// Name of the CSRF field in every form.
pub const CSRF_FIELD: &str = "csrf_token";

#[derive(askama::Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub page: &'a PageSettings,
    pub action: &'static str,
    pub client_name: &'a str,
    pub error: Option<&'a str>,
    pub hidden: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub page: &'a PageSettings,
    pub action: &'static str,
    pub client_name: &'a str,
    pub client_description: &'a str,
    pub username: &'a str,
    /// (name, description) of each requested scope.
    pub scopes: Vec<(String, String)>,
    pub hidden: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub page: &'a PageSettings,
    pub heading: &'a str,
    pub message: &'a str,
    pub is_error: bool,
    /// (action, CSRF token) of a sign-out form.
    pub logout_form: Option<(&'static str, String)>,
}

/// An HTML answer with the page security headers.
pub fn html(status: StatusCode, template: &impl askama::Template) -> Response {
    let body = match template.render() {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            return secure((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response());
        }
    };
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure(response)
}

/// Headers every page carries: no framing (clickjacking on the Grant
/// button), no caching, no referrer (codes must not leak), no sniffing, and
/// a CSP that allows only our stylesheet and images.
pub fn secure(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data: https:; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// An error page: shown to the user, never a redirect.
pub fn error_page(app: &App, status: StatusCode, message: &str) -> Response {
    html(
        status,
        &MessagePage {
            page: &app.settings.pages,
            heading: "This request cannot be completed",
            message,
            is_error: true,
            logout_form: None,
        },
    )
}

/// A cookie for the authorization pages: HttpOnly, SameSite=Lax, Secure
/// when the public URL is https.
pub fn cookie(app: &App, name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/integration/rest/oAuth")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(app.settings.secure_cookies())
        .max_age(time_duration(max_age_secs))
        .build()
}

fn time_duration(secs: i64) -> cookie::time::Duration {
    cookie::time::Duration::seconds(secs)
}

/// Checks a sign-in form's credentials. A wrong user name or password is
/// audited and answers `Ok(None)`; a store failure answers the error page.
pub async fn check_credentials(
    app: &App,
    source: &super::source::Source,
    username: &str,
    password: &str,
    page: &'static str,
) -> Result<Option<crate::domain::User>, Response> {
    if let Err(limited) = app.limiter.check_login(source.ip, username) {
        app.refused(page, &limited).await;
        let secs = limited.retry_after_secs();
        let mut r = error_page(
            app,
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too many sign-in attempts. Wait {secs} seconds, then try again."),
        );
        r.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, secs.into());
        return Err(r);
    }
    let checked = app
        .authenticate_user(username, &crate::crypto::Secret::new(password))
        .await;
    if let Ok(found) = &checked {
        app.limiter.login_result(username, found.is_some());
    }
    match checked {
        Ok(Some(user)) => Ok(Some(user)),
        Ok(None) => {
            app.audit(
                crate::domain::NewAuditEvent::failure("anonymous", "user.login", None)
                    .with_detail(serde_json::json!({ "page": page })),
            )
            .await;
            Ok(None)
        }
        Err(e) => {
            tracing::warn!(error = %e, page, "sign-in: store failure");
            Err(error_page(
                app,
                StatusCode::SERVICE_UNAVAILABLE,
                "Signing in is not possible right now; try again later.",
            ))
        }
    }
}

/// Signs `username` in: ends the session named by the old cookie value, if
/// any (no fixation), and starts a new one. Returns the new session id for
/// the caller's cookie, or the error page to show.
pub async fn begin_session(
    app: &App,
    old_session: Option<&str>,
    username: &str,
) -> Result<crate::crypto::Secret, Response> {
    if let Some(old) = old_session
        && let Err(e) = app.end_session(old).await
    {
        tracing::warn!(error = %e, "could not end the previous session");
    }
    match app.start_session(username).await {
        Ok((id, _)) => Ok(id),
        Err(e) => {
            tracing::warn!(error = %e, "login: could not store the session");
            Err(error_page(
                app,
                StatusCode::SERVICE_UNAVAILABLE,
                "Signing in is not possible right now; try again later.",
            ))
        }
    }
}

/// `GET /assets/flowgate.css`: the embedded stylesheet.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../assets/flowgate.css"),
    )
        .into_response()
}
