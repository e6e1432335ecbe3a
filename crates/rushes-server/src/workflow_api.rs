//! The JSON API of editor and marketing work: hand tags and notes on assets and moments
//! (`/api/assets/{id}/annotations`), collections (`/api/collections...`: list, create,
//! show, rename, reorder, delete, add and remove entries) and export jobs
//! (`/api/exports...`, run by [`crate::jobs`]). Reads go through the server's read-only
//! index; each write opens the index for writing just long enough (409 while `rushes index`
//! holds it).

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rushes_export::Selection;
use rushes_store::{
    Annotation, CollectionItem, CollectionSummary, Library, SearchRequest, StoreError, TimeRange,
};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::api::{frame_thumbnails, timecode_text};
use crate::error::ApiError;
use crate::error::store_error;
use crate::jobs::{ExportRequest, JobView, MAX_EXPORT_ITEMS, content_type};
use crate::state::AppState;
use crate::state::parse_asset_id;
use rushes_search::{AssetSummary, SentenceModel};

/// Maps a store error of a write: the index being written by `rushes index` is a 409.
fn write_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Locked { .. } => ApiError::new(
            StatusCode::CONFLICT,
            "index_busy",
            "the index is being updated by `rushes index`; try again when it has finished",
        ),
        other => store_error(other),
    }
}

/// Runs `work` with the index opened for writing, on the blocking pool.
pub(crate) async fn with_writer<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&dyn Library) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let library = state.library();
    tokio::task::spawn_blocking(move || {
        let writer = library.writer()?;
        work(&*writer)
    })
    .await
    .map_err(|error| ApiError::internal("index write task", error))?
    .map_err(write_error)
}

/// Runs `work` on the server's read-only index, on the blocking pool.
pub(crate) async fn with_reader<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&dyn Library) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let searcher = state.searcher();
    tokio::task::spawn_blocking(move || work(searcher.index()))
        .await
        .map_err(|error| ApiError::internal("index task", error))?
}

/// `start`/`end` of a request: both or neither (the whole asset).
fn optional_range(start: Option<f64>, end: Option<f64>) -> Result<Option<TimeRange>, ApiError> {
    match (start, end) {
        (None, None) => Ok(None),
        (Some(start), Some(end)) => TimeRange::new(start, end)
            .map(Some)
            .map_err(|error| ApiError::bad_request(error.to_string())),
        _ => Err(ApiError::bad_request(
            "give both start and end (seconds), or neither for the whole file",
        )),
    }
}

// ------------------------------------------------------------------ tags and notes

/// `POST /api/assets/{id}/annotations`: tags to add and remove and the note, on the
/// asset or on `[start, end]` of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnotateRequest {
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
    /// The new note; an empty one removes it; absent leaves it.
    #[serde(default)]
    note: Option<String>,
}

/// `GET /api/assets/{id}/annotations`: the asset's hand tags and notes by range.
pub async fn annotations(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
) -> Result<Json<Vec<Annotation>>, ApiError> {
    let UrlPath(id) = segment?;
    let asset = state.asset_by_id_text(&id).await?;
    let annotations = with_reader(&state, move |index| {
        index.annotations(&asset.id).map_err(store_error)
    })
    .await?;
    Ok(Json(annotations))
}

pub async fn annotate(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
    payload: Result<Json<AnnotateRequest>, JsonRejection>,
) -> Result<Json<Vec<Annotation>>, ApiError> {
    let UrlPath(id) = segment?;
    let Json(request) = payload?;
    let id = parse_asset_id(&id)?;
    let range = optional_range(request.start, request.end)?;
    if request.add.len() + request.remove.len() > 100 {
        return Err(ApiError::bad_request("at most 100 tags per request"));
    }
    let searcher = state.searcher();
    let models_dir = state.models_dir().to_path_buf();
    let annotations = with_writer(&state, move |index| {
        // Checked whole before anything is written: a bad note leaves the tags unwritten.
        index.annotate(
            &id,
            range,
            &request.add,
            &request.remove,
            request.note.as_deref(),
        )?;
        embed_hand_text(index, &id, searcher.sentence_model(), &models_dir);
        index.annotations(&id)
    })
    .await?;
    Ok(Json(annotations))
}

