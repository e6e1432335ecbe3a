//! The JSON API under `/api`: search (text, image, similar), assets, facets and status.
//! Validates and bounds every parameter, runs the query engine off the async threads, and
//! answers hits in the shape of `rushes_core::SearchResponse` (the same objects as
//! `rushes search --json`), with a few fields the UI needs added beside them.

use std::collections::BTreeMap;
use std::path::Path;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, Multipart, Path as UrlPath, Query, Request, State};
use axum::http::{Uri, header};
use rushes_core::{Asset, AssetId, Hit, MediaInfo, PersonFilterMatch, RunProgress, Timecode};
use rushes_store::{
    Annotation, AssetDetail, Facets, IndexStatus, MomentDetail, SearchRequest, Sort,
};
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, store_error};
use crate::error::ApiError;
use crate::media::{Playback, parse_asset_id, playback_for};
use crate::{AppState, MAX_LIMIT, MAX_QUERY_BYTES};
use rushes_store::thumbnails::{ThumbnailStore, thumbnail_url};

/// Hits per page when the request does not say.
const DEFAULT_LIMIT: usize = 50;
/// Assets per page of `/api/assets` when the request does not say.
const DEFAULT_ASSET_PAGE: usize = 100;
/// Most assets one `/api/assets` page may ask for.
const MAX_ASSET_PAGE: usize = 1000;

/// Runs blocking index work (SQLite, Tantivy, ONNX) on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Engine) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let engine = state.engine();
    tokio::task::spawn_blocking(move || work(&engine))
        .await
        .map_err(|error| ApiError::internal("index task", error))?
}

// ------------------------------------------------------------------ wire shapes

/// A page of hits: `query` and `hits` as in `rushes search --json`; each hit also carries
/// its source `timecode`, and `assets` describes each asset the hits belong to.
#[derive(Debug, Serialize)]
pub struct SearchPage {
    pub query: String,
    /// Who each `person:` filter matched (several for `person:Lionel`; none for a stranger).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub people_matched: Vec<PersonFilterMatch>,
    /// Why nothing matches a query none of whose words can be searched for (`((((`, a
    /// word of 48 letters or more); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    pub hits: Vec<HitView>,
    pub assets: BTreeMap<String, AssetSummary>,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Serialize)]
