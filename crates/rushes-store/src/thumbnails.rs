//! The thumbnail store, sole owner of an index's thumbnails: the moment and frame
//! thumbnails ingest makes (`<asset_id>/<millis>.jpg`) and face thumbnails
//! (`faces/<asset_id>/<millis>-<n>.jpg`), each named by a path relative to the store.
//! [`ThumbnailStore`] is the seam; [`ThumbnailFolder`] (the index folder's `thumbs/`) is
//! today's implementation. Another engine (thumbnails in a database) implements the trait
//! and keeps the same relative names, which are also the URL paths under `/thumbs/`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

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

/// Where an index keeps its thumbnails. Relative paths are checked by the caller (the server
/// validates every segment) and never leave the store.
pub trait ThumbnailStore: Send + Sync {
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

    /// The folder itself, where ingest writes `<asset_id>/<millis>.jpg` and
    /// `faces/<asset_id>/…` (the local engine only).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of a thumbnail.
    pub fn path_of(&self, relative: &str) -> PathBuf {
        self.root.join(relative.trim_start_matches('/'))
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
        for path in relative.iter().map(|relative| self.path_of(relative)) {
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
