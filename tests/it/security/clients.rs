//! Attacks on client authentication: impersonating a confidential client,
//! and guessing its secret from the time the check takes.

use crate::authorization_code::{code_for, redeem, setup, token_request};
use crate::support::on_both_backends;
use crate::support::{REDIRECT_URI, TestServer, assert_oauth_error};
use serde_json::json;

on_both_backends! {
    /// Client impersonation (RFC 6749 §10.2): a caller that names a
    /// confidential client without its secret (as a public client would,
    /// with `client_id` alone, or with an empty secret) is `invalid_client`
    /// at every endpoint, and what it presented stays the real client's.
    async fn public_client_impersonating_confidential_client_rfc6749_10_2() {
        let (s, c) = setup(json!({
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "refresh_count": -1,
        }))
        .await;
        let first = redeem(&s, &c, &code_for(&s, &c, &[]).await).await;
        let access = first["access_token"].as_str().unwrap();
        let refresh = first["refresh_token"].as_str().unwrap();
        let code = code_for(&s, &c, &[]).await;
        let id = c.id.as_str();
        let attempts: [(String, Vec<(&str, &str)>); 6] = [
            (s.token_url(), vec![("grant_type", "client_credentials")]),
            (
                s.token_url(),
                vec![
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT_URI),
                ],
            ),
            (
                s.token_url(),
                vec![("grant_type", "refresh_token"), ("refresh_token", refresh)],
            ),
            (s.introspect_url(), vec![("token", access)]),
            (s.revoke_url(), vec![("token", access)]),
            (s.revoke_url(), vec![("token", refresh)]),
        ];
        for (url, form) in &attempts {
            let mut id_only = form.clone();
            id_only.push(("client_id", id));
            let mut empty_secret = id_only.clone();
            empty_secret.push(("client_secret", ""));
            for body in [&id_only, &empty_secret] {
                let r = s.post_form(url, body).await;
                assert_oauth_error(r, 401, "invalid_client").await;
            }
            let r = s
                .http
                .post(url)
                .basic_auth(id, Some(""))
                .form(form)
                .send()
                .await
                .unwrap();
            assert_oauth_error(r, 401, "invalid_client").await;
        }
        // Nothing was redeemed, refreshed or revoked.
        assert_eq!(s.introspect(&c, access).await["active"], true);
        redeem(&s, &c, &code).await;
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        assert_eq!(token_request(&s, &c, &form).await.status(), 200);
        s.stop().await;
    }
}

/// `secret` with the byte at `at` changed (secrets are base64url).
fn flipped(secret: &str, at: usize) -> String {
    let mut b = secret.as_bytes().to_vec();
    b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).unwrap()
}

on_both_backends! {
    /// Client secret guessing by timing (RFC 6819 §4.3.5): the check of a
    /// secret reveals nothing of where a guess went wrong.
    ///
    /// Timing is not measured: on a shared machine the noise of scheduling
    /// and the network dwarfs the nanoseconds a comparison takes, so such a
    /// test would be flaky and prove nothing. Instead: every wrong secret
    /// (wrong first, middle or last byte, a prefix, longer, empty) and an
    /// unknown client get the same answer byte for byte; and the code path
    /// is constant time by construction: the presented secret is hashed
    /// (SHA-256) and the digests are compared with `subtle`'s
    /// `ConstantTimeEq`, so the time taken depends neither on where the
    /// guess differs nor on the stored secret.
    async fn client_secret_comparison_is_constant_time_rfc6819_4_3_5() {
        let s = TestServer::start().await;
        let c = s.client(json!({})).await;
        let secret = c.secret.clone().unwrap();
        let n = secret.len();
        let guesses = [
            flipped(&secret, 0),
            flipped(&secret, n / 2),
            flipped(&secret, n - 1),
            secret[..n - 1].to_owned(),
            format!("{secret}A"),
            String::new(),
        ];
        let mut answers = Vec::new();
        for (id, guess) in guesses
            .iter()
            .map(|g| (c.id.as_str(), g.as_str()))
            .chain([("no-such-client", secret.as_str())])
        {
            let r = s
                .http
                .post(s.token_url())
                .basic_auth(id, Some(guess))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
            answers.push((status, challenge, r.text().await.unwrap()));
        }
        assert_eq!(answers[0].0, 401);
        assert!(answers.iter().all(|a| a == &answers[0]), "{answers:#?}");

        let client = include_str!("../../../src/domain/client.rs");
        let verify = &client[client.find("pub fn verify_secret").unwrap()..];
        let verify = &verify[..verify.find("\n    }\n").unwrap()];
        assert!(
            verify.contains("Digest::of(presented)") && verify.contains(".ct_eq(&digest)"),
            "{verify}"
        );
        assert!(!verify.contains("=="), "{verify}");
        let crypto = include_str!("../../../src/crypto.rs");
        assert!(crypto.contains("use subtle::ConstantTimeEq;"));
        assert!(crypto.contains("self.0.ct_eq(&other.0).into()"));
        s.stop().await;
    }
}
