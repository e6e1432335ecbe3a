//! A library's thumbnails in PostgreSQL: [`PgThumbnails`] is the store's `ThumbnailStore`
//! over the `thumbnails` table (one row per thumbnail: its relative name, the asset it
//! belongs to, the JPEG bytes and when it was written). Names are the folder engine's
//! (`<asset_id>/<millis>.jpg`, `faces/<asset_id>/<millis>-<n>.jpg`), checked by the store's
//! `check_relative` before any query, so `/thumbs/…` URLs are the same on either engine.

use std::collections::HashSet;
use std::time::SystemTime;

use rushes_core::AssetId;
use rushes_store::StoreError;
use rushes_store::thumbnails::{
    FACE_THUMBS_DIR, FrameThumbnail, StoredThumbnail, ThumbnailStore, check_relative,
    is_frame_thumbnail_name,
};

use crate::pool::Pool;
use crate::store_error;

/// Thumbnails as rows of the library's `thumbnails` table.
#[derive(Clone)]
pub struct PgThumbnails {
    pool: Pool,
}

impl PgThumbnails {
    pub fn new(pool: Pool) -> PgThumbnails {
        PgThumbnails { pool }
    }
}

/// The asset a thumbnail name belongs to: the folder after `faces/` for a face, else the
/// first folder (empty for a name in no folder).
fn owner_of(relative: &str) -> &str {
    let mut segments = relative.split('/');
    match segments.next() {
        Some(FACE_THUMBS_DIR) => segments
            .next()
            .filter(|_| relative.matches('/').count() > 1),
        Some(first) if relative.contains('/') => Some(first),
        _ => None,
    }
    .unwrap_or("")
}

/// `<asset>/`, the prefix of an asset's frame thumbnails.
fn frames_prefix(asset: &AssetId) -> String {
    format!("{asset}/")
}

/// `faces/<asset>/`, the prefix of an asset's face thumbnails.
fn faces_prefix(asset: &AssetId) -> String {
    format!("{FACE_THUMBS_DIR}/{asset}/")
}

impl ThumbnailStore for PgThumbnails {
    /// An upsert: one statement, so a reader sees the old row or the new one.
    fn put(&self, relative: &str, jpeg: &[u8]) -> Result<(), StoreError> {
        let relative = check_relative(relative)?;
        let mut client = self.pool.get().map_err(store_error)?;
        client
            .execute(
                "INSERT INTO thumbnails (name, asset_id, jpeg, written_at)
                 VALUES ($1, $2, $3, clock_timestamp())
                 ON CONFLICT (name) DO UPDATE SET asset_id = excluded.asset_id,
                     jpeg = excluded.jpeg, written_at = excluded.written_at",
                &[&relative, &owner_of(relative), &jpeg],
            )
            .map_err(store_error)?;
        Ok(())
    }

    fn read(&self, relative: &str) -> Result<Option<StoredThumbnail>, StoreError> {
        let relative = check_relative(relative)?;
        let mut client = self.pool.get().map_err(store_error)?;
        let row = client
            .query_opt(
                "SELECT jpeg, written_at FROM thumbnails WHERE name = $1",
                &[&relative],
            )
            .map_err(store_error)?;
        Ok(row.map(|row| StoredThumbnail {
            jpeg: row.get(0),
            modified: Some(row.get::<_, SystemTime>(1)),
        }))
    }

    fn frames_of(&self, asset: &AssetId) -> Result<Vec<FrameThumbnail>, StoreError> {
        let prefix = frames_prefix(asset);
        let mut client = self.pool.get().map_err(store_error)?;
        let rows = client
            .query(
                "SELECT name FROM thumbnails WHERE asset_id = $1 AND starts_with(name, $2)",
                &[&asset.as_str(), &prefix],
            )
            .map_err(store_error)?;
        let mut frames: Vec<FrameThumbnail> = rows
            .iter()
            .filter_map(|row| {
                let relative: String = row.get(0);
                let name = relative.strip_prefix(&prefix)?;
                if !is_frame_thumbnail_name(name) {
                    return None;
                }
                let millis: u64 = name.strip_suffix(".jpg")?.parse().ok()?;
                Some(FrameThumbnail {
                    time: millis as f64 / 1000.0,
                    relative,
                })
            })
            .collect();
        frames.sort_by(|a, b| a.time.total_cmp(&b.time));
        Ok(frames)
    }

    fn remove_frames_of(&self, asset: &AssetId) -> Result<(), StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        client
            .execute(
                "DELETE FROM thumbnails WHERE asset_id = $1 AND starts_with(name, $2)",
                &[&asset.as_str(), &frames_prefix(asset)],
            )
            .map_err(store_error)?;
        Ok(())
    }

    fn remove_asset(&self, asset: &AssetId) -> Result<(), StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        client
            .execute(
                "DELETE FROM thumbnails WHERE asset_id = $1
                     AND (starts_with(name, $2) OR starts_with(name, $3))",
                &[&asset.as_str(), &frames_prefix(asset), &faces_prefix(asset)],
            )
            .map_err(store_error)?;
        Ok(())
    }

    fn remove(&self, relative: &[String]) {
        let names: Vec<&str> = relative
            .iter()
            .filter_map(|relative| match check_relative(relative) {
                Ok(name) => Some(name),
                Err(error) => {
                    tracing::warn!(%error, "thumbnail not removed");
                    None
                }
            })
            .collect();
        if names.is_empty() {
            return;
        }
        let removed = self.pool.get().map_err(store_error).and_then(|mut client| {
            client
                .execute("DELETE FROM thumbnails WHERE name = ANY($1)", &[&names])
                .map_err(store_error)
        });
        if let Err(error) = removed {
            tracing::warn!(%error, count = names.len(), "thumbnails not removed");
        }
    }

    fn remove_orphans(
        &self,
        kept_faces: &HashSet<String>,
        is_asset: &dyn Fn(&AssetId) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut client = self.pool.get().map_err(store_error)?;
        let owners: Vec<String> = client
            .query("SELECT DISTINCT asset_id FROM thumbnails", &[])
            .map_err(store_error)?
            .iter()
            .map(|row| row.get(0))
            .collect();
        for asset in owners.iter().filter_map(|owner| AssetId::parse(owner)) {
            let faces = faces_prefix(&asset);
            let removed = if is_asset(&asset)? {
                let kept: Vec<&str> = kept_faces
                    .iter()
                    .filter(|name| name.starts_with(&faces))
                    .map(String::as_str)
                    .collect();
                client.execute(
                    "DELETE FROM thumbnails WHERE asset_id = $1 AND starts_with(name, $2)
                         AND NOT name = ANY($3)",
                    &[&asset.as_str(), &faces, &kept],
                )
            } else {
                client.execute(
                    "DELETE FROM thumbnails WHERE asset_id = $1
                         AND (starts_with(name, $2) OR starts_with(name, $3))",
                    &[&asset.as_str(), &frames_prefix(&asset), &faces],
                )
            };
            if let Err(error) = removed {
                tracing::warn!(%asset, %error, "orphan thumbnails not removed");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::owner_of;

    #[test]
    fn a_thumbnail_belongs_to_the_asset_its_name_says() {
        assert_eq!(owner_of("0123456789abcdef/1500.jpg"), "0123456789abcdef");
        assert_eq!(
            owner_of("faces/0123456789abcdef/1500-0.jpg"),
            "0123456789abcdef"
        );
        assert_eq!(owner_of("faces/x.jpg"), "");
        assert_eq!(owner_of("loose.jpg"), "");
    }
}
