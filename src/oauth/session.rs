//! Login sessions of the authorization pages: a 256-bit random id in an
//! HttpOnly cookie, stored as its digest, with a CSRF token of its own.

use crate::app::App;
use crate::crypto::{Digest, Secret, random_secret};
use crate::domain::session::SESSION_PREFIX;
use crate::domain::{NewAuditEvent, Session, now};
use crate::store::StoreResult;
use subtle::ConstantTimeEq;

/// Longest cookie value considered.
const MAX_SESSION_ID_LEN: usize = 128;

impl App {
    /// Starts a session for `username`; returns the cookie value (sent
    /// once) and the session.
    pub async fn start_session(&self, username: &str) -> StoreResult<(Secret, Session)> {
        let id = random_secret(SESSION_PREFIX);
        let at = now();
        let session = Session {
            id_hash: id.digest(),
            username: username.to_owned(),
            csrf_token: random_secret("").expose().to_owned(),
            created_at: at,
            expires_at: at + self.settings.session_lifetime,
        };
        self.store.insert_session(&session).await?;
        self.audit(NewAuditEvent::success(
            format!("user:{username}"),
            "user.login",
            username.to_owned(),
        ))
        .await;
        Ok((id, session))
    }

    /// The live session a cookie value names, if any.
    pub async fn session(&self, cookie: &str) -> StoreResult<Option<Session>> {
        if !cookie.starts_with(SESSION_PREFIX) || cookie.len() > MAX_SESSION_ID_LEN {
            return Ok(None);
        }
        let session = self.store.get_session(&Digest::of(cookie)).await?;
        Ok(session.filter(|s| s.expires_at > now()))
    }

    /// Ends the session a cookie value names.
    pub async fn end_session(&self, cookie: &str) -> StoreResult<()> {
        if cookie.len() <= MAX_SESSION_ID_LEN {
            self.store.delete_session(&Digest::of(cookie)).await?;
        }
        Ok(())
    }
}

/// Compares a submitted CSRF token with the expected one in constant time.
pub fn csrf_matches(expected: &str, submitted: Option<&str>) -> bool {
    submitted.is_some_and(|s| {
        !expected.is_empty() && bool::from(s.as_bytes().ct_eq(expected.as_bytes()))
    })
}

/// A MAC over the authorization request a permissions form carries, keyed
/// with the session's CSRF token: the user can tick and untick scopes, but
/// cannot edit what the client asked for (RFC 6749 §10.12, §3.3).
pub fn seal(csrf_token: &str, fields: &[(&str, Option<&str>)]) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut message = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        message.append_pair(name, value.unwrap_or("\u{0}"));
    }
    let message = message.finish();
    match Hmac::<sha2::Sha256>::new_from_slice(csrf_token.as_bytes()) {
        Ok(mut mac) => {
            mac.update(message.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}
