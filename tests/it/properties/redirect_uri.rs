//! Redirect URIs (RFC 6749 §3.1.2, RFC 8252 §7): a registered URI matches
//! itself, character for character; any change to it never matches, except
//! the port of an `http` loopback IP URI (RFC 8252 §7.3).

use super::config;
use flowgate::domain::redirect_uri::{check, matches};
use proptest::prelude::*;

/// A registrable `https` URI, its path starting with a lowercase letter.
fn https_uri() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9-]{0,8}){0,2}\\.example",
        proptest::option::of(1u16..),
        "/[a-z][a-zA-Z0-9._~-]{0,8}(/[a-zA-Z0-9._~-]{0,8}){0,2}",
        proptest::option::of("[a-z]{1,5}=[a-zA-Z0-9]{0,5}"),
    )
        .prop_map(|(host, port, path, query)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            format!("https://{host}{port}{path}{query}")
        })
}

/// An `http` URI on a loopback IP, with or without a port.
fn loopback_uri() -> impl Strategy<Value = (String, String, String)> {
    (
        prop_oneof![
            Just("127.0.0.1".to_owned()),
            (0u8.., 0u8.., 1u8..255).prop_map(|(a, b, c)| format!("127.{a}.{b}.{c}")),
            Just("[::1]".to_owned()),
        ],
        proptest::option::of(1u16..),
        "/[a-z][a-zA-Z0-9._~-]{0,8}(\\?[a-z]=[a-z]{0,3})?",
    )
        .prop_map(|(host, port, rest)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            (format!("http://{host}{port}{rest}"), host, rest)
        })
}

/// The ways a requested URI may differ from the registered one, other
/// than by its port.
#[derive(Debug, Clone, Copy)]
enum Change {
    AppendSegment,
    AppendSuffix(char),
    UppercasePath,
    UppercaseHost,
    AddQuery,
    AddFragment,
    AddUserinfo,
    OtherScheme,
    PercentEncode,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::AppendSegment),
        prop::sample::select(vec!['/', 'a', '0', '.', '~', '-', '_'])
            .prop_map(Change::AppendSuffix),
        Just(Change::UppercasePath),
        Just(Change::UppercaseHost),
        Just(Change::AddQuery),
        Just(Change::AddFragment),
        Just(Change::AddUserinfo),
        Just(Change::OtherScheme),
        Just(Change::PercentEncode),
    ]
}

/// `uri` with `change` applied; the path starts with a lowercase letter.
fn apply(uri: &str, change: Change) -> String {
    let (scheme, rest) = uri.split_once("://").unwrap();
    let path_at = scheme.len() + 3 + rest.find('/').unwrap();
    let end_of_path = uri.find('?').unwrap_or(uri.len());
    let mut out = uri.to_owned();
    match change {
        Change::AppendSegment => out.insert_str(end_of_path, "/more"),
        Change::AppendSuffix(c) => out.push(c),
        Change::UppercasePath => out.replace_range(
            path_at + 1..path_at + 2,
            &uri[path_at + 1..path_at + 2].to_ascii_uppercase(),
        ),
        Change::UppercaseHost => {
            let host = &uri[scheme.len() + 3..path_at];
            out.replace_range(scheme.len() + 3..path_at, &host.to_ascii_uppercase());
            if out == uri {
                // An IP has no letters to change: spell it as a name.
                out = out.replacen(host, "LOCALHOST", 1);
            }
        }
        Change::AddQuery => out.push_str(if uri.contains('?') { "&x=1" } else { "?x=1" }),
        Change::AddFragment => out.push_str("#frag"),
        Change::AddUserinfo => out.insert_str(scheme.len() + 3, "user:pw@"),
        Change::OtherScheme => {
            let other = if scheme == "https" { "http" } else { "https" };
            out.replace_range(..scheme.len(), other);
        }
        Change::PercentEncode => {
            let c = uri.as_bytes()[path_at + 1];
            out.replace_range(path_at + 1..path_at + 2, &format!("%{c:02X}"));
        }
    }
    out
}

/// Whether `uri` is `http` on a loopback IP, the only kind whose port may vary.
fn is_http_loopback_ip(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http"
            && match u.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                _ => false,
            }
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// A registrable URI passes registration and matches itself.
    #[test]
    fn registered_uri_matches_itself(uri in https_uri()) {
        prop_assert!(check(&uri).is_ok(), "{}", uri);
        prop_assert!(matches(&uri, &uri));
    }

    /// Any change to an `https` URI, its port included, never matches.
    #[test]
    fn changed_https_uri_never_matches(uri in https_uri(), change in change(), port in 1u16..) {
        let changed = apply(&uri, change);
        prop_assert_ne!(&changed, &uri);
        prop_assert!(!matches(&uri, &changed), "{} ~ {}", uri, changed);
        let authority_end = 8 + uri[8..].find('/').unwrap();
        let host = uri[8..authority_end].split(':').next().unwrap();
        let other_port = format!("https://{host}:{port}{}", &uri[authority_end..]);
        if other_port != uri {
            prop_assert!(!matches(&uri, &other_port), "{} ~ {}", uri, other_port);
        }
    }

    /// A loopback IP `http` URI matches with any port (RFC 8252 §7.3),
    /// and with no other change.
    #[test]
    fn loopback_ip_port_may_vary_but_nothing_else(
        (uri, host, rest) in loopback_uri(),
        port in proptest::option::of(1u16..),
        change in change(),
    ) {
        prop_assert!(check(&uri).is_ok(), "{}", uri);
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let other_port = format!("http://{host}{port}{rest}");
        prop_assert!(matches(&uri, &other_port), "{} ~ {}", uri, other_port);
        let changed = apply(&other_port, change);
        prop_assert!(!matches(&uri, &changed), "{} ~ {}", uri, changed);
    }

    /// Any two strings: matching never panics, a string matches itself,
    /// and two different strings match only as loopback IP `http` URIs.
    #[test]
    fn arbitrary_strings(
        a in prop_oneof![any::<String>(), "(https?|com\\.x)://[a-z0-9.:@\\[\\]]{0,15}(/[a-z%0-9]{0,4}){0,2}(\\?[a-z=&]{0,4})?(#[a-z]{0,3})?"],
        b in prop_oneof![any::<String>(), "http://127\\.0\\.0\\.1(:[0-9]{0,5})?[/?#a-z:@]{0,8}"],
    ) {
        let _ = check(&a);
        prop_assert!(matches(&a, &a));
        if matches(&a, &b) && a != b {
            prop_assert!(is_http_loopback_ip(&a) && is_http_loopback_ip(&b), "{:?} ~ {:?}", a, b);
        }
        if matches(&b, &a) && a != b {
            prop_assert!(is_http_loopback_ip(&a) && is_http_loopback_ip(&b), "{:?} ~ {:?}", b, a);
        }
    }
}
