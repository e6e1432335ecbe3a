//! The SQLite catalog, source of truth of an index, as repositories per table family over
//! one connection: assets and moments (`assets`), hand tags and notes (`annotations`),
//! collections (`collections`), people and faces (`faces`), runs and failures (`runs`),
//! screen texts and slates (`slate_spans`), text units for semantic search
//! (`text_units`). Every migration is in `schema`, in order. The connection never leaves
//! this module: callers get a repository on it (one statement, committed alone) or a
//! [`CatalogTransaction`] whose repositories all write, or read, in one transaction. The
//! text and vector indexes are derived from the catalog.

pub mod annotations;
pub mod assets;
pub mod collections;
pub mod faces;
pub mod records;
pub mod runs;
pub mod schema;
pub mod slate_spans;
pub mod sql;
pub mod text_units;

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::catalog::annotations::Annotations;
use crate::catalog::assets::Assets;
use crate::catalog::collections::Collections;
use crate::catalog::faces::Faces;
use crate::catalog::runs::Runs;
use crate::catalog::slate_spans::SlateSpans;
use crate::catalog::text_units::TextUnits;
use crate::error::StoreError;

pub use crate::catalog::assets::{AssetWrite, FrameVector, MomentRow, RemovedVectors};
pub use crate::catalog::runs::FailureRow;
pub use crate::catalog::schema::SCHEMA_VERSION;
pub use crate::catalog::sql::{normalised, now_seconds};

/// File name of the catalog inside an index folder.
pub const CATALOG_FILE: &str = "catalog.sqlite";

mod sealed {
    /// The connection or transaction repositories work on. Private to this module, so no
    /// code outside the catalog can reach the connection.
    pub trait Db {
        fn db(&self) -> &rusqlite::Connection;
    }
}

/// The repositories of every table family, on one connection or one transaction.
pub trait Repositories: sealed::Db {
    fn assets(&self) -> Assets<'_> {
        Assets::on(self.db())
    }
    fn annotations(&self) -> Annotations<'_> {
        Annotations::on(self.db())
    }
    fn collections(&self) -> Collections<'_> {
        Collections::on(self.db())
    }
    fn faces(&self) -> Faces<'_> {
        Faces::on(self.db())
    }
    fn runs(&self) -> Runs<'_> {
        Runs::on(self.db())
    }
    fn slates(&self) -> SlateSpans<'_> {
        SlateSpans::on(self.db())
    }
    fn text_units(&self) -> TextUnits<'_> {
        TextUnits::on(self.db())
    }
}

pub struct Catalog {
    connection: Connection,
}

/// One transaction of the catalog: what its repositories write commits together, or not
/// at all (dropped without `commit`, it rolls back). A read transaction is a snapshot.
pub struct CatalogTransaction<'c> {
    transaction: rusqlite::Transaction<'c>,
}

impl CatalogTransaction<'_> {
    pub fn commit(self) -> Result<(), StoreError> {
        self.transaction.commit()?;
        Ok(())
    }
}

impl Repositories for CatalogTransaction<'_> {}

impl sealed::Db for CatalogTransaction<'_> {
    fn db(&self) -> &Connection {
        &self.transaction
    }
}

impl Repositories for Catalog {}

impl sealed::Db for Catalog {
    fn db(&self) -> &Connection {
        &self.connection
    }
}

impl Catalog {
    pub fn open(path: &Path, read_only: bool) -> Result<Catalog, StoreError> {
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let mut connection = Connection::open_with_flags(path, flags)?;
        connection.busy_timeout(std::time::Duration::from_secs(10))?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        if read_only {
            schema::check_not_newer(&connection, path)?;
        } else {
            connection.pragma_update(None, "journal_mode", "WAL")?;
            connection.pragma_update(None, "synchronous", "NORMAL")?;
            schema::migrate(&mut connection, path)?;
        }
        Ok(Catalog { connection })
    }

    /// Starts a transaction: its repositories' writes commit together.
    pub fn write(&self) -> Result<CatalogTransaction<'_>, StoreError> {
        Ok(CatalogTransaction {
            transaction: self.connection.unchecked_transaction()?,
        })
    }

    /// Starts a read transaction: its repositories see one snapshot of the catalog.
    pub fn begin_read(&self) -> Result<CatalogTransaction<'_>, StoreError> {
        self.write()
    }

    /// Deletes an asset's rows and its faces (and people left with none), keeping hand tags,
    /// notes (and their text units) and collection entries unless `forget` is set, in one
    /// transaction. Returns its
    /// vector keys, recorded as stale until the vectors are saved. Its thumbnails are the
    /// caller's.
    pub fn delete_asset(&self, id: &str, forget: bool) -> Result<RemovedVectors, StoreError> {
        let transaction = self.write()?;
        let mut removed = transaction.assets().delete(id)?;
        transaction.faces().delete_of_asset(id)?;
        if forget {
            transaction.annotations().forget_asset(id)?;
            removed.units.extend(
                transaction
                    .text_units()
                    .delete_of_asset(id, text_units::UnitsOf::Hand)?,
            );
            transaction.collections().forget_asset(id)?;
        }
        transaction.commit()?;
        Ok(removed)
    }

    /// Marks every pending asset done and forgets stale vector keys: called once the text
    /// and vector commits are on disk.
    pub fn finish_commit(&self) -> Result<(), StoreError> {
        let transaction = self.write()?;
        transaction.assets().mark_committed()?;
        transaction.commit()
    }

    /// Deletes a person and their faces leaving no copy in the catalog file or its
    /// write-ahead log (`secure_delete`, then the WAL checkpointed and truncated). Returns
    /// their face thumbnails, for the caller to delete.
    pub fn forget_person(&self, person: i64) -> Result<Vec<String>, StoreError> {
        self.faces().require_person(person)?;
        let thumbnails = self.faces().thumbnails_of(person)?;
        self.connection.pragma_update(None, "secure_delete", "ON")?;
        let transaction = self.write()?;
        transaction.faces().delete_person(person)?;
        transaction.commit()?;
        // The WAL still holds the pages as they were; checkpoint them into the (securely
        // overwritten) main file and truncate the log.
        self.connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(thumbnails)
    }
}
