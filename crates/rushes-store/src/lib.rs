//! rushes-store: the index folder. The SQLite catalog is the source of truth; the Tantivy
//! text index and the usearch vector indexes are derived from it and can be rebuilt
//! (`rebuild::reindex`). This module owns opening, locking, crash repair and the write
//! path; `search` owns ranking, `query` the query language.
//!
//! Layout of an index folder: `catalog.sqlite`, `text/`, `vectors/<model>.usearch`,
//! `thumbs/<asset_id>/…`, `rushes.toml`, `index.lock`.

pub mod catalog;
mod error;
pub mod fusion;
pub mod manifest;
pub mod people;
pub mod person_filter;
pub mod query;
pub mod rebuild;
mod search;
pub mod slates;
pub mod text;
mod tokenizer;
pub mod vectors;
pub mod workflow;
pub mod written_format;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rushes_core::{Asset, AssetId, AssetRecord, SearchResponse, Signal, TranscriptLine};
use serde::{Deserialize, Serialize};

use crate::catalog::{CATALOG_FILE, Catalog, FailureRow};
use crate::text::TextIndex;
use crate::vectors::VectorStore;

pub use crate::error::StoreError;
pub use crate::fusion::Fusion;
pub use crate::query::{Query, QueryError};
pub use crate::workflow::{Annotation, Collection, CollectionItem, CollectionSummary, TimeRange};
pub use crate::written_format::WrittenFormat;

/// Name of the lock file a writer holds.
pub const LOCK_FILE: &str = "index.lock";

/// True when `dir` is a rushes index folder: it holds the catalog and the manifest the
/// store writes there. Ingest never walks into one (its thumbnails are not footage).
pub fn is_index_dir(dir: &Path) -> bool {
    dir.join(CATALOG_FILE).is_file() && dir.join(manifest::MANIFEST_FILE).is_file()
}

/// The folders of an index whose files look like footage: JPEG thumbnails (`thumbs/`) and
/// the server's stream-copied MP4 proxies (`proxies/`). An asset there is the index's own
/// file, indexed by mistake.
pub const MEDIA_LIKE_PARTS: [&str; 2] = ["thumbs", "proxies"];

/// How an index is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// One writer at a time (an exclusive lock on `index.lock`); creates the folder.
    ReadWrite,
    /// Any number of readers, at any time, also while a writer commits.
    ReadOnly,
}

/// Order of search results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (newest first when the query has only filters).
    #[default]
    Relevance,
    /// Newest capture date first.
    Date,
    /// By path, then time in the file.
    Path,
}

/// Hits ranked for a query, with the assets they belong to (as read for ranking, so a
/// caller adding asset facts to hits need not read them again).
#[derive(Debug, Clone)]
pub struct RankedHits {
    pub response: SearchResponse,
    pub assets: HashMap<AssetId, Asset>,
}

/// A search: the query text, paging, optional query vectors for the visual branch, the
/// most hits one asset may contribute, and the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    pub query: String,
    pub limit: usize,
    pub offset: usize,
    /// The query text embedded by the index's text encoder (CLIP), for the visual branch.
    pub text_vector: Option<Vec<f32>>,
    /// An image embedding ("more like this"), for the visual branch.
    pub image_vector: Option<Vec<f32>>,
    /// At most this many hits per asset (0: no limit); ignored when the query names one asset.
    pub per_asset: usize,
    pub sort: Sort,
    /// How the text and visual branches are fused (the measured default unless a caller,
    /// such as the fusion evaluation, asks for another).
    pub fusion: Fusion,
}

impl Default for SearchRequest {
    fn default() -> SearchRequest {
        SearchRequest {
            query: String::new(),
            limit: 20,
            offset: 0,
            text_vector: None,
            image_vector: None,
            per_asset: 3,
            sort: Sort::Relevance,
            fusion: Fusion::default(),
        }
    }
}

impl SearchRequest {
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            ..SearchRequest::default()
        }
    }
}

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
    pub size_on_disk: u64,
}

