//! Refresh token grant (RFC 6749 §6, RFC 9700 §4.14). Every refresh rotates
//! the refresh token and uses one of the grant's refreshes. A rotated-out
//! token presented again revokes the whole grant family, unless it comes
//! within the grace period: then the same successor answer is given again.
//! Successors are derived from the presented token (see
//! [`crate::domain::token::derive`]), so the answer can be rebuilt without
//! storing any token in the clear.

use crate::app::App;
use crate::crypto::{Digest, Secret};
use crate::domain::token::{ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX, derive, id_of};
use crate::domain::{
    AccessToken, Client, GrantType, NewAuditEvent, RefreshToken, ScopeSet, TokenId, now,
};
use crate::oauth::{OAuthError, TokenResponse};
use crate::store::Change;

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("the refresh token is invalid, expired or revoked")
}

pub async fn grant(
    app: &App,
    client: &Client,
    presented: &Secret,
    scope: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let id = id_of(REFRESH_TOKEN_PREFIX, presented.expose()).ok_or_else(invalid)?;
    let mut old = app
        .store
        .get_refresh_token(&id)
        .await?
        .ok_or_else(invalid)?;
    if !old.hash.ct_eq(&Digest::of(presented.expose())) || old.client_id != client.id {
        return Err(invalid());
    }
    let at = now();
    if old.revoked_at.is_some() || old.expires_at.is_some_and(|t| t <= at) {
        return Err(invalid());
    }
    // A rotated-out token goes to reuse detection whatever it asks for.
    if old.rotated_at.is_none() {
        // RFC 6749 §6: the new access token may narrow the scope, never widen it.
        let scope = narrowed(&old.scope, scope)?;
        if old.refreshes_left == 0 {
            return Err(OAuthError::invalid_grant(
                "this grant may not be refreshed any more",
            ));
        }
        let (refresh, access, refresh_secret, access_secret) =
            successors(app, client, &old, presented, scope, at);
        if app
            .store
            .rotate_refresh_token(&old.id, at, &refresh, &access)
            .await?
        {
            metrics::counter!("flowgate_tokens_issued_total", "grant_type" => "refresh_token")
                .increment(1);
            return Ok(answer(app, access, access_secret, refresh_secret, at));
        }
        // Another request rotated or revoked it first: follow its outcome.
        old = app
            .store
            .get_refresh_token(&id)
            .await?
            .ok_or_else(invalid)?;
        if old.revoked_at.is_some() {
            return Err(invalid());
        }
    }
    replay(app, client, &old, presented, at).await
}

/// The scope asked for, which must lie within the refresh token's.
fn narrowed(granted: &ScopeSet, asked: Option<&str>) -> Result<ScopeSet, OAuthError> {
    let Some(asked) = asked else {
        return Ok(granted.clone());
    };
    let asked = ScopeSet::parse(asked).map_err(OAuthError::invalid_scope)?;
    if let Some(extra) = asked.missing_from(granted).next() {
        return Err(OAuthError::invalid_scope(format!(
            "scope {extra} was not granted to this refresh token"
        )));
    }
    Ok(asked)
}

/// A rotated-out token again: the same successor within the grace period,
/// else reuse detection revokes the family.
async fn replay(
    app: &App,
    client: &Client,
    old: &RefreshToken,
    presented: &Secret,
    at: i64,
) -> Result<TokenResponse, OAuthError> {
    let grace = app.settings.refresh_grace;
    let in_grace = grace > 0 && old.rotated_at.is_some_and(|r| at - r <= grace);
    if let (true, Some((refresh_id, access_id))) = (in_grace, old.successor) {
        let refresh = app.store.get_refresh_token(&refresh_id).await?;
        let access = app.store.get_access_token(&access_id).await?;
        if let (Some(r), Some(a)) = (refresh, access)
            && r.revoked_at.is_none()
            && a.revoked_at.is_none()
        {
            let refresh_secret = derive(REFRESH_TOKEN_PREFIX, r.id, presented);
            let access_secret = derive(ACCESS_TOKEN_PREFIX, a.id, presented);
            if r.hash.ct_eq(&refresh_secret.digest()) && a.hash.ct_eq(&access_secret.digest()) {
                return Ok(answer(app, a, access_secret, refresh_secret, at));
            }
        }
    }
    let revoked = app.store.revoke_grant(&old.grant_id, at).await?;
    let count = revoked.len();
    app.forget(Change::Tokens(revoked)).await;
    app.audit(
        NewAuditEvent::failure(
            format!("client:{}", client.id),
            "refresh.reuse",
            old.grant_id.clone(),
        )
        .with_detail(serde_json::json!({ "revoked_access_tokens": count })),
    )
    .await;
    Err(OAuthError::invalid_grant(
        "the refresh token was already used; the grant is revoked",
    ))
}

/// The tokens that replace `old`, derived from the presented token.
fn successors(
    app: &App,
    client: &Client,
    old: &RefreshToken,
    presented: &Secret,
    scope: ScopeSet,
    at: i64,
) -> (RefreshToken, AccessToken, Secret, Secret) {
    let refresh_id = TokenId::new();
    let access_id = TokenId::new();
    let refresh_secret = derive(REFRESH_TOKEN_PREFIX, refresh_id, presented);
    let access_secret = derive(ACCESS_TOKEN_PREFIX, access_id, presented);
    let lifetime = app.access_token_lifetime(client);
    let refresh = RefreshToken {
        id: refresh_id,
        hash: refresh_secret.digest(),
        // §6: the new refresh token keeps the scope of the old one.
        scope: old.scope.clone(),
        issued_at: at,
        expires_at: app.settings.refresh_token_lifetime.map(|l| at + l),
        refreshes_left: if old.refreshes_left < 0 {
            -1
        } else {
            old.refreshes_left - 1
        },
        rotated_at: None,
        successor: None,
        revoked_at: None,
        ..old.clone()
    };
    let access = AccessToken {
        id: access_id,
        hash: access_secret.digest(),
        client_id: client.id.clone(),
        username: old.username.clone(),
        scope,
        grant_type: GrantType::RefreshToken,
        grant_id: Some(old.grant_id.clone()),
        issued_at: at,
        expires_at: lifetime.map(|l| at.saturating_add(l)),
        revoked_at: None,
    };
    (refresh, access, refresh_secret, access_secret)
}

fn answer(
    app: &App,
    access: AccessToken,
    access_secret: Secret,
    refresh_secret: Secret,
    at: i64,
) -> TokenResponse {
    let expires_in = access.expires_at.map(|e| (e - at).max(0));
    let scope = access.scope.to_string();
    app.remember_token(access);
    TokenResponse {
        access_token: access_secret.expose().to_owned(),
        token_type: "Bearer",
        expires_in,
        refresh_token: Some(refresh_secret.expose().to_owned()),
        scope,
    }
}
