//! The catalog read back whole, for copying a library to another engine (`rushes migrate`
//! to PostgreSQL) without re-indexing any media: an asset's rows as the `AssetRecord`
//! ingest wrote (moments with their auto tags and scores, frames with their embeddings,
//! transcript lines, screen texts, slates, warnings), its faces with their embeddings and
//! people, its hand tags and notes as stored, its text units with their sentence vectors,
//! the people with their names and centroids, and the failures. Reads only; committed
//! assets only.

use std::collections::HashMap;
use std::path::PathBuf;

use rushes_core::{AssetRecord, FaceRect, FrameRecord, MomentRecord, TranscriptLine};

use super::Repositories;
use super::faces::vector_from_blob;
use super::sql::{embedding_from_blob, path_from_bytes, rows};
pub use super::text_units::StoredUnit;
use crate::error::StoreError;

/// A face as stored: the person it is in, and the face as ingest found it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFace {
    pub person: i64,
    pub face: super::faces::NewFace,
}

/// A person as stored: id, name and centroid.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPerson {
    pub id: i64,
    pub name: Option<String>,
    pub centroid: Vec<f32>,
}

/// A hand tag or note row as stored: start, end (whole asset `0, 0`) and its text.
pub type HandRow = (f64, f64, String);

/// A failure as stored: the path's bytes, its display form, the reason and when (Unix s).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFailure {
    pub path: PathBuf,
    pub display_path: String,
    pub reason: String,
    pub at: i64,
}

/// The asset `id` (committed) as the record ingest wrote, `None` when the catalog does not
/// hold it. Text units are left out (`asset_text_units` reads them with their models).
pub fn asset_record(
    catalog: &impl Repositories,
    id: &str,
) -> Result<Option<AssetRecord>, StoreError> {
    let Some(asset) = catalog.assets().asset(id)? else {
        return Ok(None);
    };
    let db = catalog.db();
    let (embedding_model, warnings): (Option<String>, String) = db.query_row(
        "SELECT embedding_model, warnings_json FROM assets WHERE id = ?1",
        [id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let mut tags: HashMap<i64, Vec<(String, f32)>> = HashMap::new();
    for (moment, tag, score) in rows(
        db,
        "SELECT t.moment_id, t.tag, t.score FROM tags t JOIN moments m ON m.id = t.moment_id
         WHERE m.asset_id = ?1 ORDER BY t.moment_id, t.rowid",
        [id],
        |row| Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get::<_, f64>(2)?)),
    )? {
        tags.entry(moment).or_default().push((tag, score as f32));
    }
    let mut frames: HashMap<i64, Vec<FrameRecord>> = HashMap::new();
    for (moment, time, thumbnail, blob) in rows(
        db,
        "SELECT moment_id, time, thumbnail, embedding FROM frames WHERE asset_id = ?1
         ORDER BY moment_id, id",
        [id],
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get::<_, Option<Vec<u8>>>(3)?,
            ))
        },
    )? {
        frames.entry(moment).or_default().push(FrameRecord {
            time,
            thumbnail,
            embedding: blob.map(|blob| embedding_from_blob(&blob)),
        });
    }
    let moments = rows(
        db,
        "SELECT id, start, end, keyframe, thumbnail, ocr_text, caption, transcript_json
         FROM moments WHERE asset_id = ?1 ORDER BY ordinal",
        [id],
        |row| {
            let moment: i64 = row.get(0)?;
            let transcript: String = row.get(7)?;
            Ok(MomentRecord {
                start: row.get(1)?,
                end: row.get(2)?,
                keyframe: row.get(3)?,
                thumbnail: row.get(4)?,
                tags: tags.remove(&moment).unwrap_or_default(),
                ocr_text: row.get(5)?,
                transcript: serde_json::from_str(&transcript).unwrap_or_default(),
                caption: row.get(6)?,
                frames: frames.remove(&moment).unwrap_or_default(),
            })
        },
    )?;
    let transcript = rows(
        db,
        "SELECT start, end, text, source FROM transcript_lines WHERE asset_id = ?1
         ORDER BY start, rowid",
        [id],
        |row| {
            Ok(TranscriptLine {
                start: row.get(0)?,
                end: row.get(1)?,
                text: row.get(2)?,
                source: row.get(3)?,
            })
        },
    )?;
    let mut record = AssetRecord::with_moments(asset, moments);
    record.transcript = transcript;
    record.screen_text = catalog.assets().screen_text(id)?;
    record.slates = catalog
        .slates()
        .spans_of(&[id])?
        .remove(id)
        .unwrap_or_default();
    record.embedding_model = embedding_model;
    record.warnings = serde_json::from_str(&warnings).unwrap_or_default();
    Ok(Some(record))
}

