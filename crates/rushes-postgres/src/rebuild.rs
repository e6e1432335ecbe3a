//! `rushes reindex --index postgres://…`: what rebuilding the derived indexes means in
//! PostgreSQL, with the store's progress and outcome types (`rushes_store::rebuild`).
//!
//! - **Text**: every asset's `moment_texts` rows are written again from its catalog rows
//!   (`MomentDocument`, as ingest writes them), one transaction per asset, so the stored
//!   `document` tsvectors are made again by the current `rushes_text` analyzer; then the GIN
//!   index is rebuilt.
//! - **Vectors**: every HNSW index (a frame model's, the faces') is rebuilt with `REINDEX
//!   INDEX CONCURRENTLY`.
//!
//! Safe to interrupt: an asset's texts change in one transaction, so a search sees the old
//! ones or the new ones; `REINDEX … CONCURRENTLY` serves from the old index until the new
//! one replaces it, and a run stopped midway leaves an invalid `…_ccnew` copy, which the next
//! run drops first. Nothing in the catalog changes.

use std::ops::ControlFlow;

use postgres::Client;
use rushes_store::rebuild::{RebuildOutcome, RebuildProgress, RebuildSummary};

use crate::PostgresError;
use crate::asset_rows::refresh_moment_texts;

/// Assets between two progress reports of the text stage.
const TEXT_REPORT_EVERY: u64 = 64;
/// Tries of one asset's texts when a concurrent write of the same asset collides.
const TRIES: usize = 3;

/// Rebuilds the text documents and vector indexes of the library at `url`. `progress` is
/// called as work advances; `ControlFlow::Break` stops the run between two steps.
pub fn reindex(
    url: &str,
    mut progress: impl FnMut(&RebuildProgress) -> ControlFlow<()>,
) -> Result<RebuildOutcome, PostgresError> {
    let mut client = crate::open(url)?;
    drop_interrupted_rebuilds(&mut client)?;
    let mut summary = RebuildSummary::default();

    let assets: Vec<String> = client
        .query("SELECT id FROM assets ORDER BY id", &[])?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let total = assets.len() as u64;
    let mut report = |done: u64| {
        progress(&RebuildProgress {
            stage: "text".to_string(),
            done,
            total,
        })
    };
    if report(0).is_break() {
        return Ok(RebuildOutcome::Cancelled);
    }
    for (done, asset) in (1..).zip(&assets) {
        rewrite_texts(&mut client, asset)?;
        if (done % TEXT_REPORT_EVERY == 0 || done == total) && report(done).is_break() {
            return Ok(RebuildOutcome::Cancelled);
        }
    }
    client.batch_execute("REINDEX INDEX CONCURRENTLY moment_texts_document")?;
    client.batch_execute("REINDEX INDEX CONCURRENTLY moment_ranks_document")?;
    summary.assets = total;
    summary.moments = count(&mut client, "SELECT count(*) FROM moment_texts")?;

    for HnswIndex {
        stage,
        name,
        rows: vectors,
        model,
    } in hnsw_indexes(&mut client)?
    {
        let step = |done| RebuildProgress {
            stage: stage.clone(),
            done,
            total: vectors,
        };
        if progress(&step(0)).is_break() {
            return Ok(RebuildOutcome::Cancelled);
        }
        client.batch_execute(&format!("REINDEX INDEX CONCURRENTLY \"{name}\""))?;
        if let Some(model) = model {
            summary.vectors.push((model, vectors));
        }
        if progress(&step(vectors)).is_break() {
            return Ok(RebuildOutcome::Cancelled);
        }
    }
    Ok(RebuildOutcome::Done(summary))
}

/// One asset's texts again from its rows, in one transaction. A hand edit or a worker
/// writing the same asset at that moment can collide on a moment's row: tried again.
fn rewrite_texts(client: &mut Client, asset: &str) -> Result<(), PostgresError> {
    let mut tries = 0;
    loop {
        tries += 1;
        let mut write = || -> Result<(), PostgresError> {
            let mut transaction = client.transaction()?;
            refresh_moment_texts(&mut transaction, asset)?;
            transaction.commit()?;
            Ok(())
        };
        match write() {
            Ok(()) => return Ok(()),
            Err(error) if tries < TRIES && collided(&error) => continue,
            Err(error) => return Err(error),
        }
    }
}

fn collided(error: &PostgresError) -> bool {
    use postgres::error::SqlState;
    let PostgresError::Query(error) = error else {
        return false;
    };
    [
        SqlState::UNIQUE_VIOLATION,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::FOREIGN_KEY_VIOLATION,
    ]
    .iter()
    .any(|state| error.code() == Some(state))
}

/// An HNSW index to rebuild.
struct HnswIndex {
    /// `vectors <model>` for a frame model's, `vectors <table>` for another.
    stage: String,
    name: String,
    /// Rows it covers.
    rows: u64,
    /// The frame model it serves, if it is a frame model's.
    model: Option<String>,
}

/// Every valid HNSW index of the library.
fn hnsw_indexes(client: &mut Client) -> Result<Vec<HnswIndex>, PostgresError> {
    let models: Vec<(String, String, i64)> = client
        .query(
            "SELECT m.name, 'frame_vectors_hnsw_' || left(md5(m.name), 16),
                    (SELECT count(*) FROM frame_vectors v WHERE v.model = m.name)
             FROM embedding_models m ORDER BY m.name",
            &[],
        )?
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    let indexes: Vec<(String, String)> = client
        .query(
            "SELECT i.relname::text, t.relname::text
             FROM pg_index x
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN pg_class t ON t.oid = x.indrelid
             JOIN pg_am am ON am.oid = i.relam
             WHERE am.amname = 'hnsw' AND x.indisvalid
                 AND i.relnamespace = 'public'::regnamespace
             ORDER BY t.relname, i.relname",
            &[],
        )?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let mut found = Vec::new();
    for (index, table) in indexes {
        match models.iter().find(|(_, name, _)| *name == index) {
            Some((model, _, vectors)) => found.push(HnswIndex {
                stage: format!("vectors {model}"),
                name: index,
                rows: (*vectors).max(0) as u64,
                model: Some(model.clone()),
            }),
            None => found.push(HnswIndex {
                stage: format!("vectors {table}"),
                rows: count(client, &format!("SELECT count(*) FROM \"{table}\""))?,
                name: index,
                model: None,
            }),
        }
    }
    Ok(found)
}

/// Drops what an interrupted `REINDEX … CONCURRENTLY` left: invalid `…_ccnew` indexes.
fn drop_interrupted_rebuilds(client: &mut Client) -> Result<(), PostgresError> {
    let leftovers: Vec<String> = client
        .query(
            "SELECT i.relname::text FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE NOT x.indisvalid AND i.relname ~ '_ccnew[0-9]*$'
                 AND i.relnamespace = 'public'::regnamespace",
            &[],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect();
    for index in leftovers {
        client.batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS \"{index}\""))?;
    }
    Ok(())
}

fn count(client: &mut Client, sql: &str) -> Result<u64, PostgresError> {
    Ok(client.query_one(sql, &[])?.get::<_, i64>(0).max(0) as u64)
}
