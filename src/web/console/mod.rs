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
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use moka::sync::Cache;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

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
pub fn routes() -> Router<Arc<App>> {
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
        .layer(Extension(Arc::new(Flashes::new())))
}

/// `GET /admin/`: the client list is the console's front page.
async fn home(_: ConsoleAdmin) -> Response {
    redirect(&format!("{BASE}/clients"))
}

/// A console cookie: Path=/admin, HttpOnly, SameSite=Strict, Secure when
/// the public URL is https.
pub fn cookie(app: &App, name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(BASE)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(app.settings.secure_cookies())
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
}

/// One-time messages for the page a change redirects to: a notice, and a
/// secret (client secret, minted token) that is shown exactly once. Kept in
/// memory for a few minutes, keyed by session and target path, and taken
/// out by the first view of that page. (Behind a load balancer without
/// session affinity the next page may be served by another instance and
/// miss it; a lost secret is then rotated again.)
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

struct Flashes(Cache<String, Flash>);

impl Flashes {
    fn new() -> Flashes {
        Flashes(
            Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(300))
                .build(),
        )
    }
}

/// A signed-in administrator: a live console session of a user who is
/// still an administrator. Anyone else is sent to the login page.
pub struct ConsoleAdmin {
    pub username: String,
    pub csrf: String,
    session_key: String,
    flashes: Arc<Flashes>,
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

    /// Leaves `flash` for the next view of `path` in this session.
    pub fn flash(&self, path: &str, flash: Flash) {
        self.flashes
            .0
            .insert(format!("{}{path}", self.session_key), flash);
    }

    /// Takes what was left for `path`, if anything.
    pub fn take_flash(&self, path: &str) -> Flash {
        self.flashes
            .0
            .remove(&format!("{}{path}", self.session_key))
            .unwrap_or_default()
    }

    /// Leaves a notice for `path` and redirects there.
    pub fn done(&self, path: &str, notice: impl Into<String>) -> Response {
        self.flash(path, Flash::notice(notice));
        redirect(path)
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
        let flashes = parts
            .extensions
            .get::<Arc<Flashes>>()
            .cloned()
            .ok_or_else(|| {
                tracing::error!("console routes are missing their flash store");
                unavailable(app)
            })?;
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
                session_key: session.id_hash.to_hex(),
                flashes,
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
