//! The models an index run uses, loaded once: the CLIP-style encoders (when installed), the
//! zero-shot tagger built from the BTS vocabulary, and PP-OCR. Each is optional; what is
//! missing is reported once and the run goes on without it.

use std::path::{Path, PathBuf};

use image::RgbImage;
use ndarray::Array2;
use rushes_models::{ClipModel, ImageEmbedder, ModelStore, OcrEngine, OcrLine, ZeroShotTagger};
use tracing::info;

use crate::IngestError;

/// Zero-shot tags with their scores, one list per frame.
pub type FrameTags = Vec<Vec<(String, f32)>>;

/// Which models to load and how.
#[derive(Debug, Clone)]
pub struct ModelSetConfig {
    /// Folder of model manifests and weights.
    pub models_dir: PathBuf,
    /// Embedding model to use; `None` picks the first installed one.
    pub clip_model: Option<String>,
    /// Intra-op threads for each ONNX session.
    pub threads: usize,
    pub visual: bool,
    pub ocr: bool,
}

impl Default for ModelSetConfig {
    fn default() -> Self {
        ModelSetConfig {
            models_dir: rushes_models::default_models_dir(),
            clip_model: None,
            threads: 2,
            visual: true,
            ocr: true,
        }
    }
}

/// The loaded models.
pub struct ModelSet {
    pub clip: Option<ClipModel>,
    pub clip_name: Option<String>,
    pub tagger: Option<ZeroShotTagger>,
    pub ocr: Option<OcrEngine>,
    /// Why a model is not in use, one line each, for the user.
    pub notices: Vec<String>,
}

impl ModelSet {
    /// No model in use, for the reasons in `notices`.
    fn none(notices: Vec<String>) -> ModelSet {
        ModelSet {
            clip: None,
            clip_name: None,
            tagger: None,
            ocr: None,
            notices,
        }
    }

    /// Loads what is installed. Never fails for a missing model; fails only when a model is
    /// installed but broken, since silently indexing without it would lose data.
    pub fn load(config: &ModelSetConfig) -> Result<ModelSet, IngestError> {
        let mut notices = Vec::new();
        if !config.visual && !config.ocr {
            return Ok(ModelSet::none(notices));
        }
        if let Err(error) = rushes_models::runtime::init() {
            notices.push(format!("models are off: {error}"));
            return Ok(ModelSet::none(notices));
        }
        let store = ModelStore::new(&config.models_dir);
        let mut clip = None;
        let mut clip_name = None;
        let mut tagger = None;
        if config.visual {
            let name = config
                .clip_model
                .clone()
                .or_else(|| ClipModel::find_installed(&store));
            match name {
                Some(name) => {
                    let mut model = ClipModel::load(&store, &name, config.threads)?;
                    let vocab = vocabulary_path(&config.models_dir);
                    if vocab.is_file() {
                        tagger = Some(ZeroShotTagger::from_vocab_file(&vocab, &mut model)?);
                    } else {
                        notices.push(format!("tags are off: no vocabulary at {}", vocab.display()));
                    }
                    info!(model = %name, "visual search on");
                    clip = Some(model);
                    clip_name = Some(name);
                }
                None => notices.push(
                    "visual search is off: no CLIP model installed (run `rushes models fetch clip-vit-b32`)"
                        .to_string(),
                ),
            }
        }
        let mut ocr = None;
        if config.ocr {
            match OcrEngine::load(&store, config.threads) {
                Ok(engine) => ocr = Some(engine),
                Err(error) if error.is_user_error() => {
                    notices.push(format!("on-screen text is off: {error}"))
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(ModelSet {
            clip,
            clip_name,
            tagger,
            ocr,
            notices,
        })
    }

    /// Embeds frames and tags them; `None` when visual search is off.
    pub fn embed_and_tag(
        &mut self,
        images: &[RgbImage],
    ) -> Result<Option<(Array2<f32>, FrameTags)>, IngestError> {
        let Some(clip) = self.clip.as_mut() else {
            return Ok(None);
        };
        let embeddings = clip.embed_images(images)?;
        let tags = match &self.tagger {
            Some(tagger) => tagger.tag(embeddings.view()),
            None => vec![Vec::new(); images.len()],
        };
        Ok(Some((embeddings, tags)))
    }

    /// Reads on-screen text, running the recogniser only where the detector sees text. Frames
    /// come in time order, so text held unchanged since the frame before is not read again.
    pub fn read_text(&mut self, image: &RgbImage) -> Result<Vec<OcrLine>, IngestError> {
        let Some(ocr) = self.ocr.as_mut() else {
            return Ok(Vec::new());
        };
        Ok(ocr.read_in_sequence(image)?)
    }
}

/// The BTS vocabulary beside the model manifests.
pub fn vocabulary_path(models_dir: &Path) -> PathBuf {
    models_dir.join("vocab").join("bts.toml")
}
