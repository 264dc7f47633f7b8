//! Changes that make cached records stale. A process announces each one
//! through its store after committing it, and every process sharing the
//! database (nodes on one PostgreSQL) drops what it cached. The wire form
//! is a short text, small enough for a PostgreSQL notification payload.

use crate::domain::TokenId;

/// What a process must forget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// These access tokens were revoked.
    Tokens(Vec<TokenId>),
    /// This client changed or was deleted.
    Client(String),
    /// Tokens went in a way the caches cannot index (a user was deleted).
    AllTokens,
    /// A scope was created, changed or deleted.
    Scopes,
    /// The service at this path was created, changed or deleted.
    Service(String),
    /// Changes may have been missed (the feed was interrupted): forget all.
    Everything,
}

/// Most token ids one announcement carries; more become [`Change::AllTokens`]
/// (PostgreSQL payloads are limited to 8000 bytes).
const MAX_IDS: usize = 150;

impl Change {
    /// The wire form: a tag, then its argument.
    pub fn encode(&self) -> String {
        match self {
            Change::Tokens(ids) if ids.len() > MAX_IDS => Change::AllTokens.encode(),
            Change::Tokens(ids) => {
                let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
                format!("tokens {}", ids.join(","))
            }
            Change::Client(id) => format!("client {id}"),
            Change::AllTokens => "all-tokens".into(),
            Change::Scopes => "scopes".into(),
            Change::Service(path) => format!("service {path}"),
            Change::Everything => "everything".into(),
        }
    }

    /// Reads the wire form; anything unreadable means "forget everything",
    /// the safe answer to a message from a newer or broken peer.
    pub fn decode(s: &str) -> Change {
        let (tag, arg) = s.split_once(' ').unwrap_or((s, ""));
        let parsed = match tag {
            "tokens" => arg
                .split(',')
                .map(TokenId::parse)
                .collect::<Option<Vec<_>>>()
                .map(Change::Tokens),
            "client" if !arg.is_empty() => Some(Change::Client(arg.to_owned())),
            "all-tokens" => Some(Change::AllTokens),
            "scopes" => Some(Change::Scopes),
            "service" if !arg.is_empty() => Some(Change::Service(arg.to_owned())),
            _ => None,
        };
        parsed.unwrap_or(Change::Everything)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_survive_the_wire() {
        let changes = [
            Change::Tokens(vec![TokenId::new(), TokenId::new()]),
            Change::Client("c-1 with space".into()),
            Change::AllTokens,
            Change::Scopes,
            Change::Service("orders/create".into()),
            Change::Everything,
        ];
        for c in changes {
            assert_eq!(Change::decode(&c.encode()), c);
        }
    }

    #[test]
    fn too_many_tokens_become_all_tokens() {
        let ids = (0..=MAX_IDS).map(|_| TokenId::new()).collect();
        let wire = Change::Tokens(ids).encode();
        assert!(wire.len() < 8000);
        assert_eq!(Change::decode(&wire), Change::AllTokens);
        let most = Change::Tokens((0..MAX_IDS).map(|_| TokenId::new()).collect()).encode();
        assert!(most.len() < 8000, "{} bytes", most.len());
    }

    #[test]
    fn unreadable_messages_forget_everything() {
        for wire in ["", "tokens nope", "client", "bogus x"] {
            assert_eq!(Change::decode(wire), Change::Everything);
        }
    }
}
