//! [`PgLibrary`]: a library in PostgreSQL as the store's [`Library`], so search, the server,
//! export and the CLI's reading and hand-work commands work on `--index postgres://…`.
//! Reads come from the catalog tables (`catalog_reads`), search runs the store's own
//! ranking (`rushes_store::search`) over the PostgreSQL text and vector indexes and this
//! library as its `RankingCatalog`, hand work and people are `PgEngine`'s (`workflow.rs`,
//! `people.rs`), thumbnails the `thumbnails` table's (`PgThumbnails`). Semantic search
//! runs over the text units' vectors (`text_units.rs`: `Ranking.text_vectors`,
//! `matched_units`), and hand notes and tags become units by `refresh_hand_units`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rushes_core::{Asset, AssetId, PersonInMoment, SearchResponse, SlateSpan};
use rushes_store::catalog::faces::AssetRange;
use rushes_store::catalog::text_units::UnitRow;
use rushes_store::people::{FacesPage, PersonSummary};
use rushes_store::seams::{
    MomentsWithSlates, RankingCatalog, TextIndex, ThumbnailStore, UnitEmbedding,
};
use rushes_store::search::{self, Ranking};
use rushes_store::slates::{SceneGroup, StoredSpan, group_scenes};
use rushes_store::text::TantivyText;
use rushes_store::{
    Annotation, AssetDetail, Collection, CollectionItem, CollectionSummary, EmbeddingModel, Facets,
    IndexStatus, Library, Query, QueueSummary, RankedHits, SearchRequest, StoreError, TimeRange,
    detail_from,
};

use crate::catalog_reads as reads;
use crate::pool::{Pooled, read_only_view};
use crate::text_index::PgText;
use crate::text_mirror::TextMirror;
use crate::{PgEngine, PgThumbnails, PostgresError, store_error, without_password};

/// An open PostgreSQL library. Cheap to clone (one pool).
#[derive(Clone)]
pub struct PgLibrary {
    shared: Arc<Shared>,
}

struct Shared {
    engine: PgEngine,
    location: String,
    thumbnails: PgThumbnails,
    /// This machine's copy of the text index, when the library keeps one (`rushes serve`).
    text_mirror: Option<Arc<TextMirror>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(mirror) = &self.text_mirror {
            mirror.stop();
        }
    }
}

impl PgLibrary {
    /// Connects to the library at `url`, migrating its schema (see [`PgEngine::open`]).
    pub fn open(url: &str) -> Result<PgLibrary, PostgresError> {
        Ok(PgLibrary::of_engine(PgEngine::open(url)?, url, None))
    }

    /// The library over `engine`, opened at `url`, with its copy of the text index if any.
    fn of_engine(engine: PgEngine, url: &str, text_mirror: Option<Arc<TextMirror>>) -> PgLibrary {
        let thumbnails = PgThumbnails::new(engine.pool().clone());
        PgLibrary {
            shared: Arc::new(Shared {
                engine,
                location: without_password(url),
                thumbnails,
                text_mirror,
            }),
        }
    }

    /// [`PgLibrary::open`], with a copy of the text index in `dir` that follows the
    /// database on a thread of its own (`crate::text_mirror`): searches rank their words
    /// there whenever it is current, and in PostgreSQL while it is not (being built, or
    /// behind a change just made).
    pub fn open_with_text_mirror(url: &str, dir: &Path) -> Result<PgLibrary, StoreError> {
        let engine = PgEngine::open(url).map_err(store_error)?;
        let mirror = Arc::new(TextMirror::open(engine.pool(), dir)?);
        TextMirror::follow(&mirror, engine.pool().clone()).map_err(|source| StoreError::Io {
            path: mirror.folder().to_path_buf(),
            source,
        })?;
        Ok(PgLibrary::of_engine(engine, url, Some(mirror)))
    }

    /// The library's copy of the text index on this machine, if it keeps one.
    pub fn text_mirror(&self) -> Option<&Arc<TextMirror>> {
        self.shared.text_mirror.as_ref()
    }

    /// The copy of the text index when it holds every change the database shows now;
    /// otherwise `None`, and the copy is asked to catch up.
    pub fn current_text_mirror(&self) -> Option<&TantivyText> {
        let mirror = self.shared.text_mirror.as_ref()?;
        match mirror.is_current(self.engine().pool()) {
            Ok(true) => Some(mirror.text()),
            Ok(false) => {
                mirror.wake();
                None
            }
            Err(error) => {
                tracing::warn!("could not tell whether the text copy is current: {error}");
                None
            }
        }
    }

    /// The engine: the store's seams and hand work on this database.
    pub fn engine(&self) -> &PgEngine {
        &self.shared.engine
    }

    fn client(&self) -> Result<Pooled, StoreError> {
        self.engine().pool().get().map_err(store_error)
    }

    /// Runs `work` on a connection of the pool.
    fn read<T>(
        &self,
        work: impl FnOnce(&mut postgres::Client) -> Result<T, PostgresError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client()?;
        work(&mut client).map_err(store_error)
    }

