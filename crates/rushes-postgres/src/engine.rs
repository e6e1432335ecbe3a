//! A library in PostgreSQL behind the store's seams: [`PgEngine`] holds the connection pool
//! and gives the text index ([`PgText`]), the vector index ([`PgVectors`]) and the write
//! path ([`AssetWrites`]). Writing a file puts its catalog rows, moment texts, frame
//! vectors and faces in **one transaction**: another reader sees all of it or none, and a
//! failure leaves no row (nothing to repair on the next open, unlike the local engine's
//! pending assets). `commit` has nothing left to do.

use std::collections::HashMap;
use std::path::Path;

use rushes_core::{AssetId, AssetRecord};
use rushes_store::StoreError;
use rushes_store::catalog::MomentRow;
use rushes_store::catalog::faces::FacesWritten;
use rushes_store::catalog::sql::path_bytes;
use rushes_store::seams::{AssetWrites, FacesToWrite, record_unit_vectors, record_vectors};

use crate::asset_rows::{
    asset_moments, delete_asset_rows, refresh_moment_texts, write_asset, write_moment_texts,
};
use crate::faces::{delete_asset_faces, write_faces};
use crate::pool::Pool;
use crate::text_index::PgText;
use crate::vector_index::PgVectors;
use crate::vectors::{TEXT_UNIT_VECTORS, register_model};
use crate::{PostgresError, store_error};

pub struct PgEngine {
    pool: Pool,
    text: PgText,
    vectors: PgVectors,
    text_vectors: PgVectors,
}

impl PgEngine {
    /// Connects to the library at `url`, migrating its schema ([`crate::open`]).
    pub fn open(url: &str) -> Result<PgEngine, PostgresError> {
        let pool = Pool::open(url)?;
        Ok(PgEngine {
            text: PgText::new(pool.clone()),
            vectors: PgVectors::new(pool.clone()),
            text_vectors: PgVectors::of_space(pool.clone(), TEXT_UNIT_VECTORS),
            pool,
        })
    }

    pub fn text(&self) -> &PgText {
        &self.text
    }

    pub fn vectors(&self) -> &PgVectors {
        &self.vectors
    }

    /// The text units' sentence vectors (semantic search's `Ranking.text_vectors`).
    pub fn text_vectors(&self) -> &PgVectors {
        &self.text_vectors
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// An asset's moments as the text index reads them (hand tags and notes included), for
    /// `TextIndex::put_asset` when its hand work changes or the text is rebuilt.
    pub fn asset_moments(&self, id: &AssetId) -> Result<Vec<MomentRow>, StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        asset_moments(&mut *client, id.as_str()).map_err(store_error)
    }

    /// Registers the embedding model of each record with its vectors' dimension, and the
    /// sentence model of its text units with theirs, each in a short transaction of its own
    /// before the records' (building a model's HNSW index locks the table; a registration
    /// outlives a failed write harmlessly).
    pub(crate) fn register_models(&self, records: &[AssetRecord]) -> Result<(), StoreError> {
        let mut models: HashMap<&str, usize> = HashMap::new();
        let mut unit_models: HashMap<&str, usize> = HashMap::new();
        for record in records {
            if let Some((model, dim)) = record_vectors(record)? {
                same_model_size(&mut models, model, dim)?;
            }
            if let Some((model, dim)) = record_unit_vectors(record)? {
                same_model_size(&mut unit_models, model, dim)?;
            }
        }
        models.remove("");
        let mut client = self.pool.get().map_err(store_error)?;
        for (model, dim) in models {
            register_model(&mut *client, model, dim).map_err(store_error)?;
        }
        for (model, dim) in unit_models {
            TEXT_UNIT_VECTORS
                .register(&mut *client, model, dim)
                .map_err(store_error)?;
        }
        Ok(())
    }
}

impl AssetWrites for PgEngine {
    fn put_assets(
        &self,
        records: &[AssetRecord],
        faces: Option<FacesToWrite<'_>>,
    ) -> Result<FacesWritten, StoreError> {
        self.register_models(records)?;
        let mut client = self.pool.get().map_err(store_error)?;
        let mut transaction = client.transaction().map_err(store_error)?;
        let written = write_records(&mut transaction, records, faces)?;
        transaction.commit().map_err(store_error)?;
        Ok(written)
    }

    fn move_asset(&self, id: &AssetId, new_path: &Path) -> Result<(), StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        let mut transaction = client.transaction().map_err(store_error)?;
        let moved = transaction
            .execute(
                "UPDATE assets SET path = $2, display_path = $3 WHERE id = $1",
                &[
                    &id.as_str(),
                    &path_bytes(new_path),
                    &new_path.to_string_lossy().as_ref(),
                ],
            )
            .map_err(store_error)?;
        if moved == 0 {
            return Err(StoreError::NotFound(format!("no asset {id} in this index")));
        }
        refresh_moment_texts(&mut transaction, id.as_str()).map_err(store_error)?;
        transaction.commit().map_err(store_error)
    }

    fn remove_asset(&self, id: &AssetId) -> Result<(), StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        let mut transaction = client.transaction().map_err(store_error)?;
        let id = id.as_str();
        if !delete_asset_rows(&mut transaction, id).map_err(store_error)? {
            return Err(StoreError::NotFound(format!("no asset {id} in this index")));
        }
        delete_asset_faces(&mut transaction, id).map_err(store_error)?;
        for forget in [
            "DELETE FROM hand_tags WHERE asset_id = $1",
            "DELETE FROM hand_notes WHERE asset_id = $1",
            "DELETE FROM collection_items WHERE asset_id = $1",
            "DELETE FROM text_units WHERE asset_id = $1",
        ] {
            transaction.execute(forget, &[&id]).map_err(store_error)?;
        }
        transaction.commit().map_err(store_error)
    }

    /// Nothing to do: every write above committed its own transaction.
    fn commit(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Notes `model`'s size `dim` in `models`, refusing a second size for one model.
fn same_model_size<'a>(
    models: &mut HashMap<&'a str, usize>,
    model: &'a str,
    dim: usize,
) -> Result<(), StoreError> {
    let expected = *models.entry(model).or_insert(dim);
    if model.is_empty() || dim == expected {
        return Ok(());
    }
    Err(StoreError::DimensionMismatch {
        model: model.to_string(),
        expected,
        found: dim,
    })
}

/// Writes `records` (their models registered) on the caller's transaction: each one's
/// catalog rows and moment texts, then the faces of a single record. `put_assets` commits
/// it alone; an index worker commits it with its job's outcome (`crate::ingest`).
pub(crate) fn write_records(
    transaction: &mut postgres::Transaction<'_>,
    records: &[AssetRecord],
    faces: Option<FacesToWrite<'_>>,
) -> Result<FacesWritten, StoreError> {
    for record in records {
        let id = record.asset.id.as_str();
        write_asset(transaction, record).map_err(store_error)?;
        let moments = asset_moments(transaction, id).map_err(store_error)?;
        write_moment_texts(transaction, id, &moments).map_err(store_error)?;
    }
    Ok(match (faces, records) {
        (Some(faces), [record]) => {
            let asset = &record.asset;
            write_faces(
                transaction,
                asset.id.as_str(),
                &asset.content_hash,
                faces.faces,
                faces.choose_person,
            )
            .map_err(store_error)?
        }
        _ => FacesWritten::default(),
    })
}
