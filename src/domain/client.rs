//! Client applications (DESIGN §3): registration rules, types and secrets.

use super::{DomainError, GrantType, ScopeSet, UnixTime, name, redirect_uri};
use crate::crypto::{Digest, Secret};
use serde::{Deserialize, Serialize};

/// How a client authenticates at the token endpoint (RFC 7591 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A public client: it holds no secret and sends only its `client_id`.
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<AuthMethod> {
        [
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost,
            AuthMethod::None,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// Access token lifetime of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// The server's default (`--access-token-lifetime`).
    ServerDefault,
    Never,
    Seconds(i64),
}

impl Lifetime {
    /// Storage and API form: `None` default, `-1` never, else seconds.
    pub fn to_option(self) -> Option<i64> {
        match self {
            Lifetime::ServerDefault => None,
            Lifetime::Never => Some(-1),
            Lifetime::Seconds(s) => Some(s),
        }
    }

    pub fn from_option(v: Option<i64>) -> Result<Lifetime, String> {
        match v {
            None => Ok(Lifetime::ServerDefault),
            Some(-1) => Ok(Lifetime::Never),
            Some(s) if (1..=MAX_LIFETIME).contains(&s) => Ok(Lifetime::Seconds(s)),
            Some(_) => Err(format!(
                "must be -1 (never expires) or 1 to {MAX_LIFETIME} seconds"
            )),
        }
    }

    /// Seconds until expiry for a token issued now; `None` never expires.
    pub fn resolve(self, server_default: i64) -> Option<i64> {
        match self {
            Lifetime::ServerDefault if server_default < 0 => None,
            Lifetime::ServerDefault => Some(server_default),
            Lifetime::Never => None,
            Lifetime::Seconds(s) => Some(s),
        }
    }
}

/// Ten years: a longer finite lifetime is a mistake better written as `-1`.
pub const MAX_LIFETIME: i64 = 10 * 365 * 24 * 3600;

/// How many times one grant may be refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshCount {
    Unlimited,
    Limited(i64),
}

impl RefreshCount {
    pub fn to_i64(self) -> i64 {
        match self {
            RefreshCount::Unlimited => -1,
            RefreshCount::Limited(n) => n,
        }
    }

    pub fn from_i64(v: i64) -> Result<RefreshCount, String> {
        match v {
            -1 => Ok(RefreshCount::Unlimited),
            n if (0..=1_000_000).contains(&n) => Ok(RefreshCount::Limited(n)),
            _ => Err("must be -1 (unlimited) or 0 to 1000000".into()),
        }
    }
}

/// The registration of a client: everything an operator sets.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSpec {
    pub name: String,
    pub version: String,
    pub description: String,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub scopes: ScopeSet,
    pub access_token_lifetime: Lifetime,
    pub refresh_count: RefreshCount,
    pub active: bool,
}

/// A registered client with its server-generated identity and secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: String,
    pub spec: ClientSpec,
    /// Digest of the current secret (confidential clients only).
    pub secret: Option<Digest>,
    /// Digest of the previous secret and until when it is still accepted.
    pub previous_secret: Option<(Digest, UnixTime)>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.spec.auth_method == AuthMethod::None
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.spec.grant_types.contains(&grant)
    }

    /// Checks a presented secret in constant time against the current secret
    /// and, during a rotation's overlap, the previous one.
    pub fn verify_secret(&self, presented: &str, now: UnixTime) -> bool {
        let digest = Digest::of(presented);
        let current = self.secret.is_some_and(|d| d.ct_eq(&digest));
        let previous = self
            .previous_secret
            .is_some_and(|(d, until)| now < until && d.ct_eq(&digest));
        current | previous
    }

    /// Key that makes name + version unique regardless of letter case.
    pub fn name_key(spec: &ClientSpec) -> String {
        format!(
            "{}\u{1f}{}",
            spec.name.trim().to_lowercase(),
            spec.version.trim().to_lowercase()
        )
    }
}

