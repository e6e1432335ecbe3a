//! The store's `VectorIndex` seam over `frame_vectors`: a model's dimension from
//! `embedding_models`, nearest frames through the model's HNSW index (similarity = 1 −
//! cosine distance, as the usearch indexes report it), and staged additions and removals
//! applied in one transaction by `save`. The write path of an indexed file
//! (`AssetWrites`) writes its vectors in the file's own transaction instead.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use pgvector::Vector;
use rushes_store::StoreError;
use rushes_store::catalog::FrameVector;
use rushes_store::catalog::sql::normalised;
use rushes_store::seams::{FrameMatch, RankingCatalog, VectorIndex};

use crate::pool::{Pool, Pooled};
use crate::store_error;
use crate::vectors::{
    nearest_frames_with_moments, register_model, registered_dimension, reset_model,
};

/// A staged change, applied by `save`.
enum VectorWrite {
    Add(Vec<FrameVector>),
    Remove(Vec<(u64, String)>),
}

/// The `VectorIndex` of a PostgreSQL library.
pub struct PgVectors {
    pool: Pool,
    staged: Mutex<Vec<VectorWrite>>,
    /// Registered models' dimensions as last read, so a search is one round trip. A model
    /// reset to another size elsewhere is read again when a query vector's size differs.
    dims: Mutex<HashMap<String, usize>>,
}

impl PgVectors {
    pub fn new(pool: Pool) -> PgVectors {
        PgVectors {
            pool,
            staged: Mutex::new(Vec::new()),
            dims: Mutex::new(HashMap::new()),
        }
    }

    fn staged(&self) -> Result<MutexGuard<'_, Vec<VectorWrite>>, StoreError> {
        self.staged
            .lock()
            .map_err(|_| StoreError::Database("vector write lock poisoned by a panic".into()))
    }

    fn dims(&self) -> Result<MutexGuard<'_, HashMap<String, usize>>, StoreError> {
        self.dims
            .lock()
            .map_err(|_| StoreError::Database("model sizes lock poisoned by a panic".into()))
    }

    /// `model`'s dimension: as last read when it is `wanted`'s size, else read now.
    fn dimension(
        &self,
        client: &mut Pooled,
        model: &str,
        wanted: usize,
    ) -> Result<Option<usize>, StoreError> {
        if self.dims()?.get(model) == Some(&wanted) {
            return Ok(Some(wanted));
        }
        let dim = registered_dimension(&mut **client, model).map_err(store_error)?;
        let mut dims = self.dims()?;
        match dim {
            Some(dim) => dims.insert(model.to_string(), dim),
            None => dims.remove(model),
        };
        Ok(dim)
    }

    /// The nearest frames with their moments (see [`nearest_frames_with_moments`]); none
    /// when the model is not registered.
    fn nearest(
        &self,
        model: &str,
        vector: &[f32],
        count: usize,
    ) -> Result<Vec<(FrameMatch, Option<i64>)>, StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        let Some(dim) = self.dimension(&mut client, model, vector.len())? else {
            return Ok(Vec::new());
        };
        let query = normalised(vector);
        let found =
            nearest_frames_with_moments(&mut *client, model, dim, &query, count.max(1) as i64)
                .map_err(store_error)?;
        Ok(found
            .into_iter()
            .map(|(near, moment)| {
                let frame = FrameMatch {
                    frame_id: near.frame_id as u64,
                    similarity: (1.0 - near.distance) as f32,
                };
                (frame, moment)
            })
            .collect())
    }
}

impl VectorIndex for PgVectors {
    fn dimensions(&self, model: &str) -> Result<Option<usize>, StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        registered_dimension(&mut *client, model).map_err(store_error)
    }

    fn add(&self, frames: &[FrameVector]) -> Result<(), StoreError> {
        self.staged()?.push(VectorWrite::Add(frames.to_vec()));
        Ok(())
    }

    fn remove(&self, frames: &[(u64, String)]) -> Result<(), StoreError> {
        self.staged()?.push(VectorWrite::Remove(frames.to_vec()));
        Ok(())
    }

    fn reset(&self, model: &str, dimensions: usize) -> Result<(), StoreError> {
        self.dims()?.remove(model);
        let mut client = self.pool.get().map_err(store_error)?;
        reset_model(&mut *client, model, dimensions).map_err(store_error)
    }

    fn save(&self) -> Result<(), StoreError> {
        let mut staged = self.staged()?;
        if staged.is_empty() {
            return Ok(());
        }
        let mut client = self.pool.get().map_err(store_error)?;
        // Models first, each in its own short transaction (an index build holds a lock).
        let mut models = HashSet::new();
        for write in staged.iter() {
            if let VectorWrite::Add(frames) = write {
                for frame in frames {
                    if models.insert(frame.model.clone()) {
                        register_model(&mut *client, &frame.model, frame.embedding.len())
                            .map_err(store_error)?;
                    }
                }
            }
        }
        let mut transaction = client.transaction().map_err(store_error)?;
        for write in staged.iter() {
            match write {
                VectorWrite::Add(frames) => {
                    for frame in frames {
                        let embedding = Vector::from(normalised(&frame.embedding));
                        transaction
                            .execute(
                                "INSERT INTO frame_vectors (frame_id, model, embedding)
                                 VALUES ($1, $2, $3)
                                 ON CONFLICT (frame_id, model)
                                 DO UPDATE SET embedding = excluded.embedding",
                                &[&(frame.frame_id as i64), &frame.model, &embedding],
                            )
                            .map_err(store_error)?;
                    }
                }
                VectorWrite::Remove(frames) => {
                    for (frame_id, model) in frames {
                        transaction
                            .execute(
                                "DELETE FROM frame_vectors WHERE frame_id = $1 AND model = $2",
                                &[&(*frame_id as i64), model],
                            )
                            .map_err(store_error)?;
                    }
                }
            }
        }
        transaction.commit().map_err(store_error)?;
        staged.clear();
        Ok(())
    }

    fn search(
        &self,
        model: &str,
        vector: &[f32],
        count: usize,
    ) -> Result<Vec<FrameMatch>, StoreError> {
        let found = self.nearest(model, vector, count)?;
        Ok(found.into_iter().map(|(frame, _)| frame).collect())
    }

    /// One statement: the library's own catalog maps the frames (`_catalog` is always it).
    fn search_moments(
        &self,
        model: &str,
        vector: &[f32],
        count: usize,
        _catalog: &dyn RankingCatalog,
    ) -> Result<Vec<(FrameMatch, Option<i64>)>, StoreError> {
        self.nearest(model, vector, count)
    }

    fn contains(&self, model: &str, frame_id: u64) -> Result<bool, StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM frame_vectors WHERE frame_id = $1 AND model = $2)",
                &[&(frame_id as i64), &model],
            )
            .map_err(store_error)?;
        Ok(row.get(0))
    }

    fn len(&self, model: &str) -> Result<usize, StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        let row = client
            .query_one(
                "SELECT count(*) FROM frame_vectors WHERE model = $1",
                &[&model],
            )
            .map_err(store_error)?;
        Ok(row.get::<_, i64>(0) as usize)
    }
}
