//! Bearer token extraction (RFC 6750 §2) and the split-token id parser:
//! arbitrary input never panics, and what comes out has the documented
//! shape.

use super::config;
use axum::http::{HeaderMap, HeaderValue, header};
use flowgate::domain::token::{ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX, id_of, mint};
use flowgate::gateway::bearer::{self, ErrorCode, extract};
use proptest::collection::vec;
use proptest::prelude::*;

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
const B64TOKEN: &str = "[A-Za-z0-9._~+/-]{1,40}=*";

/// Header values, mostly `Bearer`-like.
fn authorization() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..40),
        ("(?i:bearer|basic|bear)", "[ ]{0,3}", "[ -~]{0,30}")
            .prop_map(|(s, sp, rest)| format!("{s}{sp}{rest}").into_bytes()),
        B64TOKEN.prop_map(|t| format!("Bearer {t}").into_bytes()),
    ]
}

fn has_access_token(form: &[u8]) -> bool {
    form_urlencoded::parse(form).any(|(k, _)| k == "access_token")
}

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary headers, query and body: no panic; a token comes back
    /// only from one `Bearer` header and is a b64token; a query or form
    /// `access_token` never gives a token.
    #[test]
    fn extraction_never_panics(
        values in vec(authorization(), 0..3),
        query in proptest::option::of(prop_oneof![any::<String>(), "(access_token|a)=[a-z]{0,3}(&b=1)?"]),
        body in proptest::option::of(prop_oneof![vec(any::<u8>(), 0..40), Just(b"access_token=x".to_vec())]),
    ) {
        let mut headers = HeaderMap::new();
        for v in &values {
            if let Ok(v) = HeaderValue::from_bytes(v) {
                headers.append(header::AUTHORIZATION, v);
            }
        }
        let count = headers.get_all(header::AUTHORIZATION).iter().count();
        match extract(&headers, query.as_deref(), body.as_deref()) {
            Ok(Some(token)) => {
                prop_assert_eq!(count, 1);
                prop_assert!(regex::Regex::new("^[A-Za-z0-9._~+/-]+=*$").unwrap().is_match(&token), "{}", token);
                prop_assert!(!query.as_deref().is_some_and(|q| has_access_token(q.as_bytes())));
                prop_assert!(!body.as_deref().is_some_and(has_access_token));
            }
            Ok(None) => {
                prop_assert!(!query.as_deref().is_some_and(|q| has_access_token(q.as_bytes())));
                prop_assert!(!body.as_deref().is_some_and(has_access_token));
            }
            Err(bearer::InvalidRequest(why)) => {
                let r = bearer::challenge(ErrorCode::InvalidRequest, why, None);
                prop_assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
            }
        }
    }

    /// A well-formed `Bearer` header alone gives its token back.
    #[test]
    fn bearer_header_gives_its_token(token in B64TOKEN, scheme in "(?i:bearer)", spaces in " {1,3}") {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("{scheme}{spaces}{token}")).unwrap());
        prop_assert_eq!(extract(&headers, None, None), Ok(Some(token)));
    }

    /// Any description and scope make a valid challenge header.
    #[test]
    fn challenge_is_always_a_header(description in any::<String>(), scope in any::<String>()) {
        let r = bearer::challenge(ErrorCode::InsufficientScope, &description, Some(&scope));
        prop_assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
    }

    /// `id_of` never panics on arbitrary text, and finds nothing in text
    /// that is not 64 base64url characters after the prefix.
    #[test]
    fn id_of_arbitrary_text(text in prop_oneof![any::<String>(), "fgat_[A-Za-z0-9_=-]{60,68}", "fgat_.{64}"]) {
        if let Some(id) = id_of(ACCESS_TOKEN_PREFIX, &text) {
            let body = &text[ACCESS_TOKEN_PREFIX.len()..];
            prop_assert_eq!(body.len(), 64);
            prop_assert!(body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            prop_assert_eq!(id.0.to_vec(), base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, body).unwrap()[..16].to_vec());
        }
        let _ = id_of("", &text);
    }

    /// A minted token gives back its id under its own prefix only, and
    /// any change to its length loses it.
    #[test]
    fn minted_token_ids(cut in 1usize..10, extra in "[A-Za-z0-9_-]{1,4}") {
        let (id, secret) = mint(ACCESS_TOKEN_PREFIX);
        let token = secret.expose();
        prop_assert_eq!(id_of(ACCESS_TOKEN_PREFIX, token), Some(id));
        prop_assert_eq!(id_of(REFRESH_TOKEN_PREFIX, token), None);
        prop_assert_eq!(id_of(ACCESS_TOKEN_PREFIX, &token[..token.len() - cut]), None);
        prop_assert_eq!(id_of(ACCESS_TOKEN_PREFIX, &format!("{token}{extra}")), None);
    }
}
