//! The store's `VectorIndex` seam over one vector space (`crate::vectors::VectorSpace`):
//! `frame_vectors` (the frames', `Ranking.vectors`) or `text_unit_vectors` (the text
//! units', `Ranking.text_vectors`, for semantic search). A model's dimension from the
//! space's models table, nearest items through the model's HNSW index (similarity = 1 −
//! cosine distance, as the usearch indexes report it), and staged additions and removals
//! applied in one transaction by `save`. The write path of an indexed file
//! (`AssetWrites`) writes its vectors in the file's own transaction instead.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use pgvector::Vector;
use rushes_store::StoreError;
use rushes_store::catalog::FrameVector;
use rushes_store::catalog::sql::normalised;
use rushes_store::seams::{FrameMatch, RankingCatalog, VectorIndex, frames_with_moments};

use crate::pool::{Pool, Pooled};
use crate::store_error;
use crate::vectors::{FRAME_VECTORS, VectorSpace};

/// A staged change, applied by `save`.
enum VectorWrite {
    Add(Vec<FrameVector>),
    Remove(Vec<(u64, String)>),
}

/// A `VectorIndex` of a PostgreSQL library: the frames' ([`PgVectors::new`]) or another
/// space's ([`PgVectors::of_space`]).
pub struct PgVectors {
    pool: Pool,
    space: VectorSpace,
    staged: Mutex<Vec<VectorWrite>>,
    /// Registered models' dimensions as last read, so a search is one round trip. A model
    /// reset to another size elsewhere is read again when a query vector's size differs.
    dims: Mutex<HashMap<String, usize>>,
}

impl PgVectors {
    /// The frames' vectors.
    pub fn new(pool: Pool) -> PgVectors {
        PgVectors::of_space(pool, FRAME_VECTORS)
    }

    /// The vectors of `space`.
    pub fn of_space(pool: Pool, space: VectorSpace) -> PgVectors {
        PgVectors {
            pool,
            space,
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
        let dim = self
            .space
            .registered_dimension(&mut **client, model)
            .map_err(store_error)?;
        let mut dims = self.dims()?;
        match dim {
            Some(dim) => dims.insert(model.to_string(), dim),
            None => dims.remove(model),
        };
        Ok(dim)
    }

    /// The nearest items with their moments in one round trip (see
    /// [`VectorSpace::nearest_in_one_round_trip`]); none when the model is not registered.
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
        let found = self
            .space
            .nearest_in_one_round_trip(&mut *client, model, dim, &query, count.max(1) as i64)
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
        self.space
            .registered_dimension(&mut *client, model)
            .map_err(store_error)
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
        self.space
            .reset(&mut *client, model, dimensions)
            .map_err(store_error)
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
                        self.space
                            .register(&mut *client, &frame.model, frame.embedding.len())
                            .map_err(store_error)?;
                    }
                }
            }
        }
        let VectorSpace { table, key, .. } = self.space;
        let upsert = format!(
            "INSERT INTO {table} ({key}, model, embedding) VALUES ($1, $2, $3)
             ON CONFLICT ({key}, model) DO UPDATE SET embedding = excluded.embedding"
        );
        let delete = format!("DELETE FROM {table} WHERE {key} = $1 AND model = $2");
        let mut transaction = client.transaction().map_err(store_error)?;
        for write in staged.iter() {
            match write {
                VectorWrite::Add(frames) => {
                    for frame in frames {
                        let embedding = Vector::from(normalised(&frame.embedding));
                        transaction
                            .execute(
                                &upsert,
                                &[&(frame.frame_id as i64), &frame.model, &embedding],
                            )
                            .map_err(store_error)?;
                    }
                }
                VectorWrite::Remove(frames) => {
                    for (frame_id, model) in frames {
                        transaction
                            .execute(&delete, &[&(*frame_id as i64), model])
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

    /// The frames' space answers in one statement: the library's own catalog maps the
    /// frames (`catalog` is always it). Another space maps them through `catalog`.
    fn search_moments(
        &self,
        model: &str,
        vector: &[f32],
        count: usize,
        catalog: &dyn RankingCatalog,
    ) -> Result<Vec<(FrameMatch, Option<i64>)>, StoreError> {
        let found = self.nearest(model, vector, count)?;
        if self.space.table == FRAME_VECTORS.table {
            return Ok(found);
        }
        let frames = found.into_iter().map(|(frame, _)| frame).collect();
        frames_with_moments(frames, catalog)
    }

    fn contains(&self, model: &str, frame_id: u64) -> Result<bool, StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        let row = client
            .query_one(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM {} WHERE {} = $1 AND model = $2)",
                    self.space.table, self.space.key
                ),
                &[&(frame_id as i64), &model],
            )
            .map_err(store_error)?;
        Ok(row.get(0))
    }

    fn len(&self, model: &str) -> Result<usize, StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        let row = client
            .query_one(
                &format!("SELECT count(*) FROM {} WHERE model = $1", self.space.table),
                &[&model],
            )
            .map_err(store_error)?;
        Ok(row.get::<_, i64>(0) as usize)
    }
}
