//! The store's error type: what the user can fix (a malformed query, an index locked by
//! another run, a missing index) kept apart from what broke inside.

use std::path::PathBuf;

use crate::query::QueryError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the index at {} is being written by another rushes process (lock: {}); wait for it to finish or stop it",
        dir.display(),
        lock.display()
    )]
    Locked { dir: PathBuf, lock: PathBuf },
    #[error("bad query: {0}")]
    Query(#[from] QueryError),
    #[error(
        "embedding model {model:?} has {expected}-dimensional vectors in this index but got {found} dimensions; rebuild the index with one model (`rushes reindex`)"
    )]
    DimensionMismatch {
        model: String,
        expected: usize,
        found: usize,
    },
    #[error("{0}")]
    NotFound(String),
    /// A request the store refuses: a bad time range, an empty tag, a taken name.
    #[error("{0}")]
    Invalid(String),
    /// Splitting a person's only face out would change nothing (and used to leave the face
    /// in a new, unnamed person): nothing is done.
    #[error(
        "face {face} is the only face of person {person}: splitting it would change nothing, so nothing was done (the person keeps their name)"
    )]
    LoneFace { face: i64, person: i64 },
    #[error("index at {} is damaged: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("catalog: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("text index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("vector index: {0}")]
    Vector(String),
    /// A failure of another storage engine behind the seams (a database server).
    #[error("database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The library's database server cannot be reached (down, restarting, the network):
    /// nothing was read or changed, and the same request may work once it is back.
    #[error("the library's database cannot be reached ({0}); try again once it is back")]
    Unavailable(String),
    #[error("this index was opened read-only")]
    ReadOnly,
}

impl StoreError {
    /// True when the person running rushes can fix it (bad query, busy or missing index);
    /// false for internal failures (disk, database, index files).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            StoreError::Locked { .. }
                | StoreError::Query(_)
                | StoreError::DimensionMismatch { .. }
                | StoreError::NotFound(_)
                | StoreError::Invalid(_)
                | StoreError::LoneFace { .. }
                | StoreError::ReadOnly
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io { path, source }
    }
}

impl From<tantivy::directory::error::OpenDirectoryError> for StoreError {
    fn from(error: tantivy::directory::error::OpenDirectoryError) -> StoreError {
        StoreError::Tantivy(error.into())
    }
}

impl From<tantivy::query::QueryParserError> for StoreError {
    fn from(error: tantivy::query::QueryParserError) -> StoreError {
        StoreError::Tantivy(tantivy::TantivyError::InvalidArgument(error.to_string()))
    }
}
