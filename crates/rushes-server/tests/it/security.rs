//! Security headers on every kind of response, and no CORS.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::support::{
    Backend, TestResult, get, library, library_on, on_both_backends, send, state, state_with,
};

async fn every_response_carries_csp_and_nosniff_and_no_cors(backend: Backend) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let uris = [
        "/".to_string(),
        "/js/app.js".to_string(),
        "/api/search?q=scene".to_string(),
        "/api/search?q=date:2025-13-01".to_string(),
        format!("/media/{}", library.slate.id),
        format!("/thumbs/{}/1000.jpg", library.slate.id),
        "/thumbs/x/y".to_string(),
        "/api/nothing".to_string(),
    ];
    for uri in &uris {
        let request = Request::get(uri.as_str())
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::empty())?;
        let response = send(&state, request).await?;
        let headers = response.headers();
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            rushes_server::CONTENT_SECURITY_POLICY,
            "{uri}"
        );
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()?
                .contains("script-src 'self'")
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert!(
            headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
            "{uri}"
        );
    }
    let preflight = Request::options("/api/search")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::empty())?;
    let response = send(&state, preflight).await?;
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    assert_ne!(
        get(&state, "/api/status").await?.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    Ok(())
}

/// A server of `library` that demands `TOKEN`, as `rushes serve --addr 0.0.0.0:…` runs it.
fn guarded_state(
    library: &crate::support::Library,
) -> Result<rushes_server::AppState, Box<dyn std::error::Error>> {
    let config = rushes_server::ServerConfig {
        access_token: Some(rushes_server::AccessToken::new(TOKEN)?),
        ..rushes_server::ServerConfig::default()
    };
    state_with(library, config)
}

const TOKEN: &str = "a-long-enough-test-token-0123456789";

fn data_uris(library: &crate::support::Library) -> Vec<String> {
    vec![
        "/api/search?q=scene".to_string(),
        "/api/status".to_string(),
        "/api/assets".to_string(),
        format!("/api/assets/{}", library.slate.id),
        format!("/media/{}", library.slate.id),
        format!("/thumbs/{}/1000.jpg", library.slate.id),
        "/api/events".to_string(),
        "/api/nothing".to_string(),
    ]
}

async fn a_guarded_server_answers_401_without_the_token_and_never_serves_data(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = guarded_state(&library)?;
    for uri in data_uris(&library) {
        let response = get(&state, &uri).await?;
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"rushes\""
        );
        let message =
            crate::support::assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized")
                .await?;
        assert!(message.contains("token"), "{uri}: {message}");
    }
    for wrong in [
        format!("Bearer {TOKEN}x"),
        "Bearer ".to_string(),
        format!("Basic {TOKEN}"),
        TOKEN.to_string(),
    ] {
        let request = Request::get("/api/search?q=scene")
            .header(header::AUTHORIZATION, wrong.as_str())
            .body(Body::empty())?;
        let response = send(&state, request).await?;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
    }
    let wrong_cookie = Request::get(format!("/media/{}", library.slate.id))
        .header(
            header::COOKIE,
            format!("{}=guess", rushes_server::SESSION_COOKIE),
        )
        .body(Body::empty())?;
    assert_eq!(
        send(&state, wrong_cookie).await?.status(),
        StatusCode::UNAUTHORIZED
    );
    // A wrong token on POST /api/session sets no cookie.
    let login = Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"token": "not-the-token-at-all"}"#))?;
    let response = send(&state, login).await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    Ok(())
}

async fn the_bearer_token_opens_the_api_and_the_session_cookie_opens_media(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = guarded_state(&library)?;
    let request = Request::get("/api/search?q=scene")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())?;
    let response = send(&state, request).await?;
    assert_eq!(response.status(), StatusCode::OK);
    let hits = crate::support::json(response).await?;
    assert!(
        hits["hits"].as_array().is_some_and(|hits| hits
            .iter()
            .any(|hit| hit["asset"]["id"] == library.slate.id.as_str())),
        "{hits}"
    );

    // The UI trades the token for a cookie that <img> and <video> send by themselves.
    let login = Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(r#"{{"token": "{TOKEN}"}}"#)))?;
    let response = send(&state, login).await?;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cookie = response.headers()[header::SET_COOKIE].to_str()?.to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let pair = cookie.split(';').next().unwrap_or_default().to_string();
    let media = Request::get(format!("/media/{}", library.slate.id))
        .header(header::COOKIE, format!("theme=dark; {pair}"))
        .header(header::RANGE, "bytes=0-99")
        .body(Body::empty())?;
    let response = send(&state, media).await?;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(crate::support::body_bytes(response).await?.len(), 100);
    let thumb = Request::get(format!("/thumbs/{}/1000.jpg", library.slate.id))
        .header(header::COOKIE, pair.as_str())
        .body(Body::empty())?;
    let response = send(&state, thumb).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        crate::support::body_bytes(response)
            .await?
            .starts_with(&[0xff, 0xd8])
    );
    Ok(())
}

