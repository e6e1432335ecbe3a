//! The query engine shared by the CLI, the server and export: parses the query once, embeds
//! its free text with the index's CLIP model when one is installed, asks the store to rank,
//! and finishes the hits ([`Found`]). Also image queries and "more like this".

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use image::RgbImage;
use rushes_core::AssetId;
use rushes_models::{ClipModel, ImageEmbedder, ModelStore, TextEmbedder};
use rushes_store::query::{self, Query};
use rushes_store::{Index, OpenMode, SearchRequest, StoreError};
use tracing::{debug, warn};

use crate::{Found, SearchError};

/// How a searcher loads the model that puts queries into the index's vector space.
#[derive(Debug, Clone)]
pub struct SearcherConfig {
    /// Folder of model manifests and weights.
    pub models_dir: PathBuf,
    /// Intra-op threads of the ONNX sessions.
    pub threads: usize,
    /// False turns visual search off (`--no-visual`).
    pub visual: bool,
}

impl Default for SearcherConfig {
    fn default() -> Self {
        SearcherConfig {
            models_dir: rushes_models::default_models_dir(),
            threads: 2,
            visual: true,
        }
    }
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
    pub fn open(index_dir: &Path, config: &SearcherConfig) -> Result<Searcher, SearchError> {
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
    pub fn search(&self, request: &SearchRequest) -> Result<Found, SearchError> {
        let query = parse(request)?;
        let free_text = query.free_text();
        let mut request = request.clone();
        if request.text_vector.is_none() && !free_text.trim().is_empty() {
            request.text_vector = self.embed_text(&free_text);
        }
        self.rank(query, &request)
    }

    /// Finds moments that look like an image.
    pub fn search_image(
        &self,
        image: &RgbImage,
        request: &SearchRequest,
    ) -> Result<Found, SearchError> {
        let query = parse(request)?;
        let Some(clip) = &self.clip else {
            return Err(SearchError::VisualOff(
                self.visual_notice.clone().unwrap_or_default(),
            ));
        };
        let embedding = {
            let mut model = clip
                .lock()
                .map_err(|_| SearchError::VisualOff("the model crashed earlier".into()))?;
            model.embed_images(std::slice::from_ref(image))?
        };
        let mut request = request.clone();
        request.image_vector = Some(embedding.row(0).to_vec());
        self.rank(query, &request)
    }

    /// Moments that look like the frame of `asset` nearest to `seconds`.
    pub fn similar(
        &self,
        asset: &AssetId,
        seconds: f64,
        request: &SearchRequest,
    ) -> Result<Found, SearchError> {
        let query = parse(request)?;
        let Some(vector) = self.index.frame_embedding(asset, seconds)? else {
            return Err(SearchError::VisualOff(format!(
                "no frame vector for asset {asset}: visual search was off when it was indexed"
            )));
        };
        let mut request = request.clone();
        request.image_vector = Some(vector);
        self.rank(query, &request)
    }

    /// Ranks through the store and finishes the hits.
    fn rank(&self, query: Query, request: &SearchRequest) -> Result<Found, SearchError> {
        let ranked = self.index.search_parsed(query, request)?;
        Ok(Found::finish(&self.index, ranked)?)
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
    if !config.visual {
        return Err("visual search is off (--no-visual)".to_string());
    }
    let Some((name, dim)) = index.embedding_model().map_err(|error| error.to_string())? else {
        return Ok(None);
    };
    rushes_models::runtime::init().map_err(|error| format!("visual search is off: {error}"))?;
    let store = ModelStore::new(&config.models_dir);
    let model = ClipModel::load(&store, &name, config.threads).map_err(|error| {
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

/// The request's query, parsed (the one parse a search makes).
fn parse(request: &SearchRequest) -> Result<Query, StoreError> {
    query::parse(&request.query).map_err(StoreError::Query)
}
