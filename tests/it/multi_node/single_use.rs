//! Single-use steps presented on both nodes at once happen once.

use super::{Cluster, Node, PROPAGATION, SCOPE, TOKEN, json_of, str_of, until};
use crate::support::{REDIRECT_URI, TestClient};
use crate::user_agent::{Browser, Flow};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

impl Cluster {
    /// A client that gets refresh tokens, `count` refreshes per grant.
    async fn refreshing_client(&self, count: i64) -> TestClient {
        let grants = ["authorization_code", "refresh_token"];
        self.client(json!({ "grant_types": grants, "refresh_count": count }))
            .await
    }

    /// A code for `c`, granted by the user of `browser` on A.
    async fn code(&self, browser: &Browser, c: &TestClient) -> String {
        let url = self.authorize_url(&self.a, c);
        let trip = browser.authorize(&url, &Flow::default()).await;
        trip.callback().q("code").unwrap().to_owned()
    }

    async fn redeem(&self, node: &Node, c: &TestClient, code: &str) -> Response {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
        ];
        self.post(node, TOKEN, c, &form).await
    }

    async fn refresh(&self, node: &Node, c: &TestClient, token: &str) -> Response {
        let form = [("grant_type", "refresh_token"), ("refresh_token", token)];
        self.post(node, TOKEN, c, &form).await
    }

    /// How many access tokens the store holds for `c`, in any state.
    async fn stored_tokens(&self, c: &TestClient) -> usize {
        let path = format!("/tokens?client_id={}&limit=1000", c.id);
        let listed = self.admin(Method::GET, &path, Value::Null).await;
        listed["items"].as_array().unwrap().len()
    }

    /// Whether every token is inactive on both nodes.
    async fn all_inactive(&self, caller: &TestClient, tokens: &[&str]) -> bool {
        for t in tokens {
            for node in [&self.a, &self.b] {
                if self.active(node, caller, t).await {
                    return false;
                }
            }
        }
        true
    }
}

/// Two answers to one single-use request: exactly one 200, and the other
/// an `invalid_grant` error. The 200's body.
async fn one_winner(x: Response, y: Response) -> Value {
    let x = (x.status().as_u16(), json_of(x).await);
    let y = (y.status().as_u16(), json_of(y).await);
    let (won, lost) = match (x.0, y.0) {
        (200, 400) => (x.1, y.1),
        (400, 200) => (y.1, x.1),
        _ => panic!("expected one 200 and one 400: {x:?} {y:?}"),
    };
    assert_eq!(lost["error"], "invalid_grant", "{lost}");
    won
}

/// A code presented on both nodes at once is redeemed once; the other
/// presentation is a replay, which revokes the tokens issued from the code
/// (DESIGN §3, RFC 6749 §4.1.2), on both nodes.
#[tokio::test]
async fn a_code_redeemed_on_both_nodes_at_once_is_redeemed_once() {
    let Some((url, _schema)) = crate::pg::pg_test_url().await else {
        return;
    };
    let n = Cluster::start(&url, &[]).await;
    let c = n.refreshing_client(-1).await;
    let browser = Browser::at(&n.a.base, Arc::default());
    for _ in 0..5 {
        let code = n.code(&browser, &c).await;
        let (on_a, on_b) = tokio::join!(n.redeem(&n.a, &c, &code), n.redeem(&n.b, &c, &code));
        let since = Instant::now();
        let won = one_winner(on_a, on_b).await;
        assert_eq!(
            (&won["token_type"], &won["scope"]),
            (&json!("Bearer"), &json!(SCOPE))
        );
        let tokens = [str_of(&won, "access_token"), str_of(&won, "refresh_token")];
        assert!(tokens[0].starts_with("fgat_") && tokens[1].starts_with("fgrt_"));
        let took = until(since, "the replay revokes the code's tokens", async || {
            n.all_inactive(&c, &tokens).await
        })
        .await;
        assert!(took < PROPAGATION, "revoked on both nodes after {took:?}");
    }
    assert_eq!(n.stored_tokens(&c).await, 5, "one token set per code");
}

/// Without a grace period, a refresh token presented on both nodes at once
/// rotates once; the other presentation is reuse of a rotated-out token,
/// which revokes the whole grant (DESIGN §3, RFC 9700 §4.14.2).
#[tokio::test]
async fn a_refresh_token_used_on_both_nodes_at_once_rotates_once() {
    let Some((url, _schema)) = crate::pg::pg_test_url().await else {
        return;
    };
    let n = Cluster::start(&url, &[]).await;
    let c = n.refreshing_client(-1).await;
    let browser = Browser::at(&n.a.base, Arc::default());
    for _ in 0..5 {
        let first = n.redeem(&n.a, &c, &n.code(&browser, &c).await).await;
        assert_eq!(first.status(), 200);
        let first = json_of(first).await;
        let rt = str_of(&first, "refresh_token");
        let (on_a, on_b) = tokio::join!(n.refresh(&n.a, &c, rt), n.refresh(&n.b, &c, rt));
        let since = Instant::now();
        let won = one_winner(on_a, on_b).await;
        let tokens = [
            str_of(&first, "access_token"),
            str_of(&won, "access_token"),
            str_of(&won, "refresh_token"),
        ];
        let took = until(since, "reuse revokes the grant", async || {
            n.all_inactive(&c, &tokens).await
        })
        .await;
        assert!(took < PROPAGATION, "revoked on both nodes after {took:?}");
    }
    assert_eq!(
        n.stored_tokens(&c).await,
        10,
        "a code's and one rotation's, 5 times"
    );
}

/// Within the grace period concurrent presentations all get the one
/// successor, and a grant with refresh count N is refreshed N times in
/// all, however the requests spread over the nodes.
#[tokio::test]
async fn refreshes_on_both_nodes_at_once_never_exceed_the_refresh_count() {
    let Some((url, _schema)) = crate::pg::pg_test_url().await else {
        return;
    };
    const N: usize = 3;
    let n = Cluster::start(&url, &["--refresh-grace", "30"]).await;
    let c = n.refreshing_client(N as i64).await;
    let browser = Browser::at(&n.a.base, Arc::default());
    let first = json_of(n.redeem(&n.b, &c, &n.code(&browser, &c).await).await).await;
    let mut rt = str_of(&first, "refresh_token").to_owned();
    for round in 0..=N {
        let answers = tokio::join!(
            n.refresh(&n.a, &c, &rt),
            n.refresh(&n.b, &c, &rt),
            n.refresh(&n.a, &c, &rt),
            n.refresh(&n.b, &c, &rt)
        );
        let mut bodies = Vec::new();
        for r in [answers.0, answers.1, answers.2, answers.3] {
            bodies.push((r.status().as_u16(), json_of(r).await));
        }
        if round == N {
            for (status, body) in &bodies {
                assert_eq!(
                    (*status, &body["error"]),
                    (400, &json!("invalid_grant")),
                    "{body}"
                );
            }
            break;
        }
        let (status, answer) = &bodies[0];
        assert_eq!(*status, 200, "{answer}");
        for (s, body) in &bodies[1..] {
            assert_eq!(
                (*s, &body["access_token"]),
                (200, &answer["access_token"]),
                "{body}"
            );
            assert_eq!(body["refresh_token"], answer["refresh_token"]);
        }
        rt = str_of(answer, "refresh_token").to_owned();
    }
    // One access token for the code, one per refresh: nothing more stored.
    assert_eq!(n.stored_tokens(&c).await, N + 1);
}
