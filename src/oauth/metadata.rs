//! Authorization server metadata (RFC 8414), derived from what this build
//! really serves and from the configured issuer.

use super::authorize::ResponseType;
use super::pkce;
use super::token::SUPPORTED_GRANTS;
use crate::app::App;
use crate::store::StoreResult;
use serde::Serialize;

/// Fixed endpoint paths (DESIGN §2).
pub const AUTHORIZE_PATH: &str = "/integration/rest/oAuth/authorize";
pub const TOKEN_PATH: &str = "/integration/rest/oAuth/getToken";
pub const INTROSPECT_PATH: &str = "/integration/rest/oAuth/introspect";
pub const REVOKE_PATH: &str = "/integration/rest/oAuth/revoke";
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// The login form posts here; the logout form too.
pub const LOGIN_PATH: &str = "/integration/rest/oAuth/login";
pub const LOGOUT_PATH: &str = "/integration/rest/oAuth/logout";

#[derive(Debug, Serialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub introspection_endpoint: String,
    pub revocation_endpoint: String,
    pub grant_types_supported: Vec<&'static str>,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub scopes_supported: Vec<String>,
}

impl App {
    pub async fn metadata(&self) -> StoreResult<Metadata> {
        let base = self.settings.public_url.trim_end_matches('/');
        let scopes = self.scopes().await?.keys().cloned().collect();
        Ok(Metadata {
            issuer: base.to_owned(),
            authorization_endpoint: format!("{base}{AUTHORIZE_PATH}"),
            token_endpoint: format!("{base}{TOKEN_PATH}"),
            introspection_endpoint: format!("{base}{INTROSPECT_PATH}"),
            revocation_endpoint: format!("{base}{REVOKE_PATH}"),
            grant_types_supported: SUPPORTED_GRANTS.iter().map(|g| g.as_str()).collect(),
            response_types_supported: ResponseType::ALL.iter().map(|r| r.as_str()).collect(),
            response_modes_supported: vec!["query", "fragment"],
            code_challenge_methods_supported: pkce::Method::ALL
                .iter()
                .map(|m| m.as_str())
                .collect(),
            // `none`: public clients redeem codes and refresh with client_id alone.
            token_endpoint_auth_methods_supported: vec![
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            introspection_endpoint_auth_methods_supported: vec![
                "client_secret_basic",
                "client_secret_post",
            ],
            revocation_endpoint_auth_methods_supported: vec![
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            scopes_supported: scopes,
        })
    }
}
