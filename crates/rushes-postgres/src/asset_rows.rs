//! An asset's catalog rows in PostgreSQL, on the caller's transaction: writing an
//! `AssetRecord` (asset, transcript lines, screen texts, slates, text units, moments, auto
//! tags, frames and their vectors), deleting them (the rows cascade from `assets`), reading its moments
//! back as the text index sees them (`MomentRow`, with hand tags and notes), and writing
//! each moment's text and filter values (`moment_texts`) from them. The same rules as the
//! SQLite catalog (`rushes-store/src/catalog/assets.rs`): a new version replaces the asset's
//! rows and those of another id at its path; vectors are stored L2-normalised.

use std::collections::HashMap;
use std::path::Path;

use pgvector::Vector;
use postgres::GenericClient;
use rushes_core::{Asset, AssetId, AssetKind, AssetRecord, MediaInfo, ScreenText, TranscriptLine};
use rushes_store::catalog::MomentRow;
use rushes_store::catalog::annotations::HandText;
use rushes_store::catalog::assets::{captured_at, overlaps};
use rushes_store::catalog::sql::{normalised, now_seconds, path_bytes, path_from_bytes};
use rushes_store::catalog::text_units::UnitsOf;
use rushes_store::text::MomentDocument;

use crate::PostgresError;
use crate::hand_rows::{hand_text, ranged};
use crate::text_units::{UnitToWrite, delete_units, write_units};

/// Writes an asset's rows, replacing any earlier version of it (same id, or another id at
/// the same path). The model of its vectors must be registered (`vectors::register_model`).
/// Returns the ids whose rows were replaced.
pub(crate) fn write_asset(
    client: &mut impl GenericClient,
    record: &AssetRecord,
) -> Result<Vec<String>, PostgresError> {
    let asset = &record.asset;
    let id = asset.id.as_str();
    let bytes = path_bytes(&asset.path);
    let mut replaced = vec![id.to_string()];
    if let Some(row) = client.query_opt("SELECT id FROM assets WHERE path = $1", &[&bytes])? {
        let other: String = row.get(0);
        if other != id {
            replaced.push(other);
        }
    }
    for old in &replaced {
        delete_asset_rows(client, old)?;
    }
    let media_json = serde_json::to_string(&asset.media).unwrap_or_else(|_| "{}".into());
    let warnings = serde_json::to_string(&record.warnings).unwrap_or_else(|_| "[]".into());
    client.execute(
        "INSERT INTO assets (id, path, display_path, kind, size, mtime, content_hash, media,
             captured_at, duration, embedding_model, warnings, pending, indexed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9, $10, $11, $12::text::jsonb,
             false, $13)",
        &[
            &id,
            &bytes,
            &asset.path.to_string_lossy().as_ref(),
            &asset.kind.as_str(),
            &(asset.size as i64),
            &asset.mtime,
            &asset.content_hash,
            &media_json,
            &captured_at(asset),
            &asset.media.duration.unwrap_or(0.0),
            &record.embedding_model,
            &warnings,
            &now_seconds(),
        ],
    )?;
    let line = client.prepare(
        "INSERT INTO transcript_lines (asset_id, start_time, end_time, text, source)
         VALUES ($1, $2, $3, $4, $5)",
    )?;
    for text in &record.transcript {
        client.execute(
            &line,
            &[&id, &text.start, &text.end, &text.text, &text.source],
        )?;
    }
    let screen = client.prepare(
        "INSERT INTO screen_texts (asset_id, start_time, end_time, text) VALUES ($1, $2, $3, $4)",
    )?;
    for text in &record.screen_text {
        client.execute(&screen, &[&id, &text.start, &text.end, &text.text])?;
    }
    let slate = client.prepare(
        "INSERT INTO slates (asset_id, start_time, end_time, seen_start, seen_end, tail, scene,
             take, roll, camera, slate)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb)",
    )?;
    for span in &record.slates {
        let fields = &span.slate;
        let json = serde_json::to_string(fields).unwrap_or_else(|_| "{}".into());
        client.execute(
            &slate,
            &[
                &id,
                &span.start,
                &span.end,
                &span.seen_start,
                &span.seen_end,
                &span.tail,
                &fields.scene,
                &fields.take,
                &fields.roll,
                &fields.camera,
                &json,
            ],
        )?;
    }
    let model = record.text_model.as_deref().filter(|m| !m.is_empty());
    let units: Vec<UnitToWrite<'_>> = record.text_units.iter().map(|u| (u, model)).collect();
    write_units(client, id, &units)?;
    write_moments(client, record)?;
    Ok(replaced)
}

