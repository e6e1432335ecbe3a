//! Integration tests of rushes-postgres against a real PostgreSQL 18 + pgvector server
//! (rushes-testkit's harness: one server per test binary, one database per test).

mod corpus;
mod hand_work;
mod ingest;
mod jobs;
mod library;
mod many_users;
mod parity;
mod paths;
mod ranking;
mod rebuild;
mod schema;
mod semantic;
mod text;
mod text_mirror;
mod thumbnails;
mod unreachable;
mod vectors;
mod writes;

use rushes_postgres::Client;
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

/// A fresh database on the shared server, migrated, and its URL.
fn fresh_library() -> Result<(Client, String), TestError> {
    let url = shared_server()?.fresh_database()?;
    let client = rushes_postgres::open(&url)?;
    Ok((client, url))
}

/// Inserts an asset with one moment per entry of `moments` (start times); their ids.
fn asset_with_moments(
    client: &mut Client,
    asset_id: &str,
    moments: &[f64],
) -> Result<Vec<i64>, TestError> {
    client.execute(
        "INSERT INTO assets (id, path, display_path, kind, size, mtime, content_hash, media,
             captured_at, duration, indexed_at)
         VALUES ($1, $2, $3, 'video', 1, 1, $1, '{}', 0, 60, 0)",
        &[
            &asset_id,
            &format!("/footage/{asset_id}.mov").as_bytes(),
            &format!("/footage/{asset_id}.mov"),
        ],
    )?;
    let mut ids = Vec::new();
    for (ordinal, start) in moments.iter().enumerate() {
        let row = client.query_one(
            "INSERT INTO moments (asset_id, ordinal, start_time, end_time, keyframe, ocr_text,
                 transcript)
             VALUES ($1, $2, $3::float8, $3::float8 + 5, $3::float8, '', '[]') RETURNING id",
            &[&asset_id, &(ordinal as i32), start],
        )?;
        ids.push(row.get(0));
    }
    Ok(ids)
}
