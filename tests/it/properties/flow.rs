//! Flow definitions: arbitrary JSON (and YAML text) never panics the
//! parser; generated valid definitions parse, and running them with small
//! limits always ends, with an output or a clean `FlowError`.

use super::config;
use flowgate::flow::{Caller, Flow, FlowError, HttpResult, Invoker, Limits};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};

/// A field path into the document, never the whole document.
fn field() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a", "b", "a.b", "/a/0", "items", "items.0", "x.y", "/c~1d", "n", "items.-",
    ])
    .prop_map(str::to_owned)
}

/// A field path, or the whole document.
fn any_path() -> impl Strategy<Value = String> {
    prop_oneof![4 => field(), 1 => prop::sample::select(vec!["", "."]).prop_map(str::to_owned)]
}

/// Small JSON documents over the same field names as the paths.
fn document() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..100).prop_map(Value::from),
        prop::sample::select(vec!["", "x", "bbb", "{{a}}"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(
                prop::sample::select(vec!["a", "b", "items", "x", "y", "n", "c/d"]),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

/// A `set` value: JSON, with templates in its strings.
fn set_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        document(),
        prop::sample::select(vec![
            "{{a}}",
            "n={{n}}",
            "{{caller.client_id}}",
            "{{ . }}",
            "{{/items/0}} and {{caller.scope}}"
        ])
        .prop_map(Value::from),
    ]
}

fn from_to() -> impl Strategy<Value = Value> {
    (field(), any_path()).prop_map(|(from, to)| json!({"from": from, "to": to}))
}

/// A step without nested steps.
fn leaf_step() -> impl Strategy<Value = Value> {
    prop_oneof![
        (btree_map(any_path(), set_value(), 0..3), vec(from_to(), 0..2), vec(from_to(), 0..2), vec(field(), 0..2))
            .prop_map(|(set, copy, rename, drop)| json!({"type": "map", "set": set, "copy": copy, "rename": rename, "drop": drop})),
        (prop::sample::select(vec!["echo", "fail", "nested/flow", "missing"]), proptest::option::of(any_path()), proptest::option::of(any_path()))
            .prop_map(|(service, input, output)| {
                let mut step = json!({"type": "invoke", "service": service});
                if let Some(input) = input { step["input"] = input.into(); }
                if let Some(output) = output { step["output"] = output.into(); }
                step
            }),
        (prop::sample::select(vec!["https://api.example/x", "http://h.example/p/{{a}}?q={{caller.scope}}"]),
         prop::sample::select(vec!["GET", "post", "PUT", "PATCH", "DELETE"]))
            .prop_map(|(url, method)| json!({"type": "invoke", "url": url, "method": method, "output": "http"})),
        Just(json!({"type": "exit"})),
        field().prop_map(|output| json!({"type": "exit", "output": output})),
        (400u16..=599).prop_map(|status| json!({"type": "exit", "status": status, "message": "stopped at {{n}}"})),
    ]
}

/// A list of steps nested at most `depth` levels deep.
fn steps(depth: u32) -> BoxedStrategy<Vec<Value>> {
    if depth == 0 {
        return vec(leaf_step(), 0..4).boxed();
    }
    let inner = steps(depth - 1);
    let case = prop_oneof![
        (document(), inner.clone()).prop_map(|(v, s)| json!({"equals": v, "steps": s})),
        (any::<bool>(), inner.clone()).prop_map(|(b, s)| json!({"exists": b, "steps": s})),
        (
            prop::sample::select(vec!["^b+$", "x", "[0-9]+", "(?i)TRUE"]),
            inner.clone()
        )
            .prop_map(|(re, s)| json!({"matches": re, "steps": s})),
    ];
    let container = prop_oneof![
        (
            any_path(),
            vec(case, 0..3),
            proptest::option::of(inner.clone())
        )
            .prop_map(|(on, cases, default)| {
                let mut step = json!({"type": "branch", "on": on, "cases": cases});
                if let Some(d) = default {
                    step["default"] = d.into();
                }
                step
            }),
        (
            field(),
            proptest::option::of(field()),
            inner.clone(),
            proptest::option::of(any_path())
        )
            .prop_map(|(over, item, steps, collect)| {
                let mut step = json!({"type": "loop", "over": over, "steps": steps});
                if let Some(item) = item {
                    step["as"] = item.into();
                }
                if let Some(c) = collect {
                    step["collect"] = c.into();
                }
                step
            }),
        (inner.clone(), proptest::option::of(inner)).prop_map(|(steps, on_failure)| {
            let mut step = json!({"type": "sequence", "steps": steps});
            if let Some(f) = on_failure {
                step["on_failure"] = f.into();
            }
            step
        }),
    ];
    vec(prop_oneof![2 => leaf_step(), 1 => container], 0..4).boxed()
}

/// Answers invokes from memory: `echo` wraps its input, `fail` is an
/// upstream failure, `nested/flow` runs the flow under test one level
/// deeper, anything else is unknown.
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
            "echo" => Ok(json!({ "echoed": input })),
            "fail" => Err(FlowError::Invoke {
                status: 502,
                message: "upstream down".into(),
            }),
            "nested/flow" => {
                self.flow
                    .run(input, caller, self, self.limits, depth + 1)
                    .await
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
        Ok(HttpResult {
            status: 200,
            body: json!({ "method": method, "url": url, "body": body }),
        })
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// Arbitrary JSON, with any keys and strings.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            btree_map(any::<String>(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Step-like objects: a known type and known field names with arbitrary
/// values, to reach the checks behind the type.
fn step_like() -> impl Strategy<Value = Value> {
    let names = vec![
        "type",
        "description",
        "set",
        "copy",
        "rename",
        "drop",
        "service",
        "url",
        "method",
        "input",
        "output",
        "on",
        "cases",
        "default",
        "over",
        "as",
        "steps",
        "collect",
        "on_failure",
        "status",
        "message",
        "equals",
        "exists",
        "matches",
        "from",
        "to",
    ];
    (
        prop::sample::select(vec![
            "map", "invoke", "branch", "loop", "sequence", "exit", "other",
        ]),
        btree_map(prop::sample::select(names), arbitrary_json(), 0..4),
    )
        .prop_map(|(kind, fields)| {
            let mut obj: Map<String, Value> =
                fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            obj.insert("type".into(), kind.into());
            Value::Object(obj)
        })
}

proptest! {
    #![proptest_config(config(128))]

    /// Arbitrary JSON, and definitions of step-like objects, either parse
    /// or give an `Invalid` error naming a step and a field.
    #[test]
    fn arbitrary_json_never_panics(
        value in prop_oneof![arbitrary_json(), vec(step_like(), 0..4).prop_map(|s| json!({"steps": s}))],
    ) {
        if let Err(e) = Flow::parse(&value) {
            let FlowError::Invalid { step, field, message } = e else {
                return Err(TestCaseError::fail(format!("not Invalid: {e:?}")));
            };
            prop_assert!(!step.is_empty());
            // A field is named, or it is the empty key, and the message says so.
            prop_assert!(!field.is_empty() || message == "unknown field \"\"", "{}", message);
        }
    }

    /// Arbitrary text is JSON, YAML or refused; never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in prop_oneof![any::<String>(), "(steps:|- type: map|  set:|  [a-z]+: [a-z{}]+|\n){0,12}"]) {
        let _ = Flow::parse_text(&text);
    }

    /// A generated valid definition parses, and running it with small
    /// limits ends promptly with an output or a clean error.
    #[test]
    fn valid_definitions_parse_and_runs_terminate(steps in steps(2), input in document()) {
        let definition = json!({"description": "generated", "steps": steps});
        let flow = Flow::parse(&definition).map_err(|e| TestCaseError::fail(format!("{e} in {definition}")))?;
        let limits = Limits { max_steps: 100, max_loop_iterations: 50, max_depth: 2, timeout: Duration::from_secs(5) };
        let invoker = Memory { flow: &flow, limits: &limits };
        let caller = Caller { client_id: "app".into(), subject: Some("alice".into()), scope: "read".into() };
        let started = Instant::now();
        let result = runtime().block_on(flow.run(input, &caller, &invoker, &limits, 0));
        prop_assert!(started.elapsed() < Duration::from_secs(5));
        if let Err(e) = result {
            prop_assert!((400..=599).contains(&e.status()), "{:?}", e);
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// An unknown field in the i-th step is reported at `steps[i]`, naming
    /// the field.
    #[test]
    fn errors_name_the_step_and_field(
        (steps, at) in steps(1).prop_filter("some steps", |s| !s.is_empty())
            .prop_flat_map(|s| { let n = s.len(); (Just(s), 0..n) }),
    ) {
        let mut steps = steps;
        steps[at]["bogus"] = json!(1);
        let e = Flow::parse(&json!({"steps": steps})).unwrap_err();
        let FlowError::Invalid { step, field, .. } = e else {
            return Err(TestCaseError::fail(format!("not Invalid: {e:?}")));
        };
        prop_assert_eq!(step, format!("steps[{at}]"));
        prop_assert_eq!(field, "bogus");
    }
}
