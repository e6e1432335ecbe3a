//! The loaded PostgreSQL bench database kept between runs, like the `scale` bench's local
//! index: with `RUSHES_BENCH_PG_CACHE=<dir>` the server's data folder lives at
//! `<dir>/pg-scale-<moments>-g<generator>-l<loader>` and the next run starts a server on it
//! instead of loading again. `complete.json` (the load's figures) is written into it only
//! after the rows, the HNSW index, `VACUUM ANALYZE` and a checkpoint: a folder without it is
//! an interrupted load and is removed and loaded again, never used half-made. Folders of the
//! same size under another key are stale and removed; other sizes are kept (a 100k cache
//! beside the 1M one). The database is migrated on open as any library is, so a cache made
//! before a schema change stays usable.

use std::path::{Path, PathBuf};

use rushes_testkit::postgres::PgServer;

use crate::synthetic::GENERATOR_VERSION;

type CacheResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Bumped whenever the bulk loader writes other rows or the load's settings change what
/// the database holds, so an older cache is loaded again.
const LOADER_VERSION: u32 = 2;
/// Written into a cache folder once its load completed: the load's figures as JSON.
const COMPLETE_MARKER: &str = "complete.json";
/// The database the bench library lives in.
pub const DATABASE: &str = "bench";

/// Where PostgreSQL keeps the bench library: a cache folder or a throwaway server's.
pub enum PgHome {
    Cached(PathBuf),
    Temporary,
}

impl PgHome {
    /// The cache folder for `moments` when `RUSHES_BENCH_PG_CACHE` is set (an interrupted
    /// load and stale keys of the same size removed), else a throwaway server.
    pub fn choose(moments: usize) -> CacheResult<PgHome> {
        let Some(cache) = std::env::var_os("RUSHES_BENCH_PG_CACHE") else {
            return Ok(PgHome::Temporary);
        };
        let cache = PathBuf::from(cache);
        std::fs::create_dir_all(&cache)?;
        open_to_others(&cache)?;
        let size = format!("pg-scale-{moments}-");
        let name = format!("{size}g{GENERATOR_VERSION}-l{LOADER_VERSION}");
        for entry in std::fs::read_dir(&cache)?.flatten() {
            let other = entry.file_name();
            if other != name.as_str() && other.to_string_lossy().starts_with(&size) {
                eprintln!(
                    "[pg_query] removing stale cached database {}",
                    entry.path().display()
                );
                std::fs::remove_dir_all(entry.path())?;
            }
        }
        let folder = cache.join(name);
        if folder.exists() && !folder.join(COMPLETE_MARKER).is_file() {
            eprintln!(
                "[pg_query] removing the interrupted load at {}",
                folder.display()
            );
            std::fs::remove_dir_all(&folder)?;
        }
        Ok(PgHome::Cached(folder))
    }

    /// The server: on the cache folder (kept when it stops), else in a temp folder.
    pub fn start(&self, settings: &[(&str, String)]) -> CacheResult<PgServer> {
        Ok(match self {
            PgHome::Cached(folder) => PgServer::start_in_folder(folder, settings)?,
            PgHome::Temporary => PgServer::start_with_settings(settings)?,
        })
    }

    /// The figures of the completed load in the cache, if there is one.
    pub fn completed_load(&self) -> Option<serde_json::Value> {
        let PgHome::Cached(folder) = self else {
            return None;
        };
        let marker = std::fs::read_to_string(folder.join(COMPLETE_MARKER)).ok()?;
        serde_json::from_str(&marker).ok()
    }

    /// Marks the cache complete with the load's figures (after the server's checkpoint).
    pub fn mark_complete(&self, load: &serde_json::Value) -> CacheResult<()> {
        if let PgHome::Cached(folder) = self {
            std::fs::write(folder.join(COMPLETE_MARKER), load.to_string())?;
        }
        Ok(())
    }

    /// Where a server's copy of the cached library's text index is kept between runs
    /// (inside the data folder, so it goes with it); none for a throwaway server.
    pub fn text_copy_dir(&self) -> Option<PathBuf> {
        match self {
            PgHome::Cached(folder) => Some(folder.join("rushes-text-copy")),
            PgHome::Temporary => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            PgHome::Cached(folder) => folder.display().to_string(),
            PgHome::Temporary => "a throwaway server".to_string(),
        }
    }
}

/// Lets other users through `folder` (the server runs as `nobody` when the bench runs as
/// root, and its data folder sits inside).
fn open_to_others(folder: &Path) -> CacheResult<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(folder)?.permissions();
    permissions.set_mode(permissions.mode() | 0o005);
    std::fs::set_permissions(folder, permissions)?;
    Ok(())
}
