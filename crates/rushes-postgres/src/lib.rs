//! rushes-postgres: the library in PostgreSQL with pgvector, for teams and archives past one
//! machine (issue 22). Owns connecting from a `postgres://` URL, the schema and its
//! migrations (`schema`), full-text search with rushes' analyzer (`text`), vectors by
//! embedding model with HNSW indexes (`vectors`), the index workers' job queue (`jobs`) and
//! the path-prefix map of machines that mount footage at different places (`paths`).
//!
//! Everything takes a `postgres::GenericClient` (a client or a transaction) where it can,
//! so a worker writes a file's rows and finishes its job in one transaction. The store's
//! seams are implemented over a small connection pool (`pool`): `TextIndex`
//! (`text_index`), `VectorIndex` (`vector_index`) and `AssetWrites` (`engine`, with an
//! asset's rows in `asset_rows` and its faces in `faces`).

mod asset_rows;
pub mod engine;
mod error;
mod faces;
pub mod jobs;
pub mod paths;
pub mod pool;
pub mod schema;
pub mod text;
pub mod text_index;
pub mod vector_index;
pub mod vectors;

pub use engine::PgEngine;
pub use error::PostgresError;
pub use postgres::{Client, GenericClient, Transaction};

/// A PostgreSQL failure as the store's seams report it: a vector of the wrong size is the
/// store's `DimensionMismatch`, anything else a database error.
pub(crate) fn store_error(error: impl Into<PostgresError>) -> rushes_store::StoreError {
    match error.into() {
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

/// Whether `location` (an `--index` value) names a PostgreSQL database rather than a folder.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Connects to the database at `url` (`postgres://user:password@host:port/database`, or
/// with `?host=/run/postgresql` for a unix socket). Errors name the URL without its password.
pub fn connect(url: &str) -> Result<Client, PostgresError> {
    if !is_postgres_url(url) {
        return Err(PostgresError::BadUrl {
            url: without_password(url),
        });
    }
    let config: postgres::Config = url.parse().map_err(|_| PostgresError::BadUrl {
        url: without_password(url),
    })?;
    config
        .connect(postgres::NoTls)
        .map_err(|source| PostgresError::Connect {
            url: without_password(url),
            source,
        })
}

/// Connects to `url` and brings its schema up to date ([`schema::migrate`]).
pub fn open(url: &str) -> Result<Client, PostgresError> {
    let mut client = connect(url)?;
    schema::migrate(&mut client)?;
    Ok(client)
}

/// `url` with the password, if any, replaced by `***` (for messages and logs).
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_never_show_the_password() {
        assert_eq!(
            without_password("postgres://rushes:s3cret@db.lan:5432/library"),
            "postgres://rushes:***@db.lan:5432/library"
        );
        assert_eq!(
            without_password("postgres://rushes@db.lan/library"),
            "postgres://rushes@db.lan/library"
        );
        let error = connect("postgres://rushes:s3cret@127.0.0.1:1/library")
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(
            error.starts_with("cannot connect to postgres://rushes:***@127.0.0.1:1/library"),
            "{error}"
        );
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[test]
    fn a_folder_is_not_a_database_url() {
        assert!(is_postgres_url("postgresql://host/db"));
        assert!(!is_postgres_url("./index"));
        assert!(matches!(
            connect("./index"),
            Err(PostgresError::BadUrl { .. })
        ));
    }
}