#[tokio::test]
async fn a_guarded_server_still_serves_the_ui_shell_so_it_can_ask_for_the_token() -> TestResult {
    let library = library()?;
    let state = guarded_state(&library)?;
    for uri in ["/", "/js/app.js", "/js/auth.js", "/style.css"] {
        let response = get(&state, uri).await?;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert_eq!(
            response.headers()[header::CONTENT_SECURITY_POLICY],
            rushes_server::CONTENT_SECURITY_POLICY
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_loopback_server_without_a_token_stays_open() -> TestResult {
    let library = library()?;
    let state = state(&library)?;
    assert_eq!(
        get(&state, "/api/search?q=scene").await?.status(),
        StatusCode::OK
    );
    let login = Request::post("/api/session").body(Body::empty())?;
    assert_eq!(send(&state, login).await?.status(), StatusCode::NO_CONTENT);
    Ok(())
}

/// `method uri` with these headers (a `Host` of its own among them, or none at all).
fn request_with(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<serde_json::Value>,
) -> Result<Request<Body>, Box<dyn std::error::Error>> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    Ok(match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::to_vec(&body)?))?,
        None => builder.body(Body::empty())?,
    })
}

// Regression (issue 18, DNS rebinding): the server answered any Host, so a page whose own
// name was rebound to 127.0.0.1 became same-origin with the UI and could read everything.
#[tokio::test]
async fn a_request_naming_another_host_gets_421_on_every_route_ui_files_included() -> TestResult {
    let library = library()?;
    let open = state(&library)?;
    let guarded = guarded_state(&library)?;
    let bearer = format!("Bearer {TOKEN}");
    let mut uris = data_uris(&library);
    uris.extend(["/".to_string(), "/js/app.js".to_string()]);
    for state in [&open, &guarded] {
        for uri in &uris {
            for host in [
                "evil.example",
                "evil.example:7878",
                "localhost.evil.example",
            ] {
                let request = request_with(
                    "GET",
                    uri,
                    &[("host", host), ("authorization", bearer.as_str())],
                    None,
                )?;
                let message = crate::support::assert_error(
                    send(state, request).await?,
                    StatusCode::MISDIRECTED_REQUEST,
                    "misdirected_request",
                )
                .await?;
                assert!(message.contains("--allow-host"), "{uri}: {message}");
            }
        }
        // HTTP/1.1 requires a Host: a request without one is refused too.
        let request = request_with("GET", "/api/status", &[], None)?;
        let response = crate::support::send_as_is(state, request).await?;
        assert_eq!(response.status(), StatusCode::MISDIRECTED_REQUEST);
        // A write to a foreign name never reaches the handler.
        let split = request_with(
            "POST",
            "/api/faces/1/split",
            &[("host", "evil.example")],
            None,
        )?;
        assert_eq!(
            send(state, split).await?.status(),
            StatusCode::MISDIRECTED_REQUEST
        );
    }
    // The refusal still carries the security headers.
    let request = request_with("GET", "/", &[("host", "evil.example")], None)?;
    let response = send(&open, request).await?;
    assert_eq!(
        response.headers()[header::CONTENT_SECURITY_POLICY],
        rushes_server::CONTENT_SECURITY_POLICY
    );
    Ok(())
}

