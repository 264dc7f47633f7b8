//! Refresh rotation killed mid-load.

use super::{
    Db, Load, MIN_ANSWERS, ROUNDS, TASKS, TOKEN_PATH, check_integrity, http, inactive, post,
};
use crate::process::{Child, terminate};
use crate::support::{REDIRECT_URI, TestClient};
use crate::user_agent::{AUTHORIZE_PATH, Browser, Flow, PASSWORD, USER};
use flowgate::domain::token::{REFRESH_TOKEN_PREFIX, id_of};
use serde_json::Value;
use sqlx::{Connection, Row};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

/// One grant family as its client holds it.
struct Family {
    /// The newest refresh token answered with 200.
    refresh: String,
    /// Every access token answered with 200.
    access: Vec<String>,
    failure: Option<String>,
    /// The id of the successor of `refresh`, if its rotation was committed
    /// but the answer cut off by the kill.
    successor: Option<Vec<u8>>,
}

/// A refresh with `token`: the status and the JSON answer.
async fn refresh(http: &reqwest::Client, base: &str, c: &TestClient, token: &str) -> (u16, Value) {
    let form = [("grant_type", "refresh_token"), ("refresh_token", token)];
    post(http, &format!("{base}{TOKEN_PATH}"), c, &form)
        .await
        .unwrap()
}

/// [`TASKS`] grant families through the pages and the code exchange.
async fn families(base: &str, c: &TestClient) -> Vec<Family> {
    let (browser, http) = (Browser::at(base, Arc::default()), http());
    let mut out = Vec::new();
    for i in 0..TASKS {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", &c.id),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "read"),
                ("state", &i.to_string()),
            ])
            .finish();
        let trip = browser
            .authorize(&format!("{base}{AUTHORIZE_PATH}?{query}"), &Flow::default())
            .await;
        let code = trip.callback().q("code").unwrap().to_owned();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ];
        let (status, body) = post(&http, &format!("{base}{TOKEN_PATH}"), c, &form)
            .await
            .unwrap();
        assert_eq!(status, 200, "{body}");
        out.push(Family {
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
            access: vec![body["access_token"].as_str().unwrap().to_owned()],
            failure: None,
            successor: None,
        });
    }
    out
}

/// Refresh rotation killed mid-load. Each loop rotates its family with the
/// newest refresh token it was answered, so the test never presents a
/// rotated-out token itself. But the kill may cut off the answer to a
/// committed rotation: the client then holds a rotated-out token, and its
/// retry is reuse, which revokes the family unless it comes within the
/// grace period (`--refresh-grace`), which exists for such lost answers and
/// hands out the committed successor again. So, with a grace period, every
/// family must still refresh after each restart with the newest token its
/// client was answered (a new rotation, or that successor, which the
/// database check before the restart finds whole); the token that answer
/// carries must refresh again, and every access token answered is active.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_under_refresh_rotation_leaves_every_family_usable() {
    let db = Db::new();
    let c = db.client(&["authorization_code", "refresh_token"]);
    db.cli(&["user", "create", USER, "--password", PASSWORD]);
    let grace = ["--refresh-grace", "600"];
    let started = Instant::now();
    let (mut server, mut base) = db.serve(&grace);
    let mut families = families(&base, &c).await;
    let (mut rotations, mut cut_off) = (0, 0);
    for round in 0..ROUNDS {
        if round > 0 {
            (server, base) = db.serve(&grace);
            resume(&base, &c, &mut families).await;
        }
        rotations += rotate_until_killed(&base, &c, &mut families, &mut server).await;
        cut_off += check_stored(&db, &mut families).await;
    }
    let (mut server, base) = db.serve(&grace);
    resume(&base, &c, &mut families).await;
    let access: Vec<String> = families.into_iter().flat_map(|f| f.access).collect();
    let total = access.len();
    let dead = inactive(&base, &c, access).await;
    assert!(
        dead.is_empty(),
        "{} of {total} access tokens inactive",
        dead.len()
    );
    assert!(terminate(&mut server.process).success());
    check_integrity(&db.url, true).await.close().await.unwrap();
    eprintln!(
        "{rotations} rotations answered in {ROUNDS} rounds; {cut_off} rotations committed \
         but cut off by a kill; every family refreshes after each restart; {:.2?} in all",
        started.elapsed()
    );
}