/// Embeds the asset's hand notes and tags (and its collection entries' notes) for semantic
/// search, with the searcher's sentence model or else the installed one; without one, or
/// when it fails, the tags and notes stay written and the log says why.
fn embed_hand_text(
    index: &dyn Library,
    id: &rushes_core::AssetId,
    model: Option<&SentenceModel>,
    models_dir: &std::path::Path,
) {
    let loaded;
    let model = match model {
        Some(model) => model,
        None => {
            loaded = SentenceModel::for_writing(index, models_dir, 2);
            match &loaded.model {
                Some(model) => model,
                None => {
                    tracing::info!(notice = ?loaded.notice, "hand notes and tags not embedded");
                    return;
                }
            }
        }
    };
    if let Err(error) = index.refresh_hand_units(id, model) {
        tracing::warn!(%error, "hand notes and tags not embedded");
    }
}

// ------------------------------------------------------------------ collections

/// One entry of a collection as the UI shows it.
#[derive(Debug, Serialize)]
pub struct CollectionItemView {
    pub id: i64,
    pub asset: AssetSummary,
    pub start: f64,
    pub end: f64,
    /// True when the entry is the whole file.
    pub whole: bool,
    pub note: String,
    pub timecode: Option<String>,
    /// The asset's frame thumbnail nearest the middle of the range.
    pub thumbnail: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CollectionPage {
    pub name: String,
    pub items: Vec<CollectionItemView>,
}

fn collection_page(index: &dyn Library, name: &str) -> Result<CollectionPage, ApiError> {
    let collection = index.collection(name).map_err(store_error)?;
    let mut items = Vec::with_capacity(collection.items.len());
    for item in collection.items {
        let Some(asset) = index.asset(&item.asset).map_err(store_error)? else {
            continue;
        };
        let (start, end) = match item.range {
            Some(range) => (range.start, range.end),
            None => (0.0, asset.media.duration.unwrap_or(0.0)),
        };
        let middle = (start + end) / 2.0;
        let thumbnail = frame_thumbnails(index.thumbnails(), &asset.id)
            .into_iter()
            .min_by(|a, b| (a.time - middle).abs().total_cmp(&(b.time - middle).abs()))
            .map(|frame| frame.thumbnail);
        items.push(CollectionItemView {
            id: item.id,
            timecode: timecode_text(&asset.media, start),
            asset: AssetSummary::of(&asset),
            start,
            end,
            whole: item.range.is_none(),
            note: item.note,
            thumbnail,
        });
    }
    Ok(CollectionPage {
        name: collection.name,
        items,
    })
}

/// `GET /api/collections`: every collection with its size.
pub async fn list_collections(
    State(state): State<AppState>,
) -> Result<Json<Vec<CollectionSummary>>, ApiError> {
    let collections = with_reader(&state, |index| index.collections().map_err(store_error)).await?;
    Ok(Json(collections))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCollection {
    name: String,
}

/// `POST /api/collections {"name"}`: creates an empty collection (201; 200 if it exists).
pub async fn create_collection(
    State(state): State<AppState>,
    payload: Result<Json<CreateCollection>, JsonRejection>,
) -> Result<(StatusCode, Json<CollectionPage>), ApiError> {
    let Json(request) = payload?;
    let name = request.name.trim().to_string();
    let created = with_writer(&state, {
        let name = name.clone();
        move |index| {
            let existed = index.collection(&name).is_ok();
            index.create_collection(&name)?;
            Ok(!existed)
        }
    })
    .await?;
    let page = with_reader(&state, move |index| collection_page(index, &name)).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(page)))
}

/// `GET /api/collections/{name}`: the entries in order.
pub async fn show_collection(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
) -> Result<Json<CollectionPage>, ApiError> {
    let UrlPath(name) = segment?;
    let page = with_reader(&state, move |index| collection_page(index, &name)).await?;
    Ok(Json(page))
}

/// `PATCH /api/collections/{name}`: a new `name`, a new `order` of entry ids, or both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCollection {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    order: Option<Vec<i64>>,
}

pub async fn update_collection(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
    payload: Result<Json<UpdateCollection>, JsonRejection>,
) -> Result<Json<CollectionPage>, ApiError> {
    let UrlPath(name) = segment?;
    let Json(request) = payload?;
    let current = with_writer(&state, move |index| {
        if let Some(order) = &request.order {
            index.reorder_collection(&name, order)?;
        }
        match &request.name {
            Some(new_name) => {
                index.rename_collection(&name, new_name)?;
                Ok(new_name.trim().to_string())
            }
            None => Ok(name),
        }
    })
    .await?;
    let page = with_reader(&state, move |index| collection_page(index, &current)).await?;
    Ok(Json(page))
}

