//! The JSON API under `/api`: search (text, image, similar), assets, facets and status.
//! Validates and bounds every parameter, runs the query engine (`rushes_search::Searcher`)
//! off the async threads, and answers its finished hits (the same objects as
//! `rushes search --json`) with the page's bounds. The bounds of a search request
//! ([`MAX_QUERY_BYTES`], [`MAX_LIMIT`]) are this module's; the CLI checks `--limit` by them.

use std::collections::BTreeMap;
use std::path::Path;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, Multipart, Path as UrlPath, Query, Request, State};
use axum::http::{Uri, header};
use rushes_core::{Asset, AssetId, MediaInfo, RunProgress};
use rushes_search::{AssetSummary, Found, Playback, Searcher, playback_for};
use rushes_store::{AssetDetail, Facets, IndexStatus, MomentDetail, SearchRequest, Sort};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, store_error, visual_off};
use crate::state::{AppState, parse_asset_id};
use rushes_store::thumbnails::{ThumbnailStore, thumbnail_url};

/// Longest query string accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 1024;
/// Most hits one search request may ask for, from the API (`limit=`) or the CLI (`--limit`).
pub const MAX_LIMIT: usize = 200;

/// Checks a requested number of results: at least 1, at most `max`. One rule, with one
/// message, for the API (`limit=`, answered 400) and the CLI (`rushes search --limit`).
pub fn check_result_limit(limit: usize, max: usize) -> Result<usize, String> {
    match limit {
        0 => Err(String::from("limit must be at least 1")),
        n if n > max => Err(format!("limit must be at most {max}")),
        n => Ok(n),
    }
}
/// Hits per page when the request does not say.
const DEFAULT_LIMIT: usize = 50;
/// Assets per page of `/api/assets` when the request does not say.
const DEFAULT_ASSET_PAGE: usize = 100;
/// Most assets one `/api/assets` page may ask for.
const MAX_ASSET_PAGE: usize = 1000;

/// Runs blocking index work (SQLite, Tantivy, ONNX) on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Searcher) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let searcher = state.searcher();
    tokio::task::spawn_blocking(move || work(&searcher))
        .await
        .map_err(|error| ApiError::internal("index task", error))?
}

// ------------------------------------------------------------------ wire shapes

/// A page of hits: rushes-search's [`Found`] (as `rushes search --json` prints it: hits with
/// their source timecode, playback and hand text, and `assets` describing each asset the
/// hits belong to) and the page's bounds.
#[derive(Debug, Serialize)]
pub struct SearchPage {
    #[serde(flatten)]
    pub found: Found,
    pub offset: usize,
    pub limit: usize,
}

pub(crate) fn search_page(found: Found, offset: usize, limit: usize) -> SearchPage {
    SearchPage {
        found,
        offset,
        limit,
    }
}

/// Source timecode of a time in a file, as the UI shows it; `None` when the file has no
/// (readable) start timecode or rate.
pub(crate) fn timecode_text(media: &MediaInfo, seconds: f64) -> Option<String> {
    rushes_core::timecode::source_timecode(media, seconds).map(|timecode| timecode.to_string())
}

// ------------------------------------------------------------------ parameters

pub(crate) fn check_query(q: &str) -> Result<(), ApiError> {
    if q.len() > MAX_QUERY_BYTES {
        return Err(ApiError::bad_query(format!(
            "the query is longer than {MAX_QUERY_BYTES} bytes"
        )));
    }
    if q.contains('\0') {
        return Err(ApiError::bad_query("the query contains a NUL character"));
    }
    Ok(())
}

pub(crate) fn check_limit(
    limit: Option<usize>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) => check_result_limit(n, max).map_err(ApiError::bad_request),
    }
}

pub(crate) fn check_offset(offset: Option<usize>) -> Result<usize, ApiError> {
    match offset.unwrap_or(0) {
        n if n > 100_000 => Err(ApiError::bad_request("offset must be at most 100000")),
        n => Ok(n),
    }
}

fn parse_sort(sort: Option<&str>) -> Result<Sort, ApiError> {
    match sort.unwrap_or("relevance") {
        "" | "relevance" => Ok(Sort::Relevance),
        "date" => Ok(Sort::Date),
        "path" => Ok(Sort::Path),
        other => Err(ApiError::bad_request(format!(
            "unknown sort {other:?}: use relevance, date or path"
        ))),
    }
}

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    limit: Option<usize>,
    offset: Option<usize>,
    sort: Option<String>,
    /// At most this many hits from one file; 0: no limit (as `rushes search --per-asset`).
    per_asset: Option<usize>,
}

