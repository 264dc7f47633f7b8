//! The token endpoint (RFC 6749 §3.2): one closed set of token requests,
//! parsed in one place and dispatched to one module per grant.

use super::grants::authorization_code::{self, CodeRequest};
use super::grants::{client_credentials, password, refresh_token};
use super::{AuthenticatedClient, OAuthError, Params};
use crate::app::App;
use crate::crypto::Secret;
use crate::domain::{GrantType, NewAuditEvent};
use serde::Serialize;
use std::sync::Arc;

/// Grants flowgate serves, in the order metadata lists them; `implicit` is
/// served by the authorization endpoint alone.
pub const SUPPORTED_GRANTS: &[GrantType] = &[
    GrantType::AuthorizationCode,
    GrantType::Implicit,
    GrantType::ClientCredentials,
    GrantType::Password,
    GrantType::RefreshToken,
];

/// A token request, by grant type.
#[derive(Debug)]
pub enum TokenRequest {
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
    },
    RefreshToken {
        refresh_token: Secret,
        scope: Option<String>,
    },
    ClientCredentials {
        scope: Option<String>,
    },
    Password {
        username: String,
        password: Secret,
        scope: Option<String>,
    },
}

impl TokenRequest {
    /// Reads the grant-specific parameters (RFC 6749 §4.1.3, §4.3.2,
    /// §4.4.2, §6).
    pub fn parse(params: &Params) -> Result<TokenRequest, OAuthError> {
        let grant_type = params.require("grant_type")?;
        let scope = params.get("scope").map(str::to_owned);
        match GrantType::parse(grant_type) {
            Some(GrantType::AuthorizationCode) => Ok(TokenRequest::AuthorizationCode {
                code: params.require("code")?.to_owned(),
                redirect_uri: params.get("redirect_uri").map(str::to_owned),
                code_verifier: params.get("code_verifier").map(str::to_owned),
            }),
            Some(GrantType::RefreshToken) => Ok(TokenRequest::RefreshToken {
                refresh_token: Secret::new(params.require("refresh_token")?),
                scope,
            }),
            Some(GrantType::ClientCredentials) => Ok(TokenRequest::ClientCredentials { scope }),
            Some(GrantType::Password) => Ok(TokenRequest::Password {
                username: params.require("username")?.to_owned(),
                password: Secret::new(params.require("password")?),
                scope,
            }),
            _ => Err(OAuthError::new(
                super::ErrorCode::UnsupportedGrantType,
                format!(
                    "grant_type {} is not supported at the token endpoint; supported: {}",
                    grant_type
                        .chars()
                        .filter(char::is_ascii_graphic)
                        .take(60)
                        .collect::<String>(),
                    SUPPORTED_GRANTS
                        .iter()
                        .filter(|g| **g != GrantType::Implicit)
                        .map(|g| g.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    pub fn grant_type(&self) -> GrantType {
        match self {
            TokenRequest::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            TokenRequest::RefreshToken { .. } => GrantType::RefreshToken,
            TokenRequest::ClientCredentials { .. } => GrantType::ClientCredentials,
            TokenRequest::Password { .. } => GrantType::Password,
        }
    }
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    /// Absent when the token never expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Left out when no scope was granted (RFC 6749 §3.3 has no empty scope).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

impl App {
    /// Handles one token request: authenticates the client, checks that it
    /// may use the grant, and runs the grant.
    pub async fn token(
        self: &Arc<Self>,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let client = self.authenticate_client(authorization, params).await?;
        let request = TokenRequest::parse(params)?;
        let result = self.run_grant(&client, request).await;
        if let Err(e) = &result {
            self.audit_later(
                NewAuditEvent::failure(format!("client:{}", client.client.id), "token.issue", None)
                    .with_detail(serde_json::json!({ "error": e.code.as_str(), "description": e.description })),
            );
        }
        result
    }

    async fn run_grant(
        &self,
        client: &AuthenticatedClient,
        request: TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let grant = request.grant_type();
        if !client.client.allows_grant(grant) {
            return Err(OAuthError::unauthorized_client(format!(
                "this client is not registered for the {grant} grant"
            )));
        }
        if grant.confidential_only() && client.client.is_public() {
            return Err(OAuthError::unauthorized_client(format!(
                "the {grant} grant is only for confidential clients"
            )));
        }
        match request {
            TokenRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                let req = CodeRequest {
                    code: &code,
                    redirect_uri: redirect_uri.as_deref(),
                    code_verifier: code_verifier.as_deref(),
                };
                authorization_code::grant(self, &client.client, req).await
            }
            TokenRequest::RefreshToken {
                refresh_token,
                scope,
            } => refresh_token::grant(self, &client.client, &refresh_token, scope.as_deref()).await,
            TokenRequest::ClientCredentials { scope } => {
                client_credentials::grant(self, &client.client, scope.as_deref()).await
            }
            TokenRequest::Password {
                username,
                password,
                scope,
            } => {
                password::grant(self, &client.client, &username, &password, scope.as_deref()).await
            }
        }
    }
}
