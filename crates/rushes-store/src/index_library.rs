//! The local folder as a [`Library`]: every call goes to the inherent [`Index`] method of
//! the same name.

use std::path::Path;
use std::sync::Arc;

use rushes_core::{Asset, AssetId, PersonInMoment, SearchResponse, SlateSpan};

use crate::library::Library;
use crate::people::{FacesPage, PersonSummary};
use crate::queue::QueueSummary;
use crate::seams::UnitEmbedding;
use crate::slates::{SceneGroup, StoredSpan};
use crate::status::IndexStatus;
use crate::thumbnails::ThumbnailStore;
use crate::{
    Annotation, AssetDetail, Collection, CollectionItem, CollectionSummary, Facets, Index,
    OpenMode, Query, RankedHits, SearchRequest, StoreError, TimeRange,
};

/// Delegates every call to the inherent `Index` method of the same name.
macro_rules! delegate {
    ($( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        $( fn $name(&self $(, $arg: $ty)*) -> $ret { Index::$name(self $(, $arg)*) } )*
    };
}

impl Library for Index {
    fn location(&self) -> String {
        Index::dir(self).display().to_string()
    }

    fn dir(&self) -> Option<&Path> {
        Some(Index::dir(self))
    }

    fn writer(&self) -> Result<Arc<dyn Library>, StoreError> {
        Ok(Arc::new(Index::open(
            Index::dir(self),
            OpenMode::ReadWrite,
        )?))
    }

    fn thumbnails(&self) -> &dyn ThumbnailStore {
        Index::thumbnails(self)
    }

    /// The latest run's `progress.json`; `None` when there is none or it does not parse
    /// (a run rewrites it atomically, so that is a file from another version).
    fn queue(&self) -> Result<Option<QueueSummary>, StoreError> {
        let path = Index::dir(self).join(rushes_core::PROGRESS_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        Ok(serde_json::from_slice(&bytes)
            .ok()
            .map(|progress| QueueSummary::from_run(&progress)))
    }

    delegate! {
        fn asset(&self, id: &AssetId) -> Result<Option<Asset>, StoreError>;
        fn asset_by_path(&self, path: &Path) -> Result<Option<Asset>, StoreError>;
        fn assets(&self) -> Result<Vec<Asset>, StoreError>;
        fn screen_text(&self, id: &AssetId) -> Result<Vec<rushes_core::ScreenText>, StoreError>;
        fn asset_detail(&self, id: &AssetId) -> Result<Option<AssetDetail>, StoreError>;
        fn embedding_model(&self) -> Result<Option<(String, usize)>, StoreError>;
        fn frame_embedding(&self, id: &AssetId, seconds: f64) -> Result<Option<Vec<f32>>, StoreError>;
        fn text_unit_models(&self) -> Result<Vec<(String, usize)>, StoreError>;
        fn status(&self) -> Result<IndexStatus, StoreError>;
        fn search(&self, request: &SearchRequest) -> Result<SearchResponse, StoreError>;
        fn search_parsed(&self, query: Query, request: &SearchRequest) -> Result<RankedHits, StoreError>;
        fn facets(&self, request: &SearchRequest) -> Result<Facets, StoreError>;
        fn annotate(&self, id: &AssetId, range: Option<TimeRange>, add: &[String], remove: &[String], note: Option<&str>) -> Result<(), StoreError>;
        fn refresh_hand_units(&self, id: &AssetId, embedding: &dyn UnitEmbedding) -> Result<usize, StoreError>;
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
        fn people_named(&self, who: &str) -> Result<Vec<PersonInMoment>, StoreError>;
        fn moments_showing(&self, people: &[i64]) -> Result<Vec<u64>, StoreError>;
        fn scene_library(&self) -> Result<Vec<SceneGroup>, StoreError>;
        fn asset_slates(&self, asset_id: &str) -> Result<Vec<SlateSpan>, StoreError>;
        fn all_slates(&self) -> Result<Vec<StoredSpan>, StoreError>;
    }
}