/// The faces of an asset with their people, by time.
pub fn asset_faces(catalog: &impl Repositories, id: &str) -> Result<Vec<StoredFace>, StoreError> {
    if !super::sql::has_table(catalog.db(), "faces")? {
        return Ok(Vec::new());
    }
    rows(
        catalog.db(),
        "SELECT person_id, time, x, y, width, height, sharpness, embedding, thumbnail
         FROM faces WHERE asset_id = ?1 ORDER BY time, id",
        [id],
        |row| {
            Ok(StoredFace {
                person: row.get(0)?,
                face: super::faces::NewFace {
                    time: row.get(1)?,
                    rect: FaceRect {
                        x: row.get(2)?,
                        y: row.get(3)?,
                        width: row.get(4)?,
                        height: row.get(5)?,
                    },
                    sharpness: row.get(6)?,
                    embedding: vector_from_blob(&row.get::<_, Vec<u8>>(7)?),
                    thumbnail: row.get(8)?,
                },
            })
        },
    )
}

/// Every person with their name and centroid, by id.
pub fn people(catalog: &impl Repositories) -> Result<Vec<StoredPerson>, StoreError> {
    if !super::sql::has_table(catalog.db(), "people")? {
        return Ok(Vec::new());
    }
    rows(
        catalog.db(),
        "SELECT id, name, centroid FROM people ORDER BY id",
        [],
        |row| {
            Ok(StoredPerson {
                id: row.get(0)?,
                name: row.get(1)?,
                centroid: vector_from_blob(&row.get::<_, Vec<u8>>(2)?),
            })
        },
    )
}

/// Every text unit of an asset (found and hand-made), in time order, each with its
/// embedding (as the catalog keeps it, f16) and model.
pub fn asset_text_units(
    catalog: &impl Repositories,
    id: &str,
) -> Result<Vec<StoredUnit>, StoreError> {
    catalog.text_units().stored_of_asset(id)
}

/// An asset's hand tags (by tag) and notes (by start) as stored.
pub fn hand_rows(
    catalog: &impl Repositories,
    id: &str,
) -> Result<(Vec<HandRow>, Vec<HandRow>), StoreError> {
    let ranged = |sql: &str| {
        rows(catalog.db(), sql, [id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
    };
    Ok((
        ranged("SELECT start, end, tag FROM hand_tags WHERE asset_id = ?1 ORDER BY tag")?,
        ranged("SELECT start, end, note FROM hand_notes WHERE asset_id = ?1 ORDER BY start")?,
    ))
}

/// Every recorded failure, with its path's exact bytes.
pub fn failures(catalog: &impl Repositories) -> Result<Vec<StoredFailure>, StoreError> {
    rows(
        catalog.db(),
        "SELECT path, display_path, reason, at FROM failures ORDER BY display_path",
        [],
        |row| {
            Ok(StoredFailure {
                path: path_from_bytes(&row.get::<_, Vec<u8>>(0)?),
                display_path: row.get(1)?,
                reason: row.get(2)?,
                at: row.get(3)?,
            })
        },
    )
}
