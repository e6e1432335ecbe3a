//! The catalog's reads on PostgreSQL, as the SQLite catalog's repositories answer them:
//! assets, an asset's detail, on-screen text, counts for `status`, failures,
//! frame → moment, the nearest frame's vector, hand tags and notes, slate spans (all, of
//! some assets, the scene library's clips, the moments they overlap), and the people a
//! `person:` filter names with the moments and ranges showing them. Every function takes a
//! `GenericClient`, so `PgLibrary` reads one search's rows in one transaction.

use std::collections::HashMap;
use std::path::Path;

use pgvector::Vector;
use postgres::GenericClient;
use postgres::types::ToSql;
use rushes_core::{Asset, PersonInMoment, ScreenText, SlateSpan};
use rushes_store::catalog::faces::{AssetRange, face_in_moment_sql};
use rushes_store::catalog::runs::FailureRow;
use rushes_store::catalog::sql::path_bytes;
use rushes_store::slates::{SlateClip, StoredSpan};
use rushes_store::thumbnail_url;

use crate::PostgresError;
use crate::asset_rows::{ASSET_COLUMNS, asset_from_row};

fn assets_where(
    client: &mut impl GenericClient,
    condition: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Asset>, PostgresError> {
    let sql = format!(
        "SELECT {ASSET_COLUMNS} FROM assets WHERE NOT pending AND {condition} ORDER BY display_path COLLATE \"C\""
    );
    Ok(client
        .query(&sql, params)?
        .iter()
        .map(asset_from_row)
        .collect())
}

pub(crate) fn asset(
    client: &mut impl GenericClient,
    id: &str,
) -> Result<Option<Asset>, PostgresError> {
    Ok(assets_where(client, "id = $1", &[&id])?.pop())
}

pub(crate) fn asset_by_path(
    client: &mut impl GenericClient,
    path: &Path,
) -> Result<Option<Asset>, PostgresError> {
    Ok(assets_where(client, "path = $1", &[&path_bytes(path)])?.pop())
}

pub(crate) fn all_assets(client: &mut impl GenericClient) -> Result<Vec<Asset>, PostgresError> {
    assets_where(client, "true", &[])
}

/// The asset's on-screen text runs in time order.
pub(crate) fn screen_text(
    client: &mut impl GenericClient,
    id: &str,
) -> Result<Vec<ScreenText>, PostgresError> {
    Ok(client
        .query(
            "SELECT start_time, end_time, text FROM screen_texts WHERE asset_id = $1
             ORDER BY start_time, ctid",
            &[&id],
        )?
        .iter()
        .map(|row| ScreenText {
            start: row.get(0),
            end: row.get(1),
            text: row.get(2),
        })
        .collect())
}

/// Committed assets by kind, moments and frames.
pub(crate) fn counts(
    client: &mut impl GenericClient,
) -> Result<(HashMap<String, u64>, u64, u64), PostgresError> {
    let by_kind = client
        .query(
            "SELECT kind, count(*) FROM assets WHERE NOT pending GROUP BY kind",
            &[],
        )?
        .iter()
        .map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1).max(0) as u64))
        .collect();
    let moments: i64 = client
        .query_one(
            "SELECT count(*) FROM moments m JOIN assets a ON a.id = m.asset_id
             WHERE NOT a.pending",
            &[],
        )?
        .get(0);
    let frames: i64 = client
        .query_one(
            "SELECT count(*) FROM frames f JOIN assets a ON a.id = f.asset_id WHERE NOT a.pending",
            &[],
        )?
        .get(0);
    Ok((by_kind, moments.max(0) as u64, frames.max(0) as u64))
}

pub(crate) fn failures(client: &mut impl GenericClient) -> Result<Vec<FailureRow>, PostgresError> {
    Ok(client
        .query(
            "SELECT display_path, reason, at FROM failures ORDER BY display_path",
            &[],
        )?
        .iter()
        .map(|row| FailureRow {
            path: row.get(0),
            reason: row.get(1),
            at: row.get(2),
        })
        .collect())
}

