//! Every validation error names the step and the field.

use super::*;

fn steps(list: Value) -> Value {
    json!({"steps": list})
}

fn at(definition: Value) -> (String, String) {
    let (step, field, _) = invalid(definition);
    (step, field)
}

fn is(definition: Value, step: &str, field: &str) {
    let (s, f, message) = invalid(definition);
    assert_eq!(
        (s.as_str(), f.as_str()),
        (step, field),
        "message: {message}"
    );
}

#[test]
fn the_definition_must_be_an_object_with_steps() {
    is(json!([]), "definition", "definition");
    is(json!({}), "definition", "steps");
    is(json!({"steps": {}}), "definition", "steps");
    is(json!({"steps": [], "extra": 1}), "definition", "extra");
    is(
        json!({"steps": [], "description": 5}),
        "definition",
        "description",
    );
    assert!(Flow::parse(&json!({"steps": [], "description": "ok"})).is_ok());
}

#[test]
fn unknown_field_errors_quote_the_name() {
    // Found by the property tests: an empty key made "definition: : unknown field".
    let e = Flow::parse(&json!({"steps": [], "": null})).unwrap_err();
    assert_eq!(e.to_string(), "definition: : unknown field \"\"");
    let (s, f, message) = invalid(steps(json!([{"type": "map", "type ": "map"}])));
    assert_eq!((s.as_str(), f.as_str()), ("steps[0]", "type "));
    assert_eq!(message, "unknown field \"type \"");
}

#[test]
fn steps_need_a_known_type_and_known_fields() {
    is(steps(json!([5])), "steps[0]", "type");
    is(steps(json!([{"set": {}}])), "steps[0]", "type");
    is(steps(json!([{"type": 3}])), "steps[0]", "type");
    let (_, _, message) = invalid(steps(json!([{"type": "map"}, {"type": "jump"}])));
    assert!(message.contains("unknown step type \"jump\""), "{message}");
    is(
        steps(json!([{"type": "map"}, {"type": "jump"}])),
        "steps[1]",
        "type",
    );
    for (step, field) in [
        (json!({"type": "map", "sett": {}}), "sett"),
        (json!({"type": "invoke", "service": "a", "body": 1}), "body"),
        (
            json!({"type": "branch", "on": "a", "cases": [], "else": []}),
            "else",
        ),
        (
            json!({"type": "loop", "over": "a", "steps": [], "index": "i"}),
            "index",
        ),
        (
            json!({"type": "sequence", "steps": [], "finally": []}),
            "finally",
        ),
        (json!({"type": "exit", "code": 1}), "code"),
    ] {
        is(steps(json!([step])), "steps[0]", field);
    }
    assert!(Flow::parse(&steps(json!([{"type": "exit", "description": "done"}]))).is_ok());
}

#[test]
fn map_fields_are_checked() {
    let map = |body: Value| {
        let mut step = json!({"type": "map"});
        step.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        steps(json!([step]))
    };
    is(map(json!({"set": []})), "steps[0]", "set");
    is(map(json!({"set": {"a..b": 1}})), "steps[0]", "set.a..b");
    is(map(json!({"set": {"a": "{{b"}})), "steps[0]", "set.a");
    is(
        map(json!({"set": {"a": {"x": ["{{caller.name}}"]}}})),
        "steps[0]",
        "set.a",
    );
    is(map(json!({"copy": {"from": "a"}})), "steps[0]", "copy");
    is(
        map(json!({"copy": [{"from": "a", "to": "b"}, "x"]})),
        "steps[0]",
        "copy[1]",
    );
    is(
        map(json!({"copy": [{"from": "a"}]})),
        "steps[0]",
        "copy[0].to",
    );
    is(
        map(json!({"copy": [{"from": "a", "to": "b", "as": 1}]})),
        "steps[0]",
        "copy[0].as",
    );
    is(
        map(json!({"rename": [{"from": 1, "to": "b"}]})),
        "steps[0]",
        "rename[0].from",
    );
    is(
        map(json!({"rename": [{"from": ".", "to": "b"}]})),
        "steps[0]",
        "rename",
    );
    is(map(json!({"drop": "a"})), "steps[0]", "drop");
    is(map(json!({"drop": ["a", 2]})), "steps[0]", "drop[1]");
    is(map(json!({"drop": ["a", ""]})), "steps[0]", "drop[1]");
    is(map(json!({"drop": ["/a~"]})), "steps[0]", "drop[0]");
}

#[test]
fn invoke_fields_are_checked() {
    let inv = |step: Value| steps(json!([step]));
    is(inv(json!({"type": "invoke"})), "steps[0]", "service");
    is(
        inv(json!({"type": "invoke", "service": "a", "url": "http://x/"})),
        "steps[0]",
        "url",
    );
    is(
        inv(json!({"type": "invoke", "service": "a/../b"})),
        "steps[0]",
        "service",
    );
    is(
        inv(json!({"type": "invoke", "service": "a", "method": "GET"})),
        "steps[0]",
        "method",
    );
    is(
        inv(json!({"type": "invoke", "url": "http://x/", "method": "BREW"})),
        "steps[0]",
        "method",
    );
    is(
        inv(json!({"type": "invoke", "url": "/relative"})),
        "steps[0]",
        "url",
    );
    is(
        inv(json!({"type": "invoke", "url": "ftp://x/"})),
        "steps[0]",
        "url",
    );
    is(
        inv(json!({"type": "invoke", "url": "https://{{host}}/a"})),
        "steps[0]",
        "url",
    );
    is(
        inv(json!({"type": "invoke", "url": "https://x/{{a"})),
        "steps[0]",
        "url",
    );
    is(
        inv(json!({"type": "invoke", "service": "a", "input": "a..b"})),
        "steps[0]",
        "input",
    );
    is(
        inv(json!({"type": "invoke", "service": "a", "output": 3})),
        "steps[0]",
        "output",
    );
    assert!(
        Flow::parse(&inv(
            json!({"type": "invoke", "url": "https://x/a/{{id}}?q={{q}}"})
        ))
        .is_ok()
    );
}

