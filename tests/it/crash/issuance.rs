//! Client credentials issuance killed mid-load.

use super::{
    Db, Load, MIN_ANSWERS, ROUNDS, TASKS, TOKEN_PATH, check_integrity, http, inactive, post,
};
use crate::process::{Child, terminate};
use crate::support::TestClient;
use sqlx::Connection;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

/// Every client_credentials token answered with 200 before a kill is
/// active after the last restart: a 200 means committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_under_issuance_loses_no_answered_token() {
    let db = Db::new();
    let c = db.client(&["client_credentials"]);
    let started = Instant::now();
    let mut tokens = Vec::new();
    for _ in 0..ROUNDS {
        let (mut server, base) = db.serve(&[]);
        tokens.extend(issue_until_killed(&base, &c, &mut server).await);
        let (_copy, conn) = db.checked_copy().await;
        conn.close().await.unwrap();
    }
    let (mut server, base) = db.serve(&[]);
    let issued = tokens.len();
    let lost = inactive(&base, &c, tokens).await;
    assert!(lost.is_empty(), "{} of {issued} tokens lost", lost.len());
    assert!(terminate(&mut server.process).success());
    check_integrity(&db.url, true).await.close().await.unwrap();
    eprintln!(
        "{issued} tokens answered in {ROUNDS} rounds, all active after the last restart; \
         {:.2?} in all",
        started.elapsed()
    );
}

/// The tokens answered with 200 by [`TASKS`] issuance loops until the kill.
async fn issue_until_killed(base: &str, c: &TestClient, server: &mut Child) -> Vec<String> {
    let load = Arc::new(Load::default());
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (load, c, url) = (load.clone(), c.clone(), format!("{base}{TOKEN_PATH}"));
            tokio::spawn(async move {
                let http = http();
                let (mut tokens, mut failures) = (Vec::new(), Vec::new());
                let form = [("grant_type", "client_credentials"), ("scope", "read")];
                while failures.len() < 10 {
                    match post(&http, &url, &c, &form).await {
                        Ok((200, body)) => {
                            tokens.push(body["access_token"].as_str().unwrap().to_owned());
                            load.answered.fetch_add(1, Relaxed);
                        }
                        Ok((status, body)) => failures.push(format!("{status}: {body}")),
                        Err(e) => {
                            failures.extend(load.transport_error(&e));
                            break;
                        }
                    }
                }
                (tokens, failures)
            })
        })
        .collect();
    load.kill(server).await;
    let (mut tokens, mut failures) = (Vec::new(), Vec::new());
    for t in tasks {
        let (ok, failed) = t.await.unwrap();
        tokens.extend(ok);
        failures.extend(failed);
    }
    assert!(failures.is_empty(), "answers other than 200: {failures:?}");
    assert!(tokens.len() >= MIN_ANSWERS, "only {} tokens", tokens.len());
    tokens
}