// ------------------------------------------------------------------ handlers

/// `GET /api/search?q=&limit=&offset=&sort=&per_asset=`
pub async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchPage>, ApiError> {
    let Query(params) = params?;
    check_query(&params.q)?;
    let limit = check_limit(params.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = check_offset(params.offset)?;
    let request = SearchRequest {
        query: params.q,
        limit,
        offset,
        sort: parse_sort(params.sort.as_deref())?,
        per_asset: params
            .per_asset
            .unwrap_or(SearchRequest::default().per_asset),
        ..SearchRequest::default()
    };
    let page = blocking(&state, move |searcher| {
        Ok(search_page(searcher.search(&request)?, offset, limit))
    })
    .await?;
    Ok(Json(page))
}

#[derive(Debug, Deserialize)]
pub struct ImageParams {
    limit: Option<usize>,
    #[serde(default)]
    q: String,
}

/// How an image upload is sent: the only two `Content-Type`s image search reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upload {
    /// `multipart/form-data`: the image is the form's first file (or its `image` field).
    Form,
    /// `image/*`: the body is the image.
    Image,
}

/// The kind of upload a `Content-Type` names, if image search reads it. Anything else
/// (text/plain, which a page of another site may send without asking first) is refused.
fn upload_kind(content_type: Option<&axum::http::HeaderValue>) -> Option<Upload> {
    let value = content_type?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    let (kind, subtype) = essence.split_once('/')?;
    if kind.eq_ignore_ascii_case("multipart") && subtype.eq_ignore_ascii_case("form-data") {
        Some(Upload::Form)
    } else if kind.eq_ignore_ascii_case("image") && !subtype.is_empty() {
        Some(Upload::Image)
    } else {
        None
    }
}

