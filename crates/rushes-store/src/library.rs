//! The library as one object-safe trait: [`Library`] is what search, the server, export and
//! the CLI's reading and hand-work commands ask of an index, whichever engine holds it — the
//! local folder ([`Index`]) or a PostgreSQL database (`rushes_postgres::PgLibrary`). Ingest
//! keeps the concrete `Index` (its write path is a seam of its own). Every method has
//! exactly the signature of the `Index` method of the same name; the hand work that is the
//! same on every engine (`add_hand_tags`, `remove_hand_tags`, `set_note` over `annotate`,
//! `person_faces` over `person_faces_page`) is written once here, as default methods.

use std::path::Path;
use std::sync::Arc;

use rushes_core::{Asset, AssetId, PersonInMoment, SearchResponse, SlateSpan};

use crate::people::{FaceSummary, FacesPage, PersonSummary};
use crate::queue::QueueSummary;
use crate::seams::UnitEmbedding;
use crate::slates::{SceneGroup, StoredSpan};
use crate::status::IndexStatus;
use crate::thumbnails::ThumbnailStore;
use crate::{
    Annotation, AssetDetail, Collection, CollectionItem, CollectionSummary, Facets, Query,
    RankedHits, SearchRequest, StoreError, TimeRange,
};

/// An open library. `Send + Sync`; every method takes `&self`.
pub trait Library: Send + Sync {
    /// Where the library is, for messages and `status`: the folder, or the database URL
    /// without its password.
    fn location(&self) -> String;
    /// The index folder of a local library (`None` for a database).
    fn dir(&self) -> Option<&Path>;
    /// The same library opened for writing hand work, for as long as the handle lives: a
    /// local index opens its folder read-write (taking the writer lock; `Locked` while
    /// `rushes index` holds it); a database answers a handle on itself.
    fn writer(&self) -> Result<Arc<dyn Library>, StoreError>;
    fn thumbnails(&self) -> &dyn ThumbnailStore;

    // ---------------------------------------------------------------- assets and moments
    fn asset(&self, id: &AssetId) -> Result<Option<Asset>, StoreError>;
    fn asset_by_path(&self, path: &Path) -> Result<Option<Asset>, StoreError>;
    fn assets(&self) -> Result<Vec<Asset>, StoreError>;
    fn screen_text(&self, id: &AssetId) -> Result<Vec<rushes_core::ScreenText>, StoreError>;
    fn asset_detail(&self, id: &AssetId) -> Result<Option<AssetDetail>, StoreError>;
    fn embedding_model(&self) -> Result<Option<(String, usize)>, StoreError>;
    fn frame_embedding(&self, id: &AssetId, seconds: f64) -> Result<Option<Vec<f32>>, StoreError>;
    fn text_unit_models(&self) -> Result<Vec<(String, usize)>, StoreError>;
    fn status(&self) -> Result<IndexStatus, StoreError>;
    /// Where indexing stands: a database's whole job queue (done, waiting, in progress by
    /// worker, failed); a local index's latest run from its `progress.json`, `None` when it
    /// has none.
    fn queue(&self) -> Result<Option<QueueSummary>, StoreError>;

    // ---------------------------------------------------------------- search
    fn search(&self, request: &SearchRequest) -> Result<SearchResponse, StoreError>;
    fn search_parsed(
        &self,
        query: Query,
        request: &SearchRequest,
    ) -> Result<RankedHits, StoreError>;
    fn facets(&self, request: &SearchRequest) -> Result<Facets, StoreError>;

    // ---------------------------------------------------------------- hand tags and notes
    /// Adds hand tags to an asset or a range of it ([`Library::annotate`] adding only).
    fn add_hand_tags(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        tags: &[String],
    ) -> Result<(), StoreError> {
        self.annotate(id, range, tags, &[], None)
    }
    /// Removes hand tags from an asset or a range of it (exactly that range).
    fn remove_hand_tags(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        tags: &[String],
    ) -> Result<(), StoreError> {
        self.annotate(id, range, &[], tags, None)
    }
    /// Sets the note of an asset or a range of it; an empty note removes it.
    fn set_note(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        note: &str,
    ) -> Result<(), StoreError> {
        self.annotate(id, range, &[], &[], Some(note))
    }
    /// Adds and removes hand tags and sets the note (`None` leaves it, `""` removes it) of
    /// an asset or a range of it, in one transaction; a refused request writes nothing.
    fn annotate(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        add: &[String],
        remove: &[String],
        note: Option<&str>,
    ) -> Result<(), StoreError>;
    fn refresh_hand_units(
        &self,
        id: &AssetId,
        embedding: &dyn UnitEmbedding,
    ) -> Result<usize, StoreError>;
    fn user_tags(&self, id: &AssetId) -> Result<Vec<String>, StoreError>;
    fn annotations(&self, id: &AssetId) -> Result<Vec<Annotation>, StoreError>;

    // ---------------------------------------------------------------- collections
    fn collections(&self) -> Result<Vec<CollectionSummary>, StoreError>;
    fn collection(&self, name: &str) -> Result<Collection, StoreError>;
    fn create_collection(&self, name: &str) -> Result<(), StoreError>;
    fn add_to_collection(
        &self,
        name: &str,
        id: &AssetId,
        range: Option<TimeRange>,
        note: &str,
    ) -> Result<CollectionItem, StoreError>;
    fn remove_from_collection(&self, name: &str, item: i64) -> Result<(), StoreError>;
    fn move_in_collection(&self, name: &str, item: i64, position: usize) -> Result<(), StoreError>;
    fn reorder_collection(&self, name: &str, order: &[i64]) -> Result<(), StoreError>;
    fn rename_collection(&self, name: &str, new_name: &str) -> Result<(), StoreError>;
    fn delete_collection(&self, name: &str) -> Result<(), StoreError>;

    // ---------------------------------------------------------------- people and faces
    fn people(&self) -> Result<Vec<PersonSummary>, StoreError>;
    fn person(&self, id: i64) -> Result<Option<PersonSummary>, StoreError>;
    /// Every face of one person (by file and time): their whole first page.
    fn person_faces(&self, person: i64) -> Result<Vec<FaceSummary>, StoreError> {
        Ok(self.person_faces_page(person, 0, usize::MAX)?.faces)
    }
    fn person_faces_page(
        &self,
        person: i64,
        offset: usize,
        limit: usize,
    ) -> Result<FacesPage, StoreError>;
    fn name_person(&self, person: i64, name: &str) -> Result<(), StoreError>;
    fn merge_people(&self, into: i64, from: i64, name: Option<&str>) -> Result<(), StoreError>;
    fn split_face(&self, face: i64) -> Result<i64, StoreError>;
    fn forget_person(&self, person: i64) -> Result<(), StoreError>;
    fn people_named(&self, who: &str) -> Result<Vec<PersonInMoment>, StoreError>;
    fn moments_showing(&self, people: &[i64]) -> Result<Vec<u64>, StoreError>;

    // ---------------------------------------------------------------- slates
    fn scene_library(&self) -> Result<Vec<SceneGroup>, StoreError>;
    fn asset_slates(&self, asset_id: &str) -> Result<Vec<SlateSpan>, StoreError>;
    fn all_slates(&self) -> Result<Vec<StoredSpan>, StoreError>;
}
