//! The runs and failures repository: each index run, and the files it could not read.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use crate::catalog::sql::{now_seconds, path_bytes, path_from_bytes, rows};
use crate::error::StoreError;

/// A file the indexer could not read.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FailureRow {
    pub path: String,
    pub reason: String,
    /// Unix seconds.
    pub at: i64,
}

/// Index runs and failures, on the catalog's connection or one transaction of it.
pub struct Runs<'c> {
    db: &'c Connection,
}

impl<'c> Runs<'c> {
    pub(crate) fn on(db: &'c Connection) -> Runs<'c> {
        Runs { db }
    }

    pub fn record_failure(&self, path: &Path, reason: &str) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT INTO failures (path, display_path, reason, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(path) DO UPDATE SET reason = excluded.reason, at = excluded.at",
            params![
                path_bytes(path),
                path.to_string_lossy(),
                reason,
                now_seconds()
            ],
        )?;
        Ok(())
    }

    pub fn clear_failure(&self, path: &Path) -> Result<(), StoreError> {
        self.db
            .execute("DELETE FROM failures WHERE path = ?1", [path_bytes(path)])?;
        Ok(())
    }

    /// The paths of every recorded failure, as the file system spells them.
    pub fn failed_paths(&self) -> Result<Vec<PathBuf>, StoreError> {
        rows(self.db, "SELECT path FROM failures", [], |row| {
            Ok(path_from_bytes(&row.get::<_, Vec<u8>>(0)?))
        })
    }

    pub fn failures(&self) -> Result<Vec<FailureRow>, StoreError> {
        rows(
            self.db,
            "SELECT display_path, reason, at FROM failures ORDER BY at DESC, display_path",
            [],
            |row| {
                Ok(FailureRow {
                    path: row.get(0)?,
                    reason: row.get(1)?,
                    at: row.get(2)?,
                })
            },
        )
    }

    /// Starts an index run and returns its id.
    pub fn begin_run(&self) -> Result<i64, StoreError> {
        self.db
            .execute("INSERT INTO runs (started_at) VALUES (?1)", [now_seconds()])?;
        Ok(self.db.last_insert_rowid())
    }

    /// Records when a run ended and how many files it indexed and failed.
    pub fn finish_run(&self, run: i64, done: u64, failed: u64) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE runs SET finished_at = ?2, files_done = ?3, files_failed = ?4 WHERE id = ?1",
            params![run, now_seconds(), done as i64, failed as i64],
        )?;
        Ok(())
    }
}