/// `POST /api/search/image`: a multipart form with an image file, or the image as the raw
/// body with an `image/*` type. Optional `q` (filters) and `limit` in the query string.
/// Answers "visual search off" before reading the body, and refuses an image whose header
/// declares more pixels than indexing decodes ([`rushes_media::MAX_STILL_PIXELS`]) before
/// decoding it.
pub async fn search_image(
    State(state): State<AppState>,
    params: Result<Query<ImageParams>, QueryRejection>,
    request: Request,
) -> Result<Json<SearchPage>, ApiError> {
    let Query(params) = params?;
    check_query(&params.q)?;
    let limit = check_limit(params.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    if let Some(notice) = state.searcher().visual_notice() {
        return Err(visual_off(notice));
    }
    let bytes = match upload_kind(request.headers().get(header::CONTENT_TYPE)) {
        Some(Upload::Form) => {
            let mut form = Multipart::from_request(request, &state)
                .await
                .map_err(|rejection| {
                    ApiError::new(rejection.status(), "bad_request", rejection.body_text())
                })?;
            first_file(&mut form).await?
        }
        Some(Upload::Image) => Bytes::from_request(request, &state).await?,
        None => {
            return Err(ApiError::unsupported_media(
                "send the image as multipart/form-data or with an image/* Content-Type",
            ));
        }
    };
    if bytes.is_empty() {
        return Err(ApiError::bad_request("no image in the request"));
    }
    let search = SearchRequest {
        query: params.q,
        limit,
        ..SearchRequest::default()
    };
    let page = blocking(&state, move |searcher| {
        let image = rushes_media::decode_image_bytes(&bytes).map_err(upload_error)?;
        Ok(search_page(
            searcher.search_image(&image, &search)?,
            0,
            limit,
        ))
    })
    .await?;
    Ok(Json(page))
}

/// An upload that does not decode: 413 when it declares too many pixels, else 415.
fn upload_error(error: rushes_media::MediaError) -> ApiError {
    match error {
        rushes_media::MediaError::ImplausibleMetadata(reason) => {
            ApiError::too_large(format!("the image is too large to search by: {reason}"))
        }
        other => ApiError::unsupported_media(format!("not an image this server can read: {other}")),
    }
}

/// The bytes of the first file field (or the field named `image`) of a form.
async fn first_file(form: &mut Multipart) -> Result<Bytes, ApiError> {
    while let Some(field) = form.next_field().await? {
        if field.file_name().is_some() || field.name() == Some("image") {
            return Ok(field.bytes().await?);
        }
    }
    Err(ApiError::bad_request("the form has no image file"))
}

#[derive(Debug, Deserialize)]
pub struct SimilarParams {
    asset: Option<String>,
    t: Option<f64>,
    limit: Option<usize>,
}

/// `GET /api/similar?asset=<id>&t=<seconds>`: moments that look like that frame.
pub async fn similar(
    State(state): State<AppState>,
    params: Result<Query<SimilarParams>, QueryRejection>,
) -> Result<Json<SearchPage>, ApiError> {
    let Query(params) = params?;
    let id = parse_asset_id(params.asset.as_deref().unwrap_or_default())?;
    let seconds = params.t.unwrap_or(0.0);
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(ApiError::bad_request(
            "t must be a time in seconds, 0 or more",
        ));
    }
    let limit = check_limit(params.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let request = SearchRequest {
        limit,
        ..SearchRequest::default()
    };
    let page = blocking(&state, move |searcher| {
        if searcher.index().asset(&id).map_err(store_error)?.is_none() {
            return Err(ApiError::not_found(format!("no asset {id} in the index")));
        }
        Ok(search_page(
            searcher.similar(&id, seconds, &request)?,
            0,
            limit,
        ))
    })
    .await?;
    Ok(Json(page))
}

#[derive(Debug, Deserialize)]
pub struct AssetListParams {
    offset: Option<usize>,
    limit: Option<usize>,
    /// Only assets directly in this folder.
    folder: Option<String>,
}

/// A folder of the library and how many assets are directly in it.
#[derive(Debug, Serialize)]
pub struct FolderCount {
    pub path: String,
    pub count: u64,
}

#[derive(Debug, Serialize)]
pub struct AssetList {
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub folders: Vec<FolderCount>,
    pub assets: Vec<AssetSummary>,
}

/// `GET /api/assets?offset=&limit=&folder=`: the library, by path.
pub async fn list_assets(
    State(state): State<AppState>,
    params: Result<Query<AssetListParams>, QueryRejection>,
) -> Result<Json<AssetList>, ApiError> {
    let Query(params) = params?;
    let limit = check_limit(params.limit, DEFAULT_ASSET_PAGE, MAX_ASSET_PAGE)?;
    let offset = check_offset(params.offset)?;
    let list = blocking(&state, move |searcher| {
        let assets = searcher.index().assets().map_err(store_error)?;
        let mut folders: BTreeMap<String, u64> = BTreeMap::new();
        for asset in &assets {
            let folder = asset
                .path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            *folders.entry(folder).or_default() += 1;
        }
        let selected: Vec<&Asset> = assets
            .iter()
            .filter(|asset| match &params.folder {
                Some(folder) => asset
                    .path
                    .parent()
                    .is_some_and(|parent| parent == Path::new(folder)),
                None => true,
            })
            .collect();
        Ok(AssetList {
            total: selected.len(),
            offset,
            limit,
            folders: folders
                .into_iter()
                .map(|(path, count)| FolderCount { path, count })
                .collect(),
            assets: selected
                .into_iter()
                .skip(offset)
                .take(limit)
                .map(AssetSummary::of)
                .collect(),
        })
    })
    .await?;
    Ok(Json(list))
}

/// One sampled frame of an asset with a thumbnail, for scrubbing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameThumb {
    pub time: f64,
    pub thumbnail: String,
}

#[derive(Debug, Serialize)]
pub struct MomentView {
    #[serde(flatten)]
    pub moment: MomentDetail,
    pub timecode: Option<String>,
}

/// `GET /api/assets/{id}`: the store's asset detail plus how to play it and its frames.
#[derive(Debug, Serialize)]
pub struct AssetPage {
    pub asset: Asset,
    pub moments: Vec<MomentView>,
    pub user_tags: Vec<String>,
    pub summary: AssetSummary,
    pub playback: Playback,
    pub frames: Vec<FrameThumb>,
    /// Slates read in the asset with the stretch each names (the player shows "Sc · Tk").
    pub slates: Vec<rushes_core::SlateSpan>,
}

