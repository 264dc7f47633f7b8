//! Checks of the one-time steps: redeeming a code and rotating a refresh
//! token, under concurrency on one store and across two stores on the same
//! database (two server nodes).

use super::{access, assert_conflict, assert_not_found, code, only_winner, race, refresh, seed};
use flowgate::domain::{AccessToken, AuthCode, RefreshToken, TokenId, now};
use flowgate::store::Store;
use std::sync::Arc;

/// How many requests race for the same code or refresh token.
const RACERS: usize = 16;

/// The successor `rotate_refresh_token` is given for `old`, as the refresh
/// grant builds it: same client, user and grant, one refresh fewer.
fn successor(old: &RefreshToken, at: i64) -> (RefreshToken, AccessToken) {
    let r = RefreshToken {
        id: TokenId::new(),
        hash: super::new_digest(),
        issued_at: at,
        refreshes_left: old.refreshes_left - 1,
        rotated_at: None,
        successor: None,
        revoked_at: None,
        ..old.clone()
    };
    let a = AccessToken {
        grant_id: Some(old.grant_id.clone()),
        ..access(&old.client_id, old.username.as_deref(), at, Some(at + 3600))
    };
    (r, a)
}

pub async fn check_auth_code_round_trip(store: Arc<dyn Store>) {
    let t = now();
    seed(&store, t).await;
    let c = code("c1", "alice", t, t + 600);
    let plain = AuthCode {
        code_challenge: None,
        code_challenge_method: None,
        ..code("c2", "bob", t, t + 60)
    };
    store.insert_auth_code(&c).await.unwrap();
    store.insert_auth_code(&plain).await.unwrap();
    assert_eq!(store.get_auth_code(&c.id).await.unwrap(), Some(c.clone()));
    assert_eq!(store.get_auth_code(&plain.id).await.unwrap(), Some(plain));
    assert_eq!(store.get_auth_code(&TokenId::new()).await.unwrap(), None);
    assert_conflict(store.insert_auth_code(&c).await);
    assert_not_found(
        store
            .insert_auth_code(&code("c1", "nobody", t, t + 600))
            .await,
    );

    // Redeeming marks the code used and stores its tokens together, or
    // does nothing at all.
    let a = AccessToken {
        grant_id: Some(c.grant_id.clone()),
        ..access("c1", Some("alice"), t, Some(t + 3600))
    };
    let r = refresh("c1", Some("alice"), &c.grant_id, t);
    let unsaved = access("c1", Some("alice"), t, Some(t + 3600));
    let taken = refresh("c1", Some("alice"), &c.grant_id, t);
    store.insert_refresh_token(&taken).await.unwrap();
    assert_conflict(
        store
            .redeem_auth_code(&c.id, t + 1, &unsaved, Some(&taken))
            .await,
    );
    assert_eq!(store.get_access_token(&unsaved.id).await.unwrap(), None);
    assert_eq!(
        store
            .get_auth_code(&c.id)
            .await
            .unwrap()
            .unwrap()
            .consumed_at,
        None
    );

    assert!(
        store
            .redeem_auth_code(&c.id, t + 1, &a, Some(&r))
            .await
            .unwrap()
    );
    assert_eq!(store.get_access_token(&a.id).await.unwrap(), Some(a));
    assert_eq!(
        store.get_refresh_token(&r.id).await.unwrap(),
        Some(r.clone())
    );
    assert_eq!(
        store
            .get_auth_code(&c.id)
            .await
            .unwrap()
            .unwrap()
            .consumed_at,
        Some(t + 1)
    );
    let again = access("c1", Some("alice"), t, Some(t + 3600));
    assert!(
        !store
            .redeem_auth_code(&c.id, t + 2, &again, None)
            .await
            .unwrap()
    );
    assert_eq!(store.get_access_token(&again.id).await.unwrap(), None);
}

