//! Authorization code grant at the token endpoint (RFC 6749 §4.1.3, RFC
//! 7636 §4.5–4.6). A code is single use and bound to its client, redirect
//! URI and PKCE challenge; a code presented again revokes every token issued
//! from it (§4.1.2, RFC 9700 §4.2.4).

use crate::app::App;
use crate::crypto::Digest;
use crate::domain::token::{
    ACCESS_TOKEN_PREFIX, AUTH_CODE_PREFIX, REFRESH_TOKEN_PREFIX, id_of, mint,
};
use crate::domain::{
    AccessToken, AuthCode, Client, GrantType, NewAuditEvent, RefreshCount, RefreshToken, UnixTime,
    now,
};
use crate::oauth::{OAuthError, TokenResponse, pkce};
use crate::store::Change;

pub struct CodeRequest<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

pub async fn grant(
    app: &App,
    client: &Client,
    req: CodeRequest<'_>,
) -> Result<TokenResponse, OAuthError> {
    let unknown =
        || OAuthError::invalid_grant("the authorization code is unknown, expired or already used");
    let id = id_of(AUTH_CODE_PREFIX, req.code).ok_or_else(unknown)?;
    let code = app.store.get_auth_code(&id).await?.ok_or_else(unknown)?;
    if !code.hash.ct_eq(&Digest::of(req.code)) {
        return Err(unknown());
    }
    if code.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    let at = now();
    if code.consumed_at.is_some() {
        return Err(replayed(app, client, &code.grant_id, at).await?);
    }
    if let Err(e) = check_exchange(&code, &req, at) {
        // A failed exchange burns the code: a verifier cannot be guessed
        // over many tries.
        app.store.consume_auth_code(&id, at).await?;
        return Err(e);
    }

    let lifetime = app.access_token_lifetime(client);
    let (access_id, access_secret) = mint(ACCESS_TOKEN_PREFIX);
    let access = AccessToken {
        id: access_id,
        hash: access_secret.digest(),
        client_id: client.id.clone(),
        username: Some(code.username.clone()),
        scope: code.scope.clone(),
        grant_type: GrantType::AuthorizationCode,
        grant_id: Some(code.grant_id.clone()),
        issued_at: at,
        expires_at: lifetime.map(|l| at.saturating_add(l)),
        revoked_at: None,
    };
    let refresh = issues_refresh_tokens(client).then(|| {
        let (id, secret) = mint(REFRESH_TOKEN_PREFIX);
        let record = RefreshToken {
            id,
            hash: secret.digest(),
            client_id: client.id.clone(),
            username: Some(code.username.clone()),
            scope: code.scope.clone(),
            grant_id: code.grant_id.clone(),
            issued_at: at,
            expires_at: app.settings.refresh_token_lifetime.map(|l| at + l),
            refreshes_left: client.spec.refresh_count.to_i64(),
            rotated_at: None,
            successor: None,
            revoked_at: None,
        };
        (record, secret)
    });
    let redeemed = app
        .store
        .redeem_auth_code(&id, at, &access, refresh.as_ref().map(|(r, _)| r))
        .await?;
    if !redeemed {
        // Redeemed by a concurrent request (another node) meanwhile.
        return Err(replayed(app, client, &code.grant_id, at).await?);
    }
    metrics::counter!("flowgate_tokens_issued_total", "grant_type" => "authorization_code")
        .increment(1);
    let scope = access.scope.to_string();
    app.remember_token(access);
    Ok(TokenResponse {
        access_token: access_secret.expose().to_owned(),
        token_type: "Bearer",
        expires_in: lifetime,
        refresh_token: refresh.map(|(_, s)| s.expose().to_owned()),
        scope,
    })
}

/// A code presented again: every token of its grant is revoked (RFC 6749
/// §4.1.2, RFC 9700 §4.5) and the answer is the error to send.
async fn replayed(
    app: &App,
    client: &Client,
    grant_id: &str,
    at: UnixTime,
) -> Result<OAuthError, OAuthError> {
    let revoked = app.store.revoke_grant(grant_id, at).await?;
    let count = revoked.len();
    app.forget(Change::Tokens(revoked)).await;
    app.audit(
        NewAuditEvent::failure(
            format!("client:{}", client.id),
            "code.replay",
            grant_id.to_owned(),
        )
        .with_detail(serde_json::json!({ "revoked_access_tokens": count })),
    )
    .await;
    Ok(OAuthError::invalid_grant(
        "the authorization code was already used; the tokens issued from it are revoked",
    ))
}

/// The checks an unused code must pass: not expired, the same redirect
/// URI, and the PKCE verifier (RFC 7636 §4.6).
fn check_exchange(code: &AuthCode, req: &CodeRequest<'_>, at: UnixTime) -> Result<(), OAuthError> {
    let unknown =
        || OAuthError::invalid_grant("the authorization code is unknown, expired or already used");
    if code.expires_at <= at {
        return Err(unknown());
    }
    if !code.redirect_uri.is_empty() && req.redirect_uri != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri must be identical to the one in the authorization request",
        ));
    }
    match (&code.code_challenge, req.code_verifier) {
        (Some(challenge), Some(verifier)) => {
            let method = code
                .code_challenge_method
                .as_deref()
                .and_then(pkce::Method::parse)
                .unwrap_or(pkce::Method::Plain);
            if !pkce::verify(method, challenge, verifier) {
                return Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier is required for this code",
            ));
        }
        // RFC 9700 §4.8.2: a verifier without a challenge is a downgrade.
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier sent for a code issued without code_challenge",
            ));
        }
        (None, None) => {}
    }

    Ok(())
}

/// Refresh tokens go to clients registered for the refresh grant whose
/// refresh count is not 0 (DESIGN §3).
pub fn issues_refresh_tokens(client: &Client) -> bool {
    client.allows_grant(GrantType::RefreshToken)
        && client.spec.refresh_count != RefreshCount::Limited(0)
}
