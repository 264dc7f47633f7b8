//! Running flow services, and what their `invoke` steps call: other
//! services (with the same caller and the same scope check as a direct
//! call) and HTTP endpoints.

use super::registry::{covers, needed_scope};
use super::rest::{Upstream, add_identity_of};
use super::{Incoming, bearer, body_error, reply};
use crate::app::App;
use crate::domain::ServiceKind;
use crate::domain::service::DEFAULT_TIMEOUT_MS;
use crate::flow::{Caller, FlowError, HttpResult, Invoker, Limits};
use crate::gateway::Target;
use async_trait::async_trait;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest answer an invoke step reads from an upstream.
pub const MAX_INVOKE_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The gateway's [`Invoker`] for one call.
pub struct GatewayInvoker {
    app: Arc<App>,
    limits: Limits,
    /// The scope a refused nested invoke needed, for the challenge.
    denied: Mutex<Option<String>>,
}

impl GatewayInvoker {
    pub fn new(app: Arc<App>, limits: Limits) -> GatewayInvoker {
        GatewayInvoker {
            app,
            limits,
            denied: Mutex::new(None),
        }
    }

    /// Runs the flow of `target` at nesting level `depth`.
    async fn run(
        &self,
        target: &Target,
        input: Value,
        caller: &Caller,
        depth: u32,
    ) -> Result<Value, FlowError> {
        if depth > self.limits.max_depth {
            return Err(FlowError::Limit(format!(
                "services nested deeper than {}",
                self.limits.max_depth
            )));
        }
        let path = &target.service.path;
        let flow = match &target.flow {
            Some(Ok(flow)) => flow,
            Some(Err(e)) => {
                tracing::error!(service = %path, error = %e, "stored flow does not parse");
                return Err(invoke_error(
                    500,
                    format!("the flow of service {path} is invalid"),
                ));
            }
            None => return Err(invoke_error(500, format!("service {path} is not a flow"))),
        };
        flow.run(input, caller, self, &self.limits, depth).await
    }
}

/// Runs a flow service for a direct call: the body is the input document
/// (`{}` when empty), the output document is the answer.
pub async fn run_flow(app: &Arc<App>, target: &Target, caller: Caller, body: Incoming) -> Response {
    let bytes = match body {
        Incoming::Read(b) => b,
        Incoming::Stream(b) => match axum::body::to_bytes(b, usize::MAX).await {
            Ok(b) => b,
            Err(e) => return body_error(&e),
        },
    };
    let input = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                let why = format!("the request body is not JSON: {e}");
                return reply::error_json(StatusCode::BAD_REQUEST, "invalid_request", &why);
            }
        }
    };
    let invoker = GatewayInvoker::new(app.clone(), Limits::default());
    match invoker.run(target, input, &caller, 0).await {
        Ok(output) => Json(output).into_response(),
        Err(e @ FlowError::Invoke { status: 403, .. }) => {
            let needed = invoker.denied.lock().ok().and_then(|d| d.clone());
            let code = bearer::ErrorCode::InsufficientScope;
            bearer::challenge(code, &e.to_string(), needed.as_deref())
        }
        Err(e) => reply::flow_error(&e),
    }
}

fn invoke_error(status: u16, message: impl Into<String>) -> FlowError {
    FlowError::Invoke {
        status,
        message: message.into(),
    }
}

fn send_error(e: &reqwest::Error, what: &str) -> FlowError {
    if e.is_timeout() {
        invoke_error(504, format!("{what} did not answer in time"))
    } else {
        invoke_error(502, format!("{what} could not be reached"))
    }
}

/// Reads a JSON answer of at most [`MAX_INVOKE_RESPONSE_BYTES`]: `null`
/// when empty, a string when it is not JSON.
async fn read_json(r: reqwest::Response, what: &str) -> Result<Value, FlowError> {
    let mut bytes = Vec::new();
    let mut stream = r.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| send_error(&e, what))?;
        if bytes.len() + chunk.len() > MAX_INVOKE_RESPONSE_BYTES {
            return Err(invoke_error(502, format!("{what} answered too much data")));
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    Ok(serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())))
}

#[async_trait]
impl Invoker for GatewayInvoker {
    async fn invoke_service(
        &self,
        path: &str,
        input: Value,
        caller: &Caller,
        depth: u32,
    ) -> Result<Value, FlowError> {
        let path = path.trim_matches('/');
        let unavailable = |e: crate::store::StoreError| {
            tracing::warn!(error = %e, "gateway could not read the store");
            invoke_error(503, "the store cannot be reached")
        };
        let target = self
            .app
            .resolve_service(path)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| invoke_error(404, format!("no service at {path}")))?;
        let service = &target.service;
        let scopes = self.app.scopes().await.map_err(unavailable)?;
        if !covers(caller.scope.split(' '), &scopes, &service.path) {
            if let Ok(mut d) = self.denied.lock() {
                *d = Some(needed_scope(&scopes, &service.path));
            }
            return Err(invoke_error(
                403,
                format!(
                    "the access token's scopes do not cover service {}",
                    service.path
                ),
            ));
        }
        match &service.kind {
            ServiceKind::Flow { .. } => self.run(&target, input, caller, depth + 1).await,
            ServiceKind::Rest {
                upstream_url,
                timeout_ms,
            } => {
                let upstream = Upstream {
                    url: upstream_url,
                    suffix: &target.suffix,
                    timeout_ms: *timeout_ms,
                };
                let what = format!("service {}", service.path);
                let url = upstream
                    .target(None)
                    .map_err(|e| invoke_error(500, format!("{what} has a bad URL: {e}")))?;
                let mut headers = HeaderMap::new();
                add_identity_of(&mut headers, caller).map_err(|e| invoke_error(500, e))?;
                headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
                let r = self
                    .app
                    .gateway
                    .http
                    .post(url)
                    .headers(headers)
                    .timeout(upstream.timeout())
                    .json(&input)
                    .send()
                    .await
                    .map_err(|e| send_error(&e, &what))?;
                let status = r.status();
                if !status.is_success() {
                    return Err(invoke_error(
                        status.as_u16(),
                        format!("{what} answered {status}"),
                    ));
                }
                read_json(r, &what).await
            }
        }
    }

    async fn invoke_http(
        &self,
        method: &str,
        url: &str,
        body: Option<Value>,
    ) -> Result<HttpResult, FlowError> {
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| invoke_error(500, format!("{method:?} is not an HTTP method")))?;
        let parsed = url::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| invoke_error(500, format!("{url:?} is not an http(s) URL")))?;
        let timeout = Duration::from_millis(DEFAULT_TIMEOUT_MS).min(self.limits.timeout);
        let mut request = self
            .app
            .gateway
            .http
            .request(method, parsed)
            .timeout(timeout);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let what = format!("HTTP endpoint {url}");
        let r = request.send().await.map_err(|e| send_error(&e, &what))?;
        let status = r.status().as_u16();
        let body = read_json(r, &what).await?;
        Ok(HttpResult { status, body })
    }
}
