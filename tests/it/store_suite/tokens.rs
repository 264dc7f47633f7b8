//! Checks of access tokens, refresh tokens, codes and purging.

use super::{access, assert_conflict, code, ids, insert_concurrently, refresh, seed, sorted};
use flowgate::domain::TokenId;
use flowgate::domain::{AccessToken, RefreshToken, TokenFilter, TokenState, now};
use flowgate::store::Store;
use std::sync::Arc;

pub async fn check_concurrent_access_token_inserts(store: Arc<dyn Store>) {
    let t = now();
    seed(&store, t).await;
    let tokens: Vec<AccessToken> = (0..200)
        .map(|i| {
            let mut a = access("c1", (i % 2 == 0).then_some("alice"), t - i, Some(t + 3600));
            a.grant_id = Some(format!("grant-{i}"));
            a
        })
        .collect();
    let results =
        insert_concurrently(&store, tokens.iter().map(|a| vec![a.clone()]).collect()).await;
    for r in results {
        r.unwrap();
    }
    for a in &tokens {
        assert_eq!(
            store.get_access_token(&a.id).await.unwrap().as_ref(),
            Some(a)
        );
    }

    // Several tokens in one call, and none at all.
    let many = vec![
        access("c2", None, t, None),
        access("c2", Some("bob"), t, Some(t + 60)),
        access("c2", Some("alice"), t, Some(t + 60)),
    ];
    store.insert_access_tokens(&many).await.unwrap();
    store.insert_access_tokens(&[]).await.unwrap();
    for a in &many {
        assert_eq!(
            store.get_access_token(&a.id).await.unwrap().as_ref(),
            Some(a)
        );
    }

    // Paging through c1's list sees each of the 200 exactly once.
    let mut seen = Vec::new();
    loop {
        let f = TokenFilter {
            client_id: Some("c1".into()),
            limit: 50,
            offset: seen.len() as u32,
            ..Default::default()
        };
        let page = store.list_access_tokens(&f, t).await.unwrap();
        if page.is_empty() || seen.len() > tokens.len() {
            break;
        }
        seen.extend(ids(&page));
    }
    assert_eq!(sorted(seen), sorted(ids(&tokens)));
}

pub async fn check_failed_access_token_insert_is_isolated_and_atomic(store: Arc<dyn Store>) {
    let t = now();
    seed(&store, t).await;
    let existing = access("c1", Some("alice"), t, Some(t + 3600));
    store
        .insert_access_tokens(std::slice::from_ref(&existing))
        .await
        .unwrap();

    let unsaved = access("c1", Some("bob"), t, Some(t + 3600));
    let duplicate = AccessToken {
        username: None,
        ..existing.clone()
    };
    let orphan = access("no-such-client", None, t, None);
    let good: Vec<AccessToken> = (0..48).map(|i| access("c2", None, t + i, None)).collect();
    let mut jobs = vec![vec![unsaved.clone(), duplicate], vec![orphan.clone()]];
    jobs.extend(good.iter().map(|a| vec![a.clone()]));
    let mut results = insert_concurrently(&store, jobs).await.into_iter();

    assert_conflict(results.next().unwrap());
    assert!(
        results.next().unwrap().is_err(),
        "a token of an unknown client must fail"
    );
    for r in results {
        r.unwrap();
    }
    // The failed calls stored nothing, not even their valid first token.
    assert_eq!(store.get_access_token(&unsaved.id).await.unwrap(), None);
    assert_eq!(store.get_access_token(&orphan.id).await.unwrap(), None);
    assert_eq!(
        store.get_access_token(&existing.id).await.unwrap(),
        Some(existing)
    );
    for a in &good {
        assert_eq!(
            store.get_access_token(&a.id).await.unwrap().as_ref(),
            Some(a)
        );
    }
}

pub async fn check_revoke_access_token_once(store: Arc<dyn Store>) {
    let t = now();
    seed(&store, t).await;
    let a = access("c1", Some("alice"), t - 10, Some(t + 3600));
    let other = access("c1", Some("alice"), t - 10, Some(t + 3600));
    store
        .insert_access_tokens(&[a.clone(), other.clone()])
        .await
        .unwrap();

    assert!(store.revoke_access_token(&a.id, t + 5).await.unwrap());
    let revoked = AccessToken {
        revoked_at: Some(t + 5),
        ..a.clone()
    };
    assert_eq!(
        store.get_access_token(&a.id).await.unwrap(),
        Some(revoked.clone())
    );
    assert!(!store.revoke_access_token(&a.id, t + 9).await.unwrap());
    assert_eq!(store.get_access_token(&a.id).await.unwrap(), Some(revoked));
    assert!(!store.revoke_access_token(&TokenId::new(), t).await.unwrap());
    assert_eq!(
        store.get_access_token(&other.id).await.unwrap(),
        Some(other)
    );
}

