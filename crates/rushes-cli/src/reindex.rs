//! `rushes reindex`: rebuilds the text and vector indexes from the catalog with progress
//! (a bar on a terminal, plain lines otherwise). The work and its crash safety live in
//! `rushes_store::rebuild` for a folder and `rushes_postgres::rebuild` for a `postgres://`
//! URL (the text documents and HNSW indexes); this module only reports, the same for both.

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::process::ExitCode;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rushes_store::rebuild::{self, RebuildOutcome, RebuildProgress};
use serde_json::json;

use crate::args::ReindexArgs;

/// Plain progress lines are printed at most this often per stage (in tenths).
const PLAIN_STEPS: u64 = 10;

pub fn reindex(args: ReindexArgs) -> Result<ExitCode> {
    let dir = &args.location.index;
    let shown = crate::location::shown(dir);
    let started = std::time::Instant::now();
    let terminal = std::io::stderr().is_terminal() && !args.json;
    let bar = if terminal {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut stage = String::new();
    let mut last_step = 0;
    let report = |progress: &RebuildProgress| {
        if progress.stage != stage {
            stage.clone_from(&progress.stage);
            last_step = 0;
            bar.set_length(progress.total);
            bar.set_message(progress.stage.clone());
            if !terminal {
                tracing::info!("reindex: {} ({} to do)", progress.stage, progress.total);
            }
        }
        bar.set_position(progress.done);
        let step = (progress.done * PLAIN_STEPS)
            .checked_div(progress.total)
            .unwrap_or(PLAIN_STEPS);
        if !terminal && step > last_step {
            last_step = step;
            tracing::info!(
                "reindex: {} {}/{}",
                progress.stage,
                progress.done,
                progress.total
            );
        }
        ControlFlow::Continue(())
    };
    let outcome = match crate::location::database_url(dir) {
        Some(url) => rushes_postgres::rebuild::reindex(url, report)
            .with_context(|| format!("while rebuilding the library at {shown}"))?,
        None => rebuild::reindex(dir, report)
            .with_context(|| format!("while rebuilding the index at {shown}"))?,
    };
    bar.finish_and_clear();
    let RebuildOutcome::Done(summary) = outcome else {
        anyhow::bail!("reindex stopped before it finished; the old index is unchanged");
    };
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let value = json!({
            "index": shown,
            "assets": summary.assets,
            "moments": summary.moments,
            "vectors": summary.vectors.iter().map(|(model, count)| json!({"model": model, "count": count})).collect::<Vec<_>>(),
            "dropped_pending": summary.dropped_pending,
            "seconds": seconds,
        });
        println!("{value}");
    } else {
        let vectors: Vec<String> = summary
            .vectors
            .iter()
            .map(|(model, count)| format!("{count} vectors of {model}"))
            .collect();
        println!(
            "reindexed {} assets, {} moments{}{} in {seconds:.1} s",
            summary.assets,
            summary.moments,
            if vectors.is_empty() { "" } else { ", " },
            vectors.join(", ")
        );
        if summary.dropped_pending > 0 {
            println!(
                "{} half-written assets of an interrupted index run were dropped; `rushes index` adds them again",
                summary.dropped_pending
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
