//! Moving a local library into PostgreSQL (`rushes migrate --from ./index --to postgres://…`)
//! without re-indexing any media: every committed asset's catalog rows (assets, moments,
//! frames and their vectors, auto tags, transcript lines, screen texts, slates), its hand
//! tags and notes, its faces (in the same people, with their names) and the bytes of its
//! thumbnails and its text units with their sentence vectors go in **one transaction per
//! asset**, with the asset's text-search rows; then
//! the people's centroids, the collections with their entries in order, and the failures.
//!
//! Safe to run again: an asset already in the target with the same content is skipped
//! (its transaction wrote all of it or nothing), people are matched to the ones its faces
//! already went to, a collection already there is left as it is, failures are added once.
//! A target holding assets the local index does not (another library) is refused unless
//! `force`.
//!
//! Frame vectors are read from the catalog, which keeps every frame's embedding (f16) and
//! from which the local vector index (i8-quantised usearch) is built, so nothing is lost to
//! the index's quantisation; text units' vectors likewise from the catalog's copy (no
//! sentence model runs: semantic search finds the same units after the move).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use pgvector::Vector;
use postgres::GenericClient;
use rushes_core::AssetId;
use rushes_store::catalog::annotations::stored;
use rushes_store::catalog::records::{
    StoredFace, StoredUnit, asset_faces, asset_record, asset_text_units, failures, hand_rows,
    people,
};
use rushes_store::catalog::sql::{now_seconds, path_bytes};
use rushes_store::catalog::{CATALOG_FILE, Catalog, Repositories};
use rushes_store::seams::record_vectors;
use rushes_store::thumbnails::{ThumbnailFolder, ThumbnailStore};
use rushes_store::{Index, OpenMode, StoreError};

use crate::asset_rows::{asset_moments, write_asset, write_moment_texts};
use crate::faces::{insert_face, new_person, refresh_centroid};
use crate::text_units::{UnitToWrite, write_units};
use crate::vectors::{TEXT_UNIT_VECTORS, register_model};
use crate::{PgEngine, PostgresError};

/// How a migration runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct MigrateOptions {
    /// Copy into a database that holds assets the local index does not.
    pub force: bool,
}

/// What a migration did, in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationSummary {
    pub assets_copied: usize,
    pub assets_skipped: usize,
    pub moments: usize,
    pub frame_vectors: usize,
    pub thumbnails: usize,
    pub faces: usize,
    pub hand_tags: usize,
    pub notes: usize,
    /// Text units (found and hand-made) and how many of them carried a sentence vector.
    pub text_units: usize,
    pub text_unit_vectors: usize,
    pub people: usize,
    pub collections_copied: usize,
    pub collections_skipped: usize,
    pub failures: usize,
}

/// One line of progress.
#[derive(Debug, Clone, PartialEq)]
pub enum MigrateProgress {
    /// The local index holds `assets` committed assets.
    Started { assets: usize },
    /// Asset `done` of `of` copied, in one transaction.
    Copied {
        done: usize,
        of: usize,
        path: String,
        moments: usize,
        frame_vectors: usize,
        thumbnails: usize,
    },
    /// Asset `done` of `of` was in the target already.
    Skipped {
        done: usize,
        of: usize,
        path: String,
    },
    /// Collections copied and left as they were.
    Collections { copied: usize, skipped: usize },
}

impl fmt::Display for MigrateProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrateProgress::Started { assets } => {
                write!(f, "copying {assets} assets (no media is read again)")
            }
            MigrateProgress::Copied {
                done,
                of,
                path,
                moments,
                frame_vectors,
                thumbnails,
            } => write!(
                f,
                "[{done}/{of}] {path}: {moments} moments, {frame_vectors} frame vectors, \
                 {thumbnails} thumbnails"
            ),
            MigrateProgress::Skipped { done, of, path } => {
                write!(f, "[{done}/{of}] {path}: already there, skipped")
            }
            MigrateProgress::Collections { copied, skipped } => write!(
                f,
                "collections: {copied} copied, {skipped} already there (left as they are)"
            ),
        }
    }
}

/// What one asset's transaction wrote.
#[derive(Default)]
struct AssetCopy {
    moments: usize,
    frame_vectors: usize,
    thumbnails: usize,
    faces: usize,
    hand_tags: usize,
    notes: usize,
    text_units: usize,
    text_unit_vectors: usize,
}

