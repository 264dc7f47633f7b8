//! Property tests (proptest) of the parsers and matchers at flowgate's
//! edges: form and query parsing, scope strings, redirect URIs, PKCE,
//! bearer extraction and token ids, and flow definitions. Case counts are
//! kept modest so the whole suite runs in seconds; `PROPTEST_CASES` raises
//! them for a longer run.

mod bearer;
mod flow;
mod form;
mod pkce;
mod redirect_uri;
mod scope;

use proptest::test_runner::Config;

/// The configuration of every property here: `cases` unless the
/// `PROPTEST_CASES` environment variable says otherwise.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        // Failures are reported with their minimal input; no files are
        // written next to the sources.
        failure_persistence: None,
        ..Config::default()
    }
}
