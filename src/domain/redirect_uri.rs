//! Redirect URI registration rules (RFC 6749 §3.1.2, RFC 8252 §7) and the
//! exact-match comparison used at the authorization endpoint.

use url::{Host, Url};

/// Checks a redirect URI for registration: absolute, no fragment, and either
/// `https`, `http` on a loopback host, or a private-use scheme (a reverse
/// domain name such as `com.example.app`, RFC 8252 §7.1).
pub fn check(uri: &str) -> Result<(), String> {
    if uri.len() > 2000 {
        return Err("must be at most 2000 characters".into());
    }
    let url = Url::parse(uri).map_err(|e| format!("\"{uri}\" is not an absolute URI ({e})"))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(format!("\"{uri}\" must not contain a fragment"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(format!(
            "\"{uri}\" uses http on a non-loopback host; use https"
        )),
        scheme if scheme.contains('.') => Ok(()),
        scheme => Err(format!(
            "\"{uri}\": scheme \"{scheme}\" is not allowed (https, http on loopback, or a private-use scheme like com.example.app)"
        )),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn is_loopback_ip(url: &Url) -> bool {
    matches!(url.host(), Some(Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(url.host(), Some(Host::Ipv6(ip)) if ip.is_loopback())
}

/// Whether `requested` matches the registered URI: character for character,
/// except that the port of an `http` loopback IP URI may differ (RFC 8252
/// §7.3).
pub fn matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    if reg.scheme() != "http" || !is_loopback_ip(&reg) || req.scheme() != "http" {
        return false;
    }
    let mut req_without_port = req.clone();
    let mut reg_without_port = reg.clone();
    if req_without_port.set_port(None).is_err() || reg_without_port.set_port(None).is_err() {
        return false;
    }
    // Compare the serialisations: host, path and query must be identical.
    req_without_port.as_str() == reg_without_port.as_str()
        && strip_port(requested) == strip_port(registered)
}

/// The URI with its authority's port removed, as written (no normalisation).
fn strip_port(uri: &str) -> String {
    let Some(rest) = uri.strip_prefix("http://") else {
        return uri.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => &authority[..i],
        _ => authority,
    };
    format!("http://{host}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        assert!(check("https://app.example.com/cb").is_ok());
        assert!(check("http://127.0.0.1/cb").is_ok());
        assert!(check("http://localhost:3000/cb").is_ok());
        assert!(check("http://[::1]/cb").is_ok());
        assert!(check("com.example.app:/oauth").is_ok());
        assert!(check("http://app.example.com/cb").is_err());
        assert!(check("https://app.example.com/cb#x").is_err());
        assert!(check("/relative").is_err());
        assert!(check("javascript:alert(1)").is_err());
    }

    #[test]
    fn exact_match_rfc6749_3_1_2() {
        let r = "https://app.example.com/cb";
        assert!(matches(r, r));
        assert!(!matches(r, "https://app.example.com/cb/"));
        assert!(!matches(r, "https://APP.example.com/cb"));
        assert!(!matches(r, "https://app.example.com/cb?x=1"));
        assert!(!matches(r, "https://app.example.com:8443/cb"));
    }

    #[test]
    fn loopback_ip_port_may_vary_rfc8252_7_3() {
        assert!(matches("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb"));
        assert!(matches("http://[::1]:80/cb", "http://[::1]:9000/cb"));
        assert!(!matches("http://127.0.0.1/cb", "http://127.0.0.1:5/other"));
        assert!(!matches("http://localhost/cb", "http://localhost:5/cb"));
    }
}
