//! The screen texts and slates repository: each asset's slate spans (the fields a slate
//! gave and the stretch of the file they apply to), written with the asset and deleted with
//! it (the rows cascade), and read again from the stored screen text by `rushes reindex`.
//! Matching slates to filters is `slates`'.

use std::collections::HashMap;

use rushes_core::{ScreenText, Slate, SlateSpan};
use rusqlite::{Connection, params};

use crate::error::StoreError;
use crate::thumbnails::thumbnail_url;

/// One stored span with the asset it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSpan {
    pub asset_id: String,
    pub span: SlateSpan,
}

const SPAN_COLUMNS: &str =
    "SELECT asset_id, start, end, seen_start, seen_end, tail, slate_json FROM slates";

fn span_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredSpan> {
    let slate_json: String = row.get(6)?;
    Ok(StoredSpan {
        asset_id: row.get(0)?,
        span: SlateSpan {
            start: row.get(1)?,
            end: row.get(2)?,
            seen_start: row.get(3)?,
            seen_end: row.get(4)?,
            tail: row.get(5)?,
            slate: serde_json::from_str(&slate_json).unwrap_or_default(),
        },
    })
}

/// One clip of a take in the scene → take library: a slate span of one file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SlateClip {
    pub asset_id: String,
    pub path: String,
    pub start: f64,
    pub end: f64,
    /// URL path of the thumbnail of the moment the slate is seen in.
    pub thumbnail: Option<String>,
    pub slate: Slate,
}

/// Slate spans, on the catalog's connection or one transaction of it.
pub struct SlateSpans<'c> {
    db: &'c Connection,
}

impl<'c> SlateSpans<'c> {
    pub(crate) fn on(db: &'c Connection) -> SlateSpans<'c> {
        SlateSpans { db }
    }

    /// Writes an asset's slate spans inside the transaction that writes the asset.
    pub fn write(&self, asset_id: &str, spans: &[SlateSpan]) -> Result<(), StoreError> {
        for span in spans {
            let slate = &span.slate;
            let slate_json = serde_json::to_string(slate).unwrap_or_else(|_| "{}".into());
            self.db
                .prepare_cached(
                    "INSERT INTO slates (asset_id, start, end, seen_start, seen_end, tail, scene, take,
                     roll, camera, slate_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )?
                .execute(params![
                    asset_id,
                    span.start,
                    span.end,
                    span.seen_start,
                    span.seen_end,
                    span.tail,
                    slate.scene,
                    slate.take,
                    slate.roll,
                    slate.camera,
                    slate_json,
                ])?;
        }
        Ok(())
    }

    /// Reads every asset's slates again from its stored screen text (`rushes reindex`), inside the
    /// caller's transaction. Assets without stored screen text keep the slates they have.
    pub fn rederive(&self) -> Result<(), StoreError> {
        let transaction = self.db;
        let stored_text: bool = transaction.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'screen_texts')",
            [],
            |row| row.get(0),
        )?;
        if !stored_text {
            return Ok(());
        }
        let mut texts: HashMap<String, (Option<f64>, Vec<ScreenText>)> = HashMap::new();
        {
            let mut statement = transaction.prepare(
                "SELECT s.asset_id, a.duration, s.start, s.end, s.text FROM screen_texts s
                 JOIN assets a ON a.id = s.asset_id ORDER BY s.asset_id, s.start",
            )?;
            let rows = statement.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, f64>(1)?,
                    ScreenText {
                        start: row.get(2)?,
                        end: row.get(3)?,
                        text: row.get(4)?,
                    },
                ))
            })?;
            for row in rows {
                let (asset_id, duration, text) = row?;
                let entry = texts
                    .entry(asset_id)
                    .or_insert_with(|| (Some(duration).filter(|d| *d > 0.0), Vec::new()));
                entry.1.push(text);
            }
        }
        for (asset_id, (duration, screen_text)) in &texts {
            transaction
                .prepare_cached("DELETE FROM slates WHERE asset_id = ?1")?
                .execute([asset_id])?;
            self.write(asset_id, &rushes_slate::slate_spans(screen_text, *duration))?;
        }
        Ok(())
    }

    /// Every stored span, by asset then time.
    pub fn all(&self) -> Result<Vec<StoredSpan>, StoreError> {
        let connection = self.db;
        let mut statement =
            connection.prepare_cached(&format!("{SPAN_COLUMNS} ORDER BY asset_id, start"))?;
        let spans = statement
            .query_map([], span_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(spans)
    }

    /// The spans of the given assets, by asset id, in time order.
    pub fn spans_of(
        &self,
        asset_ids: &[&str],
    ) -> Result<HashMap<String, Vec<SlateSpan>>, StoreError> {
        let connection = self.db;
        let mut by_asset: HashMap<String, Vec<SlateSpan>> = HashMap::new();
        if asset_ids.is_empty() {
            return Ok(by_asset);
        }
        let wanted = serde_json::Value::from(asset_ids.to_vec()).to_string();
        let mut statement = connection.prepare_cached(&format!(
            "{SPAN_COLUMNS} WHERE asset_id IN (SELECT value FROM json_each(?1)) ORDER BY asset_id, start"
        ))?;
        for stored in statement.query_map([wanted], span_from_row)? {
            let stored = stored?;
            by_asset
                .entry(stored.asset_id)
                .or_default()
                .push(stored.span);
        }
        Ok(by_asset)
    }

    /// Ids of the moments overlapping any of `spans`.
    pub fn moments_overlapping(&self, spans: &[StoredSpan]) -> Result<Vec<u64>, StoreError> {
        let connection = self.db;
        let mut ids = Vec::new();
        let mut statement = connection.prepare_cached(
            "SELECT id FROM moments WHERE asset_id = ?1 AND start < ?3 AND (end > ?2 OR start >= ?2)
             ORDER BY id",
        )?;
        for stored in spans {
            let found = statement
                .query_map(
                    params![stored.asset_id, stored.span.start, stored.span.end],
                    |row| row.get::<_, i64>(0),
                )?
                .collect::<Result<Vec<i64>, _>>()?;
            ids.extend(found.into_iter().map(|id| id as u64));
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Every slated clip of a committed asset with its scene, by path then time.
    pub fn clips_with_scene(&self) -> Result<Vec<(String, SlateClip)>, StoreError> {
        let mut statement = self.db.prepare(
            "SELECT s.asset_id, a.display_path, s.start, s.end, s.slate_json,
                   (SELECT m.thumbnail FROM moments m WHERE m.asset_id = s.asset_id
                      AND m.start <= s.seen_start ORDER BY m.start DESC LIMIT 1)
                 FROM slates s JOIN assets a ON a.id = s.asset_id
                 WHERE a.pending = 0 AND s.scene IS NOT NULL
                 ORDER BY a.display_path, s.start",
        )?;
        let rows = statement
            .query_map([], |row| {
                let slate_json: String = row.get(4)?;
                let slate: Slate = serde_json::from_str(&slate_json).unwrap_or_default();
                Ok((
                    slate.scene.clone().unwrap_or_default(),
                    SlateClip {
                        asset_id: row.get(0)?,
                        path: row.get(1)?,
                        start: row.get(2)?,
                        end: row.get(3)?,
                        thumbnail: row
                            .get::<_, Option<String>>(5)?
                            .as_deref()
                            .map(thumbnail_url),
                        slate,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
