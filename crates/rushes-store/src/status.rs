//! What an index holds, as `rushes status` shows it: [`IndexStatus`] and the
//! [`EmbeddingModel`]s whose vectors it keeps (frames' and text units').

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::FailureRow;

/// An embedding model whose vectors are in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingModel {
    pub name: String,
    pub dim: usize,
}

/// What is in an index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexStatus {
    pub dir: String,
    pub assets: u64,
    pub assets_by_kind: BTreeMap<String, u64>,
    pub moments: u64,
    pub frames: u64,
    pub failures: Vec<FailureRow>,
    pub embedding_models: Vec<EmbeddingModel>,
    /// The sentence models of the text units' vectors (semantic search), by name.
    #[serde(default)]
    pub text_unit_models: Vec<EmbeddingModel>,
    pub size_on_disk: u64,
}
