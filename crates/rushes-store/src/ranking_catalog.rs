//! What ranking reads from the catalog, as a seam ([`RankingCatalog`]): the people a
//! `person:` filter names and the moments showing them, slate spans and the moments they
//! overlap, a page of moments with their assets and slates, frame → moment, the people in
//! hits' ranges, the embedding model, and the text units found by meaning. The SQLite
//! catalog is today's implementation (here, for `Catalog` and for the locked catalog of an
//! open index); `rushes_postgres::PgLibrary` reads the same from PostgreSQL, so one
//! ranking (`search`) runs over either engine.

use std::collections::HashMap;

use rushes_core::{PersonInMoment, SlateSpan};

use crate::catalog::faces::AssetRange;
use crate::catalog::text_units::UnitRow;
use crate::catalog::{Catalog, MomentRow, Repositories};
use crate::engines::Engines;
use crate::error::StoreError;
use crate::person_filter::named_among;
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

impl RankingCatalog for Catalog {
    fn people_named(&self, who: &str) -> Result<Vec<PersonInMoment>, StoreError> {
        Ok(named_among(self.faces().everyone()?, who))
    }

    fn moments_showing(&self, people: &[i64]) -> Result<Vec<u64>, StoreError> {
        self.faces().moments_showing(people)
    }

    fn all_slates(&self) -> Result<Vec<StoredSpan>, StoreError> {
        self.slates().all()
    }

    fn moments_overlapping(&self, spans: &[StoredSpan]) -> Result<Vec<u64>, StoreError> {
        self.slates().moments_overlapping(spans)
    }

    fn moments_with_slates(&self, ids: &[i64]) -> Result<MomentsWithSlates, StoreError> {
        let snapshot = self.begin_read()?;
        let rows = snapshot.assets().moments(ids)?;
        let mut assets: Vec<&str> = rows.values().map(|row| row.asset.id.as_str()).collect();
        assets.sort_unstable();
        assets.dedup();
        let slates = snapshot.slates().spans_of(&assets)?;
        Ok((rows, slates))
    }

    fn frame_moments(&self, frame_ids: &[u64]) -> Result<HashMap<u64, i64>, StoreError> {
        self.assets().frame_moments(frame_ids)
    }

    fn people_in_ranges(
        &self,
        ranges: &[AssetRange<'_>],
    ) -> Result<Vec<Vec<PersonInMoment>>, StoreError> {
        self.faces().in_ranges(ranges)
    }

    fn embedding_model(&self) -> Result<Option<(String, usize)>, StoreError> {
        Ok(self.assets().embedding_models()?.into_iter().next())
    }

    fn matched_units(&self, unit_ids: &[u64]) -> Result<Vec<UnitRow>, StoreError> {
        self.text_units().matched(unit_ids)
    }
}

/// An open index's catalog, locked for each read only (as ranking read it before the seam).
impl RankingCatalog for Engines {
    fn people_named(&self, who: &str) -> Result<Vec<PersonInMoment>, StoreError> {
        self.catalog()?.people_named(who)
    }

    fn moments_showing(&self, people: &[i64]) -> Result<Vec<u64>, StoreError> {
        RankingCatalog::moments_showing(&*self.catalog()?, people)
    }

    fn all_slates(&self) -> Result<Vec<StoredSpan>, StoreError> {
        self.catalog()?.all_slates()
    }

    fn moments_overlapping(&self, spans: &[StoredSpan]) -> Result<Vec<u64>, StoreError> {
        self.catalog()?.moments_overlapping(spans)
    }

    fn moments_with_slates(&self, ids: &[i64]) -> Result<MomentsWithSlates, StoreError> {
        self.catalog()?.moments_with_slates(ids)
    }

    fn frame_moments(&self, frame_ids: &[u64]) -> Result<HashMap<u64, i64>, StoreError> {
        RankingCatalog::frame_moments(&*self.catalog()?, frame_ids)
    }

    fn people_in_ranges(
        &self,
        ranges: &[AssetRange<'_>],
    ) -> Result<Vec<Vec<PersonInMoment>>, StoreError> {
        self.catalog()?.people_in_ranges(ranges)
    }

    fn embedding_model(&self) -> Result<Option<(String, usize)>, StoreError> {
        Engines::embedding_model(self)
    }

    fn matched_units(&self, unit_ids: &[u64]) -> Result<Vec<UnitRow>, StoreError> {
        self.catalog()?.matched_units(unit_ids)
    }
}