pub async fn check_consume_auth_code_once_under_concurrency(store: Arc<dyn Store>) {
    let t = now();
    seed(&store, t).await;
    let c = code("c1", "alice", t, t + 600);
    store.insert_auth_code(&c).await.unwrap();

    let results = race(RACERS, |i| {
        let (store, id) = (store.clone(), c.id);
        async move { store.consume_auth_code(&id, t + i as i64).await.unwrap() }
    })
    .await;
    let winner = only_winner(&results);
    let consumed = AuthCode {
        consumed_at: Some(t + winner as i64),
        ..c.clone()
    };
    assert_eq!(
        store.get_auth_code(&c.id).await.unwrap(),
        Some(consumed.clone())
    );

    assert!(!store.consume_auth_code(&c.id, t + 100).await.unwrap());
    assert!(!store.consume_auth_code(&TokenId::new(), t).await.unwrap());
    assert_eq!(store.get_auth_code(&c.id).await.unwrap(), Some(consumed));

    // Redeemed at once by many: one token set is stored, the others none.
    let c2 = code("c1", "alice", t, t + 600);
    store.insert_auth_code(&c2).await.unwrap();
    let tokens: Vec<AccessToken> = (0..RACERS)
        .map(|_| access("c1", Some("alice"), t, Some(t + 3600)))
        .collect();
    let results = race(RACERS, |i| {
        let (store, id, token) = (store.clone(), c2.id, tokens[i].clone());
        async move { store.redeem_auth_code(&id, t, &token, None).await.unwrap() }
    })
    .await;
    let winner = only_winner(&results);
    for (i, token) in tokens.iter().enumerate() {
        let stored = store.get_access_token(&token.id).await.unwrap();
        assert_eq!(stored.is_some(), i == winner);
    }
}

pub async fn check_rotate_refresh_token_once_under_concurrency(store: Arc<dyn Store>) {
    let t = now();
    seed(&store, t).await;
    let r0 = refresh("c1", Some("alice"), "g1", t);
    store.insert_refresh_token(&r0).await.unwrap();

    let offers: Vec<_> = (0..RACERS).map(|_| successor(&r0, t + 1)).collect();
    let results = race(RACERS, |i| {
        let (store, id, (r, a)) = (store.clone(), r0.id, offers[i].clone());
        async move {
            store
                .rotate_refresh_token(&id, t + 1, &r, &a)
                .await
                .unwrap()
        }
    })
    .await;
    let w = only_winner(&results);
    let (r1, a1) = &offers[w];
    let rotated = RefreshToken {
        rotated_at: Some(t + 1),
        successor: Some((r1.id, a1.id)),
        ..r0.clone()
    };
    assert_eq!(
        store.get_refresh_token(&r0.id).await.unwrap(),
        Some(rotated.clone())
    );
    assert_eq!(
        store.get_refresh_token(&r1.id).await.unwrap(),
        Some(r1.clone())
    );
    assert_eq!(
        store.get_access_token(&a1.id).await.unwrap(),
        Some(a1.clone())
    );
    // The losers stored nothing.
    for (i, (r, a)) in offers.iter().enumerate().filter(|(i, _)| *i != w) {
        assert_eq!(store.get_refresh_token(&r.id).await.unwrap(), None, "{i}");
        assert_eq!(store.get_access_token(&a.id).await.unwrap(), None, "{i}");
    }

    // A rotated token stays spent; its successor carries the count on.
    let (r2, a2) = successor(&rotated, t + 2);
    assert!(
        !store
            .rotate_refresh_token(&r0.id, t + 2, &r2, &a2)
            .await
            .unwrap()
    );
    let (r2, a2) = successor(r1, t + 2);
    assert!(
        store
            .rotate_refresh_token(&r1.id, t + 2, &r2, &a2)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_refresh_token(&r2.id)
            .await
            .unwrap()
            .unwrap()
            .refreshes_left,
        0
    );

    // Neither a revoked token nor an unknown one rotates, and nothing is stored.
    store.revoke_grant("g1", t + 3).await.unwrap();
    let (r3, a3) = successor(&r2, t + 4);
    assert!(
        !store
            .rotate_refresh_token(&r2.id, t + 4, &r3, &a3)
            .await
            .unwrap()
    );
    assert!(
        !store
            .rotate_refresh_token(&TokenId::new(), t + 4, &r3, &a3)
            .await
            .unwrap()
    );
    assert_eq!(store.get_refresh_token(&r3.id).await.unwrap(), None);
    assert_eq!(store.get_access_token(&a3.id).await.unwrap(), None);
}