/// The moments of `record` with their tags, frames and frame vectors.
fn write_moments(
    client: &mut impl GenericClient,
    record: &AssetRecord,
) -> Result<(), PostgresError> {
    let id = record.asset.id.as_str();
    let moment = client.prepare(
        "INSERT INTO moments (asset_id, ordinal, start_time, end_time, keyframe, thumbnail,
             ocr_text, caption, transcript)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb) RETURNING id",
    )?;
    let tag = client.prepare("INSERT INTO tags (moment_id, tag, score) VALUES ($1, $2, $3)")?;
    let frame = client.prepare(
        "INSERT INTO frames (moment_id, asset_id, time, thumbnail) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )?;
    let vector = client
        .prepare("INSERT INTO frame_vectors (frame_id, model, embedding) VALUES ($1, $2, $3)")?;
    let model = record.embedding_model.as_deref().filter(|m| !m.is_empty());
    for (ordinal, written) in (0i32..).zip(&record.moments) {
        let transcript = serde_json::to_string(&written.transcript).unwrap_or_else(|_| "[]".into());
        let moment_id: i64 = client
            .query_one(
                &moment,
                &[
                    &id,
                    &ordinal,
                    &written.start,
                    &written.end,
                    &written.keyframe,
                    &written.thumbnail,
                    &written.ocr_text,
                    &written.caption,
                    &transcript,
                ],
            )?
            .get(0);
        for (name, score) in &written.tags {
            client.execute(&tag, &[&moment_id, name, score])?;
        }
        for sampled in &written.frames {
            let frame_id: i64 = client
                .query_one(
                    &frame,
                    &[&moment_id, &id, &sampled.time, &sampled.thumbnail],
                )?
                .get(0);
            if let (Some(model), Some(embedding)) = (model, &sampled.embedding) {
                let embedding = Vector::from(normalised(embedding));
                client.execute(&vector, &[&frame_id, &model, &embedding])?;
            }
        }
    }
    Ok(())
}

/// Deletes an asset's catalog rows (moments, frames, vectors, texts and the rest cascade)
/// and the text units indexing found in it. Hand tags, notes (and their units), collection
/// items and faces are kept. Returns whether it existed.
pub(crate) fn delete_asset_rows(
    client: &mut impl GenericClient,
    id: &str,
) -> Result<bool, PostgresError> {
    delete_units(client, id, UnitsOf::Found)?;
    Ok(client.execute("DELETE FROM assets WHERE id = $1", &[&id])? > 0)
}

/// The columns [`asset_from_row`] reads, first in a query's row.
pub(crate) const ASSET_COLUMNS: &str = "id, path, kind, size, mtime, content_hash, media::text";

/// An asset from a row whose first columns are [`ASSET_COLUMNS`].
pub(crate) fn asset_from_row(row: &postgres::Row) -> Asset {
    let stored_id: String = row.get(0);
    let path: Vec<u8> = row.get(1);
    let kind: String = row.get(2);
    let media: String = row.get(6);
    Asset {
        id: AssetId::parse(&stored_id).unwrap_or_else(|| AssetId::from_path(Path::new(&stored_id))),
        path: path_from_bytes(&path),
        kind: AssetKind::parse(&kind).unwrap_or(AssetKind::Video),
        size: row.get::<_, i64>(3) as u64,
        mtime: row.get(4),
        content_hash: row.get(5),
        media: serde_json::from_str::<MediaInfo>(&media).unwrap_or_default(),
    }
}

/// One asset, `None` when the library does not hold it.
pub(crate) fn read_asset(
    client: &mut impl GenericClient,
    id: &str,
) -> Result<Option<Asset>, PostgresError> {
    Ok(client
        .query_opt(
            &format!("SELECT {ASSET_COLUMNS} FROM assets WHERE id = $1"),
            &[&id],
        )?
        .map(|row| asset_from_row(&row)))
}