/// One moment of an asset, as `rushes show` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MomentDetail {
    pub start: f64,
    pub end: f64,
    pub keyframe: f64,
    /// URL path of the keyframe thumbnail (`/thumbs/...`).
    pub thumbnail: Option<String>,
    /// Which kinds of text the moment has (ocr, transcript, tag, caption).
    pub signals: Vec<Signal>,
    pub tags: Vec<String>,
    /// OCR text and transcript lines, one per line.
    pub text: String,
    pub ocr: String,
    pub transcript: Vec<TranscriptLine>,
    pub caption: Option<String>,
}

/// Everything the index knows of one asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetDetail {
    pub asset: Asset,
    pub moments: Vec<MomentDetail>,
    pub user_tags: Vec<String>,
    /// The slates read in the asset, each with the stretch of the file it names.
    #[serde(default)]
    pub slates: Vec<rushes_core::SlateSpan>,
}

/// One facet value and how many assets have it among the matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// Counts of matching assets by kind, folder, camera and tag, for the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    /// Matching moments.
    pub moments: u64,
    pub kind: Vec<FacetCount>,
    pub folder: Vec<FacetCount>,
    pub camera: Vec<FacetCount>,
    pub tag: Vec<FacetCount>,
    /// Matching assets by the scenes and takes their slates name.
    #[serde(default)]
    pub scene: Vec<FacetCount>,
    #[serde(default)]
    pub take: Vec<FacetCount>,
}

/// An open index folder. `Send + Sync`; every method takes `&self`.
pub struct Index {
    dir: PathBuf,
    mode: OpenMode,
    catalog: Mutex<Catalog>,
    text: TextIndex,
    vectors: VectorStore,
    /// Held for the life of a ReadWrite index; the OS releases it if the process dies.
    _lock: Option<File>,
}

impl Index {
    /// Opens an index. ReadWrite creates the folder if missing, takes the writer lock and
    /// repairs what an interrupted run left pending; ReadOnly needs an existing index.
    pub fn open(dir: &Path, mode: OpenMode) -> Result<Index, StoreError> {
        let read_only = mode == OpenMode::ReadOnly;
        // A file where the folder should be is the user's mistake, not a disk failure.
        if dir.exists() && !dir.is_dir() {
            return Err(StoreError::NotFound(format!(
                "{} is a file, not an index folder; pass a folder to --index",
                dir.display()
            )));
        }
        let lock = if read_only {
            if !dir.join(CATALOG_FILE).is_file() {
                return Err(StoreError::NotFound(format!(
                    "no index at {}; run `rushes index <PATH>` first",
                    dir.display()
                )));
            }
            None
        } else {
            std::fs::create_dir_all(dir).map_err(StoreError::io(dir))?;
            let lock = take_lock(dir)?;
            rebuild::finish_interrupted_swap(dir)?;
            Some(lock)
        };
        manifest::check(dir, read_only)?;
        let catalog = Catalog::open(&dir.join(CATALOG_FILE), read_only)?;
        let text = TextIndex::open(&rebuild::readable_part(dir, "text"), read_only)?;
        let vectors = VectorStore::new(&rebuild::readable_part(dir, "vectors"), read_only);
        let index = Index {
            dir: dir.to_path_buf(),
            mode,
            catalog: Mutex::new(catalog),
            text,
            vectors,
            _lock: lock,
        };
        if !read_only {
            index.repair()?;
            index.import_legacy_collection_ranges()?;
        }
        Ok(index)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn mode(&self) -> OpenMode {
        self.mode
    }

    /// `<index>/thumbs`, where ingest writes `<asset_id>/<millis>.jpg`.
    pub fn thumbs_dir(&self) -> PathBuf {
        self.dir.join("thumbs")
    }

    pub(crate) fn catalog(&self) -> Result<MutexGuard<'_, Catalog>, StoreError> {
        self.catalog
            .lock()
            .map_err(|_| StoreError::Vector("catalog lock poisoned by a panic".into()))
    }

    fn require_writer(&self) -> Result<(), StoreError> {
        match self.mode {
            OpenMode::ReadWrite => Ok(()),
            OpenMode::ReadOnly => Err(StoreError::ReadOnly),
        }
    }

