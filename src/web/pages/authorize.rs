//! `GET|POST /integration/rest/oAuth/authorize`: validates the request,
//! then shows the login page (no session) or the permissions page, and
//! takes the permissions form back (`decision=grant|deny`).

use super::login::login_page;
use super::{CSRF_FIELD, ConsentPage, SESSION_COOKIE, error_page, html, secure};
use crate::app::App;
use crate::domain::scope::ADMIN_SCOPE;
use crate::domain::{NewAuditEvent, ScopeSet, Session, User};
use crate::oauth::Params;
use crate::oauth::authorize::{AuthorizationRequest, AuthorizeError, AuthzErrorCode, ResponseType};
use crate::oauth::metadata::AUTHORIZE_PATH;
use crate::oauth::session::{csrf_matches, seal};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use std::sync::Arc;

/// Authorization request parameters carried through the login and
/// permissions forms.
pub const OAUTH_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// The permissions form carries the requested scope under this name, since
/// `scope` is the name of its checkboxes.
const REQUESTED_SCOPE: &str = "requested_scope";

/// The permissions form's MAC over the request it carries.
const SEAL_FIELD: &str = "request_seal";

pub async fn authorize(
    State(app): State<Arc<App>>,
    jar: CookieJar,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw: &[u8] = if method == Method::POST {
        if !is_form(&headers) {
            return error_page(
                &app,
                StatusCode::BAD_REQUEST,
                "The request must be a form submission.",
            );
        }
        &body
    } else {
        uri.query().unwrap_or("").as_bytes()
    };
    let pairs = match Params::pairs(raw) {
        Ok(p) => p,
        Err(e) => return error_page(&app, StatusCode::BAD_REQUEST, &e.description),
    };
    if method == Method::POST && pairs.iter().any(|(k, _)| k == "decision") {
        return submit_consent(&app, jar, pairs).await;
    }
    let params = match Params::from_pairs(pairs) {
        Ok(p) => p,
        Err(e) => return error_page(&app, StatusCode::BAD_REQUEST, &e.description),
    };
    let request = match app.authorization_request(&params).await {
        Ok(r) => r,
        Err(e) => return answer_error(&app, e),
    };
    match signed_in(&app, &jar).await {
        Some((session, user)) => consent_page(&app, &request, &params, &session, &user).await,
        None => login_page(&app, jar, &request, &params, None),
    }
}

/// Whether the body is `application/x-www-form-urlencoded`.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The session of this browser and its user, if both are still there.
pub async fn signed_in(app: &App, jar: &CookieJar) -> Option<(Session, User)> {
    let cookie = jar.get(SESSION_COOKIE)?;
    let session = match app.session(cookie.value()).await {
        Ok(s) => s?,
        Err(e) => {
            tracing::warn!(error = %e, "session lookup failed");
            return None;
        }
    };
    let user = app.store.get_user(&session.username).await.ok()??;
    Some((session, user))
}

/// A 303 to `location`, with the page headers.
pub fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    secure(response)
}

/// An error page for an untrusted request, else a redirect to the client.
pub fn answer_error(app: &App, e: AuthorizeError) -> Response {
    match e {
        AuthorizeError::Untrusted(message) => error_page(app, StatusCode::BAD_REQUEST, &message),
        AuthorizeError::Redirect(r) => redirect(&r.location()),
    }
}

/// Refuses the reserved `admin` scope to users who are not administrators.
fn check_admin_scope(request: &AuthorizationRequest, user: &User) -> Result<(), AuthorizeError> {
    if request.scope.contains(ADMIN_SCOPE) && !user.admin {
        return Err(request.error(
            AuthzErrorCode::InvalidScope,
            "the admin scope is only for administrators",
        ));
    }
    Ok(())
}

