//! Bearer token extraction (RFC 6750 §2) and the `WWW-Authenticate`
//! challenges of the protected services (RFC 6750 §3).
//!
//! Only the Authorization request header field (§2.1) is accepted. A token
//! sent as a URI query parameter (§2.3) or in a form-encoded body (§2.2) is
//! refused with `invalid_request`, as is a token sent in more than one way.

use super::reply::error_json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

/// The realm of every challenge (RFC 6750 §3, RFC 7235 §2.2).
pub const REALM: &str = "flowgate";

/// The parameter name of the refused query and form-body methods.
const ACCESS_TOKEN: &str = "access_token";

/// Why a request's credentials were refused before the token was looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRequest(pub &'static str);

/// The bearer token of a request, `None` when it carries no credentials at
/// all. `form_body` is the raw body when it is form-encoded.
pub fn extract(
    headers: &HeaderMap,
    query: Option<&str>,
    form_body: Option<&[u8]>,
) -> Result<Option<String>, InvalidRequest> {
    let in_query = query.is_some_and(has_access_token);
    let in_form = form_body.is_some_and(has_access_token_bytes);
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(InvalidRequest("more than one Authorization header"));
    }
    let in_header = match first {
        None => None,
        Some(v) => parse_authorization(v)?,
    };
    let places = usize::from(in_query) + usize::from(in_form) + usize::from(in_header.is_some());
    if places > 1 {
        return Err(InvalidRequest(
            "the access token must be sent in exactly one way (RFC 6750 section 2)",
        ));
    }
    if in_query || in_form {
        return Err(InvalidRequest(
            "send the access token in the Authorization header (RFC 6750 section 2.1)",
        ));
    }
    Ok(in_header)
}

/// The token of an `Authorization: Bearer <b64token>` header (RFC 6750
/// §2.1); `None` for another scheme, an error for a malformed one.
fn parse_authorization(value: &HeaderValue) -> Result<Option<String>, InvalidRequest> {
    const MALFORMED: InvalidRequest =
        InvalidRequest("malformed Authorization header (expected: Bearer <token>)");
    let Ok(text) = value.to_str() else {
        return Err(MALFORMED);
    };
    let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    if is_b64token(token) {
        Ok(Some(token.to_owned()))
    } else {
        Err(MALFORMED)
    }
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

fn has_access_token(query: &str) -> bool {
    has_access_token_bytes(query.as_bytes())
}

fn has_access_token_bytes(form: &[u8]) -> bool {
    form_urlencoded::parse(form).any(|(k, _)| k == ACCESS_TOKEN)
}

/// Whether a request body is form-encoded, so it may hold an
/// `access_token` parameter (RFC 6750 §2.2).
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// An RFC 6750 §3.1 error code with its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidToken,
    InsufficientScope,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
            ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        }
    }
}

/// 401 with a bare `Bearer realm="flowgate"` challenge: the request had no
/// credentials, so no error attributes are sent (RFC 6750 §3.1).
pub fn no_credentials() -> Response {
    let mut r = error_json(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "an access token is required (Authorization: Bearer)",
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer realm="flowgate""#),
    );
    r
}

/// An error answer with its challenge (RFC 6750 §3): `error`,
/// `error_description` and, for `insufficient_scope`, the `scope` needed.
pub fn challenge(code: ErrorCode, description: &str, scope: Option<&str>) -> Response {
    let mut r = error_json(code.status(), code.as_str(), description);
    let mut value = format!(
        r#"Bearer realm="{REALM}", error="{}", error_description="{}""#,
        code.as_str(),
        quotable(description)
    );
    if let Some(scope) = scope.filter(|s| !s.is_empty()) {
        value.push_str(&format!(r#", scope="{}""#, quotable(scope)));
    }
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// Keeps the characters RFC 6750 §3 allows inside the quoted attribute
/// values (%x20-21 / %x23-5B / %x5D-7E).
fn quotable(s: &str) -> String {
    s.chars()
        .filter(|c| matches!(*c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for a in auth {
            h.append(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn header_method_rfc6750_2_1() {
        assert_eq!(
            extract(&headers(&["Bearer abc.DEF-_~+/=="]), None, None),
            Ok(Some("abc.DEF-_~+/==".into()))
        );
        assert_eq!(
            extract(&headers(&["bearer  x"]), None, None),
            Ok(Some("x".into()))
        );
        assert_eq!(extract(&headers(&[]), None, None), Ok(None));
        assert_eq!(extract(&headers(&["Basic eDp5"]), None, None), Ok(None));
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer ===",
            "Bearer a\"b",
        ] {
            assert!(extract(&headers(&[bad]), None, None).is_err(), "{bad}");
        }
        assert!(extract(&headers(&["Bearer a", "Bearer a"]), None, None).is_err());
    }

    #[test]
    fn query_and_form_methods_are_refused_rfc6750_2_2_2_3() {
        let h = headers(&[]);
        assert!(extract(&h, Some("a=1&access_token=x"), None).is_err());
        assert!(extract(&h, None, Some(b"access_token=x")).is_err());
        assert_eq!(extract(&h, Some("a=1"), Some(b"b=2")), Ok(None));
        let both = extract(&headers(&["Bearer x"]), Some("access_token=x"), None);
        assert!(both.unwrap_err().0.contains("exactly one"));
    }

    #[test]
    fn challenge_values_rfc6750_3() {
        let r = challenge(ErrorCode::InsufficientScope, "say \"no\"", Some("orders"));
        assert_eq!(
            r.headers()[header::WWW_AUTHENTICATE],
            r#"Bearer realm="flowgate", error="insufficient_scope", error_description="say no", scope="orders""#
        );
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}
