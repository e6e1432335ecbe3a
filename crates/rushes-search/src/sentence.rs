//! The sentence model of an index's text units, loaded once: it embeds a query's free text
//! for the store's semantic branch (with the model's calibrated cut-off), and lends itself
//! to the store ([`UnitEmbedding`]) to embed hand notes and tags when they are written.
//! Which model: the one the index's text units were made with, else the default installed
//! one; missing, it says why semantic search is off.

use std::path::Path;
use std::sync::Mutex;

use rushes_models::{ModelStore, SentenceEncoder};
use rushes_store::seams::UnitEmbedding;
use rushes_store::{Library, SemanticQuery};
use tracing::warn;

/// A loaded sentence model.
pub struct SentenceModel {
    encoder: Mutex<SentenceEncoder>,
    name: String,
    cutoff: f32,
}

impl std::fmt::Debug for SentenceModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceModel")
            .field("name", &self.name)
            .field("cutoff", &self.cutoff)
            .finish()
    }
}

/// A sentence model for an index (`None` when semantic search is off) and, when the
/// index cannot be searched by meaning (yet), why.
pub struct LoadedSentence {
    pub model: Option<SentenceModel>,
    pub notice: Option<String>,
}

impl SentenceModel {
    /// Loads the sentence model of `index`'s text units for searching; none (and a notice
    /// saying why) when the index has no embedded text units.
    pub fn for_index(index: &dyn Library, models_dir: &Path, threads: usize) -> LoadedSentence {
        Self::load(index, models_dir, threads, false)
    }

    /// Loads the sentence model to embed hand notes and tags with: the index's, else the
    /// default installed one (notes can be embedded before any file was).
    pub fn for_writing(index: &dyn Library, models_dir: &Path, threads: usize) -> LoadedSentence {
        Self::load(index, models_dir, threads, true)
    }

    fn load(
        index: &dyn Library,
        models_dir: &Path,
        threads: usize,
        fallback: bool,
    ) -> LoadedSentence {
        let off = |notice: String| LoadedSentence {
            model: None,
            notice: Some(notice),
        };
        let used = match index.text_unit_models() {
            Ok(models) => models.into_iter().next(),
            Err(error) => return off(format!("semantic search is off: {error}")),
        };
        if used.is_none() && !fallback {
            return off(
                "semantic search is off: the index has no embedded text units (install the sentence model with `make setup`, then `rushes index` again)"
                    .into(),
            );
        }
        if let Err(error) = rushes_models::runtime::init() {
            return off(format!("semantic search is off: {error}"));
        }
        let store = ModelStore::new(models_dir);
        let Some(name) = used
            .as_ref()
            .map(|(name, _)| name.clone())
            .or_else(|| SentenceEncoder::installed_models(&store).into_iter().next())
        else {
            return off(
                "semantic search is off: no sentence model installed (run `make setup`)".into(),
            );
        };
        let encoder = match SentenceEncoder::load_named(&store, &name, threads) {
            Ok(encoder) => encoder,
            Err(error) => {
                return off(format!(
                    "semantic search is off: sentence model {name}: {error}"
                ));
            }
        };
        let notice = match used {
            Some((_, dim)) if dim != encoder.dim() => {
                return off(format!(
                    "semantic search is off: model {name} makes {}-d vectors but the index holds {dim}-d ones; reindex",
                    encoder.dim()
                ));
            }
            Some(_) => None,
            None => Some(
                "semantic search finds nothing yet: the index has no embedded text units (`rushes index` embeds them)"
                    .to_string(),
            ),
        };
        LoadedSentence {
            model: Some(SentenceModel {
                cutoff: encoder.semantic_cutoff(),
                name,
                encoder: Mutex::new(encoder),
            }),
            notice,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The query's free text as the semantic branch asks for it; `None` when the model
    /// fails (the other branches still answer).
    pub fn query(&self, text: &str) -> Option<SemanticQuery> {
        match self.embed(&[text]) {
            Ok(mut vectors) => Some(SemanticQuery {
                model: self.name.clone(),
                vector: vectors.pop()?,
                cutoff: self.cutoff,
            }),
            Err(error) => {
                warn!(%error, "could not embed the query; semantic branch skipped");
                None
            }
        }
    }
}

impl UnitEmbedding for SentenceModel {
    fn model(&self) -> &str {
        &self.name
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        let mut encoder = self
            .encoder
            .lock()
            .map_err(|_| "the sentence model crashed earlier".to_string())?;
        let embeddings = encoder.embed(texts).map_err(|error| error.to_string())?;
        Ok(embeddings.outer_iter().map(|row| row.to_vec()).collect())
    }
}
