//! The seams another storage engine plugs into, beside the catalog's repositories: the
//! text index ([`TextIndex`], `TantivyText` in `text.rs` today), the vector
//! index ([`VectorIndex`], `VectorStore` in `vectors.rs`) and the thumbnail
//! store ([`ThumbnailStore`], the index folder's `thumbs/`).
//!
//! What fused search needs from them: the text index turns the query's words and filters
//! into scored moment ids (all words, else any word), says which moment ids pass the filters
//! (to restrict the visual branch), lists moments by date or path when there are no words,
//! and counts facets; the vector index turns a query vector into the nearest frame ids with
//! their similarity. Both are written per asset and made visible together by `commit`
//! (the catalog marks the asset done last, so a crash between is repaired from the catalog),
//! and both can be rebuilt from the catalog (`rebuild`). Moment and frame ids are the
//! catalog's; neither index stores text or vectors another engine could not get back.
//!
//! [`AssetWrites`] is the write path as one seam: everything indexing one file writes (its
//! catalog rows, text documents, vectors and faces) goes in through one call, so an engine
//! holding all of them in one database commits them in one transaction; the local engine
//! (`engines::Engines`) stages the catalog rows as pending, the text documents and the
//! vectors, and `commit` makes them visible in an order a crash can be repaired from.

use std::collections::HashSet;
use std::path::Path;

use rushes_core::{AssetId, AssetRecord};

use crate::catalog::faces::{FacesWritten, NewFace, PersonChooser};
use crate::catalog::{FrameVector, MomentRow};
use crate::error::StoreError;
use crate::query::{FilterClause, TextTerm};
use crate::text_field::TextField;

pub use crate::ranking_catalog::{MomentsWithSlates, RankingCatalog};
pub use crate::thumbnails::ThumbnailStore;
pub use tantivy::snippet::SnippetGenerator;
pub use tantivy::tokenizer::TextAnalyzer;

/// How search results are ordered by the text branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOrder {
    Score,
    DateDescending,
    Path,
}

/// The facet values of one matching moment.
#[derive(Debug, Clone)]
pub struct FacetDoc {
    pub asset_id: String,
    pub kind: String,
    pub folder: String,
    pub camera: String,
    pub tags: Vec<String>,
}

/// Full-text search over moment documents (one per moment: transcript, on-screen text,
/// tags, notes, caption, file and folder names, metadata, with fields to filter on).
pub trait TextIndex: Send + Sync {
    /// One consistent view of the index, for every call of one search (Tantivy: a searcher;
    /// SQL: a read transaction). Shared by the branches of one search, which run at once.
    type Snapshot: Sync;
    /// A query compiled from words and filters (Tantivy: a query tree; SQL: a condition).
    type Query: ?Sized;