#[tokio::test]
async fn the_names_the_server_is_reached_by_and_allowed_names_are_answered() -> TestResult {
    let library = library()?;
    let open = state(&library)?;
    for host in [
        "localhost",
        "LocalHost:7878",
        "127.0.0.1:7878",
        "[::1]:7878",
    ] {
        let request = request_with("GET", "/api/status", &[("host", host)], None)?;
        assert_eq!(
            send(&open, request).await?.status(),
            StatusCode::OK,
            "{host}"
        );
    }
    // The address it listens on; on 0.0.0.0 any address (an address cannot be rebound).
    let lan = open.clone().listening_on("192.168.1.20".parse()?);
    let all = open.clone().listening_on("0.0.0.0".parse()?);
    for (state, host, expected) in [
        (&lan, "192.168.1.20:7878", StatusCode::OK),
        (&lan, "192.168.1.21:7878", StatusCode::MISDIRECTED_REQUEST),
        (&all, "10.1.2.3:7878", StatusCode::OK),
        (&all, "nas.local:7878", StatusCode::MISDIRECTED_REQUEST),
    ] {
        let request = request_with("GET", "/api/status", &[("host", host)], None)?;
        assert_eq!(send(state, request).await?.status(), expected, "{host}");
    }
    // A reverse proxy's name, allowed with --allow-host.
    let config = rushes_server::ServerConfig {
        allowed_hosts: vec![rushes_server::AllowedHost::new("rushes.example.com")?],
        ..rushes_server::ServerConfig::default()
    };
    let proxied = rushes_server::AppState::new(library.index.clone(), config)?;
    for (host, expected) in [
        ("rushes.example.com", StatusCode::OK),
        ("Rushes.Example.Com:443", StatusCode::OK),
        ("other.example.com", StatusCode::MISDIRECTED_REQUEST),
    ] {
        let request = request_with("GET", "/api/status", &[("host", host)], None)?;
        assert_eq!(send(&proxied, request).await?.status(), expected, "{host}");
    }
    Ok(())
}

/// The hostile headers a browser puts on a request from another page.
const CROSS_SITE_MARKS: [&[(&str, &str)]; 5] = [
    &[("sec-fetch-site", "cross-site")],
    &[("sec-fetch-site", "same-site")],
    &[("origin", "https://evil.example")],
    &[("origin", "http://127.0.0.1:9999")],
    &[("origin", "null")],
];

// Regression (issue 18, cross-site writes): a plain form post or a no-cors fetch from any
// page split faces, and could make every other change; loopback and token mode alike.
async fn cross_site_writes_are_refused_and_change_nothing_own_origin_writes_work(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let open = state(&library)?;
    let guarded = guarded_state(&library)?;
    let bearer = format!("Bearer {TOKEN}");
    let annotate = format!("/api/assets/{}/annotations", library.slate.id);
    let writes = [
        (
            "POST",
            "/api/collections",
            Some(serde_json::json!({"name": "stolen"})),
        ),
        (
            "PATCH",
            "/api/collections/selects",
            Some(serde_json::json!({"name": "x"})),
        ),
        ("DELETE", "/api/collections/selects", None),
        (
            "POST",
            annotate.as_str(),
            Some(serde_json::json!({"add": ["pwned"]})),
        ),
        ("POST", "/api/faces/1/split", None),
        (
            "POST",
            "/api/people/1/name",
            Some(serde_json::json!({"name": "x"})),
        ),
        (
            "POST",
            "/api/session",
            Some(serde_json::json!({"token": TOKEN})),
        ),
    ];
    for state in [&open, &guarded] {
        for marks in CROSS_SITE_MARKS {
            for (method, uri, body) in &writes {
                let mut headers = vec![
                    ("host", "127.0.0.1:7878"),
                    ("authorization", bearer.as_str()),
                ];
                headers.extend_from_slice(marks);
                let request = request_with(method, uri, &headers, body.clone())?;
                let message = crate::support::assert_error(
                    send(state, request).await?,
                    StatusCode::FORBIDDEN,
                    "cross_site",
                )
                .await?;
                assert!(
                    message.contains("another"),
                    "{method} {uri} {marks:?}: {message}"
                );
            }
        }
        // Nothing changed.
        let listing = request_with(
            "GET",
            "/api/collections",
            &[("authorization", bearer.as_str())],
            None,
        )?;
        let collections = crate::support::json(send(state, listing).await?).await?;
        assert_eq!(collections, serde_json::json!([]), "{collections}");
        let tags = request_with(
            "GET",
            &annotate,
            &[("authorization", bearer.as_str())],
            None,
        )?;
        let tags = crate::support::json(send(state, tags).await?).await?;
        assert!(!tags.to_string().contains("pwned"), "{tags}");
    }
    // The UI's own requests (same origin) and clients without browser headers still write.
    for (state, headers) in [
        (
            &open,
            vec![
                ("host", "127.0.0.1:7878"),
                ("origin", "http://127.0.0.1:7878"),
                ("sec-fetch-site", "same-origin"),
            ],
        ),
        (&open, vec![("host", "localhost:7878")]),
        (
            &guarded,
            vec![
                ("host", "localhost:7878"),
                ("origin", "http://localhost:7878"),
                ("authorization", bearer.as_str()),
            ],
        ),
    ] {
        let request = request_with(
            "POST",
            "/api/collections",
            &headers,
            Some(serde_json::json!({"name": "selects"})),
        )?;
        let response = send(state, request).await?;
        assert!(
            response.status().is_success(),
            "{headers:?}: {}",
            response.status()
        );
    }
    Ok(())
}

