//! Client authentication at the token, introspection and revocation
//! endpoints (RFC 6749 §2.3): `client_secret_basic`, `client_secret_post`,
//! and public clients identified by `client_id` alone.

use super::{OAuthError, Params};
use crate::app::App;
use crate::domain::{AuthMethod, Client, NewAuditEvent, now};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::sync::Arc;

/// A client that proved who it is (or, if public, said who it is).
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub client: Arc<Client>,
    pub method: AuthMethod,
}

/// Credentials as presented, before they are checked.
struct Presented {
    client_id: String,
    secret: Option<String>,
    method: AuthMethod,
}

/// Longest client id or secret considered; longer ones cannot be ours.
const MAX_CREDENTIAL_LEN: usize = 512;

/// Reads the credentials from the `Authorization` header and the body.
fn presented(authorization: Option<&str>, params: &Params) -> Result<Presented, OAuthError> {
    if let Some(header) = authorization {
        // RFC 7235 §2.1: the scheme name is case-insensitive.
        let encoded = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
            .map(|(_, rest)| rest)
            .ok_or_else(|| {
                OAuthError::invalid_client("client authentication must use HTTP Basic")
            })?;
        if params.contains("client_secret") {
            return Err(OAuthError::invalid_request(
                "use exactly one client authentication method: Basic or client_secret in the body, not both",
            ));
        }
        let malformed = || OAuthError::invalid_client("malformed Basic credentials");
        let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        // RFC 6749 §2.3.1: both parts are form-urlencoded before encoding.
        let id = form_decode(id).ok_or_else(malformed)?;
        let secret = form_decode(secret).ok_or_else(malformed)?;
        if params.get("client_id").is_some_and(|body_id| body_id != id) {
            return Err(OAuthError::invalid_request(
                "client_id in the body differs from the one in the Authorization header",
            ));
        }
        return Ok(Presented {
            client_id: id,
            secret: Some(secret),
            method: AuthMethod::ClientSecretBasic,
        });
    }
    let client_id = params
        .get("client_id")
        .ok_or_else(|| OAuthError::invalid_client("client authentication is required"))?;
    Ok(Presented {
        client_id: client_id.to_owned(),
        secret: params.get("client_secret").map(str::to_owned),
        method: if params.contains("client_secret") {
            AuthMethod::ClientSecretPost
        } else {
            AuthMethod::None
        },
    })
}

/// The client id a request names (Basic or body), whether or not its
/// credentials are right; for rate limiting.
pub fn claimed_client_id(authorization: Option<&str>, params: &Params) -> Option<String> {
    presented(authorization, params).ok().map(|p| p.client_id)
}

fn form_decode(s: &str) -> Option<String> {
    let plus: String = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

impl App {
    /// Authenticates the calling client. Every failure is `invalid_client`
    /// (401) with one generic description, so that a caller cannot tell an
    /// unknown client from a wrong secret.
    pub async fn authenticate_client(
        self: &Arc<Self>,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<AuthenticatedClient, OAuthError> {
        let p = presented(authorization, params)?;
        let failed = |reason: &'static str| {
            metrics::counter!("flowgate_client_auth_failures_total").increment(1);
            tracing::info!(client_id = %p.client_id.chars().take(64).collect::<String>(), reason, "client authentication failed");
            OAuthError::invalid_client("client authentication failed")
        };
        if p.client_id.len() > MAX_CREDENTIAL_LEN
            || p.secret
                .as_ref()
                .is_some_and(|s| s.len() > MAX_CREDENTIAL_LEN)
        {
            return Err(failed("oversized credentials"));
        }
        let Some(client) = self.client(&p.client_id).await? else {
            return Err(failed("unknown client"));
        };
        let audit_failure = |reason: &'static str| {
            self.audit_later(
                NewAuditEvent::failure(
                    format!("client:{}", client.id),
                    "client.authenticate",
                    client.id.clone(),
                )
                .with_detail(serde_json::json!({ "reason": reason })),
            );
            failed(reason)
        };
        if !client.spec.active {
            return Err(audit_failure("client is deactivated"));
        }
        match (client.is_public(), &p.secret) {
            (true, None) => {}
            (true, Some(_)) => return Err(audit_failure("public client sent a secret")),
            (false, None) => return Err(audit_failure("confidential client sent no secret")),
            (false, Some(secret)) => {
                // RFC 6749 §2.3.1: Basic MUST work for every client holding a
                // secret; the body method only for clients registered for it.
                if p.method == AuthMethod::ClientSecretPost
                    && client.spec.auth_method != AuthMethod::ClientSecretPost
                {
                    return Err(audit_failure(
                        "client_secret_post used by a client registered for client_secret_basic",
                    ));
                }
                if !client.verify_secret(secret, now()) {
                    return Err(audit_failure("wrong secret"));
                }
            }
        }
        Ok(AuthenticatedClient {
            client,
            method: p.method,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_body_secret_together_is_invalid_request() {
        let params = Params::parse(b"client_secret=x").unwrap();
        let e = presented(Some("Basic YTpi"), &params).err().unwrap();
        assert_eq!(e.code, super::super::ErrorCode::InvalidRequest);
    }

    #[test]
    fn basic_credentials_are_form_decoded_rfc6749_2_3_1() {
        // "a%3Ab:c+d" → id "a:b", secret "c d"
        let header = format!("Basic {}", STANDARD.encode("a%3Ab:c+d"));
        let p = presented(Some(&header), &Params::default()).ok().unwrap();
        assert_eq!(p.client_id, "a:b");
        assert_eq!(p.secret.as_deref(), Some("c d"));
    }

    #[test]
    fn no_credentials_is_invalid_client() {
        let e = presented(None, &Params::default()).err().unwrap();
        assert_eq!(e.code, super::super::ErrorCode::InvalidClient);
    }
}
