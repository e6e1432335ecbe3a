//! Indexing into PostgreSQL: [`PgIngest`] is the store's `IngestTarget` for a library in
//! PostgreSQL, as one machine sees it. Paths go through this machine's path-prefix map
//! (`crate::paths`): the catalog holds library paths, so two machines mounting the footage at
//! different places agree on which files are known, unchanged or moved, and give a new file
//! the same asset id (made from its library path). Identity is the store's own rules
//! (`rushes_store::identity`) over library paths; a file known by its content hash under a
//! path gone from this machine was moved.
//!
//! An index worker holds the job of the file it works on here ([`PgIngest::hold`]): the
//! file's rows and the job's outcome then commit in one transaction (the asset written
//! with its job `done`, or the failure recorded with its job `failed`), so a worker killed
//! mid-file leaves neither, and a worker whose lease ran out writes nothing
//! (`PostgresError::LeaseLost`, the transaction rolled back).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rushes_core::{Asset, AssetId, AssetKind, AssetRecord};
use rushes_store::StoreError;
use rushes_store::catalog::faces::FacesWritten;
use rushes_store::catalog::sql::{now_seconds, path_bytes, path_from_bytes};
use rushes_store::identity::{self, AssetLookup, Identity, KnownFile};
use rushes_store::ingest_target::IngestTarget;
use rushes_store::people::{NewFace, PersonChooser};
use rushes_store::seams::{AssetWrites, FacesToWrite};
use rushes_store::thumbnails::ThumbnailStore;

use crate::engine::{PgEngine, write_records};
use crate::jobs::{self, Claim, Outcome};
use crate::paths::{self, PrefixMap};
use crate::thumbnails::PgThumbnails;
use crate::{PostgresError, store_error};

/// A PostgreSQL library as this machine indexes into it.
pub struct PgIngest {
    engine: PgEngine,
    prefixes: PrefixMap,
    thumbnails: Arc<PgThumbnails>,
    /// The job whose outcome commits with the next write of a file's rows or failure.
    held: Mutex<Option<Claim>>,
}

impl PgIngest {
    /// The library at `url` as `machine` sees it (its path prefixes loaded once).
    pub fn open(url: &str, machine: &str) -> Result<PgIngest, PostgresError> {
        let engine = PgEngine::open(url)?;
        let prefixes = {
            let mut client = engine.pool().get()?;
            paths::load(&mut *client, machine)?
        };
        let thumbnails = Arc::new(PgThumbnails::new(engine.pool().clone()));
        Ok(PgIngest {
            engine,
            prefixes,
            thumbnails,
            held: Mutex::new(None),
        })
    }

    pub fn engine(&self) -> &PgEngine {
        &self.engine
    }

    pub fn prefixes(&self) -> &PrefixMap {
        &self.prefixes
    }

    /// From now on the next asset written or failure recorded finishes `claim` in the same
    /// transaction.
    pub fn hold(&self, claim: Claim) {
        *self.held() = Some(claim);
    }

    /// The claim held and not yet finished by a write, given back to the caller (who
    /// finishes it for a file left unchanged or moved, or drops it).
    pub fn release(&self) -> Option<Claim> {
        self.held().take()
    }

    fn held(&self) -> MutexGuard<'_, Option<Claim>> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A local path in library form.
    fn library_path(&self, local: &Path) -> Result<PathBuf, StoreError> {
        Ok(PathBuf::from(
            self.prefixes.to_library(local).map_err(store_error)?,
        ))
    }

    /// A library path as this machine reaches it.
    fn local_path(&self, library: &Path) -> PathBuf {
        match library.to_str() {
            Some(text) => self.prefixes.to_local(text),
            None => library.to_path_buf(),
        }
    }

