//! Execution limits.

use super::*;

fn limit_message(result: Result<Value, FlowError>) -> String {
    match result {
        Err(FlowError::Limit(message)) => message,
        other => panic!("expected a limit, got {other:?}"),
    }
}

#[tokio::test]
async fn a_runaway_loop_hits_the_iteration_limit() {
    let items: Vec<Value> = (0..5000).map(Value::from).collect();
    let def = json!({"steps": [{"type": "loop", "over": "xs", "steps": []}]});
    let message = limit_message(run(def, json!({"xs": items})).await);
    assert!(message.contains("1000 loop iterations"), "{message}");
    // Nested loops count together.
    let def = json!({"steps": [{"type": "loop", "over": "xs", "steps": [
        {"type": "loop", "over": "ys", "steps": []}]}]});
    let limits = Limits {
        max_loop_iterations: 20,
        ..Limits::default()
    };
    let input = json!({"xs": [1, 2, 3, 4, 5], "ys": [1, 2, 3, 4, 5]});
    assert!(
        run_with(&Fake::default(), &limits, def, input)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn every_executed_step_counts() {
    let body: Vec<Value> = (0..5).map(|_| json!({"type": "map"})).collect();
    let def = json!({"steps": [{"type": "loop", "over": "xs", "steps": body}]});
    let input = json!({"xs": [1, 2, 3]});
    // 1 loop + 3 × 5 maps = 16 steps.
    let fits = Limits {
        max_steps: 16,
        ..Limits::default()
    };
    assert!(
        run_with(&Fake::default(), &fits, def.clone(), input.clone())
            .await
            .is_ok()
    );
    let tight = Limits {
        max_steps: 15,
        ..Limits::default()
    };
    let message = limit_message(run_with(&Fake::default(), &tight, def, input).await);
    assert!(message.contains("more than 15 steps"), "{message}");
}

#[tokio::test]
async fn nesting_through_invokes_is_bounded() {
    let fake = Fake::default().with_flow(
        "self",
        json!({"steps": [{"type": "invoke", "service": "self"}]}),
    );
    let message = limit_message(
        run_with(
            &fake,
            &Limits::default(),
            json!({"steps": [
        {"type": "invoke", "service": "self"}]}),
            json!({}),
        )
        .await,
    );
    assert!(message.contains("nesting depth 9 exceeds 8"), "{message}");
    let calls = fake.calls();
    assert_eq!(calls.first().map(String::as_str), Some("service self 0"));
    assert_eq!(calls.last().map(String::as_str), Some("service self 8"));
    // A run asked for at too great a depth fails at once.
    let flow = Flow::parse(&json!({"steps": []})).unwrap();
    let result = flow
        .run(json!(1), &caller(), &fake, &Limits::default(), 9)
        .await;
    assert!(matches!(result, Err(FlowError::Limit(_))));
}

#[tokio::test]
async fn a_slow_invoke_hits_the_wall_time() {
    let limits = Limits {
        timeout: Duration::from_millis(50),
        ..Limits::default()
    };
    let started = std::time::Instant::now();
    let def = json!({"steps": [{"type": "invoke", "service": "slow"}]});
    let message = limit_message(run_with(&Fake::default(), &limits, def, json!({})).await);
    assert!(message.starts_with("wall time"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn limits_are_not_caught_by_on_failure() {
    let limits = Limits::default();
    let def = json!({"steps": [{"type": "sequence",
        "steps": [{"type": "loop", "over": "xs", "steps": [{"type": "map"}]}],
        "on_failure": [{"type": "exit"}]}]});
    let items: Vec<Value> = (0..2000).map(Value::from).collect();
    let result = run_with(&Fake::default(), &limits, def, json!({"xs": items})).await;
    assert!(matches!(result, Err(FlowError::Limit(_))));
}

#[tokio::test]
async fn a_doubling_document_hits_the_copy_limit() {
    // A string doubling each step would be 2^40 × 16 bytes after 40 steps.
    let doubling: Vec<Value> = (0..40)
        .map(|_| json!({"type": "map", "set": {"a": "{{a}}{{a}}"}}))
        .collect();
    let message =
        limit_message(run(json!({"steps": doubling}), json!({"a": "0123456789abcdef"})).await);
    assert!(message.contains("MiB of values copied"), "{message}");
    let nesting: Vec<Value> = (0..200)
        .map(|_| json!({"type": "map", "copy": [{"from": "a", "to": "a.a"}]}))
        .collect();
    let message = limit_message(run(json!({"steps": nesting}), json!({"a": {}})).await);
    assert!(message.contains("nested deeper"), "{message}");
}