/// Copies the local index at `from` into the library `engine` is open on (see the module
/// doc); `progress` gets a line per asset. The local index is only read.
pub fn migrate(
    from: &Path,
    engine: &PgEngine,
    options: MigrateOptions,
    progress: &mut dyn FnMut(&MigrateProgress),
) -> Result<MigrationSummary, PostgresError> {
    // Opening it as an index checks the folder is one, of a schema this rushes reads.
    drop(Index::open(from, OpenMode::ReadOnly).map_err(PostgresError::Local)?);
    let catalog = Catalog::open(&from.join(CATALOG_FILE), true).map_err(PostgresError::Local)?;
    let snapshot = catalog.begin_read().map_err(PostgresError::Local)?;
    let thumbnails = ThumbnailFolder::new(from);
    let assets = snapshot.assets().all().map_err(PostgresError::Local)?;
    let mut client = engine.pool().get()?;
    refuse_another_library(&mut *client, &assets, from, options)?;

    let local_people = people(&snapshot).map_err(PostgresError::Local)?;
    let names: HashMap<i64, Option<String>> = local_people
        .iter()
        .map(|person| (person.id, person.name.clone()))
        .collect();
    let mut summary = MigrationSummary::default();
    progress(&MigrateProgress::Started {
        assets: assets.len(),
    });
    // First the assets already there: their faces say which target person each local
    // person became on an earlier run.
    let mut present: HashSet<String> = HashSet::new();
    let mut people_map: HashMap<i64, i64> = HashMap::new();
    for asset in &assets {
        let id = asset.id.as_str();
        let found = client.query_opt("SELECT content_hash FROM assets WHERE id = $1", &[&id])?;
        if found.is_some_and(|row| row.get::<_, String>(0) == asset.content_hash) {
            present.insert(id.to_string());
            let faces = asset_faces(&snapshot, id).map_err(PostgresError::Local)?;
            map_people_of_copied_faces(&mut *client, id, &faces, &mut people_map)?;
        }
    }
    for (done, asset) in (1..).zip(&assets) {
        let id = asset.id.as_str();
        let path = asset.path.display().to_string();
        if present.contains(id) {
            summary.assets_skipped += 1;
            progress(&MigrateProgress::Skipped {
                done,
                of: assets.len(),
                path,
            });
            continue;
        }
        let copy = copy_asset(
            &mut client,
            &snapshot,
            &thumbnails,
            &asset.id,
            &names,
            &mut people_map,
        )?;
        summary.assets_copied += 1;
        summary.moments += copy.moments;
        summary.frame_vectors += copy.frame_vectors;
        summary.thumbnails += copy.thumbnails;
        summary.faces += copy.faces;
        summary.hand_tags += copy.hand_tags;
        summary.notes += copy.notes;
        summary.text_units += copy.text_units;
        summary.text_unit_vectors += copy.text_unit_vectors;
        progress(&MigrateProgress::Copied {
            done,
            of: assets.len(),
            path,
            moments: copy.moments,
            frame_vectors: copy.frame_vectors,
            thumbnails: copy.thumbnails,
        });
    }
    // Centroids from the faces as copied (the same mean the local catalog keeps).
    let mut transaction = client.transaction()?;
    let mut targets: Vec<i64> = people_map.values().copied().collect();
    targets.sort_unstable();
    targets.dedup();
    for person in &targets {
        refresh_centroid(&mut transaction, *person)?;
    }
    transaction.commit()?;
    summary.people = targets.len();

    let (copied, skipped) = copy_collections(&mut client, &snapshot)?;
    summary.collections_copied = copied;
    summary.collections_skipped = skipped;
    progress(&MigrateProgress::Collections { copied, skipped });
    for failure in failures(&snapshot).map_err(PostgresError::Local)? {
        summary.failures += client.execute(
            "INSERT INTO failures (path, display_path, reason, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (path) DO NOTHING",
            &[
                &path_bytes(&failure.path),
                &failure.display_path,
                &failure.reason,
                &failure.at,
            ],
        )? as usize;
    }
    Ok(summary)
}