    /// Runs `write` in a transaction that also finishes the held job with `outcome` (when
    /// one is held), and commits both.
    fn with_held_job<T>(
        &self,
        outcome: impl FnOnce(&T) -> Outcome,
        write: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.engine.pool().get().map_err(store_error)?;
        let mut transaction = client.transaction().map_err(store_error)?;
        let written = write(&mut transaction)?;
        if let Some(claim) = self.held().take() {
            jobs::finish(&mut transaction, &claim, &outcome(&written)).map_err(store_error)?;
        }
        transaction.commit().map_err(store_error)?;
        Ok(written)
    }

    fn write_record(
        &self,
        record: &AssetRecord,
        faces: Option<FacesToWrite<'_>>,
    ) -> Result<FacesWritten, StoreError> {
        let mut record = record.clone();
        record.asset.path = self.library_path(&record.asset.path)?;
        let records = std::slice::from_ref(&record);
        self.engine.register_models(records)?;
        let written = self.with_held_job(
            |_| Outcome::Done,
            |transaction| write_records(transaction, records, faces),
        )?;
        self.thumbnails.remove(&written.stale_thumbnails);
        Ok(written)
    }

    fn query_assets(
        &self,
        condition: &str,
        value: &(dyn postgres::types::ToSql + Sync),
    ) -> Result<Vec<Asset>, StoreError> {
        let mut client = self.engine.pool().get().map_err(store_error)?;
        let rows = client
            .query(
                &format!(
                    "SELECT id, path, kind, size, mtime, content_hash, media::text FROM assets
                     WHERE {condition} ORDER BY path"
                ),
                &[value],
            )
            .map_err(store_error)?;
        rows.iter().map(asset_from_row).collect()
    }

    /// How many files workers hold under a live lease (their thumbnails may be written
    /// before their rows).
    fn files_in_progress(&self) -> Result<i64, StoreError> {
        let status = {
            let mut client = self.engine.pool().get().map_err(store_error)?;
            jobs::status(&mut *client).map_err(store_error)?
        };
        Ok(status.in_progress.values().sum())
    }
}

fn asset_from_row(row: &postgres::Row) -> Result<Asset, StoreError> {
    let id: String = row.get(0);
    let path: Vec<u8> = row.get(1);
    let kind: String = row.get(2);
    let media: String = row.get(6);
    let invalid = |what: &str| StoreError::Invalid(format!("asset {id}: {what}"));
    Ok(Asset {
        id: AssetId::parse(&id).ok_or_else(|| invalid("not an asset id"))?,
        path: path_from_bytes(&path),
        kind: AssetKind::parse(&kind).ok_or_else(|| invalid("unknown kind"))?,
        size: row.get::<_, i64>(3).max(0) as u64,
        mtime: row.get(4),
        content_hash: row.get(5),
        media: serde_json::from_str(&media).map_err(|error| invalid(&error.to_string()))?,
    })
}

/// Identity's questions over library paths: the paths asked about are in library form;
/// assets found by content come back with the path this machine reaches them at, so
/// "is the old file still there?" is asked of this machine's disks.
struct LibraryLookup<'a>(&'a PgIngest);

impl AssetLookup for LibraryLookup<'_> {
    fn asset(&self, id: &AssetId) -> Result<Option<Asset>, StoreError> {
        Ok(self.0.query_assets("id = $1", &id.as_str())?.pop())
    }

    fn asset_by_path(&self, path: &Path) -> Result<Option<Asset>, StoreError> {
        Ok(self.0.query_assets("path = $1", &path_bytes(path))?.pop())
    }

    fn assets_by_hash(&self, content_hash: &str) -> Result<Vec<Asset>, StoreError> {
        let mut assets = self.0.query_assets("content_hash = $1", &content_hash)?;
        for asset in &mut assets {
            asset.path = self.0.local_path(&asset.path);
        }
        Ok(assets)
    }

    fn move_asset(&self, id: &AssetId, new_path: &Path) -> Result<(), StoreError> {
        self.0.engine.move_asset(id, new_path)
    }
}

impl IngestTarget for PgIngest {
    fn progress_dir(&self) -> Option<&Path> {
        None
    }

