//! `GET /thumbs/{asset_id}/{file}.jpg`: moment and frame thumbnails, read through the
//! index's thumbnail store, and [`serve_thumbnail`], which the face thumbnails share. Both
//! path segments are validated strictly here (the store checks the path again) so that no
//! request can name anything outside the store.

use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rushes_core::AssetId;

use crate::error::ApiError;
use crate::state::AppState;

/// True for `<digits>.jpg` with a sane length: the only thumbnail file names the indexer
/// writes (the thumbnail store's rule).
pub fn is_thumbnail_file_name(name: &str) -> bool {
    rushes_store::thumbnails::is_frame_thumbnail_name(name)
}

pub async fn get_thumbnail(
    State(state): State<AppState>,
    segments: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path((asset, file)) = segments?;
    let asset = AssetId::parse(&asset).ok_or_else(|| ApiError::bad_request("not an asset id"))?;
    if !is_thumbnail_file_name(&file) {
        return Err(ApiError::bad_request("not a thumbnail file name"));
    }
    // Thumbnails are named by time inside an asset and rewritten only on re-index.
    let caching = ThumbnailCaching {
        cache_control: "private, max-age=3600",
        missing: "no such thumbnail",
    };
    serve_thumbnail(&state, format!("{asset}/{file}"), &headers, caching).await
}

/// How a kind of thumbnail is cached, and what its 404 says.
pub(crate) struct ThumbnailCaching {
    pub cache_control: &'static str,
    pub missing: &'static str,
}

/// A thumbnail from the index's thumbnail store by its checked relative path: `image/jpeg`
/// with `Last-Modified` when the store knows it, `304 Not Modified` when the browser's copy
/// (`If-Modified-Since`) is still current, 404 when the store holds none.
pub(crate) async fn serve_thumbnail(
    state: &AppState,
    relative: String,
    request: &HeaderMap,
    caching: ThumbnailCaching,
) -> Result<Response, ApiError> {
    let searcher = state.searcher();
    let stored = tokio::task::spawn_blocking(move || searcher.index().thumbnails().read(&relative))
        .await
        .map_err(|error| ApiError::internal("thumbnail task", error))?
        .map_err(|error| ApiError::internal("reading thumbnail", error))?
        .ok_or_else(|| ApiError::not_found(caching.missing))?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(caching.cache_control),
    );
    if let Some(modified) = stored.modified {
        if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
            headers.insert(header::LAST_MODIFIED, value);
        }
        if not_modified_since(request, modified) {
            return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
        }
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    Ok((StatusCode::OK, headers, Body::from(stored.jpeg)).into_response())
}

/// True when the request's `If-Modified-Since` is no earlier than `modified` (to the whole
/// second, an HTTP date's precision).
fn not_modified_since(request: &HeaderMap, modified: SystemTime) -> bool {
    let Some(since) = request
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| httpdate::parse_http_date(text).ok())
    else {
        return false;
    };
    let whole_seconds = |time: SystemTime| {
        time.duration_since(SystemTime::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0)
    };
    whole_seconds(modified) <= whole_seconds(since)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digit_jpg_names_are_thumbnails() {
        assert!(is_thumbnail_file_name("12500.jpg"));
        for bad in [
            "",
            ".jpg",
            "../1.jpg",
            "1.jpeg",
            "1.jpg/",
            "a1.jpg",
            "1.jpg\0",
            "/etc/passwd",
            "..%2f1.jpg",
        ] {
            assert!(!is_thumbnail_file_name(bad), "{bad:?}");
        }
    }
}
