//! The query engine shared by the CLI, the server and export: parses the query once, embeds
//! its free text with the index's CLIP model (visual branch) and with the sentence model of
//! its text units (semantic branch) when they are installed, asks the store to rank, and
//! finishes the hits ([`Found`]). Also image queries and "more like this".

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use image::RgbImage;
use rushes_core::AssetId;
use rushes_models::{ClipModel, ImageEmbedder, ModelStore, TextEmbedder};
use rushes_store::query::{self, Query};
use rushes_store::{Index, Library, OpenMode, SearchRequest, StoreError};
use tracing::{debug, warn};

use crate::sentence::{LoadedSentence, SentenceModel};
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
    /// False turns semantic search off.
    pub semantic: bool,
}

impl Default for SearcherConfig {
    fn default() -> Self {
        SearcherConfig {
            models_dir: rushes_models::default_models_dir(),
            threads: 2,
            visual: true,
            semantic: true,
        }
    }
}

/// An open library (a local index or a database) plus the encoder that puts queries into
/// its vector space.
pub struct Searcher {
    index: Arc<dyn Library>,
    clip: Option<Mutex<ClipModel>>,
    /// Why visual search is off, when it is.
    visual_notice: Option<String>,
    /// The sentence model of the index's text units.
    sentence: Option<SentenceModel>,
    /// Why semantic search is off, when it is.
    semantic_notice: Option<String>,
}

impl Searcher {
    /// Opens the index read-only and loads the CLIP model the index was built with, if it
    /// is installed. A missing model turns the visual branch off; it is never an error.
    pub fn open(index_dir: &Path, config: &SearcherConfig) -> Result<Searcher, SearchError> {
        let index = Index::open(index_dir, OpenMode::ReadOnly)?;
        Ok(Searcher::with_index(Arc::new(index), config))
    }

    /// A searcher over an open library of either engine.
    pub fn with_index(index: Arc<dyn Library>, config: &SearcherConfig) -> Searcher {
        let (clip, visual_notice) = match load_clip(&*index, config) {
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
        let LoadedSentence {
            model: sentence,
            notice: semantic_notice,
        } = if config.semantic {
            SentenceModel::for_index(&*index, &config.models_dir, config.threads)
        } else {
            LoadedSentence {
                model: None,
                notice: Some("semantic search is off (turned off by the caller)".into()),
            }
        };
        if let Some(notice) = &semantic_notice {
            debug!(%notice);
        }
        Searcher {
            index,
            clip,
            visual_notice,
            sentence,
            semantic_notice,
        }
    }

    pub fn index(&self) -> &dyn Library {
        &*self.index
    }

    /// The library as a handle of its own (for work on another thread).
    pub fn library(&self) -> Arc<dyn Library> {
        Arc::clone(&self.index)
    }

    pub fn visual_notice(&self) -> Option<&str> {
        self.visual_notice.as_deref()
    }

    /// Why semantic search is off, when it is.
    pub fn semantic_notice(&self) -> Option<&str> {
        self.semantic_notice.as_deref()
    }

    /// The sentence model, to embed hand notes and tags with when they are written
    /// (`Index::refresh_hand_units`); `None` when semantic search is off.
    pub fn sentence_model(&self) -> Option<&SentenceModel> {
        self.sentence.as_ref()
    }

    /// Runs a query: text branch always; visual and semantic branches when the free text
    /// is not empty and their model is loaded (the free text is embedded once by each).
    pub fn search(&self, request: &SearchRequest) -> Result<Found, SearchError> {
        let query = parse(request)?;
        let free_text = query.free_text();
        let mut request = request.clone();
        if !free_text.trim().is_empty() {
            if request.text_vector.is_none() {
                request.text_vector = self.embed_text(&free_text);
            }
            if request.semantic.is_none() {
                request.semantic = self
                    .sentence
                    .as_ref()
                    .and_then(|model| model.query(&free_text));
            }
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
        Ok(Found::finish(&*self.index, ranked)?)
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
fn load_clip(index: &dyn Library, config: &SearcherConfig) -> Result<Option<ClipModel>, String> {
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