    fn snapshot(&self) -> Self::Snapshot;
    /// Replaces the documents of an asset with `moments` (staged until `commit`).
    fn put_asset(&self, asset_id: &str, moments: &[MomentRow]) -> Result<(), StoreError>;
    /// Deletes the documents of an asset (staged until `commit`).
    fn delete_asset(&self, asset_id: &str) -> Result<(), StoreError>;
    /// Deletes every document (a rebuild starts from nothing).
    fn delete_all(&self) -> Result<(), StoreError>;
    /// Makes every staged change visible to new snapshots.
    fn commit(&self) -> Result<(), StoreError>;
    /// Drops every staged change.
    fn rollback(&self) -> Result<(), StoreError>;
    /// How many moment documents the current snapshot holds.
    fn num_docs(&self) -> u64;
    /// The full query of the text branch; `all_terms` requires every word (else any).
    /// `None` when the query has no words to look for (all vanish in the analyzer).
    fn build_query(
        &self,
        terms: &[TextTerm],
        filters: &[FilterClause],
        all_terms: bool,
    ) -> Result<Option<Box<Self::Query>>, StoreError>;
    /// Everything that passes the filters and exclusions (for listing and the visual branch).
    fn restriction_query(
        &self,
        terms: &[TextTerm],
        filters: &[FilterClause],
    ) -> Result<Box<Self::Query>, StoreError>;
    /// True when the query restricts nothing (no filters, no exclusions).
    fn is_unrestricted(&self, terms: &[TextTerm], filters: &[FilterClause]) -> bool {
        filters.is_empty() && !terms.iter().any(|t| t.excluded)
    }
    /// The best `limit` moments for `query` as (moment id, score), in `order`.
    fn top_moments(
        &self,
        snapshot: &Self::Snapshot,
        query: &Self::Query,
        limit: usize,
        order: TextOrder,
    ) -> Result<Vec<(i64, f32)>, StoreError>;
    /// Which of `moment_ids` pass the query's filters and exclusions.
    fn passing(
        &self,
        snapshot: &Self::Snapshot,
        restriction: &Self::Query,
        moment_ids: &[i64],
    ) -> Result<HashSet<i64>, StoreError>;
    /// Facet values of the documents matching `query`; at most `cap` documents are read.
    /// Returns the total number of matching moments too.
    fn facet_values(
        &self,
        snapshot: &Self::Snapshot,
        query: &Self::Query,
        cap: usize,
    ) -> Result<(usize, Vec<FacetDoc>), StoreError>;
    /// The snippet generators of the positive `words`, one per searchable field (none when
    /// the analyzer keeps no word of them): they tell which fields a hit matched in and
    /// highlight its snippet. An engine without word statistics builds them from the
    /// analyzer alone (`text::plain_snippet_generators`, every word weighing the same); the
    /// Tantivy index weighs each by how rare it is.
    fn snippet_generators(
        &self,
        snapshot: &Self::Snapshot,
        words: &[TextTerm],
    ) -> Result<Vec<(TextField, SnippetGenerator)>, StoreError>;
    /// The analyzer of the searchable text fields (lowercased, folded, stemmed words, as
    /// `text::words_analyzer`), to tell which of a query's words a hit lacks.
    fn word_analyzer(&self) -> Option<TextAnalyzer>;
}

/// One nearest frame: its id and cosine similarity to the query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameMatch {
    pub frame_id: u64,
    pub similarity: f32,
}

/// Nearest-neighbour search over frame embeddings, one space per embedding model, keyed by
/// the catalog's frame ids. Vectors are L2-normalised; similarity is cosine.
pub trait VectorIndex: Send + Sync {
    /// The dimensions of a model's vectors, if it has any.
    fn dimensions(&self, model: &str) -> Result<Option<usize>, StoreError>;
    /// Adds frames' vectors (staged until `save`).
    fn add(&self, frames: &[FrameVector]) -> Result<(), StoreError>;
    /// Removes vectors by (frame id, model) (staged until `save`).
    fn remove(&self, frames: &[(u64, String)]) -> Result<(), StoreError>;
    /// Empties a model's space for vectors of `dimensions` (a rebuild).
    fn reset(&self, model: &str, dimensions: usize) -> Result<(), StoreError>;
    /// Makes every staged change durable and visible.
    fn save(&self) -> Result<(), StoreError>;
    /// The `count` frames of `model` nearest to `vector`, most similar first.
    fn search(
        &self,
        model: &str,
        vector: &[f32],
        count: usize,
    ) -> Result<Vec<FrameMatch>, StoreError>;
    fn contains(&self, model: &str, frame_id: u64) -> Result<bool, StoreError>;
    /// How many live vectors a model has.
    fn len(&self, model: &str) -> Result<usize, StoreError>;
    /// [`VectorIndex::search`] with each frame's moment as `catalog` maps it (`None`: not
    /// a frame of a committed asset), in the same order. An engine that holds the catalog
    /// too (PostgreSQL) answers both in one step; it is then only ever given its own
    /// catalog.
    fn search_moments(
        &self,
        model: &str,
        vector: &[f32],
        count: usize,
        catalog: &dyn RankingCatalog,
    ) -> Result<Vec<(FrameMatch, Option<i64>)>, StoreError> {
        frames_with_moments(self.search(model, vector, count)?, catalog)
    }
}

