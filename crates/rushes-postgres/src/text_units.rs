//! Text units in PostgreSQL, for semantic search: every transcript line, on-screen text
//! run and caption of an asset (what indexing found, `AssetRecord::text_units`), and its hand
//! notes, hand tags and collection-entry notes, each with its window, text and sentence
//! vector (`text_units` and `text_unit_vectors`, schema step 7). The same rules as the
//! SQLite catalog's text units (`rushes_store::catalog::text_units`): found units are
//! written and deleted with their asset's rows, in its transaction; hand units outlive them
//! until the asset is forgotten, and are rebuilt from the hand text by
//! `PgEngine::refresh_hand_units` (`text_unit_methods.rs`) (built by the store's `hand_units_of`, embedded by
//! `embed_hand_units`, so both engines make the same units). Search reads them as the
//! ranking's `text_vectors` (a `PgVectors` over `vectors::TEXT_UNIT_VECTORS`) and `matched_units`.

use std::collections::HashMap;

use pgvector::Vector;
use postgres::GenericClient;
use rushes_core::{TextUnit, TextUnitKind};
use rushes_store::catalog::annotations::from_stored;
use rushes_store::catalog::sql::normalised;
use rushes_store::catalog::text_units::{UnitRow, UnitsOf};
use rushes_store::workflow::hand_units_of;

use crate::PostgresError;
use crate::hand_rows::hand_text;

/// One unit to write and the sentence model of its vector (`None`: stored without one).
pub(crate) type UnitToWrite<'a> = (&'a TextUnit, Option<&'a str>);

/// Writes units of `asset_id`, each with its vector when it has one and a model (the
/// model registered in `vectors::TEXT_UNIT_VECTORS`). Returns how many vectors were written.
pub(crate) fn write_units(
    client: &mut impl GenericClient,
    asset_id: &str,
    units: &[UnitToWrite<'_>],
) -> Result<usize, PostgresError> {
    if units.is_empty() {
        return Ok(0);
    }
    let insert = client.prepare(
        "INSERT INTO text_units (asset_id, kind, start_time, end_time, text)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )?;
    let vector = client
        .prepare("INSERT INTO text_unit_vectors (unit_id, model, embedding) VALUES ($1, $2, $3)")?;
    let mut vectors = 0;
    for (unit, model) in units {
        let unit_id: i64 = client
            .query_one(
                &insert,
                &[
                    &asset_id,
                    &unit.kind.as_str(),
                    &unit.start,
                    &unit.end,
                    &unit.text,
                ],
            )?
            .get(0);
        let embedding = unit.embedding.as_deref().filter(|v| !v.is_empty());
        if let (Some(model), Some(embedding)) = (model, embedding) {
            let embedding = Vector::from(normalised(embedding));
            client.execute(&vector, &[&unit_id, model, &embedding])?;
            vectors += 1;
        }
    }
    Ok(vectors)
}

/// Deletes an asset's units of one sort (their vectors go with them).
pub(crate) fn delete_units(
    client: &mut impl GenericClient,
    asset_id: &str,
    which: UnitsOf,
) -> Result<(), PostgresError> {
    client.execute(
        &format!(
            "DELETE FROM text_units WHERE asset_id = $1 AND {}",
            which.condition()
        ),
        &[&asset_id],
    )?;
    Ok(())
}

/// An asset's hand notes and tags and its collection entries' notes as units (without
/// vectors), as the local engine builds them.
pub(crate) fn hand_units(
    client: &mut impl GenericClient,
    asset_id: &str,
) -> Result<Vec<TextUnit>, PostgresError> {
    let hand = hand_text(client, asset_id)?;
    let collection_notes: Vec<_> = client
        .query(
            "SELECT start_time, end_time, note FROM collection_items
             WHERE asset_id = $1 AND note <> '' ORDER BY id",
            &[&asset_id],
        )?
        .iter()
        .map(|row| (from_stored(row.get(0), row.get(1)), row.get(2)))
        .collect();
    Ok(hand_units_of(&hand, &collection_notes))
}

/// Deletes the hand units of `asset_id` whose note or tag is gone (compared by kind, window
/// and text with what its hand text makes now); the others keep their vectors.
pub(crate) fn drop_gone_hand_units(
    client: &mut impl GenericClient,
    asset_id: &str,
) -> Result<(), PostgresError> {
    let keep = hand_units(client, asset_id)?;
    let stored = client.query(
        &format!(
            "SELECT id, kind, start_time, end_time, text FROM text_units
             WHERE asset_id = $1 AND {}",
            UnitsOf::Hand.condition()
        ),
        &[&asset_id],
    )?;
    let gone: Vec<i64> = stored
        .iter()
        .filter(|row| {
            let (kind, start, end, text): (&str, f64, f64, &str) =
                (row.get(1), row.get(2), row.get(3), row.get(4));
            !keep.iter().any(|unit| {
                unit.kind.as_str() == kind
                    && unit.start == start
                    && unit.end == end
                    && unit.text == text
            })
        })
        .map(|row| row.get(0))
        .collect();
    if !gone.is_empty() {
        client.execute("DELETE FROM text_units WHERE id = ANY($1)", &[&gone])?;
    }
    Ok(())
}

/// The units among `unit_ids` whose asset the library holds, each with the moment it starts
/// in (the asset's first moment when it starts before all), in the order of `unit_ids`.
pub(crate) fn matched(
    client: &mut impl GenericClient,
    unit_ids: &[u64],
) -> Result<Vec<UnitRow>, PostgresError> {
    let ids: Vec<i64> = unit_ids.iter().map(|id| *id as i64).collect();
    let rows = client.query(
        "SELECT u.id, u.kind, u.start_time, u.end_time, u.text,
                COALESCE(
                    (SELECT m.id FROM moments m WHERE m.asset_id = u.asset_id
                        AND m.start_time <= u.start_time + 0.000001
                        ORDER BY m.start_time DESC LIMIT 1),
                    (SELECT m.id FROM moments m WHERE m.asset_id = u.asset_id
                        ORDER BY m.start_time LIMIT 1))
         FROM text_units u JOIN assets a ON a.id = u.asset_id
         WHERE u.id = ANY($1) AND NOT a.pending",
        &[&ids],
    )?;
    let mut found: HashMap<u64, UnitRow> = HashMap::with_capacity(rows.len());
    for row in rows {
        let unit_id = row.get::<_, i64>(0) as u64;
        let (Some(kind), Some(moment_id)) = (
            TextUnitKind::parse(row.get(1)),
            row.get::<_, Option<i64>>(5),
        ) else {
            continue;
        };
        found.insert(
            unit_id,
            UnitRow {
                unit_id,
                moment_id,
                kind,
                start: row.get(2),
                end: row.get(3),
                text: row.get(4),
            },
        );
    }
    Ok(unit_ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Sentence models of the stored unit vectors, with their dimensions, by name.
pub(crate) fn models(
    client: &mut impl GenericClient,
) -> Result<Vec<(String, usize)>, PostgresError> {
    Ok(client
        .query(
            "SELECT m.name, m.dim FROM text_unit_models m
             WHERE EXISTS (SELECT 1 FROM text_unit_vectors v WHERE v.model = m.name)
             ORDER BY m.name",
            &[],
        )?
        .iter()
        .map(|row| (row.get(0), row.get::<_, i32>(1).max(0) as usize))
        .collect())
}
