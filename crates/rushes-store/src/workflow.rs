//! What people add to an index by hand: tags and notes on assets and on time ranges of
//! them (moments), and ordered collections of ranges. Kept in the catalog keyed by asset id
//! and seconds, never by moment row id, because moments are rebuilt on every re-index; the
//! asset id survives re-indexing and moves, so the annotations do too. Tags and notes reach
//! the text index through the moments whose time they overlap (`tag:blooper`).
//! Machine tags, moments and search are not here (see `catalog`, `text`, `search`).
//! Hand text is checked here once for every caller (CLI, API): no control characters in a
//! tag, a collection or a person's name ([`check_label`]); a note may hold line breaks and
//! tabs; a range must lie within its asset's duration.

use std::collections::BTreeMap;

use rushes_core::{Asset, AssetId, AssetKind};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, now_seconds};
use crate::{Index, StoreError};

/// Schema step of the workflow tables. Whole-asset annotations and items are stored with
/// `start = end = 0`. Moves the asset-only `user_tags` and `collections` of schema 1 over.
pub(crate) const WORKFLOW_MIGRATION: &str = r#"
CREATE TABLE hand_tags (
    asset_id TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    tag TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (asset_id, start, end, tag)
);
INSERT INTO hand_tags (asset_id, start, end, tag, added_at)
    SELECT asset_id, 0, 0, tag, added_at FROM user_tags;
DROP TABLE user_tags;
CREATE TABLE hand_notes (
    asset_id TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    note TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (asset_id, start, end)
);
CREATE TABLE collection_names (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE TABLE collection_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL REFERENCES collection_names(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    asset_id TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    added_at INTEGER NOT NULL
);
CREATE INDEX collection_items_in_order ON collection_items(collection_id, position);
INSERT INTO collection_names (name, created_at)
    SELECT name, MIN(added_at) FROM collections GROUP BY name;
INSERT INTO collection_items (collection_id, position, asset_id, start, end, added_at)
    SELECT n.id, ROW_NUMBER() OVER (PARTITION BY c.name ORDER BY c.added_at, c.asset_id),
           c.asset_id, 0, 0, c.added_at
    FROM collections c JOIN collection_names n ON n.name = c.name;
DROP TABLE collections;
"#;

/// The file in which schema 1 kept collection ranges beside the catalog; imported into
/// `collection_items` once, then renamed to `<name>.imported`.
pub const LEGACY_COLLECTION_RANGES_FILE: &str = "collection-ranges.json";

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

/// How far past an asset's probed duration a range may end: players, frame times and
/// container durations disagree by a frame or two.
pub const RANGE_END_TOLERANCE: f64 = 0.5;

/// A range as stored: whole assets as `(0, 0)`.
fn stored(range: Option<TimeRange>) -> (f64, f64) {
    range.map_or((0.0, 0.0), |r| (r.start, r.end))
}

fn from_stored(start: f64, end: f64) -> Option<TimeRange> {
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

/// One entry of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionItem {
    /// Stable id of the entry (for remove and move).
    pub id: i64,
    pub asset: AssetId,
    /// `None`: the whole asset.
    pub range: Option<TimeRange>,
    pub note: String,
}

/// A collection and its entries in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    pub name: String,
    pub items: Vec<CollectionItem>,
}

/// A collection's name and size, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionSummary {
    pub name: String,
    pub items: u64,
}

fn clean_tag(tag: &str) -> Result<String, StoreError> {
    trimmed_within(tag, 100, "a tag")
}

fn clean_collection_name(name: &str) -> Result<String, StoreError> {
    trimmed_within(name, 200, "a collection name")
}

/// Refuses control characters (newlines, tabs, NUL, terminal escapes) in a label shown on
/// one line and matched whole: a tag (`tag:` could never find one holding a newline), a
/// collection name, a person's name. `what` names it in the message ("a tag").
pub fn check_label(text: &str, what: &str) -> Result<(), StoreError> {
    if text.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "{what} cannot hold control characters (newlines, tabs, NUL)"
        )));
    }
    Ok(())
}

