//! `GET /media/{asset_id}` and `GET /media/{asset_id}/proxy`: the original file or an
//! H.264/AAC proxy of it, by asset id (the path comes from the index, never from the
//! request), with HTTP Range through `tower_http::services::ServeFile` (which files a browser
//! plays natively is `rushes_search::playback_for`'s call). Serves a playable file whose container timeline
//! starts late (an MP4 with an edit list or `-output_ts_offset`) as a copy remuxed to start
//! at 0, so the player's `currentTime` counts from the first frame as moment times do.
//!
//! Nothing is served from a source that is no longer the file indexed (its size or
//! modification time differ, or a symbolic link now points at something else): 409
//! `changed_since_indexed`. A Range of several parts or of a unit other than bytes is
//! ignored (200 with the whole file, as RFC 9110 allows) rather than refused.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rushes_core::{Asset, AssetId, AssetKind};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::AppState;
use crate::error::ApiError;

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

/// Container start times above this many seconds are rebased for the browser: Chromium
/// shows such an MP4 on its raw timeline (a seek to a moment's start lands before the
/// first frame). The B-frame delay and audio priming of ordinary camera and phone files
/// (two or three frames, under 0.15 s) stay below it: a copy of a multi-GB file is not worth
/// a seek a few frames early.
const LATE_START_SECONDS: f64 = 0.25;

/// The two kinds of file made from a source for the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyRecipe {
    /// H.264/AAC transcode of a file browsers cannot play.
    Transcode,
    /// The same streams remuxed (`-c copy`) so the timeline starts at 0.
    RebasedCopy,
}

impl ProxyRecipe {
    fn file_suffix(self) -> &'static str {
        match self {
            ProxyRecipe::Transcode => "",
            ProxyRecipe::RebasedCopy => "-rebased",
        }
    }

    fn codec_args(self) -> &'static [&'static str] {
        match self {
            ProxyRecipe::Transcode => &[
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-pix_fmt",
                "yuv420p",
                "-vf",
                "scale='trunc(min(1920,iw)/2)*2':-2",
                "-c:a",
                "aac",
                "-b:a",
                "160k",
                "-ac",
                "2",
            ],
            ProxyRecipe::RebasedCopy => &["-c", "copy"],
        }
    }
}

/// Browser-playable proxies made on demand under `<index>/proxies/`, each made once even
/// when requested concurrently (one lock per proxy file), written to `.part` then renamed.
/// Also remembers which sources start late (one ffprobe per source and server run).
#[derive(Debug)]
pub struct ProxyCache {
    dir: PathBuf,
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    late_starts: Mutex<HashMap<PathBuf, bool>>,
}

impl ProxyCache {
    /// ffmpeg and ffprobe run through `rushes-media` (`RUSHES_FFMPEG`, `RUSHES_FFPROBE`,
    /// timeouts, a missing tool named as such).
    pub fn new(dir: PathBuf) -> ProxyCache {
        ProxyCache {
            dir,
            in_flight: Mutex::new(HashMap::new()),
            late_starts: Mutex::new(HashMap::new()),
        }
    }

    /// A made file's name changes with the source's content, so a re-shot file under the
    /// same name never gets a stale proxy.
    fn made_path(&self, asset: &Asset, recipe: ProxyRecipe) -> PathBuf {
        let hash: String = asset
            .content_hash
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect();
        self.dir
            .join(format!("{}-{hash}{}.mp4", asset.id, recipe.file_suffix()))
    }

    /// True when the container's timeline starts more than [`LATE_START_SECONDS`] after 0.
    /// A source ffprobe cannot read counts as starting at 0 (it is served as it is, and the
    /// failure is logged), and is asked again next time.
    pub async fn starts_late(&self, asset: &Asset) -> bool {
        let key = self.made_path(asset, ProxyRecipe::RebasedCopy);
        if let Ok(known) = self.late_starts.lock()
            && let Some(late) = known.get(&key)
        {
            return *late;
        }
        let late = match self.container_start_seconds(&asset.path).await {
            Ok(start) => start > LATE_START_SECONDS,
            Err(error) => {
                tracing::warn!(path = %asset.path.display(), %error, "could not read the start time; serving the file as it is");
                return false;
            }
        };
        if let Ok(mut known) = self.late_starts.lock() {
            known.insert(key, late);
        }
        late
    }

    async fn container_start_seconds(&self, source: &FsPath) -> Result<f64, ProxyError> {
        let source = source.to_path_buf();
        let start =
            tokio::task::spawn_blocking(move || rushes_media::container_start_seconds(&source))
                .await??;
        Ok(start)
    }

    /// Returns the file `recipe` makes from `asset`, making it first when it does not exist
    /// yet.
    pub async fn ensure_made(
        &self,
        asset: &Asset,
        recipe: ProxyRecipe,
    ) -> Result<PathBuf, ApiError> {
        let target = self.made_path(asset, recipe);
        if target.is_file() {
            return Ok(target);
        }
        let lock = {
            let mut in_flight = self
                .in_flight
                .lock()
                .map_err(|_| ApiError::internal("proxy cache", "lock poisoned"))?;
            in_flight
                .entry(target.to_string_lossy().into_owned())
                .or_default()
                .clone()
        };
        let guard = lock.lock_owned().await;
        if target.is_file() {
            return Ok(target);
        }
        // The ffmpeg runs in its own task holding the lock, so a client that goes away
        // neither kills it half-way nor lets a second ffmpeg start on the same file.
        let job = tokio::spawn(make_proxy(
            asset.path.clone(),
            asset.media.duration,
            target.clone(),
            recipe,
            guard,
        ));
        match job.await {
            Ok(Ok(())) => Ok(target),
            Ok(Err(error)) => Err(ApiError::internal(
                &format!("making proxy of {}", asset.path.display()),
                error,
            )),
            Err(error) => Err(ApiError::internal("proxy task", error)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum ProxyError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Media(#[from] rushes_media::MediaError),
    #[error("the ffmpeg task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

async fn make_proxy(
    source: PathBuf,
    duration: Option<f64>,
    target: PathBuf,
    recipe: ProxyRecipe,
    _guard: tokio::sync::OwnedMutexGuard<()>,
) -> Result<(), ProxyError> {
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let part = target.with_extension("mp4.part");
    tracing::info!(source = %source.display(), ?recipe, "making a browser-playable proxy");
    let written = {
        let part = part.clone();
        tokio::task::spawn_blocking(move || {
            rushes_media::write_playable_mp4(&source, &part, recipe.codec_args(), duration)
        })
        .await?
    };
    if let Err(error) = written {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(error.into());
    }
    tokio::fs::rename(&part, &target).await?;
    Ok(())
}

/// Parses an asset id from a request path segment: 400 when it is not one.
pub fn parse_asset_id(text: &str) -> Result<AssetId, ApiError> {
    AssetId::parse(text).ok_or_else(|| ApiError::bad_request("not an asset id (16 hex characters)"))
}