    /// Runs `work` in one read-only `REPEATABLE READ` transaction: one view of the library.
    fn read_consistently<T>(
        &self,
        work: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T, PostgresError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client()?;
        let mut transaction = read_only_view(&mut client).map_err(store_error)?;
        let value = work(&mut transaction).map_err(store_error)?;
        transaction.commit().map_err(store_error)?;
        Ok(value)
    }

    fn ranking(&self) -> Ranking<'_, PgText> {
        self.ranking_on(self.engine().text())
    }

    /// Search's seams with `text` as the text index (PostgreSQL's, or this machine's copy).
    fn ranking_on<'a, T: TextIndex>(&'a self, text: &'a T) -> Ranking<'a, T> {
        Ranking {
            text,
            vectors: self.engine().vectors(),
            text_vectors: Some(self.engine().text_vectors()),
            catalog: self,
        }
    }
}

impl RankingCatalog for PgLibrary {
    fn people_named(&self, who: &str) -> Result<Vec<PersonInMoment>, StoreError> {
        self.engine().people_named(who)
    }

    fn moments_showing(&self, people: &[i64]) -> Result<Vec<u64>, StoreError> {
        self.engine().moments_showing(people)
    }

    fn all_slates(&self) -> Result<Vec<StoredSpan>, StoreError> {
        self.read(reads::all_slates)
    }

    fn moments_overlapping(&self, spans: &[StoredSpan]) -> Result<Vec<u64>, StoreError> {
        self.read(|client| reads::moments_overlapping(client, spans))
    }

    fn moments_with_slates(&self, ids: &[i64]) -> Result<MomentsWithSlates, StoreError> {
        self.read_consistently(|transaction| {
            let rows = crate::asset_rows::moments_by_id(transaction, ids)?;
            let mut assets: Vec<&str> = rows.values().map(|row| row.asset.id.as_str()).collect();
            assets.sort_unstable();
            assets.dedup();
            let slates = reads::slates_of(transaction, &assets)?;
            Ok((rows, slates))
        })
    }

    fn frame_moments(&self, frame_ids: &[u64]) -> Result<HashMap<u64, i64>, StoreError> {
        self.read(|client| reads::frame_moments(client, frame_ids))
    }

