//! Hand work on a PostgreSQL library: hand tags and notes on assets and ranges of them, and
//! ordered collections, as inherent [`PgEngine`] methods with the signatures of the
//! `Index` facade's (so `Library` can call either). The rules and messages are the store's
//! (`rushes_store::workflow`: cleaning, range checks, errors); the rows are the same tables
//! as the SQLite catalog's. A tag or note is written with the asset's `moment_texts` in one
//! transaction, so text search finds it at once, from every machine.
//!
//! Many users: every edit of a collection first locks its `collection_names` row
//! (`SELECT … FOR UPDATE`), so two servers adding to, moving in or reordering one collection
//! at once take turns: nothing is lost and positions stay `1..=n` in one order.

use postgres::{GenericClient, Transaction};
use rushes_core::AssetId;
use rushes_store::StoreError;
use rushes_store::catalog::annotations::{from_stored, stored};
use rushes_store::catalog::collections::no_collection;
use rushes_store::catalog::sql::now_seconds;
use rushes_store::workflow::{
    Annotation, Collection, CollectionItem, CollectionSummary, HandEdit, TimeRange, annotations_of,
    check_new_order, check_range_within, clean_collection_name, clean_note, moved_entry,
    name_taken, no_asset, no_entry,
};

use crate::PgEngine;
use crate::asset_rows::{read_asset, refresh_moment_texts};
use crate::error::OrStoreError;
use crate::hand_rows::hand_text;
use crate::text_units::drop_gone_hand_units;