/// Client fields as the admin API and CLI send them (RFC 7591 names where
/// they exist). `None` means "default" on create and "unchanged" on update.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    /// Unique together with the version (ignoring case); none of
    /// `& ( ) \ ; , / " : ' < >`.
    #[schema(max_length = 100, example = "Billing")]
    pub client_name: Option<String>,
    /// Default `1.0`; same characters as the name.
    #[schema(max_length = 50, example = "1.0")]
    pub client_version: Option<String>,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// `none` registers a public client (no secret); default `client_secret_basic`.
    #[schema(value_type = Option<AuthMethod>)]
    pub token_endpoint_auth_method: Option<String>,
    /// Absolute, no fragment: https, http on a loopback host, or a private-use scheme.
    #[schema(max_items = 20, example = json!(["https://app.example.com/cb"]))]
    pub redirect_uris: Option<Vec<String>>,
    /// Default `["authorization_code"]`.
    #[schema(value_type = Option<Vec<GrantType>>, min_items = 1)]
    pub grant_types: Option<Vec<String>>,
    /// Space-separated registered scope names the client may request.
    #[schema(example = "read write")]
    pub scope: Option<String>,
    /// Seconds; `-1` never expires; JSON `null` restores the server default.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = -1, maximum = 315_360_000)]
    pub access_token_lifetime: Option<Option<i64>>,
    /// How many times one grant may be refreshed; `-1` unlimited; default 0.
    #[schema(minimum = -1, maximum = 1_000_000)]
    pub refresh_count: Option<i64>,
    /// Deactivating a client revokes all its tokens.
    pub active: Option<bool>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D>(d: D) -> Result<Option<Option<i64>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<i64>::deserialize(d).map(Some)
}

impl ClientInput {
    /// The spec of a new client: defaults filled in, every rule checked.
    pub fn create(self) -> Result<ClientSpec, DomainError> {
        let base = ClientSpec {
            name: String::new(),
            version: "1.0".into(),
            description: String::new(),
            auth_method: AuthMethod::ClientSecretBasic,
            redirect_uris: Vec::new(),
            grant_types: vec![GrantType::AuthorizationCode],
            scopes: ScopeSet::new(),
            access_token_lifetime: Lifetime::ServerDefault,
            refresh_count: RefreshCount::Limited(0),
            active: true,
        };
        if self.client_name.is_none() {
            return Err(DomainError::invalid("client_name", "is required"));
        }
        self.apply(base)
    }

    /// `current` with this input's fields applied, every rule checked. The
    /// client type cannot change: a public client has no secret to keep.
    pub fn update(self, current: &ClientSpec) -> Result<ClientSpec, DomainError> {
        let spec = self.apply(current.clone())?;
        if (spec.auth_method == AuthMethod::None) != (current.auth_method == AuthMethod::None) {
            return Err(DomainError::invalid(
                "token_endpoint_auth_method",
                "cannot switch between a public and a confidential client; register a new client",
            ));
        }
        Ok(spec)
    }

    fn apply(self, mut spec: ClientSpec) -> Result<ClientSpec, DomainError> {
        if let Some(v) = self.client_name {
            spec.name = v.trim().to_owned();
        }
        if let Some(v) = self.client_version {
            spec.version = v.trim().to_owned();
        }
        if let Some(v) = self.description {
            spec.description = v;
        }
        if let Some(v) = self.token_endpoint_auth_method {
            spec.auth_method = AuthMethod::parse(&v).ok_or_else(|| {
                DomainError::invalid(
                    "token_endpoint_auth_method",
                    format!("\"{v}\" is not one of client_secret_basic, client_secret_post, none"),
                )
            })?;
        }
        if let Some(v) = self.redirect_uris {
            spec.redirect_uris = v;
        }
        if let Some(v) = self.grant_types {
            let mut grants = Vec::with_capacity(v.len());
            for g in &v {
                let grant = GrantType::parse(g).ok_or_else(|| {
                    DomainError::invalid(
                        "grant_types",
                        format!("\"{g}\" is not a supported grant type"),
                    )
                })?;
                if !grants.contains(&grant) {
                    grants.push(grant);
                }
            }
            grants.sort();
            spec.grant_types = grants;
        }
        if let Some(v) = self.scope {
            spec.scopes = ScopeSet::parse(&v).map_err(|r| DomainError::invalid("scope", r))?;
        }
        if let Some(v) = self.access_token_lifetime {
            spec.access_token_lifetime = Lifetime::from_option(v)
                .map_err(|r| DomainError::invalid("access_token_lifetime", r))?;
        }
        if let Some(v) = self.refresh_count {
            spec.refresh_count =
                RefreshCount::from_i64(v).map_err(|r| DomainError::invalid("refresh_count", r))?;
        }
        if let Some(v) = self.active {
            spec.active = v;
        }
        spec.validate()?;
        Ok(spec)
    }
}

