//! Access tokens, refresh tokens and authorization codes as stored: only a
//! digest of each secret value is kept (DESIGN §7).

use super::{GrantType, ScopeSet, UnixTime};
use crate::crypto::Digest;

/// Prefix of every access token.
pub const ACCESS_TOKEN_PREFIX: &str = "fgat_";
/// Prefix of every refresh token.
pub const REFRESH_TOKEN_PREFIX: &str = "fgrt_";
/// Prefix of every authorization code.
pub const AUTH_CODE_PREFIX: &str = "fgac_";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
