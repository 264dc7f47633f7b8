//! The web console at `/admin/` (DESIGN §6): server-rendered pages over the
//! same [`App`] operations as the admin API and the CLI. No script: every
//! change is a form POST carrying the session's CSRF token, answered with a
//! 303 to the page that shows the result (post/redirect/get).

pub mod audit;
pub mod client_form;
pub mod clients;
pub mod form;
pub mod login;
pub mod scopes;
pub mod services;
pub mod tokens;
pub mod users;
pub mod view;

use super::pages::{CSRF_FIELD, html};
use crate::app::App;
use crate::domain::DomainError;
use crate::oauth::session::csrf_matches;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use std::convert::Infallible;
use std::sync::Arc;

pub use super::pages::authorize::redirect;
pub use form::{Form, lines, number};
pub use view::{
    Chrome, ConfirmPage, MessagePage, PAGE, Pager, Paging, Section, item_path, page_of, when,
    with_query,
};

/// Cookie holding the console session id.
pub const SESSION_COOKIE: &str = "fg_admin_session";
/// Cookie holding the CSRF token of the console login form.
pub const LOGIN_CSRF_COOKIE: &str = "fg_admin_login_csrf";
/// Where the console lives; its cookies are scoped to it.
pub const BASE: &str = "/admin";

/// Every console route, with full paths under [`BASE`]: `/admin` and
/// `/admin/` both lead to the front page (a router nested at `/admin`
/// cannot match `/admin/`).
pub fn routes(app: Arc<App>) -> Router<Arc<App>> {
    let areas = Router::new()
        .merge(login::routes())
        .merge(clients::routes())
        .merge(scopes::routes())
        .merge(users::routes())
        .merge(services::routes())
        .merge(tokens::routes())
        .merge(audit::routes());
    Router::new()
        .route(BASE, get(home))
        .route("/admin/", get(home))
        .nest(BASE, areas)
        .layer(axum::middleware::from_fn_with_state(app, clear_notice))
}

/// `GET /admin/`: the client list is the console's front page.
async fn home(_: ConsoleAdmin) -> Response {
    redirect(&format!("{BASE}/clients"))
}

/// A console cookie: Path=/admin, HttpOnly, SameSite=Strict, Secure when
/// the public URL is https.
pub fn cookie(app: &App, name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
    console_cookie(app.settings.secure_cookies(), name, value, max_age_secs)
}

fn console_cookie(
    secure: bool,
    name: &'static str,
    value: String,
    max_age_secs: i64,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(BASE)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
}

/// What a page shows once: a notice left by the change that redirected
/// to it, and a secret (client secret, minted token) that the change's own
/// response shows. Secrets are never kept anywhere; notices travel in a
/// short-lived cookie, so any node behind a load balancer can show them.
#[derive(Debug, Clone, Default)]
pub struct Flash {
    pub notice: Option<String>,
    pub secret: Option<String>,
}

impl Flash {
    pub fn notice(text: impl Into<String>) -> Flash {
        Flash {
            notice: Some(text.into()),
            secret: None,
        }
    }
}

/// Cookie carrying a notice to the page a change redirects to.
const NOTICE_COOKIE: &str = "fg_admin_notice";