/// `DELETE /api/collections/{name}`: 204.
pub async fn delete_collection(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let UrlPath(name) = segment?;
    with_writer(&state, move |index| index.delete_collection(&name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/collections/{name}/items`: appends an asset or `[start, end]` of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddItem {
    asset: String,
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
    #[serde(default)]
    note: String,
}

pub async fn add_item(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
    payload: Result<Json<AddItem>, JsonRejection>,
) -> Result<(StatusCode, Json<CollectionItem>), ApiError> {
    let UrlPath(name) = segment?;
    let Json(request) = payload?;
    let id = parse_asset_id(&request.asset)?;
    let range = optional_range(request.start, request.end)?;
    let searcher = state.searcher();
    let models_dir = state.models_dir().to_path_buf();
    let item = with_writer(&state, move |index| {
        let item = index.add_to_collection(&name, &id, range, &request.note)?;
        if !item.note.is_empty() {
            embed_hand_text(index, &id, searcher.sentence_model(), &models_dir);
        }
        Ok(item)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// `DELETE /api/collections/{name}/items/{item}`: 204.
pub async fn remove_item(
    State(state): State<AppState>,
    segment: Result<UrlPath<(String, i64)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let UrlPath((name, item)) = segment?;
    with_writer(&state, move |index| {
        index.remove_from_collection(&name, item)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------ export jobs

/// `POST /api/exports`: starts a job (202) and answers its first status.
pub async fn start_export(
    State(state): State<AppState>,
    payload: Result<Json<ExportRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let Json(request) = payload?;
    request.handles()?;
    request.crop()?;
    let limit = request.limit.unwrap_or(50).clamp(1, MAX_EXPORT_ITEMS);
    let searcher = state.searcher();
    let source = (request.collection.clone(), request.query.clone());
    let selection = tokio::task::spawn_blocking(move || match source {
        (Some(name), None) => {
            Selection::from_collection(searcher.index(), &name).map_err(export_error)
        }
        (None, Some(query)) => {
            crate::api::check_query(&query)?;
            let search = SearchRequest {
                query: query.clone(),
                limit,
                ..SearchRequest::default()
            };
            let found = searcher.search(&search)?;
            Ok(Selection::from_hits(&query, &found, plain_text))
        }
        _ => Err(ApiError::bad_request(
            "give either a collection or a query to export",
        )),
    })
    .await
    .map_err(|error| ApiError::internal("export selection task", error))??;
    let mut selection = selection;
    selection.items.truncate(limit);
    if selection.items.is_empty() {
        return Err(ApiError::bad_request(
            "nothing to export: no moments with a time range",
        ));
    }
    let view = state.exports.start(&request, selection)?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

fn export_error(error: rushes_export::ExportError) -> ApiError {
    match error {
        rushes_export::ExportError::Store(store) => store_error(store),
        other if other.is_user_error() => ApiError::bad_request(other.to_string()),
        other => ApiError::internal("export", other),
    }
}

/// A hit's snippet as plain text for a marker note: no `<b>` marks, entities decoded.
fn plain_text(snippet: &str) -> String {
    let text = snippet
        .replace("<b>", "")
        .replace("</b>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `GET /api/exports/{id}`: where the job stands.
pub async fn export_status(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
) -> Result<Json<JobView>, ApiError> {
    let UrlPath(id) = segment?;
    Ok(Json(state.exports.view(&id)?))
}

/// `DELETE /api/exports/{id}`: cancels the job (it stops between items).
pub async fn cancel_export(
    State(state): State<AppState>,
    segment: Result<UrlPath<String>, PathRejection>,
) -> Result<Json<JobView>, ApiError> {
    let UrlPath(id) = segment?;
    Ok(Json(state.exports.cancel(&id)?))
}

/// `GET /api/exports/{id}/files/{n}`: the `n`th file the job wrote, as an attachment.
pub async fn download_export(
    State(state): State<AppState>,
    segment: Result<UrlPath<(String, usize)>, PathRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let UrlPath((id, n)) = segment?;
    let path = state.exports.file(&id, n)?;
    let name: String = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut response = ServeFile::new(&path)
        .oneshot(request)
        .await
        .map_err(|error| ApiError::internal("serving an export", error))?
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&path)),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
