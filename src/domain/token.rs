//! Access tokens, refresh tokens and authorization codes as stored: only a
//! digest of each secret value is kept (DESIGN §7).
//!
//! Every token and code is a *split token*: `prefix` followed by the
//! base64url encoding of a 128-bit record id (a time-ordered UUIDv7) and 256
//! random bits. The store finds the record by its id — appending to its
//! primary key instead of scattering random keys over it — and the whole
//! value is checked against the stored SHA-256 digest in constant time.

use super::{GrantType, ScopeSet, UnixTime};
use crate::crypto::{Digest, Secret, fill_random};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;

/// The public identifier of a token or code record.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(pub [u8; 16]);

impl TokenId {
    /// A new time-ordered id.
    pub fn new() -> TokenId {
        TokenId(*uuid::Uuid::now_v7().as_bytes())
    }

    /// Parses the UUID form used in the admin API and the CLI.
    pub fn parse(s: &str) -> Option<TokenId> {
        uuid::Uuid::try_parse(s)
            .ok()
            .map(|u| TokenId(*u.as_bytes()))
    }

    pub fn from_slice(bytes: &[u8]) -> Option<TokenId> {
        <[u8; 16]>::try_from(bytes).ok().map(TokenId)
    }
}

impl Default for TokenId {
    fn default() -> Self {
        TokenId::new()
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        uuid::Uuid::from_bytes(self.0).hyphenated().fmt(f)
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({self})")
    }
}

/// A new split token with `prefix`: its id and the secret value.
pub fn mint(prefix: &str) -> (TokenId, Secret) {
    let id = TokenId::new();
    let mut raw = [0u8; 48];
    raw[..16].copy_from_slice(&id.0);
    fill_random(&mut raw[16..]);
    let mut out = String::with_capacity(prefix.len() + 64);
    out.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(raw, &mut out);
    (id, Secret::new(out))
}

/// The token with `prefix` and `id` derived from a parent token: its secret
/// part is HMAC-SHA256 keyed with the parent, so whoever presents the parent
/// again gets the very same token (refresh grace period), and nobody without
/// the parent can compute it.
pub fn derive(prefix: &str, id: TokenId, parent: &Secret) -> Secret {
    use hmac::{Hmac, Mac};
    let mut raw = [0u8; 48];
    raw[..16].copy_from_slice(&id.0);
    // HMAC accepts keys of any length; the error arm cannot occur.
    if let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(parent.expose().as_bytes()) {
        mac.update(prefix.as_bytes());
        mac.update(&id.0);
        raw[16..].copy_from_slice(&mac.finalize().into_bytes());
    }
    let mut out = String::with_capacity(prefix.len() + 64);
    out.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(raw, &mut out);
    Secret::new(out)
}

/// The record id inside `token` if it has the shape of a `prefix` token.
pub fn id_of(prefix: &str, token: &str) -> Option<TokenId> {
    let body = token.strip_prefix(prefix)?;
    if body.len() != 64 {
        return None;
    }
    let mut raw = [0u8; 48];
    let n = URL_SAFE_NO_PAD.decode_slice(body, &mut raw).ok()?;
    if n != 48 {
        return None;
    }
    TokenId::from_slice(&raw[..16])
}

/// Prefix of every access token.
pub const ACCESS_TOKEN_PREFIX: &str = "fgat_";
/// Prefix of every refresh token.
pub const REFRESH_TOKEN_PREFIX: &str = "fgrt_";
/// Prefix of every authorization code.
pub const AUTH_CODE_PREFIX: &str = "fgac_";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub id: TokenId,
    /// SHA-256 of the whole token.
    pub hash: Digest,
    pub client_id: String,
    /// The resource owner, absent for client credentials tokens.
    pub username: Option<String>,
    pub scope: ScopeSet,
    pub grant_type: GrantType,
    /// The authorization grant this token descends from (code → refresh
    /// chain); revoking a family revokes every token sharing it.
    pub grant_id: Option<String>,
    pub issued_at: UnixTime,
    /// `None` never expires.
    pub expires_at: Option<UnixTime>,
    pub revoked_at: Option<UnixTime>,
}

impl AccessToken {
    pub fn is_expired(&self, now: UnixTime) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// Active: neither expired nor revoked (the client is checked apart).
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.revoked_at.is_none() && !self.is_expired(now)
    }

    pub fn state(&self, now: UnixTime) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if self.is_expired(now) {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub id: TokenId,
    pub hash: Digest,
    pub client_id: String,
    pub username: Option<String>,
    pub scope: ScopeSet,
    pub grant_id: String,
    pub issued_at: UnixTime,
    pub expires_at: Option<UnixTime>,
    /// Refreshes left in this grant family; `-1` unlimited.
    pub refreshes_left: i64,
    /// Set when this token was exchanged for a successor.
    pub rotated_at: Option<UnixTime>,
    /// Ids of the refresh and access token it was exchanged for.
    pub successor: Option<(TokenId, TokenId)>,
    pub revoked_at: Option<UnixTime>,
}

impl RefreshToken {
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.revoked_at.is_none()
            && self.rotated_at.is_none()
            && self.expires_at.is_none_or(|t| t > now)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCode {
    pub id: TokenId,
    pub hash: Digest,
    pub client_id: String,
    pub username: String,
    pub redirect_uri: String,
    pub scope: ScopeSet,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub grant_id: String,
    pub issued_at: UnixTime,
    pub expires_at: UnixTime,
    pub consumed_at: Option<UnixTime>,
}

/// What an administrator sees of a token's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl TokenState {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<TokenState> {
        match s {
            "active" => Some(TokenState::Active),
            "expired" => Some(TokenState::Expired),
            "revoked" => Some(TokenState::Revoked),
            _ => None,
        }
    }
}

/// Selects access token records for listing, newest first.
#[derive(Debug, Clone, Default)]
pub struct TokenFilter {
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub state: Option<TokenState>,
    /// At most this many records (capped by the store).
    pub limit: u32,
    /// Skip this many records (pagination).
    pub offset: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_tokens_carry_their_id_and_256_random_bits() {
        let (id, token) = mint(ACCESS_TOKEN_PREFIX);
        assert_eq!(token.expose().len(), 5 + 64);
        assert_eq!(id_of(ACCESS_TOKEN_PREFIX, token.expose()), Some(id));
        assert_eq!(id_of(REFRESH_TOKEN_PREFIX, token.expose()), None);
        let (id2, token2) = mint(ACCESS_TOKEN_PREFIX);
        assert_ne!(token, token2);
        assert!(id < id2, "ids are time-ordered");
    }

    #[test]
    fn malformed_tokens_have_no_id() {
        for t in [
            "fgat_",
            "fgat_abc",
            "garbage",
            &format!("fgat_{}", "A".repeat(63)),
            &format!("fgat_{}", "*".repeat(64)),
        ] {
            assert_eq!(id_of(ACCESS_TOKEN_PREFIX, t), None, "{t}");
        }
    }

    #[test]
    fn ids_round_trip_through_their_text_form() {
        let id = TokenId::new();
        assert_eq!(TokenId::parse(&id.to_string()), Some(id));
        assert_eq!(TokenId::parse("nope"), None);
    }
}
