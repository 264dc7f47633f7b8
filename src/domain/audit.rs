//! Audit events: who did what to which record, and when. Secrets and tokens
//! never appear in them; a token is named by its record id only.

use super::UnixTime;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    /// Unix time in seconds.
    #[schema(value_type = i64)]
    pub at: UnixTime,
    /// `admin:alice`, `client:<id>`, `cli`, `system`, or `anonymous`.
    pub actor: String,
    /// Dotted verb such as `client.create` or `token.revoke`.
    pub action: String,
    /// The record acted on, when there is one.
    pub target: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// Extra facts (before/after values, error codes), as JSON.
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub actor: String,
    pub action: &'static str,
    pub target: Option<String>,
    pub success: bool,
    pub detail: serde_json::Value,
}

impl NewAuditEvent {
    pub fn success(
        actor: impl Into<String>,
        action: &'static str,
        target: impl Into<Option<String>>,
    ) -> Self {
        NewAuditEvent {
            actor: actor.into(),
            action,
            target: target.into(),
            success: true,
            detail: serde_json::Value::Null,
        }
    }

    pub fn failure(
        actor: impl Into<String>,
        action: &'static str,
        target: impl Into<Option<String>>,
    ) -> Self {
        NewAuditEvent {
            success: false,
            ..NewAuditEvent::success(actor, action, target)
        }
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// Selects audit events, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub limit: u32,
    pub offset: u32,
}
