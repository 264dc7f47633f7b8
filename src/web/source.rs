//! Where a request comes from: the peer address of the connection, or, when
//! the peer is a configured trusted proxy, the client address it reports in
//! `X-Forwarded-For` (and the scheme in `X-Forwarded-Proto`). A header from
//! anyone else is ignored, so it cannot be used to dodge limits.

use crate::app::App;
use crate::oauth::metadata::{AUTHORIZE_PATH, LOGIN_PATH, LOGOUT_PATH, METADATA_PATH};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The request's origin, as an extension of every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The client's address, when known.
    pub ip: Option<IpAddr>,
    /// Whether the client reached flowgate over HTTPS: flowgate's own TLS,
    /// or `X-Forwarded-Proto: https` from a trusted proxy.
    pub https: bool,
    /// Whether the connection comes from this machine.
    pub loopback: bool,
}

/// Middleware: works out the [`Source`] and puts it in the extensions;
/// refuses plain HTTP where HTTPS is required, and sends HSTS over HTTPS.
pub async fn source(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let settings = &app.settings;
    let source = of(peer, settings.tls, req.headers(), &settings.trusted_proxies);
    if settings.require_https && !source.https && !source.loopback && needs_https(req.uri().path())
    {
        return plain_http_refused(&app, req.uri().path());
    }
    req.extensions_mut().insert(source);
    let mut response = next.run(req).await;
    if source.https {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Everything but the probes, the metadata document and the stylesheet
/// carries credentials or tokens, so needs HTTPS.
fn needs_https(path: &str) -> bool {
    !matches!(
        path,
        "/healthz" | "/readyz" | "/metrics" | METADATA_PATH | "/assets/flowgate.css"
    )
}

/// 403 for a plain HTTP request that needed HTTPS: a page for browsers, an
/// OAuth-shaped JSON error for everyone else.
fn plain_http_refused(app: &App, path: &str) -> Response {
    let message = format!(
        "This server requires HTTPS. Use {} instead.",
        app.settings.public_url
    );
    let is_page = path == AUTHORIZE_PATH
        || path == LOGIN_PATH
        || path == LOGOUT_PATH
        || (path.starts_with("/admin") && !path.starts_with("/admin/api/"));
    if is_page {
        return super::pages::error_page(app, StatusCode::FORBIDDEN, &message);
    }
    let body = serde_json::json!({ "error": "invalid_request", "error_description": message });
    super::reply::no_store((StatusCode::FORBIDDEN, axum::Json(body)).into_response())
}

/// The source of a request from `peer` with `headers`.
pub fn of(peer: Option<IpAddr>, tls: bool, headers: &HeaderMap, trusted: &[IpNet]) -> Source {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let via_proxy = peer.is_some_and(|p| is_trusted(&p));
    let mut ip = peer;
    let mut https = tls;
    if via_proxy {
        // The nearest address not of a trusted proxy is the client's.
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        if let Some(client) = forwarded
            .iter()
            .rev()
            .find(|a| !is_trusted(a))
            .or(forwarded.first())
        {
            ip = Some(*client);
        }
        if let Some(proto) = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
        {
            let nearest = proto.rsplit(',').next().unwrap_or("").trim();
            https = tls || nearest.eq_ignore_ascii_case("https");
        }
    }
    Source {
        ip,
        https,
        loopback: peer.is_some_and(|p| p.is_loopback()) && !via_proxy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.7, 10.0.0.2"),
            ("x-forwarded-proto", "https"),
        ]);
        let via_proxy = of(Some([10, 0, 0, 1].into()), false, &h, &trusted);
        assert_eq!(via_proxy.ip, Some([203, 0, 113, 7].into()));
        assert!(via_proxy.https && !via_proxy.loopback);

        let direct = of(Some([198, 51, 100, 1].into()), false, &h, &trusted);
        assert_eq!(direct.ip, Some([198, 51, 100, 1].into()));
        assert!(!direct.https);
    }

    #[test]
    fn a_spoofed_leftmost_address_does_not_win() {
        let trusted: Vec<IpNet> = vec!["10.0.0.1/32".parse().unwrap()];
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9")]);
        let s = of(Some([10, 0, 0, 1].into()), false, &h, &trusted);
        assert_eq!(s.ip, Some([203, 0, 113, 9].into()));
    }

    #[test]
    fn loopback_and_tls() {
        let s = of(Some([127, 0, 0, 1].into()), true, &HeaderMap::new(), &[]);
        assert!(s.loopback && s.https);
    }
}
