//! Scope strings and redirect URIs: `ScopeSet::parse` (and its canonical
//! form), redirect URI registration checks and matching, and the building
//! of the redirect back to the client.
#![no_main]

use flowgate::domain::{ScopeSet, redirect_uri};
use flowgate::oauth::authorize::with_params;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    scope: &'a str,
    registered: &'a str,
    requested: &'a str,
    state: &'a str,
    fragment: bool,
}

fuzz_target!(|input: Input| {
    if let Ok(set) = ScopeSet::parse(input.scope) {
        let text = set.to_string();
        assert_eq!(ScopeSet::parse(&text).as_ref(), Ok(&set));
        assert!(!text.starts_with(' ') && !text.ends_with(' ') && !text.contains("  "));
        assert!(
            text.bytes()
                .all(|b| b == b' ' || matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
        );
    }

    let registered_ok = redirect_uri::check(input.registered).is_ok();
    let _ = redirect_uri::check(input.requested);
    assert!(redirect_uri::matches(input.registered, input.registered));
    if redirect_uri::matches(input.registered, input.requested) {
        assert!(redirect_uri::matches(input.requested, input.registered));
        if input.registered != input.requested {
            // Only an http loopback IP URI may differ, and only in its port.
            assert!(input.registered.starts_with("http://"));
            assert!(input.requested.starts_with("http://"));
        }
    }

    let params = [
        ("code", "fgac_x".to_owned()),
        ("state", input.state.to_owned()),
    ];
    let location = with_params(input.registered, input.fragment, &params);
    if registered_ok {
        let url = url::Url::parse(&location).expect("the redirect is a URL");
        let carried = if input.fragment {
            url.fragment()
        } else {
            url.query()
        };
        let carried = carried.expect("the parameters are there");
        assert!(
            form_urlencoded::parse(carried.as_bytes())
                .any(|(k, v)| k == "state" && v == input.state)
        );
    }
});
