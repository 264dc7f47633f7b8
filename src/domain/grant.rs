//! The grant types of RFC 6749 that flowgate implements.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// RFC 6749 §4.1, with PKCE (RFC 7636).
    AuthorizationCode,
    /// RFC 6749 §4.2 (`response_type=token`).
    Implicit,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §4.3, resource owner password credentials.
    Password,
    /// RFC 6749 §6.
    RefreshToken,
}

impl GrantType {
    pub const ALL: [GrantType; 5] = [
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::RefreshToken,
    ];

    /// The registered name (RFC 7591 `grant_types` value).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::Implicit => "implicit",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
            GrantType::RefreshToken => "refresh_token",
        }
    }

    pub fn parse(s: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// Grants that send the browser back to a redirect URI.
    pub fn needs_redirect_uri(self) -> bool {
        matches!(self, GrantType::AuthorizationCode | GrantType::Implicit)
    }

    /// Grants that only a client holding a secret may use.
    pub fn confidential_only(self) -> bool {
        matches!(self, GrantType::ClientCredentials | GrantType::Password)
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
