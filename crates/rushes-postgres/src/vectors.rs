//! Vectors in pgvector, keyed by embedding model, in one of two spaces ([`VectorSpace`]):
//! the frames' image vectors ([`FRAME_VECTORS`]) and the text units' sentence vectors
//! ([`TEXT_UNIT_VECTORS`]), laid out alike — a table of vectors keyed by (item, model) and a
//! table of models with their dimension. A model is registered once with its dimension,
//! which gives it a partial HNSW index (cosine distance) over its rows cast to that
//! dimension; vectors are written per item and searched nearest first. The query repeats
//! the index's expression (`embedding::vector(DIM)`), so PostgreSQL can use it. The free
//! functions are the frames' space; [`VectorSpace`]'s methods take either.

use pgvector::Vector;
use postgres::GenericClient;

use crate::PostgresError;

/// HNSW build parameters: as the usearch indexes (connectivity 16, expansion 64 on add).
const HNSW_WITH: &str = "(m = 16, ef_construction = 64)";
/// pgvector's default and largest `hnsw.ef_search` (candidates a search considers).
const MIN_EF_SEARCH: i64 = 40;
const MAX_EF_SEARCH: i64 = 1000;
/// The most dimensions pgvector indexes with HNSW.
const MAX_DIMENSIONS: usize = 2000;

/// Where one kind of vectors lives. The names are this crate's constants, never input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VectorSpace {
    /// The vectors: `(key, model, embedding vector)`, primary key `(key, model)`.
    pub table: &'static str,
    /// The column naming what a vector is of (a frame, a text unit).
    pub key: &'static str,
    /// The models with their dimension: `(name, dim, last_used)`.
    pub models: &'static str,
}

/// The frames' image vectors (CLIP-style models).
pub const FRAME_VECTORS: VectorSpace = VectorSpace {
    table: "frame_vectors",
    key: "frame_id",
    models: "embedding_models",
};

/// The text units' sentence vectors (semantic search).
pub const TEXT_UNIT_VECTORS: VectorSpace = VectorSpace {
    table: "text_unit_vectors",
    key: "unit_id",
    models: "text_unit_models",
};

/// One item near a query vector: `distance` is the cosine distance (0 = same direction).
#[derive(Debug, Clone, PartialEq)]
pub struct NearFrame {
    /// The frame (or, in the text units' space, the unit).
    pub frame_id: i64,
    pub distance: f64,
}

/// Registers `model` with `dim` dimensions and makes its HNSW index if it has none. Safe to
/// call on every run and from several machines at once; a model registered with another
/// dimension is an error.
pub fn register_model(
    client: &mut impl GenericClient,
    model: &str,
    dim: usize,
) -> Result<(), PostgresError> {
    FRAME_VECTORS.register(client, model, dim)
}

/// The dimension `model` was registered with.
pub fn model_dimension(
    client: &mut impl GenericClient,
    model: &str,
) -> Result<usize, PostgresError> {
    FRAME_VECTORS.model_dimension(client, model)
}

/// Writes (or replaces) the vectors of `model` for the given frames.
pub fn put_frame_vectors(
    client: &mut impl GenericClient,
    model: &str,
    vectors: &[(i64, &[f32])],
) -> Result<(), PostgresError> {
    let dim = model_dimension(client, model)?;
    let statement = client.prepare(
        "INSERT INTO frame_vectors (frame_id, model, embedding) VALUES ($1, $2, $3)
         ON CONFLICT (frame_id, model) DO UPDATE SET embedding = excluded.embedding",
    )?;
    for (frame_id, vector) in vectors {
        check_dimensions(model, dim, vector)?;
        let embedding = Vector::from(vector.to_vec());
        client.execute(&statement, &[frame_id, &model, &embedding])?;
    }
    Ok(())
}

/// The `limit` frames of `model` nearest to `query`, nearest first, through the model's
/// HNSW index (`ef_search` raised to `limit`, up to 1,000).
pub fn nearest_frames(
    client: &mut impl GenericClient,
    model: &str,
    query: &[f32],
    limit: i64,
) -> Result<Vec<NearFrame>, PostgresError> {
    FRAME_VECTORS.nearest(client, model, query, limit)
}

/// The nearest-frames query (`$1` the query vector, `$2` the limit) for `model` of `dim`
/// dimensions. The model and size are literals, not parameters, and the cast repeats the
/// index's expression: a partial index is only used when the planner sees its predicate and
/// its expression.
pub fn nearest_sql(model: &str, dim: usize) -> String {
    FRAME_VECTORS.nearest_sql(model, dim)
}

/// Empties `model`'s vectors and registers it again with `dim` dimensions, dropping its HNSW
/// index when the dimension changes (a rebuild with another model version).
pub fn reset_model(
    client: &mut impl GenericClient,
    model: &str,
    dim: usize,
) -> Result<(), PostgresError> {
    FRAME_VECTORS.reset(client, model, dim)
}

/// The dimension `model` was registered with, if it was.
pub fn registered_dimension(
    client: &mut impl GenericClient,
    model: &str,
) -> Result<Option<usize>, PostgresError> {
    FRAME_VECTORS.registered_dimension(client, model)
}

