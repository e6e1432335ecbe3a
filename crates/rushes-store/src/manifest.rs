//! `rushes.toml` in the index folder: the index format version and the embedding models
//! the vectors come from. Written atomically after each commit.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;

pub const MANIFEST_FILE: &str = "rushes.toml";
/// The index format this rushes writes; bumped when an index must be rebuilt to be read.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    #[serde(default)]
    pub embedding_models: Vec<ManifestModel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestModel {
    pub name: String,
    pub dim: usize,
}

pub fn read(dir: &Path) -> Result<Option<Manifest>, StoreError> {
    let path = dir.join(MANIFEST_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(StoreError::Io {
                path,
                source: error,
            });
        }
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|error| StoreError::Corrupt {
            path,
            message: format!("unreadable {MANIFEST_FILE}: {error}"),
        })
}

/// Refuses an index written by a newer rushes; a writer creates the manifest if missing.
pub fn check(dir: &Path, read_only: bool) -> Result<(), StoreError> {
    match read(dir)? {
        Some(manifest) if manifest.format_version > FORMAT_VERSION => Err(StoreError::Corrupt {
            path: dir.join(MANIFEST_FILE),
            message: format!(
                "index format {} is newer than this rushes understands ({FORMAT_VERSION}); upgrade rushes",
                manifest.format_version
            ),
        }),
        None if !read_only => write(dir, &[]),
        _ => Ok(()),
    }
}

pub fn write(dir: &Path, models: &[(String, usize)]) -> Result<(), StoreError> {
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        embedding_models: models
            .iter()
            .map(|(name, dim)| ManifestModel {
                name: name.clone(),
                dim: *dim,
            })
            .collect(),
    };
    if read(dir).ok().flatten().as_ref() == Some(&manifest) {
        return Ok(());
    }
    let path = dir.join(MANIFEST_FILE);
    let text = toml::to_string(&manifest).map_err(|error| StoreError::Io {
        path: path.clone(),
        source: std::io::Error::other(error),
    })?;
    let temporary = dir.join(format!("{MANIFEST_FILE}.tmp"));
    std::fs::write(&temporary, text).map_err(StoreError::io(&temporary))?;
    std::fs::rename(&temporary, &path).map_err(StoreError::io(&path))
}
