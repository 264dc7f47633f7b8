//! Scope strings (RFC 6749 §3.3): `scope = scope-token *( SP scope-token )`,
//! `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. flowgate is stricter
//! than the RFC in what a token may hold (no `& ( ) ; , / : ' < >` either,
//! at most 100 characters), and documents that it tolerates runs of spaces
//! and keeps a set: order and duplicates do not matter, and the string form
//! is the sorted names, one space apart.

use super::config;
use flowgate::domain::ScopeSet;
use flowgate::domain::name::FORBIDDEN;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::collections::BTreeSet;

/// Whether the RFC's scope-token syntax allows `c`.
fn rfc_token_char(c: char) -> bool {
    matches!(c as u32, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

/// A scope name flowgate accepts: the RFC's characters less `FORBIDDEN`.
fn token() -> impl Strategy<Value = String> {
    r"[!#$%*+\-.0-9=?@A-Z\[\]^_`a-z{|}~]{1,30}"
}

#[test]
fn the_token_strategy_keeps_to_the_rules() {
    let allowed: Vec<char> = (0x21u8..=0x7E)
        .map(char::from)
        .filter(|c| rfc_token_char(*c) && !FORBIDDEN.contains(c))
        .collect();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = BTreeSet::new();
    for _ in 0..500 {
        let t = token().new_tree(&mut runner).unwrap().current();
        assert!(t.chars().all(|c| allowed.contains(&c)), "{t}");
        seen.extend(t.chars());
    }
    assert_eq!(
        seen.len(),
        allowed.len(),
        "every allowed character is generated"
    );
}

/// Names, and the same names with a few repeated, in a random order.
fn scrambled() -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    vec(token(), 1..8)
        .prop_flat_map(|tokens| {
            let n = tokens.len();
            (Just(tokens), vec(0..n, 0..4))
        })
        .prop_flat_map(|(tokens, repeats)| {
            let mut written = tokens.clone();
            written.extend(repeats.into_iter().map(|r| tokens[r].clone()));
            (Just(tokens), Just(written).prop_shuffle())
        })
}

/// Runs of one or more spaces.
fn spaces() -> impl Strategy<Value = String> {
    (1..4usize).prop_map(|n| " ".repeat(n))
}

proptest! {
    #![proptest_config(config(256))]

    /// The string form parses back to the same set, and is canonical:
    /// sorted, without duplicates, single spaces, no space at either end.
    #[test]
    fn to_string_then_parse_is_identity(tokens in vec(token(), 0..8)) {
        let set: ScopeSet = tokens.iter().cloned().collect();
        let text = set.to_string();
        prop_assert_eq!(&ScopeSet::parse(&text).unwrap(), &set);
        let canonical: Vec<&str> = tokens.iter().map(String::as_str)
            .collect::<BTreeSet<_>>().into_iter().collect();
        prop_assert_eq!(text, canonical.join(" "));
    }

    /// Order, repeats and runs of spaces (also leading and trailing) do
    /// not change the set.
    #[test]
    fn order_duplicates_and_spacing_do_not_matter(
        (tokens, written) in scrambled(),
        gaps in vec(spaces(), 12),
        edges in (prop_oneof![Just(String::new()), spaces()], prop_oneof![Just(String::new()), spaces()]),
    ) {
        let mut text = edges.0.clone();
        for (i, t) in written.iter().enumerate() {
            if i > 0 {
                text.push_str(&gaps[i]);
            }
            text.push_str(t);
        }
        text.push_str(&edges.1);
        let expected: ScopeSet = tokens.iter().cloned().collect();
        prop_assert_eq!(ScopeSet::parse(&text).unwrap(), expected);
    }

    /// A character the RFC's scope-token does not allow (other than the
    /// space that separates tokens) anywhere in the string is refused.
    #[test]
    fn characters_outside_the_rfc_syntax_are_refused(
        tokens in vec(token(), 1..5),
        bad in any::<char>().prop_filter("outside the RFC syntax", |c| *c != ' ' && !rfc_token_char(*c)),
        at in any::<proptest::sample::Index>(),
    ) {
        let text = tokens.join(" ");
        let boundaries: Vec<usize> = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect();
        let i = boundaries[at.index(boundaries.len())];
        let mut with_bad = text.clone();
        with_bad.insert(i, bad);
        prop_assert!(ScopeSet::parse(&with_bad).is_err(), "{:?}", with_bad);
        // The JSON form goes through the same check.
        let json = serde_json::to_string(&with_bad).unwrap();
        prop_assert!(serde_json::from_str::<ScopeSet>(&json).is_err());
    }

    /// flowgate's own, stricter rules: no forbidden character, at most
    /// 100 characters a name.
    #[test]
    fn stricter_rules_are_enforced(
        tokens in vec(token(), 0..4),
        forbidden in prop::sample::select(FORBIDDEN),
        long in "[a-z]{101,140}",
    ) {
        let mut with_forbidden = tokens.clone();
        with_forbidden.push(format!("x{forbidden}y"));
        prop_assert!(ScopeSet::parse(&with_forbidden.join(" ")).is_err());
        let mut with_long = tokens.clone();
        with_long.push(long);
        prop_assert!(ScopeSet::parse(&with_long.join(" ")).is_err());
    }

    /// Any string at all: parsed, or refused with a message naming the
    /// offending token; never a panic.
    #[test]
    fn arbitrary_strings_parse_or_are_refused(text in any::<String>()) {
        match ScopeSet::parse(&text) {
            Ok(set) => prop_assert!(set.iter().all(|t| t.chars().all(rfc_token_char))),
            Err(message) => prop_assert!(message.starts_with("scope \"")),
        }
    }
}

#[test]
fn empty_and_blank_strings_are_the_empty_set() {
    for text in ["", " ", "   "] {
        assert!(ScopeSet::parse(text).unwrap().is_empty());
    }
}