/// Embedding models with their dimensions, the most recently used first.
pub(crate) fn embedding_models(
    client: &mut impl GenericClient,
) -> Result<Vec<(String, usize)>, PostgresError> {
    Ok(client
        .query(
            "SELECT name, dim FROM embedding_models ORDER BY last_used DESC, name",
            &[],
        )?
        .iter()
        .map(|row| (row.get(0), row.get::<_, i32>(1).max(0) as usize))
        .collect())
}

/// The moment of each frame id, for frames of committed assets.
pub(crate) fn frame_moments(
    client: &mut impl GenericClient,
    frame_ids: &[u64],
) -> Result<HashMap<u64, i64>, PostgresError> {
    let ids: Vec<i64> = frame_ids.iter().map(|id| *id as i64).collect();
    Ok(client
        .query(
            "SELECT f.id, f.moment_id FROM frames f JOIN assets a ON a.id = f.asset_id
             WHERE f.id = ANY($1) AND NOT a.pending",
            &[&ids],
        )?
        .iter()
        .map(|row| (row.get::<_, i64>(0) as u64, row.get(1)))
        .collect())
}

/// The vector of the asset's frame nearest to `seconds` (of any model).
pub(crate) fn nearest_frame_embedding(
    client: &mut impl GenericClient,
    id: &str,
    seconds: f64,
) -> Result<Option<Vec<f32>>, PostgresError> {
    Ok(client
        .query_opt(
            "SELECT v.embedding FROM frames f JOIN frame_vectors v ON v.frame_id = f.id
             WHERE f.asset_id = $1 ORDER BY abs(f.time - $2), f.id LIMIT 1",
            &[&id, &seconds],
        )?
        .map(|row| row.get::<_, Vector>(0).to_vec()))
}

