//! Checks of services and login sessions.

use super::{assert_conflict, assert_not_found, new_digest, user};
use flowgate::domain::{Service, ServiceKind, Session, now};
use flowgate::store::{Store, StoreError};
use serde_json::json;
use std::sync::Arc;

fn rest(path: &str, at: i64) -> Service {
    Service {
        path: path.into(),
        description: format!("{path} upstream"),
        kind: ServiceKind::Rest {
            upstream_url: "https://orders.internal.example/api".into(),
            timeout_ms: Some(2500),
        },
        created_at: at,
        updated_at: at,
    }
}

fn flow(path: &str, at: i64) -> Service {
    Service {
        path: path.into(),
        description: String::new(),
        kind: ServiceKind::Flow {
            definition: json!({"steps": [
                {"set": {"total": 12.75, "big": 12345678901234567890u64, "neg": -3}},
                {"respond": {"text": "é \"quoted\" \\ back\nslash", "list": [true, null, {}]}}
            ]}),
        },
        created_at: at,
        updated_at: at,
    }
}

pub async fn check_service_crud(store: Arc<dyn Store>) {
    let t = now();
    let orders = rest("orders/create", t - 10);
    let quote = flow("billing/quote", t - 5);
    // Ordered bytewise, as paths are case-sensitive: "I" sorts before "a".
    let invoice = rest("billing/Invoice", t);
    for s in [&orders, &quote, &invoice] {
        store.insert_service(s).await.unwrap();
    }
    assert_eq!(
        store.get_service("orders/create").await.unwrap(),
        Some(orders.clone())
    );
    assert_eq!(
        store.get_service("billing/quote").await.unwrap(),
        Some(quote.clone())
    );
    assert_eq!(store.get_service("orders").await.unwrap(), None);
    assert_eq!(store.get_service("Orders/create").await.unwrap(), None);
    assert_eq!(
        store.list_services().await.unwrap(),
        vec![invoice.clone(), quote.clone(), orders.clone()]
    );

    // A service may even change kind; created_at stays.
    let changed = Service {
        description: "now a flow".into(),
        updated_at: t + 1,
        created_at: orders.created_at,
        ..flow("orders/create", t + 1)
    };
    store.update_service(&changed).await.unwrap();
    assert_eq!(
        store.get_service("orders/create").await.unwrap(),
        Some(changed.clone())
    );
    assert_not_found(store.update_service(&rest("orders/ghost", t)).await);
    assert_eq!(store.get_service("orders/ghost").await.unwrap(), None);

    assert!(store.delete_service("billing/quote").await.unwrap());
    assert!(!store.delete_service("billing/quote").await.unwrap());
    assert_eq!(store.get_service("billing/quote").await.unwrap(), None);
    assert_eq!(store.list_services().await.unwrap(), vec![invoice, changed]);
}

pub async fn check_service_path_is_unique(store: Arc<dyn Store>) {
    let t = now();
    let first = rest("orders/create", t);
    store.insert_service(&first).await.unwrap();
    match store.insert_service(&flow("orders/create", t + 1)).await {
        Err(StoreError::Conflict(message)) => {
            assert!(message.contains("orders/create"), "{message}");
        }
        other => panic!("expected StoreError::Conflict, got {other:?}"),
    }
    assert_eq!(
        store.get_service("orders/create").await.unwrap(),
        Some(first.clone())
    );
    // Paths differing in case are different services.
    store
        .insert_service(&rest("Orders/create", t))
        .await
        .unwrap();
    assert_conflict(store.insert_service(&rest("Orders/create", t)).await);
    assert_eq!(store.list_services().await.unwrap().len(), 2);
}

pub async fn check_session_round_trip(store: Arc<dyn Store>) {
    let t = now();
    store.insert_user(&user("alice", t)).await.unwrap();
    store.insert_user(&user("bob", t)).await.unwrap();
    let session = |username: &str, expires_at| Session {
        id_hash: new_digest(),
        username: username.into(),
        csrf_token: flowgate::crypto::random_id(),
        created_at: t - 10,
        expires_at,
    };
    let alice = session("alice", t + 3600);
    let alice_old = session("alice", t - 1);
    let bob = session("bob", t + 3600);
    for s in [&alice, &alice_old, &bob] {
        store.insert_session(s).await.unwrap();
    }
    assert_eq!(
        store.get_session(&alice.id_hash).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.get_session(&new_digest()).await.unwrap(), None);
    assert_conflict(store.insert_session(&alice).await);
    assert_not_found(store.insert_session(&session("nobody", t + 60)).await);

    store.delete_session(&bob.id_hash).await.unwrap();
    assert_eq!(store.get_session(&bob.id_hash).await.unwrap(), None);
    store.delete_session(&bob.id_hash).await.unwrap();

    // Expired sessions are purged; a user's sessions go with the user.
    assert_eq!(store.purge_expired(t, 100).await.unwrap(), 1);
    assert_eq!(store.get_session(&alice_old.id_hash).await.unwrap(), None);
    assert_eq!(
        store.get_session(&alice.id_hash).await.unwrap(),
        Some(alice.clone())
    );
    assert!(store.delete_user("alice").await.unwrap());
    assert_eq!(store.get_session(&alice.id_hash).await.unwrap(), None);
}
