//! Services in the console: list, add (REST and flow from YAML), edit,
//! delete, with validation errors shown on the form and CSRF required.

use super::{Browser, esc, input, location};
use crate::support::TestServer;
use flowgate::domain::ServiceKind;
use flowgate::service::ServiceInput;
use serde_json::json;

const QUOTE_YAML: &str = "\
steps:
  - type: map
    set:
      currency: EUR
";

#[tokio::test]
async fn console_lists_and_adds_services() {
    let server = TestServer::start().await;
    let b = Browser::admin(&server).await;
    let page = b.page("/admin/services").await;
    assert!(page.contains("<a href=\"/admin/services\" aria-current=\"page\">Services</a>"));
    assert!(page.contains("No service is registered yet."));
    let nav = b.page("/admin/clients").await;
    let users = nav.find(">Users</a>").unwrap();
    let services = nav.find(">Services</a>").unwrap();
    let tokens = nav.find(">Tokens</a>").unwrap();
    assert!(users < services && services < tokens);

    let existing: ServiceInput = serde_json::from_value(json!({
        "path": "billing/invoice", "kind": "flow", "description": "Invoices",
        "definition": {"steps": [{"type": "map", "set": {"a": 1}}, {"type": "map", "set": {"b": 2}}]}
    }))
    .unwrap();
    server.app.create_service("test", existing).await.unwrap();
    let page = b.page("/admin/services").await;
    assert!(page.contains("<th scope=\"row\"><code>billing/invoice</code></th>"));
    assert!(page.contains("<td>flow</td>"));
    assert!(page.contains("<td>2 steps</td>"));
    assert!(page.contains("href=\"/admin/services/edit/billing/invoice\""));

    let form = [
        ("path", "orders/createOrder"),
        ("kind", "rest"),
        ("description", "Create an order"),
        ("upstream_url", "http://127.0.0.1:9/orders"),
        ("timeout_ms", "5000"),
        ("definition", ""),
    ];
    let (to, page) = b.submit("/admin/services", &form).await;
    assert_eq!(to, "/admin/services");
    assert!(page.contains(&esc("Service \"orders/createOrder\" added.")));
    assert!(page.contains("<th scope=\"row\"><code>orders/createOrder</code></th>"));
    assert!(page.contains("<td><code>http://127.0.0.1:9/orders</code></td>"));
    let s = server.app.get_service("orders/createOrder").await.unwrap();
    assert_eq!(s.description, "Create an order");
    assert_eq!(
        s.kind,
        ServiceKind::Rest {
            upstream_url: "http://127.0.0.1:9/orders".into(),
            timeout_ms: Some(5000)
        }
    );

    let form = [
        ("path", "orders/quote"),
        ("kind", "flow"),
        ("description", "Quote"),
        ("upstream_url", ""),
        ("timeout_ms", ""),
        ("definition", QUOTE_YAML),
    ];
    let (_, page) = b.submit("/admin/services", &form).await;
    assert!(page.contains(&esc("Service \"orders/quote\" added.")));
    assert!(page.contains("<td>1 step</td>"));
    let s = server.app.get_service("orders/quote").await.unwrap();
    assert_eq!(
        s.kind,
        ServiceKind::Flow {
            definition: json!({"steps": [{"type": "map", "set": {"currency": "EUR"}}]})
        }
    );
    let events = server.app.list_audit(&Default::default()).await.unwrap();
    assert_eq!(events[0].action, "service.create");
    assert_eq!(events[0].actor, "admin:admin");
    server.stop().await;
}

