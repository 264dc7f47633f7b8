//! The extractor for OAuth endpoint requests: a form body (RFC 6749 §3.2)
//! with no secrets in the URL, plus the `Authorization` header.

use super::reply::OAuthReply;
use crate::oauth::{OAuthError, Params};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};

/// A parsed OAuth request.
pub struct OAuthRequest {
    pub params: Params,
    pub authorization: Option<String>,
}

impl<S: Send + Sync> FromRequest<S> for OAuthRequest {
    type Rejection = OAuthReply;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Params::check_query(req.uri().query())?;
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            )
            .into());
        }
        let authorization = match req.headers().get(header::AUTHORIZATION) {
            Some(v) => Some(
                v.to_str()
                    .map_err(|_| OAuthError::invalid_client("malformed Authorization header"))?
                    .to_owned(),
            ),
            None => None,
        };
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                OAuthReply {
                    error: OAuthError::invalid_request("the request body is too large"),
                    status: Some(StatusCode::PAYLOAD_TOO_LARGE),
                }
            } else {
                OAuthError::invalid_request("the request body could not be read").into()
            }
        })?;
        Ok(OAuthRequest {
            params: Params::parse(&body)?,
            authorization,
        })
    }
}
