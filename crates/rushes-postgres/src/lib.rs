//! rushes-postgres: the library in PostgreSQL with pgvector, for teams and archives past one
//! machine (issue 22). Owns connecting from a `postgres://` URL (`connection`), the schema
//! and its migrations (`schema`), full-text search with rushes' analyzer (`text`), vectors
//! by embedding model with HNSW indexes (`vectors`), the index workers' job queue (`jobs`)
//! and the path-prefix map of machines that mount footage at different places (`paths`).
//!
//! Everything takes a `postgres::GenericClient` (a client or a transaction) where it can,
//! so a worker writes a file's rows and finishes its job in one transaction. The store's
//! seams are implemented over a small connection pool (`pool`): `ThumbnailStore`
//! (`thumbnails`), `TextIndex`
//! (`text_index`), `VectorIndex` (`vector_index`) and `AssetWrites` (`engine`, with an
//! asset's rows in `asset_rows` and its faces in `faces`). Hand work — tags, notes,
//! collections (`workflow`) and people (`people`) — are `PgEngine` methods with the `Index`
//! facade's signatures; `migrate` copies a local index in. `text_mirror` keeps a server's copy
//! of the text index in Tantivy, current with the database, for `rushes serve`.

mod asset_rows;
mod catalog_reads;
mod connection;
pub mod engine;
mod error;
mod faces;
mod hand_rows;
pub mod ingest;
pub mod jobs;
pub mod library;
pub mod migrate;
pub mod paths;
mod people;
pub mod pool;
pub mod prune;
pub mod rebuild;
pub mod schema;
pub mod text;
pub mod text_index;
pub mod text_mirror;
mod text_unit_methods;
mod text_units;
pub mod thumbnails;
pub mod vector_index;
pub mod vectors;
mod workflow;

pub use connection::{connect, is_postgres_url, open, without_password};
pub use engine::PgEngine;
pub use error::PostgresError;
pub(crate) use error::store_error;
pub use ingest::PgIngest;
pub use library::PgLibrary;
pub use postgres::{Client, GenericClient, Transaction};
pub use prune::Pruned;
pub use thumbnails::PgThumbnails;
