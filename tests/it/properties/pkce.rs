//! PKCE (RFC 7636): the S256 challenge of a valid verifier verifies, any
//! other verifier does not, and verifiers outside the §4.1 syntax (43–128
//! unreserved characters) are refused, even against their own challenge.

use super::config;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flowgate::oauth::pkce::{Method, verify, well_formed};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))` (§4.2).
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn verifier() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~-]{43,128}"
}

/// Strings that break the verifier syntax: too short, too long, or with a
/// character outside the unreserved set.
fn malformed() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9._~-]{0,42}",
        "[A-Za-z0-9._~-]{129,200}",
        (
            "[A-Za-z0-9._~-]{21,64}",
            "[^A-Za-z0-9._~-]",
            "[A-Za-z0-9._~-]{21,64}"
        )
            .prop_map(|(a, bad, b)| format!("{a}{bad}{b}")),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// A verifier verifies against its S256 challenge and, with `plain`,
    /// against itself; the S256 challenge is itself well formed (§4.2).
    #[test]
    fn verifier_verifies_against_its_challenge(v in verifier()) {
        prop_assert!(well_formed(&v));
        let challenge = s256(&v);
        prop_assert!(well_formed(&challenge));
        prop_assert!(verify(Method::S256, &challenge, &v));
        prop_assert!(verify(Method::Plain, &v, &v));
        // The methods are not interchangeable.
        prop_assert!(!verify(Method::Plain, &challenge, &v));
        prop_assert!(!verify(Method::S256, &v, &v));
    }

    /// Any other verifier fails, whichever the method.
    #[test]
    fn other_verifier_fails(v in verifier(), other in verifier()) {
        prop_assume!(v != other);
        prop_assert!(!verify(Method::S256, &s256(&v), &other));
        prop_assert!(!verify(Method::Plain, &v, &other));
    }

    /// A verifier with one character changed fails.
    #[test]
    fn changed_verifier_fails(v in verifier(), at in any::<proptest::sample::Index>(), c in "[A-Za-z0-9._~-]") {
        let i = at.index(v.len());
        let mut changed = v.clone();
        changed.replace_range(i..=i, &c);
        prop_assume!(changed != v);
        prop_assert!(!verify(Method::S256, &s256(&v), &changed));
    }

    /// A malformed verifier is refused, even with the challenge computed
    /// from it.
    #[test]
    fn malformed_verifier_is_refused(v in malformed()) {
        prop_assert!(!well_formed(&v));
        prop_assert!(!verify(Method::S256, &s256(&v), &v));
        prop_assert!(!verify(Method::Plain, &v, &v));
    }

    /// Only the exact method names are known (§4.3: case-sensitive).
    #[test]
    fn method_names_are_exact(
        name in prop_oneof![
            Just("S256".to_owned()), Just("plain".to_owned()), Just("s256".to_owned()),
            Just("PLAIN".to_owned()), Just("S256 ".to_owned()), "[A-Za-z0-9 ]{0,6}",
        ]
    ) {
        let expected = match name.as_str() {
            "S256" => Some(Method::S256),
            "plain" => Some(Method::Plain),
            _ => None,
        };
        prop_assert_eq!(Method::parse(&name), expected);
    }
}
