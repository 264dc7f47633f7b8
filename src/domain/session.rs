//! Browser login sessions for the authorization pages. The cookie carries a
//! 256-bit random id; only its digest is stored.

use super::UnixTime;
use crate::crypto::Digest;

#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: Digest,
    pub username: String,
    /// Token every form of this session must echo (CSRF protection).
    pub csrf_token: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Prefix of session ids.
pub const SESSION_PREFIX: &str = "fgs_";
