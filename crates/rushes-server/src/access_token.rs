//! The access token itself: what a token given by the user must look like, how one is
//! generated, and how a candidate is compared with it. How the server uses it (the
//! middleware, session cookies) is `auth`'s.

use std::sync::Arc;

use sha2::{Digest, Sha256};

/// Shortest token accepted from `--token`, in characters.
pub const MIN_TOKEN_CHARS: usize = 16;
/// Random bytes in a generated token (192 bits, printed as 48 hex digits).
const GENERATED_TOKEN_BYTES: usize = 24;

/// Why a token given on the command line is refused, or why none could be made.
#[derive(Debug, thiserror::Error)]
pub enum AccessTokenError {
    #[error("the access token is too short: use at least {MIN_TOKEN_CHARS} characters")]
    TooShort,
    #[error(
        "the access token may only hold visible ASCII characters other than `\"`, `,`, `;` and `\\`"
    )]
    BadCharacter,
    #[error("cannot draw random bytes for an access token: {0}")]
    NoRandomness(String),
}

/// The secret every request must carry when the server is not loopback-only. Its `Debug`
/// never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Arc<str>);

impl AccessToken {
    /// A token chosen by the user (`--token`, `RUSHES_TOKEN`).
    pub fn new(text: &str) -> Result<AccessToken, AccessTokenError> {
        if text.chars().count() < MIN_TOKEN_CHARS {
            return Err(AccessTokenError::TooShort);
        }
        let cookie_safe = |c: char| c.is_ascii_graphic() && !matches!(c, '"' | ',' | ';' | '\\');
        if !text.chars().all(cookie_safe) {
            return Err(AccessTokenError::BadCharacter);
        }
        Ok(AccessToken(Arc::from(text)))
    }

    /// A fresh random token from the operating system's generator.
    pub fn generate() -> Result<AccessToken, AccessTokenError> {
        let mut bytes = [0u8; GENERATED_TOKEN_BYTES];
        getrandom::fill(&mut bytes)
            .map_err(|error| AccessTokenError::NoRandomness(error.to_string()))?;
        Ok(AccessToken(Arc::from(hex::encode(bytes))))
    }

    /// The token itself, to print once for the user.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this token, in time independent of where they differ and of
    /// the candidate's length: both are hashed, and the digests compared without an early
    /// exit.
    pub fn matches(&self, candidate: &str) -> bool {
        let expected = Sha256::digest(self.0.as_bytes());
        let given = Sha256::digest(candidate.as_bytes());
        let difference = expected
            .iter()
            .zip(given.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(difference) == 0
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(<hidden>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_long_and_distinct() -> Result<(), AccessTokenError> {
        let first = AccessToken::generate()?;
        let second = AccessToken::generate()?;
        assert_eq!(first.reveal().len(), GENERATED_TOKEN_BYTES * 2);
        assert_ne!(first, second);
        assert!(AccessToken::new(first.reveal()).is_ok());
        assert!(!format!("{first:?}").contains(first.reveal()));
        Ok(())
    }
}
