//! The collections repository: named, ordered collections of assets and ranges of them.
//! Whole assets are stored as the range `(0, 0)`; positions run `1..=n`.

use rushes_core::AssetId;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::catalog::annotations::{TimeRange, from_stored, stored};
use crate::catalog::sql::{now_seconds, rows};
use crate::error::StoreError;

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

/// The error for a collection that does not exist.
pub fn no_collection(name: &str) -> StoreError {
    StoreError::NotFound(format!("no collection named {name:?}"))
}

/// Collections and their entries, on the catalog's connection or one transaction of it.
pub struct Collections<'c> {
    db: &'c Connection,
}

impl<'c> Collections<'c> {
    pub(crate) fn on(db: &'c Connection) -> Collections<'c> {
        Collections { db }
    }

    /// The id of the collection called `name`; `NotFound` when there is none.
    pub fn id_of(&self, name: &str) -> Result<i64, StoreError> {
        self.db
            .query_row(
                "SELECT id FROM collection_names WHERE name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| no_collection(name))
    }

    /// A collection's entries, in order.
    pub fn items(&self, collection: i64) -> Result<Vec<CollectionItem>, StoreError> {
        let found = rows(
            self.db,
            "SELECT id, asset_id, start, end, note FROM collection_items
             WHERE collection_id = ?1 ORDER BY position, id",
            [collection],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, f64>(2)?,
                    row.get::<_, f64>(3)?,
                    row.get::<_, String>(4)?,
                ))
            },
        )?;
        Ok(found
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

    /// The ids of a collection's entries, in order.
    pub fn entry_ids(&self, name: &str) -> Result<Vec<i64>, StoreError> {
        let collection = self.id_of(name)?;
        Ok(self.items(collection)?.iter().map(|item| item.id).collect())
    }

    /// Rewrites positions `1..=n` in the given order.
    pub fn renumber(&self, ids: &[i64]) -> Result<(), StoreError> {
        for (position, id) in ids.iter().enumerate() {
            self.db.execute(
                "UPDATE collection_items SET position = ?1 WHERE id = ?2",
                params![position as i64 + 1, id],
            )?;
        }
        Ok(())
    }

    /// Every collection with its size, by name.
    pub fn summaries(&self) -> Result<Vec<CollectionSummary>, StoreError> {
        rows(
            self.db,
            "SELECT n.name, COUNT(i.id) FROM collection_names n
             LEFT JOIN collection_items i ON i.collection_id = n.id
             GROUP BY n.id ORDER BY n.name COLLATE NOCASE",
            [],
            |row| {
                Ok(CollectionSummary {
                    name: row.get(0)?,
                    items: row.get::<_, i64>(1)?.max(0) as u64,
                })
            },
        )
    }

    /// Creates an empty collection (nothing happens if it exists).
    pub fn create(&self, name: &str) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT OR IGNORE INTO collection_names (name, created_at) VALUES (?1, ?2)",
            params![name, now_seconds()],
        )?;
        Ok(())
    }

    /// Appends an asset or a range of it to a collection, once: adding the same range again
    /// returns the existing entry (its note replaced when `note` is not empty).
    pub fn add(
        &self,
        collection: i64,
        id: &AssetId,
        range: Option<TimeRange>,
        note: &str,
    ) -> Result<i64, StoreError> {
        let (start, end) = stored(range);
        let existing: Option<i64> = self
            .db
            .query_row(
                "SELECT id FROM collection_items
                 WHERE collection_id = ?1 AND asset_id = ?2 AND start = ?3 AND end = ?4",
                params![collection, id.as_str(), start, end],
                |row| row.get(0),
            )
            .optional()?;
        match existing {
            Some(item_id) => {
                if !note.is_empty() {
                    self.db.execute(
                        "UPDATE collection_items SET note = ?1 WHERE id = ?2",
                        params![note, item_id],
                    )?;
                }
                Ok(item_id)
            }
            None => {
                self.db.execute(
                    "INSERT INTO collection_items (collection_id, position, asset_id, start, end, note, added_at)
                     VALUES (?1, (SELECT COALESCE(MAX(position), 0) + 1 FROM collection_items
                                  WHERE collection_id = ?1), ?2, ?3, ?4, ?5, ?6)",
                    params![collection, id.as_str(), start, end, note, now_seconds()],
                )?;
                Ok(self.db.last_insert_rowid())
            }
        }
    }

    /// Removes one entry; false when the collection has no such entry.
    pub fn remove(&self, collection: i64, item: i64) -> Result<bool, StoreError> {
        let removed = self.db.execute(
            "DELETE FROM collection_items WHERE collection_id = ?1 AND id = ?2",
            params![collection, item],
        )?;
        Ok(removed > 0)
    }

    pub fn rename(&self, collection: i64, new_name: &str) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE collection_names SET name = ?1 WHERE id = ?2",
            params![new_name, collection],
        )?;
        Ok(())
    }

    /// Deletes a collection and its entries (not the assets).
    pub fn delete(&self, collection: i64) -> Result<(), StoreError> {
        self.db
            .execute("DELETE FROM collection_names WHERE id = ?1", [collection])?;
        Ok(())
    }

    /// Deletes every entry of an asset, in every collection.
    pub fn forget_asset(&self, id: &str) -> Result<(), StoreError> {
        self.db
            .execute("DELETE FROM collection_items WHERE asset_id = ?1", [id])?;
        Ok(())
    }

    /// Puts ranges schema 1 kept beside the catalog into collection `name`: each range of an
    /// asset takes the place of that asset's whole-asset entry. Invalid ranges and unknown
    /// collections are skipped.
    pub fn import_legacy_ranges(
        &self,
        name: &str,
        ranges: &[(String, f64, f64)],
    ) -> Result<(), StoreError> {
        let Ok(collection) = self.id_of(name) else {
            return Ok(());
        };
        for (asset, start, end) in ranges {
            let Ok(valid) = TimeRange::new(*start, *end) else {
                continue;
            };
            let whole: Option<i64> = self
                .db
                .query_row(
                    "SELECT position FROM collection_items WHERE collection_id = ?1
                     AND asset_id = ?2 AND start = 0 AND end = 0",
                    params![collection, asset],
                    |row| row.get(0),
                )
                .optional()?;
            let position = whole.unwrap_or(i64::MAX / 2);
            self.db.execute(
                "INSERT INTO collection_items (collection_id, position, asset_id, start, end, note, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, '', ?6)",
                params![collection, position, asset, valid.start, valid.end, now_seconds()],
            )?;
        }
        for (asset, _, _) in ranges {
            self.db.execute(
                "DELETE FROM collection_items WHERE collection_id = ?1 AND asset_id = ?2
                 AND start = 0 AND end = 0",
                params![collection, asset],
            )?;
        }
        Ok(())
    }
}