/// The moments of one asset in time order, with everything the text index needs (as the
/// SQLite catalog's `Assets::asset_moments`).
pub(crate) fn asset_moments(
    client: &mut impl GenericClient,
    id: &str,
) -> Result<Vec<MomentRow>, PostgresError> {
    let Some(row) = client.query_opt(
        &format!(
            "SELECT {ASSET_COLUMNS}, display_path, captured_at, duration FROM assets WHERE id = $1"
        ),
        &[&id],
    )?
    else {
        return Ok(Vec::new());
    };
    let asset = asset_from_row(&row);
    let display_path: String = row.get(7);
    let captured_at: i64 = row.get(8);
    let duration: f64 = row.get(9);
    let hand_text = hand_text(client, id)?;
    let screen_text: Vec<ScreenText> = ranged(
        client,
        "SELECT start_time, end_time, text FROM screen_texts WHERE asset_id = $1
         ORDER BY start_time, ctid",
        id,
    )?
    .into_iter()
    .map(|(start, end, text)| ScreenText { start, end, text })
    .collect();
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for row in client.query(
        "SELECT t.moment_id, t.tag FROM tags t JOIN moments m ON m.id = t.moment_id
         WHERE m.asset_id = $1 ORDER BY t.moment_id, t.score DESC, t.ctid",
        &[&id],
    )? {
        tags.entry(row.get(0)).or_default().push(row.get(1));
    }
    let rows = client.query(
        "SELECT id, start_time, end_time, keyframe, thumbnail, ocr_text, caption,
             transcript::text
         FROM moments WHERE asset_id = $1 ORDER BY ordinal",
        &[&id],
    )?;
    let mut moments = Vec::with_capacity(rows.len());
    for row in rows {
        let moment_id: i64 = row.get(0);
        let (start, end): (f64, f64) = (row.get(1), row.get(2));
        let transcript: String = row.get(7);
        let mut moment_tags = tags.remove(&moment_id).unwrap_or_default();
        moment_tags.extend(hand_text.tags_within(start, end));
        moments.push(MomentRow {
            moment_id,
            asset: asset.clone(),
            display_path: display_path.clone(),
            captured_at,
            duration,
            start,
            end,
            keyframe: row.get(3),
            thumbnail: row.get(4),
            ocr_text: row.get(5),
            caption: row.get(6),
            tags: moment_tags,
            notes: hand_text.notes_within(start, end),
            transcript: serde_json::from_str::<Vec<TranscriptLine>>(&transcript)
                .unwrap_or_default(),
            screen_text: screen_text
                .iter()
                .filter(|run| overlaps((run.start, run.end), (start, end)))
                .cloned()
                .collect(),
        });
    }
    Ok(moments)
}

