//! What indexing writes to and asks of a library ([`IngestTarget`], beside the store's `seams`;
//! here with its `impl` for [`Index`] so the facade need not import it): the pipeline
//! (rushes-ingest) takes `&dyn IngestTarget`, so a local index folder ([`Index`]) and a
//! PostgreSQL library (rushes-postgres' `PgIngest`) are indexed by the same code. Identity
//! (is this file known, unchanged, moved?), writing an asset with its faces, failures, the
//! run's housekeeping and the thumbnail store are the whole of it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rushes_core::{Asset, AssetId, AssetRecord};

use crate::identity::{Identity, KnownFile};
use crate::people::{NewFace, PersonChooser};
use crate::thumbnails::ThumbnailStore;
use crate::{Index, StoreError};

/// The library an index run writes to.
pub trait IngestTarget: Send + Sync {
    /// The folder a run publishes its progress in (`progress.json`), if the library has one.
    fn progress_dir(&self) -> Option<&Path>;
    /// What the library knows of the file at `path` with this size and modification time.
    fn known_file(&self, path: &Path, size: u64, mtime: i64) -> Result<KnownFile, StoreError>;
    /// The identity of a changed or new file whose content hashes to `content_hash`; a move
    /// is recorded at once.
    fn identify(
        &self,
        path: &Path,
        known: KnownFile,
        size: u64,
        content_hash: &str,
    ) -> Result<Identity, StoreError>;
    /// The library's thumbnail store, as a handle the stages' threads share.
    fn shared_thumbnails(&self) -> Arc<dyn ThumbnailStore>;
    /// Writes an asset, replacing any earlier version of it (faces untouched).
    fn put_asset(&self, record: &AssetRecord) -> Result<(), StoreError>;
    /// Writes an asset with its faces in one transaction; the person of each face.
    fn put_asset_with_faces(
        &self,
        record: &AssetRecord,
        faces: &[NewFace],
        choose_person: &PersonChooser,
    ) -> Result<Vec<i64>, StoreError>;
    /// Records why the file at `path` is not indexed.
    fn record_failure(&self, path: &Path, reason: &str) -> Result<(), StoreError>;
    /// Forgets the failure recorded for `path`, if any.
    fn clear_failure(&self, path: &Path) -> Result<(), StoreError>;
    /// The paths whose failures are recorded.
    fn failed_paths(&self) -> Result<Vec<PathBuf>, StoreError>;
    /// Every committed asset.
    fn assets(&self) -> Result<Vec<Asset>, StoreError>;
    /// Deletes an asset and everything of it.
    fn remove_asset(&self, id: &AssetId) -> Result<(), StoreError>;
    /// Makes everything written so far visible.
    fn commit(&self) -> Result<(), StoreError>;
    /// Removes thumbnails no catalog row holds (after the run's final commit).
    fn remove_orphan_thumbnails(&self) -> Result<(), StoreError>;
}

impl IngestTarget for Index {
    fn progress_dir(&self) -> Option<&Path> {
        Some(Index::dir(self))
    }

    fn known_file(&self, path: &Path, size: u64, mtime: i64) -> Result<KnownFile, StoreError> {
        Index::known_file(self, path, size, mtime)
    }

    fn identify(
        &self,
        path: &Path,
        known: KnownFile,
        size: u64,
        content_hash: &str,
    ) -> Result<Identity, StoreError> {
        Index::identify(self, path, known, size, content_hash)
    }

    fn shared_thumbnails(&self) -> Arc<dyn ThumbnailStore> {
        Index::shared_thumbnails(self)
    }

    fn put_asset(&self, record: &AssetRecord) -> Result<(), StoreError> {
        Index::put_asset(self, record)
    }

    fn put_asset_with_faces(
        &self,
        record: &AssetRecord,
        faces: &[NewFace],
        choose_person: &PersonChooser,
    ) -> Result<Vec<i64>, StoreError> {
        Index::put_asset_with_faces(self, record, faces, choose_person)
    }

    fn record_failure(&self, path: &Path, reason: &str) -> Result<(), StoreError> {
        Index::record_failure(self, path, reason)
    }

    fn clear_failure(&self, path: &Path) -> Result<(), StoreError> {
        Index::clear_failure(self, path)
    }

    fn failed_paths(&self) -> Result<Vec<PathBuf>, StoreError> {
        Index::failed_paths(self)
    }

    fn assets(&self) -> Result<Vec<Asset>, StoreError> {
        Index::assets(self)
    }

    fn remove_asset(&self, id: &AssetId) -> Result<(), StoreError> {
        Index::remove_asset(self, id)
    }

    fn commit(&self) -> Result<(), StoreError> {
        Index::commit(self)
    }

    fn remove_orphan_thumbnails(&self) -> Result<(), StoreError> {
        Index::remove_orphan_thumbnails(self)
    }
}
