//! OAuth 2.0 error responses (RFC 6749 §5.2, RFC 7009 §2.2.1): the codes as
//! data. The web layer decides the transport (status, headers, JSON body).

use crate::store::StoreError;
use std::borrow::Cow;

/// The error codes flowgate sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    UnsupportedTokenType,
    ServerError,
    TemporarilyUnavailable,
    /// Over a rate limit (429): `slow_down`, the token endpoint error of
    /// the OAuth registry for a client that must wait (RFC 8628 §3.5).
    SlowDown,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::SlowDown => "slow_down",
        }
    }

    /// HTTP status for this error at the token, introspection and
    /// revocation endpoints.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient => 401,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            ErrorCode::SlowDown => 429,
            _ => 400,
        }
    }
}

/// An error answer of the token, introspection or revocation endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
    /// Seconds to wait before retrying (`Retry-After`), for `slow_down`.
    pub retry_after: Option<u64>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }

    pub fn invalid_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }

    pub fn invalid_grant(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }

    pub fn unauthorized_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, d)
    }

    pub fn invalid_scope(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }

    /// 429 `slow_down` for a request over a limit.
    pub fn slow_down(limited: &crate::limits::Limited) -> Self {
        let secs = limited.retry_after_secs();
        OAuthError {
            retry_after: Some(secs),
            ..Self::new(
                ErrorCode::SlowDown,
                format!("too many requests; retry after {secs} seconds"),
            )
        }
    }
}

/// `error_description` may hold only %x20-21 / %x23-5B / %x5D-7E (RFC 6749
/// §5.2, §4.1.2.1): double quotes become single quotes, anything else
/// outside the set is dropped, and the text is kept short.
pub fn clean_description(text: &str) -> String {
    text.chars()
        .map(|c| if c == '"' { '\'' } else { c })
        .filter(|c| matches!(c, ' '..='~') && *c != '\\')
        .take(300)
        .collect()
}

impl From<StoreError> for OAuthError {
    /// Store failures become `server_error` or `temporarily_unavailable`;
    /// the cause is logged here and never sent to the client.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(msg) => {
                tracing::warn!(error = %msg, "store unavailable");
                OAuthError::new(
                    ErrorCode::TemporarilyUnavailable,
                    "the server cannot reach its store; retry later",
                )
            }
            other => {
                tracing::error!(error = %other, "store failure");
                OAuthError::new(ErrorCode::ServerError, "internal error")
            }
        }
    }
}

impl From<crate::domain::DomainError> for OAuthError {
    fn from(e: crate::domain::DomainError) -> Self {
        match e {
            crate::domain::DomainError::Store(s) => s.into(),
            other => OAuthError::invalid_request(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clean_description;

    #[test]
    fn descriptions_keep_to_the_rfc6749_5_2_character_set() {
        assert_eq!(clean_description("scope \"x\" \\ é\n"), "scope 'x'  ");
        assert_eq!(clean_description(&"a".repeat(1000)).len(), 300);
    }
}