/// Each of `matches` with its moment as `catalog` maps it (`None`: not a frame of a
/// committed asset), in the same order: [`VectorIndex::search_moments`] for an engine that
/// does not hold the catalog.
pub fn frames_with_moments(
    matches: Vec<FrameMatch>,
    catalog: &dyn RankingCatalog,
) -> Result<Vec<(FrameMatch, Option<i64>)>, StoreError> {
    let frame_ids: Vec<u64> = matches.iter().map(|m| m.frame_id).collect();
    let moments = catalog.frame_moments(&frame_ids)?;
    Ok(matches
        .into_iter()
        .map(|frame| {
            let moment = moments.get(&frame.frame_id).copied();
            (frame, moment)
        })
        .collect())
}

/// A sentence model as the store sees it: the store keeps text units' vectors but loads no
/// model, so whoever writes hand notes and tags (the server, the CLI) lends one to embed
/// them with (`Index::refresh_hand_units`).
pub trait UnitEmbedding {
    /// The model's name: the text-unit vector space its vectors go in.
    fn model(&self) -> &str;
    /// One L2-normalised embedding per text; the error says why the model failed.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String>;
}

/// The faces to write with an asset: found by ingest, each given a person by
/// `choose_person` unless the same face was seen there before.
pub struct FacesToWrite<'a> {
    pub faces: &'a [NewFace],
    pub choose_person: &'a PersonChooser,
}

/// The write path of a storage engine, per asset. Implementations are `&self + Sync` (an
/// engine holding a connection pool takes a connection per call).
pub trait AssetWrites: Send + Sync {
    /// Writes assets with their moments, frames, vectors and (for one asset) its faces,
    /// replacing any earlier version of each (same id or same path), as one unit: all of it
    /// or none. Visible to searches after `commit`. Returns what writing the faces did.
    fn put_assets(
        &self,
        records: &[AssetRecord],
        faces: Option<FacesToWrite<'_>>,
    ) -> Result<FacesWritten, StoreError>;
    /// Records that an asset now lives at `new_path`, keeping its id, hand work and
    /// collections. Commits.
    fn move_asset(&self, id: &AssetId, new_path: &Path) -> Result<(), StoreError>;
    /// Deletes an asset with its hand work and faces. Commits.
    fn remove_asset(&self, id: &AssetId) -> Result<(), StoreError>;
    /// Makes everything written since the last commit visible.
    fn commit(&self) -> Result<(), StoreError>;
}

/// The model and size of a record's frame vectors (`None` when it has none), refusing a
/// record whose vectors differ in size: what every engine checks before writing it.
pub fn record_vectors(record: &AssetRecord) -> Result<Option<(&str, usize)>, StoreError> {
    let Some(model) = &record.embedding_model else {
        return Ok(None);
    };
    let dims = record
        .moments
        .iter()
        .flat_map(|m| &m.frames)
        .filter_map(|f| f.embedding.as_ref())
        .map(Vec::len);
    one_size(model, dims)
}

/// The model and size of a record's text-unit vectors (`None` when it has none or no
/// sentence model), refusing a record whose unit vectors differ in size.
pub fn record_unit_vectors(record: &AssetRecord) -> Result<Option<(&str, usize)>, StoreError> {
    let Some(model) = record.text_model.as_deref().filter(|m| !m.is_empty()) else {
        return Ok(None);
    };
    let dims = record
        .text_units
        .iter()
        .filter_map(|unit| unit.embedding.as_ref())
        .map(Vec::len);
    one_size(model, dims)
}

/// `model` and the size every one of `dims` has (`None` when there are none), or
/// `DimensionMismatch` naming the first that differs.
pub fn one_size(
    model: &str,
    mut dims: impl Iterator<Item = usize>,
) -> Result<Option<(&str, usize)>, StoreError> {
    let Some(first) = dims.next() else {
        return Ok(None);
    };
    if let Some(other) = dims.find(|d| *d != first) {
        return Err(StoreError::DimensionMismatch {
            model: model.to_string(),
            expected: first,
            found: other,
        });
    }
    Ok(Some((model, first)))
}