/// A note trimmed, with Windows line ends made `\n`: it may hold line breaks and tabs, but
/// no other control characters (NUL, escapes, a lone carriage return), nor more than
/// 10000 characters.
fn clean_note(note: &str) -> Result<String, StoreError> {
    let note = note.trim().replace("\r\n", "\n");
    if note.chars().count() > 10_000 {
        return Err(StoreError::Invalid(
            "a note may have at most 10000 characters".into(),
        ));
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(StoreError::Invalid(
            "a note cannot hold control characters other than line breaks and tabs".into(),
        ));
    }
    Ok(note)
}

/// `text` trimmed, if it then has 1 to `max_chars` characters and no control character;
/// else a user error naming `what`.
fn trimmed_within(text: &str, max_chars: usize, what: &str) -> Result<String, StoreError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max_chars {
        return Err(StoreError::Invalid(format!(
            "{what} must have 1 to {max_chars} characters"
        )));
    }
    check_label(text, what)?;
    Ok(text.to_string())
}

/// Refuses a range that does not lie within `asset`: a still has no time range (its hand
/// work is on the whole image), and a range must end by the asset's duration (the end of its
/// last moment when the probe found none), give or take [`RANGE_END_TOLERANCE`].
fn check_range_within(
    catalog: &Catalog,
    asset: &Asset,
    range: Option<TimeRange>,
) -> Result<(), StoreError> {
    let Some(range) = range else {
        return Ok(());
    };
    if asset.kind == AssetKind::Image {
        return Err(StoreError::Invalid(format!(
            "{} is a still: it has no time range; tag or collect the whole image",
            asset.id
        )));
    }
    let probed = asset
        .media
        .duration
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0);
    let length = match probed {
        Some(seconds) => Some(seconds),
        None => catalog
            .connection()
            .query_row(
                "SELECT MAX(end) FROM moments WHERE asset_id = ?1",
                [asset.id.as_str()],
                |row| row.get::<_, Option<f64>>(0),
            )
            .optional()?
            .flatten(),
    };
    match length {
        Some(length) if range.end > length + RANGE_END_TOLERANCE => {
            Err(StoreError::Invalid(format!(
                "{:?}-{:?} ends after the file does ({length:.3} s long)",
                range.start, range.end
            )))
        }
        _ => Ok(()),
    }
}

/// A hand tag or note with its time range, as the text index sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct HandText {
    tags: Vec<(Option<TimeRange>, String)>,
    notes: Vec<(Option<TimeRange>, String)>,
}

impl HandText {
    /// Tags of the asset and of ranges overlapping `[start, end)`.
    pub(crate) fn tags_within(&self, start: f64, end: f64) -> Vec<String> {
        Self::within(&self.tags, start, end)
    }

