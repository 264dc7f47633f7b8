//! Each step alone, and together.

use super::*;

#[tokio::test]
async fn a_flow_without_steps_returns_its_input() {
    let input = json!({"a": [1, 2], "b": null});
    assert_eq!(
        run(json!({"steps": []}), input.clone()).await.unwrap(),
        input
    );
    assert_eq!(
        run(json!({"steps": []}), json!("text")).await.unwrap(),
        json!("text")
    );
}

#[tokio::test]
async fn map_sets_templated_values() {
    let def = json!({"steps": [{"type": "map", "set": {
        "order.id": "{{id}}",
        "/order/label": "order {{id}} for {{caller.subject}}",
        "who": {"client": "{{caller.client_id}}", "scope": "{{caller.scope}}"},
        "fixed": [1, "two"],
        "nothing": "{{missing}}"
    }}]});
    let out = run(def, json!({"id": 7})).await.unwrap();
    assert_eq!(
        out,
        json!({"id": 7, "order": {"id": 7, "label": "order 7 for alice"},
               "who": {"client": "shop", "scope": "orders"},
               "fixed": [1, "two"], "nothing": null})
    );
}

#[tokio::test]
async fn map_set_values_read_the_document_before_the_step() {
    let def = json!({"steps": [{"type": "map", "set": {"a": 2, "b": "{{a}}"}}]});
    assert_eq!(
        run(def, json!({"a": 1})).await.unwrap(),
        json!({"a": 2, "b": 1})
    );
}

#[tokio::test]
async fn map_copies_renames_then_drops() {
    let def = json!({"steps": [{"type": "map",
        "set": {"tmp": "x"},
        "copy": [{"from": "user.name", "to": "name"}, {"from": "tmp", "to": "t2"},
                 {"from": "missing", "to": "never"}],
        "rename": [{"from": "user", "to": "/account"}, {"from": "nope", "to": "never2"}],
        "drop": ["tmp", "account.secret", "absent"]
    }]});
    let out = run(def, json!({"user": {"name": "al", "secret": "s"}}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"name": "al", "t2": "x", "account": {"name": "al"}})
    );
}

#[tokio::test]
async fn map_setting_through_a_scalar_fails_naming_the_step() {
    let def = json!({"steps": [{"type": "map", "set": {"a.b": 1}}]});
    let err = run(def, json!({"a": 3})).await.unwrap_err();
    assert!(
        matches!(&err, FlowError::Invalid { step, field, .. } if step == "steps[0]" && field == "set.a.b"),
        "{err:?}"
    );
    // A null document becomes an object.
    let def = json!({"steps": [{"type": "map", "set": {"a": 1}}]});
    assert_eq!(run(def, json!(null)).await.unwrap(), json!({"a": 1}));
}

#[tokio::test]
async fn invoke_service_replaces_the_document_or_fills_output() {
    let fake = Fake::default();
    let limits = Limits::default();
    let def = json!({"steps": [{"type": "invoke", "service": "echo"}]});
    let out = run_with(&fake, &limits, def, json!({"q": 1}))
        .await
        .unwrap();
    assert_eq!(out, json!({"echoed": {"q": 1}, "by": "shop"}));

    let def = json!({"steps": [
        {"type": "invoke", "service": "echo", "input": "q", "output": "r.s"}]});
    let out = run_with(&fake, &limits, def, json!({"q": 1}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"q": 1, "r": {"s": {"echoed": 1, "by": "shop"}}})
    );
    assert_eq!(fake.calls(), vec!["service echo 0", "service echo 0"]);
}

#[tokio::test]
async fn invoke_url_gives_status_and_body() {
    let fake = Fake::default();
    let limits = Limits::default();
    let def = json!({"steps": [{"type": "invoke",
        "url": "https://api.example/items/{{id}}?who={{caller.subject}}",
        "method": "get", "output": "got"}]});
    let out = run_with(&fake, &limits, def, json!({"id": "a b/c"}))
        .await
        .unwrap();
    assert_eq!(
        out["got"],
        json!({"status": 201, "body": {"method": "GET",
               "url": "https://api.example/items/a%20b%2Fc?who=alice", "body": null}})
    );
    let def = json!({"steps": [{"type": "invoke", "url": "http://up.example/x", "input": "n"}]});
    let out = run_with(&fake, &limits, def, json!({"n": 5}))
        .await
        .unwrap();
    assert_eq!(out["body"]["method"], json!("POST"));
    assert_eq!(out["body"]["body"], json!(5));
}

#[tokio::test]
async fn invoke_failures_propagate() {
    let def = json!({"steps": [{"type": "invoke", "service": "fail"}]});
    let err = run(def, json!({})).await.unwrap_err();
    assert!(matches!(err, FlowError::Invoke { status: 502, .. }));
    let def = json!({"steps": [{"type": "invoke", "service": "no/such"}]});
    let err = run(def, json!({})).await.unwrap_err();
    assert!(matches!(err, FlowError::Invoke { status: 404, .. }));
}

