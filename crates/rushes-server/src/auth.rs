//! Access control of the server: the access token ([`AccessToken`]) required when rushes
//! listens beyond loopback, the middleware that answers 401 without it, and
//! `POST /api/session`, which trades the token for an HttpOnly cookie so that `<video>` and
//! `<img>` (which cannot send headers) reach media and thumbnails. The cookie never holds
//! the token: it holds an expiry and an HMAC-SHA256 of it under a key drawn at start
//! ([`Access`]), so it is worthless after [`SESSION_SECONDS`], after a restart, and for
//! learning the token. Owns nothing else: which address needs a token is the CLI's
//! decision ([`needs_token`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

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
/// How long a session cookie opens media and thumbnails (its `Max-Age`, checked by the
/// server too). The UI opens a fresh session on every load and every hour while open.
pub const SESSION_SECONDS: u64 = 12 * 3600;
pub use crate::access_token::{AccessToken, AccessTokenError};

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

/// The token plus the per-process key that signs session cookies.
#[derive(Clone)]
pub struct Access {
    token: AccessToken,
    session_key: [u8; 32],
}

/// Why a request is not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Denied {
    Missing,
    WrongToken,
    BadSession,
}

impl Access {
    /// The access of a server run with `token`, with a fresh random session key.
    pub fn new(token: AccessToken) -> Result<Access, AccessTokenError> {
        let mut session_key = [0u8; 32];
        getrandom::fill(&mut session_key)
            .map_err(|error| AccessTokenError::NoRandomness(error.to_string()))?;
        Ok(Access { token, session_key })
    }

    /// The signature of a session that ends at `expiry` (Unix seconds): HMAC-SHA256 under
    /// the session key of the token and the expiry.
    fn session_mac(&self, expiry: u64) -> [u8; 32] {
        hmac_sha256(
            &self.session_key,
            &[
                self.token.reveal().as_bytes(),
                b"\n",
                expiry.to_string().as_bytes(),
            ],
        )
    }

    /// A session cookie's value: `<expiry>.<hex signature>`.
    fn session_value(&self, expiry: u64) -> String {
        format!("{expiry}.{}", hex::encode(self.session_mac(expiry)))
    }

    /// Whether `value` is a session this process signed and that has not ended by `now`.
    /// The signatures are compared without an early exit.
    fn session_is_valid(&self, value: &str, now: u64) -> bool {
        let Some((expiry_text, mac_text)) = value.split_once('.') else {
            return false;
        };
        let Ok(expiry) = expiry_text.parse::<u64>() else {
            return false;
        };
        let mut given = [0u8; 32];
        if !expiry_text.bytes().all(|b| b.is_ascii_digit())
            || hex::decode_to_slice(mac_text, &mut given).is_err()
        {
            return false;
        }
        let expected = self.session_mac(expiry);
        let difference = expected
            .iter()
            .zip(given.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(difference) == 0 && now < expiry
    }

    /// Lets a request through with the right `Authorization: Bearer` token, or else a
    /// valid session cookie.
    fn check(&self, headers: &HeaderMap, now: u64) -> Result<(), Denied> {
        if let Some(given) = bearer_token(headers) {
            return if self.token.matches(given) {
                Ok(())
            } else {
                Err(Denied::WrongToken)
            };
        }
        match session_cookie(headers) {
            Some(value) if self.session_is_valid(value, now) => Ok(()),
            Some(_) => Err(Denied::BadSession),
            None => Err(Denied::Missing),
        }
    }
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Access(<hidden>)")
    }
}

/// HMAC-SHA256 (RFC 2104) of the concatenated `parts` under a key of at most 64 bytes.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..key.len().min(64)].copy_from_slice(&key[..key.len().min(64)]);
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
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

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| {
            let (scheme, rest) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim())
        })
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

/// Middleware: with a token configured, a protected request without the right token (or
/// a valid session cookie) is answered 401 and never reaches a handler.
pub async fn require_token(
    State(access): State<Option<Arc<Access>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(access) = access else {
        return next.run(request).await;
    };
    if !is_protected(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    match access.check(request.headers(), unix_now()) {
        Ok(()) => next.run(request).await,
        Err(Denied::WrongToken) => {
            tracing::warn!(
                path = request.uri().path(),
                "request with a wrong access token"
            );
            unauthorized("wrong access token")
        }
        Err(Denied::BadSession) => unauthorized(
            "the session has ended (it lasts 12 hours and ends when the server restarts): reload the page",
        ),
        Err(Denied::Missing) => unauthorized(
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
/// cookie (a signed expiry, never the token) that media and thumbnail requests carry, for
/// [`SESSION_SECONDS`]. 204 when the server needs no token.
pub async fn create_session(
    State(access): State<Option<Arc<Access>>>,
    headers: HeaderMap,
    body: Result<Json<SessionRequest>, JsonRejection>,
) -> Response {
    let Some(access) = access else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let from_body = body.ok().and_then(|Json(request)| request.token);
    let given = from_body
        .as_deref()
        .or_else(|| bearer_token(&headers))
        .unwrap_or_default();
    if !access.token.matches(given) {
        return unauthorized("wrong access token");
    }
    let expiry = unix_now() + SESSION_SECONDS;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; Max-Age={SESSION_SECONDS}; HttpOnly; SameSite=Strict",
        access.session_value(expiry)
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
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231, test case 2.
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    // Regression (issue 18): the session cookie was the raw access token and never ended.
    #[test]
    fn sessions_are_signed_expiring_and_never_hold_the_token() -> Result<(), AccessTokenError> {
        let access = Access::new(AccessToken::new("correct-horse-battery-staple")?)?;
        let now = 1_700_000_000;
        let value = access.session_value(now + SESSION_SECONDS);
        assert!(!value.contains("correct-horse"), "{value}");
        assert!(access.session_is_valid(&value, now));
        assert!(access.session_is_valid(&value, now + SESSION_SECONDS - 1));
        assert!(
            !access.session_is_valid(&value, now + SESSION_SECONDS),
            "expired"
        );
        // A later expiry with the old signature, a changed signature, garbage.
        let (_, mac) = value.split_once('.').unwrap_or_default();
        let extended = format!("{}.{mac}", now + 10 * SESSION_SECONDS);
        let mut flipped = value.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        for forged in [
            extended.as_str(),
            flipped.as_str(),
            "correct-horse-battery-staple",
            "",
            ".",
            "+1.00",
        ] {
            assert!(!access.session_is_valid(forged, now), "{forged:?}");
        }
        // Another process (another key) does not take it.
        let restarted = Access::new(AccessToken::new("correct-horse-battery-staple")?)?;
        assert!(!restarted.session_is_valid(&value, now));
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