/// Refuses a target holding assets the local index does not (another library), unless
/// `force`.
fn refuse_another_library(
    client: &mut impl GenericClient,
    assets: &[rushes_core::Asset],
    from: &Path,
    options: MigrateOptions,
) -> Result<(), PostgresError> {
    if options.force {
        return Ok(());
    }
    let ours: Vec<&str> = assets.iter().map(|asset| asset.id.as_str()).collect();
    let row = client.query_one(
        "SELECT count(*), min(display_path) FROM assets WHERE NOT (id = ANY($1))",
        &[&ours],
    )?;
    let (foreign, example): (i64, Option<String>) = (row.get(0), row.get(1));
    if foreign > 0 {
        return Err(PostgresError::AnotherLibrary {
            from: from.display().to_string(),
            foreign: foreign as usize,
            example: example.unwrap_or_default(),
        });
    }
    Ok(())
}

/// Records which target person each local person's faces went to, for an asset an earlier
/// run copied (the face at the same time and place).
fn map_people_of_copied_faces(
    client: &mut impl GenericClient,
    asset_id: &str,
    faces: &[StoredFace],
    people_map: &mut HashMap<i64, i64>,
) -> Result<(), PostgresError> {
    for stored in faces {
        if people_map.contains_key(&stored.person) {
            continue;
        }
        let face = &stored.face;
        if let Some(row) = client.query_opt(
            "SELECT person_id FROM faces
             WHERE asset_id = $1 AND time = $2 AND x = $3 AND y = $4 LIMIT 1",
            &[
                &asset_id,
                &face.time,
                &(face.rect.x as i32),
                &(face.rect.y as i32),
            ],
        )? {
            people_map.insert(stored.person, row.get(0));
        }
    }
    Ok(())
}

/// Copies one asset in one transaction: its rows, hand tags and notes, faces, thumbnails,
/// text units with their vectors and text-search rows. People met for the first time are created with their name; the
/// map learns them only once the transaction committed.
fn copy_asset(
    client: &mut postgres::Client,
    catalog: &impl Repositories,
    thumbnails: &ThumbnailFolder,
    id: &AssetId,
    names: &HashMap<i64, Option<String>>,
    people_map: &mut HashMap<i64, i64>,
) -> Result<AssetCopy, PostgresError> {
    let local = |error: StoreError| PostgresError::Local(error);
    let asset_id = id.as_str();
    let Some(record) = asset_record(catalog, asset_id).map_err(local)? else {
        return Ok(AssetCopy::default());
    };
    if let Some((model, dim)) = record_vectors(&record).map_err(local)? {
        // In a short transaction of its own, as the write path does (a model's first
        // registration builds its HNSW index).
        register_model(client, model, dim)?;
    }
    let units = asset_text_units(catalog, asset_id).map_err(local)?;
    register_unit_models(client, &units)?;
    let faces = asset_faces(catalog, asset_id).map_err(local)?;
    let (tags, notes) = hand_rows(catalog, asset_id).map_err(local)?;
    let mut names_of_thumbnails: Vec<String> = thumbnails
        .frames_of(id)
        .map_err(local)?
        .into_iter()
        .map(|frame| frame.relative)
        .collect();
    names_of_thumbnails.extend(faces.iter().filter_map(|f| f.face.thumbnail.clone()));
    names_of_thumbnails.sort();
    names_of_thumbnails.dedup();

    let mut transaction = client.transaction()?;
    write_asset(&mut transaction, &record)?;
    let mut copy = AssetCopy {
        moments: record.moments.len(),
        frame_vectors: record
            .moments
            .iter()
            .flat_map(|moment| &moment.frames)
            .filter(|frame| frame.embedding.is_some())
            .count(),
        hand_tags: tags.len(),
        notes: notes.len(),
        ..AssetCopy::default()
    };
    for forget in [
        "DELETE FROM hand_tags WHERE asset_id = $1",
        "DELETE FROM hand_notes WHERE asset_id = $1",
        "DELETE FROM faces WHERE asset_id = $1",
        "DELETE FROM text_units WHERE asset_id = $1",
    ] {
        transaction.execute(forget, &[&asset_id])?;
    }
    let unit_writes: Vec<UnitToWrite<'_>> = units
        .iter()
        .map(|stored| (&stored.unit, stored.model.as_deref()))
        .collect();
    copy.text_units = units.len();
    copy.text_unit_vectors = write_units(&mut transaction, asset_id, &unit_writes)?;
    let now = now_seconds();
    for (insert, rows) in [
        (
            "INSERT INTO hand_tags (asset_id, start_time, end_time, tag, added_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &tags,
        ),
        (
            "INSERT INTO hand_notes (asset_id, start_time, end_time, note, updated_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &notes,
        ),
    ] {
        for (start, end, text) in rows {
            transaction.execute(insert, &[&asset_id, start, end, text, &now])?;
        }
    }
    let mut new_people: HashMap<i64, i64> = HashMap::new();
    for stored in &faces {
        let face = &stored.face;
        let embedding = Vector::from(face.embedding.clone());
        let person = match people_map
            .get(&stored.person)
            .or(new_people.get(&stored.person))
        {
            Some(person) => *person,
            None => {
                let name = names.get(&stored.person).cloned().flatten();
                let created = new_person(&mut transaction, name.as_deref(), &embedding)?;
                new_people.insert(stored.person, created);
                created
            }
        };
        insert_face(
            &mut transaction,
            asset_id,
            &record.asset.content_hash,
            face,
            &embedding,
            person,
        )?;
        copy.faces += 1;
    }
    for name in &names_of_thumbnails {
        let Some(stored) = thumbnails.read(name).map_err(local)? else {
            continue;
        };
        transaction.execute(
            "INSERT INTO thumbnails (name, asset_id, jpeg) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET asset_id = excluded.asset_id,
                 jpeg = excluded.jpeg, written_at = now()",
            &[name, &asset_id, &stored.jpeg],
        )?;
        copy.thumbnails += 1;
    }
    let moments = asset_moments(&mut transaction, asset_id)?;
    write_moment_texts(&mut transaction, asset_id, &moments)?;
    transaction.commit()?;
    people_map.extend(new_people);
    Ok(copy)
}

