//! Scopes, users and tokens in the console.

use super::{Browser, input};
use crate::support::TestServer;
use flowgate::domain::token::{ACCESS_TOKEN_PREFIX, mint};
use flowgate::domain::{AccessToken, GrantType, ScopeSet};
use flowgate::service::ServiceInput;
use serde_json::json;

#[tokio::test]
async fn console_manages_scopes_and_users() {
    let server = TestServer::start().await;
    let b = Browser::admin(&server).await;
    let service: ServiceInput = serde_json::from_value(json!({
        "path": "orders/createOrder", "kind": "rest", "upstream_url": "http://127.0.0.1:9/"
    }))
    .unwrap();
    server.app.create_service("test", service).await.unwrap();
    let form = [
        ("name", "orders.read"),
        ("description", "Read orders"),
        ("services", "orders\norders/createOrder\n"),
    ];
    let (to, page) = b.submit("/admin/scopes", &form).await;
    assert_eq!(to, "/admin/scopes");
    assert!(page.contains("Scope &#34;orders.read&#34; added."));
    assert!(page.contains("<th scope=\"row\"><code>orders.read</code></th>"));
    let scope = server.app.get_scope("orders.read").await.unwrap();
    assert_eq!(scope.description, "Read orders");
    assert_eq!(scope.services, ["orders", "orders/createOrder"]);

    let r = b.post("/admin/scopes", &[("name", "bad scope")]).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("<p class=\"error\" role=\"alert\">name: "),
        "{body}"
    );
    let (_, page) = b
        .submit(
            "/admin/scopes/orders.read",
            &[("description", "All orders"), ("services", "orders")],
        )
        .await;
    assert!(page.contains("<td>All orders</td>"));
    let (_, page) = b.submit("/admin/scopes/orders.read/delete", &[]).await;
    assert!(page.contains("Scope &#34;orders.read&#34; deleted."));
    assert!(server.app.get_scope("orders.read").await.is_err());
    let r = b.post("/admin/scopes/admin/delete", &[]).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("name: the admin scope is reserved and cannot be deleted")
    );

    let (to, page) = b
        .submit(
            "/admin/users",
            &[("username", "bob"), ("password", "bob-password")],
        )
        .await;
    assert_eq!(to, "/admin/users");
    assert!(page.contains("User &#34;bob&#34; added."));
    assert!(page.contains("<th scope=\"row\">bob</th>"));
    assert!(!server.app.get_user("bob").await.unwrap().admin);
    let r = b
        .post(
            "/admin/users",
            &[("username", "carol"), ("password", "short")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(
            "<p class=\"error\" role=\"alert\">password: must be 8 to 1024 characters</p>"
        )
    );
    assert_eq!(input(&body, "username").as_deref(), Some("carol"));

    b.submit(
        "/admin/users/bob",
        &[("password", "new-bob-password"), ("admin", "true")],
    )
    .await;
    let bob = server.app.get_user("bob").await.unwrap();
    assert!(bob.admin);
    let bob_browser = Browser::new(&server);
    assert_eq!(
        bob_browser.login("bob", "new-bob-password").await.status(),
        303
    );
    let (_, page) = b.submit("/admin/users/bob/delete", &[]).await;
    assert!(page.contains("User &#34;bob&#34; deleted."));
    assert!(server.app.get_user("bob").await.is_err());
    assert_eq!(
        bob_browser.get("/admin/clients").await.status(),
        303,
        "a deleted user's session ends"
    );
    server.stop().await;
}

#[tokio::test]
async fn console_adds_lists_and_revokes_tokens() {
    let server = TestServer::start().await;
    let b = Browser::admin(&server).await;
    let caller = server.client(json!({})).await;
    let client = server.client(json!({ "client_name": "Batch" })).await;

    let form = [
        ("client_id", client.id.as_str()),
        ("scope", "read write"),
        ("expires_in", "600"),
    ];
    let page = b.reveal("/admin/tokens", &form).await;
    let filtered = format!("<option value=\"{}\" selected>", client.id);
    assert!(
        page.contains(&filtered),
        "the list shows the client's tokens"
    );
    assert!(
        page.contains("Access token added: scope &#34;read write&#34;, expires in 600 seconds.")
    );
    let token = input(&page, "new_token").unwrap();
    assert!(token.starts_with("fgat_"));
    let seen = server.introspect(&caller, &token).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["scope"], "read write");
    assert_eq!(seen["client_id"], client.id.as_str());
    assert!((599..=600).contains(&(seen["exp"].as_i64().unwrap() - seen["iat"].as_i64().unwrap())));
    assert_eq!(
        input(
            &b.page(&format!("/admin/tokens?client_id={}", client.id))
                .await,
            "new_token"
        ),
        None,
        "the token is shown once"
    );
    let r = b
        .post(
            "/admin/tokens",
            &[("client_id", &client.id), ("expires_in", "0")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains(
        "expires_in: must be -1 (never expires) or a positive number of seconds up to ten years"
    ));

    let second = server.cc_token(&client, "read").await;
    let listed = server.app.list_tokens(&Default::default()).await.unwrap();
    let ids: Vec<String> = listed.iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids.len(), 2);
    let page = b
        .page(&format!(
            "/admin/tokens?client_id={}&state=active",
            client.id
        ))
        .await;
    for id in &ids {
        assert!(page.contains(&format!(
            "<input type=\"checkbox\" name=\"id\" value=\"{id}\" id=\"token_{id}\">"
        )));
    }
    assert!(page.contains("<a href=\"/admin/clients/") && page.contains(">Batch 1.0</a>"));
    let form = [
        ("id", ids[0].as_str()),
        ("id", ids[1].as_str()),
        ("state", "active"),
    ];
    let (to, page) = b.submit("/admin/tokens/revoke", &form).await;
    assert_eq!(to, "/admin/tokens?state=active");
    assert!(page.contains("Revoked 2 tokens."));
    assert!(page.contains("No token matches."));
    for t in [&token, &second] {
        assert_eq!(
            server.introspect(&caller, t).await,
            json!({ "active": false })
        );
    }
    let page = b.page("/admin/tokens?state=revoked").await;
    assert_eq!(
        page.matches("<span class=\"badge revoked\">Revoked</span>")
            .count(),
        2
    );

    // A token past its expiry time shows "Expired" with its times.
    server.user("alice", "alice-password").await;
    let (id, secret) = mint(ACCESS_TOKEN_PREFIX);
    let expired = AccessToken {
        id,
        hash: secret.digest(),
        client_id: client.id.clone(),
        username: Some("alice".into()),
        scope: ScopeSet::parse("read").unwrap(),
        grant_type: GrantType::Password,
        grant_id: None,
        issued_at: 1_700_000_000,
        expires_at: Some(1_700_003_600),
        revoked_at: None,
    };
    server
        .app
        .store
        .insert_access_tokens(&[expired])
        .await
        .unwrap();
    let page = b.page("/admin/tokens?state=expired").await;
    let row = "<td>alice</td>\n          <td><code>read</code></td>\n          <td>password</td>\n          \
         <td>2023-11-14 22:13:20 UTC</td>\n          <td>2023-11-14 23:13:20 UTC</td>\n          \
         <td><span class=\"badge expired\">Expired</span></td>";
    assert!(page.contains(row), "{page}");
    assert!(page.contains(&format!("value=\"{id}\" id=\"token_{id}\">")));
    server.stop().await;
}
