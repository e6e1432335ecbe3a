//! The three engines of an index — the catalog (source of truth), the text index and the
//! vector indexes (frames', and text units' in a space of their own) — and the write path
//! across them: an asset is written to the catalog as pending, its text documents and
//! vectors staged, and `commit` makes everything visible in
//! that order (text, vectors, then the catalog marks the assets done), so a crash at any
//! point is repaired on the next open (`repair`). Search reads through the same parts.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rushes_core::{AssetId, AssetRecord, TextUnit};

use crate::catalog::faces::FacesWritten;
use crate::catalog::text_units::UnitsOf;
use crate::catalog::{Catalog, CatalogTransaction, FrameVector, Repositories};
use crate::error::StoreError;
use crate::manifest;
use crate::seams::{AssetWrites, FacesToWrite, TextIndex, VectorIndex, record_vectors};
use crate::search::Ranking;
use crate::text::TantivyText;

pub(crate) struct Engines {
    dir: PathBuf,
    catalog: Mutex<Catalog>,
    /// Concrete: search's snippets still read Tantivy's own (see the crate README).
    pub(crate) text: TantivyText,
    pub(crate) vectors: Box<dyn VectorIndex>,
    /// Text units' sentence vectors, keyed by unit id, one space per sentence model: apart
    /// from the frames' so neither their ids nor their model names can meet.
    pub(crate) text_vectors: Box<dyn VectorIndex>,
}

impl Engines {
    pub(crate) fn new(
        dir: &Path,
        catalog: Catalog,
        text: TantivyText,
        vectors: Box<dyn VectorIndex>,
        text_vectors: Box<dyn VectorIndex>,
    ) -> Engines {
        Engines {
            dir: dir.to_path_buf(),
            catalog: Mutex::new(catalog),
            text,
            vectors,
            text_vectors,
        }
    }

    /// What one search reads: every engine of the index, the catalog locked per read.
    pub(crate) fn ranking(&self) -> Ranking<'_, TantivyText> {
        Ranking {
            text: &self.text,
            vectors: &*self.vectors,
            text_vectors: Some(&*self.text_vectors),
            catalog: self,
        }
    }

    pub(crate) fn catalog(&self) -> Result<MutexGuard<'_, Catalog>, StoreError> {
        self.catalog
            .lock()
            .map_err(|_| StoreError::Vector("catalog lock poisoned by a panic".into()))
    }

    /// Name and dimensions of the embedding model of the vectors (the most recently used
    /// one when there are several).
    pub(crate) fn embedding_model(&self) -> Result<Option<(String, usize)>, StoreError> {
        Ok(self
            .catalog()?
            .assets()
            .embedding_models()?
            .into_iter()
            .next())
    }

    /// Undoes assets an interrupted run left pending (their text documents, vectors and
    /// rows), and vector keys deleted from the catalog but not yet from the vector files.
    pub(crate) fn repair(&self) -> Result<(), StoreError> {
        let catalog = self.catalog()?;
        let pending = catalog.assets().pending_assets()?;
        let stale = catalog.assets().stale_frames()?;
        let stale_units = catalog.text_units().stale()?;
        if pending.is_empty() && stale.is_empty() && stale_units.is_empty() {
            return Ok(());
        }
        tracing::warn!(
            assets = pending.len(),
            "repairing an interrupted index run; those files will be indexed again"
        );
        self.vectors.remove(&stale)?;
        self.text_vectors.remove(&stale_units)?;
        for id in &pending {
            // Its faces first, keeping the names they held for the rerun.
            let transaction = catalog.write()?;
            transaction.faces().delete_of_pending_asset(id)?;
            transaction.commit()?;
            let removed = catalog.delete_asset(id, false)?;
            self.vectors.remove(&removed.frames)?;
            self.text_vectors.remove(&removed.units)?;
            self.text.delete_asset(id)?;
        }
        self.commit_locked(&catalog)
    }

    /// Writes assets with their moments, frames and vectors, replacing any earlier version
    /// of each, in one catalog transaction with `also` run inside it (an asset's faces), one
    /// text-index batch and one vector batch. Staged: searches see them after `commit()`.
    fn put_assets_then<T>(
        &self,
        records: &[AssetRecord],
        also: impl FnOnce(&CatalogTransaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let catalog = self.catalog()?;
        for record in records {
            self.check_dimensions(record)?;
        }
        let transaction = catalog.write()?;
        let mut writes = Vec::with_capacity(records.len());
        for record in records {
            writes.push(transaction.assets().write(record)?);
        }
        let also = also(&transaction)?;
        transaction.commit()?;
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let mut added_units = Vec::new();
        let mut removed_units = Vec::new();
        for (record, write) in records.iter().zip(writes) {
            let id = record.asset.id.as_str();
            for other in write.replaced.iter().filter(|other| other.as_str() != id) {
                self.text.delete_asset(other)?;
            }
            let moments = catalog.assets().asset_moments(id)?;
            self.text.put_asset(id, &moments)?;
            added.extend(write.added);
            removed.extend(write.removed);
            added_units.extend(write.added_units);
            removed_units.extend(write.removed_units);
        }
        stage_vectors(&*self.vectors, added, &removed)?;
        stage_vectors(&*self.text_vectors, added_units, &removed_units)?;
        Ok(also)
    }

    fn check_dimensions(&self, record: &AssetRecord) -> Result<(), StoreError> {
        if let Some((model, first)) = record_vectors(record)? {
            same_dimensions(&*self.vectors, model, std::iter::once(first))?;
        }
        if let Some(model) = &record.text_model {
            let units = record
                .text_units
                .iter()
                .filter_map(|unit| unit.embedding.as_ref())
                .map(Vec::len);
            same_dimensions(&*self.text_vectors, model, units)?;
        }
        Ok(())
    }

    /// Re-derives an asset's text documents from the catalog (its hand tags, notes or path
    /// changed) and commits.
    pub(crate) fn refresh_text(&self, catalog: &Catalog, id: &AssetId) -> Result<(), StoreError> {
        let moments = catalog.assets().asset_moments(id.as_str())?;
        self.text.put_asset(id.as_str(), &moments)?;
        self.commit_locked(catalog)
    }

    /// Replaces an asset's hand-note and hand-tag units with `units` (embedded by `model`)
    /// in one catalog transaction, stages their vectors and commits.
    pub(crate) fn replace_hand_units(
        &self,
        id: &AssetId,
        model: &str,
        units: &[TextUnit],
    ) -> Result<(), StoreError> {
        let catalog = self.catalog()?;
        let dims = units
            .iter()
            .filter_map(|unit| unit.embedding.as_ref())
            .map(Vec::len);
        same_dimensions(&*self.text_vectors, model, dims)?;
        let transaction = catalog.write()?;
        let removed = transaction
            .text_units()
            .delete_of_asset(id.as_str(), UnitsOf::Hand)?;
        let added = transaction
            .text_units()
            .write(id.as_str(), Some(model), units)?;
        transaction.commit()?;
        stage_vectors(&*self.text_vectors, added, &removed)?;
        self.commit_locked(&catalog)
    }

    /// Deletes an asset's hand-note and hand-tag units that are not in `keep` (compared by
    /// kind, window and text), stages their vectors' removal and commits.
    pub(crate) fn keep_hand_units(
        &self,
        catalog: &Catalog,
        asset_id: &str,
        keep: &[TextUnit],
    ) -> Result<(), StoreError> {
        let transaction = catalog.write()?;
        let removed = transaction
            .text_units()
            .delete_hand_except(asset_id, keep)?;
        transaction.commit()?;
        if removed.is_empty() {
            return Ok(());
        }
        stage_vectors(&*self.text_vectors, Vec::new(), &removed)?;
        self.commit_locked(catalog)
    }

    fn commit_locked(&self, catalog: &Catalog) -> Result<(), StoreError> {
        self.text.commit()?;
        self.vectors.save()?;
        self.text_vectors.save()?;
        catalog.finish_commit()?;
        let models = catalog.assets().embedding_models()?;
        manifest::write(&self.dir, &models)?;
        Ok(())
    }
}

