//! The assets and moments repository: assets, moments, frames (with their embeddings), auto
//! tags, transcript lines, on-screen text, embedding models and the vector keys awaiting
//! removal (an asset's text units are written and deleted with it, `text_units.rs`). Writes an asset as pending; the catalog marks it done once the text and vector
//! commits are on disk.

use std::collections::HashMap;
use std::path::Path;

use rushes_core::{Asset, AssetId, AssetKind, AssetRecord, MediaInfo, ScreenText, TranscriptLine};
use rusqlite::{Connection, OptionalExtension, params};

use crate::catalog::annotations::{Annotations, HandText};
use crate::catalog::slate_spans::SlateSpans;
pub use crate::catalog::sql::FrameVector;
use crate::catalog::sql::{
    embedding_from_blob, embedding_to_blob, normalised, now_seconds, path_bytes, path_from_bytes,
    rows,
};
use crate::catalog::text_units::{TextUnits, UnitsOf};
use crate::error::StoreError;

/// Seconds since the epoch of a capture time as probing reports it (`2025-03-01T10:00:00Z`,
/// `2025:03:01 10:00:00` from EXIF, or a bare date); `None` when it cannot be read.
pub fn parse_capture_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let date = text.get(0..10)?.replace(':', "-");
    let day = crate::query::parse_day(&date)?;
    let time = text.get(11..19).unwrap_or("00:00:00");
    let mut parts = time.split(':').map(|p| p.parse::<i64>().ok());
    let (hours, minutes, seconds) = match (parts.next(), parts.next(), parts.next()) {
        (Some(Some(h)), Some(Some(m)), Some(Some(s))) => (h, m, s),
        _ => (0, 0, 0),
    };
    Some(day + hours * 3600 + minutes * 60 + seconds)
}

/// When an asset was shot, in seconds since the epoch: its capture time as probing read it,
/// else its modification time. What `date:` filters and the date order read.
pub fn captured_at(asset: &Asset) -> i64 {
    asset
        .media
        .creation_time
        .as_deref()
        .and_then(parse_capture_time)
        .unwrap_or(asset.mtime)
}

/// One moment with everything the text index and a hit need.
#[derive(Debug, Clone)]
pub struct MomentRow {
    pub moment_id: i64,
    pub asset: Asset,
    pub display_path: String,
    pub captured_at: i64,
    pub duration: f64,
    pub start: f64,
    pub end: f64,
    pub keyframe: f64,
    pub thumbnail: Option<String>,
    pub ocr_text: String,
    pub caption: Option<String>,
    /// Auto tags of the moment, then the hand tags of its asset and of ranges overlapping it.
    pub tags: Vec<String>,
    /// Hand notes of its asset and of ranges overlapping it.
    pub notes: Vec<String>,
    pub transcript: Vec<TranscriptLine>,
    /// On-screen text runs overlapping the moment, each with its own interval.
    pub screen_text: Vec<ScreenText>,
}

/// Vector keys deleting assets removed: their frames' and their text units'.
#[derive(Debug, Default, PartialEq)]
pub struct RemovedVectors {
    pub frames: Vec<(u64, String)>,
    pub units: Vec<(u64, String)>,
}

impl RemovedVectors {
    pub fn extend(&mut self, other: RemovedVectors) {
        self.frames.extend(other.frames);
        self.units.extend(other.units);
    }
}

/// What writing an asset changed: the vectors to add, the vector keys to drop.
#[derive(Debug, Default)]
pub struct AssetWrite {
    pub added: Vec<FrameVector>,
    pub removed: Vec<(u64, String)>,
    /// Text units' vectors to add to the text-unit vector index.
    pub added_units: Vec<FrameVector>,
    pub removed_units: Vec<(u64, String)>,
    /// Ids whose earlier rows were replaced (the asset's own, or another id at its path).
    pub replaced: Vec<String>,
}

/// The columns of one `moments` row.
struct MomentColumns {
    asset_id: String,
    start: f64,
    end: f64,
    keyframe: f64,
    thumbnail: Option<String>,
    ocr_text: String,
    caption: Option<String>,
    transcript_json: String,
}

