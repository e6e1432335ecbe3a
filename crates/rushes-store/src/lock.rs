//! The writer lock of an index folder: one writer at a time, released by the OS if the
//! process dies.

use std::fs::File;
use std::path::Path;

use crate::error::StoreError;

/// Name of the lock file a writer holds.
pub const LOCK_FILE: &str = "index.lock";

/// Takes the writer lock of the index at `dir`; `Locked` when another writer holds it.
pub(crate) fn take_lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(StoreError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
            dir: dir.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Io { path, source }),
    }
}
