//! The strict form parser of the OAuth endpoints (`Params`, RFC 6749 §3.2,
//! Appendix B) and the refusal of secrets in a URL query.

use super::config;
use flowgate::oauth::{ErrorCode, Params};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

const NOT_UTF8: &str = "the request body is not valid UTF-8";

/// Encodes `pairs` as a form body.
fn serialize(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Encodes every byte of `s` as `%XX`: another spelling of the same name.
fn percent_all(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Distinct names with arbitrary (Unicode) values, in a random order.
fn unique_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    btree_map(any::<String>(), any::<String>(), 0..8)
        .prop_map(|m| m.into_iter().collect::<Vec<_>>())
        .prop_shuffle()
}

proptest! {
    #![proptest_config(config(256))]

    /// Serialized pairs come back as they were, in order; `get` has each
    /// non-empty value, and an empty value counts as omitted.
    #[test]
    fn round_trip(pairs in unique_pairs()) {
        let body = serialize(&pairs);
        prop_assert_eq!(&Params::pairs(body.as_bytes()).unwrap(), &pairs);
        let params = Params::parse(body.as_bytes()).unwrap();
        for (name, value) in &pairs {
            let expected = (!value.is_empty()).then_some(value.as_str());
            prop_assert_eq!(params.get(name), expected);
            prop_assert_eq!(params.contains(name), !value.is_empty());
        }
    }

    /// Any body either parses, agreeing with the WHATWG parser, or is
    /// refused with `invalid_request` for one of the documented reasons.
    #[test]
    fn arbitrary_bytes_parse_or_are_refused(body in vec(any::<u8>(), 0..200)) {
        match Params::pairs(&body) {
            Ok(pairs) => {
                let reference: Vec<(String, String)> =
                    form_urlencoded::parse(&body).into_owned().collect();
                prop_assert_eq!(pairs, reference);
            }
            Err(e) => {
                prop_assert_eq!(e.code, ErrorCode::InvalidRequest);
                prop_assert_eq!(e.description.as_ref(), NOT_UTF8);
            }
        }
        if let Err(e) = Params::parse(&body) {
            prop_assert_eq!(e.code, ErrorCode::InvalidRequest);
            prop_assert!(
                e.description == NOT_UTF8 || e.description.contains("is repeated"),
                "{}", e.description
            );
        }
    }

    /// Bodies made of form-like pieces (escapes, separators, multi-byte
    /// text) reach the parser's corners more often than random bytes.
    #[test]
    fn form_like_bytes_parse_or_are_refused(
        pieces in vec(prop_oneof![
            Just("&"), Just("="), Just("+"), Just("%"), Just("%4"), Just("%41"),
            Just("%C3%A9"), Just("%C3"), Just("%FF"), Just("a"), Just("é"), Just("\u{0}"),
        ], 0..30)
    ) {
        let body = pieces.concat();
        match Params::pairs(body.as_bytes()) {
            Ok(pairs) => {
                let reference: Vec<(String, String)> =
                    form_urlencoded::parse(body.as_bytes()).into_owned().collect();
                prop_assert_eq!(pairs, reference);
            }
            Err(e) => prop_assert_eq!(e.description.as_ref(), NOT_UTF8),
        }
    }

    /// A name sent twice is refused, whatever the values (even empty) and
    /// however the second occurrence is spelled.
    #[test]
    fn repeated_names_are_refused(
        pairs in unique_pairs(),
        name in any::<String>(),
        first in any::<String>(),
        second in any::<String>(),
        at in any::<proptest::sample::Index>(),
        encoded in any::<bool>(),
    ) {
        let mut pairs: Vec<_> = pairs.into_iter().filter(|(k, _)| *k != name).collect();
        let i = at.index(pairs.len() + 1);
        pairs.insert(i, (name.clone(), first));
        let again = serialize(&[(name.clone(), second)]);
        let again = if encoded {
            // The same name with every byte percent-encoded.
            let value = &again[again.find('=').unwrap()..];
            format!("{}{value}", percent_all(&name))
        } else {
            again
        };
        let body = format!("{}&{again}", serialize(&pairs));
        let e = Params::parse(body.as_bytes()).unwrap_err();
        prop_assert_eq!(e.code, ErrorCode::InvalidRequest);
        prop_assert!(e.description.contains("is repeated"), "{}", e.description);
    }

    /// A query naming a secret parameter is refused wherever it stands;
    /// a query without one passes.
    #[test]
    fn secrets_in_the_query_are_refused(
        pairs in unique_pairs(),
        secret in prop::sample::select(vec![
            "client_secret", "password", "token", "refresh_token", "code",
            "code_verifier", "access_token",
        ]),
        at in any::<proptest::sample::Index>(),
    ) {
        const SECRETS: &[&str] = &[
            "client_secret", "password", "token", "refresh_token", "code",
            "code_verifier", "access_token",
        ];
        let mut pairs: Vec<_> =
            pairs.into_iter().filter(|(k, _)| !SECRETS.contains(&k.as_str())).collect();
        prop_assert!(Params::check_query(Some(&serialize(&pairs))).is_ok());
        let i = at.index(pairs.len() + 1);
        pairs.insert(i, (secret.to_owned(), "x".to_owned()));
        prop_assert!(Params::check_query(Some(&serialize(&pairs))).is_err());
    }
}