/// Checks that `dims` (the lengths of one asset's vectors of `model`) agree with each other
/// and with the vectors `index` already holds for `model`.
fn same_dimensions(
    index: &dyn VectorIndex,
    model: &str,
    mut dims: impl Iterator<Item = usize>,
) -> Result<(), StoreError> {
    let Some(first) = dims.next() else {
        return Ok(());
    };
    if let Some(other) = dims.find(|d| *d != first) {
        return Err(StoreError::DimensionMismatch {
            model: model.to_owned(),
            expected: first,
            found: other,
        });
    }
    match index.dimensions(model)? {
        Some(expected) if expected != first => Err(StoreError::DimensionMismatch {
            model: model.to_owned(),
            expected,
            found: first,
        }),
        _ => Ok(()),
    }
}

/// Stages a batch's vector changes on `index`: the removed keys go, then the added vectors
/// come in (but for an asset written twice in one batch, whose first keys are gone again).
fn stage_vectors(
    index: &dyn VectorIndex,
    mut added: Vec<FrameVector>,
    removed: &[(u64, String)],
) -> Result<(), StoreError> {
    let gone: HashSet<u64> = removed.iter().map(|(key, _)| *key).collect();
    added.retain(|vector| !gone.contains(&vector.frame_id));
    index.remove(removed)?;
    index.add(&added)
}

impl AssetWrites for Engines {
    fn put_assets(
        &self,
        records: &[AssetRecord],
        faces: Option<FacesToWrite<'_>>,
    ) -> Result<FacesWritten, StoreError> {
        self.put_assets_then(records, |transaction| {
            let (Some(faces), [record]) = (faces, records) else {
                return Ok(FacesWritten::default());
            };
            let asset = &record.asset;
            transaction.faces().write(
                asset.id.as_str(),
                &asset.content_hash,
                faces.faces,
                faces.choose_person,
            )
        })
    }

    fn move_asset(&self, id: &AssetId, new_path: &Path) -> Result<(), StoreError> {
        let catalog = self.catalog()?;
        if !catalog.assets().move_asset(id.as_str(), new_path)? {
            return Err(StoreError::NotFound(format!("no asset {id} in this index")));
        }
        self.refresh_text(&catalog, id)
    }

    fn remove_asset(&self, id: &AssetId) -> Result<(), StoreError> {
        let catalog = self.catalog()?;
        if catalog.assets().asset_any_state(id.as_str())?.is_none() {
            return Err(StoreError::NotFound(format!("no asset {id} in this index")));
        }
        let removed = catalog.delete_asset(id.as_str(), true)?;
        self.text.delete_asset(id.as_str())?;
        self.vectors.remove(&removed.frames)?;
        self.text_vectors.remove(&removed.units)?;
        self.commit_locked(&catalog)
    }

    fn commit(&self) -> Result<(), StoreError> {
        let catalog = self.catalog()?;
        self.commit_locked(&catalog)
    }
}