    /// Undoes assets an interrupted run left pending (their text documents, vectors and
    /// rows), and vector keys deleted from the catalog but not yet from the vector files.
    fn repair(&self) -> Result<(), StoreError> {
        let mut catalog = self.catalog()?;
        let pending = catalog.pending_assets()?;
        let stale = catalog.stale_frames()?;
        if pending.is_empty() && stale.is_empty() {
            return Ok(());
        }
        tracing::warn!(
            assets = pending.len(),
            "repairing an interrupted index run; those files will be indexed again"
        );
        self.vectors.remove(&stale)?;
        for id in &pending {
            // Its faces first, keeping the names they held for the rerun.
            let transaction = catalog.connection().unchecked_transaction()?;
            crate::people::delete_pending_asset_faces(&transaction, id)?;
            transaction.commit()?;
            let removed = catalog.delete_asset(id, false)?;
            self.vectors.remove(&removed)?;
            self.text.delete_asset(id)?;
        }
        self.commit_locked(&mut catalog)
    }

    pub fn asset(&self, id: &AssetId) -> Result<Option<Asset>, StoreError> {
        self.catalog()?.asset(id.as_str())
    }

    pub fn asset_by_path(&self, path: &Path) -> Result<Option<Asset>, StoreError> {
        self.catalog()?.asset_by_path(path)
    }

    pub fn assets_by_hash(&self, content_hash: &str) -> Result<Vec<Asset>, StoreError> {
        self.catalog()?.assets_by_hash(content_hash)
    }

    /// Every committed asset, by path.
    pub fn assets(&self) -> Result<Vec<Asset>, StoreError> {
        self.catalog()?.assets()
    }

    /// Writes an asset with its moments, frames and vectors, replacing any earlier version
    /// of it (same id or same path). Staged: searches see it after `commit()`.
    pub fn put_asset(&self, record: &AssetRecord) -> Result<(), StoreError> {
        self.put_assets(std::slice::from_ref(record))
    }

    /// Writes several assets at once: one catalog transaction, one text-index batch and a
    /// vector batch added from several threads. The bulk path for large imports and
    /// benchmarks; staged like `put_asset`.
    pub fn put_assets(&self, records: &[AssetRecord]) -> Result<(), StoreError> {
        self.put_assets_then(records, |_| Ok(()))
    }

    /// [`Index::put_assets`] with `also` run inside the assets' catalog transaction.
    pub(crate) fn put_assets_then<T>(
        &self,
        records: &[AssetRecord],
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.require_writer()?;
        let mut catalog = self.catalog()?;
        for record in records {
            self.check_dimensions(record)?;
        }
        let (writes, also) = catalog.write_assets_then(records, also)?;
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for (record, write) in records.iter().zip(writes) {
            let id = record.asset.id.as_str();
            for other in write.replaced.iter().filter(|other| other.as_str() != id) {
                self.text.delete_asset(other)?;
            }
            let moments = catalog.asset_moments(id)?;
            self.text.put_asset(id, &moments)?;
            added.extend(write.added);
            removed.extend(write.removed);
        }
        // An asset written twice in one batch: its first frames are already gone again.
        let gone: HashSet<u64> = removed.iter().map(|(frame_id, _)| *frame_id).collect();
        added.retain(|frame| !gone.contains(&frame.frame_id));
        self.vectors.remove(&removed)?;
        self.vectors.add(&added)?;
        Ok(also)
    }

    fn check_dimensions(&self, record: &AssetRecord) -> Result<(), StoreError> {
        let Some(model) = &record.embedding_model else {
            return Ok(());
        };
        let mut dims = record
            .moments
            .iter()
            .flat_map(|m| &m.frames)
            .filter_map(|f| f.embedding.as_ref())
            .map(Vec::len);
        let Some(first) = dims.next() else {
            return Ok(());
        };
        if let Some(other) = dims.find(|d| *d != first) {
            return Err(StoreError::DimensionMismatch {
                model: model.clone(),
                expected: first,
                found: other,
            });
        }
        match self.vectors.dimensions(model)? {
            Some(expected) if expected != first => Err(StoreError::DimensionMismatch {
                model: model.clone(),
                expected,
                found: first,
            }),
            _ => Ok(()),
        }
    }

