//! Strict parsing of `application/x-www-form-urlencoded` request bodies
//! (RFC 6749 §3.2, Appendix B): UTF-8 only, each parameter at most once,
//! parameters sent without a value treated as omitted.

use super::OAuthError;
use std::collections::HashMap;

/// Parameters of one OAuth request.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

/// Parameters that carry secrets: refused in a URL query, where they would
/// end up in logs and browser history.
const SECRET_PARAMS: &[&str] = &[
    "client_secret",
    "password",
    "token",
    "refresh_token",
    "code",
    "code_verifier",
    "access_token",
];

impl Params {
    /// Parses a form body.
    pub fn parse(body: &[u8]) -> Result<Params, OAuthError> {
        Self::from_pairs(Self::pairs(body)?)
    }

    /// Decodes a form body into its name/value pairs, repeats kept (forms
    /// with several checkboxes of one name need them).
    pub fn pairs(body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
        let mut pairs = Vec::new();
        for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            pairs.push((decode(name)?, decode(value)?));
        }
        Ok(pairs)
    }

    /// Builds parameters from pairs, refusing a repeated name.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Params, OAuthError> {
        let mut map = HashMap::new();
        for (name, value) in pairs {
            if map.contains_key(&name) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter \"{}\" is repeated; each parameter may appear only once",
                    printable(&name)
                )));
            }
            map.insert(name, value);
        }
        map.retain(|_, v| !v.is_empty());
        Ok(Params(map))
    }

    /// Refuses a query string that carries a secret parameter (RFC 6749
    /// §2.3.1: credentials only in the body; §3.2: POST only).
    pub fn check_query(query: Option<&str>) -> Result<(), OAuthError> {
        let Some(query) = query else { return Ok(()) };
        for (name, _) in form_urlencoded::parse(query.as_bytes()) {
            if SECRET_PARAMS.contains(&name.as_ref()) {
                return Err(OAuthError::invalid_request(format!(
                    "\"{name}\" must be sent in the request body, never in the URL"
                )));
            }
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A parameter the request cannot do without.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| {
            OAuthError::invalid_request(format!("missing required parameter \"{name}\""))
        })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

/// Decodes `+` and percent escapes; the result must be UTF-8.
fn decode(raw: &[u8]) -> Result<String, OAuthError> {
    let plus_decoded: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_decoded).collect();
    String::from_utf8(bytes)
        .map_err(|_| OAuthError::invalid_request("the request body is not valid UTF-8"))
}

/// A parameter name safe to echo in an error description.
fn printable(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(40)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        let p = Params::parse(b"grant_type=client_credentials&scope=read+write&x=%41%42").unwrap();
        assert_eq!(p.get("grant_type"), Some("client_credentials"));
        assert_eq!(p.get("scope"), Some("read write"));
        assert_eq!(p.get("x"), Some("AB"));
    }

    #[test]
    fn repeated_parameter_is_invalid_request_rfc6749_3_2() {
        let e = Params::parse(b"scope=a&scope=b").unwrap_err();
        assert_eq!(e.code, super::super::ErrorCode::InvalidRequest);
    }

    #[test]
    fn empty_values_are_omitted_rfc6749_3_2() {
        let p = Params::parse(b"scope=&grant_type").unwrap();
        assert!(p.get("scope").is_none());
        assert!(p.require("grant_type").is_err());
    }

    #[test]
    fn non_utf8_is_refused() {
        assert!(Params::parse(b"a=%FF").is_err());
        assert!(Params::parse(b"a=\xff").is_err());
    }

    #[test]
    fn secrets_in_the_query_are_refused() {
        assert!(Params::check_query(Some("client_secret=x")).is_err());
        assert!(Params::check_query(Some("foo=bar")).is_ok());
        assert!(Params::check_query(None).is_ok());
    }
}