/// Two stores on one database, like two server nodes: the one-time steps
/// still have exactly one winner.
pub async fn check_one_time_steps_across_two_stores(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let t = now();
    seed(&a, t).await;
    let nodes = [a, b];
    let node = |i: usize| nodes[i % 2].clone();

    let c = code("c1", "alice", t, t + 600);
    nodes[0].insert_auth_code(&c).await.unwrap();
    let results = race(RACERS, |i| {
        let (store, id) = (node(i), c.id);
        async move { store.consume_auth_code(&id, t).await.unwrap() }
    })
    .await;
    only_winner(&results);

    let r0 = refresh("c1", Some("alice"), "g1", t);
    nodes[1].insert_refresh_token(&r0).await.unwrap();
    let offers: Vec<_> = (0..RACERS).map(|_| successor(&r0, t + 1)).collect();
    let results = race(RACERS, |i| {
        let (store, id, (r, acc)) = (node(i), r0.id, offers[i].clone());
        async move {
            store
                .rotate_refresh_token(&id, t + 1, &r, &acc)
                .await
                .unwrap()
        }
    })
    .await;
    let w = only_winner(&results);
    for (i, (r, _)) in offers.iter().enumerate() {
        let stored = nodes[i % 2].get_refresh_token(&r.id).await.unwrap();
        assert_eq!(stored.is_some(), i == w, "offer {i}");
    }
}

/// Revoking a grant family, or all of a client's tokens, while another
/// node rotates a refresh token of it: either the rotation fails, or its
/// new tokens are revoked too.
pub async fn check_revocation_never_misses_a_rotation(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let t = now();
    seed(&a, t).await;
    for round in 0..40 {
        let grant = format!("g{round}");
        let r0 = refresh("c1", Some("alice"), &grant, t);
        a.insert_refresh_token(&r0).await.unwrap();
        let (r1, a1) = successor(&r0, t + 1);
        let whole_client = round % 2 == 1;
        let results = race(2, |i| {
            let (rotator, revoker, grant) = (a.clone(), b.clone(), grant.clone());
            let (old, r1, a1) = (r0.id, r1.clone(), a1.clone());
            async move {
                if i == 0 {
                    let done = rotator.rotate_refresh_token(&old, t + 1, &r1, &a1);
                    done.await.unwrap()
                } else if whole_client {
                    revoker.revoke_client_tokens("c1", t + 2).await.unwrap();
                    false
                } else {
                    revoker.revoke_grant(&grant, t + 2).await.unwrap();
                    false
                }
            }
        })
        .await;
        if results[0] {
            let r1 = a.get_refresh_token(&r1.id).await.unwrap().unwrap();
            let a1 = a.get_access_token(&a1.id).await.unwrap().unwrap();
            assert_eq!(
                r1.revoked_at,
                Some(t + 2),
                "round {round}: refresh token escaped"
            );
            assert_eq!(
                a1.revoked_at,
                Some(t + 2),
                "round {round}: access token escaped"
            );
        } else {
            assert_eq!(a.get_refresh_token(&r1.id).await.unwrap(), None);
        }
        let r0 = a.get_refresh_token(&r0.id).await.unwrap().unwrap();
        assert_eq!(r0.revoked_at, Some(t + 2), "round {round}");
    }
}