/// Assets and moments, on the catalog's connection or one transaction of it.
pub struct Assets<'c> {
    db: &'c Connection,
}

impl<'c> Assets<'c> {
    pub(crate) fn on(db: &'c Connection) -> Assets<'c> {
        Assets { db }
    }

    /// Writes an asset and its moments as pending, replacing any earlier version of it
    /// (same id, or another id at the same path). Returns the vectors to add and drop.
    pub fn write(&self, record: &AssetRecord) -> Result<AssetWrite, StoreError> {
        write_asset_rows(self.db, record)
    }

    /// Deletes one asset's rows; its frames' and text units' vector keys are returned and
    /// remembered as stale until the vector files are saved without them.
    pub fn delete(&self, id: &str) -> Result<RemovedVectors, StoreError> {
        delete_asset_rows(self.db, id)
    }

    pub fn pending_assets(&self) -> Result<Vec<String>, StoreError> {
        rows(
            self.db,
            "SELECT id FROM assets WHERE pending = 1",
            [],
            |row| row.get(0),
        )
    }

    /// Marks every pending asset done and forgets stale vector keys: run once the text and
    /// vector commits are on disk.
    pub fn mark_committed(&self) -> Result<(), StoreError> {
        self.db
            .execute("UPDATE assets SET pending = 0 WHERE pending = 1", [])?;
        self.db.execute("DELETE FROM stale_frames", [])?;
        TextUnits::on(self.db).clear_stale()?;
        Ok(())
    }

    pub fn stale_frames(&self) -> Result<Vec<(u64, String)>, StoreError> {
        rows(
            self.db,
            "SELECT frame_id, model FROM stale_frames",
            [],
            |row| Ok((row.get::<_, i64>(0)? as u64, row.get(1)?)),
        )
    }

    pub fn move_asset(&self, id: &str, new_path: &Path) -> Result<bool, StoreError> {
        let changed = self.db.execute(
            "UPDATE assets SET path = ?2, display_path = ?3 WHERE id = ?1",
            params![id, path_bytes(new_path), new_path.to_string_lossy()],
        )?;
        Ok(changed > 0)
    }

    /// The asset matching `condition` (an SQL `WHERE` clause over `params` naming a unique
    /// column), if any.
    fn asset_where(
        &self,
        condition: &str,
        params: impl rusqlite::Params,
    ) -> Result<Option<Asset>, StoreError> {
        Ok(self.assets_where(condition, params)?.into_iter().next())
    }

    /// Every asset matching `condition` (an SQL `WHERE` clause over `params`), by path.
    fn assets_where(
        &self,
        condition: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Asset>, StoreError> {
        let sql = format!("{ASSET_COLUMNS} WHERE {condition} ORDER BY display_path");
        rows(self.db, &sql, params, asset_from_row)
    }

    pub fn asset(&self, id: &str) -> Result<Option<Asset>, StoreError> {
        self.asset_where("id = ?1 AND pending = 0", [id])
    }

    /// The asset even while it is pending (the writer's own view).
    pub fn asset_any_state(&self, id: &str) -> Result<Option<Asset>, StoreError> {
        self.asset_where("id = ?1", [id])
    }

    pub fn asset_by_path(&self, path: &Path) -> Result<Option<Asset>, StoreError> {
        self.asset_where("path = ?1 AND pending = 0", [path_bytes(path)])
    }

    pub fn assets_by_hash(&self, hash: &str) -> Result<Vec<Asset>, StoreError> {
        self.assets_where("content_hash = ?1 AND pending = 0", [hash])
    }

    pub fn all(&self) -> Result<Vec<Asset>, StoreError> {
        self.assets_where("pending = 0", [])
    }

    /// All asset ids, pending or not (for rebuilding the derived indexes).
    pub fn all_asset_ids(&self) -> Result<Vec<String>, StoreError> {
        rows(self.db, "SELECT id FROM assets ORDER BY id", [], |row| {
            row.get(0)
        })
    }

    /// The moments of one asset in time order, with everything the text index needs.
    pub fn asset_moments(&self, id: &str) -> Result<Vec<MomentRow>, StoreError> {
        let ids: Vec<i64> = {
            let mut statement = self
                .db
                .prepare("SELECT id FROM moments WHERE asset_id = ?1 ORDER BY ordinal")?;
            statement
                .query_map([id], |row| row.get(0))?
                .collect::<Result<Vec<_>, _>>()?
        };
        let mut rows = self.moments(&ids)?;
        let mut ordered = Vec::with_capacity(ids.len());
        for moment_id in ids {
            if let Some(row) = rows.remove(&moment_id) {
                ordered.push(row);
            }
        }
        Ok(ordered)
    }

    /// Moments by id (those that no longer exist are left out).
    pub fn moments(&self, ids: &[i64]) -> Result<HashMap<i64, MomentRow>, StoreError> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut assets: HashMap<String, (Asset, String, i64, f64, HandText)> = HashMap::new();
        let mut moment_statement = self.db.prepare_cached(
            "SELECT asset_id, start, end, keyframe, thumbnail, ocr_text, caption, transcript_json FROM moments WHERE id = ?1",
        )?;
        let mut tag_statement = self
            .db
            .prepare_cached("SELECT tag FROM tags WHERE moment_id = ?1 ORDER BY score DESC")?;
        let mut screen_texts: HashMap<String, Vec<ScreenText>> = HashMap::new();
        for &moment_id in ids {
            let row = moment_statement
                .query_row([moment_id], |row| {
                    Ok(MomentColumns {
                        asset_id: row.get(0)?,
                        start: row.get(1)?,
                        end: row.get(2)?,
                        keyframe: row.get(3)?,
                        thumbnail: row.get(4)?,
                        ocr_text: row.get(5)?,
                        caption: row.get(6)?,
                        transcript_json: row.get(7)?,
                    })
                })
                .optional()?;
            let Some(columns) = row else {
                continue;
            };
            let (asset_id, start, end) = (columns.asset_id, columns.start, columns.end);
            if !assets.contains_key(&asset_id) {
                let Some(entry) = self.asset_entry(&asset_id)? else {
                    continue;
                };
                assets.insert(asset_id.clone(), entry);
            }
            let Some((asset, display_path, captured_at, duration, hand_text)) =
                assets.get(&asset_id)
            else {
                continue;
            };
            let mut tags: Vec<String> = tag_statement
                .query_map([moment_id], |row| row.get(0))?
                .collect::<Result<Vec<_>, _>>()?;
            tags.extend(hand_text.tags_within(start, end));
            let transcript: Vec<TranscriptLine> =
                serde_json::from_str(&columns.transcript_json).unwrap_or_default();
            if !screen_texts.contains_key(&asset_id) {
                screen_texts.insert(asset_id.clone(), self.screen_text(&asset_id)?);
            }
            let screen_text = screen_texts
                .get(&asset_id)
                .map(|runs| {
                    runs.iter()
                        .filter(|run| overlaps((run.start, run.end), (start, end)))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            found.insert(
                moment_id,
                MomentRow {
                    moment_id,
                    asset: asset.clone(),
                    display_path: display_path.clone(),
                    captured_at: *captured_at,
                    duration: *duration,
                    start,
                    end,
                    keyframe: columns.keyframe,
                    thumbnail: columns.thumbnail,
                    ocr_text: columns.ocr_text,
                    caption: columns.caption,
                    tags,
                    notes: hand_text.notes_within(start, end),
                    transcript,
                    screen_text,
                },
            );
        }
        Ok(found)
    }

    /// The asset's on-screen text runs in time order.
    pub fn screen_text(&self, asset_id: &str) -> Result<Vec<ScreenText>, StoreError> {
        rows(
            self.db,
            "SELECT start, end, text FROM screen_texts WHERE asset_id = ?1 ORDER BY start, rowid",
            [asset_id],
            |row| {
                Ok(ScreenText {
                    start: row.get(0)?,
                    end: row.get(1)?,
                    text: row.get(2)?,
                })
            },
        )
    }

    #[allow(clippy::type_complexity)]
    fn asset_entry(
        &self,
        id: &str,
    ) -> Result<Option<(Asset, String, i64, f64, HandText)>, StoreError> {
        let sql = format!("{ASSET_COLUMNS} WHERE id = ?1");
        let found = self
            .db
            .query_row(&sql, [id], |row| {
                let asset = asset_from_row(row)?;
                Ok((
                    asset,
                    row.get::<_, String>(8)?,
                    row.get::<_, i64>(9)?,
                    row.get::<_, f64>(10)?,
                ))
            })
            .optional()?;
        let Some((asset, display_path, captured_at, duration)) = found else {
            return Ok(None);
        };
        Ok(Some((
            asset,
            display_path,
            captured_at,
            duration,
            Annotations::on(self.db).hand_text(id)?,
        )))
    }

    /// Frame id to moment id, for the frames that still exist.
    pub fn frame_moments(&self, frame_ids: &[u64]) -> Result<HashMap<u64, i64>, StoreError> {
        let mut statement = self.db.prepare_cached(
            "SELECT f.moment_id FROM frames f JOIN assets a ON a.id = f.asset_id WHERE f.id = ?1 AND a.pending = 0",
        )?;
        let mut found = HashMap::with_capacity(frame_ids.len());
        for &frame_id in frame_ids {
            if let Some(moment_id) = statement
                .query_row([frame_id as i64], |row| row.get::<_, i64>(0))
                .optional()?
            {
                found.insert(frame_id, moment_id);
            }
        }
        Ok(found)
    }

    /// The embedding of the sampled frame of an asset nearest to `seconds`.
    pub fn nearest_frame_embedding(
        &self,
        id: &str,
        seconds: f64,
    ) -> Result<Option<Vec<f32>>, StoreError> {
        let blob: Option<Vec<u8>> = self
            .db
            .query_row(
                "SELECT embedding FROM frames WHERE asset_id = ?1 AND embedding IS NOT NULL
                 ORDER BY abs(time - ?2) LIMIT 1",
                params![id, seconds],
                |row| row.get(0),
            )
            .optional()?;
        Ok(blob.map(|blob| embedding_from_blob(&blob)))
    }

    /// How many stored vectors a model has (pending assets included).
    pub fn frame_vector_count(&self, model: &str) -> Result<u64, StoreError> {
        let count: i64 = self.db.query_row(
            "SELECT count(*) FROM frames WHERE model = ?1 AND embedding IS NOT NULL",
            [model],
            |row| row.get(0),
        )?;
        Ok(count as u64)
    }

    /// Every stored vector of a model, for rebuilding its vector index.
    pub fn frame_vectors(
        &self,
        model: &str,
        mut each: impl FnMut(FrameVector) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement = self.db.prepare(
            "SELECT id, embedding FROM frames WHERE model = ?1 AND embedding IS NOT NULL",
        )?;
        let mut rows = statement.query([model])?;
        while let Some(row) = rows.next()? {
            let frame_id = row.get::<_, i64>(0)? as u64;
            let blob: Vec<u8> = row.get(1)?;
            each(FrameVector {
                frame_id,
                model: model.to_string(),
                embedding: embedding_from_blob(&blob),
            })?;
        }
        Ok(())
    }

    /// Embedding models and their dimensions, most recently used first.
    pub fn embedding_models(&self) -> Result<Vec<(String, usize)>, StoreError> {
        rows(
            self.db,
            "SELECT name, dim FROM embedding_models ORDER BY last_used DESC, name",
            [],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as usize)),
        )
    }

    /// The end of the asset's last moment (its length when probing found none).
    pub fn last_moment_end(&self, id: &str) -> Result<Option<f64>, StoreError> {
        Ok(self
            .db
            .query_row(
                "SELECT MAX(end) FROM moments WHERE asset_id = ?1",
                [id],
                |row| row.get::<_, Option<f64>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Committed assets by kind, moments and frames.
    pub fn counts(&self) -> Result<(HashMap<String, u64>, u64, u64), StoreError> {
        let mut by_kind = HashMap::new();
        let mut statement = self
            .db
            .prepare("SELECT kind, count(*) FROM assets WHERE pending = 0 GROUP BY kind")?;
        for row in statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })? {
            let (kind, count) = row?;
            by_kind.insert(kind, count as u64);
        }
        let moments: i64 = self.db.query_row(
            "SELECT count(*) FROM moments m JOIN assets a ON a.id = m.asset_id WHERE a.pending = 0",
            [],
            |row| row.get(0),
        )?;
        let frames: i64 = self.db.query_row(
            "SELECT count(*) FROM frames f JOIN assets a ON a.id = f.asset_id WHERE a.pending = 0",
            [],
            |row| row.get(0),
        )?;
        Ok((by_kind, moments as u64, frames as u64))
    }
}

/// Writes one asset's rows as pending inside `transaction`, replacing any earlier version
/// (same id, or another id at the same path). Returns the vectors to add and drop.
fn write_asset_rows(
    transaction: &Connection,
    record: &AssetRecord,
) -> Result<AssetWrite, StoreError> {
    let asset = &record.asset;
    let bytes = path_bytes(&asset.path);
    let mut write = AssetWrite::default();
    let mut replaced: Vec<String> = vec![asset.id.as_str().to_string()];
    let at_path: Option<String> = transaction
        .prepare_cached("SELECT id FROM assets WHERE path = ?1")?
        .query_row([&bytes], |row| row.get(0))
        .optional()?;
    replaced.extend(at_path.filter(|id| id != asset.id.as_str()));
    for id in &replaced {
        let removed = delete_asset_rows(transaction, id)?;
        write.removed.extend(removed.frames);
        write.removed_units.extend(removed.units);
    }
    write.replaced = replaced;
    let captured_at = captured_at(asset);
    let media_json = serde_json::to_string(&asset.media).unwrap_or_else(|_| "{}".into());
    let warnings_json = serde_json::to_string(&record.warnings).unwrap_or_else(|_| "[]".into());
    transaction
        .prepare_cached("INSERT INTO assets (id, path, display_path, kind, size, mtime, content_hash, media_json,
            captured_at, duration, embedding_model, warnings_json, pending, indexed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1, ?13)")?
        .execute(params![
            asset.id.as_str(),
            bytes,
            asset.path.to_string_lossy(),
            asset.kind.as_str(),
            asset.size as i64,
            asset.mtime,
            asset.content_hash,
            media_json,
            captured_at,
            asset.media.duration.unwrap_or(0.0),
            record.embedding_model,
            warnings_json,
            now_seconds(),
        ])?;
    for line in &record.transcript {
        transaction
        .prepare_cached("INSERT INTO transcript_lines (asset_id, start, end, text, source) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![asset.id.as_str(), line.start, line.end, line.text, line.source])?;
    }
    for text in &record.screen_text {
        transaction
            .prepare_cached(
                "INSERT INTO screen_texts (asset_id, start, end, text) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![asset.id.as_str(), text.start, text.end, text.text])?;
    }
    SlateSpans::on(transaction).write(asset.id.as_str(), &record.slates)?;
    write.added_units = TextUnits::on(transaction).write(
        asset.id.as_str(),
        record.text_model.as_deref(),
        &record.text_units,
    )?;
    let model = record.embedding_model.clone().unwrap_or_default();
    for (ordinal, moment) in record.moments.iter().enumerate() {
        let transcript_json =
            serde_json::to_string(&moment.transcript).unwrap_or_else(|_| "[]".into());
        transaction
        .prepare_cached("INSERT INTO moments (asset_id, ordinal, start, end, keyframe, thumbnail, ocr_text, caption, transcript_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?
        .execute(params![
                asset.id.as_str(),
                ordinal as i64,
                moment.start,
                moment.end,
                moment.keyframe,
                moment.thumbnail,
                moment.ocr_text,
                moment.caption,
                transcript_json
            ])?;
        let moment_id = transaction.last_insert_rowid();
        for (tag, score) in &moment.tags {
            transaction
                .prepare_cached("INSERT INTO tags (moment_id, tag, score) VALUES (?1, ?2, ?3)")?
                .execute(params![moment_id, tag, f64::from(*score)])?;
        }
        for frame in &moment.frames {
            let embedding = frame
                .embedding
                .as_ref()
                .filter(|_| !model.is_empty())
                .map(|v| normalised(v));
            transaction
        .prepare_cached("INSERT INTO frames (moment_id, asset_id, time, thumbnail, model, embedding) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![
                    moment_id,
                    asset.id.as_str(),
                    frame.time,
                    frame.thumbnail,
                    embedding.as_ref().map(|_| model.as_str()),
                    embedding.as_deref().map(embedding_to_blob)
                ])?;
            if let Some(embedding) = embedding {
                let frame_id = transaction.last_insert_rowid() as u64;
                write.added.push(FrameVector {
                    frame_id,
                    model: model.clone(),
                    embedding,
                });
            }
        }
    }
    if let Some(dim) = write.added.first().map(|frame| frame.embedding.len()) {
        transaction
            .prepare_cached(
                "INSERT INTO embedding_models (name, dim, last_used) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET last_used = excluded.last_used",
            )?
            .execute(params![model, dim as i64, now_seconds()])?;
    }
    Ok(write)
}

/// Deletes one asset's catalog rows; its frames' vector keys are returned and remembered
/// in `stale_frames` (its text units' in `stale_text_units`) until the vector files are
/// saved without them.
fn delete_asset_rows(transaction: &Connection, id: &str) -> Result<RemovedVectors, StoreError> {
    let removed = {
        let mut statement = transaction.prepare_cached(
            "SELECT id, model FROM frames WHERE asset_id = ?1 AND embedding IS NOT NULL",
        )?;
        statement
            .query_map([id], |row| {
                Ok((
                    row.get::<_, i64>(0)? as u64,
                    row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?
    };
    for (frame_id, model) in &removed {
        transaction
            .prepare_cached("INSERT OR IGNORE INTO stale_frames (frame_id, model) VALUES (?1, ?2)")?
            .execute(params![*frame_id as i64, model])?;
    }
    transaction
        .prepare_cached("DELETE FROM frames WHERE asset_id = ?1")?
        .execute([id])?;
    let units = TextUnits::on(transaction).delete_of_asset(id, UnitsOf::Found)?;
    transaction
        .prepare_cached("DELETE FROM assets WHERE id = ?1")?
        .execute([id])?;
    Ok(RemovedVectors {
        frames: removed,
        units,
    })
}

/// Whether an on-screen text run shares time with a moment. A still's moment and its text
/// are both the instant 0–0, so each end counts as at least a millisecond long.
pub fn overlaps(run: (f64, f64), moment: (f64, f64)) -> bool {
    run.0 < moment.1.max(moment.0 + 0.001) && run.1.max(run.0 + 0.001) > moment.0
}

const ASSET_COLUMNS: &str = "SELECT id, path, kind, size, mtime, content_hash, media_json, pending, display_path, captured_at, duration FROM assets";

fn asset_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Asset> {
    let id: String = row.get(0)?;
    let path: Vec<u8> = row.get(1)?;
    let kind: String = row.get(2)?;
    let media_json: String = row.get(6)?;
    Ok(Asset {
        id: AssetId::parse(&id).unwrap_or_else(|| AssetId::from_path(Path::new(&id))),
        path: path_from_bytes(&path),
        kind: AssetKind::parse(&kind).unwrap_or(AssetKind::Video),
        size: row.get::<_, i64>(3)? as u64,
        mtime: row.get(4)?,
        content_hash: row.get(5)?,
        media: serde_json::from_str::<MediaInfo>(&media_json).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_times_from_probe_and_exif_forms() {
        assert_eq!(
            parse_capture_time("2025-03-01T10:00:00.000000Z"),
            Some(1_740_787_200 + 36_000)
        );
        assert_eq!(
            parse_capture_time("2025:03:01 10:00:00"),
            Some(1_740_787_200 + 36_000)
        );
        assert_eq!(parse_capture_time("2025-03-01"), Some(1_740_787_200));
        assert_eq!(parse_capture_time("yesterday"), None);
    }
}
