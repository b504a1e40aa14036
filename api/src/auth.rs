//! Bearer tokens: stored as SHA-256 hashes (the config never holds a usable token),
//! compared in constant time, each with a scope. Reads (GET) need `read`, everything
//! else `write`. With no token configured every request is allowed, which the config
//! only permits on a loopback address.

use crate::{error::Problem, state::AppState};
use axum::{
    extract::{Request, State},
    http::{header, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
}

/// A configured token: its name (for logs), scope and hash; never the token itself.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash {
    pub name: String,
    pub scope: Scope,
    hash: [u8; 32],
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenHash").field("name", &self.name).field("scope", &self.scope).finish_non_exhaustive()
    }
}

fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl TokenHash {
    pub fn from_hex(name: &str, scope: Scope, text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 64 {
            return None;
        }
        let mut hash = [0u8; 32];
        for (index, byte) in hash.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(index * 2..index * 2 + 2)?, 16).ok()?;
        }
        Some(Self { name: name.to_string(), scope, hash })
    }

    pub fn of_token(name: &str, scope: Scope, token: &str) -> Self {
        Self { name: name.to_string(), scope, hash: sha256(token) }
    }
}

/// A new random token and the hex hash to put in the config.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("st_{}", bs58::encode(bytes).into_string());
    let hash = hex(&sha256(&token));
    (token, hash)
}

/// The configured token matching `presented`, checking every one in constant time.
pub fn authenticate<'a>(tokens: &'a [TokenHash], presented: &str) -> Option<&'a TokenHash> {
    let hash = sha256(presented);
    let mut found = None;
    for token in tokens {
        if bool::from(token.hash.ct_eq(&hash)) {
            found = Some(token);
        }
    }
    found
}

/// The scope a request needs: reads for GET and HEAD, writes for the rest.
pub fn required_scope(method: &Method) -> Scope {
    if method == Method::GET || method == Method::HEAD {
        Scope::Read
    } else {
        Scope::Write
    }
}

/// Refuses a request without a valid token of the scope it needs.
pub async fn require_token(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let tokens = &state.config.tokens;
    if tokens.is_empty() {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let Some(presented) = presented else {
        return Problem::unauthorized("send `Authorization: Bearer <token>` with a token from the server's config")
            .into_response();
    };
    let Some(token) = authenticate(tokens, presented.trim()) else {
        return Problem::unauthorized("the bearer token is not one the server knows").into_response();
    };
    let needed = required_scope(request.method());
    if token.scope < needed {
        return Problem::forbidden(format!("token `{}` may only read; this request needs a write token", token.name))
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_by_hash_and_scope_orders() {
        let (token, hash) = new_token();
        assert!(token.starts_with("st_") && hash.len() == 64);
        let configured = vec![
            TokenHash::from_hex("reader", Scope::Read, &"00".repeat(32)).unwrap(),
            TokenHash::from_hex("writer", Scope::Write, &hash).unwrap(),
        ];
        assert_eq!(authenticate(&configured, &token).map(|t| t.name.as_str()), Some("writer"));
        assert!(authenticate(&configured, "st_wrong").is_none());
        assert!(Scope::Read < Scope::Write);
        assert_eq!(required_scope(&Method::PATCH), Scope::Write);
        assert!(TokenHash::from_hex("x", Scope::Read, "not hex").is_none());
        assert!(!format!("{:?}", configured[1]).contains(&hash[..8]));
    }
}
