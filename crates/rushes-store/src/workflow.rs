//! What people add to an index by hand: tags and notes on assets and on time ranges of
//! them (moments), and ordered collections of ranges. Kept in the catalog keyed by asset id
//! and seconds, never by moment row id, because moments are rebuilt on every re-index; the
//! asset id survives re-indexing and moves, so the annotations do too. Tags and notes reach
//! the text index through the moments whose time they overlap (`tag:blooper`), and semantic
//! search as text units ([`hand_units`], embedded by `Index::refresh_hand_units`).
//! This module owns the rules and each operation's unit of work; the rows are the catalog's
//! `annotations` and `collections` repositories'. Machine tags, moments and search are not
//! here (see `catalog`, `text`, `search`).
//! Hand text is checked here once for every caller (CLI, API): no control characters in a
//! tag, a collection or a person's name ([`check_label`]); a note may hold line breaks and
//! tabs; a range must lie within its asset's duration.

use std::collections::BTreeMap;
use std::path::Path;

use rushes_core::{Asset, AssetId, AssetKind, TextUnit, TextUnitKind};
use serde::Deserialize;

use crate::catalog::annotations::{HandText, stored};
use crate::catalog::{Catalog, Repositories};
use crate::error::StoreError;

pub use crate::catalog::annotations::{Annotation, TimeRange};
pub use crate::catalog::collections::{Collection, CollectionItem, CollectionSummary};

/// The file in which schema 1 kept collection ranges beside the catalog; imported into
/// `collection_items` once, then renamed to `<name>.imported`.
pub const LEGACY_COLLECTION_RANGES_FILE: &str = "collection-ranges.json";

/// How far past an asset's probed duration a range may end: players, frame times and
/// container durations disagree by a frame or two.
pub const RANGE_END_TOLERANCE: f64 = 0.5;

/// A tag trimmed, 1 to 100 characters, no control character (every engine's rule).
pub fn clean_tag(tag: &str) -> Result<String, StoreError> {
    trimmed_within(tag, 100, "a tag")
}