    /// Notes of the asset and of ranges overlapping `[start, end)`.
    pub(crate) fn notes_within(&self, start: f64, end: f64) -> Vec<String> {
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

/// The ids of a collection's entries, in order.
fn collection_entry_ids(catalog: &Catalog, name: &str) -> Result<Vec<i64>, StoreError> {
    let collection = catalog.collection_id(name)?;
    Ok(catalog
        .collection_items(collection)?
        .iter()
        .map(|item| item.id)
        .collect())
}

fn query_ranged_text(
    connection: &Connection,
    sql: &str,
    id: &str,
) -> Result<Vec<(Option<TimeRange>, String)>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
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

impl Catalog {
    /// Every hand tag and note of an asset, with their ranges.
    pub(crate) fn hand_text(&self, id: &str) -> Result<HandText, StoreError> {
        Ok(HandText {
            tags: query_ranged_text(
                self.connection(),
                "SELECT start, end, tag FROM hand_tags WHERE asset_id = ?1 ORDER BY tag",
                id,
            )?,
            notes: query_ranged_text(
                self.connection(),
                "SELECT start, end, note FROM hand_notes WHERE asset_id = ?1 ORDER BY start",
                id,
            )?,
        })
    }

    /// The whole-asset hand tags of an asset.
    pub fn user_tags(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT tag FROM hand_tags WHERE asset_id = ?1 AND start = 0 AND end = 0 ORDER BY tag",
        )?;
        let tags = statement
            .query_map([id], |row| row.get(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(tags)
    }

    /// Deletes the hand tags, notes and collection entries of an asset.
    pub(crate) fn forget_hand_work(connection: &Connection, id: &str) -> Result<(), StoreError> {
        connection.execute("DELETE FROM hand_tags WHERE asset_id = ?1", [id])?;
        connection.execute("DELETE FROM hand_notes WHERE asset_id = ?1", [id])?;
        connection.execute("DELETE FROM collection_items WHERE asset_id = ?1", [id])?;
        Ok(())
    }

    fn collection_id(&self, name: &str) -> Result<i64, StoreError> {
        self.connection()
            .query_row(
                "SELECT id FROM collection_names WHERE name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no collection named {name:?}")))
    }

    fn collection_items(&self, collection: i64) -> Result<Vec<CollectionItem>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT id, asset_id, start, end, note FROM collection_items
             WHERE collection_id = ?1 ORDER BY position, id",
        )?;
        let rows = statement
            .query_map([collection], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, f64>(2)?,
                    row.get::<_, f64>(3)?,
                    row.get::<_, String>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, asset, start, end, note)| {
                Some(CollectionItem {
                    id,
                    asset: AssetId::parse(&asset)?,
                    range: from_stored(start, end),
                    note,
                })
            })
            .collect())
    }

    /// Rewrites positions `1..=n` in the given order.
    fn renumber(&self, ids: &[i64]) -> Result<(), StoreError> {
        let transaction = self.connection().unchecked_transaction()?;
        for (position, id) in ids.iter().enumerate() {
            transaction.execute(
                "UPDATE collection_items SET position = ?1 WHERE id = ?2",
                params![position as i64 + 1, id],
            )?;
        }
        transaction.commit()?;
        Ok(())
    }
}

impl Index {
    /// Refuses an asset the index does not hold, and a range that does not lie within it.
    fn require_asset(
        &self,
        catalog: &Catalog,
        id: &AssetId,
        range: Option<TimeRange>,
    ) -> Result<(), StoreError> {
        let Some(asset) = catalog.asset(id.as_str())? else {
            return Err(StoreError::NotFound(format!("no asset {id} in this index")));
        };
        check_range_within(catalog, &asset, range)
    }

    /// Re-derives the asset's text documents (its hand tags and notes changed) and commits.
    fn refresh_text(&self, catalog: &mut Catalog, id: &AssetId) -> Result<(), StoreError> {
        let moments = catalog.asset_moments(id.as_str())?;
        self.text.put_asset(id.as_str(), &moments)?;
        self.commit_locked(catalog)
    }

    /// Adds hand tags to an asset or a range of it; searchable as `tag:<name>` on the
    /// moments the range overlaps. Kept across moves and re-indexing. Commits.
    pub fn add_hand_tags(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        tags: &[String],
    ) -> Result<(), StoreError> {
        self.annotate(id, range, tags, &[], None)
    }

    /// Removes hand tags from an asset or a range of it (exactly that range). Commits.
    pub fn remove_hand_tags(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        tags: &[String],
    ) -> Result<(), StoreError> {
        self.annotate(id, range, &[], tags, None)
    }

    /// Sets the note of an asset or a range of it; an empty note removes it. Commits.
    pub fn set_note(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        note: &str,
    ) -> Result<(), StoreError> {
        self.annotate(id, range, &[], &[], Some(note))
    }

