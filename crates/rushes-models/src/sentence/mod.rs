//! Sentence embeddings for semantic text search (sentence-transformers models such as
//! all-MiniLM-L6-v2, converted to ONNX by scripts/sentence_onnx.py, or a multilingual one
//! fetched with its manifest): the `[sentence]` manifest section, BERT-style tokenisation
//! with the model's own `tokenizer.json`, the ONNX Runtime session, and pooling plus L2
//! normalisation when the graph leaves them to us. Storing and searching vectors is not
//! this module's job.

pub(crate) mod pooling;

use std::path::PathBuf;

use ndarray::{Array2, ArrayViewD, Ix2, Ix3};
use ort::value::TensorRef;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::clip::l2_normalised;
use crate::manifest::{Manifest, TASK_SENTENCE_EMBEDDING};
use crate::model_files::{first_installed, installed_in_preference_order, load_tokenizer};
use crate::session::Graph;
use crate::{ModelError, ModelStore};

pub use pooling::{Pooling, pool};

/// Name of the default sentence model's manifest.
pub const SENTENCE_MODEL: &str = "all-minilm-l6-v2";

/// Texts per ONNX Runtime call: bounds memory on long transcripts while keeping batches.
const BATCH: usize = 32;

pub use crate::manifest::SentenceSpec;

/// Which graph input a tokenizer output goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    Ids,
    Mask,
    TypeIds,
}

/// A sentence-embedding model loaded from a models folder.
pub struct SentenceEncoder {
    graph: Graph,
    spec: SentenceSpec,
    pooling: Pooling,
    /// Graph input names, in the session's order, with what each receives.
    inputs: Vec<(String, Feed)>,
    /// Whether the output is token embeddings to pool (rank 3) rather than pooled (rank 2).
    pool_here: bool,
    tokenizer: Tokenizer,
    tokenizer_path: PathBuf,
    dim: usize,
}

impl std::fmt::Debug for SentenceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEncoder")
            .field("graph", &self.graph)
            .field("dim", &self.dim)
            .field("pool_here", &self.pool_here)
            .finish()
    }
}

impl SentenceEncoder {
    /// Every installed sentence model, the default ([`SENTENCE_MODEL`]) first.
    pub fn installed_models(store: &ModelStore) -> Vec<String> {
        installed_in_preference_order(store, TASK_SENTENCE_EMBEDDING, SENTENCE_MODEL)
    }

    /// Loads the default sentence model, else the first installed one by name.
    pub fn load(store: &ModelStore, threads: usize) -> Result<SentenceEncoder, ModelError> {
        let name = first_installed(store, TASK_SENTENCE_EMBEDDING, SENTENCE_MODEL)
            .unwrap_or_else(|| SENTENCE_MODEL.to_string());
        Self::load_named(store, &name, threads)
    }

