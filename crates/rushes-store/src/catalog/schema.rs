//! Every migration of the catalog, in one ordered list: `PRAGMA user_version` counts how
//! many ran. A new table or column is a new entry at the end, never an edit of an old one,
//! so an index made by any earlier rushes opens and migrates to this one.

use std::path::Path;

use rusqlite::Connection;

use crate::error::StoreError;

/// Schema 1: assets, moments, frames, tags, transcripts, failures, runs, embedding models.
const ASSETS_AND_MOMENTS: &str = r#"
CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    path BLOB NOT NULL UNIQUE,
    display_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    media_json TEXT NOT NULL,
    captured_at INTEGER NOT NULL,
    duration REAL NOT NULL,
    embedding_model TEXT,
    warnings_json TEXT NOT NULL DEFAULT '[]',
    pending INTEGER NOT NULL DEFAULT 1,
    indexed_at INTEGER NOT NULL
);
CREATE INDEX assets_by_hash ON assets(content_hash);
CREATE INDEX assets_pending ON assets(pending) WHERE pending = 1;
CREATE TABLE moments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    keyframe REAL NOT NULL,
    thumbnail TEXT,
    ocr_text TEXT NOT NULL,
    caption TEXT,
    transcript_json TEXT NOT NULL
);
CREATE INDEX moments_by_asset ON moments(asset_id, ordinal);
CREATE TABLE frames (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    moment_id INTEGER NOT NULL REFERENCES moments(id) ON DELETE CASCADE,
    asset_id TEXT NOT NULL,
    time REAL NOT NULL,
    thumbnail TEXT,
    model TEXT,
    embedding BLOB
);
CREATE INDEX frames_by_moment ON frames(moment_id);
CREATE INDEX frames_by_asset ON frames(asset_id, time);
CREATE TABLE tags (
    moment_id INTEGER NOT NULL REFERENCES moments(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    score REAL NOT NULL
);
CREATE INDEX tags_by_moment ON tags(moment_id);
CREATE TABLE user_tags (
    asset_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (asset_id, tag)
);
CREATE TABLE collections (
    name TEXT NOT NULL,
    asset_id TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (name, asset_id)
);
CREATE TABLE transcript_lines (
    asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    start REAL NOT NULL,
    end REAL NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX transcript_by_asset ON transcript_lines(asset_id, start);
CREATE TABLE failures (
    path BLOB PRIMARY KEY,
    display_path TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    files_done INTEGER NOT NULL DEFAULT 0,
    files_failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE embedding_models (
    name TEXT PRIMARY KEY,
    dim INTEGER NOT NULL,
    last_used INTEGER NOT NULL
);
-- Vector keys removed from the catalog whose removal from the vector files is not yet
-- saved; a crash before the save is repaired from here.
CREATE TABLE stale_frames (
    frame_id INTEGER PRIMARY KEY,
    model TEXT NOT NULL
);
"#;

/// Schema 2: hand tags and notes on assets and ranges, ordered collections of ranges.
/// Whole-asset annotations and items are stored with `start = end = 0`. Moves the
/// asset-only `user_tags` and `collections` of schema 1 over.
const ANNOTATIONS_AND_COLLECTIONS: &str = r#"
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

/// Schema 3: on-screen text with the interval it is on screen (`AssetRecord::screen_text`):
/// the text index gives each moment the runs overlapping it, and a hit on one plays from it.
const SCREEN_TEXTS: &str = r#"
CREATE TABLE IF NOT EXISTS screen_texts (
    asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    start REAL NOT NULL,
    end REAL NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS screen_texts_by_asset ON screen_texts(asset_id, start);
"#;

/// Schema 4: slate spans (`IF NOT EXISTS`: a catalog rolled back to an older schema by hand
/// keeps its tables).
const SLATES: &str = r#"
CREATE TABLE IF NOT EXISTS slates (
    asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    start REAL NOT NULL,
    end REAL NOT NULL,
    seen_start REAL NOT NULL,
    seen_end REAL NOT NULL,
    tail INTEGER NOT NULL DEFAULT 0,
    scene TEXT,
    take TEXT,
    roll TEXT,
    camera TEXT,
    slate_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS slates_by_asset ON slates(asset_id, start);
"#;

/// Schema 5: faces and the people they are grouped into. Before this step the tables were
/// created on the first face written, so an older catalog may hold them already
/// (`IF NOT EXISTS`).
const PEOPLE_AND_FACES: &str = r#"
CREATE TABLE IF NOT EXISTS people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT,
    centroid BLOB NOT NULL,
    centroid_faces INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS faces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    time REAL NOT NULL,
    x INTEGER NOT NULL,
    y INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    sharpness REAL NOT NULL,
    embedding BLOB NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people(id),
    thumbnail TEXT
);
CREATE INDEX IF NOT EXISTS faces_by_asset ON faces(asset_id, time);
CREATE INDEX IF NOT EXISTS faces_by_person ON faces(person_id);
CREATE INDEX IF NOT EXISTS faces_by_content ON faces(content_hash, time);
"#;

/// Schema 6: text units for semantic search (`AssetRecord::text_units`): each transcript
/// line, on-screen text run and caption with its window and its sentence embedding (keyed in
/// the text-unit vector index by `id`, a space of its own beside the frames'), and the unit
/// keys deleted from the catalog but not yet from the vector files. Hand notes and tags are
/// units too and outlive their asset's rows like `hand_tags` do, hence no foreign key.
const TEXT_UNITS: &str = r#"
CREATE TABLE IF NOT EXISTS text_units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    text TEXT NOT NULL,
    model TEXT,
    embedding BLOB
);
CREATE INDEX IF NOT EXISTS text_units_by_asset ON text_units(asset_id, start);
CREATE INDEX IF NOT EXISTS text_units_by_model ON text_units(model) WHERE embedding IS NOT NULL;
CREATE TABLE IF NOT EXISTS stale_text_units (
    unit_id INTEGER PRIMARY KEY,
    model TEXT NOT NULL
);
"#;

/// Schema migrations, applied in order.
const MIGRATIONS: &[&str] = &[
    ASSETS_AND_MOMENTS,
    ANNOTATIONS_AND_COLLECTIONS,
    SCREEN_TEXTS,
    SLATES,
    PEOPLE_AND_FACES,
    TEXT_UNITS,
];

/// The catalog schema this rushes writes: how many migrations have run (`PRAGMA user_version`).
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

fn version(db: &Connection) -> Result<usize, StoreError> {
    let version: i64 = db.pragma_query_value(None, "user_version", |row| row.get(0))?;
    Ok(usize::try_from(version).unwrap_or(0))
}

/// Refuses a catalog written by a newer rushes.
pub(crate) fn check_not_newer(db: &Connection, path: &Path) -> Result<usize, StoreError> {
    let version = version(db)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            message: format!("catalog schema {version} is newer than this rushes understands"),
        });
    }
    Ok(version)
}

/// Runs the migrations the catalog has not had yet, each in its own transaction.
pub(crate) fn migrate(db: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let version = check_not_newer(db, path)?;
    for (number, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        let transaction = db.transaction()?;
        transaction.execute_batch(migration)?;
        transaction.pragma_update(None, "user_version", (number + 1) as i64)?;
        transaction.commit()?;
        tracing::debug!(version = number + 1, "catalog migrated");
    }
    Ok(())
}
