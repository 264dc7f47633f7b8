//! Checks of clients, scopes, users, audit events and the store lifecycle.

use super::{
    access, assert_conflict, assert_not_found, client, code, new_digest, refresh, scopes, user,
};
use flowgate::domain::{
    AuditFilter, AuthMethod, GrantType, Lifetime, NewAuditEvent, RefreshCount, Scope, now,
};
use flowgate::store::{Store, StoreError};
use serde_json::json;
use std::sync::Arc;

pub async fn check_client_crud(store: Arc<dyn Store>) {
    let t = now();
    let mut billing = client("c-billing", "Billing", "1.0", t - 20);
    billing.previous_secret = Some((new_digest(), t + 3600));
    let mut public = client("c-spa", "Web App", "2.0", t - 10);
    public.spec.auth_method = AuthMethod::None;
    public.spec.grant_types = vec![GrantType::AuthorizationCode];
    public.spec.access_token_lifetime = Lifetime::Never;
    public.spec.refresh_count = RefreshCount::Unlimited;
    public.spec.redirect_uris = vec!["http://127.0.0.1:8765/callback".into()];
    public.spec.description = String::new();
    public.secret = None;

    store.insert_client(&billing).await.unwrap();
    store.insert_client(&public).await.unwrap();
    assert_eq!(
        store.get_client("c-billing").await.unwrap(),
        Some(billing.clone())
    );
    assert_eq!(
        store.get_client("c-spa").await.unwrap(),
        Some(public.clone())
    );
    assert_eq!(store.get_client("c-missing").await.unwrap(), None);

    // Oldest first, paged.
    let all = store.list_clients(100, 0).await.unwrap();
    assert_eq!(all, vec![billing.clone(), public.clone()]);
    assert_eq!(
        store.list_clients(1, 0).await.unwrap(),
        vec![billing.clone()]
    );
    assert_eq!(
        store.list_clients(1, 1).await.unwrap(),
        vec![public.clone()]
    );
    assert_eq!(store.list_clients(10, 2).await.unwrap(), vec![]);

    // Every field can change; created_at cannot.
    let mut changed = billing.clone();
    changed.spec.name = "Invoicing".into();
    changed.spec.version = "1.1".into();
    changed.spec.description = "renamed".into();
    changed.spec.auth_method = AuthMethod::ClientSecretPost;
    changed.spec.redirect_uris = vec!["https://a.example/cb".into(), "https://b.example/cb".into()];
    changed.spec.grant_types = vec![GrantType::ClientCredentials];
    changed.spec.scopes = scopes("admin read");
    changed.spec.access_token_lifetime = Lifetime::Seconds(600);
    changed.spec.refresh_count = RefreshCount::Limited(0);
    changed.spec.active = false;
    changed.previous_secret = Some((billing.secret.unwrap(), t + 60));
    changed.secret = Some(new_digest());
    changed.updated_at = t;
    store.update_client(&changed).await.unwrap();
    assert_eq!(
        store.get_client("c-billing").await.unwrap(),
        Some(changed.clone())
    );

    // The old name + version is free again after the rename.
    let reuse = client("c-billing-2", "billing", "1.0", t);
    store.insert_client(&reuse).await.unwrap();

    assert!(store.delete_client("c-spa").await.unwrap());
    assert_eq!(store.get_client("c-spa").await.unwrap(), None);
    assert!(!store.delete_client("c-spa").await.unwrap());
    assert_eq!(
        store.list_clients(100, 0).await.unwrap(),
        vec![changed, reuse]
    );
}

pub async fn check_client_name_version_is_unique_ignoring_case(store: Arc<dyn Store>) {
    let t = now();
    store
        .insert_client(&client("c1", "Billing", "1.0", t))
        .await
        .unwrap();
    assert_conflict(
        store
            .insert_client(&client("c2", "BILLING", "1.0", t))
            .await,
    );
    assert_conflict(
        store
            .insert_client(&client("c3", "billing", "1.0", t))
            .await,
    );
    assert_eq!(store.get_client("c2").await.unwrap(), None);

    // Another version, or another name, is a different client.
    let v2 = client("c4", "Billing", "2.0", t + 1);
    store.insert_client(&v2).await.unwrap();
    store
        .insert_client(&client("c5", "Billing2", "1.0", t + 2))
        .await
        .unwrap();

    // Renaming into a taken name + version conflicts too, and changes nothing.
    let mut clash = v2.clone();
    clash.spec.name = "bILLING".into();
    clash.spec.version = "1.0".into();
    assert_conflict(store.update_client(&clash).await);
    assert_eq!(store.get_client("c4").await.unwrap(), Some(v2));

    // The same id twice is a conflict as well.
    assert_conflict(store.insert_client(&client("c1", "Other", "1.0", t)).await);
    assert_eq!(store.list_clients(100, 0).await.unwrap().len(), 3);
}

