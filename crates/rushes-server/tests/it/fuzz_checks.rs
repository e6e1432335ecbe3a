//! What every fuzz input of the query surface must satisfy, shared by the cargo-fuzz targets
//! in `fuzz/` (included by path) and the corpus regression tests of `make test`: the query
//! parser never panics and points its refusals inside the query; `GET /api/search?<bytes>`
//! answers 200 or a 4xx with the JSON error shape, never a 5xx.

use axum::body::Body;
use axum::http::{Request, Uri, header};
use rushes_server::{AppState, router};
use tower::ServiceExt;

/// Any bytes typed into the search box.
pub fn check_query_text(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Err(error) = rushes_store::query::parse(text) {
        assert!(
            error.offset <= text.len(),
            "offset {} beyond the query",
            error.offset
        );
        assert!(
            text.is_char_boundary(error.offset),
            "offset {} splits a character",
            error.offset
        );
        assert!(!error.message.is_empty());
    }
}

/// Any bytes as the query string of `GET /api/search`. Bytes that do not form a URI are
/// refused by the HTTP parser before the router sees them, so they are skipped here.
pub async fn check_search_query_string(state: &AppState, bytes: &[u8]) {
    let Ok(query) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(uri) = format!("/api/search?{query}").parse::<Uri>() else {
        return;
    };
    let Ok(request) = Request::get(uri)
        .header(header::HOST, "localhost")
        .body(Body::empty())
    else {
        return;
    };
    let Ok(response) = router(state.clone()).oneshot(request).await;
    let status = response.status();
    assert!(
        status.is_success() || status.is_client_error(),
        "status {status} for ?{query}"
    );
    let Ok(body) = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024).await else {
        panic!("unreadable body for ?{query}");
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => panic!("not JSON ({error}) for ?{query}"),
    };
    if status.is_success() {
        assert!(value["hits"].is_array(), "{value}");
    } else {
        assert!(value["error"]["code"].is_string(), "{value}");
    }
}