fn branch() -> Value {
    let tag = |t: &str| json!([{"type": "map", "set": {"took": t}}]);
    json!({"steps": [{"type": "branch", "on": "v", "cases": [
        {"equals": 1, "steps": tag("one")},
        {"equals": {"k": [true]}, "steps": tag("object")},
        {"matches": "^ab+c$", "steps": tag("regex")},
        {"matches": "^4\\d$", "steps": tag("number-regex")},
        {"exists": false, "steps": tag("missing")}
    ], "default": tag("default")}]})
}

#[tokio::test]
async fn branch_runs_the_first_matching_case() {
    for (input, took) in [
        (json!({"v": 1}), "one"),
        (json!({"v": 1.0}), "one"),
        (json!({"v": {"k": [true]}}), "object"),
        (json!({"v": "abbbc"}), "regex"),
        (json!({"v": 42}), "number-regex"),
        (json!({}), "missing"),
        (json!({"v": "zzz"}), "default"),
        (json!({"v": null}), "default"),
    ] {
        let out = run(branch(), input.clone()).await.unwrap();
        assert_eq!(out["took"], json!(took), "for {input}");
    }
    let def = json!({"steps": [{"type": "branch", "on": "v", "cases": [
        {"exists": true, "steps": []}]}]});
    assert_eq!(run(def, json!({"w": 1})).await.unwrap(), json!({"w": 1}));
}

#[tokio::test]
async fn loop_collects_each_item() {
    let def = json!({"steps": [{"type": "loop", "over": "items", "as": "it", "collect": "out",
        "steps": [{"type": "map", "set": {"it.total": "{{it.n}}", "it.by": "{{user}}"},
                   "drop": ["it.n"]}]}]});
    let out = run(def, json!({"user": "al", "items": [{"n": 1}, {"n": 2}]}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"user": "al", "items": [{"n": 1}, {"n": 2}],
               "out": [{"total": 1, "by": "al"}, {"total": 2, "by": "al"}]})
    );
}

#[tokio::test]
async fn loop_defaults_replace_the_array_and_skip_missing_ones() {
    let def = json!({"steps": [{"type": "loop", "over": "xs",
        "steps": [{"type": "map", "set": {"item": "<{{item}}>"}}]}]});
    assert_eq!(
        run(def.clone(), json!({"xs": [1, "a"]})).await.unwrap(),
        json!({"xs": ["<1>", "<a>"]})
    );
    assert_eq!(run(def.clone(), json!({})).await.unwrap(), json!({}));
    assert_eq!(
        run(def.clone(), json!({"xs": []})).await.unwrap(),
        json!({"xs": []})
    );
    let err = run(def, json!({"xs": 3})).await.unwrap_err();
    assert!(matches!(err, FlowError::Invalid { ref field, .. } if field == "over"));
    // Over the whole document, an array.
    let def = json!({"steps": [{"type": "loop", "over": ".",
        "steps": [{"type": "invoke", "service": "echo", "input": "item", "output": "item"}]}]});
    let out = run(def, json!([1, 2])).await.unwrap();
    assert_eq!(
        out,
        json!([{"echoed": 1, "by": "shop"}, {"echoed": 2, "by": "shop"}])
    );
}

#[tokio::test]
async fn sequence_on_failure_sees_the_error() {
    let def = json!({"steps": [{"type": "sequence",
        "steps": [{"type": "map", "set": {"half": true}}, {"type": "invoke", "service": "fail"}],
        "on_failure": [{"type": "map", "set": {"failed": "{{error.message}} ({{error.status}})"}}]
    }, {"type": "map", "set": {"after": true}}]});
    let out = run(def, json!({"a": 1})).await.unwrap();
    assert_eq!(
        out,
        json!({"a": 1, "after": true, "failed": "upstream down (502)",
               "error": {"kind": "invoke", "status": 502, "message": "upstream down"}})
    );
    // An exit failure is caught too; a non-object document is wrapped.
    let def = json!({"steps": [{"type": "sequence",
        "steps": [{"type": "exit", "status": 409, "message": "taken"}],
        "on_failure": []}]});
    assert_eq!(
        run(def, json!(5)).await.unwrap(),
        json!({"value": 5, "error": {"kind": "exit", "status": 409, "message": "taken"}})
    );
}

