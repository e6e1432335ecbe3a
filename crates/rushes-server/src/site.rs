//! Which requests come from this server's own site, checked before anything else runs:
//!
//! - **Host** ([`SiteGuard::host_problem`]): the name a request is addressed to must be one
//!   the server is really reached by — `localhost`, a loopback address, the address it
//!   listens on, or a name the user allowed (`--allow-host`, for a reverse proxy). A page
//!   that rebinds its own DNS name to 127.0.0.1 (DNS rebinding) gets 421 on every route.
//!   Ports are not compared: port forwarding (`ssh -L`, `docker -p`) changes them, and
//!   rebinding changes the name.
//! - **Cross-site requests** ([`cross_site_problem`]): a state-changing request (anything
//!   but GET, HEAD, OPTIONS) that the browser marks as coming from another site
//!   (`Sec-Fetch-Site: cross-site`/`same-site`, or an `Origin` that is not this server's
//!   own) is answered 403; so is a read of the API, media or thumbnails from another site
//!   that is not a top-level navigation. Clients that are not browsers send neither header
//!   and pass.
//!
//! Owns nothing else: the access token is `auth.rs`'s.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Why a name given to `--allow-host` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowedHostError {
    #[error(
        "{0:?} is not a host name: give a name such as rushes.example.com or an IP address, without scheme, port or path"
    )]
    NotAHostName(String),
}

/// A name the user allows in `Host` besides the ones the server is reached by directly
/// (`--allow-host`, `RUSHES_ALLOW_HOSTS`), e.g. the name of a reverse proxy. Kept in lower
/// case; compared without the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost(Box<str>);

