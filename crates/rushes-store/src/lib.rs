//! rushes-store: the index folder. The SQLite catalog is the source of truth; the Tantivy
//! text index and the usearch vector indexes are derived from it and can be rebuilt
//! (`rebuild::reindex`). This module is the facade: [`Index`] opens, locks and repairs an
//! index and hands each call to the part that owns it — the catalog's repositories
//! (`catalog`), the write path across the engines (`engines`), hand work (`workflow`),
//! people (`people`), slates (`slates`), the thumbnail store (`thumbnails`), ranking
//! (`search`) and the query language (`query`). No module imports this one back.
//!
//! Layout of an index folder: `catalog.sqlite`, `text/`, `vectors/<model>.usearch` (frame
//! vectors), `vectors/text/<model>.usearch` (text units' sentence vectors),
//! `thumbs/<asset_id>/…`, `rushes.toml`, `index.lock`.

pub mod catalog;
mod detail;
mod engines;
mod error;
pub mod fusion;
mod hit_windows;
pub mod identity;
mod index_library;
pub mod ingest_target;
mod library;
mod lock;
pub mod manifest;
pub mod people;
pub mod person_filter;
pub mod query;
pub mod queue;
mod ranking;
mod ranking_catalog;
mod ranking_reads;
pub mod rebuild;
mod request;
pub mod seams;
pub mod search;
mod semantic;
pub mod slates;
mod status;
pub mod text;
pub mod text_branch;
mod text_field;
pub mod thumbnails;
mod tokenizer;
pub mod vectors;
pub mod workflow;
pub mod written_format;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rushes_core::{Asset, AssetId, AssetRecord, PersonInMoment, SearchResponse, SlateSpan};

use crate::catalog::{CATALOG_FILE, Catalog, Repositories};
use crate::engines::Engines;
use crate::lock::take_lock;
use crate::people::{FacesPage, NewFace, PersonCentroid, PersonChooser, PersonSummary};
use crate::seams::{AssetWrites, FacesToWrite, TextIndex, UnitEmbedding};
use crate::slates::{SceneGroup, StoredSpan};
use crate::text::TantivyText;
use crate::thumbnails::{ThumbnailFolder, ThumbnailStore};
use crate::vectors::VectorStore;

pub use crate::detail::{AssetDetail, MomentDetail, detail_from};
pub use crate::error::StoreError;
pub use crate::fusion::Fusion;
pub use crate::identity::{Identity, KnownFile};
pub use crate::library::Library;
pub use crate::lock::LOCK_FILE;
pub use crate::query::{Query, QueryError};
pub use crate::queue::{FileInProgress, QueueSummary, TextCopyProgress};
pub use crate::request::{FacetCount, Facets, RankedHits, SearchRequest, SemanticQuery, Sort};
pub use crate::status::{EmbeddingModel, IndexStatus};
pub use crate::thumbnails::thumbnail_url;
pub use crate::workflow::{Annotation, Collection, CollectionItem, CollectionSummary, TimeRange};
pub use crate::written_format::WrittenFormat;

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

/// An open index folder. `Send + Sync`; every method takes `&self`.
pub struct Index {
    dir: PathBuf,
    mode: OpenMode,
    engines: Engines,
    thumbnails: Arc<dyn ThumbnailStore>,
    /// Held for the life of a ReadWrite index; the OS releases it if the process dies.
    _lock: Option<File>,
}

impl Index {
    /// Opens an index. ReadWrite creates the folder if missing, takes the writer lock,
    /// migrates the catalog and repairs what an interrupted run left pending; ReadOnly needs
    /// an existing index.
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
        let text = TantivyText::open(&rebuild::readable_part(dir, "text"), read_only)?;
        let vectors_dir = rebuild::readable_part(dir, "vectors");
        let vectors = VectorStore::new(&vectors_dir, read_only);
        let text_vectors = VectorStore::new(&vectors::text_units_dir(&vectors_dir), read_only);
        let index = Index {
            dir: dir.to_path_buf(),
            mode,
            engines: Engines::new(
                dir,
                catalog,
                text,
                Box::new(vectors),
                Box::new(text_vectors),
            ),
            thumbnails: Arc::new(ThumbnailFolder::new(dir)),
            _lock: lock,
        };
        if !read_only {
            index.engines.repair()?;
            workflow::import_legacy_collection_ranges(&*index.engines.catalog()?, dir)?;
        }
        Ok(index)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn mode(&self) -> OpenMode {
        self.mode
    }