pub async fn check_list_access_tokens_filters_and_pages(store: Arc<dyn Store>) {
    let n = now();
    seed(&store, n - 1000).await;
    let t1 = access("c1", Some("alice"), n - 100, Some(n + 3600)); // active
    let t2 = access("c1", Some("bob"), n - 90, Some(n - 10)); // expired
    let t3 = access("c1", Some("alice"), n - 80, Some(n + 3600)); // revoked
    let t4 = access("c2", None, n - 70, None); // active, never expires
    let t5 = access("c2", Some("alice"), n - 60, Some(n)); // expired right now
    let t6 = access("c1", Some("alice"), n - 50, Some(n - 1)); // expired and revoked
    let t7 = access("c1", Some("bob"), n - 40, None); // active
    let all = [&t1, &t2, &t3, &t4, &t5, &t6, &t7].map(|a| (*a).clone());
    store.insert_access_tokens(&all).await.unwrap();
    assert!(store.revoke_access_token(&t3.id, n - 5).await.unwrap());
    assert!(store.revoke_access_token(&t6.id, n - 20).await.unwrap());

    let list = |client: Option<&str>, username: Option<&str>, state, limit, offset| {
        let f = TokenFilter {
            client_id: client.map(Into::into),
            username: username.map(Into::into),
            state,
            limit,
            offset,
        };
        let store = store.clone();
        async move { ids(&store.list_access_tokens(&f, n).await.unwrap()) }
    };
    let h = |ts: &[&AccessToken]| ts.iter().map(|a| a.id).collect::<Vec<_>>();
    use TokenState::{Active, Expired, Revoked};

    // Newest first.
    let everything = h(&[&t7, &t6, &t5, &t4, &t3, &t2, &t1]);
    assert_eq!(list(None, None, None, 100, 0).await, everything);
    assert_eq!(
        list(Some("c1"), None, None, 100, 0).await,
        h(&[&t7, &t6, &t3, &t2, &t1])
    );
    assert_eq!(list(Some("c2"), None, None, 100, 0).await, h(&[&t5, &t4]));
    assert_eq!(
        list(None, Some("alice"), None, 100, 0).await,
        h(&[&t6, &t5, &t3, &t1])
    );
    assert_eq!(list(None, Some("bob"), None, 100, 0).await, h(&[&t7, &t2]));
    assert_eq!(
        list(None, None, Some(Active), 100, 0).await,
        h(&[&t7, &t4, &t1])
    );
    assert_eq!(
        list(None, None, Some(Expired), 100, 0).await,
        h(&[&t5, &t2])
    );
    assert_eq!(
        list(None, None, Some(Revoked), 100, 0).await,
        h(&[&t6, &t3])
    );
    assert_eq!(
        list(Some("c1"), Some("alice"), Some(Active), 100, 0).await,
        h(&[&t1])
    );
    assert_eq!(
        list(Some("c2"), None, Some(Expired), 100, 0).await,
        h(&[&t5])
    );
    assert_eq!(list(Some("c2"), None, Some(Revoked), 100, 0).await, h(&[]));
    assert_eq!(list(Some("c3"), None, None, 100, 0).await, h(&[]));
    assert_eq!(list(None, Some("carol"), None, 100, 0).await, h(&[]));

    // Pages.
    assert_eq!(
        list(None, None, None, 3, 0).await,
        everything[0..3].to_vec()
    );
    assert_eq!(
        list(None, None, None, 3, 3).await,
        everything[3..6].to_vec()
    );
    assert_eq!(list(None, None, None, 3, 6).await, everything[6..].to_vec());
    assert_eq!(list(None, None, None, 3, 7).await, h(&[]));
    assert_eq!(list(Some("c1"), None, None, 2, 1).await, h(&[&t6, &t3]));
    assert_eq!(
        list(None, Some("alice"), Some(Revoked), 1, 1).await,
        h(&[&t3])
    );

    // Records come back whole.
    let f = TokenFilter {
        state: Some(Revoked),
        limit: 1,
        ..Default::default()
    };
    let got = store.list_access_tokens(&f, n).await.unwrap();
    let t6_revoked = AccessToken {
        revoked_at: Some(n - 20),
        ..t6.clone()
    };
    assert_eq!(got, vec![t6_revoked]);
}

