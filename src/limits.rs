//! Abuse limits: request rates per client id and per source address at the
//! OAuth endpoints, sign-in rates per source address, and an exponential
//! backoff for the failed sign-ins of one account. Counters live in each
//! process's memory (a node limits what it serves).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use moka::sync::Cache;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// Configured limits; `0` turns a limit off.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// Requests per second per client id, and per source address, at the
    /// token, introspection and revocation endpoints (bursts of twice that).
    pub oauth_per_second: u32,
    /// Sign-in attempts per minute per source address, at the login page
    /// and the console login (bursts of that many).
    pub logins_per_minute: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            oauth_per_second: 200,
            logins_per_minute: 300,
        }
    }
}

/// A refused request: what was over its limit, and when to come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// `client:<id>`, `address:<ip>` or `account:<name>`.
    pub key: String,
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds for a `Retry-After` header (at least 1).
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0)
    }
}

/// Failed sign-ins before the backoff starts.
const FREE_FAILURES: u32 = 3;
/// Longest wait the backoff imposes: it slows guessing down, but can never
/// lock an account for longer than this.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The limits of one process.
pub struct Limiter {
    oauth_clients: Option<DefaultKeyedRateLimiter<String>>,
    oauth_addresses: Option<DefaultKeyedRateLimiter<IpAddr>>,
    login_addresses: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Consecutive failures per account and when the next try is allowed;
    /// forgotten 15 minutes after the last failure.
    failures: Cache<String, (u32, Instant)>,
    /// Keys whose refusal was audited in the last minute.
    reported: Cache<String, ()>,
}

fn keyed<K: Hash + Eq + Clone>(quota: Option<Quota>) -> Option<DefaultKeyedRateLimiter<K>> {
    quota.map(RateLimiter::keyed)
}

impl Limiter {
    pub fn new(settings: &LimitSettings) -> Limiter {
        let oauth = NonZeroU32::new(settings.oauth_per_second).map(|n| {
            let burst = n.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            Quota::per_second(n).allow_burst(burst)
        });
        let login = NonZeroU32::new(settings.logins_per_minute).map(Quota::per_minute);
        Limiter {
            oauth_clients: keyed(oauth),
            oauth_addresses: keyed(oauth),
            login_addresses: keyed(login),
            failures: Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(Duration::from_secs(15 * 60))
                .build(),
            reported: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
        }
    }

    /// Counts a request at the token, introspection or revocation endpoint.
    pub fn check_oauth(
        &self,
        address: Option<IpAddr>,
        client_id: Option<&str>,
    ) -> Result<(), Limited> {
        if let (Some(limiter), Some(ip)) = (&self.oauth_addresses, address) {
            check(limiter, &ip, || format!("address:{ip}"))?;
        }
        if let (Some(limiter), Some(id)) = (&self.oauth_clients, client_id) {
            check(limiter, &id.to_owned(), || format!("client:{id}"))?;
        }
        Ok(())
    }

    /// Counts a sign-in attempt from `address` for `username`: refused when
    /// the address is over its rate or the account is backing off.
    pub fn check_login(&self, address: Option<IpAddr>, username: &str) -> Result<(), Limited> {
        if let (Some(limiter), Some(ip)) = (&self.login_addresses, address) {
            check(limiter, &ip, || format!("address:{ip}"))?;
        }
        let account = username.to_lowercase();
        if let Some((_, next)) = self.failures.get(&account) {
            let now = Instant::now();
            if next > now {
                return Err(Limited {
                    key: format!("account:{account}"),
                    retry_after: next - now,
                });
            }
        }
        Ok(())
    }

    /// Records the outcome of a sign-in that was checked.
    pub fn login_result(&self, username: &str, succeeded: bool) {
        let account = username.to_lowercase();
        if succeeded {
            self.failures.invalidate(&account);
            return;
        }
        let count = self.failures.get(&account).map_or(0, |(n, _)| n) + 1;
        self.failures
            .insert(account, (count, Instant::now() + backoff(count)));
    }

    /// Whether a refusal of `key` should be audited: once a minute per key,
    /// so an attack cannot flood the audit log.
    pub fn first_report(&self, key: &str) -> bool {
        if self.reported.contains_key(key) {
            return false;
        }
        self.reported.insert(key.to_owned(), ());
        true
    }

    /// Drops the state of keys that have been quiet (call periodically).
    pub fn tidy(&self) {
        for limiter in [&self.oauth_addresses, &self.login_addresses]
            .into_iter()
            .flatten()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.oauth_clients {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
    name: impl FnOnce() -> String,
) -> Result<(), Limited> {
    limiter.check_key(key).map_err(|not_until| Limited {
        key: name(),
        retry_after: not_until.wait_time_from(DefaultClock::default().now()),
    })
}

/// The wait after `failures` consecutive failed sign-ins: none for the
/// first few, then 1 s, 2 s, 4 s, … up to [`MAX_BACKOFF`].
fn backoff(failures: u32) -> Duration {
    match failures.checked_sub(FREE_FAILURES) {
        None => Duration::ZERO,
        Some(n) => Duration::from_secs(1u64 << n.min(16)).min(MAX_BACKOFF),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_and_is_capped() {
        let waits: Vec<u64> = (1..=10).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [0, 0, 1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn failed_sign_ins_back_off_and_a_success_resets() {
        let l = Limiter::new(&LimitSettings::default());
        for _ in 0..FREE_FAILURES - 1 {
            l.login_result("Alice", false);
            assert!(l.check_login(None, "alice").is_ok());
        }
        l.login_result("alice", false);
        let refused = l.check_login(None, "ALICE").unwrap_err();
        assert_eq!(refused.key, "account:alice");
        assert_eq!(refused.retry_after_secs(), 1);
        assert!(l.check_login(None, "bob").is_ok());
        l.login_result("alice", true);
        assert!(l.check_login(None, "alice").is_ok());
    }

    #[test]
    fn oauth_limits_count_per_client_and_per_address() {
        let l = Limiter::new(&LimitSettings {
            oauth_per_second: 1,
            logins_per_minute: 0,
        });
        let ip: IpAddr = [192, 0, 2, 1].into();
        let other: IpAddr = [192, 0, 2, 2].into();
        assert!(l.check_oauth(Some(ip), Some("a")).is_ok());
        assert!(l.check_oauth(Some(ip), Some("b")).is_ok());
        let refused = l.check_oauth(Some(ip), Some("c")).unwrap_err();
        assert_eq!(refused.key, "address:192.0.2.1");
        assert!(refused.retry_after > Duration::ZERO);
        assert!(l.check_oauth(Some(other), Some("a")).is_ok());
        let refused = l.check_oauth(Some(other), Some("a")).unwrap_err();
        assert_eq!(refused.key, "client:a");
    }

    #[test]
    fn zero_turns_limits_off() {
        let l = Limiter::new(&LimitSettings {
            oauth_per_second: 0,
            logins_per_minute: 0,
        });
        let ip: IpAddr = [192, 0, 2, 1].into();
        for _ in 0..1000 {
            assert!(l.check_oauth(Some(ip), Some("a")).is_ok());
            assert!(l.check_login(Some(ip), "a").is_ok());
        }
    }

    #[test]
    fn refusals_are_reported_once_a_minute_per_key() {
        let l = Limiter::new(&LimitSettings::default());
        assert!(l.first_report("address:192.0.2.1"));
        assert!(!l.first_report("address:192.0.2.1"));
        assert!(l.first_report("client:a"));
    }
}
