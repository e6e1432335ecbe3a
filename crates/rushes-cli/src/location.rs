//! Where a command's library is: `--index` / `RUSHES_INDEX` names an index folder (the local
//! engine, as always) or a `postgres://` URL (a library in PostgreSQL, issue 22). Opens
//! either as one `Arc<dyn Library>` for the reading and hand-work commands (`search`,
//! `similar`, `status`, `show`, `serve`, `export`, `doctor`, `tag`, `collection`,
//! `people`); `index`, `worker` and `reindex` open the engine they write to themselves.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use rushes_postgres::{PgLibrary, is_postgres_url, without_password};
use rushes_store::{Index, Library, OpenMode};

/// The `postgres://` URL `--index` names, if it names one.
pub fn database_url(index: &Path) -> Option<&str> {
    index.to_str().filter(|text| is_postgres_url(text))
}

/// `--index` as a user reads it: the folder, or the URL without its password.
pub fn shown(index: &Path) -> String {
    match database_url(index) {
        Some(url) => without_password(url),
        None => index.display().to_string(),
    }
}

/// Opens the library `--index` names: a folder in `mode`, or the database (migrating its
/// schema; a database holds no lock, so it is always writable).
pub fn open_library(index: &Path, mode: OpenMode) -> Result<Arc<dyn Library>> {
    match database_url(index) {
        Some(url) => {
            let library = PgLibrary::open(url)
                .with_context(|| format!("while opening the library at {}", shown(index)))?;
            Ok(Arc::new(library))
        }
        None => {
            let index = Index::open(index, mode)
                .with_context(|| format!("while opening the index at {}", index.display()))?;
            Ok(Arc::new(index))
        }
    }
}

/// The library `rushes serve` reads: a folder read-only, or the database with this
/// machine's copy of its text index in the server's folder (`server_work_dir`), so words
/// rank in Tantivy as on a local index. A copy another server on this machine holds is
/// left to it: this one then ranks words in PostgreSQL.
pub fn open_for_serving(index: &Path) -> Result<Arc<dyn Library>> {
    let Some(url) = database_url(index) else {
        return open_library(index, OpenMode::ReadOnly);
    };
    let copy = server_work_dir(index)?.join("text");
    match PgLibrary::open_with_text_mirror(url, &copy) {
        Ok(library) => Ok(Arc::new(library)),
        // Opening plainly tells a database that cannot be reached from a copy that cannot
        // be kept (another server on this machine holds it, a full disk).
        Err(error) => {
            let library = open_library(index, OpenMode::ReadOnly)?;
            tracing::warn!(
                "no copy of the text index in {} ({error}): words rank in PostgreSQL",
                copy.display()
            );
            Ok(library)
        }
    }
}

/// The folder of the server's own files (proxies, export jobs, `progress.json`): the index
/// folder itself, or for a database a folder of this machine's cache named after it.
pub fn server_work_dir(index: &Path) -> Result<PathBuf> {
    let Some(url) = database_url(index) else {
        return Ok(index.to_path_buf());
    };
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    let name: String = without_password(url)
        .trim_start_matches("postgresql://")
        .trim_start_matches("postgres://")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let dir = cache.join("rushes").join(format!("serve-{name}"));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("while making the server's folder {}", dir.display()))?;
    Ok(dir)
}
