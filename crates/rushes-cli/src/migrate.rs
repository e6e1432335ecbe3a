//! `rushes migrate --from ./index --to postgres://…`: copies a local index into a PostgreSQL
//! library, one line of progress per asset on stderr and a summary at the end (JSON on
//! stdout with `--json`). The copy, its transactions and what a second run does live in
//! `rushes_postgres::migrate`; this module only reports.

use std::process::ExitCode;

use anyhow::{Context, Result};
use rushes_postgres::migrate::{MigrateOptions, MigrationSummary, migrate as copy_library};
use rushes_postgres::{PgEngine, without_password};
use serde_json::json;

use crate::args::MigrateArgs;

pub fn migrate(args: MigrateArgs) -> Result<ExitCode> {
    let target = without_password(&args.to);
    let engine = PgEngine::open(&args.to).with_context(|| format!("opening {target}"))?;
    let started = std::time::Instant::now();
    let summary = copy_library(
        &args.from,
        &engine,
        MigrateOptions { force: args.force },
        &mut |progress| eprintln!("{progress}"),
    )
    .with_context(|| format!("copying {} into {target}", args.from.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", summary_json(&summary, seconds));
    } else {
        println!(
            "copied {} assets ({} already there) into {target} in {seconds:.1} s: {} moments, \
             {} frame vectors, {} thumbnails, {} faces of {} people, {} hand tags, {} notes, \
             {} text units ({} with sentence vectors), {} collections ({} already there), \
             {} failures",
            summary.assets_copied,
            summary.assets_skipped,
            summary.moments,
            summary.frame_vectors,
            summary.thumbnails,
            summary.faces,
            summary.people,
            summary.hand_tags,
            summary.notes,
            summary.text_units,
            summary.text_unit_vectors,
            summary.collections_copied,
            summary.collections_skipped,
            summary.failures,
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn summary_json(summary: &MigrationSummary, seconds: f64) -> serde_json::Value {
    json!({
        "assets_copied": summary.assets_copied,
        "assets_skipped": summary.assets_skipped,
        "moments": summary.moments,
        "frame_vectors": summary.frame_vectors,
        "thumbnails": summary.thumbnails,
        "faces": summary.faces,
        "people": summary.people,
        "hand_tags": summary.hand_tags,
        "notes": summary.notes,
        "text_units": summary.text_units,
        "text_unit_vectors": summary.text_unit_vectors,
        "collections_copied": summary.collections_copied,
        "collections_skipped": summary.collections_skipped,
        "failures": summary.failures,
        "seconds": seconds,
    })
}