pub async fn check_refresh_token_round_trip(store: Arc<dyn Store>) {
    let t = now();
    seed(&store, t).await;
    let r1 = refresh("c1", Some("alice"), "g1", t);
    let r2 = RefreshToken {
        expires_at: None,
        refreshes_left: -1,
        rotated_at: Some(t - 1),
        revoked_at: Some(t),
        ..refresh("c2", None, "g2", t - 100)
    };
    store.insert_refresh_token(&r1).await.unwrap();
    store.insert_refresh_token(&r2).await.unwrap();
    assert_eq!(
        store.get_refresh_token(&r1.id).await.unwrap(),
        Some(r1.clone())
    );
    assert_eq!(store.get_refresh_token(&r2.id).await.unwrap(), Some(r2));
    assert_eq!(
        store.get_refresh_token(&TokenId::new()).await.unwrap(),
        None
    );
    let dup = RefreshToken {
        grant_id: "g3".into(),
        ..r1.clone()
    };
    assert_conflict(store.insert_refresh_token(&dup).await);
    assert_eq!(store.get_refresh_token(&r1.id).await.unwrap(), Some(r1));
}

pub async fn check_revoke_grant(store: Arc<dyn Store>) {
    let t = now();
    seed(&store, t - 1000).await;
    let in_grant = |a: AccessToken, g: &str| AccessToken {
        grant_id: Some(g.into()),
        ..a
    };
    let a1 = in_grant(access("c1", Some("alice"), t - 300, Some(t + 3600)), "g1");
    let a2 = in_grant(access("c1", Some("alice"), t - 200, None), "g1");
    let a3 = in_grant(access("c1", Some("alice"), t - 250, Some(t + 3600)), "g1");
    let b1 = in_grant(access("c1", Some("bob"), t - 200, Some(t + 3600)), "g2");
    let c1 = access("c1", None, t - 200, Some(t + 3600));
    let tokens = [a1.clone(), a2.clone(), a3.clone(), b1.clone(), c1.clone()];
    store.insert_access_tokens(&tokens).await.unwrap();
    assert!(store.revoke_access_token(&a3.id, t - 100).await.unwrap());
    let r1 = refresh("c1", Some("alice"), "g1", t - 300);
    let r2 = RefreshToken {
        rotated_at: Some(t - 200),
        revoked_at: Some(t - 50),
        ..refresh("c1", Some("alice"), "g1", t - 300)
    };
    let rb = refresh("c1", Some("bob"), "g2", t - 200);
    for r in [&r1, &r2, &rb] {
        store.insert_refresh_token(r).await.unwrap();
    }

    let revoked = store.revoke_grant("g1", t).await.unwrap();
    assert_eq!(sorted(revoked), sorted(vec![a1.id, a2.id]));
    let at = |a: &AccessToken, when| AccessToken {
        revoked_at: when,
        ..a.clone()
    };
    let get = |d: TokenId| {
        let store = store.clone();
        async move { store.get_access_token(&d).await.unwrap() }
    };
    assert_eq!(get(a1.id).await, Some(at(&a1, Some(t))));
    assert_eq!(get(a2.id).await, Some(at(&a2, Some(t))));
    assert_eq!(get(a3.id).await, Some(at(&a3, Some(t - 100))));
    assert_eq!(get(b1.id).await, Some(b1));
    assert_eq!(get(c1.id).await, Some(c1));
    let r1_after = RefreshToken {
        revoked_at: Some(t),
        ..r1.clone()
    };
    assert_eq!(
        store.get_refresh_token(&r1.id).await.unwrap(),
        Some(r1_after.clone())
    );
    assert_eq!(store.get_refresh_token(&r2.id).await.unwrap(), Some(r2));
    assert_eq!(store.get_refresh_token(&rb.id).await.unwrap(), Some(rb));

    // Again: nothing left to revoke, and the first time is kept.
    assert_eq!(store.revoke_grant("g1", t + 10).await.unwrap(), vec![]);
    assert_eq!(get(a1.id).await, Some(at(&a1, Some(t))));
    assert_eq!(
        store.get_refresh_token(&r1.id).await.unwrap(),
        Some(r1_after)
    );
    assert_eq!(
        store.revoke_grant("no-such-grant", t).await.unwrap(),
        vec![]
    );
}