/// Rotates every family in its own loop until the kill; returns the
/// rotations answered with 200.
async fn rotate_until_killed(
    base: &str,
    c: &TestClient,
    families: &mut Vec<Family>,
    server: &mut Child,
) -> usize {
    let load = Arc::new(Load::default());
    let tasks: Vec<_> = std::mem::take(families)
        .into_iter()
        .map(|mut f| {
            let (load, c, url) = (load.clone(), c.clone(), format!("{base}{TOKEN_PATH}"));
            tokio::spawn(async move {
                let http = http();
                loop {
                    let form = [
                        ("grant_type", "refresh_token"),
                        ("refresh_token", &f.refresh),
                    ];
                    match post(&http, &url, &c, &form).await {
                        Ok((200, body)) => {
                            f.refresh = body["refresh_token"].as_str().unwrap().to_owned();
                            f.access
                                .push(body["access_token"].as_str().unwrap().to_owned());
                            load.answered.fetch_add(1, Relaxed);
                        }
                        Ok((status, body)) => f.failure = Some(format!("{status}: {body}")),
                        Err(e) => f.failure = load.transport_error(&e),
                    }
                    if f.failure.is_some() || load.killed.load(Relaxed) {
                        return f;
                    }
                }
            })
        })
        .collect();
    load.kill(server).await;
    for t in tasks {
        families.push(t.await.unwrap());
    }
    let failures: Vec<_> = families.iter().filter_map(|f| f.failure.clone()).collect();
    assert!(failures.is_empty(), "{failures:?}");
    let rotations = load.answered.load(Relaxed);
    assert!(rotations >= MIN_ANSWERS, "only {rotations} rotations");
    rotations
}

/// The database as the kill left it: each family's newest answered refresh
/// token is stored and not revoked; if it was rotated (the answer cut off),
/// both successors are stored and not revoked, and the family notes the
/// refresh token's id. Returns how many were cut off.
async fn check_stored(db: &Db, families: &mut [Family]) -> usize {
    let (_copy, mut conn) = db.checked_copy().await;
    let mut cut_off = 0;
    for f in families {
        let id = id_of(REFRESH_TOKEN_PREFIX, &f.refresh).unwrap();
        let row = sqlx::query("SELECT * FROM refresh_tokens WHERE id = ?")
            .bind(&id.0[..])
            .fetch_optional(&mut conn)
            .await
            .unwrap()
            .expect("the newest answered refresh token is stored");
        assert_eq!(row.get::<Option<i64>, _>("revoked_at"), None);
        if row.get::<Option<i64>, _>("rotated_at").is_none() {
            continue;
        }
        for (table, column) in [
            ("refresh_tokens", "successor_id"),
            ("access_tokens", "successor_access_id"),
        ] {
            let sql = format!("SELECT count(*) FROM {table} WHERE id = ? AND revoked_at IS NULL");
            let found: i64 = sqlx::query_scalar(&sql)
                .bind(row.get::<Vec<u8>, _>(column))
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(found, 1, "{column} of a rotation committed at the kill");
        }
        f.successor = Some(row.get("successor_id"));
        cut_off += 1;
    }
    conn.close().await.unwrap();
    cut_off
}

/// After a restart: each family refreshes with its newest answered token
/// (getting the noted successor if its last answer was cut off), then with
/// the token that answer carries.
async fn resume(base: &str, c: &TestClient, families: &mut [Family]) {
    let http = http();
    for f in families {
        let (status, first) = refresh(&http, base, c, &f.refresh).await;
        assert_eq!(status, 200, "newest answered refresh token: {first}");
        let next = first["refresh_token"].as_str().unwrap();
        if let Some(successor) = f.successor.take() {
            let id = id_of(REFRESH_TOKEN_PREFIX, next).unwrap();
            assert_eq!(id.0[..], successor, "the successor committed at the kill");
        }
        let (status, second) = refresh(&http, base, c, next).await;
        assert_eq!(status, 200, "its successor: {second}");
        f.refresh = second["refresh_token"].as_str().unwrap().to_owned();
        f.access
            .extend([&first, &second].map(|b| b["access_token"].as_str().unwrap().to_owned()));
    }
}