    /// Adds and removes hand tags and sets the note (`None` leaves it, `""` removes it) of an
    /// asset or a range of it, in one transaction and one commit. Everything is checked
    /// first (tags, note, that the range lies within the asset), so a refused request writes
    /// nothing. Removing needs no valid range: a range an older rushes accepted can be
    /// cleaned up.
    pub fn annotate(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        add: &[String],
        remove: &[String],
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        self.require_writer()?;
        let add = add
            .iter()
            .map(|t| clean_tag(t))
            .collect::<Result<Vec<_>, _>>()?;
        let note = note.map(clean_note).transpose()?;
        let mut catalog = self.catalog()?;
        let adds_text = !add.is_empty() || note.as_deref().is_some_and(|n| !n.is_empty());
        self.require_asset(&catalog, id, range.filter(|_| adds_text))?;
        if add.is_empty() && remove.is_empty() && note.is_none() {
            return Ok(());
        }
        let (start, end) = stored(range);
        let transaction = catalog.connection().unchecked_transaction()?;
        for tag in &add {
            transaction.execute(
                "INSERT OR IGNORE INTO hand_tags (asset_id, start, end, tag, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id.as_str(), start, end, tag, now_seconds()],
            )?;
        }
        for tag in remove {
            transaction.execute(
                "DELETE FROM hand_tags WHERE asset_id = ?1 AND start = ?2 AND end = ?3 AND tag = ?4",
                params![id.as_str(), start, end, tag.trim()],
            )?;
        }
        match note.as_deref() {
            None => {}
            Some("") => {
                transaction.execute(
                    "DELETE FROM hand_notes WHERE asset_id = ?1 AND start = ?2 AND end = ?3",
                    params![id.as_str(), start, end],
                )?;
            }
            Some(note) => {
                transaction.execute(
                    "INSERT INTO hand_notes (asset_id, start, end, note, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(asset_id, start, end) DO UPDATE SET note = excluded.note,
                        updated_at = excluded.updated_at",
                    params![id.as_str(), start, end, note, now_seconds()],
                )?;
            }
        }
        transaction.commit()?;
        self.refresh_text(&mut catalog, id)
    }

    /// Whole-asset hand tags of an asset.
    pub fn user_tags(&self, id: &AssetId) -> Result<Vec<String>, StoreError> {
        self.catalog()?.user_tags(id.as_str())
    }