#[tokio::test]
async fn sequence_failures_without_handler_or_inside_it_propagate() {
    let def =
        json!({"steps": [{"type": "sequence", "steps": [{"type": "invoke", "service": "fail"}]}]});
    assert!(matches!(
        run(def, json!({})).await,
        Err(FlowError::Invoke { status: 502, .. })
    ));
    let def = json!({"steps": [{"type": "sequence",
        "steps": [{"type": "invoke", "service": "fail"}],
        "on_failure": [{"type": "exit", "status": 503, "message": "sorry: {{error.message}}"}]}]});
    match run(def, json!({})).await {
        Err(FlowError::Exit { status, message }) => {
            assert_eq!((status, message.as_str()), (503, "sorry: upstream down"));
        }
        other => panic!("{other:?}"),
    }
    // Success keeps what the steps did, and exit-success is not a failure.
    let def = json!({"steps": [{"type": "sequence",
        "steps": [{"type": "map", "set": {"x": 1}}, {"type": "exit", "output": "x"}],
        "on_failure": [{"type": "map", "set": {"bad": true}}]}]});
    assert_eq!(run(def, json!({})).await.unwrap(), json!(1));
}

#[tokio::test]
async fn exit_returns_or_fails() {
    let def = json!({"steps": [{"type": "exit"}, {"type": "map", "set": {"no": 1}}]});
    assert_eq!(run(def, json!({"a": 1})).await.unwrap(), json!({"a": 1}));
    let def = json!({"steps": [{"type": "exit", "output": "a.b"}]});
    assert_eq!(
        run(def, json!({"a": {"b": [1]}})).await.unwrap(),
        json!([1])
    );
    let def = json!({"steps": [{"type": "exit", "status": 422, "message": "bad {{f}} for {{caller.client_id}}"}]});
    match run(def, json!({"f": "qty"})).await {
        Err(FlowError::Exit {
            status: 422,
            message,
        }) => assert_eq!(message, "bad qty for shop"),
        other => panic!("{other:?}"),
    }
    let def = json!({"steps": [{"type": "exit", "status": 404}]});
    let err = run(def, json!({})).await.unwrap_err();
    assert_eq!(err.to_string(), "flow exited with status 404");
}

#[tokio::test]
async fn exit_inside_a_loop_ends_the_whole_flow() {
    let def = json!({"steps": [{"type": "loop", "over": "xs", "steps": [
        {"type": "branch", "on": "item", "cases": [
            {"equals": 2, "steps": [{"type": "exit", "output": "item"}]}]}]},
        {"type": "map", "set": {"never": true}}]});
    assert_eq!(run(def, json!({"xs": [1, 2, 3]})).await.unwrap(), json!(2));
}

#[tokio::test]
async fn steps_combine_into_an_order_flow() {
    let fake = Fake::default().with_flow(
        "orders/price",
        json!({"steps": [{"type": "map", "set": {"price": "{{qty}}"}, "drop": ["qty"]}]}),
    );
    let def = json!({"steps": [
        {"type": "branch", "on": "lines", "cases": [{"exists": false, "steps": [
            {"type": "exit", "status": 400, "message": "no lines"}]}]},
        {"type": "loop", "over": "lines", "as": "line", "collect": "priced", "steps": [
            {"type": "invoke", "service": "orders/price", "input": "line", "output": "line"}]},
        {"type": "invoke", "url": "https://audit.example/log", "input": "priced", "output": "audit"},
        {"type": "map", "set": {"audited": "{{audit.status}}", "customer": "{{caller.subject}}"},
         "drop": ["lines", "audit"]}
    ]});
    let limits = Limits::default();
    let out = run_with(
        &fake,
        &limits,
        def.clone(),
        json!({"lines": [{"qty": 2}, {"qty": 3}]}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({"priced": [{"price": 2}, {"price": 3}], "audited": 201, "customer": "alice"})
    );
    assert_eq!(
        fake.calls(),
        vec![
            "service orders/price 0",
            "service orders/price 0",
            "http POST https://audit.example/log"
        ]
    );
    let err = run_with(&fake, &limits, def, json!({})).await.unwrap_err();
    assert!(matches!(err, FlowError::Exit { status: 400, .. }));
}

#[tokio::test]
async fn yaml_and_json_text_parse() {
    let yaml = r#"
description: greet
steps:
  - type: map
    set:
      greeting: "hello {{name}}"
  - type: branch
    on: name
    cases:
      - matches: "^a"
        steps:
          - {type: map, set: {vip: true}}
"#;
    let flow = Flow::parse_text(yaml).unwrap();
    let out = flow
        .run(
            json!({"name": "ann"}),
            &caller(),
            &Fake::default(),
            &Limits::default(),
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"name": "ann", "greeting": "hello ann", "vip": true})
    );
    assert!(Flow::parse_text(r#"{"steps": [{"type": "exit"}]}"#).is_ok());
    let err = Flow::parse_text("steps: [unclosed").unwrap_err();
    assert!(err.to_string().contains("not valid YAML or JSON"), "{err}");
    let err = Flow::parse_text("steps:\n  - type: jump\n").unwrap_err();
    assert!(matches!(err, FlowError::Invalid { ref step, ref field, .. }
        if step == "steps[0]" && field == "type"));
}
