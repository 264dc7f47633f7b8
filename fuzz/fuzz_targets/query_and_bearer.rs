//! Query parsing and bearer extraction: the authorization endpoint's query
//! parsing, the check for secrets in a URL, bearer token extraction over
//! arbitrary `Authorization` and `Content-Type` header values, the split
//! token parser and the `WWW-Authenticate` challenge.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, header};
use flowgate::domain::token::{ACCESS_TOKEN_PREFIX, AUTH_CODE_PREFIX, REFRESH_TOKEN_PREFIX, id_of};
use flowgate::gateway::bearer::{self, ErrorCode};
use flowgate::oauth::Params;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    query: Option<&'a str>,
    authorization: Vec<&'a [u8]>,
    content_type: Option<&'a [u8]>,
    body: Option<&'a [u8]>,
}

fuzz_target!(|input: Input| {
    if let Some(query) = input.query {
        let _ = Params::check_query(Some(query));
        if let Ok(pairs) = Params::pairs(query.as_bytes()) {
            let _ = Params::from_pairs(pairs);
        }
    }

    let mut headers = HeaderMap::new();
    for value in &input.authorization {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            headers.append(header::AUTHORIZATION, v);
        }
    }
    if let Some(Ok(v)) = input.content_type.map(HeaderValue::from_bytes) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    let form = input.body.filter(|_| bearer::is_form(&headers));
    let has_access_token =
        |text: &[u8]| form_urlencoded::parse(text).any(|(k, _)| k == "access_token");
    match bearer::extract(&headers, input.query, form) {
        Ok(Some(token)) => {
            assert!(!token.is_empty() && !token.contains(' '));
            assert!(!input.query.is_some_and(|q| has_access_token(q.as_bytes())));
            for prefix in [ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX, AUTH_CODE_PREFIX] {
                let _ = id_of(prefix, &token);
            }
        }
        Ok(None) => assert!(!form.is_some_and(has_access_token)),
        Err(bearer::InvalidRequest(why)) => {
            let _ = bearer::challenge(ErrorCode::InvalidRequest, why, None);
        }
    }

    let text = input.query.unwrap_or("");
    for prefix in [
        ACCESS_TOKEN_PREFIX,
        REFRESH_TOKEN_PREFIX,
        AUTH_CODE_PREFIX,
        "",
    ] {
        let _ = id_of(prefix, text);
    }
    let response = bearer::challenge(ErrorCode::InsufficientScope, text, Some(text));
    assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
});