    /// The index's thumbnail store.
    pub fn thumbnails(&self) -> &dyn ThumbnailStore {
        self.thumbnails.as_ref()
    }

    /// The index's thumbnail store as a handle of its own, for work on other threads (the
    /// ingest stages that write thumbnails as frames stream in).
    pub fn shared_thumbnails(&self) -> Arc<dyn ThumbnailStore> {
        Arc::clone(&self.thumbnails)
    }

    fn require_writer(&self) -> Result<(), StoreError> {
        match self.mode {
            OpenMode::ReadWrite => Ok(()),
            OpenMode::ReadOnly => Err(StoreError::ReadOnly),
        }
    }

    fn catalog(&self) -> Result<std::sync::MutexGuard<'_, Catalog>, StoreError> {
        self.engines.catalog()
    }

    // ------------------------------------------------------------ assets and moments

    pub fn asset(&self, id: &AssetId) -> Result<Option<Asset>, StoreError> {
        self.catalog()?.assets().asset(id.as_str())
    }

    pub fn asset_by_path(&self, path: &Path) -> Result<Option<Asset>, StoreError> {
        self.catalog()?.assets().asset_by_path(path)
    }

    pub fn assets_by_hash(&self, content_hash: &str) -> Result<Vec<Asset>, StoreError> {
        self.catalog()?.assets().assets_by_hash(content_hash)
    }

    /// Every committed asset, by path.
    pub fn assets(&self) -> Result<Vec<Asset>, StoreError> {
        self.catalog()?.assets().all()
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
        self.require_writer()?;
        self.engines.put_assets(records, None)?;
        Ok(())
    }

    /// Records that an asset now lives at `new_path`, keeping its id, user tags and
    /// collections. Commits.
    /// What the catalog knows of the file at `path` with this size and modification time
    /// (see [`identity`]).
    pub fn known_file(&self, path: &Path, size: u64, mtime: i64) -> Result<KnownFile, StoreError> {
        identity::known_file(self, path, size, mtime)
    }

    /// The identity of a changed or new file whose content hashes to `content_hash`; a move
    /// is recorded at once (see [`identity`]).
    pub fn identify(
        &self,
        path: &Path,
        known: KnownFile,
        size: u64,
        content_hash: &str,
    ) -> Result<Identity, StoreError> {
        identity::identify(self, path, known, size, content_hash)
    }

    pub fn move_asset(&self, id: &AssetId, new_path: &Path) -> Result<(), StoreError> {
        self.require_writer()?;
        self.engines.move_asset(id, new_path)
    }

    /// Deletes an asset and everything of it: text documents, vectors, catalog rows, user
    /// tags, collection entries, faces (and people left with none), and its thumbnails.
    /// Commits.
    pub fn remove_asset(&self, id: &AssetId) -> Result<(), StoreError> {
        self.require_writer()?;
        self.engines.remove_asset(id)?;
        self.thumbnails.remove_asset(id)
    }

    /// Makes everything staged since the last commit visible: the text commit, then the
    /// vector files, then the catalog marks the assets done.
    pub fn commit(&self) -> Result<(), StoreError> {
        self.require_writer()?;
        self.engines.commit()
    }

    /// The asset's on-screen text runs, each with the interval it is on screen, in time order.
    pub fn screen_text(&self, id: &AssetId) -> Result<Vec<rushes_core::ScreenText>, StoreError> {
        self.catalog()?.assets().screen_text(id.as_str())
    }

    pub fn asset_detail(&self, id: &AssetId) -> Result<Option<AssetDetail>, StoreError> {
        detail::asset_detail(&*self.catalog()?, id)
    }

    /// Name and dimensions of the embedding model of this index's vectors (the most
    /// recently used one when there are several).
    pub fn embedding_model(&self) -> Result<Option<(String, usize)>, StoreError> {
        self.engines.embedding_model()
    }

    /// The embedding of the sampled frame nearest to `seconds` in an asset ("more like this").
    pub fn frame_embedding(
        &self,
        id: &AssetId,
        seconds: f64,
    ) -> Result<Option<Vec<f32>>, StoreError> {
        self.catalog()?
            .assets()
            .nearest_frame_embedding(id.as_str(), seconds)
    }

    /// Number of live vectors of an embedding model in the vector index.
    /// Sentence models of the text units' vectors, with their dimensions (for `status`).
    pub fn text_unit_models(&self) -> Result<Vec<(String, usize)>, StoreError> {
        self.engines.catalog()?.text_units().models()
    }

    /// How many text-unit vectors of a sentence model the vector index holds.
    pub fn text_unit_vector_count(&self, model: &str) -> Result<usize, StoreError> {
        self.engines.text_vectors.len(model)
    }

    /// An asset's text units in time order (without their embeddings).
    pub fn text_units(&self, id: &AssetId) -> Result<Vec<rushes_core::TextUnit>, StoreError> {
        self.engines.catalog()?.text_units().of_asset(id.as_str())
    }

    pub fn vector_count(&self, model: &str) -> Result<usize, StoreError> {
        self.engines.vectors.len(model)
    }

    /// Number of moment documents in the text index as the current reader sees it.
    pub fn text_documents(&self) -> u64 {
        self.engines.text.num_docs()
    }

    pub fn status(&self) -> Result<IndexStatus, StoreError> {
        let catalog = self.catalog()?;
        let (by_kind, moments, frames) = catalog.assets().counts()?;
        Ok(IndexStatus {
            dir: self.dir.display().to_string(),
            assets: by_kind.values().sum(),
            assets_by_kind: by_kind.into_iter().collect(),
            moments,
            frames,
            failures: catalog.runs().failures()?,
            embedding_models: catalog
                .assets()
                .embedding_models()?
                .into_iter()
                .map(|(name, dim)| EmbeddingModel { name, dim })
                .collect(),
            text_unit_models: catalog
                .text_units()
                .models()?
                .into_iter()
                .map(|(name, dim)| EmbeddingModel { name, dim })
                .collect(),
            size_on_disk: size_on_disk(&self.dir),
        })
    }

    // ------------------------------------------------------------ runs and failures

    pub fn record_failure(&self, path: &Path, reason: &str) -> Result<(), StoreError> {
        self.require_writer()?;
        self.catalog()?.runs().record_failure(path, reason)
    }

    pub fn clear_failure(&self, path: &Path) -> Result<(), StoreError> {
        self.require_writer()?;
        self.catalog()?.runs().clear_failure(path)
    }

    /// The paths of the files whose failures are recorded (`status` lists them with reasons).
    pub fn failed_paths(&self) -> Result<Vec<PathBuf>, StoreError> {
        self.catalog()?.runs().failed_paths()
    }

    /// Starts an index run in the catalog's `runs` table; returns its id.
    pub fn begin_run(&self) -> Result<i64, StoreError> {
        self.require_writer()?;
        self.catalog()?.runs().begin_run()
    }

    pub fn finish_run(
        &self,
        run: i64,
        files_done: u64,
        files_failed: u64,
    ) -> Result<(), StoreError> {
        self.require_writer()?;
        self.catalog()?
            .runs()
            .finish_run(run, files_done, files_failed)
    }

    // ------------------------------------------------------------ search

    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, StoreError> {
        search::search(&self.engines.ranking(), request)
    }

    /// Like [`Index::search`] for a query the caller parsed already (rushes-search parses
    /// once, to embed its free text), answering the hits' assets beside them.
    pub fn search_parsed(
        &self,
        query: Query,
        request: &SearchRequest,
    ) -> Result<RankedHits, StoreError> {
        search::search_parsed(&self.engines.ranking(), query, request)
    }

    pub fn facets(&self, request: &SearchRequest) -> Result<Facets, StoreError> {
        search::facets(&self.engines.ranking(), request)
    }

    // ------------------------------------------------------------ hand tags and notes

    /// Adds and removes hand tags and sets the note (`None` leaves it, `""` removes it) of an
    /// asset or a range of it, in one transaction and one commit; a refused request writes
    /// nothing (see `workflow::annotate`).
    pub fn annotate(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        add: &[String],
        remove: &[String],
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        self.require_writer()?;
        let catalog = self.catalog()?;
        if workflow::annotate(&catalog, id, range, add, remove, note)? {
            self.engines.refresh_text(&catalog, id)?;
        }
        Ok(())
    }

    /// Embeds an asset's hand notes and tags, and the notes on its collection entries, with
    /// `embedding` as text units, replacing the earlier ones, so semantic search finds them
    /// by meaning; run after each change of them (removing an entry or a collection drops
    /// its note's unit by itself). Commits. A model that fails leaves the earlier units and
    /// says why.
    pub fn refresh_hand_units(
        &self,
        id: &AssetId,
        embedding: &dyn UnitEmbedding,
    ) -> Result<usize, StoreError> {
        self.require_writer()?;
        let mut units = workflow::hand_units(&*self.catalog()?, id.as_str())?;
        workflow::embed_hand_units(&mut units, embedding)?;
        self.engines
            .replace_hand_units(id, embedding.model(), &units)?;
        Ok(units.len())
    }

    /// Whole-asset hand tags of an asset.
    pub fn user_tags(&self, id: &AssetId) -> Result<Vec<String>, StoreError> {
        self.catalog()?.annotations().user_tags(id.as_str())
    }

    /// The hand tags and notes of an asset, one entry per range (the whole asset first).
    pub fn annotations(&self, id: &AssetId) -> Result<Vec<Annotation>, StoreError> {
        workflow::annotations(&*self.catalog()?, id)
    }

    // ------------------------------------------------------------ collections

    /// Every collection with its size, by name.
    pub fn collections(&self) -> Result<Vec<CollectionSummary>, StoreError> {
        self.catalog()?.collections().summaries()
    }

    /// A collection's entries in order; `NotFound` when there is no such collection.
    pub fn collection(&self, name: &str) -> Result<Collection, StoreError> {
        workflow::collection(&*self.catalog()?, name)
    }

    /// Creates an empty collection (nothing happens if it exists).
    pub fn create_collection(&self, name: &str) -> Result<(), StoreError> {
        self.require_writer()?;
        workflow::create_collection(&*self.catalog()?, name)
    }

    /// Appends an asset or a range of it to a collection (created on first use), once:
    /// adding the same range again returns the existing entry. Returns the entry.
    pub fn add_to_collection(
        &self,
        name: &str,
        id: &AssetId,
        range: Option<TimeRange>,
        note: &str,
    ) -> Result<CollectionItem, StoreError> {
        self.require_writer()?;
        workflow::add_to_collection(&*self.catalog()?, name, id, range, note)
    }

    /// Removes one entry of a collection, and its note's text unit. Commits.
    pub fn remove_from_collection(&self, name: &str, item: i64) -> Result<(), StoreError> {
        self.require_writer()?;
        let catalog = self.catalog()?;
        let asset = workflow::remove_from_collection(&catalog, name, item)?;
        self.drop_gone_hand_units(&catalog, &[asset])
    }

    /// Moves one entry to `position` (0-based, clamped to the end).
    pub fn move_in_collection(
        &self,
        name: &str,
        item: i64,
        position: usize,
    ) -> Result<(), StoreError> {
        self.require_writer()?;
        workflow::move_in_collection(&*self.catalog()?, name, item, position)
    }

    /// Puts a collection's entries in the given order; `order` must name every entry once.
    pub fn reorder_collection(&self, name: &str, order: &[i64]) -> Result<(), StoreError> {
        self.require_writer()?;
        workflow::reorder_collection(&*self.catalog()?, name, order)
    }

    /// Renames a collection; the new name must be free.
    pub fn rename_collection(&self, name: &str, new_name: &str) -> Result<(), StoreError> {
        self.require_writer()?;
        workflow::rename_collection(&*self.catalog()?, name, new_name)
    }

    /// Deletes a collection and its entries (not the assets), and its notes' text units.
    /// Commits.
    pub fn delete_collection(&self, name: &str) -> Result<(), StoreError> {
        self.require_writer()?;
        let catalog = self.catalog()?;
        let assets = workflow::delete_collection(&catalog, name)?;
        self.drop_gone_hand_units(&catalog, &assets)
    }

    /// Deletes the hand units of `assets` whose note or tag is gone (no model is needed:
    /// the units that stay keep their vectors).
    fn drop_gone_hand_units(&self, catalog: &Catalog, assets: &[String]) -> Result<(), StoreError> {
        for asset in assets {
            let keep = workflow::hand_units(catalog, asset)?;
            self.engines.keep_hand_units(catalog, asset, &keep)?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ people and faces

    /// Every person's id and centroid, for clustering new faces.
    pub fn person_centroids(&self) -> Result<Vec<PersonCentroid>, StoreError> {
        self.catalog()?.faces().centroids()
    }

    /// Replaces the faces of an asset with `faces`. A face seen before in the same content
    /// (same time and place) goes back to its old person; any other goes to the person
    /// `choose_person` picks from the current centroids, or starts a new person when it
    /// picks none. Returns the person of each face, in order. Writes immediately.
    pub fn replace_faces(
        &self,
        asset_id: &str,
        content_hash: &str,
        faces: &[NewFace],
        choose_person: &PersonChooser,
    ) -> Result<Vec<i64>, StoreError> {
        self.require_writer()?;
        let written = {
            let catalog = self.catalog()?;
            let transaction = catalog.write()?;
            let written =
                transaction
                    .faces()
                    .write(asset_id, content_hash, faces, choose_person)?;
            transaction.commit()?;
            written
        };
        self.thumbnails.remove(&written.stale_thumbnails);
        Ok(written.persons)
    }

    /// [`Index::put_asset`] and [`Index::replace_faces`] in one catalog transaction: the
    /// asset's faces are written, and undone by a crash, with its rows. Staged like
    /// `put_asset`; returns the person of each face.
    pub fn put_asset_with_faces(
        &self,
        record: &AssetRecord,
        faces: &[NewFace],
        choose_person: &PersonChooser,
    ) -> Result<Vec<i64>, StoreError> {
        self.require_writer()?;
        let written = self.engines.put_assets(
            std::slice::from_ref(record),
            Some(FacesToWrite {
                faces,
                choose_person,
            }),
        )?;
        self.thumbnails.remove(&written.stale_thumbnails);
        Ok(written.persons)
    }

    /// Everyone with at least one face, most faces first.
    pub fn people(&self) -> Result<Vec<PersonSummary>, StoreError> {
        self.catalog()?.faces().people(None)
    }

    /// One person, as [`Index::people`] lists them; `None` when nobody has that id (or no
    /// face left).
    pub fn person(&self, id: i64) -> Result<Option<PersonSummary>, StoreError> {
        Ok(self.catalog()?.faces().people(Some(id))?.pop())
    }

    /// A page of one person's faces (by file and time): at most `limit` from `offset` on,
    /// with how many the person has in all.
    pub fn person_faces_page(
        &self,
        person: i64,
        offset: usize,
        limit: usize,
    ) -> Result<FacesPage, StoreError> {
        self.catalog()?.faces().faces_page(person, offset, limit)
    }

    /// Names a person (an empty name clears it).
    pub fn name_person(&self, person: i64, name: &str) -> Result<(), StoreError> {
        self.require_writer()?;
        people::name_person(&*self.catalog()?, person, name)
    }

    /// Moves every face of `from` into `into` and deletes `from` (see `people::merge_people`
    /// for the name the merged person keeps).
    pub fn merge_people(&self, into: i64, from: i64, name: Option<&str>) -> Result<(), StoreError> {
        self.require_writer()?;
        people::merge_people(&*self.catalog()?, into, from, name)
    }

    /// Moves one face out of its person into a new, unnamed person of its own; returns the
    /// new person's id. A person's only face stays where it is (`LoneFace`): a split would
    /// only trade the person, and their name, for an unnamed copy.
    pub fn split_face(&self, face: i64) -> Result<i64, StoreError> {
        self.require_writer()?;
        people::split_face(&*self.catalog()?, face)
    }

    /// Deletes a person for good: their faces, embeddings, centroid, name and face
    /// thumbnails, leaving no copy in the catalog file or its write-ahead log.
    pub fn forget_person(&self, person: i64) -> Result<(), StoreError> {
        self.require_writer()?;
        let thumbnails = self.catalog()?.forget_person(person)?;
        self.thumbnails.remove(&thumbnails);
        Ok(())
    }

    /// Removes thumbnails no catalog row holds: those of assets the catalog does not hold (a
    /// run killed before the asset committed), and face thumbnails none of the asset's faces
    /// names. Also deletes people left with no face (named people a killed run kept, whose
    /// file did not come back). Run by ingest after its final commit, under the writer lock.
    pub fn remove_orphan_thumbnails(&self) -> Result<(), StoreError> {
        self.require_writer()?;
        let kept = {
            let catalog = self.catalog()?;
            catalog.faces().delete_faceless_people()?;
            catalog.faces().committed_thumbnails()?
        };
        self.thumbnails
            .remove_orphans(&kept, &|id| Ok(self.asset(id)?.is_some()))
    }

    /// [`Index::remove_orphan_thumbnails`], by the name ingest and the tests have called it.
    pub fn remove_orphan_face_thumbnails(&self) -> Result<(), StoreError> {
        self.remove_orphan_thumbnails()
    }

    /// The people `who` names (an id, a whole name or a run of its words), by id, each with
    /// their representative face thumbnail.
    pub fn people_named(&self, who: &str) -> Result<Vec<PersonInMoment>, StoreError> {
        seams::RankingCatalog::people_named(&*self.catalog()?, who)
    }

    /// Ids of the moments whose time range shows any of `people`.
    pub fn moments_showing(&self, people: &[i64]) -> Result<Vec<u64>, StoreError> {
        self.catalog()?.faces().moments_showing(people)
    }

    // ------------------------------------------------------------ slates

    /// Every slated clip grouped by scene, then take, in script order: the Library's scene
    /// view, the way an editor walks dailies. Spans without a scene are left out.
    pub fn scene_library(&self) -> Result<Vec<SceneGroup>, StoreError> {
        slates::scene_library(&*self.catalog()?)
    }

    /// The slate spans of one asset, in time order (empty when it has none).
    pub fn asset_slates(&self, asset_id: &str) -> Result<Vec<SlateSpan>, StoreError> {
        Ok(self
            .catalog()?
            .slates()
            .spans_of(&[asset_id])?
            .remove(asset_id)
            .unwrap_or_default())
    }

    /// Every slate span of the index with its asset, by asset then time (the Library's
    /// scene → take view reads these).
    pub fn all_slates(&self) -> Result<Vec<StoredSpan>, StoreError> {
        self.catalog()?.slates().all()
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

impl identity::AssetLookup for Index {
    fn asset(&self, id: &AssetId) -> Result<Option<Asset>, StoreError> {
        Index::asset(self, id)
    }

    fn asset_by_path(&self, path: &Path) -> Result<Option<Asset>, StoreError> {
        Index::asset_by_path(self, path)
    }

    fn assets_by_hash(&self, content_hash: &str) -> Result<Vec<Asset>, StoreError> {
        Index::assets_by_hash(self, content_hash)
    }

    fn move_asset(&self, id: &AssetId, new_path: &Path) -> Result<(), StoreError> {
        Index::move_asset(self, id, new_path)
    }
}
