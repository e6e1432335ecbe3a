//! The query engine the handlers use: [`rushes_ingest::Searcher`] (the open index plus, when
//! installed, the CLIP encoders that put query text and images into the index's vector
//! space), with its errors turned into [`ApiError`]s.

use std::path::Path;

use image::RgbImage;
use rushes_core::{AssetId, SearchResponse};
use rushes_ingest::{IngestError, Searcher};
use rushes_store::{Index, SearchRequest, StoreError};

use crate::error::{ApiError, ServerError};

/// How the engine loads its models.
pub type EngineConfig = rushes_ingest::SearcherConfig;

pub struct Engine {
    searcher: Searcher,
}

impl Engine {
    pub fn open(index_dir: &Path, config: &EngineConfig) -> Result<Engine, ServerError> {
        let searcher =
            Searcher::open(index_dir, config).map_err(|error| ServerError::OpenIndex {
                path: index_dir.to_path_buf(),
                message: error.to_string(),
            })?;
        Ok(Engine { searcher })
    }

    pub fn index(&self) -> &Index {
        self.searcher.index()
    }

    /// Why visual search is off, when it is.
    pub fn visual_notice(&self) -> Option<&str> {
        self.searcher.visual_notice()
    }

    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, ApiError> {
        self.searcher.search(request).map_err(ingest_error)
    }

    pub fn search_image(
        &self,
        image: &RgbImage,
        request: &SearchRequest,
    ) -> Result<SearchResponse, ApiError> {
        self.searcher
            .search_image(image, request)
            .map_err(ingest_error)
    }

    /// Moments that look like the frame of `asset` nearest to `seconds`.
    pub fn similar(
        &self,
        asset: &AssetId,
        seconds: f64,
        request: &SearchRequest,
    ) -> Result<SearchResponse, ApiError> {
        self.searcher
            .similar(asset, seconds, request)
            .map_err(ingest_error)
    }
}

/// Maps a query engine error: store errors as [`store_error`] does, visual search being
/// off to 409, other user errors to 400, the rest to a logged 500.
fn ingest_error(error: IngestError) -> ApiError {
    match error {
        IngestError::Store(store) => store_error(store),
        IngestError::VisualOff(message) => visual_off(&message),
        other if other.is_user_error() => ApiError::bad_request(other.to_string()),
        other => ApiError::internal("query engine", other),
    }
}

pub(crate) fn visual_off(message: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::CONFLICT,
        "visual_search_off",
        message,
    )
}

/// Maps a store error: bad queries to 400 with the parser's message, unknown things to 404,
/// other user errors to 400, the rest to a logged 500.
pub fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Query(query) => ApiError::bad_query(query.to_string()),
        StoreError::NotFound(message) => ApiError::not_found(message),
        other if other.is_user_error() => ApiError::bad_request(other.to_string()),
        other => ApiError::internal("index", other),
    }
}