#[tokio::test]
async fn console_shows_service_validation_errors_on_the_form() {
    let server = TestServer::start().await;
    let b = Browser::admin(&server).await;
    let form = [
        ("path", "orders/createOrder"),
        ("kind", "rest"),
        ("description", "Kept"),
        ("upstream_url", "not a url"),
    ];
    let r = b.post("/admin/services", &form).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("<p class=\"error\" role=\"alert\">upstream_url: "),
        "{body}"
    );
    assert_eq!(input(&body, "path").as_deref(), Some("orders/createOrder"));
    assert_eq!(input(&body, "upstream_url").as_deref(), Some("not a url"));

    let bad_flow = [
        ("path", "orders/broken"),
        ("kind", "flow"),
        ("definition", "steps:\n  - type: teleport\n"),
    ];
    let r = b.post("/admin/services", &bad_flow).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("<p class=\"error\" role=\"alert\">definition: "),
        "{body}"
    );
    assert!(body.contains("type: teleport"), "the definition is kept");
    let r = b
        .post(
            "/admin/services",
            &[("path", "a"), ("kind", "flow"), ("definition", "steps: [")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("definition: not valid YAML or JSON")
    );
    assert!(server.app.list_services().await.unwrap().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn console_edits_and_deletes_a_service() {
    let server = TestServer::start().await;
    let b = Browser::admin(&server).await;
    let service: ServiceInput = serde_json::from_value(json!({
        "path": "orders/createOrder", "kind": "rest", "description": "Create",
        "upstream_url": "http://127.0.0.1:9/orders", "timeout_ms": 5000
    }))
    .unwrap();
    server.app.create_service("test", service).await.unwrap();

    let form = b.page("/admin/services/edit/orders/createOrder").await;
    assert!(form.contains("<h1>Edit service <code>orders/createOrder</code></h1>"));
    assert!(form.contains("action=\"/admin/services/edit/orders/createOrder\""));
    assert_eq!(
        input(&form, "upstream_url").as_deref(),
        Some("http://127.0.0.1:9/orders")
    );
    assert_eq!(input(&form, "timeout_ms").as_deref(), Some("5000"));
    assert!(form.contains("<option value=\"rest\" selected>"));

    let (to, page) = b
        .submit(
            "/admin/services/edit/orders/createOrder",
            &[
                ("kind", "rest"),
                ("description", "Create an order"),
                ("upstream_url", "https://orders.example.com/create"),
                ("timeout_ms", ""),
            ],
        )
        .await;
    assert_eq!(to, "/admin/services");
    assert!(page.contains(&esc("Service \"orders/createOrder\" saved.")));
    assert!(page.contains("<td>Create an order</td>"));
    let s = server.app.get_service("orders/createOrder").await.unwrap();
    assert_eq!(
        s.kind,
        ServiceKind::Rest {
            upstream_url: "https://orders.example.com/create".into(),
            timeout_ms: None
        }
    );

    let r = b
        .post(
            "/admin/services/edit/orders/createOrder",
            &[("kind", "rest"), ("upstream_url", "ftp://x/")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("<p class=\"error\" role=\"alert\">upstream_url: "),
        "{body}"
    );

    // Turned into a flow, given as JSON.
    let (_, page) = b
        .submit(
            "/admin/services/edit/orders/createOrder",
            &[
                ("kind", "flow"),
                ("description", "Now a flow"),
                ("upstream_url", "https://orders.example.com/create"),
                ("definition", r#"{"steps": []}"#),
            ],
        )
        .await;
    assert!(page.contains("<td>0 steps</td>"));
    let edit = b.page("/admin/services/edit/orders/createOrder").await;
    assert!(edit.contains("<option value=\"flow\" selected>"));
    assert!(edit.contains("steps: []"), "{edit}");

    assert_eq!(b.get("/admin/services/edit/no/such").await.status(), 404);
    let confirm = b.page("/admin/services/delete/orders/createOrder").await;
    assert!(confirm.contains("action=\"/admin/services/delete/orders/createOrder\""));
    let (to, page) = b
        .submit("/admin/services/delete/orders/createOrder", &[])
        .await;
    assert_eq!(to, "/admin/services");
    assert!(page.contains(&esc("Service \"orders/createOrder\" deleted.")));
    assert!(server.app.get_service("orders/createOrder").await.is_err());
    let r = b
        .post("/admin/services/delete/orders/createOrder", &[])
        .await;
    assert_eq!(r.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn console_service_changes_need_the_csrf_token() {
    let server = TestServer::start().await;
    let b = Browser::admin(&server).await;
    let service: ServiceInput = serde_json::from_value(json!({
        "path": "orders/createOrder", "kind": "rest", "upstream_url": "http://127.0.0.1:9/"
    }))
    .unwrap();
    server.app.create_service("test", service).await.unwrap();
    let add = [
        ("path", "orders/quote"),
        ("kind", "rest"),
        ("upstream_url", "http://127.0.0.1:9/"),
    ];
    for (path, form) in [
        ("/admin/services", &add[..]),
        (
            "/admin/services/edit/orders/createOrder",
            &[("kind", "rest"), ("upstream_url", "http://x.example/")][..],
        ),
        ("/admin/services/delete/orders/createOrder", &[][..]),
    ] {
        let r = b.post_raw(path, form).await;
        assert_eq!(r.status(), 403, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains("This form has expired or did not come from this console."));
        assert!(body.contains("<a href=\"/admin/services\" aria-current=\"page\">Services</a>"));
        let mut forged = form.to_vec();
        forged.push(("csrf_token", "forged"));
        assert_eq!(b.post_raw(path, &forged).await.status(), 403, "{path}");
    }
    let services = server.app.list_services().await.unwrap();
    assert_eq!(services.len(), 1, "no change was made");
    assert_eq!(
        services[0].kind,
        ServiceKind::Rest {
            upstream_url: "http://127.0.0.1:9/".into(),
            timeout_ms: None
        }
    );

    let stranger = Browser::new(&server);
    let r = stranger.get("/admin/services").await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/admin/login".into())
    );
    server.stop().await;
}