/// The notice cookie's value: the page it is for, then the text.
fn encode_notice(path: &str, text: &str) -> String {
    let raw = format!("{path}\n{text}");
    percent_encoding::utf8_percent_encode(&raw, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn decode_notice(value: &str) -> Option<(String, String)> {
    let raw = percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .ok()?;
    let (path, text) = raw.split_once('\n')?;
    Some((path.to_owned(), text.to_owned()))
}

/// Clears the notice cookie once a page (not a redirect) was served with it.
async fn clear_notice(
    State(app): State<Arc<App>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let had_notice = CookieJar::from_headers(req.headers())
        .get(NOTICE_COOKIE)
        .is_some();
    let response = next.run(req).await;
    if had_notice && !response.status().is_redirection() {
        let gone = cookie(&app, NOTICE_COOKIE, String::new(), 0);
        return (CookieJar::new().add(gone), response).into_response();
    }
    response
}

/// A signed-in administrator: a live console session of a user who is
/// still an administrator. Anyone else is sent to the login page.
pub struct ConsoleAdmin {
    pub username: String,
    pub csrf: String,
    /// The notice cookie's page and text, if the request carried one.
    notice: Option<(String, String)>,
    /// Whether cookies get the Secure attribute.
    secure: bool,
}

impl ConsoleAdmin {
    /// The audit actor of this administrator's changes.
    pub fn actor(&self) -> String {
        format!("admin:{}", self.username)
    }

    pub fn chrome(&self, section: Section, notice: Option<String>) -> Chrome {
        Chrome {
            username: self.username.clone(),
            csrf: self.csrf.clone(),
            section,
            notice,
        }
    }

    /// The notice left for `path` (without query) by the change that
    /// redirected here, if any.
    pub fn take_flash(&self, path: &str) -> Flash {
        let notice = self
            .notice
            .as_ref()
            .filter(|(p, _)| p == path)
            .map(|(_, text)| text.clone());
        Flash {
            notice,
            secret: None,
        }
    }

    /// Redirects to `location` with a notice for its page.
    pub fn done(&self, location: &str, notice: impl AsRef<str>) -> Response {
        let page = location.split('?').next().unwrap_or(location);
        let value = encode_notice(page, notice.as_ref());
        let jar = CookieJar::new().add(console_cookie(self.secure, NOTICE_COOKIE, value, 60));
        (jar, redirect(location)).into_response()
    }

    /// A page with a heading and a message inside the console chrome.
    pub fn message(
        &self,
        section: Section,
        status: StatusCode,
        heading: &str,
        message: &str,
    ) -> Response {
        html(
            status,
            &MessagePage {
                chrome: self.chrome(section, None),
                heading,
                message,
                is_error: status.is_client_error() || status.is_server_error(),
            },
        )
    }

    /// The page for a failed operation.
    pub fn failure(&self, section: Section, e: &DomainError) -> Response {
        let heading = match e {
            DomainError::NotFound(_) => "Not found",
            _ => "This change was not made",
        };
        self.message(section, status_of(e), heading, &message_of(e))
    }
}

impl FromRequestParts<Arc<App>> for ConsoleAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let to_login = || redirect(&format!("{BASE}/login"));
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(to_login());
        };
        let session = match app.session(cookie.value()).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(to_login()),
            Err(e) => {
                tracing::warn!(error = %e, "console: session lookup failed");
                return Err(unavailable(app));
            }
        };
        match app.get_user(&session.username).await {
            Ok(user) if user.admin => Ok(ConsoleAdmin {
                username: user.username,
                csrf: session.csrf_token,
                notice: jar
                    .get(NOTICE_COOKIE)
                    .and_then(|c| decode_notice(c.value())),
                secure: app.settings.secure_cookies(),
            }),
            Ok(_) | Err(DomainError::NotFound(_)) => Err(to_login()),
            Err(e) => {
                tracing::warn!(error = %e, "console: user lookup failed");
                Err(unavailable(app))
            }
        }
    }
}

impl OptionalFromRequestParts<Arc<App>> for ConsoleAdmin {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Option<Self>, Infallible> {
        Ok(
            <Self as FromRequestParts<_>>::from_request_parts(parts, app)
                .await
                .ok(),
        )
    }
}

/// A form POST of a signed-in administrator whose CSRF token matched.
pub struct Post {
    pub admin: ConsoleAdmin,
    pub form: Form,
}

impl FromRequest<Arc<App>> for Post {
    type Rejection = Response;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let admin =
            <ConsoleAdmin as FromRequestParts<Arc<App>>>::from_request_parts(&mut parts, app)
                .await?;
        let section = Section::of_path(parts.uri.path());
        let bytes = Bytes::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = Form::parse(&bytes);
        if !csrf_matches(&admin.csrf, form.get(CSRF_FIELD)) {
            return Err(admin.message(
                section,
                StatusCode::FORBIDDEN,
                "Forbidden",
                "This form has expired or did not come from this console. Reload the page and try again.",
            ));
        }
        Ok(Post { admin, form })
    }
}

/// The "Delete …?" page of one record (`noun`: "client", "scope", ...),
/// shown again with the error when the delete failed.
pub fn confirm_delete_page(
    admin: &ConsoleAdmin,
    section: Section,
    noun: &str,
    message: &str,
    action: String,
    cancel: String,
    error: Option<DomainError>,
) -> Response {
    let heading = format!("Delete {noun}");
    let page = view::ConfirmPage {
        chrome: admin.chrome(section, None),
        heading: &heading,
        message,
        action,
        button: &heading,
        cancel,
        error: error.as_ref().map(message_of),
    };
    crate::web::pages::html(error.as_ref().map_or(StatusCode::OK, status_of), &page)
}

/// The HTTP status of a failed operation.
pub fn status_of(e: &DomainError) -> StatusCode {
    match e {
        DomainError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        DomainError::NotFound(_) => StatusCode::NOT_FOUND,
        DomainError::Conflict(_) => StatusCode::CONFLICT,
        DomainError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// What the administrator reads about a failed operation; store failures
/// are logged, not shown.
pub fn message_of(e: &DomainError) -> String {
    match e {
        DomainError::Store(inner) => {
            tracing::error!(error = %inner, "console: store failure");
            "The database is not available right now; try again later.".into()
        }
        e => e.to_string(),
    }
}

fn unavailable(app: &App) -> Response {
    super::pages::error_page(
        app,
        StatusCode::SERVICE_UNAVAILABLE,
        "The console is not available right now; try again later.",
    )
}