    fn known_file(&self, path: &Path, size: u64, mtime: i64) -> Result<KnownFile, StoreError> {
        let library = self.library_path(path)?;
        identity::known_file(&LibraryLookup(self), &library, size, mtime)
    }

    fn identify(
        &self,
        path: &Path,
        known: KnownFile,
        size: u64,
        content_hash: &str,
    ) -> Result<Identity, StoreError> {
        let library = self.library_path(path)?;
        identity::identify(&LibraryLookup(self), &library, known, size, content_hash)
    }

    fn shared_thumbnails(&self) -> Arc<dyn ThumbnailStore> {
        self.thumbnails.clone()
    }

    fn put_asset(&self, record: &AssetRecord) -> Result<(), StoreError> {
        self.write_record(record, None).map(|_| ())
    }

    fn put_asset_with_faces(
        &self,
        record: &AssetRecord,
        faces: &[NewFace],
        choose_person: &PersonChooser,
    ) -> Result<Vec<i64>, StoreError> {
        let written = self.write_record(
            record,
            Some(FacesToWrite {
                faces,
                choose_person,
            }),
        )?;
        Ok(written.persons)
    }

    fn record_failure(&self, path: &Path, reason: &str) -> Result<(), StoreError> {
        let library = self.library_path(path)?;
        let message = reason.to_string();
        self.with_held_job(
            |_| Outcome::Failed { message },
            |transaction| {
                transaction
                    .execute(
                        "INSERT INTO failures (path, display_path, reason, at)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (path) DO UPDATE SET display_path = excluded.display_path,
                             reason = excluded.reason, at = excluded.at",
                        &[
                            &path_bytes(&library),
                            &library.to_string_lossy().as_ref(),
                            &reason,
                            &now_seconds(),
                        ],
                    )
                    .map_err(store_error)?;
                Ok(())
            },
        )
    }

    fn clear_failure(&self, path: &Path) -> Result<(), StoreError> {
        let library = self.library_path(path)?;
        let mut client = self.engine.pool().get().map_err(store_error)?;
        client
            .execute(
                "DELETE FROM failures WHERE path = $1",
                &[&path_bytes(&library)],
            )
            .map_err(store_error)?;
        Ok(())
    }

    fn failed_paths(&self) -> Result<Vec<PathBuf>, StoreError> {
        let mut client = self.engine.pool().get().map_err(store_error)?;
        let rows = client
            .query("SELECT path FROM failures ORDER BY path", &[])
            .map_err(store_error)?;
        Ok(rows
            .iter()
            .map(|row| self.local_path(&path_from_bytes(row.get::<_, &[u8]>(0))))
            .collect())
    }

    fn assets(&self) -> Result<Vec<Asset>, StoreError> {
        let mut assets = self.query_assets("$1", &true)?;
        for asset in &mut assets {
            asset.path = self.local_path(&asset.path);
        }
        Ok(assets)
    }

    fn remove_asset(&self, id: &AssetId) -> Result<(), StoreError> {
        self.engine.remove_asset(id)?;
        self.thumbnails.remove_asset(id)
    }

    /// Nothing to do: every write committed its own transaction.
    fn commit(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Only while no worker holds a live claim: a file being worked on has its thumbnails
    /// written before its rows, and they are not orphans.
    fn remove_orphan_thumbnails(&self) -> Result<(), StoreError> {
        if self.files_in_progress()? > 0 {
            return Ok(());
        }
        let kept: HashSet<String> = {
            let mut client = self.engine.pool().get().map_err(store_error)?;
            client
                .query(
                    "SELECT thumbnail FROM faces WHERE thumbnail IS NOT NULL",
                    &[],
                )
                .map_err(store_error)?
                .iter()
                .map(|row| row.get(0))
                .collect()
        };
        let lookup = LibraryLookup(self);
        self.thumbnails
            .remove_orphans(&kept, &|id| Ok(lookup.asset(id)?.is_some()))
    }
}