impl PgEngine {
    /// Runs `work` in one transaction, committed when it succeeds (rolled back otherwise).
    pub(crate) fn in_transaction<T>(
        &self,
        work: impl FnOnce(&mut Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.pool().get().or_store_error()?;
        let mut transaction = client.transaction().or_store_error()?;
        let value = work(&mut transaction)?;
        transaction.commit().or_store_error()?;
        Ok(value)
    }

    /// Runs `work` on a connection of the pool (each statement on its own).
    pub(crate) fn reading<T>(
        &self,
        work: impl FnOnce(&mut postgres::Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.pool().get().or_store_error()?;
        work(&mut client)
    }

    // ------------------------------------------------------------ hand tags and notes

    /// Adds and removes hand tags and sets the note (`None` leaves it, `""` removes it) of an
    /// asset or a range of it, with the asset's moment texts, in one transaction; a refused
    /// request writes nothing (the store's `HandEdit` rules).
    pub fn annotate(
        &self,
        id: &AssetId,
        range: Option<TimeRange>,
        add: &[String],
        remove: &[String],
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let edit = HandEdit::checked(add, remove, note)?;
        self.in_transaction(|transaction| {
            require_asset(transaction, id, range.filter(|_| edit.adds_text()))?;
            if edit.is_empty() {
                return Ok(());
            }
            write_hand_edit(transaction, id.as_str(), range, &edit)?;
            refresh_moment_texts(transaction, id.as_str()).or_store_error()
        })
    }

    /// Whole-asset hand tags of an asset.
    pub fn user_tags(&self, id: &AssetId) -> Result<Vec<String>, StoreError> {
        self.reading(|client| {
            Ok(client
                .query(
                    "SELECT tag FROM hand_tags
                     WHERE asset_id = $1 AND start_time = 0 AND end_time = 0
                     ORDER BY tag COLLATE \"C\"",
                    &[&id.as_str()],
                )
                .or_store_error()?
                .iter()
                .map(|row| row.get(0))
                .collect())
        })
    }

    /// The hand tags and notes of an asset, one entry per range (the whole asset first).
    pub fn annotations(&self, id: &AssetId) -> Result<Vec<Annotation>, StoreError> {
        self.reading(|client| {
            Ok(annotations_of(
                hand_text(client, id.as_str()).or_store_error()?,
            ))
        })
    }

    // ------------------------------------------------------------ collections

    /// Every collection with its size, by name (case folded as SQLite's `NOCASE`).
    pub fn collections(&self) -> Result<Vec<CollectionSummary>, StoreError> {
        self.reading(|client| {
            Ok(client
                .query(
                    "SELECT n.name, count(i.id) FROM collection_names n
                     LEFT JOIN collection_items i ON i.collection_id = n.id
                     GROUP BY n.id, n.name ORDER BY lower(n.name) COLLATE \"C\", n.id",
                    &[],
                )
                .or_store_error()?
                .iter()
                .map(|row| CollectionSummary {
                    name: row.get(0),
                    items: row.get::<_, i64>(1).max(0) as u64,
                })
                .collect())
        })
    }

    /// A collection's entries in order; `NotFound` when there is no such collection.
    pub fn collection(&self, name: &str) -> Result<Collection, StoreError> {
        self.reading(|client| {
            let id = collection_id(client, name, false)?;
            Ok(Collection {
                name: name.to_string(),
                items: items(client, id)?,
            })
        })
    }

    /// Creates an empty collection (nothing happens if it exists).
    pub fn create_collection(&self, name: &str) -> Result<(), StoreError> {
        let name = clean_collection_name(name)?;
        self.reading(|client| create(client, &name))
    }

    /// Appends an asset or a range of it to a collection (created on first use), once:
    /// adding the same range again returns the existing entry (its note replaced when the
    /// new one is not empty). Returns the entry. Concurrent adds take turns on the
    /// collection's row, so each gets the next position.
    pub fn add_to_collection(
        &self,
        name: &str,
        id: &AssetId,
        range: Option<TimeRange>,
        note: &str,
    ) -> Result<CollectionItem, StoreError> {
        let note = clean_note(note)?;
        let name = clean_collection_name(name)?;
        self.in_transaction(|transaction| {
            require_asset(transaction, id, range)?;
            create(transaction, &name)?;
            let collection = collection_id(transaction, &name, true)?;
            let (start, end) = stored(range);
            let existing = transaction
                .query_opt(
                    "SELECT id FROM collection_items WHERE collection_id = $1 AND asset_id = $2
                     AND start_time = $3 AND end_time = $4",
                    &[&collection, &id.as_str(), &start, &end],
                )
                .or_store_error()?;
            let item = match existing {
                Some(row) => {
                    let item: i64 = row.get(0);
                    if !note.is_empty() {
                        transaction
                            .execute(
                                "UPDATE collection_items SET note = $1 WHERE id = $2",
                                &[&note, &item],
                            )
                            .or_store_error()?;
                    }
                    item
                }
                None => transaction
                    .query_one(
                        "INSERT INTO collection_items (collection_id, position, asset_id,
                             start_time, end_time, note, added_at)
                         VALUES ($1, (SELECT coalesce(max(position), 0) + 1
                                      FROM collection_items WHERE collection_id = $1),
                             $2, $3, $4, $5, $6)
                         RETURNING id",
                        &[
                            &collection,
                            &id.as_str(),
                            &start,
                            &end,
                            &note,
                            &now_seconds(),
                        ],
                    )
                    .or_store_error()?
                    .get(0),
            };
            Ok(CollectionItem {
                id: item,
                asset: id.clone(),
                range,
                note,
            })
        })
    }

    /// Removes one entry of a collection, and its note's text unit.
    pub fn remove_from_collection(&self, name: &str, item: i64) -> Result<(), StoreError> {
        self.in_transaction(|transaction| {
            let collection = collection_id(transaction, name, true)?;
            let removed = transaction
                .query_opt(
                    "DELETE FROM collection_items WHERE collection_id = $1 AND id = $2
                     RETURNING asset_id",
                    &[&collection, &item],
                )
                .or_store_error()?;
            let Some(removed) = removed else {
                return Err(no_entry(name, item));
            };
            // The entry's note is no longer found by meaning.
            drop_gone_hand_units(transaction, removed.get(0)).or_store_error()
        })
    }

    /// Moves one entry to `position` (0-based, clamped to the end).
    pub fn move_in_collection(
        &self,
        name: &str,
        item: i64,
        position: usize,
    ) -> Result<(), StoreError> {
        self.in_transaction(|transaction| {
            let collection = collection_id(transaction, name, true)?;
            let ids = entry_ids(transaction, collection)?;
            renumber(transaction, &moved_entry(ids, name, item, position)?)
        })
    }

    /// Puts a collection's entries in the given order; `order` must name every entry once.
    pub fn reorder_collection(&self, name: &str, order: &[i64]) -> Result<(), StoreError> {
        self.in_transaction(|transaction| {
            let collection = collection_id(transaction, name, true)?;
            check_new_order(entry_ids(transaction, collection)?, order)?;
            renumber(transaction, order)
        })
    }

    /// Renames a collection; the new name must be free.
    pub fn rename_collection(&self, name: &str, new_name: &str) -> Result<(), StoreError> {
        let new_name = clean_collection_name(new_name)?;
        self.in_transaction(|transaction| {
            let collection = collection_id(transaction, name, true)?;
            if new_name != name && collection_id(transaction, &new_name, false).is_ok() {
                return Err(name_taken(&new_name));
            }
            transaction
                .execute(
                    "UPDATE collection_names SET name = $1 WHERE id = $2",
                    &[&new_name, &collection],
                )
                .or_store_error()?;
            Ok(())
        })
    }

    /// Deletes a collection and its entries (not the assets), and its notes' text units.
    pub fn delete_collection(&self, name: &str) -> Result<(), StoreError> {
        self.in_transaction(|transaction| {
            let collection = collection_id(transaction, name, true)?;
            let assets: Vec<String> = transaction
                .query(
                    "SELECT DISTINCT asset_id FROM collection_items WHERE collection_id = $1",
                    &[&collection],
                )
                .or_store_error()?
                .iter()
                .map(|row| row.get(0))
                .collect();
            transaction
                .execute("DELETE FROM collection_names WHERE id = $1", &[&collection])
                .or_store_error()?;
            // Its entries' notes are no longer found by meaning.
            for asset in &assets {
                drop_gone_hand_units(transaction, asset).or_store_error()?;
            }
            Ok(())
        })
    }
}

/// Refuses an asset the library does not hold, and a range that does not lie within it.
fn require_asset(
    client: &mut impl GenericClient,
    id: &AssetId,
    range: Option<TimeRange>,
) -> Result<(), StoreError> {
    let Some(asset) = read_asset(client, id.as_str()).or_store_error()? else {
        return Err(no_asset(id));
    };
    check_range_within(&asset, range, || {
        Ok(client
            .query_one(
                "SELECT max(end_time) FROM moments WHERE asset_id = $1",
                &[&id.as_str()],
            )
            .or_store_error()?
            .get(0))
    })
}

/// Writes a checked edit's tags and note on one range of an asset.
fn write_hand_edit(
    client: &mut impl GenericClient,
    id: &str,
    range: Option<TimeRange>,
    edit: &HandEdit,
) -> Result<(), StoreError> {
    let (start, end) = stored(range);
    let now = now_seconds();
    for tag in &edit.add {
        client
            .execute(
                "INSERT INTO hand_tags (asset_id, start_time, end_time, tag, added_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[&id, &start, &end, tag, &now],
            )
            .or_store_error()?;
    }
    for tag in &edit.remove {
        client
            .execute(
                "DELETE FROM hand_tags
                 WHERE asset_id = $1 AND start_time = $2 AND end_time = $3 AND tag = $4",
                &[&id, &start, &end, tag],
            )
            .or_store_error()?;
    }
    match edit.note.as_deref() {
        None => {}
        Some("") => {
            client
                .execute(
                    "DELETE FROM hand_notes
                     WHERE asset_id = $1 AND start_time = $2 AND end_time = $3",
                    &[&id, &start, &end],
                )
                .or_store_error()?;
        }
        Some(note) => {
            client
                .execute(
                    "INSERT INTO hand_notes (asset_id, start_time, end_time, note, updated_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (asset_id, start_time, end_time)
                     DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at",
                    &[&id, &start, &end, &note, &now],
                )
                .or_store_error()?;
        }
    }
    Ok(())
}

/// Creates a collection unless one has the name (two creating it at once make one).
fn create(client: &mut impl GenericClient, name: &str) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO collection_names (name, created_at) VALUES ($1, $2)
             ON CONFLICT (name) DO NOTHING",
            &[&name, &now_seconds()],
        )
        .or_store_error()?;
    Ok(())
}

