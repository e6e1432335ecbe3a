//! What ranking reads from the catalog, as a seam ([`RankingCatalog`]): the people a
//! `person:` filter names and the moments showing them, slate spans and the moments they
//! overlap, a page of moments with their assets and slates, frame → moment, the people in
//! hits' ranges, the embedding model, and the text units found by meaning. The SQLite
//! catalog is today's implementation (`ranking_reads`, for `Catalog` and for the locked
//! catalog of an open index); `rushes_postgres::PgLibrary` reads the same from PostgreSQL, so one
//! ranking (`search`) runs over either engine.

use std::collections::HashMap;

use rushes_core::{PersonInMoment, SlateSpan};

use crate::catalog::MomentRow;
use crate::catalog::faces::AssetRange;
use crate::catalog::text_units::UnitRow;
use crate::error::StoreError;
use crate::slates::StoredSpan;

/// Moments by id (with their asset, transcript, hand tags and notes) and the slate spans of
/// their assets by asset id, read in one consistent view.
pub type MomentsWithSlates = (HashMap<i64, MomentRow>, HashMap<String, Vec<SlateSpan>>);

/// The catalog reads of hybrid ranking and facet counts.
pub trait RankingCatalog {
    /// The people `who` names (an id, a whole name or a run of its words), by id, each with
    /// their representative face thumbnail (see `person_filter::named_among`).
    fn people_named(&self, who: &str) -> Result<Vec<PersonInMoment>, StoreError>;
    /// Ids of the moments whose time range shows any of `people`.
    fn moments_showing(&self, people: &[i64]) -> Result<Vec<u64>, StoreError>;
    /// Every slate span with its asset, by asset then time.
    fn all_slates(&self) -> Result<Vec<StoredSpan>, StoreError>;
    /// Ids of the moments overlapping any of `spans`.
    fn moments_overlapping(&self, spans: &[StoredSpan]) -> Result<Vec<u64>, StoreError>;
    /// The committed moments of `ids` and their assets' slate spans.
    fn moments_with_slates(&self, ids: &[i64]) -> Result<MomentsWithSlates, StoreError>;
    /// The moment of each frame id (frames of committed assets only).
    fn frame_moments(&self, frame_ids: &[u64]) -> Result<HashMap<u64, i64>, StoreError>;
    /// The people each range shows, one list per range, in order.
    fn people_in_ranges(
        &self,
        ranges: &[AssetRange<'_>],
    ) -> Result<Vec<Vec<PersonInMoment>>, StoreError>;
    /// Name and dimensions of the frame vectors' model (the most recently used one).
    fn embedding_model(&self) -> Result<Option<(String, usize)>, StoreError>;
    /// The text units of `unit_ids` with the moment each starts in.
    fn matched_units(&self, unit_ids: &[u64]) -> Result<Vec<UnitRow>, StoreError>;
}