async fn consent_page(
    app: &App,
    request: &AuthorizationRequest,
    params: &Params,
    session: &Session,
    user: &User,
) -> Response {
    if let Err(e) = check_admin_scope(request, user) {
        return answer_error(app, e);
    }
    let known = match app.scopes().await {
        Ok(k) => k,
        Err(e) => {
            return answer_error(
                app,
                request.error(AuthzErrorCode::ServerError, e.to_string()),
            );
        }
    };
    let scopes = request
        .scope
        .iter()
        .map(|s| {
            (
                s.to_owned(),
                known
                    .get(s)
                    .map(|d| d.description.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let mut hidden: Vec<(String, String)> = OAUTH_PARAMS
        .iter()
        .filter(|n| **n != "scope")
        .filter_map(|n| params.get(n).map(|v| ((*n).to_owned(), v.to_owned())))
        .collect();
    let requested = request.scope.to_string();
    hidden.push((REQUESTED_SCOPE.into(), requested.clone()));
    let carried: Vec<(&str, Option<&str>)> = OAUTH_PARAMS
        .iter()
        .map(|n| {
            (
                *n,
                if *n == "scope" {
                    Some(requested.as_str())
                } else {
                    params.get(n)
                },
            )
        })
        .collect();
    hidden.push((SEAL_FIELD.into(), seal(&session.csrf_token, &carried)));
    hidden.push((CSRF_FIELD.into(), session.csrf_token.clone()));
    html(
        StatusCode::OK,
        &ConsentPage {
            page: &app.settings.pages,
            action: AUTHORIZE_PATH,
            client_name: &request.client.spec.name,
            client_description: &request.client.spec.description,
            username: &user.username,
            scopes,
            hidden,
        },
    )
}

/// The permissions form came back: check CSRF, re-validate the request,
/// and answer the client with a code, a token or `access_denied`.
async fn submit_consent(app: &App, jar: CookieJar, pairs: Vec<(String, String)>) -> Response {
    let mut ticked = Vec::new();
    let mut decision = None;
    let mut rest = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "scope" => ticked.push(value),
            "decision" => decision = Some(value),
            REQUESTED_SCOPE => rest.push(("scope".to_owned(), value)),
            _ => rest.push((name, value)),
        }
    }
    let params = match Params::from_pairs(rest) {
        Ok(p) => p,
        Err(e) => return error_page(app, StatusCode::BAD_REQUEST, &e.description),
    };
    let request = match app.authorization_request(&params).await {
        Ok(r) => r,
        Err(e) => return answer_error(app, e),
    };
    let Some((session, user)) = signed_in(app, &jar).await else {
        return login_page(
            app,
            jar,
            &request,
            &params,
            Some("Your session has ended; sign in again."),
        );
    };
    if !csrf_matches(&session.csrf_token, params.get(CSRF_FIELD)) {
        return error_page(
            app,
            StatusCode::FORBIDDEN,
            "This form has expired or did not come from this site. Start again from the application.",
        );
    }
    let carried: Vec<(&str, Option<&str>)> =
        OAUTH_PARAMS.iter().map(|n| (*n, params.get(n))).collect();
    if !csrf_matches(&seal(&session.csrf_token, &carried), params.get(SEAL_FIELD)) {
        return error_page(
            app,
            StatusCode::BAD_REQUEST,
            "The permissions form was altered. Start again from the application.",
        );
    }
    if let Err(e) = check_admin_scope(&request, &user) {
        return answer_error(app, e);
    }
    let actor = format!("user:{}", user.username);
    let granted = request.granted(&ticked.into_iter().collect::<ScopeSet>());
    let denied = match decision.as_deref() {
        Some("grant") if granted.is_empty() => Some("no scope was granted"),
        Some("grant") => None,
        Some("deny") => Some("the user denied access"),
        _ => return error_page(app, StatusCode::BAD_REQUEST, "Choose Grant Access or Deny."),
    };
    if let Some(reason) = denied {
        app.audit(NewAuditEvent::failure(
            actor,
            "consent.deny",
            request.client.id.clone(),
        ))
        .await;
        return answer_error(app, request.error(AuthzErrorCode::AccessDenied, reason));
    }
    app.audit(
        NewAuditEvent::success(actor, "consent.grant", request.client.id.clone())
            .with_detail(serde_json::json!({ "scope": granted.to_string(), "response_type": request.response_type.as_str() })),
    )
    .await;
    let answer = match request.response_type {
        ResponseType::Code => app.issue_code(&request, &user.username, granted).await,
        ResponseType::Token => app.issue_implicit(&request, &user.username, granted).await,
    };
    match answer {
        Ok(location) => redirect(&location),
        Err(e) => answer_error(app, e),
    }
}
