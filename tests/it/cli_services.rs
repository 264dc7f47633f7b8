//! `flowgate service ...`: services kept in git as YAML or JSON, applied
//! and exported by the real binary against a temporary database.

use crate::cli::Db;
use serde_json::json;
use std::fs;

const CREATE_ORDER: &str = "\
path: orders/createOrder
kind: rest
description: Create an order
upstream_url: http://127.0.0.1:9/orders
timeout_ms: 5000
";

const FLOWS: &str = "\
- path: orders/quote
  kind: flow
  definition:
    steps:
      - type: map
        set:
          currency: EUR
";

/// A directory with `files` written into it.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn apply_a_directory_export_and_apply_the_export_again() {
    let db = Db::new();
    let src = dir_with(&[
        ("a-orders.yaml", CREATE_ORDER),
        ("b-flows.yml", FLOWS),
        ("README.md", "not a service"),
    ]);
    let dir = src.path().to_str().unwrap();
    let applied = db.run(&["service", "apply", "-f", dir]).ok();
    assert_eq!(applied.stdout.trim(), "2 created, 0 updated");

    let list = db.run(&["service", "list"]).ok();
    assert!(list.stdout.starts_with("PATH"), "{}", list.stdout);
    assert!(list.stdout.contains("orders/quote") && list.stdout.contains("1 step"));
    let shown = db
        .run(&["service", "show", "orders/createOrder", "--json"])
        .ok()
        .json();
    assert_eq!(
        (&shown["kind"], &shown["timeout_ms"]),
        (&json!("rest"), &json!(5000))
    );

    let yaml = db.run(&["service", "export"]).ok().stdout;
    let json_export = db.run(&["service", "export", "--format", "json"]).ok();
    let exported = json_export.json();
    assert_eq!(exported.as_array().unwrap().len(), 2);
    assert_eq!(
        exported[1]["definition"]["steps"][0]["set"]["currency"],
        "EUR"
    );
    assert!(exported[0].get("created_at").is_none(), "{exported}");

    let back = dir_with(&[("services.yaml", &yaml)]);
    let file = back.path().join("services.yaml");
    let again = db
        .run(&["service", "apply", "-f", file.to_str().unwrap()])
        .ok();
    assert_eq!(again.stdout.trim(), "0 created, 2 updated");
    let from_json = dir_with(&[("all.json", &json_export.stdout)]);
    let again = db
        .run(&["service", "apply", "-f", from_json.path().to_str().unwrap()])
        .ok();
    assert_eq!(again.stdout.trim(), "0 created, 2 updated");
    assert_eq!(
        db.run(&["service", "export"]).ok().stdout,
        yaml,
        "the round trip changes nothing"
    );

    db.run(&["service", "delete", "orders/quote"]).ok();
    let gone = db.run(&["service", "show", "orders/quote"]);
    assert_eq!(
        (gone.code, gone.stderr.trim()),
        (1, "error: service not found")
    );
}

#[test]
fn an_invalid_service_fails_the_whole_apply_naming_the_field() {
    let db = Db::new();
    let bad_flow = "\
path: orders/broken
kind: flow
definition:
  steps:
    - type: teleport
";
    let src = dir_with(&[("a.yaml", CREATE_ORDER), ("b.yaml", bad_flow)]);
    let run = db.run(&["service", "apply", "-f", src.path().to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let err = run.stderr.trim();
    assert!(err.starts_with("error: definition: steps[0]"), "{err}");
    assert!(
        err.contains("teleport") && err.contains("orders/broken"),
        "{err}"
    );
    let list = db.run(&["service", "list", "--json"]).ok().json();
    assert_eq!(list, json!([]), "nothing is written");

    let bad_url = "path: a/b\nkind: rest\nupstream_url: not-a-url\n";
    let run = db.run_with_stdin(&["service", "apply", "-f", "-"], bad_url);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("error: upstream_url: "),
        "{}",
        run.stderr
    );
    let unknown = "path: a/b\nkind: rest\nupstream_url: http://x.test\ncolour: red\n";
    let run = db.run_with_stdin(&["service", "apply", "-f", "-"], unknown);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("colour"), "{}", run.stderr);
    let scope = db.run(&["scope", "create", "s", "--service", "nowhere"]);
    assert_eq!(
        (scope.code, scope.stderr.trim()),
        (
            1,
            "error: services: no service or folder \"nowhere\" is registered"
        )
    );
}
