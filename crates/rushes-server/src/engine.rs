//! The query engine the handlers use: the open index plus, when installed, the CLIP
//! encoders that put query text and images into the index's vector space. A thin seam so
//! handlers do not care which crate answers; errors come back as [`ApiError`]s.

use std::path::Path;

use image::RgbImage;
use rushes_core::{AssetId, SearchResponse};
use rushes_store::{Index, OpenMode, SearchRequest, StoreError};

use crate::error::{ApiError, ServerError};

/// How the engine loads its models.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {}

pub struct Engine {
    index: Index,
}

impl Engine {
    pub fn open(index_dir: &Path, _config: &EngineConfig) -> Result<Engine, ServerError> {
        let index =
            Index::open(index_dir, OpenMode::ReadOnly).map_err(|error| ServerError::OpenIndex {
                path: index_dir.to_path_buf(),
                message: error.to_string(),
            })?;
        Ok(Engine { index })
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Why visual search is off, when it is.
    pub fn visual_notice(&self) -> Option<&str> {
        Some("visual search from text and images needs the CLIP query encoder")
    }

    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, ApiError> {
        self.index.search(request).map_err(store_error)
    }

    pub fn search_image(
        &self,
        _image: &RgbImage,
        _request: &SearchRequest,
    ) -> Result<SearchResponse, ApiError> {
        Err(visual_off(self.visual_notice().unwrap_or_default()))
    }

    /// Moments that look like the frame of `asset` nearest to `seconds`.
    pub fn similar(
        &self,
        asset: &AssetId,
        seconds: f64,
        request: &SearchRequest,
    ) -> Result<SearchResponse, ApiError> {
        let Some(vector) = self
            .index
            .frame_embedding(asset, seconds)
            .map_err(store_error)?
        else {
            return Err(visual_off(&format!(
                "no frame vectors for asset {asset}: visual search was off when it was indexed"
            )));
        };
        let request = SearchRequest {
            image_vector: Some(vector),
            ..request.clone()
        };
        self.index.search(&request).map_err(store_error)
    }
}

fn visual_off(message: &str) -> ApiError {
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