/// The moments of `ids` that exist, of committed assets, by id: the same `MomentRow`s as
/// [`asset_moments`] gives, but only those asked for, in three queries however many assets
/// they come from (the moments with their auto tags; the assets' hand tags and notes; their
/// on-screen text).
pub(crate) fn moments_by_id(
    client: &mut impl GenericClient,
    ids: &[i64],
) -> Result<HashMap<i64, MomentRow>, PostgresError> {
    let rows = client.query(
        "SELECT a.id, a.path, a.kind, a.size, a.mtime, a.content_hash, a.media::text,
             a.display_path, a.captured_at, a.duration,
             m.id, m.start_time, m.end_time, m.keyframe, m.thumbnail, m.ocr_text, m.caption,
             m.transcript::text,
             ARRAY(SELECT t.tag FROM tags t WHERE t.moment_id = m.id
                   ORDER BY t.score DESC, t.ctid)
         FROM moments m JOIN assets a ON a.id = m.asset_id
         WHERE m.id = ANY($1) AND NOT a.pending",
        &[&ids],
    )?;
    let mut assets: HashMap<String, Asset> = HashMap::new();
    for row in &rows {
        let id: String = row.get(0);
        assets.entry(id).or_insert_with(|| asset_from_row(row));
    }
    let asset_ids: Vec<&str> = assets.keys().map(String::as_str).collect();
    let mut hand_tags: HashMap<String, Vec<(f64, f64, String)>> = HashMap::new();
    let mut hand_notes: HashMap<String, Vec<(f64, f64, String)>> = HashMap::new();
    let mut screen_text: HashMap<String, Vec<ScreenText>> = HashMap::new();
    for (sql, into) in [
        (
            "SELECT asset_id, start_time, end_time, tag FROM hand_tags WHERE asset_id = ANY($1)
             ORDER BY asset_id, tag COLLATE \"C\"",
            &mut hand_tags,
        ),
        (
            "SELECT asset_id, start_time, end_time, note FROM hand_notes
             WHERE asset_id = ANY($1) ORDER BY asset_id, start_time, ctid",
            &mut hand_notes,
        ),
    ] {
        for row in client.query(sql, &[&asset_ids])? {
            into.entry(row.get(0))
                .or_default()
                .push((row.get(1), row.get(2), row.get(3)));
        }
    }
    for row in client.query(
        "SELECT asset_id, start_time, end_time, text FROM screen_texts WHERE asset_id = ANY($1)
         ORDER BY asset_id, start_time, ctid",
        &[&asset_ids],
    )? {
        screen_text.entry(row.get(0)).or_default().push(ScreenText {
            start: row.get(1),
            end: row.get(2),
            text: row.get(3),
        });
    }
    let hand_texts: HashMap<&str, HandText> = asset_ids
        .iter()
        .map(|id| {
            let tags = hand_tags.remove(*id).unwrap_or_default();
            let notes = hand_notes.remove(*id).unwrap_or_default();
            (*id, HandText::from_stored(tags, notes))
        })
        .collect();
    let mut found = HashMap::with_capacity(rows.len());
    for row in &rows {
        let asset_id: String = row.get(0);
        let (Some(asset), Some(hand_text)) = (assets.get(&asset_id), hand_texts.get(&*asset_id))
        else {
            continue;
        };
        let moment_id: i64 = row.get(10);
        let (start, end): (f64, f64) = (row.get(11), row.get(12));
        let transcript: String = row.get(17);
        let mut tags: Vec<String> = row.get(18);
        tags.extend(hand_text.tags_within(start, end));
        let runs = screen_text.get(&asset_id).map(Vec::as_slice).unwrap_or(&[]);
        found.insert(
            moment_id,
            MomentRow {
                moment_id,
                asset: asset.clone(),
                display_path: row.get(7),
                captured_at: row.get(8),
                duration: row.get(9),
                start,
                end,
                keyframe: row.get(13),
                thumbnail: row.get(14),
                ocr_text: row.get(15),
                caption: row.get(16),
                tags,
                notes: hand_text.notes_within(start, end),
                transcript: serde_json::from_str::<Vec<TranscriptLine>>(&transcript)
                    .unwrap_or_default(),
                screen_text: runs
                    .iter()
                    .filter(|run| overlaps((run.start, run.end), (start, end)))
                    .cloned()
                    .collect(),
            },
        );
    }
    Ok(found)
}

/// Replaces the text rows of an asset's moments (`moment_texts`) with `moments`' documents.
pub(crate) fn write_moment_texts(
    client: &mut impl GenericClient,
    asset_id: &str,
    moments: &[MomentRow],
) -> Result<(), PostgresError> {
    client.execute("DELETE FROM moment_texts WHERE asset_id = $1", &[&asset_id])?;
    let insert = client.prepare(
        "INSERT INTO moment_texts (moment_id, asset_id, transcript, ocr, tags, caption, name,
             metadata, notes, kind, folders, folder_facet, camera, tag_values, captured_at,
             duration, start_time, end_time, path_sort)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19)",
    )?;
    for moment in moments {
        let document = MomentDocument::of(moment);
        let [transcript, ocr, tags, caption, name, metadata] = &document.texts;
        client.execute(
            &insert,
            &[
                &moment.moment_id,
                &document.asset_id,
                transcript,
                ocr,
                tags,
                caption,
                name,
                metadata,
                &document.notes,
                &document.kind,
                &document.folders,
                &document.folder_facet,
                &document.camera,
                &document.tag_values,
                &document.date,
                &document.duration,
                &moment.start,
                &moment.end,
                &document.path_sort,
            ],
        )?;
    }
    Ok(())
}

/// Rewrites an asset's moment texts from its rows (its hand work or path changed).
pub(crate) fn refresh_moment_texts(
    client: &mut impl GenericClient,
    asset_id: &str,
) -> Result<(), PostgresError> {
    let moments = asset_moments(client, asset_id)?;
    write_moment_texts(client, asset_id, &moments)
}
