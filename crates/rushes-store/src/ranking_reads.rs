//! The SQLite catalog's answers to [`RankingCatalog`], the reads ranking makes: for a
//! `Catalog` and for the locked catalog of an open index (`Engines`).

use std::collections::HashMap;

use rushes_core::PersonInMoment;

use crate::catalog::faces::AssetRange;
use crate::catalog::text_units::UnitRow;
use crate::catalog::{Catalog, Repositories};
use crate::engines::Engines;
use crate::error::StoreError;
use crate::person_filter::named_among;
use crate::ranking_catalog::{MomentsWithSlates, RankingCatalog};
use crate::slates::StoredSpan;

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
