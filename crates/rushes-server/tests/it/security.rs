//! Security headers on every kind of response, and no CORS.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::support::{TestResult, get, library, send, state};

#[tokio::test]
async fn every_response_carries_csp_and_nosniff_and_no_cors() -> TestResult {
    let library = library()?;
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
    Ok(rushes_server::AppState::new(library.index.clone(), config)?)
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

#[tokio::test]
async fn a_guarded_server_answers_401_without_the_token_and_never_serves_data() -> TestResult {
    let library = library()?;
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

#[tokio::test]
async fn the_bearer_token_opens_the_api_and_the_session_cookie_opens_media() -> TestResult {
    let library = library()?;
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
