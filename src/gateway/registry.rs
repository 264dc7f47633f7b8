//! The gateway's state: the shared HTTP client (one connection pool for
//! every upstream), the registered services and the parsed flows, cached in
//! memory so a call needs no database read.

use crate::app::App;
use crate::domain::{Scope, Service, ServiceKind};
use crate::flow::{Flow, FlowError};
use crate::store::StoreResult;
use moka::sync::Cache;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Every registered service by path.
pub type Registry = BTreeMap<String, Arc<Service>>;

/// HTTP client and caches of the gateway; a field of [`App`].
pub struct Gateway {
    pub(crate) http: reqwest::Client,
    services: Cache<(), Arc<Registry>>,
    flows: Cache<String, Arc<Parsed>>,
    /// Bumped by [`App::forget_service`]; a registry read from the store is
    /// cached only if no invalidation happened meanwhile.
    generation: AtomicU64,
}

/// A flow definition and what parsing it gave.
struct Parsed {
    definition: serde_json::Value,
    flow: Result<Arc<Flow>, FlowError>,
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
            services: Cache::builder().max_capacity(1).time_to_live(ttl).build(),
            flows: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ttl)
                .build(),
            generation: AtomicU64::new(0),
        }
    }
}

/// A resolved call: the service and the rest of the request path (empty,
/// or starting with `/`).
#[derive(Debug, Clone)]
pub struct Target {
    pub service: Arc<Service>,
    pub suffix: String,
}

impl App {
    /// Forgets the cached services and the parsed flow of `path`; the
    /// admin API calls it after creating, changing or deleting a service.
    pub fn forget_service(&self, path: &str) {
        let g = &self.gateway;
        g.generation.fetch_add(1, Ordering::AcqRel);
        g.services.invalidate_all();
        g.flows.invalidate(path.trim_matches('/'));
    }

    /// Every registered service, from memory when possible.
    pub async fn service_registry(&self) -> StoreResult<Arc<Registry>> {
        let g = &self.gateway;
        if let Some(r) = g.services.get(&()) {
            return Ok(r);
        }
        let generation = g.generation.load(Ordering::Acquire);
        let all: Registry = self
            .store
            .list_services()
            .await?
            .into_iter()
            .map(|s| (s.path.clone(), Arc::new(s)))
            .collect();
        let all = Arc::new(all);
        if g.generation.load(Ordering::Acquire) == generation {
            g.services.insert((), all.clone());
            if g.generation.load(Ordering::Acquire) != generation {
                g.services.invalidate_all();
            }
        }
        Ok(all)
    }

    /// The service a request path reaches: the service registered at that
    /// exact path, else the REST service at the longest prefix ending on a
    /// segment boundary. Flow services match exactly only.
    pub async fn resolve_service(&self, path: &str) -> StoreResult<Option<Target>> {
        let registry = self.service_registry().await?;
        Ok(resolve(&registry, path))
    }

    /// The parsed flow of `service`, parsed once per definition.
    pub(crate) fn parsed_flow(&self, service: &Service) -> Result<Arc<Flow>, FlowError> {
        let ServiceKind::Flow { definition } = &service.kind else {
            return Err(FlowError::invalid(
                service.path.as_str(),
                "kind",
                "not a flow",
            ));
        };
        let flows = &self.gateway.flows;
        if let Some(p) = flows.get(&service.path)
            && p.definition == *definition
        {
            return p.flow.clone();
        }
        let parsed = Arc::new(Parsed {
            definition: definition.clone(),
            flow: Flow::parse(definition).map(Arc::new),
        });
        flows.insert(service.path.clone(), parsed.clone());
        parsed.flow.clone()
    }
}

/// See [`App::resolve_service`].
pub fn resolve(registry: &Registry, path: &str) -> Option<Target> {
    if let Some(s) = registry.get(path) {
        return Some(Target {
            service: s.clone(),
            suffix: String::new(),
        });
    }
    let mut end = path.len();
    while let Some(i) = path[..end].rfind('/') {
        if let Some(s) = registry.get(&path[..i])
            && matches!(s.kind, ServiceKind::Rest { .. })
        {
            return Some(Target {
                service: s.clone(),
                suffix: path[i..].to_owned(),
            });
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

    fn service(path: &str, rest: bool) -> (String, Arc<Service>) {
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
        let s = Service {
            path: path.into(),
            description: String::new(),
            kind,
            created_at: 0,
            updated_at: 0,
        };
        (path.into(), Arc::new(s))
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
