//! The login form (`POST /integration/rest/oAuth/login`) and sign-out
//! (`/integration/rest/oAuth/logout`). The login form is protected by a
//! double-submit CSRF token (cookie and field); a successful login always
//! starts a new session (no fixation).

use super::authorize::{OAUTH_PARAMS, answer_error, is_form, redirect, signed_in};
use super::{
    CSRF_FIELD, LOGIN_CSRF_COOKIE, LoginPage, MessagePage, SESSION_COOKIE, begin_session,
    check_credentials, cookie, error_page, html,
};
use crate::app::App;
use crate::crypto::random_secret;
use crate::domain::NewAuditEvent;
use crate::oauth::Params;
use crate::oauth::authorize::AuthorizationRequest;
use crate::oauth::metadata::{AUTHORIZE_PATH, LOGIN_PATH, LOGOUT_PATH};
use crate::oauth::session::csrf_matches;
use crate::web::source::Source;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use std::sync::Arc;

/// The login page for `request`, carrying its parameters along.
pub fn login_page(
    app: &App,
    jar: CookieJar,
    request: &AuthorizationRequest,
    params: &Params,
    error: Option<&str>,
) -> Response {
    let (jar, csrf) = match jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned()) {
        Some(token) if !token.is_empty() => (jar, token),
        _ => {
            let token = random_secret("").expose().to_owned();
            let jar = jar.add(cookie(app, LOGIN_CSRF_COOKIE, token.clone(), 3600));
            (jar, token)
        }
    };
    let mut hidden: Vec<(String, String)> = OAUTH_PARAMS
        .iter()
        .filter_map(|n| params.get(n).map(|v| ((*n).to_owned(), v.to_owned())))
        .collect();
    hidden.push((CSRF_FIELD.into(), csrf));
    let page = LoginPage {
        page: &app.settings.pages,
        action: LOGIN_PATH,
        client_name: &request.client.spec.name,
        error,
        hidden,
    };
    (jar, html(StatusCode::OK, &page)).into_response()
}

/// `POST /integration/rest/oAuth/login`.
pub async fn login(
    State(app): State<Arc<App>>,
    Extension(source): Extension<Source>,
    jar: CookieJar,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return error_page(
            &app,
            StatusCode::BAD_REQUEST,
            "The request must be a form submission.",
        );
    }
    let params = match Params::parse(&body) {
        Ok(p) => p,
        Err(e) => return error_page(&app, StatusCode::BAD_REQUEST, &e.description),
    };
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if !csrf_matches(&expected, params.get(CSRF_FIELD)) {
        return error_page(
            &app,
            StatusCode::FORBIDDEN,
            "This form has expired or did not come from this site. Start again from the application.",
        );
    }
    let request = match app.authorization_request(&params).await {
        Ok(r) => r,
        Err(e) => return answer_error(&app, e),
    };
    let (Some(username), Some(password)) = (params.get("username"), params.get("password")) else {
        return login_page(
            &app,
            jar,
            &request,
            &params,
            Some("Enter your user name and password."),
        );
    };
    let user = match check_credentials(&app, &source, username, password, "login").await {
        Ok(u) => u,
        Err(page) => return page,
    };
    let Some(user) = user else {
        return login_page(
            &app,
            jar,
            &request,
            &params,
            Some("The user name or password is wrong."),
        );
    };
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
        .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/integration/rest/oAuth"));
    let back: Vec<(&str, String)> = OAUTH_PARAMS
        .iter()
        .filter_map(|n| params.get(n).map(|v| (*n, v.to_owned())))
        .collect();
    // A relative Location: back to this very server, whatever host name
    // the browser used (never an open redirect).
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(back.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    (jar, redirect(&format!("{AUTHORIZE_PATH}?{query}"))).into_response()
}

/// `GET /integration/rest/oAuth/logout`: a sign-out button.
pub async fn logout_form(State(app): State<Arc<App>>, jar: CookieJar) -> Response {
    let form = signed_in(&app, &jar)
        .await
        .map(|(s, _)| (LOGOUT_PATH, s.csrf_token));
    let signed_in = form.is_some();
    html(
        StatusCode::OK,
        &MessagePage {
            page: &app.settings.pages,
            heading: if signed_in { "Sign out" } else { "Signed out" },
            message: if signed_in {
                "End your session on this device."
            } else {
                "You are not signed in."
            },
            is_error: false,
            logout_form: form,
        },
    )
}

/// `POST /integration/rest/oAuth/logout`: ends the session.
pub async fn logout(State(app): State<Arc<App>>, jar: CookieJar, body: Bytes) -> Response {
    let params = Params::parse(&body).unwrap_or_default();
    if let Some((session, _)) = signed_in(&app, &jar).await {
        if !csrf_matches(&session.csrf_token, params.get(CSRF_FIELD)) {
            return error_page(
                &app,
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from this site.",
            );
        }
        if let Some(c) = jar.get(SESSION_COOKIE)
            && let Err(e) = app.end_session(c.value()).await
        {
            tracing::warn!(error = %e, "logout: could not delete the session");
        }
        app.audit(NewAuditEvent::success(
            format!("user:{}", session.username),
            "user.logout",
            session.username.clone(),
        ))
        .await;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/integration/rest/oAuth"));
    let page = MessagePage {
        page: &app.settings.pages,
        heading: "Signed out",
        message: "You are signed out.",
        is_error: false,
        logout_form: None,
    };
    (jar, html(StatusCode::OK, &page)).into_response()
}
