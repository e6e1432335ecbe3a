//! `GET /thumbs/{asset_id}/{file}.jpg`: moment and frame thumbnails from the index's
//! thumbnail store (its files under the index's `thumbs/`). Both path segments are
//! validated strictly so that no request can name a file outside that folder.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rushes_core::AssetId;
use tower::ServiceExt;
use tower_http::services::ServeFile;

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
    request: Request,
) -> Result<Response, ApiError> {
    let Path((asset, file)) = segments?;
    let asset = AssetId::parse(&asset).ok_or_else(|| ApiError::bad_request("not an asset id"))?;
    if !is_thumbnail_file_name(&file) {
        return Err(ApiError::bad_request("not a thumbnail file name"));
    }
    let path = state.thumbnail_file(&format!("{asset}/{file}"));
    if !path.is_file() {
        return Err(ApiError::not_found("no such thumbnail"));
    }
    let mut response = ServeFile::new(&path)
        .oneshot(request)
        .await
        .map_err(|error| ApiError::internal("serving thumbnail", error))?
        .into_response();
    // Thumbnails are named by time inside an asset and rewritten only on re-index.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(response)
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