/// A collection name trimmed, 1 to 200 characters, no control character.
pub fn clean_collection_name(name: &str) -> Result<String, StoreError> {
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
pub fn clean_note(note: &str) -> Result<String, StoreError> {
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
/// last moment, asked of `last_moment_end`, when the probe found none), give or take
/// [`RANGE_END_TOLERANCE`]. Every engine's rule: the caller reads the asset its own way.
pub fn check_range_within(
    asset: &Asset,
    range: Option<TimeRange>,
    last_moment_end: impl FnOnce() -> Result<Option<f64>, StoreError>,
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
        None => last_moment_end()?,
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

/// The error for an asset the index does not hold.
pub fn no_asset(id: &AssetId) -> StoreError {
    StoreError::NotFound(format!("no asset {id} in this index"))
}

/// The error for an entry a collection does not hold.
pub fn no_entry(name: &str, item: i64) -> StoreError {
    StoreError::NotFound(format!("collection {name:?} has no entry {item}"))
}

/// The error for a collection name already taken.
pub fn name_taken(name: &str) -> StoreError {
    StoreError::Invalid(format!("a collection named {name:?} exists already"))
}

/// Refuses an asset the index does not hold, and a range that does not lie within it.
fn require_asset(
    catalog: &Catalog,
    id: &AssetId,
    range: Option<TimeRange>,
) -> Result<(), StoreError> {
    let Some(asset) = catalog.assets().asset(id.as_str())? else {
        return Err(no_asset(id));
    };
    check_range_within(&asset, range, || {
        catalog.assets().last_moment_end(asset.id.as_str())
    })
}

/// An annotation request checked once for every engine: the tags to add cleaned
/// ([`clean_tag`]), those to remove trimmed, the note cleaned ([`clean_note`]; `None`
/// leaves it, `""` removes it).
#[derive(Debug, Clone, PartialEq)]
pub struct HandEdit {
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub note: Option<String>,
}

impl HandEdit {
    /// Checks a request; a refused one names what is wrong.
    pub fn checked(
        add: &[String],
        remove: &[String],
        note: Option<&str>,
    ) -> Result<HandEdit, StoreError> {
        Ok(HandEdit {
            add: add
                .iter()
                .map(|t| clean_tag(t))
                .collect::<Result<Vec<_>, _>>()?,
            remove: remove.iter().map(|t| t.trim().to_string()).collect(),
            note: note.map(clean_note).transpose()?,
        })
    }

    /// Whether it adds text: its range must then lie within the asset. Removing needs no
    /// valid range, so a range an older rushes accepted can be cleaned up.
    pub fn adds_text(&self) -> bool {
        !self.add.is_empty() || self.note.as_deref().is_some_and(|n| !n.is_empty())
    }

    /// Whether it asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty() && self.note.is_none()
    }
}

/// Adds and removes hand tags and sets the note (`None` leaves it, `""` removes it) of an
/// asset or a range of it, in one transaction. Everything is checked first (tags, note, that
/// the range lies within the asset), so a refused request writes nothing. Returns whether
/// anything was asked (the asset's text documents then need refreshing).
pub(crate) fn annotate(
    catalog: &Catalog,
    id: &AssetId,
    range: Option<TimeRange>,
    add: &[String],
    remove: &[String],
    note: Option<&str>,
) -> Result<bool, StoreError> {
    let edit = HandEdit::checked(add, remove, note)?;
    require_asset(catalog, id, range.filter(|_| edit.adds_text()))?;
    if edit.is_empty() {
        return Ok(false);
    }
    let transaction = catalog.write()?;
    let annotations = transaction.annotations();
    for tag in &edit.add {
        annotations.add_tag(id.as_str(), range, tag)?;
    }
    for tag in &edit.remove {
        annotations.remove_tag(id.as_str(), range, tag)?;
    }
    if let Some(note) = edit.note.as_deref() {
        annotations.set_note(id.as_str(), range, note)?;
    }
    transaction.commit()?;
    Ok(true)
}

/// The hand tags and notes of an asset, one entry per range (the whole asset first).
pub(crate) fn annotations(catalog: &Catalog, id: &AssetId) -> Result<Vec<Annotation>, StoreError> {
    Ok(annotations_of(
        catalog.annotations().hand_text(id.as_str())?,
    ))
}

/// An asset's hand tags and notes as annotations, one entry per range (the whole asset
/// first, then by start and end): how every engine answers `annotations`.
pub fn annotations_of(text: HandText) -> Vec<Annotation> {
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
    annotations
}

/// A collection's entries in order; `NotFound` when there is no such collection.
pub(crate) fn collection(catalog: &Catalog, name: &str) -> Result<Collection, StoreError> {
    let collections = catalog.collections();
    let id = collections.id_of(name)?;
    Ok(Collection {
        name: name.to_string(),
        items: collections.items(id)?,
    })
}

/// Creates an empty collection (nothing happens if it exists).
pub(crate) fn create_collection(catalog: &Catalog, name: &str) -> Result<(), StoreError> {
    let name = clean_collection_name(name)?;
    catalog.collections().create(&name)
}

/// Appends an asset or a range of it to a collection (created on first use), once: adding
/// the same range again returns the existing entry. Returns the entry.
pub(crate) fn add_to_collection(
    catalog: &Catalog,
    name: &str,
    id: &AssetId,
    range: Option<TimeRange>,
    note: &str,
) -> Result<CollectionItem, StoreError> {
    let note = clean_note(note)?;
    let name = clean_collection_name(name)?;
    require_asset(catalog, id, range)?;
    let collections = catalog.collections();
    collections.create(&name)?;
    let collection = collections.id_of(&name)?;
    let item_id = collections.add(collection, id, range, &note)?;
    Ok(CollectionItem {
        id: item_id,
        asset: id.clone(),
        range,
        note,
    })
}

/// Removes one entry of a collection; returns the asset it was of.
pub(crate) fn remove_from_collection(
    catalog: &Catalog,
    name: &str,
    item: i64,
) -> Result<String, StoreError> {
    let collections = catalog.collections();
    let collection = collections.id_of(name)?;
    collections
        .remove(collection, item)?
        .ok_or_else(|| no_entry(name, item))
}

/// Moves one entry to `position` (0-based, clamped to the end).
pub(crate) fn move_in_collection(
    catalog: &Catalog,
    name: &str,
    item: i64,
    position: usize,
) -> Result<(), StoreError> {
    let ids = moved_entry(catalog.collections().entry_ids(name)?, name, item, position)?;
    renumber(catalog, &ids)
}

/// A collection's entry ids (`ids`, in order) with `item` moved to `position` (0-based,
/// clamped to the end); `NotFound` when collection `name` has no such entry.
pub fn moved_entry(
    mut ids: Vec<i64>,
    name: &str,
    item: i64,
    position: usize,
) -> Result<Vec<i64>, StoreError> {
    let Some(from) = ids.iter().position(|id| *id == item) else {
        return Err(no_entry(name, item));
    };
    let moved = ids.remove(from);
    ids.insert(position.min(ids.len()), moved);
    Ok(ids)
}

/// Rewrites a collection's positions in the given order, in one transaction.
fn renumber(catalog: &Catalog, ids: &[i64]) -> Result<(), StoreError> {
    let transaction = catalog.write()?;
    transaction.collections().renumber(ids)?;
    transaction.commit()
}

/// Puts a collection's entries in the given order; `order` must name every entry once.
pub(crate) fn reorder_collection(
    catalog: &Catalog,
    name: &str,
    order: &[i64],
) -> Result<(), StoreError> {
    check_new_order(catalog.collections().entry_ids(name)?, order)?;
    renumber(catalog, order)
}

/// Refuses a new order that does not name every entry of `current` once.
pub fn check_new_order(mut current: Vec<i64>, order: &[i64]) -> Result<(), StoreError> {
    let mut wanted = order.to_vec();
    current.sort_unstable();
    wanted.sort_unstable();
    if current != wanted {
        return Err(StoreError::Invalid(
            "the new order must list every entry of the collection once".into(),
        ));
    }
    Ok(())
}

/// Renames a collection; the new name must be free.
pub(crate) fn rename_collection(
    catalog: &Catalog,
    name: &str,
    new_name: &str,
) -> Result<(), StoreError> {
    let new_name = clean_collection_name(new_name)?;
    let collections = catalog.collections();
    let collection = collections.id_of(name)?;
    if new_name != name && collections.id_of(&new_name).is_ok() {
        return Err(name_taken(&new_name));
    }
    collections.rename(collection, &new_name)
}

/// Deletes a collection and its entries (not the assets).
pub(crate) fn delete_collection(catalog: &Catalog, name: &str) -> Result<Vec<String>, StoreError> {
    let collections = catalog.collections();
    let collection = collections.id_of(name)?;
    let assets = collections.assets_in(collection)?;
    collections.delete(collection)?;
    Ok(assets)
}

/// Imports the ranges schema 1 kept in `collection-ranges.json` in the index folder `dir`:
/// each listed range of an asset replaces that asset's whole-asset entry. The file is then
/// renamed, so this runs once. A file that cannot be read is logged and left alone.
pub(crate) fn import_legacy_collection_ranges(
    catalog: &Catalog,
    dir: &Path,
) -> Result<(), StoreError> {
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
    let path = dir.join(LEGACY_COLLECTION_RANGES_FILE);
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
    let transaction = catalog.write()?;
    let collections = transaction.collections();
    for (name, ranges) in &legacy.collections {
        let ranges: Vec<(String, f64, f64)> = ranges
            .iter()
            .map(|r| (r.asset.clone(), r.start, r.end))
            .collect();
        collections.import_legacy_ranges(name, &ranges)?;
    }
    for name in legacy.collections.keys() {
        if let Ok(ids) = collections.entry_ids(name) {
            collections.renumber(&ids)?;
        }
    }
    transaction.commit()?;
    let done = path.with_extension("json.imported");
    std::fs::rename(&path, &done).map_err(StoreError::io(&path))?;
    tracing::info!(path = %path.display(), "collection ranges moved into the catalog");
    Ok(())
}
/// An asset's hand notes and tags, and the notes on its collection entries, as text units
/// (see [`hand_units_of`]).
pub(crate) fn hand_units(catalog: &Catalog, id: &str) -> Result<Vec<TextUnit>, StoreError> {
    let hand = catalog.annotations().hand_text(id)?;
    let collection_notes = catalog.collections().notes_of(id)?;
    Ok(hand_units_of(&hand, &collection_notes))
}

/// An asset's hand notes and tags (`hand`) and the notes on its collection entries (each
/// with its entry's range, `None` for the whole asset) as text units (without embeddings),
/// each over its range, or over `0–0` when it is on the whole asset (the hit then keeps its
/// moment's window). A collection note is a note like the others: it finds the entry's
/// range by meaning. The same text on the same range is one unit. Both engines build an
/// asset's hand units with it.
pub fn hand_units_of(
    hand: &HandText,
    collection_notes: &[(Option<TimeRange>, String)],
) -> Vec<TextUnit> {
    let unit = |kind, range: &Option<TimeRange>, text: &str| TextUnit {
        kind,
        start: range.map_or(0.0, |r| r.start),
        end: range.map_or(0.0, |r| r.end),
        text: text.trim().to_owned(),
        embedding: None,
    };
    let mut units: Vec<TextUnit> = Vec::new();
    let notes = hand.notes.iter().chain(collection_notes);
    let all = notes
        .map(|(range, note)| unit(TextUnitKind::Note, range, note))
        .chain(
            hand.tags
                .iter()
                .map(|(range, tag)| unit(TextUnitKind::Tag, range, tag)),
        );
    for candidate in all {
        if !candidate.text.is_empty() && !units.contains(&candidate) {
            units.push(candidate);
        }
    }
    units
}

/// Gives `units` their embeddings by `embedding`, in one call; a model that fails changes
/// nothing and says why, in the same words on both engines.
pub fn embed_hand_units(
    units: &mut [TextUnit],
    embedding: &dyn crate::seams::UnitEmbedding,
) -> Result<(), StoreError> {
    if units.is_empty() {
        return Ok(());
    }
    let texts: Vec<&str> = units.iter().map(|unit| unit.text.as_str()).collect();
    let vectors = embedding.embed(&texts).map_err(|reason| {
        StoreError::Vector(format!(
            "sentence model {} failed on hand notes and tags: {reason}",
            embedding.model()
        ))
    })?;
    for (unit, vector) in units.iter_mut().zip(vectors) {
        unit.embedding = Some(vector);
    }
    Ok(())
}