pub async fn check_update_missing_client_is_not_found(store: Arc<dyn Store>) {
    let t = now();
    assert_not_found(
        store
            .update_client(&client("ghost", "Ghost", "1.0", t))
            .await,
    );
    assert_eq!(store.get_client("ghost").await.unwrap(), None);
    assert_eq!(store.list_clients(100, 0).await.unwrap(), vec![]);
    assert!(!store.delete_client("ghost").await.unwrap());
}

pub async fn check_delete_client_cascades_to_tokens_and_codes(store: Arc<dyn Store>) {
    let t = now();
    let doomed = client("c-doomed", "Doomed", "1.0", t);
    store.insert_client(&doomed).await.unwrap();
    store
        .insert_client(&client("c-kept", "Kept", "1.0", t))
        .await
        .unwrap();
    store.insert_user(&user("alice", t)).await.unwrap();

    let a1 = access("c-doomed", Some("alice"), t, Some(t + 3600));
    let a2 = access("c-doomed", None, t, None);
    let kept = access("c-kept", Some("alice"), t, Some(t + 3600));
    store
        .insert_access_tokens(&[a1.clone(), a2.clone(), kept.clone()])
        .await
        .unwrap();
    let r1 = refresh("c-doomed", Some("alice"), "g1", t);
    store.insert_refresh_token(&r1).await.unwrap();
    let c1 = code("c-doomed", "alice", t, t + 600);
    store.insert_auth_code(&c1).await.unwrap();

    assert!(store.delete_client("c-doomed").await.unwrap());
    assert_eq!(store.get_client("c-doomed").await.unwrap(), None);
    assert_eq!(store.get_access_token(&a1.id).await.unwrap(), None);
    assert_eq!(store.get_access_token(&a2.id).await.unwrap(), None);
    assert_eq!(store.get_refresh_token(&r1.id).await.unwrap(), None);
    assert_eq!(store.get_access_token(&kept.id).await.unwrap(), Some(kept));

    // Re-registering the same id does not resurrect anything, and the old
    // code is really gone (inserting it again is no conflict).
    store.insert_client(&doomed).await.unwrap();
    assert_eq!(store.get_access_token(&a1.id).await.unwrap(), None);
    assert_eq!(store.get_refresh_token(&r1.id).await.unwrap(), None);
    store.insert_auth_code(&c1).await.unwrap();
}

pub async fn check_scope_crud(store: Arc<dyn Store>) {
    let t = now();
    let read = Scope {
        name: "read".into(),
        description: "Read your orders".into(),
        services: vec!["orders/listOrders".into(), "catalog".into()],
        created_at: t - 5,
    };
    let admin = Scope {
        name: "admin".into(),
        description: String::new(),
        services: vec![],
        created_at: t,
    };
    store.insert_scope(&read).await.unwrap();
    store.insert_scope(&admin).await.unwrap();
    assert_eq!(store.get_scope("read").await.unwrap(), Some(read.clone()));
    assert_eq!(store.get_scope("admin").await.unwrap(), Some(admin.clone()));
    assert_eq!(store.get_scope("write").await.unwrap(), None);
    assert_eq!(
        store.list_scopes().await.unwrap(),
        vec![admin.clone(), read.clone()]
    );

    let dup = Scope {
        description: "other".into(),
        ..read.clone()
    };
    assert_conflict(store.insert_scope(&dup).await);
    assert_eq!(store.get_scope("read").await.unwrap(), Some(read.clone()));

    let changed = Scope {
        description: "Read orders and invoices".into(),
        services: vec!["orders".into(), "invoices/get".into()],
        ..read.clone()
    };
    store.update_scope(&changed).await.unwrap();
    assert_eq!(
        store.get_scope("read").await.unwrap(),
        Some(changed.clone())
    );
    let ghost = Scope {
        name: "ghost".into(),
        ..admin.clone()
    };
    assert_not_found(store.update_scope(&ghost).await);
    assert_eq!(store.get_scope("ghost").await.unwrap(), None);

    assert!(store.delete_scope("admin").await.unwrap());
    assert!(!store.delete_scope("admin").await.unwrap());
    assert_eq!(store.get_scope("admin").await.unwrap(), None);
    assert_eq!(store.list_scopes().await.unwrap(), vec![changed]);
}

