//! The gateway's metrics: calls by service and status, and call duration by
//! service. The handles are kept per service, so recording a call costs a
//! map lookup instead of building and hashing a labelled metric key.

use axum::http::StatusCode;
use metrics::{Counter, Histogram};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

#[derive(Default)]
pub struct GatewayMetrics {
    services: RwLock<HashMap<String, Arc<ServiceMetrics>>>,
}

struct ServiceMetrics {
    duration: Histogram,
    calls: RwLock<HashMap<u16, Counter>>,
}

impl GatewayMetrics {
    /// Counts a call of the service at `path` (`-` when none was reached).
    pub fn record(&self, path: &str, status: StatusCode, took: Duration) {
        let service = self.service(path);
        service.duration.record(took.as_secs_f64());
        let status = status.as_u16();
        let known = service
            .calls
            .read()
            .ok()
            .and_then(|calls| calls.get(&status).cloned());
        let counter = known.unwrap_or_else(|| {
            let counter = metrics::counter!(
                "flowgate_gateway_calls_total",
                "service" => path.to_owned(),
                "status" => status.to_string()
            );
            if let Ok(mut calls) = service.calls.write() {
                calls.insert(status, counter.clone());
            }
            counter
        });
        counter.increment(1);
    }

    fn service(&self, path: &str) -> Arc<ServiceMetrics> {
        if let Some(s) = self.services.read().ok().and_then(|m| m.get(path).cloned()) {
            return s;
        }
        let s = Arc::new(ServiceMetrics {
            duration: metrics::histogram!(
                "flowgate_gateway_call_duration_seconds",
                "service" => path.to_owned()
            ),
            calls: RwLock::default(),
        });
        if let Ok(mut m) = self.services.write() {
            m.insert(path.to_owned(), s.clone());
        }
        s
    }
}
