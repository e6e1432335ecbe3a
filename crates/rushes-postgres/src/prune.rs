//! Files gone from disk leave a PostgreSQL library at the next `rushes index` of their
//! folder, as they leave a local index (rushes-ingest's `prune_missing`): the assets below
//! the roots indexed whose files this machine no longer finds, with their jobs, and the jobs
//! and failures of files gone before they were indexed. Paths go through this machine's
//! prefix map, so "gone" is asked of the disks where this machine mounts the footage. What
//! this machine cannot see is never removed: nothing below a root that is not there when
//! pruning starts, nothing reached through a mapped prefix whose local folder does not
//! exist here (a share not mounted), and no file a worker holds under a live lease.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rushes_store::StoreError;
use rushes_store::ingest_target::IngestTarget;

use crate::{PgIngest, store_error};

/// What a prune removed and what it left alone.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// Assets removed, by the path this machine reached them at.
    pub removed: Vec<PathBuf>,
    /// Jobs and failures of files gone before they were indexed.
    pub jobs_forgotten: u64,
    /// Folders not on this machine below which nothing was removed: a root gone, or the
    /// local side of a mapped prefix that does not exist (not mounted).
    pub not_here: Vec<PathBuf>,
}

impl PgIngest {
    /// Removes what is below `roots` (local paths) and gone from this machine's disks.
    pub fn prune_missing(&self, roots: &[PathBuf]) -> Result<Pruned, StoreError> {
        let mut pruned = Pruned::default();
        let mut present: Vec<&PathBuf> = Vec::new();
        for root in roots {
            if std::fs::symlink_metadata(root).is_ok() {
                present.push(root);
            } else {
                pruned.not_here.push(root.clone());
            }
        }
        let unmounted: Vec<PathBuf> = self
            .prefixes()
            .entries()
            .iter()
            .map(|(_, local)| PathBuf::from(local))
            .filter(|local| std::fs::symlink_metadata(local).is_err())
            .collect();
        let note_unmounted = |path: &Path, pruned: &mut Pruned| -> bool {
            match unmounted.iter().find(|mount| path.starts_with(mount)) {
                Some(mount) => {
                    if !pruned.not_here.contains(mount) {
                        pruned.not_here.push(mount.clone());
                    }
                    true
                }
                None => false,
            }
        };
        let gone = |path: &Path| std::fs::symlink_metadata(path).is_err();
        let below_a_root = |path: &Path| present.iter().any(|root| path.starts_with(root));

        let held = self.files_held()?;
        for asset in IngestTarget::assets(self)? {
            if !below_a_root(&asset.path) || note_unmounted(&asset.path, &mut pruned) {
                continue;
            }
            if !gone(&asset.path) {
                continue;
            }
            let library = self
                .prefixes()
                .to_library(&asset.path)
                .map_err(store_error)?;
            if held.contains(&library) {
                continue;
            }
            // The job first: interrupted here, the asset is pruned by the next run; the
            // other way round, a done job would keep a restored file from being queued.
            self.forget_jobs(&[library])?;
            IngestTarget::remove_asset(self, &asset.id)?;
            pruned.removed.push(asset.path);
        }

        let mut gone_jobs = Vec::new();
        for library in self.job_paths()? {
            if held.contains(&library) {
                continue;
            }
            let local = self.prefixes().to_local(&library);
            if below_a_root(&local) && !note_unmounted(&local, &mut pruned) && gone(&local) {
                gone_jobs.push(library);
            }
        }
        pruned.jobs_forgotten = self.forget_jobs(&gone_jobs)?;
        Ok(pruned)
    }

    /// Paths (library form) of the files workers hold under a live lease.
    fn files_held(&self) -> Result<HashSet<String>, StoreError> {
        let mut client = self.engine().pool().get().map_err(store_error)?;
        let rows = client
            .query(
                "SELECT path FROM index_jobs
                 WHERE state = 'claimed' AND lease_until >= clock_timestamp()",
                &[],
            )
            .map_err(store_error)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// Paths (library form) of every job.
    fn job_paths(&self) -> Result<Vec<String>, StoreError> {
        let mut client = self.engine().pool().get().map_err(store_error)?;
        let rows = client
            .query("SELECT path FROM index_jobs ORDER BY path", &[])
            .map_err(store_error)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// Deletes the jobs of `paths` (but those held under a live lease) and their failures,
    /// in one transaction; how many jobs went.
    fn forget_jobs(&self, paths: &[String]) -> Result<u64, StoreError> {
        if paths.is_empty() {
            return Ok(0);
        }
        let mut client = self.engine().pool().get().map_err(store_error)?;
        let mut transaction = client.transaction().map_err(store_error)?;
        let forgotten = transaction
            .execute(
                "DELETE FROM index_jobs WHERE path = ANY($1)
                     AND NOT (state = 'claimed' AND lease_until >= clock_timestamp())",
                &[&paths],
            )
            .map_err(store_error)?;
        let bytes: Vec<&[u8]> = paths.iter().map(|path| path.as_bytes()).collect();
        transaction
            .execute("DELETE FROM failures WHERE path = ANY($1)", &[&bytes])
            .map_err(store_error)?;
        transaction.commit().map_err(store_error)?;
        Ok(forgotten)
    }
}
