//! Clients in the console: register, show the secret once, edit,
//! deactivate, rotate, delete.

use super::{Browser, CLIENT_FORM, esc, input};
use crate::support::{REDIRECT_URI, TestClient, TestServer};
use flowgate::domain::GrantType;
use serde_json::json;

#[tokio::test]
async fn console_registers_a_client_and_shows_its_secret_once() {
    let server = TestServer::start().await;
    let b = Browser::admin(&server).await;
    let form = b.page("/admin/clients/new").await;
    assert!(form.contains(
        "<input type=\"checkbox\" name=\"grant_types\" value=\"authorization_code\" checked>"
    ));
    assert!(
        form.contains(
            "<option value=\"public\">Public: no secret (browser and native apps)</option>"
        )
    );

    let mut fields = CLIENT_FORM.to_vec();
    fields.extend([
        ("grant_types", "authorization_code"),
        ("grant_types", "client_credentials"),
        ("scope", "read"),
        ("scope", "write"),
        ("active", "true"),
    ]);
    let page = b.reveal("/admin/clients", &fields).await;
    let id = input(&page, "client_id").unwrap();
    assert!(page.contains(&format!("action=\"/admin/clients/{id}/rotate\"")));
    let secret = input(&page, "client_secret").unwrap();
    assert!(secret.starts_with("fgcs_") && secret.len() > 40, "{secret}");
    let base = &server.app.settings.public_url;
    let auth_url = format!("{base}/integration/rest/oAuth/authorize");
    let token_url = format!("{base}/integration/rest/oAuth/getToken");
    assert_eq!(input(&page, "auth_url"), Some(auth_url));
    assert_eq!(input(&page, "token_url"), Some(token_url));
    assert!(
        page.contains(
            "<p class=\"notice\" role=\"status\">Client &#34;Billing&#34; registered.</p>"
        )
    );

    let client = server.app.get_client(&id).await.unwrap();
    assert_eq!(client.spec.name, "Billing");
    assert_eq!(client.spec.version, "2.0");
    assert_eq!(client.spec.description, "Invoices");
    assert_eq!(client.spec.redirect_uris, [REDIRECT_URI]);
    assert_eq!(
        client.spec.grant_types,
        [GrantType::AuthorizationCode, GrantType::ClientCredentials]
    );
    assert_eq!(client.spec.scopes.to_string(), "read write");
    assert_eq!(client.spec.access_token_lifetime.to_option(), Some(900));
    let tc = TestClient {
        id: id.clone(),
        secret: Some(secret.clone()),
    };
    let token = server.cc_token(&tc, "read").await;
    let seen = server.introspect(&tc, &token).await;
    assert_eq!(
        (seen["active"].clone(), seen["scope"].clone()),
        (json!(true), json!("read"))
    );

    let again = b.page(&format!("/admin/clients/{id}")).await;
    assert_eq!(
        input(&again, "client_secret"),
        None,
        "the secret is shown once"
    );
    assert!(!again.contains(&secret));
    let list = b.page("/admin/clients").await;
    assert!(list.contains(&format!(
        "<th scope=\"row\"><a href=\"/admin/clients/{id}\">Billing</a></th>"
    )));

    // A public client cannot use client_credentials: the domain's message.
    let mut public = CLIENT_FORM.to_vec();
    public[0] = ("client_name", "Mobile");
    public[3] = ("client_type", "public");
    public.push(("grant_types", "client_credentials"));
    let r = b.post("/admin/clients", &public).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    let message = "grant_types: client_credentials is only for confidential clients; a public client (token_endpoint_auth_method \"none\") cannot use it";
    assert!(
        body.contains(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            esc(message)
        )),
        "{body}"
    );
    assert_eq!(
        input(&body, "client_name").as_deref(),
        Some("Mobile"),
        "the form keeps what was typed"
    );
    assert!(body.contains("<option value=\"public\" selected>"));
    assert_eq!(server.app.list_clients(10, 0).await.unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn console_edits_deactivates_rotates_and_deletes_clients() {
    let server = TestServer::start().await;
    let b = Browser::admin(&server).await;
    let caller = server.client(json!({})).await;
    let client = server.client(json!({ "client_name": "Reports" })).await;
    let path = format!("/admin/clients/{}", client.id);

    let edit = b.page(&format!("{path}/edit")).await;
    assert_eq!(input(&edit, "client_name").as_deref(), Some("Reports"));
    let mut fields = CLIENT_FORM.to_vec();
    fields[0] = ("client_name", "Reports EU");
    fields.extend([
        ("grant_types", "client_credentials"),
        ("scope", "read"),
        ("active", "true"),
    ]);
    let (to, page) = b.submit(&path, &fields).await;
    assert_eq!(to, path);
    assert!(page.contains("Client &#34;Reports EU&#34; saved."));
    assert_eq!(
        server.app.get_client(&client.id).await.unwrap().spec.name,
        "Reports EU"
    );

    let token = server.cc_token(&client, "read").await;
    assert_eq!(server.introspect(&caller, &token).await["active"], true);
    let (_, page) = b
        .submit(&format!("{path}/active"), &[("active", "false")])
        .await;
    assert!(page.contains("Client deactivated; its tokens were revoked."));
    assert!(page.contains("<span class=\"badge inactive\">Inactive</span>"));
    assert_eq!(
        server.introspect(&caller, &token).await,
        json!({ "active": false })
    );
    b.submit(&format!("{path}/active"), &[("active", "true")])
        .await;

    let page = b
        .reveal(&format!("{path}/rotate"), &[("overlap", "0")])
        .await;
    let secret = input(&page, "client_secret").unwrap();
    assert_ne!(Some(&secret), client.secret.as_ref());
    assert!(page.contains("New secret generated; the old one no longer works."));
    let old = server
        .post_basic(
            &server.token_url(),
            &client,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(old.status(), 401);
    let rotated = TestClient {
        id: client.id.clone(),
        secret: Some(secret),
    };
    server.cc_token(&rotated, "read").await;
    let r = b
        .post(&format!("{path}/rotate"), &[("overlap", "soon")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("overlap: must be a whole number")
    );

    let confirm = b.page(&format!("{path}/delete")).await;
    assert!(confirm.contains("Delete &#34;Reports EU&#34; version 2.0?"));
    let (to, list) = b.submit(&format!("{path}/delete"), &[]).await;
    assert_eq!(to, "/admin/clients");
    assert!(list.contains("Client &#34;Reports EU&#34; deleted."));
    assert_eq!(b.get(&path).await.status(), 404);
    assert!(server.app.get_client(&client.id).await.is_err());
    let gone = server
        .post_basic(
            &server.token_url(),
            &rotated,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(gone.status(), 401);
    server.stop().await;
}