impl ClientSpec {
    /// Every registration rule of DESIGN §3 that needs no other record.
    pub fn validate(&self) -> Result<(), DomainError> {
        name::check_label(&self.name, 100).map_err(|r| DomainError::invalid("client_name", r))?;
        name::check_label(&self.version, 50)
            .map_err(|r| DomainError::invalid("client_version", r))?;
        if self.description.chars().count() > 1000 {
            return Err(DomainError::invalid(
                "description",
                "must be at most 1000 characters",
            ));
        }
        if self.grant_types.is_empty() {
            return Err(DomainError::invalid(
                "grant_types",
                "must name at least one grant type",
            ));
        }
        if self.auth_method == AuthMethod::None
            && let Some(g) = self.grant_types.iter().find(|g| g.confidential_only())
        {
            return Err(DomainError::invalid(
                "grant_types",
                format!(
                    "{g} is only for confidential clients; a public client (token_endpoint_auth_method \"none\") cannot use it"
                ),
            ));
        }
        if self.redirect_uris.len() > 20 {
            return Err(DomainError::invalid(
                "redirect_uris",
                "at most 20 redirect URIs",
            ));
        }
        for uri in &self.redirect_uris {
            redirect_uri::check(uri).map_err(|r| DomainError::invalid("redirect_uris", r))?;
        }
        if self.redirect_uris.is_empty()
            && let Some(g) = self.grant_types.iter().find(|g| g.needs_redirect_uri())
        {
            return Err(DomainError::invalid(
                "redirect_uris",
                format!("a client using {g} needs at least one redirect URI"),
            ));
        }
        Ok(())
    }
}

/// A freshly generated client secret: shown once, stored as its digest.
pub fn new_client_secret() -> Secret {
    crate::crypto::random_secret("fgcs_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ClientInput {
        ClientInput {
            client_name: Some("Billing".into()),
            redirect_uris: Some(vec!["https://app.example.com/cb".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn new_clients_default_to_authorization_code() {
        let spec = input().create().unwrap();
        assert_eq!(spec.grant_types, [GrantType::AuthorizationCode]);
        assert_eq!(spec.version, "1.0");
        assert!(spec.active);
    }

    #[test]
    fn public_clients_cannot_use_client_credentials_or_password() {
        for g in ["client_credentials", "password"] {
            let err = ClientInput {
                token_endpoint_auth_method: Some("none".into()),
                grant_types: Some(vec![g.into()]),
                ..input()
            }
            .create()
            .unwrap_err();
            assert!(matches!(
                err,
                DomainError::Invalid {
                    field: "grant_types",
                    ..
                }
            ));
        }
    }

    #[test]
    fn browser_grants_need_a_redirect_uri() {
        let err = ClientInput {
            redirect_uris: Some(vec![]),
            ..input()
        }
        .create()
        .unwrap_err();
        assert!(matches!(
            err,
            DomainError::Invalid {
                field: "redirect_uris",
                ..
            }
        ));
    }

    #[test]
    fn lifetimes_and_refresh_counts_are_bounded() {
        assert_eq!(Lifetime::from_option(Some(-1)), Ok(Lifetime::Never));
        assert!(Lifetime::from_option(Some(0)).is_err());
        assert!(RefreshCount::from_i64(-2).is_err());
        assert_eq!(Lifetime::ServerDefault.resolve(3600), Some(3600));
        assert_eq!(Lifetime::Never.resolve(3600), None);
    }

    #[test]
    fn previous_secret_works_only_during_overlap() {
        let old = new_client_secret();
        let new = new_client_secret();
        let client = Client {
            id: "c".into(),
            spec: input().create().unwrap(),
            secret: Some(new.digest()),
            previous_secret: Some((old.digest(), 100)),
            created_at: 0,
            updated_at: 0,
        };
        assert!(client.verify_secret(new.expose(), 200));
        assert!(client.verify_secret(old.expose(), 99));
        assert!(!client.verify_secret(old.expose(), 100));
        assert!(!client.verify_secret("fgcs_wrong", 0));
    }

    #[test]
    fn name_key_ignores_case() {
        let a = input().create().unwrap();
        let mut b = a.clone();
        b.name = "BILLING".into();
        assert_eq!(Client::name_key(&a), Client::name_key(&b));
    }
}