impl VectorSpace {
    /// A transaction holding `model`'s lock in this space (machines registering or resetting
    /// one model take turns), once `dim` is a size pgvector's HNSW indexes.
    fn lock_model<'c>(
        self,
        client: &'c mut impl GenericClient,
        model: &str,
        dim: usize,
    ) -> Result<postgres::Transaction<'c>, PostgresError> {
        if dim == 0 || dim > MAX_DIMENSIONS {
            return Err(PostgresError::BadDimension { dim });
        }
        let mut transaction = client.transaction()?;
        // The frames' lock keeps the name it always had; another space adds its table's.
        let lock = match self {
            FRAME_VECTORS => "rushes embedding model ".to_string(),
            other => format!("rushes {} model ", other.table),
        };
        transaction.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1 || $2))",
            &[&lock, &model],
        )?;
        Ok(transaction)
    }

    /// The name of `model`'s HNSW index in this space, quoted as an identifier.
    fn index_name(
        self,
        client: &mut impl GenericClient,
        model: &str,
    ) -> Result<String, PostgresError> {
        Ok(client
            .query_one(
                "SELECT format('%I', $1 || '_hnsw_' || left(md5($2), 16))",
                &[&self.table, &model],
            )?
            .get(0))
    }

    /// [`register_model`] in this space.
    pub fn register(
        self,
        client: &mut impl GenericClient,
        model: &str,
        dim: usize,
    ) -> Result<(), PostgresError> {
        let VectorSpace { table, models, .. } = self;
        let dim_sql = dim as i32;
        let mut transaction = self.lock_model(client, model, dim)?;
        let registered: i32 = transaction
            .query_one(
                &format!(
                    "INSERT INTO {models} (name, dim, last_used)
                     VALUES ($1, $2, extract(epoch FROM now())::bigint)
                     ON CONFLICT (name) DO UPDATE SET last_used = excluded.last_used
                     RETURNING dim"
                ),
                &[&model, &dim_sql],
            )?
            .get(0);
        if registered != dim_sql {
            return Err(PostgresError::Dimensions {
                model: model.to_string(),
                expected: registered,
                got: dim,
            });
        }
        // The index name is a hash of the model; the model is quoted as a literal. The
        // predicate names the size too: vectors of another size (rows of a model reset to
        // a new size, deleted but not yet vacuumed) are never cast to this one.
        let index = self.index_name(&mut transaction, model)?;
        let literal: String = transaction
            .query_one("SELECT quote_literal($1)", &[&model])?
            .get(0);
        transaction.batch_execute(&format!(
            "CREATE INDEX IF NOT EXISTS {index} ON {table} \
             USING hnsw ((embedding::vector({dim})) vector_cosine_ops) \
             WITH {HNSW_WITH} WHERE model = {literal} AND vector_dims(embedding) = {dim}"
        ))?;
        transaction.commit()?;
        Ok(())
    }

    /// [`model_dimension`] in this space.
    pub fn model_dimension(
        self,
        client: &mut impl GenericClient,
        model: &str,
    ) -> Result<usize, PostgresError> {
        let row = client.query_opt(
            &format!("SELECT dim FROM {} WHERE name = $1", self.models),
            &[&model],
        )?;
        match row {
            Some(row) => Ok(row.get::<_, i32>(0) as usize),
            None => Err(PostgresError::UnknownModel {
                model: model.to_string(),
            }),
        }
    }

    /// [`registered_dimension`] in this space.
    pub fn registered_dimension(
        self,
        client: &mut impl GenericClient,
        model: &str,
    ) -> Result<Option<usize>, PostgresError> {
        match self.model_dimension(client, model) {
            Ok(dim) => Ok(Some(dim)),
            Err(PostgresError::UnknownModel { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// [`nearest_frames`] in this space.
    pub fn nearest(
        self,
        client: &mut impl GenericClient,
        model: &str,
        query: &[f32],
        limit: i64,
    ) -> Result<Vec<NearFrame>, PostgresError> {
        let dim = self.model_dimension(client, model)?;
        check_dimensions(model, dim, query)?;
        let query = Vector::from(query.to_vec());
        // The index returns at most `ef_search` candidates: ask for as many as wanted.
        let mut transaction = client.transaction()?;
        transaction.batch_execute(&format!(
            "SET LOCAL hnsw.ef_search = {}",
            limit.clamp(MIN_EF_SEARCH, MAX_EF_SEARCH)
        ))?;
        let rows = transaction.query(&self.nearest_sql(model, dim), &[&query, &limit])?;
        transaction.commit()?;
        Ok(rows
            .iter()
            .map(|row| NearFrame {
                frame_id: row.get(0),
                distance: row.get(1),
            })
            .collect())
    }

    /// [`nearest_sql`] in this space.
    pub fn nearest_sql(self, model: &str, dim: usize) -> String {
        let VectorSpace { table, key, .. } = self;
        let model = model.replace('\'', "''");
        format!(
            "SELECT {key}, embedding::vector({dim}) <=> $1::vector({dim}) AS distance
             FROM {table} WHERE model = '{model}' AND vector_dims(embedding) = {dim}
             ORDER BY embedding::vector({dim}) <=> $1::vector({dim})
             LIMIT $2"
        )
    }

    /// [`reset_model`] in this space.
    pub fn reset(
        self,
        client: &mut impl GenericClient,
        model: &str,
        dim: usize,
    ) -> Result<(), PostgresError> {
        let mut transaction = self.lock_model(client, model, dim)?;
        transaction.execute(
            &format!("DELETE FROM {} WHERE model = $1", self.table),
            &[&model],
        )?;
        let changed = transaction.execute(
            &format!("DELETE FROM {} WHERE name = $1 AND dim <> $2", self.models),
            &[&model, &(dim as i32)],
        )?;
        if changed > 0 {
            let index = self.index_name(&mut transaction, model)?;
            transaction.batch_execute(&format!("DROP INDEX IF EXISTS {index}"))?;
        }
        self.register(&mut transaction, model, dim)?;
        transaction.commit()?;
        Ok(())
    }
}

fn check_dimensions(model: &str, dim: usize, vector: &[f32]) -> Result<(), PostgresError> {
    if vector.len() != dim {
        return Err(PostgresError::Dimensions {
            model: model.to_string(),
            expected: dim as i32,
            got: vector.len(),
        });
    }
    Ok(())
}
