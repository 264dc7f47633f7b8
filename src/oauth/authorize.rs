//! The authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.2.1, RFC 7636 §4.3):
//! validating the request, and answering it with a code (§4.1.2), a token
//! in the fragment (§4.2.2), or an error. An unknown client or an
//! unregistered redirect URI is never redirected to (§4.1.2.1); every other
//! error goes back to the client with `state`.

use super::error::clean_description;
use super::{ErrorCode, OAuthError, Params, pkce};
use crate::app::App;
use crate::domain::token::{AUTH_CODE_PREFIX, mint};
use crate::domain::{AuthCode, Client, GrantType, ScopeSet, now, redirect_uri};
use std::sync::Arc;

/// `response_type` values served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    Code,
    Token,
}

impl ResponseType {
    pub const ALL: [ResponseType; 2] = [ResponseType::Code, ResponseType::Token];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Code => "code",
            ResponseType::Token => "token",
        }
    }

    fn grant(self) -> GrantType {
        match self {
            ResponseType::Code => GrantType::AuthorizationCode,
            ResponseType::Token => GrantType::Implicit,
        }
    }
}

/// Error codes of the authorization endpoint (§4.1.2.1, §4.2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthzErrorCode {
    InvalidRequest,
    UnauthorizedClient,
    AccessDenied,
    UnsupportedResponseType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
}

impl AuthzErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthzErrorCode::InvalidRequest => "invalid_request",
            AuthzErrorCode::UnauthorizedClient => "unauthorized_client",
            AuthzErrorCode::AccessDenied => "access_denied",
            AuthzErrorCode::UnsupportedResponseType => "unsupported_response_type",
            AuthzErrorCode::InvalidScope => "invalid_scope",
            AuthzErrorCode::ServerError => "server_error",
            AuthzErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: Arc<Client>,
    pub response_type: ResponseType,
    /// Where the answer goes.
    pub redirect_uri: String,
    /// Whether the request named it (then the token request must too).
    pub redirect_uri_given: bool,
    /// The scope asked for, each one allowed for the client.
    pub scope: ScopeSet,
    pub state: Option<String>,
    pub code_challenge: Option<(String, pkce::Method)>,
}

/// An error answer sent to the client's redirect URI.
#[derive(Debug, Clone)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    pub fragment: bool,
    pub state: Option<String>,
    pub code: AuthzErrorCode,
    pub description: String,
}

impl ErrorRedirect {
    pub fn location(&self) -> String {
        let mut params = vec![
            ("error", self.code.as_str().to_owned()),
            ("error_description", clean_description(&self.description)),
        ];
        if let Some(state) = &self.state {
            params.push(("state", state.clone()));
        }
        with_params(&self.redirect_uri, self.fragment, &params)
    }
}

/// Why an authorization request cannot be served.
#[derive(Debug, Clone)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: show an error page to
    /// the user, never redirect.
    Untrusted(String),
    /// Tell the client, at its redirect URI.
    Redirect(Box<ErrorRedirect>),
}

/// `uri` with `params` added to its query or set as its fragment.
pub fn with_params(uri: &str, fragment: bool, params: &[(&str, String)]) -> String {
    let Ok(mut url) = url::Url::parse(uri) else {
        return uri.to_owned();
    };
    if fragment {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        url.set_fragment(Some(&encoded));
    } else {
        url.query_pairs_mut()
            .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
    }
    url.to_string()
}

impl AuthorizationRequest {
    /// An error for this request, sent to its redirect URI.
    pub fn error(&self, code: AuthzErrorCode, description: impl Into<String>) -> AuthorizeError {
        AuthorizeError::Redirect(Box::new(ErrorRedirect {
            redirect_uri: self.redirect_uri.clone(),
            fragment: self.response_type == ResponseType::Token,
            state: self.state.clone(),
            code,
            description: description.into(),
        }))
    }