/// The id of the collection called `name`, its row locked until the transaction ends when
/// `lock` (edits of one collection take turns); `NotFound` when there is none.
fn collection_id(
    client: &mut impl GenericClient,
    name: &str,
    lock: bool,
) -> Result<i64, StoreError> {
    let sql = if lock {
        "SELECT id FROM collection_names WHERE name = $1 FOR UPDATE"
    } else {
        "SELECT id FROM collection_names WHERE name = $1"
    };
    client
        .query_opt(sql, &[&name])
        .or_store_error()?
        .map(|row| row.get(0))
        .ok_or_else(|| no_collection(name))
}

/// A collection's entries, in order.
fn items(
    client: &mut impl GenericClient,
    collection: i64,
) -> Result<Vec<CollectionItem>, StoreError> {
    Ok(client
        .query(
            "SELECT id, asset_id, start_time, end_time, note FROM collection_items
             WHERE collection_id = $1 ORDER BY position, id",
            &[&collection],
        )
        .or_store_error()?
        .iter()
        .filter_map(|row| {
            let (start, end): (f64, f64) = (row.get(2), row.get(3));
            Some(CollectionItem {
                id: row.get(0),
                asset: AssetId::parse(row.get(1))?,
                range: from_stored(start, end),
                note: row.get(4),
            })
        })
        .collect())
}

/// The ids of a collection's entries, in order.
fn entry_ids(client: &mut impl GenericClient, collection: i64) -> Result<Vec<i64>, StoreError> {
    Ok(items(client, collection)?
        .iter()
        .map(|item| item.id)
        .collect())
}

/// Rewrites positions `1..=n` in the given order, in one statement.
fn renumber(client: &mut impl GenericClient, ids: &[i64]) -> Result<(), StoreError> {
    client
        .execute(
            "UPDATE collection_items c SET position = o.position::int
             FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, position) WHERE c.id = o.id",
            &[&ids],
        )
        .or_store_error()?;
    Ok(())
}
