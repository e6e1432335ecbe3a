//! The web UI: static files from `web/` embedded in the binary (read from disk in debug
//! builds, so editing the UI needs no rebuild). Owns only serving them, not the API.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/"]
struct WebAssets;

/// Serves `GET /` and the UI's files. The UI keeps its views in the query string
/// (`/?q=`, `/?asset=`, `/?view=library`): any other page URL (a last segment without a
/// file extension) is a 404 whose body is the UI, which shows its own not-found view; a
/// missing file (`/js/nope.js`) is a plain 404.
pub async fn serve_web(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if is_safe_relative_path(path)
        && let Some(response) = embedded(path)
    {
        return response;
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    if !last.contains('.')
        && let Some(page) = embedded("index.html")
    {
        return (StatusCode::NOT_FOUND, page).into_response();
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// Plain relative names only: no `..`, no empty or dot segments, no backslashes, no
/// percent-escapes, no NUL. (Debug builds read these files from disk.)
fn is_safe_relative_path(path: &str) -> bool {
    path.split('/')
        .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
        && !path.contains(['\\', '%', '\0', ':'])
}

fn embedded(path: &str) -> Option<Response> {
    let file = WebAssets::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime.as_ref()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    // The UI is small and changes with the binary: revalidate every time.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_looked_up() {
        assert!(is_safe_relative_path("js/app.js"));
        for bad in [
            "../Cargo.toml",
            "js/../../secret",
            "/etc/passwd",
            "js//app.js",
            "a\\b",
            "%2e%2e/x",
            "c:x",
            "x\0",
        ] {
            assert!(!is_safe_relative_path(bad), "{bad:?}");
        }
    }
}