/// The whole-asset hand tags of an asset.
pub(crate) fn user_tags(
    client: &mut impl GenericClient,
    id: &str,
) -> Result<Vec<String>, PostgresError> {
    Ok(client
        .query(
            "SELECT tag FROM hand_tags WHERE asset_id = $1 AND start_time = 0 AND end_time = 0
             ORDER BY tag",
            &[&id],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

const SPAN_COLUMNS: &str = "SELECT asset_id, start_time, end_time, seen_start, seen_end, tail,
     slate::text FROM slates";

fn span_from_row(row: &postgres::Row) -> StoredSpan {
    let slate: String = row.get(6);
    StoredSpan {
        asset_id: row.get(0),
        span: SlateSpan {
            start: row.get(1),
            end: row.get(2),
            seen_start: row.get(3),
            seen_end: row.get(4),
            tail: row.get(5),
            slate: serde_json::from_str(&slate).unwrap_or_default(),
        },
    }
}

/// Every slate span, by asset then time.
pub(crate) fn all_slates(
    client: &mut impl GenericClient,
) -> Result<Vec<StoredSpan>, PostgresError> {
    let sql = format!("{SPAN_COLUMNS} ORDER BY asset_id, start_time");
    Ok(client.query(&sql, &[])?.iter().map(span_from_row).collect())
}

/// The slate spans of the given assets, by asset id, in time order.
pub(crate) fn slates_of(
    client: &mut impl GenericClient,
    assets: &[&str],
) -> Result<HashMap<String, Vec<SlateSpan>>, PostgresError> {
    let mut by_asset: HashMap<String, Vec<SlateSpan>> = HashMap::new();
    if assets.is_empty() {
        return Ok(by_asset);
    }
    let sql = format!("{SPAN_COLUMNS} WHERE asset_id = ANY($1) ORDER BY asset_id, start_time");
    for row in client.query(&sql, &[&assets])? {
        let stored = span_from_row(&row);
        by_asset
            .entry(stored.asset_id)
            .or_default()
            .push(stored.span);
    }
    Ok(by_asset)
}

/// Ids of the moments overlapping any of `spans`.
pub(crate) fn moments_overlapping(
    client: &mut impl GenericClient,
    spans: &[StoredSpan],
) -> Result<Vec<u64>, PostgresError> {
    let mut ids = Vec::new();
    for stored in spans {
        for row in client.query(
            "SELECT id FROM moments WHERE asset_id = $1 AND start_time < $3
                 AND (end_time > $2 OR start_time >= $2) ORDER BY id",
            &[&stored.asset_id, &stored.span.start, &stored.span.end],
        )? {
            ids.push(row.get::<_, i64>(0) as u64);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Every slated clip of a committed asset with its scene, by path then time.
pub(crate) fn clips_with_scene(
    client: &mut impl GenericClient,
) -> Result<Vec<(String, SlateClip)>, PostgresError> {
    let rows = client.query(
        "SELECT s.asset_id, a.display_path, s.start_time, s.end_time, s.slate::text,
                (SELECT m.thumbnail FROM moments m WHERE m.asset_id = s.asset_id
                   AND m.start_time <= s.seen_start ORDER BY m.start_time DESC LIMIT 1)
             FROM slates s JOIN assets a ON a.id = s.asset_id
             WHERE NOT a.pending AND s.scene IS NOT NULL
             ORDER BY a.display_path COLLATE \"C\", s.start_time",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|row| {
            let slate: String = row.get(4);
            let slate: rushes_core::Slate = serde_json::from_str(&slate).unwrap_or_default();
            (
                slate.scene.clone().unwrap_or_default(),
                SlateClip {
                    asset_id: row.get(0),
                    path: row.get(1),
                    start: row.get(2),
                    end: row.get(3),
                    thumbnail: row
                        .get::<_, Option<String>>(5)
                        .as_deref()
                        .map(thumbnail_url),
                    slate,
                },
            )
        })
        .collect())
}

/// The people whose faces each range shows, most sightings first (ties by id), each with
/// their sharpest, largest face's thumbnail: one query for every range.
pub(crate) fn people_in_ranges(
    client: &mut impl GenericClient,
    ranges: &[AssetRange<'_>],
) -> Result<Vec<Vec<PersonInMoment>>, PostgresError> {
    let mut answer: Vec<Vec<PersonInMoment>> = vec![Vec::new(); ranges.len()];
    if ranges.is_empty() {
        return Ok(answer);
    }
    let sql = format!(
        "SELECT r.n, f.person_id, p.name, f.thumbnail
         FROM unnest($1::text[], $2::float8[], $3::float8[]) WITH ORDINALITY
             AS r(asset_id, start_time, end_time, n)
         JOIN faces f ON f.asset_id = r.asset_id AND {}
         JOIN people p ON p.id = f.person_id
         ORDER BY r.n, f.person_id, f.thumbnail IS NULL,
                  f.width * f.height * LEAST(f.sharpness, 400.0) DESC",
        face_in_moment_sql("f.time", "r.start_time", "r.end_time")
    );
    let assets: Vec<&str> = ranges.iter().map(|range| range.asset_id).collect();
    let starts: Vec<f64> = ranges.iter().map(|range| range.start).collect();
    let ends: Vec<f64> = ranges.iter().map(|range| range.end).collect();
    let mut seen: Vec<Vec<(PersonInMoment, usize)>> = vec![Vec::new(); ranges.len()];
    for row in client.query(&sql, &[&assets, &starts, &ends])? {
        let Some(of_range) = usize::try_from(row.get::<_, i64>(0) - 1)
            .ok()
            .and_then(|n| seen.get_mut(n))
        else {
            continue;
        };
        let id: i64 = row.get(1);
        match of_range.iter_mut().find(|(person, _)| person.id == id) {
            Some((_, sightings)) => *sightings += 1,
            None => of_range.push((
                PersonInMoment {
                    id,
                    name: row.get(2),
                    thumbnail: row
                        .get::<_, Option<String>>(3)
                        .as_deref()
                        .map(thumbnail_url),
                },
                1,
            )),
        }
    }
    for (people, mut sightings) in answer.iter_mut().zip(seen) {
        sightings.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.id.cmp(&b.0.id)));
        *people = sightings.into_iter().map(|(person, _)| person).collect();
    }
    Ok(answer)
}
