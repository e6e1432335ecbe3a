//! `GET /media/{asset_id}` and `GET /media/{asset_id}/proxy`: the original file or an
//! H.264/AAC proxy of it, by asset id (the path comes from the index, never from the
//! request), with HTTP Range through `tower_http::services::ServeFile` (which files a browser
//! plays natively is `rushes_search::playback_for`'s call). Serves a playable file whose container timeline
//! starts late (an MP4 with an edit list or `-output_ts_offset`) as a copy remuxed to start
//! at 0, so the player's `currentTime` counts from the first frame as moment times do
//! (both made files are `proxies`').
//!
//! Nothing is served from a source that is no longer the file indexed (its size or
//! modification time differ, or a symbolic link now points at something else): 409
//! `changed_since_indexed`. A Range of several parts or of a unit other than bytes is
//! ignored (200 with the whole file, as RFC 9110 allows) rather than refused.

use std::path::Path as FsPath;

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rushes_core::{Asset, AssetKind};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::error::ApiError;
use crate::proxies::ProxyRecipe;
use crate::state::AppState;

/// The asset a `/media/{asset_id}…` URL names, looked up in the index: 400 when the id is
/// malformed, 404 when the index has no such asset.
pub struct RequestedAsset(Asset);

impl FromRequestParts<AppState> for RequestedAsset {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state).await?;
        Ok(Self(state.asset_by_id_text(&id).await?))
    }
}

pub async fn get_original(
    State(state): State<AppState>,
    RequestedAsset(asset): RequestedAsset,
    request: Request,
) -> Result<Response, ApiError> {
    unchanged_since_indexed(&asset).await?;
    if asset.kind == AssetKind::Video && state.proxies().starts_late(&asset).await {
        let rebased = state
            .proxies()
            .ensure_made(&asset, ProxyRecipe::RebasedCopy)
            .await?;
        return serve_file(&rebased, request).await;
    }
    let mut response = serve_file(&asset.path, request).await?;
    // Checked again once the file is open: a swap between the first check and the open
    // would otherwise be served.
    unchanged_since_indexed(&asset).await?;
    // `.mov` is the same ISO media family as mp4; browsers play it when told so.
    if asset
        .path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("mov"))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    }
    Ok(response)
}

pub async fn get_proxy(
    State(state): State<AppState>,
    RequestedAsset(asset): RequestedAsset,
    request: Request,
) -> Result<Response, ApiError> {
    if asset.kind == AssetKind::Image {
        return Err(ApiError::bad_request(
            "stills have no proxy; use the thumbnail",
        ));
    }
    unchanged_since_indexed(&asset).await?;
    let proxy = state
        .proxies()
        .ensure_made(&asset, ProxyRecipe::Transcode)
        .await?;
    serve_file(&proxy, request).await
}

/// 404 when the asset's file is gone from where the index last saw it; 409 when what is
/// there now (a symbolic link followed: what would be served) is not the file indexed.
async fn unchanged_since_indexed(asset: &Asset) -> Result<(), ApiError> {
    let metadata = match tokio::fs::metadata(&asset.path).await {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::not_found(format!(
                "the file is no longer at {}",
                asset.path.display()
            )));
        }
        Err(error) => {
            return Err(ApiError::internal(
                "reading the media file's metadata",
                error,
            ));
        }
    };
    if asset.matches_file(&metadata) {
        return Ok(());
    }
    tracing::warn!(path = %asset.path.display(), "not serving a file that changed since it was indexed");
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "changed_since_indexed",
        format!(
            "{} changed since it was indexed (size or modification time differ): run rushes index",
            asset.path.display()
        ),
    ))
}

/// Drops a Range header that asks for several ranges or for a unit other than bytes:
/// RFC 9110 lets a server ignore it and send the whole file (200), which every client
/// understands, where `ServeFile` would refuse it (416). A single byte range stays.
fn ignore_unsupported_range(request: &mut Request) {
    let supported = request.headers().get(header::RANGE).is_none_or(|value| {
        let value = value.as_bytes();
        value.len() > 6 && value[..6].eq_ignore_ascii_case(b"bytes=") && !value.contains(&b',')
    });
    if !supported {
        request.headers_mut().remove(header::RANGE);
    }
}

async fn serve_file(path: &FsPath, mut request: Request) -> Result<Response, ApiError> {
    ignore_unsupported_range(&mut request);
    let response = ServeFile::new(path)
        .oneshot(request)
        .await
        .map_err(|error| ApiError::internal("serving media", error))?;
    Ok(response.into_response())
}
