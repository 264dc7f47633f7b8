//! Managing services (DESIGN §5): REST APIs forwarded to an upstream and
//! flows run by flowgate, at folder paths such as `orders/createOrder`.
//!
//! Deleting a service leaves the scopes that name it alone: they keep the
//! path (it grants nothing until a service is registered there again), and
//! a scope update re-checks only the paths it adds.

use super::conflict;
use crate::app::App;
use crate::domain::{DomainError, NewAuditEvent, Service, ServiceKind, UnixTime, now};
use crate::store::{Change, StoreError};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The two kinds of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Forwarded to `upstream_url`.
    Rest,
    /// A pipeline of steps run by flowgate (`definition`).
    Flow,
}

impl Kind {
    pub fn of(kind: &ServiceKind) -> Kind {
        match kind {
            ServiceKind::Rest { .. } => Kind::Rest,
            ServiceKind::Flow { .. } => Kind::Flow,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Rest => "rest",
            Kind::Flow => "flow",
        }
    }
}

/// Fields of a service as the admin API, the CLI and `service apply` files
/// send them. On update (`PATCH`) an absent field keeps its value; the kind
/// may change only together with the new kind's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// Folders and name, `/`-separated: segments of letters, digits, `-`,
    /// `_`, `.`; cannot change once created.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$",
        example = "orders/createOrder"
    )]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// REST services: the absolute http(s) URL calls are forwarded to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "https://orders.internal.example.com/create")]
    pub upstream_url: Option<String>,
    /// REST services: upstream timeout in milliseconds (default 30000);
    /// `null` on update restores the default.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 300_000)]
    pub timeout_ms: Option<Option<u64>>,
    /// Flow services: `{"steps": [...]}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, example = json!({"steps": []}))]
    pub definition: Option<serde_json::Value>,
}

/// Tells a field given as `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

fn required(field: &'static str, kind: Kind) -> DomainError {
    DomainError::invalid(
        field,
        format!("is required for a {} service", kind.as_str()),
    )
}

fn foreign(field: &'static str, owner: Kind) -> DomainError {
    DomainError::invalid(
        field,
        format!("only a {} service has {field}", owner.as_str()),
    )
}

impl ServiceInput {
    /// The input that recreates `s`: what `service export` writes.
    pub fn of(s: &Service) -> ServiceInput {
        let mut input = ServiceInput {
            path: Some(s.path.clone()),
            kind: Some(Kind::of(&s.kind)),
            description: Some(s.description.clone()),
            ..ServiceInput::default()
        };
        match &s.kind {
            ServiceKind::Rest {
                upstream_url,
                timeout_ms,
            } => {
                input.upstream_url = Some(upstream_url.clone());
                input.timeout_ms = timeout_ms.map(Some);
            }
            ServiceKind::Flow { definition } => input.definition = Some(definition.clone()),
        }
        input
    }

    /// Builds a new service; `created_at` is kept when replacing one.
    pub fn create(self, created_at: UnixTime, now: UnixTime) -> Result<Service, DomainError> {
        let path = self
            .path
            .clone()
            .ok_or_else(|| DomainError::invalid("path", "is required"))?;
        let kind = self
            .kind
            .ok_or_else(|| DomainError::invalid("kind", "is required: \"rest\" or \"flow\""))?;
        let service = Service {
            path,
            description: self.description.clone().unwrap_or_default(),
            kind: self.kind_fields(kind, None)?,
            created_at,
            updated_at: now,
        };
        check(&service)?;
        Ok(service)
    }

    /// Applies this input to `current`; the path cannot change.
    pub fn update(self, current: &Service, now: UnixTime) -> Result<Service, DomainError> {
        if self.path.as_deref().is_some_and(|p| p != current.path) {
            return Err(DomainError::invalid("path", "cannot be changed"));
        }
        let kind = self.kind.unwrap_or_else(|| Kind::of(&current.kind));
        let service = Service {
            path: current.path.clone(),
            description: self
                .description
                .clone()
                .unwrap_or_else(|| current.description.clone()),
            kind: self.kind_fields(kind, Some(&current.kind))?,
            created_at: current.created_at,
            updated_at: now,
        };
        check(&service)?;
        Ok(service)
    }