#[test]
fn branch_fields_are_checked() {
    let br = |step: Value| steps(json!([step]));
    is(br(json!({"type": "branch", "cases": []})), "steps[0]", "on");
    is(
        br(json!({"type": "branch", "on": "a"})),
        "steps[0]",
        "cases",
    );
    is(
        br(json!({"type": "branch", "on": "a", "cases": {}})),
        "steps[0]",
        "cases",
    );
    is(
        br(json!({"type": "branch", "on": "a", "cases": [1]})),
        "steps[0]",
        "cases[0]",
    );
    is(
        br(json!({"type": "branch", "on": "a", "cases": [{"steps": []}]})),
        "steps[0]",
        "cases[0].equals",
    );
    is(
        br(
            json!({"type": "branch", "on": "a", "cases": [{"equals": 1, "steps": []},
            {"equals": 1, "exists": true, "steps": []}]}),
        ),
        "steps[0]",
        "cases[1].exists",
    );
    is(
        br(json!({"type": "branch", "on": "a", "cases": [{"exists": "yes", "steps": []}]})),
        "steps[0]",
        "cases[0].exists",
    );
    is(
        br(json!({"type": "branch", "on": "a", "cases": [{"equals": 1}]})),
        "steps[0]",
        "cases[0].steps",
    );
    is(
        br(json!({"type": "branch", "on": "a", "cases": [{"equals": 1, "steps": [], "x": 1}]})),
        "steps[0]",
        "cases[0].x",
    );
    let (_, _, message) = invalid(br(
        json!({"type": "branch", "on": "a", "cases": [{"matches": "(", "steps": []}]}),
    ));
    assert!(message.contains("not a valid regex"), "{message}");
    is(
        br(json!({"type": "branch", "on": "a", "cases": [{"matches": "(", "steps": []}]})),
        "steps[0]",
        "cases[0].matches",
    );
    is(
        br(
            json!({"type": "branch", "on": "a", "cases": [{"matches": "a{1000}{1000}", "steps": []}]}),
        ),
        "steps[0]",
        "cases[0].matches",
    );
    is(
        br(json!({"type": "branch", "on": "a", "cases": [], "default": {}})),
        "steps[0]",
        "default",
    );
}

#[test]
fn nested_steps_are_located() {
    let def = steps(json!([
        {"type": "map"},
        {"type": "exit"},
        {"type": "branch", "on": "a", "cases": [{"equals": 1, "steps": [
            {"type": "map"}, {"type": "map", "drop": [1]}]}]}
    ]));
    is(def, "steps[2].cases[0].steps[1]", "drop[0]");
    is(
        steps(json!([{"type": "branch", "on": "a", "cases": [], "default": [{"type": "?"}]}])),
        "steps[0].default[0]",
        "type",
    );
    is(
        steps(
            json!([{"type": "loop", "over": "a", "steps": [{"type": "sequence", "steps": [],
            "on_failure": [{"type": "exit", "status": 200}]}]}]),
        ),
        "steps[0].steps[0].on_failure[0]",
        "status",
    );
    is(
        steps(json!([{"type": "sequence", "steps": [{"type": "map", "set": 1}]}])),
        "steps[0].steps[0]",
        "set",
    );
    is(
        steps(json!([{"type": "sequence", "steps": 5}])),
        "steps[0]",
        "steps",
    );
}

#[test]
fn loop_sequence_and_exit_fields_are_checked() {
    let one = |step: Value| at(steps(json!([step])));
    let s = |f: &str| ("steps[0]".to_owned(), f.to_owned());
    assert_eq!(one(json!({"type": "loop", "steps": []})), s("over"));
    assert_eq!(one(json!({"type": "loop", "over": "a"})), s("steps"));
    assert_eq!(
        one(json!({"type": "loop", "over": "a", "as": ".", "steps": []})),
        s("as")
    );
    assert_eq!(
        one(json!({"type": "loop", "over": "a", "collect": "a..b", "steps": []})),
        s("collect")
    );
    assert_eq!(one(json!({"type": "sequence"})), s("steps"));
    assert_eq!(
        one(json!({"type": "sequence", "steps": [], "on_failure": 1})),
        s("on_failure")
    );
    assert_eq!(one(json!({"type": "exit", "status": 399})), s("status"));
    assert_eq!(one(json!({"type": "exit", "status": 600})), s("status"));
    assert_eq!(one(json!({"type": "exit", "status": "500"})), s("status"));
    assert_eq!(one(json!({"type": "exit", "message": "m"})), s("message"));
    assert_eq!(
        one(json!({"type": "exit", "status": 500, "message": 1})),
        s("message")
    );
    assert_eq!(
        one(json!({"type": "exit", "status": 500, "message": "{{"})),
        s("message")
    );
    assert_eq!(
        one(json!({"type": "exit", "status": 500, "output": "a"})),
        s("output")
    );
    assert_eq!(one(json!({"type": "exit", "output": "a..b"})), s("output"));
}

#[test]
fn definitions_are_bounded() {
    let mut inner = json!([]);
    for _ in 0..20 {
        inner = json!([{"type": "sequence", "steps": inner}]);
    }
    let (_, _, message) = invalid(steps(inner));
    assert!(message.contains("nested at most"), "{message}");
    let many: Vec<Value> = (0..1001).map(|_| json!({"type": "exit"})).collect();
    is(steps(Value::Array(many)), "steps[1000]", "type");
}