    fn people_in_ranges(
        &self,
        ranges: &[AssetRange<'_>],
    ) -> Result<Vec<Vec<PersonInMoment>>, StoreError> {
        self.read(|client| reads::people_in_ranges(client, ranges))
    }

    fn embedding_model(&self) -> Result<Option<(String, usize)>, StoreError> {
        Ok(self.read(reads::embedding_models)?.into_iter().next())
    }

    fn matched_units(&self, unit_ids: &[u64]) -> Result<Vec<UnitRow>, StoreError> {
        self.engine().matched_units(unit_ids)
    }
}

/// Delegates every call to the `PgEngine` method of the same name (the hand work and
/// people of `workflow.rs` and `people.rs`, with the `Index` signatures).
macro_rules! to_engine {
    ($( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        $( fn $name(&self $(, $arg: $ty)*) -> $ret { self.engine().$name($($arg),*) } )*
    };
}

impl Library for PgLibrary {
    fn location(&self) -> String {
        self.shared.location.clone()
    }

    fn dir(&self) -> Option<&Path> {
        None
    }

    fn writer(&self) -> Result<Arc<dyn Library>, StoreError> {
        Ok(Arc::new(self.clone()))
    }

    fn thumbnails(&self) -> &dyn ThumbnailStore {
        &self.shared.thumbnails
    }

    fn asset(&self, id: &AssetId) -> Result<Option<Asset>, StoreError> {
        self.read(|client| reads::asset(client, id.as_str()))
    }

    fn asset_by_path(&self, path: &Path) -> Result<Option<Asset>, StoreError> {
        self.read(|client| reads::asset_by_path(client, path))
    }

    fn assets(&self) -> Result<Vec<Asset>, StoreError> {
        self.read(reads::all_assets)
    }

    fn screen_text(&self, id: &AssetId) -> Result<Vec<rushes_core::ScreenText>, StoreError> {
        self.read(|client| reads::screen_text(client, id.as_str()))
    }

    fn asset_detail(&self, id: &AssetId) -> Result<Option<AssetDetail>, StoreError> {
        self.read_consistently(|transaction| {
            let Some(asset) = reads::asset(transaction, id.as_str())? else {
                return Ok(None);
            };
            let moments = crate::asset_rows::asset_moments(transaction, id.as_str())?;
            let user_tags = reads::user_tags(transaction, id.as_str())?;
            let slates = reads::slates_of(transaction, &[id.as_str()])?
                .remove(id.as_str())
                .unwrap_or_default();
            Ok(Some(detail_from(asset, moments, user_tags, slates)))
        })
    }

    fn embedding_model(&self) -> Result<Option<(String, usize)>, StoreError> {
        RankingCatalog::embedding_model(self)
    }

    fn frame_embedding(&self, id: &AssetId, seconds: f64) -> Result<Option<Vec<f32>>, StoreError> {
        self.read(|client| reads::nearest_frame_embedding(client, id.as_str(), seconds))
    }

    fn text_unit_models(&self) -> Result<Vec<(String, usize)>, StoreError> {
        self.engine().text_unit_models()
    }

    fn status(&self) -> Result<IndexStatus, StoreError> {
        self.read_consistently(|transaction| {
            let (by_kind, moments, frames) = reads::counts(transaction)?;
            let size: i64 = transaction
                .query_one("SELECT pg_database_size(current_database())", &[])?
                .get(0);
            Ok(IndexStatus {
                dir: self.location(),
                assets: by_kind.values().sum(),
                assets_by_kind: by_kind.into_iter().collect(),
                moments,
                frames,
                failures: reads::failures(transaction)?,
                embedding_models: reads::embedding_models(transaction)?
                    .into_iter()
                    .map(|(name, dim)| EmbeddingModel { name, dim })
                    .collect(),
                text_unit_models: crate::text_units::models(transaction)?
                    .into_iter()
                    .map(|(name, dim)| EmbeddingModel { name, dim })
                    .collect(),
                size_on_disk: size.max(0) as u64,
            })
        })
    }

    /// The workers' whole job queue, read in one snapshot.
    fn queue(&self) -> Result<Option<QueueSummary>, StoreError> {
        let mut queue = self.read_consistently(|transaction| crate::jobs::summary(transaction))?;
        queue.text_copy = self.text_mirror().and_then(|mirror| mirror.building());
        Ok(Some(queue))
    }

    fn search(&self, request: &SearchRequest) -> Result<SearchResponse, StoreError> {
        match self.current_text_mirror() {
            Some(text) => search::search(&self.ranking_on(text), request),
            None => search::search(&self.ranking(), request),
        }
    }

    fn search_parsed(
        &self,
        query: Query,
        request: &SearchRequest,
    ) -> Result<RankedHits, StoreError> {
        match self.current_text_mirror() {
            Some(text) => search::search_parsed(&self.ranking_on(text), query, request),
            None => search::search_parsed(&self.ranking(), query, request),
        }
    }

    fn facets(&self, request: &SearchRequest) -> Result<Facets, StoreError> {
        match self.current_text_mirror() {
            Some(text) => search::facets(&self.ranking_on(text), request),
            None => search::facets(&self.ranking(), request),
        }
    }

    fn refresh_hand_units(
        &self,
        id: &AssetId,
        embedding: &dyn UnitEmbedding,
    ) -> Result<usize, StoreError> {
        self.engine().refresh_hand_units(id, embedding)
    }

    fn scene_library(&self) -> Result<Vec<SceneGroup>, StoreError> {
        Ok(group_scenes(self.read(reads::clips_with_scene)?))
    }

    fn asset_slates(&self, asset_id: &str) -> Result<Vec<SlateSpan>, StoreError> {
        Ok(self
            .read(|client| reads::slates_of(client, &[asset_id]))?
            .remove(asset_id)
            .unwrap_or_default())
    }

    fn all_slates(&self) -> Result<Vec<StoredSpan>, StoreError> {
        RankingCatalog::all_slates(self)
    }

    fn people_named(&self, who: &str) -> Result<Vec<PersonInMoment>, StoreError> {
        self.engine().people_named(who)
    }

    fn moments_showing(&self, people: &[i64]) -> Result<Vec<u64>, StoreError> {
        self.engine().moments_showing(people)
    }

    to_engine! {
        fn annotate(&self, id: &AssetId, range: Option<TimeRange>, add: &[String], remove: &[String], note: Option<&str>) -> Result<(), StoreError>;
        fn user_tags(&self, id: &AssetId) -> Result<Vec<String>, StoreError>;
        fn annotations(&self, id: &AssetId) -> Result<Vec<Annotation>, StoreError>;
        fn collections(&self) -> Result<Vec<CollectionSummary>, StoreError>;
        fn collection(&self, name: &str) -> Result<Collection, StoreError>;
        fn create_collection(&self, name: &str) -> Result<(), StoreError>;
        fn add_to_collection(&self, name: &str, id: &AssetId, range: Option<TimeRange>, note: &str) -> Result<CollectionItem, StoreError>;
        fn remove_from_collection(&self, name: &str, item: i64) -> Result<(), StoreError>;
        fn move_in_collection(&self, name: &str, item: i64, position: usize) -> Result<(), StoreError>;
        fn reorder_collection(&self, name: &str, order: &[i64]) -> Result<(), StoreError>;
        fn rename_collection(&self, name: &str, new_name: &str) -> Result<(), StoreError>;
        fn delete_collection(&self, name: &str) -> Result<(), StoreError>;
        fn people(&self) -> Result<Vec<PersonSummary>, StoreError>;
        fn person(&self, id: i64) -> Result<Option<PersonSummary>, StoreError>;
        fn person_faces_page(&self, person: i64, offset: usize, limit: usize) -> Result<FacesPage, StoreError>;
        fn name_person(&self, person: i64, name: &str) -> Result<(), StoreError>;
        fn merge_people(&self, into: i64, from: i64, name: Option<&str>) -> Result<(), StoreError>;
        fn split_face(&self, face: i64) -> Result<i64, StoreError>;
        fn forget_person(&self, person: i64) -> Result<(), StoreError>;
    }
}
