//! The annotations repository: hand tags and notes on assets and on time ranges of them,
//! keyed by asset id and seconds (never by moment row id, since moments are rebuilt on
//! every re-index). Whole-asset annotations are stored as the range `(0, 0)`.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::catalog::sql::now_seconds;
use crate::error::StoreError;

/// Seconds `[start, end)` of a file. `None` in an API means the whole asset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeRange {
    pub start: f64,
    pub end: f64,
}

impl TimeRange {
    /// A range with `0 <= start < end`, both finite.
    pub fn new(start: f64, end: f64) -> Result<TimeRange, StoreError> {
        if start.is_finite() && end.is_finite() && 0.0 <= start && start < end {
            Ok(TimeRange { start, end })
        } else {
            Err(StoreError::Invalid(format!(
                "{start}-{end} is not a time range (need 0 <= START < END seconds)"
            )))
        }
    }

    fn overlaps(self, start: f64, end: f64) -> bool {
        self.start < end && start < self.end
    }
}

/// A range as stored: whole assets as `(0, 0)`.
pub fn stored(range: Option<TimeRange>) -> (f64, f64) {
    range.map_or((0.0, 0.0), |r| (r.start, r.end))
}

pub fn from_stored(start: f64, end: f64) -> Option<TimeRange> {
    (end > start).then_some(TimeRange { start, end })
}

/// Tags and note on one asset or one range of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// `None`: the whole asset.
    pub range: Option<TimeRange>,
    pub tags: Vec<String>,
    pub note: String,
}

/// A hand tag or note with its time range, as the text index sees it.
#[derive(Debug, Clone, Default)]
pub struct HandText {
    pub(crate) tags: Vec<(Option<TimeRange>, String)>,
    pub(crate) notes: Vec<(Option<TimeRange>, String)>,
}

impl HandText {
    /// From rows as stored, `(start, end, text)` (whole-asset entries as `(0, 0)`): how
    /// another engine's catalog gives its hand tags and notes the same meaning.
    pub fn from_stored(tags: Vec<(f64, f64, String)>, notes: Vec<(f64, f64, String)>) -> HandText {
        let ranged = |rows: Vec<(f64, f64, String)>| {
            rows.into_iter()
                .map(|(start, end, text)| (from_stored(start, end), text))
                .collect()
        };
        HandText {
            tags: ranged(tags),
            notes: ranged(notes),
        }
    }

    /// Tags of the asset and of ranges overlapping `[start, end)`.
    pub fn tags_within(&self, start: f64, end: f64) -> Vec<String> {
        Self::within(&self.tags, start, end)
    }

    /// Notes of the asset and of ranges overlapping `[start, end)`.
    pub fn notes_within(&self, start: f64, end: f64) -> Vec<String> {
        Self::within(&self.notes, start, end)
    }

    fn within(entries: &[(Option<TimeRange>, String)], start: f64, end: f64) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for (range, text) in entries {
            let applies = range.is_none_or(|range| range.overlaps(start, end.max(start + 1e-3)));
            if applies && !found.contains(text) {
                found.push(text.clone());
            }
        }
        found
    }
}

/// Hand tags and notes, on the catalog's connection or one transaction of it.
pub struct Annotations<'c> {
    db: &'c Connection,
}

impl<'c> Annotations<'c> {
    pub(crate) fn on(db: &'c Connection) -> Annotations<'c> {
        Annotations { db }
    }

    fn ranged_text(
        &self,
        sql: &str,
        id: &str,
    ) -> Result<Vec<(Option<TimeRange>, String)>, StoreError> {
        let mut statement = self.db.prepare_cached(sql)?;
        let rows = statement
            .query_map([id], |row| {
                Ok((
                    from_stored(row.get(0)?, row.get(1)?),
                    row.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every hand tag and note of an asset, with their ranges.
    pub fn hand_text(&self, id: &str) -> Result<HandText, StoreError> {
        Ok(HandText {
            tags: self.ranged_text(
                "SELECT start, end, tag FROM hand_tags WHERE asset_id = ?1 ORDER BY tag",
                id,
            )?,
            notes: self.ranged_text(
                "SELECT start, end, note FROM hand_notes WHERE asset_id = ?1 ORDER BY start",
                id,
            )?,
        })
    }

    /// The whole-asset hand tags of an asset.
    pub fn user_tags(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let mut statement = self.db.prepare_cached(
            "SELECT tag FROM hand_tags WHERE asset_id = ?1 AND start = 0 AND end = 0 ORDER BY tag",
        )?;
        let tags = statement
            .query_map([id], |row| row.get(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(tags)
    }

    pub fn add_tag(&self, id: &str, range: Option<TimeRange>, tag: &str) -> Result<(), StoreError> {
        let (start, end) = stored(range);
        self.db.execute(
            "INSERT OR IGNORE INTO hand_tags (asset_id, start, end, tag, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, start, end, tag, now_seconds()],
        )?;
        Ok(())
    }

    /// Removes a tag from exactly that range.
    pub fn remove_tag(
        &self,
        id: &str,
        range: Option<TimeRange>,
        tag: &str,
    ) -> Result<(), StoreError> {
        let (start, end) = stored(range);
        self.db.execute(
            "DELETE FROM hand_tags WHERE asset_id = ?1 AND start = ?2 AND end = ?3 AND tag = ?4",
            params![id, start, end, tag],
        )?;
        Ok(())
    }

    /// Sets the note of exactly that range; an empty note removes it.
    pub fn set_note(
        &self,
        id: &str,
        range: Option<TimeRange>,
        note: &str,
    ) -> Result<(), StoreError> {
        let (start, end) = stored(range);
        if note.is_empty() {
            self.db.execute(
                "DELETE FROM hand_notes WHERE asset_id = ?1 AND start = ?2 AND end = ?3",
                params![id, start, end],
            )?;
        } else {
            self.db.execute(
                "INSERT INTO hand_notes (asset_id, start, end, note, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(asset_id, start, end) DO UPDATE SET note = excluded.note,
                    updated_at = excluded.updated_at",
                params![id, start, end, note, now_seconds()],
            )?;
        }
        Ok(())
    }

    /// Deletes the hand tags and notes of an asset.
    pub fn forget_asset(&self, id: &str) -> Result<(), StoreError> {
        self.db
            .execute("DELETE FROM hand_tags WHERE asset_id = ?1", [id])?;
        self.db
            .execute("DELETE FROM hand_notes WHERE asset_id = ?1", [id])?;
        Ok(())
    }
}
