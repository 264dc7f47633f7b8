//! Forwarding a call to a REST API service's upstream: method, path suffix,
//! query, streamed body and headers go out minus hop-by-hop headers,
//! `Authorization` (RFC 6750 §2.1: the token is for flowgate, not the
//! upstream) and any caller-sent `X-Flowgate-*`; the caller's identity is
//! added. The upstream's status, headers and body come back as they are.

use super::{Incoming, is_length_limit, reply};
use crate::app::App;
use crate::domain::AccessToken;
use crate::domain::service::DEFAULT_TIMEOUT_MS;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;
use futures_util::TryStreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub const CLIENT_ID_HEADER: &str = "x-flowgate-client-id";
pub const SUBJECT_HEADER: &str = "x-flowgate-subject";
pub const SCOPE_HEADER: &str = "x-flowgate-scope";

/// Headers that concern one connection only (RFC 9110 §7.6.1), never
/// forwarded in either direction.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Where a call goes.
pub struct Upstream<'a> {
    pub url: &'a str,
    /// The rest of the request path, empty or starting with `/`.
    pub suffix: &'a str,
    pub timeout_ms: Option<u64>,
}

impl Upstream<'_> {
    /// The upstream URL with the suffix appended to its path and `query`
    /// appended to its own.
    pub fn target(&self, query: Option<&str>) -> Result<url::Url, url::ParseError> {
        let mut url = url::Url::parse(self.url)?;
        if !self.suffix.is_empty() {
            let path = format!("{}{}", url.path().trim_end_matches('/'), self.suffix);
            url.set_path(&path);
        }
        let query = match (url.query(), query.filter(|q| !q.is_empty())) {
            (Some(a), Some(b)) if !a.is_empty() => Some(format!("{a}&{b}")),
            (_, Some(b)) => Some(b.to_owned()),
            (a, None) => a.map(str::to_owned),
        };
        url.set_query(query.as_deref());
        Ok(url)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS))
    }
}

/// Forwards the call and streams the upstream's answer back; 502 when the
/// upstream cannot be reached, 504 when it does not answer within the
/// service's timeout, 413 when the body goes over the limit on the way.
pub async fn forward(
    app: &App,
    upstream: &Upstream<'_>,
    token: &AccessToken,
    parts: Parts,
    body: Incoming,
) -> Response {
    let url = match upstream.target(parts.uri.query()) {
        Ok(u) => u,
        Err(e) => return reply::internal(format!("bad upstream URL {}: {e}", upstream.url)),
    };
    let mut headers = request_headers(&parts.headers);
    if let Err(e) = add_identity(&mut headers, token) {
        return reply::internal(e);
    }
    let over_limit = Arc::new(AtomicBool::new(false));
    let body = match body {
        Incoming::Read(bytes) => reqwest::Body::from(bytes),
        Incoming::Stream(body) => {
            let flag = over_limit.clone();
            let stream = body.into_data_stream().map_err(move |e| {
                if is_length_limit(&e) {
                    flag.store(true, Ordering::Release);
                }
                e
            });
            reqwest::Body::wrap_stream(stream)
        }
    };
    let sent = app
        .gateway
        .http
        .request(parts.method, url)
        .headers(headers)
        .timeout(upstream.timeout())
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) => response_of(r),
        Err(_) if over_limit.load(Ordering::Acquire) => reply::too_large(),
        Err(e) if e.is_timeout() => reply::gateway_timeout(),
        Err(e) => {
            tracing::warn!(error = %e, upstream = upstream.url, "upstream call failed");
            reply::bad_gateway()
        }
    }
}

/// Whether a header is hop-by-hop, or named by the `Connection` header.
fn is_hop_by_hop(name: &HeaderName, connection: &[String]) -> bool {
    HOP_BY_HOP.contains(&name.as_str()) || connection.iter().any(|c| c == name.as_str())
}

/// The tokens of the `Connection` header, lower-cased.
fn connection_tokens(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The caller's headers as the upstream gets them.
pub fn request_headers(incoming: &HeaderMap) -> HeaderMap {
    let connection = connection_tokens(incoming);
    let mut out = HeaderMap::new();
    for (name, value) in incoming {
        let n = name.as_str();
        if is_hop_by_hop(name, &connection)
            || name == header::AUTHORIZATION
            || name == header::HOST
            || n.starts_with("x-flowgate-")
        {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

/// Adds `X-Flowgate-Client-Id`, `X-Flowgate-Subject` (when the token has a
/// user) and `X-Flowgate-Scope`.
pub fn add_identity(headers: &mut HeaderMap, token: &AccessToken) -> Result<(), String> {
    add_identity_of(headers, &super::caller_of(token))
}

/// [`add_identity`] for a flow's caller.
pub fn add_identity_of(
    headers: &mut HeaderMap,
    caller: &crate::flow::Caller,
) -> Result<(), String> {
    let value = |s: &str| {
        HeaderValue::from_str(s).map_err(|_| format!("identity value {s:?} is not a header value"))
    };
    headers.insert(CLIENT_ID_HEADER, value(&caller.client_id)?);
    if let Some(user) = &caller.subject {
        headers.insert(SUBJECT_HEADER, value(user)?);
    }
    headers.insert(SCOPE_HEADER, value(&caller.scope)?);
    Ok(())
}

/// The upstream's answer, streamed back with its status and headers
/// (hop-by-hop headers excepted).
fn response_of(upstream: reqwest::Response) -> Response {
    let status = upstream.status();
    let connection = connection_tokens(upstream.headers());
    let mut headers = HeaderMap::new();
    for (name, value) in upstream.headers() {
        if !is_hop_by_hop(name, &connection) {
            headers.append(name.clone(), value.clone());
        }
    }
    let mut response = Response::new(Body::from_stream(upstream.bytes_stream()));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_urls() {
        let up = |url: &'static str, suffix: &'static str| Upstream {
            url,
            suffix,
            timeout_ms: None,
        };
        let t = |u: Upstream, q: Option<&str>| u.target(q).unwrap().to_string();
        assert_eq!(t(up("http://h/base", ""), None), "http://h/base");
        assert_eq!(
            t(up("http://h/base/", "/a/b"), Some("x=1")),
            "http://h/base/a/b?x=1"
        );
        assert_eq!(
            t(up("http://h/?k=v", "/a%20b"), Some("x=1")),
            "http://h/a%20b?k=v&x=1"
        );
        assert_eq!(t(up("http://h", ""), Some("")), "http://h/");
    }

    #[test]
    fn hop_by_hop_authorization_and_flowgate_headers_are_dropped() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("connection", "close, x-private"),
            ("x-private", "1"),
            ("keep-alive", "timeout=5"),
            ("authorization", "Bearer t"),
            ("x-flowgate-client-id", "forged"),
            ("x-custom", "kept"),
        ] {
            h.append(k, HeaderValue::from_static(v));
        }
        let out = request_headers(&h);
        assert_eq!(out.len(), 1);
        assert_eq!(out["x-custom"], "kept");
    }
}