    /// The hand tags and notes of an asset, one entry per range (the whole asset first).
    pub fn annotations(&self, id: &AssetId) -> Result<Vec<Annotation>, StoreError> {
        let text = self.catalog()?.hand_text(id.as_str())?;
        let mut annotations: Vec<Annotation> = Vec::new();
        let mut slot = |range: Option<TimeRange>| -> usize {
            match annotations.iter().position(|a| a.range == range) {
                Some(found) => found,
                None => {
                    annotations.push(Annotation {
                        range,
                        tags: Vec::new(),
                        note: String::new(),
                    });
                    annotations.len() - 1
                }
            }
        };
        let tag_slots: Vec<(usize, String)> = text
            .tags
            .into_iter()
            .map(|(r, tag)| (slot(r), tag))
            .collect();
        let note_slots: Vec<(usize, String)> = text
            .notes
            .into_iter()
            .map(|(r, note)| (slot(r), note))
            .collect();
        for (at, tag) in tag_slots {
            if let Some(annotation) = annotations.get_mut(at) {
                annotation.tags.push(tag);
            }
        }
        for (at, note) in note_slots {
            if let Some(annotation) = annotations.get_mut(at) {
                annotation.note = note;
            }
        }
        annotations.sort_by(|a, b| {
            let (a, b) = (stored(a.range), stored(b.range));
            a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1))
        });
        Ok(annotations)
    }

    /// Every collection with its size, by name.
    pub fn collections(&self) -> Result<Vec<CollectionSummary>, StoreError> {
        let catalog = self.catalog()?;
        let mut statement = catalog.connection().prepare(
            "SELECT n.name, COUNT(i.id) FROM collection_names n
             LEFT JOIN collection_items i ON i.collection_id = n.id
             GROUP BY n.id ORDER BY n.name COLLATE NOCASE",
        )?;
        let rows = statement
            .query_map([], |row| {
                Ok(CollectionSummary {
                    name: row.get(0)?,
                    items: row.get::<_, i64>(1)?.max(0) as u64,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// A collection's entries in order; `NotFound` when there is no such collection.
    pub fn collection(&self, name: &str) -> Result<Collection, StoreError> {
        let catalog = self.catalog()?;
        let collection = catalog.collection_id(name)?;
        Ok(Collection {
            name: name.to_string(),
            items: catalog.collection_items(collection)?,
        })
    }

    /// Creates an empty collection (nothing happens if it exists).
    pub fn create_collection(&self, name: &str) -> Result<(), StoreError> {
        self.require_writer()?;
        let name = clean_collection_name(name)?;
        self.catalog()?.connection().execute(
            "INSERT OR IGNORE INTO collection_names (name, created_at) VALUES (?1, ?2)",
            params![name, now_seconds()],
        )?;
        Ok(())
    }

    /// Appends an asset or a range of it to a collection (created on first use), once:
    /// adding the same range again returns the existing entry. Returns the entry.
    pub fn add_to_collection(
        &self,
        name: &str,
        id: &AssetId,
        range: Option<TimeRange>,
        note: &str,
    ) -> Result<CollectionItem, StoreError> {
        let note = clean_note(note)?;
        let name = clean_collection_name(name)?;
        {
            let catalog = self.catalog()?;
            self.require_asset(&catalog, id, range)?;
        }
        self.create_collection(&name)?;
        let catalog = self.catalog()?;
        let collection = catalog.collection_id(&name)?;
        let (start, end) = stored(range);
        let existing: Option<i64> = catalog
            .connection()
            .query_row(
                "SELECT id FROM collection_items
                 WHERE collection_id = ?1 AND asset_id = ?2 AND start = ?3 AND end = ?4",
                params![collection, id.as_str(), start, end],
                |row| row.get(0),
            )
            .optional()?;
        let item_id = match existing {
            Some(item_id) => {
                if !note.is_empty() {
                    catalog.connection().execute(
                        "UPDATE collection_items SET note = ?1 WHERE id = ?2",
                        params![note, item_id],
                    )?;
                }
                item_id
            }
            None => {
                catalog.connection().execute(
                    "INSERT INTO collection_items (collection_id, position, asset_id, start, end, note, added_at)
                     VALUES (?1, (SELECT COALESCE(MAX(position), 0) + 1 FROM collection_items
                                  WHERE collection_id = ?1), ?2, ?3, ?4, ?5, ?6)",
                    params![collection, id.as_str(), start, end, note, now_seconds()],
                )?;
                catalog.connection().last_insert_rowid()
            }
        };
        Ok(CollectionItem {
            id: item_id,
            asset: id.clone(),
            range,
            note,
        })
    }

    /// Removes one entry of a collection.
    pub fn remove_from_collection(&self, name: &str, item: i64) -> Result<(), StoreError> {
        self.require_writer()?;
        let catalog = self.catalog()?;
        let collection = catalog.collection_id(name)?;
        let removed = catalog.connection().execute(
            "DELETE FROM collection_items WHERE collection_id = ?1 AND id = ?2",
            params![collection, item],
        )?;
        if removed == 0 {
            return Err(StoreError::NotFound(format!(
                "collection {name:?} has no entry {item}"
            )));
        }
        Ok(())
    }

    /// Moves one entry to `position` (0-based, clamped to the end).
    pub fn move_in_collection(
        &self,
        name: &str,
        item: i64,
        position: usize,
    ) -> Result<(), StoreError> {
        self.require_writer()?;
        let catalog = self.catalog()?;
        let mut ids = collection_entry_ids(&catalog, name)?;
        let Some(from) = ids.iter().position(|id| *id == item) else {
            return Err(StoreError::NotFound(format!(
                "collection {name:?} has no entry {item}"
            )));
        };
        let moved = ids.remove(from);
        ids.insert(position.min(ids.len()), moved);
        catalog.renumber(&ids)
    }

    /// Puts a collection's entries in the given order; `order` must name every entry once.
    pub fn reorder_collection(&self, name: &str, order: &[i64]) -> Result<(), StoreError> {
        self.require_writer()?;
        let catalog = self.catalog()?;
        let mut current = collection_entry_ids(&catalog, name)?;
        let mut wanted = order.to_vec();
        current.sort_unstable();
        wanted.sort_unstable();
        if current != wanted {
            return Err(StoreError::Invalid(
                "the new order must list every entry of the collection once".into(),
            ));
        }
        catalog.renumber(order)
    }

    /// Renames a collection; the new name must be free.
    pub fn rename_collection(&self, name: &str, new_name: &str) -> Result<(), StoreError> {
        self.require_writer()?;
        let new_name = clean_collection_name(new_name)?;
        let catalog = self.catalog()?;
        let collection = catalog.collection_id(name)?;
        if new_name != name && catalog.collection_id(&new_name).is_ok() {
            return Err(StoreError::Invalid(format!(
                "a collection named {new_name:?} exists already"
            )));
        }
        catalog.connection().execute(
            "UPDATE collection_names SET name = ?1 WHERE id = ?2",
            params![new_name, collection],
        )?;
        Ok(())
    }

    /// Deletes a collection and its entries (not the assets).
    pub fn delete_collection(&self, name: &str) -> Result<(), StoreError> {
        self.require_writer()?;
        let catalog = self.catalog()?;
        let collection = catalog.collection_id(name)?;
        catalog
            .connection()
            .execute("DELETE FROM collection_names WHERE id = ?1", [collection])?;
        Ok(())
    }

    /// Imports the ranges schema 1 kept in `collection-ranges.json`: each listed range of an
    /// asset replaces that asset's whole-asset entry. The file is then renamed, so this runs
    /// once. A file that cannot be read is logged and left alone.
    pub(crate) fn import_legacy_collection_ranges(&self) -> Result<(), StoreError> {
        #[derive(Deserialize)]
        struct LegacyRange {
            asset: String,
            start: f64,
            end: f64,
        }
        #[derive(Deserialize)]
        struct LegacyRanges {
            collections: BTreeMap<String, Vec<LegacyRange>>,
        }
        let path = self.dir.join(LEGACY_COLLECTION_RANGES_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(StoreError::io(&path)(error)),
        };
        let legacy: LegacyRanges = match serde_json::from_str(&text) {
            Ok(legacy) => legacy,
            Err(error) => {
                tracing::warn!(path = %path.display(), "collection ranges not imported: {error}");
                return Ok(());
            }
        };
        {
            let catalog = self.catalog()?;
            let transaction = catalog.connection().unchecked_transaction()?;
            for (name, ranges) in &legacy.collections {
                let Ok(collection) = catalog.collection_id(name) else {
                    continue;
                };
                for range in ranges {
                    let Ok(valid) = TimeRange::new(range.start, range.end) else {
                        continue;
                    };
                    let whole: Option<i64> = transaction
                        .query_row(
                            "SELECT position FROM collection_items WHERE collection_id = ?1
                             AND asset_id = ?2 AND start = 0 AND end = 0",
                            params![collection, range.asset],
                            |row| row.get(0),
                        )
                        .optional()?;
                    let position = whole.unwrap_or(i64::MAX / 2);
                    transaction.execute(
                        "INSERT INTO collection_items (collection_id, position, asset_id, start, end, note, added_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, '', ?6)",
                        params![collection, position, range.asset, valid.start, valid.end, now_seconds()],
                    )?;
                }
                for asset in ranges.iter().map(|r| &r.asset) {
                    transaction.execute(
                        "DELETE FROM collection_items WHERE collection_id = ?1 AND asset_id = ?2
                         AND start = 0 AND end = 0",
                        params![collection, asset],
                    )?;
                }
            }
            transaction.commit()?;
            for name in legacy.collections.keys() {
                if let Ok(collection) = catalog.collection_id(name) {
                    let ids: Vec<i64> = catalog
                        .collection_items(collection)?
                        .iter()
                        .map(|i| i.id)
                        .collect();
                    catalog.renumber(&ids)?;
                }
            }
        }
        let done = path.with_extension("json.imported");
        std::fs::rename(&path, &done).map_err(StoreError::io(&path))?;
        tracing::info!(path = %path.display(), "collection ranges moved into the catalog");
        Ok(())
    }
}