// Cross-site reads: another site may link to the UI, but not fetch or embed the library's
// data, media or thumbnails (a <video> from another site would learn durations and sizes).
async fn another_site_cannot_fetch_or_embed_data_but_may_link_to_the_ui(
    backend: Backend,
) -> TestResult {
    let library = library_on(backend)?;
    let state = state(&library)?;
    let media = format!("/media/{}", library.slate.id);
    let thumb = format!("/thumbs/{}/1000.jpg", library.slate.id);
    for (uri, mode, dest) in [
        ("/api/search?q=scene", "cors", "empty"),
        ("/api/search?q=scene", "no-cors", "script"),
        (media.as_str(), "no-cors", "video"),
        (thumb.as_str(), "no-cors", "image"),
        (media.as_str(), "navigate", "iframe"),
    ] {
        for site in ["cross-site", "same-site"] {
            let headers = [
                ("sec-fetch-site", site),
                ("sec-fetch-mode", mode),
                ("sec-fetch-dest", dest),
            ];
            let request = request_with("GET", uri, &headers, None)?;
            crate::support::assert_error(
                send(&state, request).await?,
                StatusCode::FORBIDDEN,
                "cross_site",
            )
            .await?;
        }
    }
    for uri in ["/", "/api/status"] {
        let headers = [
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
        ];
        let request = request_with("GET", uri, &headers, None)?;
        assert_eq!(
            send(&state, request).await?.status(),
            StatusCode::OK,
            "{uri}"
        );
    }
    // The UI's own page loading its scripts and thumbnails.
    for uri in ["/js/app.js", thumb.as_str()] {
        let headers = [
            ("sec-fetch-site", "same-origin"),
            ("sec-fetch-mode", "no-cors"),
        ];
        let request = request_with("GET", uri, &headers, None)?;
        assert_eq!(
            send(&state, request).await?.status(),
            StatusCode::OK,
            "{uri}"
        );
    }
    Ok(())
}

// Regression (issue 18): the session cookie carried the raw access token and never expired.
#[tokio::test]
async fn the_session_cookie_is_a_signed_expiring_value_not_the_token() -> TestResult {
    let library = library()?;
    let state = guarded_state(&library)?;
    let login = Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(r#"{{"token": "{TOKEN}"}}"#)))?;
    let response = send(&state, login).await?;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cookie = response.headers()[header::SET_COOKIE].to_str()?.to_string();
    assert!(!cookie.contains(TOKEN), "{cookie}");
    let max_age = format!("Max-Age={}", rushes_server::SESSION_SECONDS);
    assert!(cookie.contains(&max_age), "{cookie}");
    let pair = cookie.split(';').next().unwrap_or_default().to_string();
    let value = pair
        .strip_prefix(&format!("{}=", rushes_server::SESSION_COOKIE))
        .unwrap_or_default();
    let (expiry, signature) = value.split_once('.').unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let expiry: u64 = expiry.parse()?;
    assert!(
        expiry.abs_diff(now + rushes_server::SESSION_SECONDS) < 60,
        "{cookie}"
    );

    let media = format!("/media/{}", library.slate.id);
    let with_cookie = |value: String| {
        Request::get(media.as_str())
            .header(header::RANGE, "bytes=0-9")
            .header(
                header::COOKIE,
                format!("{}={value}", rushes_server::SESSION_COOKIE),
            )
            .body(Body::empty())
    };
    assert_eq!(
        send(&state, with_cookie(value.to_string())?)
            .await?
            .status(),
        StatusCode::PARTIAL_CONTENT
    );
    // The token itself as the cookie (what the server used to set), the signature with a
    // later expiry, and a cookie of another server run: all refused.
    for forged in [
        TOKEN.to_string(),
        format!("{}.{signature}", expiry + 86_400),
        format!("{}.{signature}", now - 1),
    ] {
        let response = send(&state, with_cookie(forged.clone())?).await?;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{forged}");
    }
    let restarted = guarded_state(&library)?;
    assert_eq!(
        send(&restarted, with_cookie(value.to_string())?)
            .await?
            .status(),
        StatusCode::UNAUTHORIZED
    );
    Ok(())
}

on_both_backends!(
    every_response_carries_csp_and_nosniff_and_no_cors,
    a_guarded_server_answers_401_without_the_token_and_never_serves_data,
    the_bearer_token_opens_the_api_and_the_session_cookie_opens_media,
    cross_site_writes_are_refused_and_change_nothing_own_origin_writes_work,
    another_site_cannot_fetch_or_embed_data_but_may_link_to_the_ui,
);