pub struct HitView {
    #[serde(flatten)]
    pub hit: Hit,
    /// Source timecode of the hit's start, when the file has a start timecode.
    pub timecode: Option<String>,
    /// Hand tags on the whole file or on a range overlapping the hit, for its card.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hand_tags: Vec<String>,
    /// Hand notes on the whole file or on a range overlapping the hit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What the UI shows about an asset next to its hits and in the library.
#[derive(Debug, Serialize)]
pub struct AssetSummary {
    pub id: String,
    pub path: String,
    pub name: String,
    pub folder: String,
    pub kind: String,
    pub duration: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub video_codec: Option<String>,
    pub camera: Option<String>,
    pub creation_time: Option<String>,
    pub start_timecode: Option<String>,
    /// Frames per second from the probe, for frame steps and the running timecode.
    pub frame_rate: Option<f64>,
    /// Bytes on disk.
    pub size: u64,
    pub playback: Playback,
}

impl AssetSummary {
    pub(crate) fn of(asset: &Asset) -> AssetSummary {
        let media = &asset.media;
        let camera = match (&media.camera_make, &media.camera_model) {
            (Some(make), Some(model)) if model.starts_with(make.as_str()) => Some(model.clone()),
            (Some(make), Some(model)) => Some(format!("{make} {model}")),
            (make, model) => make.clone().or_else(|| model.clone()),
        };
        AssetSummary {
            id: asset.id.to_string(),
            path: asset.path.display().to_string(),
            name: asset
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            folder: asset
                .path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            kind: asset.kind.to_string(),
            duration: media.duration,
            width: media.width,
            height: media.height,
            video_codec: media.video_codec.clone(),
            camera,
            creation_time: media.creation_time.clone(),
            start_timecode: media.start_timecode.clone(),
            frame_rate: media.frame_rate.filter(|fps| fps.is_finite() && *fps > 0.0),
            size: asset.size,
            playback: playback_for(asset),
        }
    }
}

/// Source timecode of a time in a file: the file's start timecode plus `seconds`, counted at
/// the file's frame rate. `None` when the file has no (readable) start timecode or rate.
pub fn source_timecode(media: &MediaInfo, seconds: f64) -> Option<String> {
    let start: Timecode = media.start_timecode.as_deref()?.parse().ok()?;
    let fps = media
        .frame_rate
        .filter(|fps| fps.is_finite() && *fps > 0.0)?;
    Some(start.add_seconds(seconds, fps).to_string())
}

pub(crate) fn search_page(
    engine: &Engine,
    response: rushes_core::SearchResponse,
    offset: usize,
    limit: usize,
) -> Result<SearchPage, ApiError> {
    let mut assets: BTreeMap<String, Asset> = BTreeMap::new();
    let mut annotations: BTreeMap<String, Vec<Annotation>> = BTreeMap::new();
    for hit in &response.hits {
        if !assets.contains_key(hit.asset.id.as_str())
            && let Some(asset) = engine.index().asset(&hit.asset.id).map_err(store_error)?
        {
            let notes = engine.index().annotations(&asset.id).map_err(store_error)?;
            annotations.insert(asset.id.to_string(), notes);
            assets.insert(asset.id.to_string(), asset);
        }
    }
    let hits: Vec<HitView> = response
        .hits
        .into_iter()
        .map(|hit| {
            let timecode = assets
                .get(hit.asset.id.as_str())
                .and_then(|asset| source_timecode(&asset.media, hit.start));
            let mut hand_tags: Vec<String> = Vec::new();
            let mut notes: Vec<String> = Vec::new();
            let touching = annotations
                .get(hit.asset.id.as_str())
                .into_iter()
                .flatten()
                .filter(|a| {
                    a.range
                        .as_ref()
                        .is_none_or(|range| range.start < hit.end && hit.start < range.end)
                });
            for annotation in touching {
                for tag in &annotation.tags {
                    if !hand_tags.contains(tag) {
                        hand_tags.push(tag.clone());
                    }
                }
                if !annotation.note.trim().is_empty() {
                    notes.push(annotation.note.clone());
                }
            }
            HitView {
                hit,
                timecode,
                hand_tags,
                notes,
            }
        })
        .collect();
    Ok(SearchPage {
        query: response.query,
        people_matched: response.people_matched,
        notice: response.notice,
        hits,
        assets: assets
            .iter()
            .map(|(id, asset)| (id.clone(), AssetSummary::of(asset)))
            .collect(),
        offset,
        limit,
    })
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
        Some(n) => crate::check_result_limit(n, max).map_err(ApiError::bad_request),
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
    let page = blocking(&state, move |engine| {
        let response = engine.search(&request)?;
        search_page(engine, response, offset, limit)
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
    if let Some(notice) = state.engine().visual_notice() {
        return Err(crate::engine::visual_off(notice));
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
    let page = blocking(&state, move |engine| {
        let image = rushes_media::decode_image_bytes(&bytes).map_err(upload_error)?;
        let response = engine.search_image(&image, &search)?;
        search_page(engine, response, 0, limit)
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
    let page = blocking(&state, move |engine| {
        if engine.index().asset(&id).map_err(store_error)?.is_none() {
            return Err(ApiError::not_found(format!("no asset {id} in the index")));
        }
        let response = engine.similar(&id, seconds, &request)?;
        search_page(engine, response, 0, limit)
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
    let list = blocking(&state, move |engine| {
        let assets = engine.index().assets().map_err(store_error)?;
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
    let page = blocking(&state, move |engine| {
        let Some(AssetDetail {
            asset,
            moments,
            user_tags,
            slates,
        }) = engine.index().asset_detail(&id).map_err(store_error)?
        else {
            return Err(ApiError::not_found(format!("no asset {id} in the index")));
        };
        let moments = moments
            .into_iter()
            .map(|moment| {
                let timecode = source_timecode(&asset.media, moment.start);
                MomentView { moment, timecode }
            })
            .collect();
        Ok(AssetPage {
            summary: AssetSummary::of(&asset),
            playback: playback_for(&asset),
            frames: frame_thumbnails(engine.index().thumbnails(), &id),
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
    let scenes = blocking(&state, move |engine| {
        engine.index().scene_library().map_err(store_error)
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
    let facets = blocking(&state, move |engine| {
        engine.index().facets(&request).map_err(store_error)
    })
    .await?;
    Ok(Json(facets))
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub index: IndexStatus,
    /// The latest index run, from `progress.json`, if any.
    pub progress: Option<RunProgress>,
    /// Why visual search is off, when it is.
    pub visual_search_notice: Option<String>,
}

/// `GET /api/status`: what the index holds and how the latest index run went.
pub async fn status(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    let progress =
        crate::events::read_progress(&state.index_dir().join(rushes_core::PROGRESS_FILE)).await;
    let (index, visual_search_notice) = blocking(&state, |engine| {
        let status = engine.index().status().map_err(store_error)?;
        Ok((status, engine.visual_notice().map(str::to_string)))
    })
    .await?;
    Ok(Json(Status {
        index,
        progress,
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
    fn source_timecode_adds_the_moment_start_to_the_file_timecode() {
        let media = MediaInfo {
            start_timecode: Some("01:00:00:00".into()),
            frame_rate: Some(25.0),
            ..MediaInfo::default()
        };
        assert_eq!(
            source_timecode(&media, 12.4).as_deref(),
            Some("01:00:12:10")
        );
        let no_timecode = MediaInfo {
            frame_rate: Some(25.0),
            ..MediaInfo::default()
        };
        assert_eq!(source_timecode(&no_timecode, 1.0), None);
    }

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
