//! The crate's typed errors: what went wrong, in words a user or an administrator can act on,
//! and how they reach the store's seams (`store_error`).

/// Every failure of the PostgreSQL backend.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    #[error("not a PostgreSQL URL ({url}): expected postgres://user@host:port/database")]
    BadUrl { url: String },
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: postgres::Error,
    },
    #[error(
        "the database user may not create the `{extension}` extension in database \
         `{database}`: an administrator (a superuser) must run `CREATE EXTENSION {extension};` \
         in that database once, then run rushes again"
    )]
    ExtensionNotAllowed { extension: String, database: String },
    #[error(
        "the PostgreSQL server has no `{extension}` extension installed: install it on the \
         server (pgvector 0.8 or newer for `vector`; `unaccent` ships with PostgreSQL's \
         contrib), then run rushes again"
    )]
    ExtensionNotInstalled { extension: String },
    #[error(
        "the database's schema is version {found}, newer than this rushes knows ({known}): \
         upgrade rushes"
    )]
    SchemaTooNew { found: i32, known: i32 },
    #[error("schema migration {number} failed: {source}")]
    Migration {
        number: i32,
        #[source]
        source: postgres::Error,
    },
    #[error("unknown embedding model `{model}`: register it with its dimension first")]
    UnknownModel { model: String },
    #[error("a {got}-dimension vector for model `{model}`, which has {expected}")]
    Dimensions {
        model: String,
        expected: i32,
        got: usize,
    },
    #[error("an embedding model needs 1 to 2000 dimensions (pgvector's HNSW limit), not {dim}")]
    BadDimension { dim: usize },
    #[error(
        "job {job} is no longer claimed by worker `{worker}`: its lease ran out and the job was \
         taken over or finished"
    )]
    LeaseLost { job: i64, worker: String },
    #[error("a path prefix must be an absolute path: {prefix:?}")]
    BadPrefix { prefix: String },
    #[error("a library path must be UTF-8 text: {path}")]
    NotUtf8 { path: String },
    #[error("database error: {0}")]
    Query(#[from] postgres::Error),
    #[error("reading the local index: {0}")]
    Local(rushes_store::StoreError),
    #[error(
        "the database already holds {foreign} assets that are not in {from} (such as \
         {example}): it is another library; pass --force to copy into it anyway"
    )]
    AnotherLibrary {
        from: String,
        foreign: usize,
        example: String,
    },
    #[error("a query vector for model `{model}` holds a value that is not a finite number")]
    NotFinite { model: String },
}

/// A PostgreSQL failure as the store's seams report it: a vector of the wrong size is the
/// store's `DimensionMismatch`, anything else a database error.
pub(crate) fn store_error(error: impl Into<PostgresError>) -> rushes_store::StoreError {
    let error = error.into();
    if let Some(reason) = unreachable(&error) {
        return rushes_store::StoreError::Unavailable(reason);
    }
    match error {
        PostgresError::Dimensions {
            model,
            expected,
            got,
        } => rushes_store::StoreError::DimensionMismatch {
            model,
            expected: expected.max(0) as usize,
            found: got,
        },
        other => rushes_store::StoreError::Database(Box::new(other)),
    }
}

/// Why the server cannot be reached, when that is what `error` says: no connection could be
/// made, the connection closed under a request, or the server is shutting down or starting.
fn unreachable(error: &PostgresError) -> Option<String> {
    use postgres::error::SqlState;
    let query = match error {
        // The server answered and refused (a wrong password, no such database): not this.
        PostgresError::Connect { url, source } if source.as_db_error().is_none() => {
            return Some(format!("no connection to {url}"));
        }
        PostgresError::Query(query) => query,
        _ => return None,
    };
    let stopping = [
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
    ];
    if query.code().is_some_and(|code| stopping.contains(code)) {
        return Some("the server is shutting down or starting".to_string());
    }
    let io = std::error::Error::source(query).is_some_and(|source| source.is::<std::io::Error>());
    (query.is_closed() || io).then(|| "the connection closed".to_string())
}

/// A database result as the store's seams report it.
pub(crate) trait OrStoreError<T> {
    fn or_store_error(self) -> Result<T, rushes_store::StoreError>;
}

impl<T, E: Into<PostgresError>> OrStoreError<T> for Result<T, E> {
    fn or_store_error(self) -> Result<T, rushes_store::StoreError> {
        self.map_err(store_error)
    }
}