    /// The granted scope: what the user ticked, limited to what was asked.
    pub fn granted(&self, ticked: &ScopeSet) -> ScopeSet {
        self.scope
            .iter()
            .filter(|s| ticked.contains(s))
            .map(str::to_owned)
            .collect()
    }
}

fn store_failure(e: OAuthError) -> AuthzErrorCode {
    match e.code {
        ErrorCode::TemporarilyUnavailable => AuthzErrorCode::TemporarilyUnavailable,
        ErrorCode::InvalidScope => AuthzErrorCode::InvalidScope,
        _ => AuthzErrorCode::ServerError,
    }
}

impl App {
    /// Validates an authorization request in the order §4.1.2.1 requires:
    /// client and redirect URI first (error page), then everything else
    /// (redirect with `state`).
    pub async fn authorization_request(
        &self,
        params: &Params,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        let untrusted = |m: &str| AuthorizeError::Untrusted(m.to_owned());
        let client_id = params
            .get("client_id")
            .ok_or_else(|| untrusted("The request names no client (client_id is missing)."))?;
        let client = match self.client(client_id).await {
            Ok(Some(c)) if c.spec.active => c,
            Ok(_) => {
                return Err(untrusted(
                    "The application that sent you here is not registered or not active.",
                ));
            }
            Err(e) => {
                tracing::warn!(error = %e, "authorization request: store failure");
                return Err(untrusted(
                    "The server cannot check this application right now; try again later.",
                ));
            }
        };
        let (redirect_uri, given) = match params.get("redirect_uri") {
            Some(uri) => {
                if !client
                    .spec
                    .redirect_uris
                    .iter()
                    .any(|r| redirect_uri::matches(r, uri))
                {
                    return Err(untrusted(
                        "The redirect URI is not registered for this application.",
                    ));
                }
                (uri.to_owned(), true)
            }
            None => match client.spec.redirect_uris.as_slice() {
                [only] => (only.clone(), false),
                [] => {
                    return Err(untrusted(
                        "This application has no redirect URI registered.",
                    ));
                }
                _ => {
                    return Err(untrusted(
                        "The request must name a redirect_uri: this application has several.",
                    ));
                }
            },
        };
        let state = params.get("state").map(str::to_owned);
        let response_type = match params.get("response_type") {
            Some("code") => ResponseType::Code,
            Some("token") => ResponseType::Token,
            other => {
                let (code, description) = match other {
                    None => (
                        AuthzErrorCode::InvalidRequest,
                        "response_type is missing".to_owned(),
                    ),
                    Some(t) => (
                        AuthzErrorCode::UnsupportedResponseType,
                        format!("response_type {t} is not supported; use code or token"),
                    ),
                };
                return Err(AuthorizeError::Redirect(Box::new(ErrorRedirect {
                    redirect_uri,
                    fragment: false,
                    state,
                    code,
                    description,
                })));
            }
        };
        let mut request = AuthorizationRequest {
            client: client.clone(),
            response_type,
            redirect_uri,
            redirect_uri_given: given,
            scope: ScopeSet::new(),
            state,
            code_challenge: None,
        };
        let grant = response_type.grant();
        if !client.allows_grant(grant) {
            return Err(request.error(
                AuthzErrorCode::UnauthorizedClient,
                format!("this client is not registered for the {grant} grant"),
            ));
        }
        request.scope = self
            .requested_scope(&client, params.get("scope"))
            .await
            .map_err(|e| request.error(store_failure(e.clone()), e.description))?;
        if request.scope.is_empty() {
            return Err(request.error(
                AuthzErrorCode::InvalidScope,
                "no scope requested and none registered for this client",
            ));
        }
        if response_type == ResponseType::Code {
            request.code_challenge = code_challenge(params, &client)
                .map_err(|d| request.error(AuthzErrorCode::InvalidRequest, d))?;
        }
        Ok(request)
    }

