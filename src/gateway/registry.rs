//! The gateway's state: the shared HTTP client (one connection pool for
//! every upstream), the registered services and the parsed flows, cached in
//! memory so a call needs no database read.

use crate::app::App;
use crate::domain::{Scope, Service, ServiceKind};
use crate::flow::{Flow, FlowError};
use crate::snapshot::Snapshot;
use crate::store::StoreResult;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// Every registered service by path, with each flow parsed once.
#[derive(Default)]
pub struct Registry {
    services: BTreeMap<String, Arc<Service>>,
    flows: HashMap<String, Result<Arc<Flow>, FlowError>>,
}

impl FromIterator<Service> for Registry {
    fn from_iter<I: IntoIterator<Item = Service>>(services: I) -> Registry {
        let mut registry = Registry::default();
        for s in services {
            if let ServiceKind::Flow { definition } = &s.kind {
                let flow = Flow::parse(definition).map(Arc::new);
                registry.flows.insert(s.path.clone(), flow);
            }
            registry.services.insert(s.path.clone(), Arc::new(s));
        }
        registry
    }
}

/// HTTP client and caches of the gateway; a field of [`App`].
pub struct Gateway {
    pub(crate) http: reqwest::Client,
    pub(crate) metrics: super::metrics::GatewayMetrics,
    services: Snapshot<Registry>,
}

impl Gateway {
    /// A gateway whose caches hold entries for at most `ttl`, which bounds
    /// how long a change made by another process (the CLI) goes unseen.
    pub fn new(ttl: Duration) -> Gateway {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "falling back to the default HTTP client");
                reqwest::Client::new()
            });
        Gateway {
            http,
            metrics: Default::default(),
            services: Snapshot::new(ttl),
        }
    }

    /// Forgets the cached services (one was created, changed or deleted).
    pub(crate) fn forget_services(&self) {
        self.services.clear();
    }
}

/// A resolved call: the service, its parsed flow (flow services), and the
/// rest of the request path (empty, or starting with `/`).
#[derive(Clone)]
pub struct Target {
    pub service: Arc<Service>,
    pub flow: Option<Result<Arc<Flow>, FlowError>>,
    pub suffix: String,
}

impl App {
    /// Every registered service, from memory when possible.
    pub async fn service_registry(&self) -> StoreResult<Arc<Registry>> {
        let cached = &self.gateway.services;
        if let Some(r) = cached.get() {
            return Ok(r);
        }
        let generation = cached.generation();
        let registry: Arc<Registry> =
            Arc::new(self.store.list_services().await?.into_iter().collect());
        cached.fill(generation, registry.clone());
        Ok(registry)
    }

    /// The service a request path reaches: the service registered at that
    /// exact path, else the REST service at the longest prefix ending on a
    /// segment boundary. Flow services match exactly only.
    pub async fn resolve_service(&self, path: &str) -> StoreResult<Option<Target>> {
        let registry = self.service_registry().await?;
        Ok(resolve(&registry, path))
    }
}

/// See [`App::resolve_service`].
pub fn resolve(registry: &Registry, path: &str) -> Option<Target> {
    let target = |s: &Arc<Service>, suffix: &str| Target {
        service: s.clone(),
        flow: registry.flows.get(&s.path).cloned(),
        suffix: suffix.to_owned(),
    };
    if let Some(s) = registry.services.get(path) {
        return Some(target(s, ""));
    }
    let mut end = path.len();
    while let Some(i) = path[..end].rfind('/') {
        if let Some(s) = registry.services.get(&path[..i])
            && matches!(s.kind, ServiceKind::Rest { .. })
        {
            return Some(target(s, &path[i..]));
        }
        end = i;
    }
    None
}

/// Whether one of the scope names `granted` covers the service at `path`.
pub fn covers<'a>(
    granted: impl IntoIterator<Item = &'a str>,
    scopes: &BTreeMap<String, Scope>,
    path: &str,
) -> bool {
    granted.into_iter().any(|name| {
        scopes.get(name).is_some_and(|s| {
            s.services
                .iter()
                .any(|entry| Service::covered_by(path, entry))
        })
    })
}

/// The registered scopes that cover `path`, space-separated: the `scope`
/// attribute of an `insufficient_scope` challenge (RFC 6750 §3).
pub fn needed_scope(scopes: &BTreeMap<String, Scope>, path: &str) -> String {
    scopes
        .values()
        .filter(|s| s.services.iter().any(|e| Service::covered_by(path, e)))
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(path: &str, rest: bool) -> Service {
        let kind = if rest {
            ServiceKind::Rest {
                upstream_url: "http://127.0.0.1:1".into(),
                timeout_ms: None,
            }
        } else {
            ServiceKind::Flow {
                definition: serde_json::json!({ "steps": [] }),
            }
        };
        Service {
            path: path.into(),
            description: String::new(),
            kind,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn longest_prefix_on_segment_boundary() {
        let r: Registry = [
            service("api", true),
            service("api/echo", true),
            service("api/flow", false),
        ]
        .into_iter()
        .collect();
        let hit = |p: &str| resolve(&r, p).map(|t| (t.service.path.clone(), t.suffix));
        assert_eq!(hit("api/echo"), Some(("api/echo".into(), "".into())));
        assert_eq!(
            hit("api/echo/a/b"),
            Some(("api/echo".into(), "/a/b".into()))
        );
        assert_eq!(hit("api/echo2"), Some(("api".into(), "/echo2".into())));
        assert_eq!(hit("api/flow"), Some(("api/flow".into(), "".into())));
        assert_eq!(hit("api/flow/x"), Some(("api".into(), "/flow/x".into())));
        assert_eq!(hit("apix"), None);
        assert_eq!(hit("other/api"), None);
    }
}
