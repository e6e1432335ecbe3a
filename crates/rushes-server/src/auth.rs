//! Access control of the server: the access token ([`AccessToken`]) required when rushes
//! listens beyond loopback, the middleware that answers 401 without it, and
//! `POST /api/session`, which trades the token for an HttpOnly cookie so that `<video>` and
//! `<img>` (which cannot send headers) reach media and thumbnails. Owns nothing else: which
//! address needs a token is the CLI's decision ([`needs_token`]).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Name of the cookie `POST /api/session` sets.
pub const SESSION_COOKIE: &str = "rushes_session";
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

/// Whether listening on `addr` requires a token: anything but a loopback address does.
pub fn needs_token(addr: &SocketAddr) -> bool {
    !addr.ip().is_loopback()
}

/// The token a server on `addr` runs with: the one given, else on a non-loopback address a
/// generated one (the `bool` says so: the caller prints it once), else none (open).
pub fn token_for(
    addr: &SocketAddr,
    given: Option<&str>,
) -> Result<(Option<AccessToken>, bool), AccessTokenError> {
    match given {
        Some(text) => Ok((Some(AccessToken::new(text)?), false)),
        None if needs_token(addr) => Ok((Some(AccessToken::generate()?), true)),
        None => Ok((None, false)),
    }
}

/// Paths that hold footage or facts about it. Everything else a GET may reach is the web
/// UI's own files, which must load without a token so the UI can ask for it.
fn is_protected(method: &Method, path: &str) -> bool {
    const DATA_PREFIXES: [&str; 3] = ["/api", "/media", "/thumbs"];
    const UI_EXTENSIONS: [&str; 6] = [".html", ".js", ".css", ".svg", ".ico", ".png"];
    if path == "/api/session" {
        return false;
    }
    let is_data = DATA_PREFIXES
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")));
    let reads = *method == Method::GET || *method == Method::HEAD;
    let is_ui_file = path == "/" || UI_EXTENSIONS.iter().any(|ext| path.ends_with(ext));
    is_data || !reads || !is_ui_file
}

/// The token a request carries: `Authorization: Bearer <token>` first, else the session
/// cookie.
fn presented_token(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| {
            let (scheme, rest) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim())
        });
    bearer.or_else(|| session_cookie(headers))
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE).then_some(value)
        })
}

fn unauthorized(message: &str) -> Response {
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"rushes\""),
    );
    response
}

/// Middleware: with a token configured, a protected request without the right token is
/// answered 401 and never reaches a handler.
pub async fn require_token(
    State(token): State<Option<AccessToken>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = token else {
        return next.run(request).await;
    };
    if !is_protected(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    match presented_token(request.headers()) {
        Some(given) if token.matches(given) => next.run(request).await,
        Some(_) => {
            tracing::warn!(
                path = request.uri().path(),
                "request with a wrong access token"
            );
            unauthorized("wrong access token")
        }
        None => unauthorized(
            "this server needs its access token (printed by `rushes serve` when it started)",
        ),
    }
}

/// Body of `POST /api/session`; the token may come in `Authorization: Bearer` instead.
#[derive(Debug, Default, Deserialize)]
pub struct SessionRequest {
    #[serde(default)]
    token: Option<String>,
}

/// `POST /api/session`: checks the token and sets the HttpOnly, SameSite=Strict session
/// cookie that media and thumbnail requests carry. 204 when the server needs no token.
pub async fn create_session(
    State(token): State<Option<AccessToken>>,
    headers: HeaderMap,
    body: Result<Json<SessionRequest>, JsonRejection>,
) -> Response {
    let Some(token) = token else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let from_body = body.ok().and_then(|Json(request)| request.token);
    let given = from_body
        .as_deref()
        .or_else(|| presented_token(&headers))
        .unwrap_or_default();
    if !token.matches(given) {
        return unauthorized("wrong access token");
    }
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
        token.reveal()
    );
    match HeaderValue::from_str(&cookie) {
        Ok(value) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response.headers_mut().insert(header::SET_COOKIE, value);
            response
        }
        Err(error) => ApiError::internal("session cookie", error).into_response(),
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

    #[test]
    fn only_the_exact_token_matches() -> Result<(), AccessTokenError> {
        let token = AccessToken::new("correct-horse-battery-staple")?;
        assert!(token.matches("correct-horse-battery-staple"));
        for wrong in [
            "",
            "correct-horse-battery-stapl",
            "correct-horse-battery-staple ",
            "x",
        ] {
            assert!(!token.matches(wrong), "{wrong:?}");
        }
        assert!(matches!(
            AccessToken::new("short"),
            Err(AccessTokenError::TooShort)
        ));
        assert!(matches!(
            AccessToken::new("has;semicolon-and-more"),
            Err(AccessTokenError::BadCharacter)
        ));
        Ok(())
    }

    #[test]
    fn loopback_stays_open_other_addresses_need_a_token() -> Result<(), std::net::AddrParseError> {
        assert!(!needs_token(&"127.0.0.1:7878".parse()?));
        assert!(!needs_token(&"[::1]:7878".parse()?));
        assert!(needs_token(&"0.0.0.0:7878".parse()?));
        assert!(needs_token(&"192.168.1.20:7878".parse()?));
        assert!(needs_token(&"[::]:7878".parse()?));
        Ok(())
    }

    #[test]
    fn data_paths_are_protected_ui_files_are_not() {
        for (method, path) in [
            (Method::GET, "/api/search"),
            (Method::GET, "/api"),
            (Method::GET, "/media/abc"),
            (Method::GET, "/thumbs/abc/1.jpg"),
            (Method::GET, "/api/x.js"),
            (Method::POST, "/"),
            (Method::GET, "/unknown"),
        ] {
            assert!(is_protected(&method, path), "{method} {path}");
        }
        for (method, path) in [
            (Method::GET, "/"),
            (Method::GET, "/js/app.js"),
            (Method::HEAD, "/style.css"),
            (Method::POST, "/api/session"),
        ] {
            assert!(!is_protected(&method, path), "{method} {path}");
        }
    }
}