    /// Issues a code for the granted scope; returns the redirect location.
    pub async fn issue_code(
        &self,
        request: &AuthorizationRequest,
        username: &str,
        scope: ScopeSet,
    ) -> Result<String, AuthorizeError> {
        let (id, code) = mint(AUTH_CODE_PREFIX);
        let issued_at = now();
        let record = AuthCode {
            id,
            hash: code.digest(),
            client_id: request.client.id.clone(),
            username: username.to_owned(),
            redirect_uri: if request.redirect_uri_given {
                request.redirect_uri.clone()
            } else {
                String::new()
            },
            scope,
            code_challenge: request.code_challenge.as_ref().map(|(c, _)| c.clone()),
            code_challenge_method: request
                .code_challenge
                .as_ref()
                .map(|(_, m)| m.as_str().to_owned()),
            grant_id: uuid::Uuid::new_v4().to_string(),
            issued_at,
            expires_at: issued_at + self.settings.auth_code_lifetime,
            consumed_at: None,
        };
        self.store
            .insert_auth_code(&record)
            .await
            .map_err(|e| request.error(store_failure(e.into()), "the code could not be stored"))?;
        let mut params = vec![("code", code.expose().to_owned())];
        if let Some(state) = &request.state {
            params.push(("state", state.clone()));
        }
        Ok(with_params(&request.redirect_uri, false, &params))
    }

    /// Implicit grant (§4.2.2): an access token in the fragment, never a
    /// refresh token. Returns the redirect location.
    pub async fn issue_implicit(
        &self,
        request: &AuthorizationRequest,
        username: &str,
        scope: ScopeSet,
    ) -> Result<String, AuthorizeError> {
        let lifetime = self.access_token_lifetime(&request.client);
        let issued = self
            .issue_access_token(
                &request.client,
                Some(username.to_owned()),
                scope,
                GrantType::Implicit,
                None,
                lifetime,
            )
            .await
            .map_err(|e| request.error(store_failure(e.into()), "the token could not be stored"))?;
        let mut params = vec![
            ("access_token", issued.token.expose().to_owned()),
            ("token_type", "Bearer".to_owned()),
        ];
        if let Some(l) = lifetime {
            params.push(("expires_in", l.to_string()));
        }
        params.push(("scope", issued.record.scope.to_string()));
        if let Some(state) = &request.state {
            params.push(("state", state.clone()));
        }
        Ok(with_params(&request.redirect_uri, true, &params))
    }
}

/// The PKCE challenge of a code request (RFC 7636 §4.3): required for
/// public clients; `plain` when no method is named.
fn code_challenge(
    params: &Params,
    client: &Client,
) -> Result<Option<(String, pkce::Method)>, String> {
    let method = params.get("code_challenge_method");
    let Some(challenge) = params.get("code_challenge") else {
        if method.is_some() {
            return Err("code_challenge_method without code_challenge".into());
        }
        if client.is_public() {
            return Err(
                "public clients must use PKCE: send code_challenge and code_challenge_method=S256"
                    .into(),
            );
        }
        return Ok(None);
    };
    let method = match method {
        None => pkce::Method::Plain,
        Some(m) => pkce::Method::parse(m).ok_or_else(|| {
            format!("code_challenge_method {m} is not supported; use S256 or plain")
        })?,
    };
    if !pkce::well_formed(challenge) {
        return Err("code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~".into());
    }
    Ok(Some((challenge.to_owned(), method)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_go_to_the_query_or_the_fragment() {
        let q = with_params(
            "https://app.example.com/cb?x=1",
            false,
            &[("code", "a b".into())],
        );
        assert_eq!(q, "https://app.example.com/cb?x=1&code=a+b");
        let f = with_params(
            "https://app.example.com/cb",
            true,
            &[("access_token", "t".into()), ("state", "s&".into())],
        );
        assert_eq!(f, "https://app.example.com/cb#access_token=t&state=s%26");
    }
}