    /// Loads a sentence-embedding model by manifest name.
    pub fn load_named(
        store: &ModelStore,
        name: &str,
        threads: usize,
    ) -> Result<SentenceEncoder, ModelError> {
        let manifest: Manifest = store.manifest(name)?;
        let Some(spec) = manifest.sentence.clone() else {
            return Err(ModelError::BadManifest {
                path: store.manifest_path(name),
                reason: format!(
                    "model {name} is not a {TASK_SENTENCE_EMBEDDING} model (task {})",
                    manifest.task
                ),
            });
        };
        let pooling: Pooling = spec
            .pooling
            .parse()
            .map_err(|reason| ModelError::BadManifest {
                path: store.manifest_path(name),
                reason,
            })?;
        let tokenizer_path = store.file_path(&manifest, &spec.tokenizer);
        let mut tokenizer = load_tokenizer(name, &tokenizer_path)?;
        // The file's own padding and truncation (all-MiniLM-L6-v2 ships a fixed 128) give
        // way to the manifest's limit and padding to the longest text of each batch.
        let pad_id = tokenizer
            .get_padding()
            .map(|p| p.pad_id)
            .or_else(|| tokenizer.token_to_id("[PAD]"))
            .unwrap_or(0);
        let pad_token = tokenizer
            .id_to_token(pad_id)
            .unwrap_or_else(|| "[PAD]".to_string());
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_id,
            pad_token,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: spec.max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| ModelError::Tokenizer {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;

        let graph = Graph::open(name, &store.file_path(&manifest, &spec.file), threads)?;
        let mut inputs = Vec::new();
        for input in graph.session.inputs() {
            let input_name = input.name().to_string();
            let feed = match input_name.as_str() {
                n if n.contains("input_ids") => Feed::Ids,
                n if n.contains("attention_mask") => Feed::Mask,
                n if n.contains("token_type_ids") => Feed::TypeIds,
                other => {
                    return Err(graph.incompatible(format!(
                        "it has an input {other:?}; a sentence encoder takes input_ids, attention_mask and token_type_ids"
                    )));
                }
            };
            inputs.push((input_name, feed));
        }
        if !inputs.iter().any(|(_, feed)| *feed == Feed::Ids) {
            return Err(graph.incompatible("it has no input_ids input".into()));
        }
        let dim = manifest.embedding_dim;
        let output_shape = graph.require_output(&spec.output)?;
        let pool_here = match output_shape.len() {
            2 => false,
            3 => true,
            _ => {
                return Err(graph.incompatible(format!(
                    "output {:?} has shape {output_shape:?}, expected [batch, {dim}] or [batch, sequence, {dim}]",
                    spec.output
                )));
            }
        };
        if let Some(&last) = output_shape.last()
            && last > 0
            && last as usize != dim
        {
            return Err(graph.incompatible(format!(
                "output {:?} has dimension {last}, the manifest says embedding_dim = {dim}",
                spec.output
            )));
        }
        Ok(SentenceEncoder {
            graph,
            spec,
            pooling,
            inputs,
            pool_here,
            tokenizer,
            tokenizer_path,
            dim,
        })
    }

    /// Name of the model (the manifest name).
    pub fn name(&self) -> &str {
        &self.graph.id.model
    }

    /// Size of an embedding.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Tokens a text is truncated to.
    pub fn max_tokens(&self) -> usize {
        self.spec.max_tokens
    }

    /// The calibrated cosine below which a text does not match a query.
    pub fn semantic_cutoff(&self) -> f32 {
        self.spec.semantic_cutoff
    }

    /// Token ids of each text as the model sees them (special tokens included, truncated,
    /// not padded).
    pub fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, ModelError> {
        let encodings = self.encode(texts)?;
        Ok(encodings
            .iter()
            .map(|e| {
                e.get_ids()
                    .iter()
                    .zip(e.get_attention_mask())
                    .filter(|&(_, &m)| m == 1)
                    .map(|(&id, _)| id)
                    .collect()
            })
            .collect())
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<tokenizers::Encoding>, ModelError> {
        self.tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| ModelError::Tokenizer {
                path: self.tokenizer_path.clone(),
                reason: e.to_string(),
            })
    }

    /// One unit-length embedding per text, [texts, dim]. An empty text gets the embedding
    /// of no words (the special tokens only).
    pub fn embed(&mut self, texts: &[&str]) -> Result<Array2<f32>, ModelError> {
        let mut out = Array2::<f32>::zeros((texts.len(), self.dim));
        for (index, chunk) in texts.chunks(BATCH).enumerate() {
            let rows = self.embed_batch(chunk)?;
            out.slice_mut(ndarray::s![index * BATCH..index * BATCH + chunk.len(), ..])
                .assign(&rows);
        }
        Ok(out)
    }

    fn embed_batch(&mut self, texts: &[&str]) -> Result<Array2<f32>, ModelError> {
        let encodings = {
            let _span = tracing::debug_span!("sentence_tokenize", n = texts.len()).entered();
            self.encode(texts)?
        };
        let length = encodings.first().map(|e| e.len()).unwrap_or(0);
        let mut ids = Array2::<i64>::zeros((texts.len(), length));
        let mut mask = Array2::<i64>::zeros((texts.len(), length));
        let mut type_ids = Array2::<i64>::zeros((texts.len(), length));
        for (row, encoding) in encodings.iter().enumerate() {
            let columns = encoding
                .get_ids()
                .iter()
                .zip(encoding.get_attention_mask())
                .zip(encoding.get_type_ids())
                .take(length);
            for (column, ((&id, &m), &t)) in columns.enumerate() {
                ids[[row, column]] = i64::from(id);
                mask[[row, column]] = i64::from(m);
                type_ids[[row, column]] = i64::from(t);
            }
        }
        let _span = tracing::debug_span!("sentence_inference", n = texts.len(), length).entered();
        let context = format!("the sentence encoder {}", self.graph.id.path.display());
        let mut feeds: Vec<(String, TensorRef<'_, i64>)> = Vec::with_capacity(self.inputs.len());
        for (name, feed) in &self.inputs {
            let array = match feed {
                Feed::Ids => &ids,
                Feed::Mask => &mask,
                Feed::TypeIds => &type_ids,
            };
            let tensor = TensorRef::from_array_view(array)
                .map_err(|e| ModelError::inference("building an input tensor", e))?;
            feeds.push((name.clone(), tensor));
        }
        let outputs = self
            .graph
            .session
            .run(feeds)
            .map_err(|e| ModelError::inference(context, e))?;
        let id = &self.graph.id;
        let output = self.spec.output.as_str();
        let value = outputs
            .get(output)
            .ok_or_else(|| id.incompatible(format!("it produced no output {output:?}")))?;
        let view: ArrayViewD<'_, f32> = value.try_extract_array::<f32>().map_err(|e| {
            id.incompatible(format!("output {output:?} is not f32: {}", e.message()))
        })?;
        let shape = view.shape().to_vec();
        let pooled = if self.pool_here {
            let tokens = view
                .into_dimensionality::<Ix3>()
                .map_err(|e| id.incompatible(format!("output {output:?}: {e}")))?;
            if tokens.shape() != [texts.len(), length, self.dim] {
                return Err(id.incompatible(format!(
                    "output {output:?} has shape {shape:?}, expected [{}, {length}, {}]",
                    texts.len(),
                    self.dim
                )));
            }
            pool(tokens, mask.view(), self.pooling)
        } else {
            if shape != [texts.len(), self.dim] {
                return Err(id.incompatible(format!(
                    "output {output:?} has shape {shape:?}, expected [{}, {}]",
                    texts.len(),
                    self.dim
                )));
            }
            view.into_dimensionality::<Ix2>()
                .map_err(|e| id.incompatible(format!("output {output:?}: {e}")))?
                .to_owned()
        };
        Ok(if self.spec.normalize {
            l2_normalised(pooled.view())
        } else {
            pooled
        })
    }
}
