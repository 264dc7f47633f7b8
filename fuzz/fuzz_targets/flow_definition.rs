//! The flow definition loader: text (JSON, else YAML) → `Flow::parse_text`;
//! a definition that parses is run, with tight limits, over the input
//! document that follows a NUL byte (else over its own definition),
//! against an in-memory invoker under which the service `self` is the flow
//! itself (so nesting is exercised).
#![no_main]

use flowgate::flow::{Caller, Flow, FlowError, HttpResult, Invoker, Limits};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::time::Duration;

struct Memory<'a> {
    flow: &'a Flow,
    limits: &'a Limits,
}

#[async_trait::async_trait]
impl Invoker for Memory<'_> {
    async fn invoke_service(
        &self,
        path: &str,
        input: Value,
        caller: &Caller,
        depth: u32,
    ) -> Result<Value, FlowError> {
        match path {
            "self" => {
                self.flow
                    .run(input, caller, self, self.limits, depth + 1)
                    .await
            }
            "echo" => Ok(json!({ "echoed": input })),
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
        Ok(HttpResult {
            status: 200,
            body: json!({ "method": method, "url": url, "body": body }),
        })
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    // The definition, then optionally a NUL and the input document (JSON).
    let (definition, input) = match data.iter().position(|b| *b == 0) {
        Some(i) => (
            &data[..i],
            serde_json::from_slice::<Value>(&data[i + 1..]).ok(),
        ),
        None => (data, None),
    };
    let Ok(text) = std::str::from_utf8(definition) else {
        return;
    };
    let parsed = Flow::parse_text(text);
    // Decoded as the loader decodes it: JSON, else YAML.
    let value = match serde_json::from_str::<Value>(text) {
        Ok(value) => value,
        Err(_) => match serde_norway::from_str::<Value>(text) {
            Ok(value) => value,
            Err(_) => {
                assert!(parsed.is_err());
                return;
            }
        },
    };
    let flow = Flow::parse(&value);
    assert_eq!(flow.is_ok(), parsed.is_ok());
    let Ok(flow) = flow else { return };
    let limits = Limits {
        max_steps: 500,
        max_loop_iterations: 200,
        max_depth: 2,
        timeout: Duration::from_secs(2),
    };
    let invoker = Memory {
        flow: &flow,
        limits: &limits,
    };
    let caller = Caller {
        client_id: "fuzz".into(),
        subject: Some("alice".into()),
        scope: "read write".into(),
    };
    let run = flow.run(input.unwrap_or(value), &caller, &invoker, &limits, 0);
    if let Err(e) = runtime().block_on(run) {
        assert!((400..=599).contains(&e.status()), "{e:?}");
    }
});