    /// The fields of `kind`, from this input or else from `current` when
    /// it is of the same kind; fields of the other kind are refused.
    fn kind_fields(
        &self,
        kind: Kind,
        current: Option<&ServiceKind>,
    ) -> Result<ServiceKind, DomainError> {
        match kind {
            Kind::Rest => {
                if self.definition.is_some() {
                    return Err(foreign("definition", Kind::Flow));
                }
                let (url, timeout) = match current {
                    Some(ServiceKind::Rest {
                        upstream_url,
                        timeout_ms,
                    }) => (Some(upstream_url), *timeout_ms),
                    _ => (None, None),
                };
                let upstream_url = self
                    .upstream_url
                    .clone()
                    .or_else(|| url.cloned())
                    .ok_or_else(|| required("upstream_url", kind))?;
                Ok(ServiceKind::Rest {
                    upstream_url,
                    timeout_ms: self.timeout_ms.unwrap_or(timeout),
                })
            }
            Kind::Flow => {
                if self.upstream_url.is_some() {
                    return Err(foreign("upstream_url", Kind::Rest));
                }
                if matches!(self.timeout_ms, Some(Some(_))) {
                    return Err(foreign("timeout_ms", Kind::Rest));
                }
                let definition = match (&self.definition, current) {
                    (Some(d), _) => d.clone(),
                    (None, Some(ServiceKind::Flow { definition })) => definition.clone(),
                    (None, _) => return Err(required("definition", kind)),
                };
                Ok(ServiceKind::Flow { definition })
            }
        }
    }
}

/// The domain rules, then the flow engine's check of a definition.
fn check(service: &Service) -> Result<(), DomainError> {
    service.validate()?;
    if let ServiceKind::Flow { definition } = &service.kind {
        crate::flow::Flow::parse(definition)
            .map_err(|e| DomainError::invalid("definition", e.to_string()))?;
    }
    Ok(())
}

/// A service as the admin API and the CLI show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    #[schema(example = "orders/createOrder")]
    pub path: String,
    pub kind: Kind,
    pub description: String,
    /// REST services only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_url: Option<String>,
    /// REST services only; absent: the default (30000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Flow services only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub definition: Option<serde_json::Value>,
    /// Unix time in seconds.
    pub created_at: i64,
    /// Unix time in seconds.
    pub updated_at: i64,
}