impl AllowedHost {
    /// A host name (`rushes.example.com`) or an IP address (`192.168.1.20`, `[fd00::1]` or
    /// `fd00::1`), without scheme, port or path.
    pub fn new(text: &str) -> Result<AllowedHost, AllowedHostError> {
        let text = text.trim();
        let refused = || AllowedHostError::NotAHostName(text.to_string());
        if let Ok(ip) = text.parse::<Ipv6Addr>() {
            return Ok(AllowedHost(format!("[{ip}]").into()));
        }
        match split_authority(text) {
            Some((host, None)) => Ok(AllowedHost(host.to_ascii_lowercase().into())),
            _ => Err(refused()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The Host policy of one server: the address it listens on and the names the user added.
#[derive(Debug, Clone)]
pub struct SiteGuard {
    listening_on: Option<IpAddr>,
    allowed: Arc<[AllowedHost]>,
}

impl SiteGuard {
    pub fn new(listening_on: Option<IpAddr>, allowed: &[AllowedHost]) -> SiteGuard {
        SiteGuard {
            listening_on,
            allowed: allowed.into(),
        }
    }

    /// Whether `host` (the host part of an authority, IPv6 in brackets) names this server.
    fn accepts_host(&self, host: &str) -> bool {
        if host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        let ip = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(inner) => inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
            None => host.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
        };
        if let Some(ip) = ip {
            // An address cannot be rebound: every loopback address, the one listened on,
            // and when listening on all interfaces (0.0.0.0, [::]) any address.
            let listened = self
                .listening_on
                .is_some_and(|bound| bound == ip || bound.is_unspecified());
            if ip.is_loopback() || listened {
                return true;
            }
        }
        self.allowed
            .iter()
            .any(|name| name.as_str().eq_ignore_ascii_case(host))
    }

    /// Why the request's `Host` (or, over HTTP/2, its `:authority`) is refused, if it is:
    /// missing, malformed, or a name this server is not reached by.
    fn host_problem(&self, request: &Request) -> Option<ApiError> {
        let header = request.headers().get(header::HOST);
        let authority = request.uri().authority().map(|a| a.as_str());
        let named = match (header, authority) {
            (Some(value), _) => value.to_str().ok(),
            (None, Some(authority)) => Some(authority),
            (None, None) => return Some(misdirected("the request has no Host header")),
        };
        // An absolute request target must name this server too.
        for candidate in [named, authority].into_iter().flatten() {
            match split_authority(candidate) {
                Some((host, _)) if self.accepts_host(host) => {}
                Some((host, _)) => {
                    return Some(misdirected(&format!(
                        "this server does not answer to the name {host:?}; if that name is yours (a reverse \
                         proxy, the machine's name), allow it: `rushes serve --allow-host {host}` \
                         (or RUSHES_ALLOW_HOSTS={host})"
                    )));
                }
                None => {
                    return Some(misdirected(&format!(
                        "{candidate:?} is not a host name this server answers to"
                    )));
                }
            }
        }
        if named.is_none() {
            return Some(misdirected("the Host header is not readable text"));
        }
        None
    }
}

fn misdirected(message: &str) -> ApiError {
    ApiError::new(
        StatusCode::MISDIRECTED_REQUEST,
        "misdirected_request",
        message,
    )
}

/// Splits `host[:port]` (IPv6 as `[addr][:port]`) into its host and port, checking that the
/// host holds only the characters a DNS name or an address may and that the port is a
/// number. `None` when it is not an authority of that form (user info, a path, empty).
fn split_authority(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        let inner = &host[1..host.len() - 1];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let name_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
        if host.is_empty() || !host.bytes().all(name_byte) {
            return None;
        }
        (host, port)
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some((host, port))
}

/// Whether the method may change something: everything but GET, HEAD and OPTIONS.
fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Paths that hold footage or facts about it (the UI's own files are public).
fn is_data_path(path: &str) -> bool {
    ["/api", "/media", "/thumbs"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

fn header_is(headers: &HeaderMap, name: &str, values: &[&str]) -> bool {
    headers
        .get(name)
        .is_some_and(|value| values.iter().any(|v| value.as_bytes() == v.as_bytes()))
}

/// Whether `origin` (`scheme://host[:port]`) is the origin of a page this server served
/// under `host` (the request's `Host`, already accepted): same host and port, over http or
/// https (a TLS proxy in front), a default port written or not.
fn is_own_origin(origin: &[u8], host: &str) -> bool {
    let Ok(origin) = std::str::from_utf8(origin) else {
        return false;
    };
    let (authority, default_port) = if let Some(rest) = origin.strip_prefix("http://") {
        (rest, ":80")
    } else if let Some(rest) = origin.strip_prefix("https://") {
        (rest, ":443")
    } else {
        return false;
    };
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    same(authority, host)
        || host
            .strip_suffix(default_port)
            .is_some_and(|bare| same(authority, bare))
        || authority
            .strip_suffix(default_port)
            .is_some_and(|bare| same(bare, host))
}

/// Why a request the browser marks as coming from another site is refused, if it is.
fn cross_site_problem(request: &Request) -> Option<ApiError> {
    let headers = request.headers();
    let from_another_site = header_is(headers, "sec-fetch-site", &["cross-site", "same-site"]);
    if is_write(request.method()) {
        if from_another_site {
            return Some(forbidden_cross_site("another site"));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let host = headers
                .get(header::HOST)
                .and_then(|value| value.to_str().ok())
                .or_else(|| request.uri().authority().map(|a| a.as_str()))
                .unwrap_or_default();
            if !is_own_origin(origin.as_bytes(), host) {
                return Some(forbidden_cross_site("a page of another origin"));
            }
        }
        return None;
    }
    // Reads: a link from elsewhere may open a page (a top-level navigation), but no other
    // site may embed or fetch the library's data.
    let navigation = header_is(headers, "sec-fetch-mode", &["navigate"])
        && headers
            .get("sec-fetch-dest")
            .is_none_or(|dest| dest.as_bytes() == b"document");
    if from_another_site && !navigation && is_data_path(request.uri().path()) {
        return Some(forbidden_cross_site("another site"));
    }
    None
}

fn forbidden_cross_site(source: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "cross_site",
        format!(
            "refused: this request comes from {source}; rushes answers only its own pages \
             (open the UI itself, or use a client such as curl)"
        ),
    )
}

/// Middleware: a request to a name this server is not reached by gets 421, a cross-site
/// write or data read 403; neither reaches a handler.
pub async fn check_site(State(guard): State<SiteGuard>, request: Request, next: Next) -> Response {
    if let Some(problem) = guard
        .host_problem(&request)
        .or_else(|| cross_site_problem(&request))
    {
        tracing::warn!(
            method = %request.method(),
            path = request.uri().path(),
            code = problem.code,
            "refused a request from another site"
        );
        return problem.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(method: &str, host: Option<&str>, extra: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(method).uri("/api/faces/1/split");
        if let Some(host) = host {
            builder = builder.header(header::HOST, host);
        }
        for (name, value) in extra {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap_or_default()
    }

    #[test]
    fn authorities_split_into_host_and_port() {
        assert_eq!(split_authority("localhost"), Some(("localhost", None)));
        assert_eq!(
            split_authority("127.0.0.1:7878"),
            Some(("127.0.0.1", Some("7878")))
        );
        assert_eq!(split_authority("[::1]:80"), Some(("[::1]", Some("80"))));
        assert_eq!(split_authority("[::1]"), Some(("[::1]", None)));
        for bad in [
            "",
            "localhost:",
            "localhost:x",
            "user@localhost",
            "a/b",
            "[::1",
            "[::1]x",
            "::1",
            "evil.example:7878:1",
            "localhost:123456",
        ] {
            assert_eq!(split_authority(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_names_the_server_is_reached_by_pass() -> Result<(), AllowedHostError> {
        let loopback = SiteGuard::new(Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), &[]);
        for host in [
            "localhost",
            "LOCALHOST:7878",
            "127.0.0.1",
            "127.0.0.1:7878",
            "127.0.0.2:1",
            "[::1]:7878",
        ] {
            assert!(
                loopback
                    .host_problem(&request("GET", Some(host), &[]))
                    .is_none(),
                "{host}"
            );
        }
        for host in [
            "evil.example",
            "evil.example:7878",
            "localhost.evil.example",
            "192.168.1.20:7878",
            "0.0.0.0:7878",
            "",
        ] {
            let problem = loopback.host_problem(&request("GET", Some(host), &[]));
            assert_eq!(
                problem.map(|p| p.status),
                Some(StatusCode::MISDIRECTED_REQUEST),
                "{host}"
            );
        }
        assert!(loopback.host_problem(&request("GET", None, &[])).is_some());

        let lan = SiteGuard::new(
            Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            &[AllowedHost::new("Rushes.Example.com")?],
        );
        for host in [
            "192.168.1.20:7878",
            "rushes.example.com",
            "RUSHES.example.com:443",
        ] {
            assert!(
                lan.host_problem(&request("GET", Some(host), &[])).is_none(),
                "{host}"
            );
        }
        assert!(
            lan.host_problem(&request("GET", Some("evil.example"), &[]))
                .is_some()
        );
        Ok(())
    }

    #[test]
    fn allowed_hosts_are_bare_names_or_addresses() {
        assert_eq!(
            AllowedHost::new("fd00::1").map(|h| h.as_str().to_string()),
            Ok("[fd00::1]".to_string())
        );
        assert!(AllowedHost::new("[fd00::1]").is_ok());
        assert!(AllowedHost::new("nas.local").is_ok());
        for bad in ["", "http://nas.local", "nas.local:7878", "nas.local/x", "*"] {
            assert!(AllowedHost::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cross_site_writes_are_refused_own_and_headerless_ones_pass() {
        let host = ("host", "127.0.0.1:7878");
        for headers in [
            vec![host, ("sec-fetch-site", "cross-site")],
            vec![host, ("sec-fetch-site", "same-site")],
            vec![host, ("origin", "null")],
            vec![host, ("origin", "http://evil.example")],
            vec![host, ("origin", "http://127.0.0.1:9999")],
            vec![host, ("origin", "http://127.0.0.1")],
            vec![host, ("origin", "ftp://127.0.0.1:7878")],
        ] {
            let problem = cross_site_problem(&request("POST", None, &headers));
            assert_eq!(
                problem.map(|p| p.status),
                Some(StatusCode::FORBIDDEN),
                "{headers:?}"
            );
        }
        for headers in [
            vec![host],
            vec![host, ("sec-fetch-site", "same-origin")],
            vec![host, ("sec-fetch-site", "none")],
            vec![host, ("origin", "http://127.0.0.1:7878")],
            vec![host, ("origin", "https://127.0.0.1:7878")],
            vec![
                ("host", "rushes.example.com"),
                ("origin", "https://rushes.example.com"),
            ],
            vec![
                ("host", "rushes.example.com:443"),
                ("origin", "https://rushes.example.com"),
            ],
        ] {
            assert!(
                cross_site_problem(&request("DELETE", None, &headers)).is_none(),
                "{headers:?}"
            );
        }
        // Reads: data from another site only by navigation; the UI's files are public.
        let embed = [
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "no-cors"),
        ];
        assert!(cross_site_problem(&request("GET", None, &embed)).is_some());
        let navigate = [
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
        ];
        assert!(cross_site_problem(&request("GET", None, &navigate)).is_none());
        let framed = [
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "iframe"),
        ];
        assert!(cross_site_problem(&request("GET", None, &framed)).is_some());
    }

    #[test]
    fn data_paths_are_the_api_media_and_thumbnails() {
        for path in ["/api", "/api/search", "/media/x", "/thumbs/a/b.jpg"] {
            assert!(is_data_path(path), "{path}");
        }
        for path in ["/", "/js/app.js", "/apix", "/mediafile"] {
            assert!(!is_data_path(path), "{path}");
        }
    }
}
