//! The query engine shared by the CLI and the server: parses the query, embeds its free text
//! with the index's CLIP model when one is installed, and asks the store. Also image queries
//! and "more like this".

use std::path::Path;
use std::sync::Mutex;

use image::RgbImage;
use rushes_core::{AssetId, SearchResponse};
use rushes_models::{ClipModel, ImageEmbedder, ModelStore, TextEmbedder};
use rushes_store::{Index, OpenMode, SearchRequest, StoreError};
use tracing::{debug, warn};

use crate::{IngestError, ModelSetConfig};

/// How a searcher loads its models.
#[derive(Debug, Clone, Default)]
pub struct SearcherConfig {
    pub models: ModelSetConfig,
}

/// An open index plus the encoder that puts queries into its vector space.
pub struct Searcher {
    index: Index,
    clip: Option<Mutex<ClipModel>>,
    /// Why visual search is off, when it is.
    visual_notice: Option<String>,
}

impl Searcher {
    /// Opens the index read-only and loads the CLIP model the index was built with, if it
    /// is installed. A missing model turns the visual branch off; it is never an error.
    pub fn open(index_dir: &Path, config: &SearcherConfig) -> Result<Searcher, IngestError> {
        let index = Index::open(index_dir, OpenMode::ReadOnly)?;
        Ok(Searcher::with_index(index, config))
    }

    pub fn with_index(index: Index, config: &SearcherConfig) -> Searcher {
        let (clip, visual_notice) = match load_clip(&index, config) {
            Ok(Some(model)) => (Some(Mutex::new(model)), None),
            Ok(None) => (
                None,
                Some("visual search is off: the index has no frame vectors".to_string()),
            ),
            Err(notice) => (None, Some(notice)),
        };
        if let Some(notice) = &visual_notice {
            debug!(%notice);
        }
        Searcher {
            index,
            clip,
            visual_notice,
        }
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    pub fn visual_notice(&self) -> Option<&str> {
        self.visual_notice.as_deref()
    }

    /// Runs a query: text branch always, visual branch when the free text is not empty and a
    /// model is loaded.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, IngestError> {
        let query = rushes_store::query::parse(&request.query).map_err(StoreError::Query)?;
        let free_text = query.free_text();
        let mut request = request.clone();
        if request.text_vector.is_none() && !free_text.trim().is_empty() {
            request.text_vector = self.embed_text(&free_text);
        }
        Ok(self.index.search(&request)?)
    }

    /// Finds moments that look like an image.
    pub fn search_image(
        &self,
        image: &RgbImage,
        request: &SearchRequest,
    ) -> Result<SearchResponse, IngestError> {
        let Some(clip) = &self.clip else {
            return Err(IngestError::VisualOff(
                self.visual_notice.clone().unwrap_or_default(),
            ));
        };
        let embedding = {
            let mut model = clip
                .lock()
                .map_err(|_| IngestError::VisualOff("the model crashed earlier".into()))?;
            model.embed_images(std::slice::from_ref(image))?
        };
        let mut request = request.clone();
        request.image_vector = Some(embedding.row(0).to_vec());
        Ok(self.index.search(&request)?)
    }

    /// Moments that look like the frame of `asset` nearest to `seconds`.
    pub fn similar(
        &self,
        asset: &AssetId,
        seconds: f64,
        request: &SearchRequest,
    ) -> Result<SearchResponse, IngestError> {
        let Some(vector) = self.index.frame_embedding(asset, seconds)? else {
            return Err(IngestError::VisualOff(format!(
                "no frame vector for asset {asset}: visual search was off when it was indexed"
            )));
        };
        let mut request = request.clone();
        request.image_vector = Some(vector);
        Ok(self.index.search(&request)?)
    }

    fn embed_text(&self, text: &str) -> Option<Vec<f32>> {
        let clip = self.clip.as_ref()?;
        let mut model = clip.lock().ok()?;
        match model.embed_texts(&[text]) {
            Ok(embedding) => Some(embedding.row(0).to_vec()),
            Err(error) => {
                warn!(%error, "could not embed the query; visual branch skipped");
                None
            }
        }
    }
}

/// Loads the model whose vectors the index holds. `Ok(None)` when the index has none;
/// `Err(notice)` when it has vectors but the model cannot be loaded.
fn load_clip(index: &Index, config: &SearcherConfig) -> Result<Option<ClipModel>, String> {
    if !config.models.visual {
        return Err("visual search is off (--no-visual)".to_string());
    }
    let Some((name, dim)) = index.embedding_model().map_err(|error| error.to_string())? else {
        return Ok(None);
    };
    rushes_models::runtime::init().map_err(|error| format!("visual search is off: {error}"))?;
    let store = ModelStore::new(&config.models.models_dir);
    let model = ClipModel::load(&store, &name, config.models.threads).map_err(|error| {
        format!("visual search is off: model {name} (used by this index): {error}")
    })?;
    if ImageEmbedder::dim(&model) != dim {
        return Err(format!(
            "visual search is off: model {name} makes {}-d vectors but the index holds {dim}-d ones; reindex",
            ImageEmbedder::dim(&model)
        ));
    }
    Ok(Some(model))
}
