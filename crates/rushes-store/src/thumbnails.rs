//! The thumbnail store, sole owner of an index's thumbnails: the moment and frame
//! thumbnails ingest makes (`<asset_id>/<millis>.jpg`) and face thumbnails
//! (`faces/<asset_id>/<millis>-<n>.jpg`), each named by a path relative to the store.
//! [`ThumbnailStore`] is the seam; [`ThumbnailFolder`] (the index folder's `thumbs/`) is
//! today's implementation. Another engine (thumbnails in a database) implements the trait
//! and keeps the same relative names, which are also the URL paths under `/thumbs/`.
//!
//! Ingest writes every thumbnail through [`ThumbnailStore::put`] and the server serves
//! `/thumbs/…` through [`ThumbnailStore::read`]; nothing outside this module knows where or
//! how the bytes are kept. Every relative path is checked here ([`check_relative`]), whatever
//! the caller checked before.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use rushes_core::AssetId;

use crate::error::StoreError;

/// Folder of an index holding the thumbnails.
pub const THUMBS_DIR: &str = "thumbs";

/// Folder under `thumbs/` holding face thumbnails (`faces/<asset_id>/<millis>-<n>.jpg`);
/// kept apart from the asset's own folder, which ingest empties on every re-index.
pub const FACE_THUMBS_DIR: &str = "faces";

/// `/thumbs/<relative path>` for a thumbnail path stored relative to `thumbs/`.
pub fn thumbnail_url(relative: &str) -> String {
    format!("/thumbs/{}", relative.trim_start_matches('/'))
}

/// True for `<digits>.jpg` with a sane length: the only frame thumbnail file names ingest
/// writes.
pub fn is_frame_thumbnail_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".jpg") else {
        return false;
    };
    !stem.is_empty() && stem.len() <= 20 && stem.bytes().all(|b| b.is_ascii_digit())
}

/// One frame thumbnail of an asset.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameThumbnail {
    /// Seconds from the start of the file.
    pub time: f64,
    /// Path relative to the store (`<asset_id>/<millis>.jpg`).
    pub relative: String,
}

/// A stored thumbnail: its JPEG bytes and when it was written (for `Last-Modified`), if the
/// engine knows.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredThumbnail {
    pub jpeg: Vec<u8>,
    pub modified: Option<SystemTime>,
}

/// `relative` if it names a thumbnail inside the store: `/`-separated segments of ASCII
/// letters, digits, `-`, `_` and `.`, none empty, `.` or `..` (so no absolute path, no
/// backslash, no way out of the store); else [`StoreError::Invalid`].
pub fn check_relative(relative: &str) -> Result<&str, StoreError> {
    let segment_ok = |segment: &str| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if relative.len() <= 200 && relative.split('/').all(segment_ok) {
        Ok(relative)
    } else {
        Err(StoreError::Invalid(format!(
            "{relative:?} is not a thumbnail path inside the store"
        )))
    }
}

/// Where an index keeps its thumbnails. Every relative path is checked by the store
/// ([`check_relative`]) and never leaves it.
pub trait ThumbnailStore: Send + Sync {
    /// Stores a thumbnail's JPEG bytes under `relative`, replacing any earlier one; a reader
    /// sees the old thumbnail or the new one, never half of one.
    fn put(&self, relative: &str, jpeg: &[u8]) -> Result<(), StoreError>;
    /// A thumbnail's bytes, or `None` when the store holds none by that name.
    fn read(&self, relative: &str) -> Result<Option<StoredThumbnail>, StoreError>;
    /// The frame thumbnails of an asset, by time.
    fn frames_of(&self, asset: &AssetId) -> Result<Vec<FrameThumbnail>, StoreError>;
    /// Removes an asset's frame thumbnails (it is about to be indexed again).
    fn remove_frames_of(&self, asset: &AssetId) -> Result<(), StoreError>;
    /// Removes every thumbnail of an asset: frames and faces.
    fn remove_asset(&self, asset: &AssetId) -> Result<(), StoreError>;
    /// Removes thumbnails by relative path; one already gone is no error, one that cannot be
    /// removed is logged.
    fn remove(&self, relative: &[String]);
    /// Removes the thumbnails no catalog row holds: every thumbnail of an asset `is_asset`
    /// denies (a run killed before the asset committed), and the face thumbnails of the others
    /// not in `kept_faces`. Names not like an asset id are left alone.
    fn remove_orphans(
        &self,
        kept_faces: &HashSet<String>,
        is_asset: &dyn Fn(&AssetId) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError>;
}

/// Thumbnails as files under the index folder's `thumbs/`.
pub struct ThumbnailFolder {
    root: PathBuf,
}

impl ThumbnailFolder {
    /// The thumbnails of the index at `index_dir`.
    pub fn new(index_dir: &Path) -> ThumbnailFolder {
        ThumbnailFolder {
            root: index_dir.join(THUMBS_DIR),
        }
    }

    /// The file of a thumbnail, for a checked relative path.
    fn path_of(&self, relative: &str) -> Result<PathBuf, StoreError> {
        Ok(self.root.join(check_relative(relative)?))
    }

