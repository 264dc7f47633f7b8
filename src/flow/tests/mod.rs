//! Tests of the flow engine through its public interface, with a fake
//! [`Invoker`].

mod limits;
mod steps;
mod validation;

use super::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Answers invokes from memory: registered flows run nested (at depth+1);
/// `echo` wraps its input, `fail` is an upstream failure, `slow` sleeps.
#[derive(Default)]
struct Fake {
    flows: HashMap<String, Flow>,
    limits: Limits,
    calls: Mutex<Vec<String>>,
}

impl Fake {
    fn with_flow(mut self, path: &str, definition: Value) -> Self {
        self.flows
            .insert(path.into(), Flow::parse(&definition).unwrap());
        self
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl Invoker for Fake {
    async fn invoke_service(
        &self,
        path: &str,
        input: Value,
        caller: &Caller,
        depth: u32,
    ) -> Result<Value, FlowError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("service {path} {depth}"));
        if let Some(flow) = self.flows.get(path) {
            return flow.run(input, caller, self, &self.limits, depth + 1).await;
        }
        match path {
            "echo" => Ok(json!({"echoed": input, "by": caller.client_id})),
            "fail" => Err(FlowError::Invoke {
                status: 502,
                message: "upstream down".into(),
            }),
            "slow" => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(input)
            }
            _ => Err(FlowError::Invoke {
                status: 404,
                message: format!("no service {path}"),
            }),
        }
    }

    async fn invoke_http(
        &self,
        method: &str,
        url: &str,
        body: Option<Value>,
    ) -> Result<HttpResult, FlowError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("http {method} {url}"));
        Ok(HttpResult {
            status: 201,
            body: json!({"method": method, "url": url, "body": body}),
        })
    }
}

fn caller() -> Caller {
    Caller {
        client_id: "shop".into(),
        subject: Some("alice".into()),
        scope: "orders".into(),
    }
}

/// Runs `definition` over `input` with a plain [`Fake`] and default limits.
async fn run(definition: Value, input: Value) -> Result<Value, FlowError> {
    run_with(&Fake::default(), &Limits::default(), definition, input).await
}

async fn run_with(
    fake: &Fake,
    limits: &Limits,
    definition: Value,
    input: Value,
) -> Result<Value, FlowError> {
    let flow = Flow::parse(&definition).unwrap();
    flow.run(input, &caller(), fake, limits, 0).await
}

/// The (step, field) of an invalid definition.
fn invalid(definition: Value) -> (String, String, String) {
    match Flow::parse(&definition) {
        Err(FlowError::Invalid {
            step,
            field,
            message,
        }) => (step, field, message),
        other => panic!("expected an invalid definition, got {other:?}"),
    }
}