impl From<&Service> for ServiceView {
    fn from(s: &Service) -> ServiceView {
        let (upstream_url, timeout_ms, definition) = match &s.kind {
            ServiceKind::Rest {
                upstream_url,
                timeout_ms,
            } => (Some(upstream_url.clone()), *timeout_ms, None),
            ServiceKind::Flow { definition } => (None, None, Some(definition.clone())),
        };
        ServiceView {
            path: s.path.clone(),
            kind: Kind::of(&s.kind),
            description: s.description.clone(),
            upstream_url,
            timeout_ms,
            definition,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// What `apply_services` did: the paths it created and replaced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplySummary {
    pub created: Vec<String>,
    pub updated: Vec<String>,
}

/// Names the service an apply error is about.
fn within(e: DomainError, which: &str) -> DomainError {
    match e {
        DomainError::Invalid { field, rule } => DomainError::Invalid {
            field,
            rule: format!("{rule} (service {which})"),
        },
        e => e,
    }
}

impl App {
    pub async fn create_service(
        &self,
        actor: &str,
        input: ServiceInput,
    ) -> Result<Service, DomainError> {
        let at = now();
        let service = input.create(at, at)?;
        self.store
            .insert_service(&service)
            .await
            .map_err(conflict)?;
        self.forget(Change::Service(service.path.clone())).await;
        self.audit_service("service.create", actor, None, Some(&service))
            .await;
        Ok(service)
    }

    pub async fn get_service(&self, path: &str) -> Result<Service, DomainError> {
        self.store
            .get_service(path)
            .await?
            .ok_or(DomainError::NotFound("service"))
    }

    /// Every service, ordered by path.
    pub async fn list_services(&self) -> Result<Vec<Service>, DomainError> {
        Ok(self.store.list_services().await?)
    }

    /// Changes a service; absent fields keep their values.
    pub async fn update_service(
        &self,
        actor: &str,
        path: &str,
        input: ServiceInput,
    ) -> Result<Service, DomainError> {
        let current = self.get_service(path).await?;
        let service = input.update(&current, now())?;
        self.replace_service(&service).await?;
        self.audit_service("service.update", actor, Some(&current), Some(&service))
            .await;
        Ok(service)
    }

    /// Deletes a service. Scopes that name it keep the path.
    pub async fn delete_service(&self, actor: &str, path: &str) -> Result<(), DomainError> {
        let before = self.get_service(path).await?;
        if !self.store.delete_service(path).await? {
            return Err(DomainError::NotFound("service"));
        }
        self.forget(Change::Service(path.to_owned())).await;
        self.audit_service("service.delete", actor, Some(&before), None)
            .await;
        Ok(())
    }

    /// Creates or replaces each service (`service apply`). Every input is
    /// validated before anything is written, so a bad one changes nothing;
    /// the writes themselves are one per service.
    pub async fn apply_services(
        &self,
        actor: &str,
        inputs: Vec<ServiceInput>,
    ) -> Result<ApplySummary, DomainError> {
        let existing: BTreeMap<String, Service> = self
            .list_services()
            .await?
            .into_iter()
            .map(|s| (s.path.clone(), s))
            .collect();
        let at = now();
        let mut seen = BTreeSet::new();
        let mut planned = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            let which = match &input.path {
                Some(p) => format!("\"{p}\""),
                None => format!("#{}", i + 1),
            };
            let current = input.path.as_ref().and_then(|p| existing.get(p));
            let created_at = current.map_or(at, |c| c.created_at);
            let service = input
                .create(created_at, at)
                .map_err(|e| within(e, &which))?;
            if !seen.insert(service.path.clone()) {
                return Err(DomainError::invalid(
                    "path",
                    format!("service {which} is given more than once"),
                ));
            }
            planned.push((service, current));
        }
        let mut summary = ApplySummary::default();
        for (service, current) in planned {
            match current {
                Some(before) => {
                    self.replace_service(&service).await?;
                    self.audit_service("service.update", actor, Some(before), Some(&service))
                        .await;
                    summary.updated.push(service.path);
                }
                None => {
                    self.store
                        .insert_service(&service)
                        .await
                        .map_err(conflict)?;
                    self.forget(Change::Service(service.path.clone())).await;
                    self.audit_service("service.create", actor, None, Some(&service))
                        .await;
                    summary.created.push(service.path);
                }
            }
        }
        Ok(summary)
    }

    async fn replace_service(&self, service: &Service) -> Result<(), DomainError> {
        self.store
            .update_service(service)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => DomainError::NotFound("service"),
                e => conflict(e),
            })?;
        self.forget(Change::Service(service.path.clone())).await;
        Ok(())
    }

    async fn audit_service(
        &self,
        action: &'static str,
        actor: &str,
        before: Option<&Service>,
        after: Option<&Service>,
    ) {
        let Some(target) = after.or(before).map(|s| s.path.clone()) else {
            return;
        };
        let mut detail = serde_json::Map::new();
        if let Some(b) = before {
            detail.insert("before".into(), serde_json::json!(ServiceView::from(b)));
        }
        if let Some(a) = after {
            detail.insert("after".into(), serde_json::json!(ServiceView::from(a)));
        }
        self.audit(
            NewAuditEvent::success(actor, action, target)
                .with_detail(serde_json::Value::Object(detail)),
        )
        .await;
    }
}