    fn remove_folder(folder: &Path) -> Result<(), StoreError> {
        if folder.exists() {
            std::fs::remove_dir_all(folder).map_err(StoreError::io(folder))?;
        }
        Ok(())
    }

    /// Folders of `parent` named like an asset id.
    fn asset_folders(parent: &Path) -> Vec<(AssetId, PathBuf)> {
        let Ok(entries) = std::fs::read_dir(parent) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let id = entry.file_name().to_str().and_then(AssetId::parse)?;
                Some((id, entry.path()))
            })
            .collect()
    }
}

impl ThumbnailStore for ThumbnailFolder {
    /// Writes `<file>.<pid>.<n>.tmp` beside the file, syncs it and renames it over the file.
    fn put(&self, relative: &str, jpeg: &[u8]) -> Result<(), StoreError> {
        static TEMP_NUMBER: AtomicU64 = AtomicU64::new(0);
        let path = self.path_of(relative)?;
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(StoreError::Invalid(format!("{relative:?} names no file")));
        };
        std::fs::create_dir_all(folder).map_err(StoreError::io(folder))?;
        let temp = folder.join(format!(
            ".{}.{}.{}.tmp",
            name.to_string_lossy(),
            std::process::id(),
            TEMP_NUMBER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::File::create(&temp)
            .and_then(|mut file| file.write_all(jpeg).and_then(|()| file.sync_all()))
            .and_then(|()| std::fs::rename(&temp, &path));
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(StoreError::io(&path)(error));
        }
        Ok(())
    }

    fn read(&self, relative: &str) -> Result<Option<StoredThumbnail>, StoreError> {
        let path = self.path_of(relative)?;
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(StoreError::io(&path)(error)),
        };
        let metadata = file.metadata().map_err(StoreError::io(&path))?;
        if !metadata.is_file() {
            return Ok(None);
        }
        let mut jpeg = Vec::with_capacity(metadata.len() as usize);
        std::io::Read::read_to_end(&mut file, &mut jpeg).map_err(StoreError::io(&path))?;
        Ok(Some(StoredThumbnail {
            jpeg,
            modified: metadata.modified().ok(),
        }))
    }

    fn frames_of(&self, asset: &AssetId) -> Result<Vec<FrameThumbnail>, StoreError> {
        let Ok(entries) = std::fs::read_dir(self.root.join(asset.as_str())) else {
            return Ok(Vec::new());
        };
        let mut frames: Vec<FrameThumbnail> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                if !is_frame_thumbnail_name(&name) {
                    return None;
                }
                let millis: u64 = name.strip_suffix(".jpg")?.parse().ok()?;
                Some(FrameThumbnail {
                    time: millis as f64 / 1000.0,
                    relative: format!("{asset}/{name}"),
                })
            })
            .collect();
        frames.sort_by(|a, b| a.time.total_cmp(&b.time));
        Ok(frames)
    }

    fn remove_frames_of(&self, asset: &AssetId) -> Result<(), StoreError> {
        Self::remove_folder(&self.root.join(asset.as_str()))
    }

    fn remove_asset(&self, asset: &AssetId) -> Result<(), StoreError> {
        self.remove_frames_of(asset)?;
        Self::remove_folder(&self.root.join(FACE_THUMBS_DIR).join(asset.as_str()))
    }

    fn remove(&self, relative: &[String]) {
        for relative in relative {
            let path = match self.path_of(relative) {
                Ok(path) => path,
                Err(error) => {
                    tracing::warn!(%error, "thumbnail not removed");
                    continue;
                }
            };
            if let Err(error) = std::fs::remove_file(&path)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), %error, "thumbnail not removed");
            }
        }
    }

    fn remove_orphans(
        &self,
        kept_faces: &HashSet<String>,
        is_asset: &dyn Fn(&AssetId) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        for (id, path) in Self::asset_folders(&self.root.join(FACE_THUMBS_DIR)) {
            let removed = if is_asset(&id)? {
                remove_unlisted_files(&path, &format!("{FACE_THUMBS_DIR}/{id}/"), kept_faces)
            } else {
                std::fs::remove_dir_all(&path)
            };
            if let Err(error) = removed {
                tracing::warn!(path = %path.display(), %error, "orphan face thumbnails not removed");
            }
        }
        for (id, path) in Self::asset_folders(&self.root) {
            if !is_asset(&id)?
                && let Err(error) = std::fs::remove_dir_all(&path)
            {
                tracing::warn!(path = %path.display(), %error, "could not remove orphan thumbnails");
            }
        }
        Ok(())
    }
}

/// Removes the files of `folder` whose path relative to `thumbs/` (`prefix` + file name) is
/// not in `kept`.
fn remove_unlisted_files(
    folder: &Path,
    prefix: &str,
    kept: &HashSet<String>,
) -> std::io::Result<()> {
    for file in std::fs::read_dir(folder)?.flatten() {
        let relative = format!("{prefix}{}", file.file_name().to_string_lossy());
        if !kept.contains(&relative) {
            std::fs::remove_file(file.path())?;
        }
    }
    Ok(())
}