pub async fn check_user_crud(store: Arc<dyn Store>) {
    let t = now();
    let carol = user("carol", t);
    let mut alice = user("alice", t - 10);
    alice.admin = true;
    let bob = user("bob", t - 5);
    for u in [&carol, &alice, &bob] {
        store.insert_user(u).await.unwrap();
    }
    assert_eq!(store.get_user("alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(store.get_user("bob").await.unwrap(), Some(bob.clone()));
    assert_eq!(store.get_user("dave").await.unwrap(), None);

    // By username, paged.
    let all = vec![alice.clone(), bob.clone(), carol.clone()];
    assert_eq!(store.list_users(100, 0).await.unwrap(), all);
    assert_eq!(store.list_users(2, 0).await.unwrap(), all[..2].to_vec());
    assert_eq!(store.list_users(2, 2).await.unwrap(), all[2..].to_vec());
    assert_eq!(store.list_users(2, 3).await.unwrap(), vec![]);

    let mut dup = user("bob", t);
    dup.admin = true;
    assert_conflict(store.insert_user(&dup).await);
    assert_eq!(store.get_user("bob").await.unwrap(), Some(bob.clone()));

    let mut changed = bob.clone();
    changed.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$new$hash".into();
    changed.admin = true;
    changed.updated_at = t + 1;
    store.update_user(&changed).await.unwrap();
    assert_eq!(store.get_user("bob").await.unwrap(), Some(changed.clone()));
    assert_not_found(store.update_user(&user("dave", t)).await);
    assert_eq!(store.get_user("dave").await.unwrap(), None);

    assert!(store.delete_user("carol").await.unwrap());
    assert!(!store.delete_user("carol").await.unwrap());
    assert_eq!(store.get_user("carol").await.unwrap(), None);
    assert_eq!(
        store.list_users(100, 0).await.unwrap(),
        vec![alice, changed]
    );
}

pub async fn check_delete_user_removes_their_tokens(store: Arc<dyn Store>) {
    let t = now();
    store
        .insert_client(&client("c1", "App", "1.0", t))
        .await
        .unwrap();
    store.insert_user(&user("alice", t)).await.unwrap();
    store.insert_user(&user("bob", t)).await.unwrap();
    let alice_at = access("c1", Some("alice"), t, Some(t + 3600));
    let alice_forever = access("c1", Some("alice"), t, None);
    let bob_at = access("c1", Some("bob"), t, Some(t + 3600));
    let client_at = access("c1", None, t, Some(t + 3600));
    let tokens = [
        alice_at.clone(),
        alice_forever.clone(),
        bob_at.clone(),
        client_at.clone(),
    ];
    store.insert_access_tokens(&tokens).await.unwrap();
    let alice_rt = refresh("c1", Some("alice"), "ga", t);
    let bob_rt = refresh("c1", Some("bob"), "gb", t);
    store.insert_refresh_token(&alice_rt).await.unwrap();
    store.insert_refresh_token(&bob_rt).await.unwrap();
    let alice_code = code("c1", "alice", t, t + 600);
    store.insert_auth_code(&alice_code).await.unwrap();

    assert!(store.delete_user("alice").await.unwrap());
    assert_eq!(store.get_user("alice").await.unwrap(), None);
    assert_eq!(store.get_access_token(&alice_at.id).await.unwrap(), None);
    assert_eq!(
        store.get_access_token(&alice_forever.id).await.unwrap(),
        None
    );
    assert_eq!(store.get_refresh_token(&alice_rt.id).await.unwrap(), None);
    assert_eq!(
        store.get_access_token(&bob_at.id).await.unwrap(),
        Some(bob_at)
    );
    assert_eq!(
        store.get_access_token(&client_at.id).await.unwrap(),
        Some(client_at)
    );
    assert_eq!(
        store.get_refresh_token(&bob_rt.id).await.unwrap(),
        Some(bob_rt)
    );
    assert!(store.get_client("c1").await.unwrap().is_some());

    // A new user of the same name inherits nothing; the code is gone too.
    store.insert_user(&user("alice", t + 1)).await.unwrap();
    assert_eq!(store.get_access_token(&alice_at.id).await.unwrap(), None);
    store.insert_auth_code(&alice_code).await.unwrap();
}

pub async fn check_audit_append_and_list(store: Arc<dyn Store>) {
    let t = now();
    let e1 = NewAuditEvent::success("admin:alice", "client.create", Some("c1".to_owned()))
        .with_detail(json!({"name": "Billing"}));
    let e2 = NewAuditEvent::failure("client:c1", "token.revoke", None);
    let e3 = NewAuditEvent::success("admin:alice", "client.delete", Some("c1".to_owned()));
    let e4 =
        NewAuditEvent::success("system", "token.purge", None).with_detail(json!({"removed": 5}));
    store.append_audit(vec![e1], t - 30).await.unwrap();
    store.append_audit(vec![e2, e3], t - 20).await.unwrap();
    store.append_audit(vec![], t - 15).await.unwrap();
    store.append_audit(vec![e4], t - 10).await.unwrap();

    let all = store.list_audit(&AuditFilter::default()).await.unwrap();
    let summary: Vec<_> = all
        .iter()
        .map(|e| {
            (
                e.at,
                e.actor.as_str(),
                e.action.as_str(),
                e.target.as_deref(),
                e.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (t - 10, "system", "token.purge", None, "success"),
            (
                t - 20,
                "admin:alice",
                "client.delete",
                Some("c1"),
                "success"
            ),
            (t - 20, "client:c1", "token.revoke", None, "failure"),
            (
                t - 30,
                "admin:alice",
                "client.create",
                Some("c1"),
                "success"
            ),
        ]
    );
    assert!(
        all.windows(2).all(|w| w[0].id > w[1].id),
        "ids must fall: {all:?}"
    );
    let details: Vec<_> = all.iter().map(|e| e.detail.clone()).collect();
    assert_eq!(
        details,
        vec![
            json!({"removed": 5}),
            json!(null),
            json!(null),
            json!({"name": "Billing"})
        ]
    );

    let list = |actor: Option<&str>, action: Option<&str>, target: Option<&str>, limit, offset| {
        let f = AuditFilter {
            actor: actor.map(Into::into),
            action: action.map(Into::into),
            target: target.map(Into::into),
            limit,
            offset,
        };
        let store = store.clone();
        async move { store.list_audit(&f).await.unwrap() }
    };
    let pick = |idx: &[usize]| idx.iter().map(|&i| all[i].clone()).collect::<Vec<_>>();
    assert_eq!(
        list(Some("admin:alice"), None, None, 100, 0).await,
        pick(&[1, 3])
    );
    assert_eq!(
        list(None, Some("token.revoke"), None, 100, 0).await,
        pick(&[2])
    );
    assert_eq!(list(None, None, Some("c1"), 100, 0).await, pick(&[1, 3]));
    let both = list(
        Some("admin:alice"),
        Some("client.create"),
        Some("c1"),
        100,
        0,
    )
    .await;
    assert_eq!(both, pick(&[3]));
    assert_eq!(list(Some("nobody"), None, None, 100, 0).await, vec![]);
    assert_eq!(list(None, None, None, 2, 0).await, pick(&[0, 1]));
    assert_eq!(list(None, None, None, 2, 2).await, pick(&[2, 3]));
    assert_eq!(list(None, None, None, 2, 4).await, vec![]);
    assert_eq!(
        list(Some("admin:alice"), None, None, 1, 1).await,
        pick(&[3])
    );

    // Concurrent appends all land.
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let e = NewAuditEvent::success(format!("user:{i}"), "login", None);
                store.append_audit(vec![e], t).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(list(None, Some("login"), None, 100, 0).await.len(), 30);
    assert_eq!(
        list(Some("user:7"), Some("login"), None, 100, 0)
            .await
            .len(),
        1
    );
}

pub async fn check_ping_and_close(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    let t = now();
    store
        .insert_client(&client("c1", "App", "1.0", t))
        .await
        .unwrap();
    store.close().await;
    // Closed: every call fails cleanly, and closing again is harmless.
    let token = access("c1", None, t, None);
    match store.insert_access_tokens(&[token]).await {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("expected Unavailable after close, got {other:?}"),
    }
    match store
        .append_audit(vec![NewAuditEvent::success("cli", "x", None)], t)
        .await
    {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("expected Unavailable after close, got {other:?}"),
    }
    assert!(store.ping().await.is_err());
    assert!(store.get_client("c1").await.is_err());
    store.close().await;
}