/// Registers the sentence model of every unit vector in `units` with its size, each in a
/// short transaction of its own (as the write path does); a model of two sizes is refused.
fn register_unit_models(
    client: &mut postgres::Client,
    units: &[StoredUnit],
) -> Result<(), PostgresError> {
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for stored in units {
        let (Some(model), Some(embedding)) = (&stored.model, &stored.unit.embedding) else {
            continue;
        };
        let expected = *sizes.entry(model).or_insert(embedding.len());
        if expected != embedding.len() {
            return Err(PostgresError::Dimensions {
                model: model.clone(),
                expected: expected as i32,
                got: embedding.len(),
            });
        }
    }
    for (model, dim) in sizes {
        TEXT_UNIT_VECTORS.register(client, model, dim)?;
    }
    Ok(())
}

/// Copies every collection the target does not have by name, each with its entries in
/// order in one transaction. Returns (copied, left as they were).
fn copy_collections(
    client: &mut postgres::Client,
    catalog: &impl Repositories,
) -> Result<(usize, usize), PostgresError> {
    let local = |error: StoreError| PostgresError::Local(error);
    let collections = catalog.collections();
    let (mut copied, mut skipped) = (0, 0);
    for summary in collections.summaries().map_err(local)? {
        let id = collections.id_of(&summary.name).map_err(local)?;
        let items = collections.items(id).map_err(local)?;
        let mut transaction = client.transaction()?;
        let now = now_seconds();
        let created = transaction.query_opt(
            "INSERT INTO collection_names (name, created_at) VALUES ($1, $2)
             ON CONFLICT (name) DO NOTHING RETURNING id",
            &[&summary.name, &now],
        )?;
        let Some(row) = created else {
            skipped += 1;
            continue;
        };
        let collection: i64 = row.get(0);
        for (position, item) in (1i32..).zip(&items) {
            let (start, end) = stored(item.range);
            transaction.execute(
                "INSERT INTO collection_items (collection_id, position, asset_id, start_time,
                     end_time, note, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &collection,
                    &position,
                    &item.asset.as_str(),
                    &start,
                    &end,
                    &item.note,
                    &now,
                ],
            )?;
        }
        transaction.commit()?;
        copied += 1;
    }
    Ok((copied, skipped))
}