/// The frame thumbnails of an asset, by time, from the index's thumbnail store.
pub fn frame_thumbnails(thumbnails: &dyn ThumbnailStore, id: &AssetId) -> Vec<FrameThumb> {
    let frames = thumbnails.frames_of(id).unwrap_or_else(|error| {
        tracing::warn!(%id, %error, "frame thumbnails not listed");
        Vec::new()
    });
    frames
        .into_iter()
        .map(|frame| FrameThumb {
            time: frame.time,
            thumbnail: thumbnail_url(&frame.relative),
        })
        .collect()
}

pub async fn asset_detail(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
) -> Result<Json<AssetPage>, ApiError> {
    let UrlPath(id) = segment?;
    let id = parse_asset_id(&id)?;
    let page = blocking(&state, move |searcher| {
        let Some(AssetDetail {
            asset,
            moments,
            user_tags,
            slates,
        }) = searcher.index().asset_detail(&id).map_err(store_error)?
        else {
            return Err(ApiError::not_found(format!("no asset {id} in the index")));
        };
        let moments = moments
            .into_iter()
            .map(|moment| {
                let timecode = timecode_text(&asset.media, moment.start);
                MomentView { moment, timecode }
            })
            .collect();
        Ok(AssetPage {
            summary: AssetSummary::of(&asset),
            playback: playback_for(&asset),
            frames: frame_thumbnails(searcher.index().thumbnails(), &id),
            asset,
            moments,
            user_tags,
            slates,
        })
    })
    .await?;
    Ok(Json(page))
}

#[derive(Debug, Deserialize)]
pub struct FacetParams {
    #[serde(default)]
    q: String,
}

/// `GET /api/slates`: every slated clip by scene, then take (the Library's scene view).
pub async fn scene_library(State(state): State<AppState>) -> Result<Json<SceneLibrary>, ApiError> {
    let scenes = blocking(&state, move |searcher| {
        searcher.index().scene_library().map_err(store_error)
    })
    .await?;
    Ok(Json(SceneLibrary { scenes }))
}

#[derive(Debug, Serialize)]
pub struct SceneLibrary {
    pub scenes: Vec<rushes_store::slates::SceneGroup>,
}

/// `GET /api/facets?q=`: counts of matching assets by kind, folder, camera, tag, and the
/// scenes and takes their slates name.
pub async fn facets(
    State(state): State<AppState>,
    params: Result<Query<FacetParams>, QueryRejection>,
) -> Result<Json<Facets>, ApiError> {
    let Query(params) = params?;
    check_query(&params.q)?;
    let request = SearchRequest::new(params.q);
    let facets = blocking(&state, move |searcher| {
        searcher.index().facets(&request).map_err(store_error)
    })
    .await?;
    Ok(Json(facets))
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub index: IndexStatus,
    /// The latest index run, from `progress.json`, if any.
    pub progress: Option<RunProgress>,
    /// The whole indexing queue of a library with no folder (a database indexed by
    /// workers); absent for a local index, whose runs say where they are in `progress`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<rushes_store::QueueSummary>,
    /// Why visual search is off, when it is.
    pub visual_search_notice: Option<String>,
}

/// `GET /api/status`: what the index holds and how the latest index run went.
pub async fn status(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    let progress =
        crate::events::read_progress(&state.index_dir().join(rushes_core::PROGRESS_FILE)).await;
    let library = state.library();
    let queue = match library.dir() {
        Some(_) => None,
        None => crate::events::read_queue(library).await,
    };
    let (index, visual_search_notice) = blocking(&state, |searcher| {
        let status = searcher.index().status().map_err(store_error)?;
        Ok((status, searcher.visual_notice().map(str::to_string)))
    })
    .await?;
    Ok(Json(Status {
        index,
        progress,
        queue,
        visual_search_notice,
    }))
}

pub async fn unknown_endpoint(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no API endpoint {}", uri.path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_sorts_are_bounded() {
        assert_eq!(check_limit(None, 50, MAX_LIMIT), Ok(50));
        assert!(check_limit(Some(0), 50, MAX_LIMIT).is_err());
        assert!(check_limit(Some(MAX_LIMIT + 1), 50, MAX_LIMIT).is_err());
        assert_eq!(parse_sort(Some("date")), Ok(Sort::Date));
        assert!(parse_sort(Some("random")).is_err());
        assert!(check_query(&"a".repeat(MAX_QUERY_BYTES + 1)).is_err());
    }
}