pub async fn check_purge_expired_in_bounded_batches(store: Arc<dyn Store>) {
    let t = now();
    seed(&store, t - 10_000).await;
    // Five expired rows: three access tokens (more than one batch), one
    // refresh token, one code. Expiring exactly now counts as expired.
    let x1 = access("c1", Some("alice"), t - 7200, Some(t - 3600));
    let x2 = access("c2", None, t - 100, Some(t - 1));
    let x3 = access("c1", None, t - 100, Some(t));
    let y1 = RefreshToken {
        expires_at: Some(t - 10),
        ..refresh("c1", Some("alice"), "g1", t - 7200)
    };
    let z1 = code("c1", "alice", t - 605, t - 5);
    // Live rows, including a recently revoked one that has not expired.
    let live = access("c1", Some("alice"), t, Some(t + 3600));
    let forever = access("c1", None, t, None);
    let revoked_live = access("c2", Some("bob"), t - 60, Some(t + 3600));
    let r_live = refresh("c1", Some("alice"), "g3", t);
    let r_forever = RefreshToken {
        expires_at: None,
        ..refresh("c2", Some("bob"), "g4", t)
    };
    let code_live = code("c1", "alice", t, t + 600);
    let all = [
        x1.clone(),
        x2.clone(),
        x3.clone(),
        live.clone(),
        forever.clone(),
        revoked_live.clone(),
    ];
    store.insert_access_tokens(&all).await.unwrap();
    assert!(
        store
            .revoke_access_token(&revoked_live.id, t - 10)
            .await
            .unwrap()
    );
    for r in [&y1, &r_live, &r_forever] {
        store.insert_refresh_token(r).await.unwrap();
    }
    store.insert_auth_code(&z1).await.unwrap();
    store.insert_auth_code(&code_live).await.unwrap();

    assert_eq!(store.purge_expired(t, 0).await.unwrap(), 0);
    assert_eq!(store.purge_expired(t, 2).await.unwrap(), 2);
    assert_eq!(store.purge_expired(t, 2).await.unwrap(), 2);
    assert_eq!(store.purge_expired(t, 2).await.unwrap(), 1);
    assert_eq!(store.purge_expired(t, 2).await.unwrap(), 0);
    assert_eq!(store.purge_expired(t, 1000).await.unwrap(), 0);

    for x in [&x1, &x2, &x3] {
        assert_eq!(store.get_access_token(&x.id).await.unwrap(), None);
    }
    assert_eq!(store.get_refresh_token(&y1.id).await.unwrap(), None);
    for a in [&live, &forever] {
        assert_eq!(
            store.get_access_token(&a.id).await.unwrap().as_ref(),
            Some(a)
        );
    }
    let revoked_live = AccessToken {
        revoked_at: Some(t - 10),
        ..revoked_live
    };
    assert_eq!(
        store.get_access_token(&revoked_live.id).await.unwrap(),
        Some(revoked_live)
    );
    for r in [&r_live, &r_forever] {
        assert_eq!(
            store.get_refresh_token(&r.id).await.unwrap().as_ref(),
            Some(r)
        );
    }
    // Codes cannot be read back: the purged one can be inserted again, the
    // live one is still there.
    store.insert_auth_code(&z1).await.unwrap();
    assert_conflict(store.insert_auth_code(&code_live).await);
}

pub async fn check_purge_revoked_after_retention(store: Arc<dyn Store>) {
    let t = now();
    let long_ago = t - 365 * 24 * 3600;
    seed(&store, long_ago - 10).await;
    let old = access("c1", Some("alice"), long_ago - 5, None);
    let recent = access("c1", Some("alice"), long_ago - 5, None);
    store
        .insert_access_tokens(&[old.clone(), recent.clone()])
        .await
        .unwrap();
    assert!(store.revoke_access_token(&old.id, long_ago).await.unwrap());
    assert!(store.revoke_access_token(&recent.id, t - 60).await.unwrap());
    let forever = |r: RefreshToken| RefreshToken {
        expires_at: None,
        ..r
    };
    let old_revoked = RefreshToken {
        revoked_at: Some(long_ago),
        ..forever(refresh("c1", Some("alice"), "g1", long_ago - 5))
    };
    let old_rotated = RefreshToken {
        rotated_at: Some(long_ago),
        ..forever(refresh("c1", Some("alice"), "g1", long_ago - 5))
    };
    let recent_rotated = RefreshToken {
        rotated_at: Some(t - 60),
        ..forever(refresh("c1", Some("alice"), "g1", t - 120))
    };
    for r in [&old_revoked, &old_rotated, &recent_rotated] {
        store.insert_refresh_token(r).await.unwrap();
    }

    assert_eq!(store.purge_expired(t, 100).await.unwrap(), 3);
    assert_eq!(store.purge_expired(t, 100).await.unwrap(), 0);
    assert_eq!(store.get_access_token(&old.id).await.unwrap(), None);
    assert_eq!(
        store.get_refresh_token(&old_revoked.id).await.unwrap(),
        None
    );
    assert_eq!(
        store.get_refresh_token(&old_rotated.id).await.unwrap(),
        None
    );
    let recent = AccessToken {
        revoked_at: Some(t - 60),
        ..recent
    };
    assert_eq!(
        store.get_access_token(&recent.id).await.unwrap(),
        Some(recent)
    );
    let kept = store.get_refresh_token(&recent_rotated.id).await.unwrap();
    assert_eq!(kept, Some(recent_rotated));
}
