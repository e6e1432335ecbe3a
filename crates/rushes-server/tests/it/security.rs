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
