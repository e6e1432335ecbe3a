//! A run's housekeeping around the files it indexes: clearing failures of files that are
//! gone, removing assets whose files are gone (or that are an index's own thumbnails), and
//! removing thumbnail folders no asset owns.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rushes_store::ingest_target::IngestTarget;

use crate::IngestError;
use crate::events::Event;

/// Removes assets below the roots whose files no longer exist.
pub(crate) fn prune_missing(
    index: &dyn IngestTarget,
    roots: &[PathBuf],
    on_event: &mut dyn FnMut(&Event),
) -> Result<usize, IngestError> {
    let mut removed = 0;
    for asset in index.assets()? {
        let below_a_root = roots.iter().any(|root| asset.path.starts_with(root));
        if below_a_root && std::fs::symlink_metadata(&asset.path).is_err() {
            index.remove_asset(&asset.id)?;
            removed += 1;
            on_event(&Event::Removed {
                path: asset.path.clone(),
            });
        }
    }
    Ok(removed)
}

/// Removes assets that are an index's own thumbnails or proxies: an earlier rushes indexed
/// them when the index was below a root (`rushes index .` with `./index`).
pub(crate) fn remove_assets_inside_indexes(
    index: &dyn IngestTarget,
    index_folders: &[PathBuf],
) -> Result<usize, IngestError> {
    let own_folders: Vec<PathBuf> = index_folders
        .iter()
        .flat_map(|folder| {
            rushes_store::MEDIA_LIKE_PARTS
                .iter()
                .map(move |part| folder.join(part))
        })
        .collect();
    if own_folders.is_empty() {
        return Ok(0);
    }
    let mut removed = 0;
    for asset in index.assets()? {
        if own_folders
            .iter()
            .any(|folder| asset.path.starts_with(folder))
        {
            index.remove_asset(&asset.id)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Clears the recorded failures of files below the roots that this walk no longer found
/// (deleted, renamed, no longer media): `rushes status` would list them forever. Returns
/// the failures still recorded below the roots, so that a file that now indexes, or is
/// unchanged or moved, has its failure cleared without a lookup per file.
pub(crate) fn clear_failures_of_vanished_files(
    index: &dyn IngestTarget,
    roots: &[PathBuf],
    walked: &crate::walk::WalkOutcome,
) -> Result<HashSet<PathBuf>, IngestError> {
    let found: HashSet<&Path> = walked
        .candidates
        .iter()
        .map(|candidate| candidate.path.as_path())
        .chain(walked.problems.iter().map(|(path, _)| path.as_path()))
        .collect();
    let mut kept = HashSet::new();
    for path in index.failed_paths()? {
        if !roots.iter().any(|root| path.starts_with(root)) {
            continue;
        }
        if found.contains(path.as_path()) {
            kept.insert(path);
        } else {
            index.clear_failure(&path)?;
        }
    }
    Ok(kept)
}

/// Removes thumbnails of assets the catalog does not hold: a run killed while a file's
/// thumbnails were written, before its catalog entry was committed, leaves some behind when
/// that file has changed or gone by the next run. Runs after the final commit, under the
/// index's writer lock; the store's thumbnail store does it.
pub(crate) fn remove_orphan_thumbnails(index: &dyn IngestTarget) -> Result<(), IngestError> {
    index.remove_orphan_thumbnails()?;
    Ok(())
}
