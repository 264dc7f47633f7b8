//! Where a request comes from: the peer address of the connection, or, when
//! the peer is a configured trusted proxy, the client address it reports in
//! `X-Forwarded-For` (and the scheme in `X-Forwarded-Proto`). A header from
//! anyone else is ignored, so it cannot be used to dodge limits.

use crate::app::App;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
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

/// Middleware: works out the [`Source`] and puts it in the extensions.
pub async fn source(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let tls = req.extensions().get::<Tls>().is_some();
    let source = of(peer, tls, req.headers(), &app.settings.trusted_proxies);
    req.extensions_mut().insert(source);
    next.run(req).await
}

/// Marks a request that arrived over flowgate's own TLS listener.
#[derive(Debug, Clone, Copy)]
pub struct Tls;

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