    /// Records that an asset now lives at `new_path`, keeping its id, user tags and
    /// collections. Commits.
    pub fn move_asset(&self, id: &AssetId, new_path: &Path) -> Result<(), StoreError> {
        self.require_writer()?;
        let mut catalog = self.catalog()?;
        if !catalog.move_asset(id.as_str(), new_path)? {
            return Err(StoreError::NotFound(format!("no asset {id} in this index")));
        }
        let moments = catalog.asset_moments(id.as_str())?;
        self.text.put_asset(id.as_str(), &moments)?;
        self.commit_locked(&mut catalog)
    }

    /// Deletes an asset and everything of it: text documents, vectors, catalog rows, user
    /// tags, collection entries, faces (and people left with none), its `thumbs/<id>/` and
    /// `thumbs/faces/<id>/` folders. Commits.
    pub fn remove_asset(&self, id: &AssetId) -> Result<(), StoreError> {
        self.require_writer()?;
        let mut catalog = self.catalog()?;
        if catalog.asset_any_state(id.as_str())?.is_none() {
            return Err(StoreError::NotFound(format!("no asset {id} in this index")));
        }
        let removed = catalog.delete_asset(id.as_str(), true)?;
        self.text.delete_asset(id.as_str())?;
        self.vectors.remove(&removed)?;
        self.commit_locked(&mut catalog)?;
        let thumbs = self.thumbs_dir();
        for folder in [
            thumbs.join(id.as_str()),
            thumbs.join(people::FACE_THUMBS_DIR).join(id.as_str()),
        ] {
            if folder.exists() {
                std::fs::remove_dir_all(&folder).map_err(StoreError::io(&folder))?;
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, path: &Path, reason: &str) -> Result<(), StoreError> {
        self.require_writer()?;
        self.catalog()?.record_failure(path, reason)
    }

    pub fn clear_failure(&self, path: &Path) -> Result<(), StoreError> {
        self.require_writer()?;
        self.catalog()?.clear_failure(path)
    }

    /// The paths of the files whose failures are recorded (`status` lists them with reasons).
    pub fn failed_paths(&self) -> Result<Vec<PathBuf>, StoreError> {
        self.catalog()?.failed_paths()
    }

    /// Starts an index run in the catalog's `runs` table; returns its id.
    pub fn begin_run(&self) -> Result<i64, StoreError> {
        self.require_writer()?;
        self.catalog()?.begin_run()
    }

    pub fn finish_run(
        &self,
        run: i64,
        files_done: u64,
        files_failed: u64,
    ) -> Result<(), StoreError> {
        self.require_writer()?;
        self.catalog()?.finish_run(run, files_done, files_failed)
    }

    /// Makes everything staged since the last commit visible: the text commit, then the
    /// vector files, then the catalog marks the assets done.
    pub fn commit(&self) -> Result<(), StoreError> {
        self.require_writer()?;
        let mut catalog = self.catalog()?;
        self.commit_locked(&mut catalog)
    }

    fn commit_locked(&self, catalog: &mut Catalog) -> Result<(), StoreError> {
        self.text.commit()?;
        self.vectors.save()?;
        catalog.finish_commit()?;
        let models = catalog.embedding_models()?;
        manifest::write(&self.dir, &models)?;
        Ok(())
    }

    pub fn status(&self) -> Result<IndexStatus, StoreError> {
        let catalog = self.catalog()?;
        let (by_kind, moments, frames) = catalog.counts()?;
        Ok(IndexStatus {
            dir: self.dir.display().to_string(),
            assets: by_kind.values().sum(),
            assets_by_kind: by_kind.into_iter().collect(),
            moments,
            frames,
            failures: catalog.failures()?,
            embedding_models: catalog
                .embedding_models()?
                .into_iter()
                .map(|(name, dim)| EmbeddingModel { name, dim })
                .collect(),
            size_on_disk: size_on_disk(&self.dir),
        })
    }

    /// The asset's on-screen text runs, each with the interval it is on screen, in time order.
    pub fn screen_text(&self, id: &AssetId) -> Result<Vec<rushes_core::ScreenText>, StoreError> {
        self.catalog()?.screen_text(id.as_str())
    }

    pub fn asset_detail(&self, id: &AssetId) -> Result<Option<AssetDetail>, StoreError> {
        let catalog = self.catalog()?;
        let Some(asset) = catalog.asset(id.as_str())? else {
            return Ok(None);
        };
        let user_tags = catalog.user_tags(id.as_str())?;
        let moments = catalog
            .asset_moments(id.as_str())?
            .into_iter()
            .map(|row| {
                let mut signals = Vec::new();
                if !row.ocr_text.trim().is_empty() {
                    signals.push(Signal::Ocr);
                }
                if !row.transcript.is_empty() {
                    signals.push(Signal::Transcript);
                }
                if !row.tags.is_empty() {
                    signals.push(Signal::Tag);
                }
                if row.caption.as_deref().is_some_and(|c| !c.trim().is_empty()) {
                    signals.push(Signal::Caption);
                }
                let mut text_lines: Vec<&str> = Vec::new();
                if !row.ocr_text.trim().is_empty() {
                    text_lines.push(row.ocr_text.trim());
                }
                text_lines.extend(row.transcript.iter().map(|line| line.text.as_str()));
                MomentDetail {
                    start: row.start,
                    end: row.end,
                    keyframe: row.keyframe,
                    thumbnail: row.thumbnail.as_deref().map(thumbnail_url),
                    signals,
                    text: text_lines.join("\n"),
                    tags: row.tags,
                    ocr: row.ocr_text,
                    transcript: row.transcript,
                    caption: row.caption,
                }
            })
            .collect();
        // The catalog lock is not re-entrant: release it before asset_slates takes it.
        drop(catalog);
        let slates = self.asset_slates(asset.id.as_str())?;
        Ok(Some(AssetDetail {
            asset,
            moments,
            user_tags,
            slates,
        }))
    }

    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, StoreError> {
        search::search(self, request)
    }

    /// Like [`Index::search`] for a query the caller parsed already (rushes-search parses
    /// once, to embed its free text), answering the hits' assets beside them.
    pub fn search_parsed(
        &self,
        query: Query,
        request: &SearchRequest,
    ) -> Result<RankedHits, StoreError> {
        search::search_parsed(self, query, request)
    }

    pub fn facets(&self, request: &SearchRequest) -> Result<Facets, StoreError> {
        search::facets(self, request)
    }

    /// Name and dimensions of the embedding model of this index's vectors (the most
    /// recently used one when there are several).
    pub fn embedding_model(&self) -> Result<Option<(String, usize)>, StoreError> {
        Ok(self.catalog()?.embedding_models()?.into_iter().next())
    }

    /// The embedding of the sampled frame nearest to `seconds` in an asset ("more like this").
    pub fn frame_embedding(
        &self,
        id: &AssetId,
        seconds: f64,
    ) -> Result<Option<Vec<f32>>, StoreError> {
        self.catalog()?
            .nearest_frame_embedding(id.as_str(), seconds)
    }

    /// Number of live vectors of an embedding model in the vector index.
    pub fn vector_count(&self, model: &str) -> Result<usize, StoreError> {
        self.vectors.len(model)
    }

    /// Number of moment documents in the text index as the current reader sees it.
    pub fn text_documents(&self) -> u64 {
        self.text.num_docs()
    }
}

/// `/thumbs/<relative path>` for a thumbnail path stored relative to `thumbs/`.
pub fn thumbnail_url(relative: &str) -> String {
    format!("/thumbs/{}", relative.trim_start_matches('/'))
}

pub(crate) fn take_lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(StoreError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
            dir: dir.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Io { path, source }),
    }
}

fn size_on_disk(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(metadata) if metadata.is_dir() => stack.push(entry.path()),
                Ok(metadata) => total += metadata.len(),
                Err(_) => {}
            }
        }
    }
    total
}
