//! `rushes_postgres::rebuild::reindex`: text documents made stale by hand (emptied by SQL)
//! are written again from the catalog, every HNSW index is rebuilt with the stages and
//! counts the CLI reports, search keeps answering while it runs, and a run stopped at once
//! changes nothing.

use std::ops::ControlFlow;

use rushes_postgres::PgLibrary;
use rushes_postgres::rebuild::reindex;
use rushes_store::rebuild::{RebuildOutcome, RebuildProgress};
use rushes_store::seams::AssetWrites;
use rushes_store::{Library, SearchRequest};
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

use crate::corpus::library;

/// Paths of the hits of `query`.
fn found(library: &PgLibrary, query: &str) -> Result<Vec<String>, TestError> {
    let response = library.search(&SearchRequest::new(query.to_string()))?;
    Ok(response
        .hits
        .iter()
        .map(|hit| hit.asset.path.clone())
        .collect())
}

#[test]
fn stale_text_documents_search_again_after_a_reindex_and_search_works_meanwhile()
-> Result<(), TestError> {
    let url = shared_server()?.fresh_database()?;
    let pg = PgLibrary::open(&url)?;
    let records = library();
    pg.engine().put_assets(&records, None)?;
    let before = found(&pg, "coffee")?;
    assert!(!before.is_empty(), "the corpus says coffee");

    let mut client = rushes_postgres::connect(&url)?;
    client.execute(
        "UPDATE moment_texts SET transcript = '', ocr = '', caption = '', tags = '', name = '', metadata = ''",
        &[],
    )?;
    assert_eq!(
        found(&pg, "coffee")?,
        Vec::<String>::new(),
        "stale documents"
    );

    // A run stopped before its first asset changes nothing.
    let stopped = reindex(&url, |_| ControlFlow::Break(()))?;
    assert_eq!(stopped, RebuildOutcome::Cancelled);
    assert_eq!(found(&pg, "coffee")?, Vec::<String>::new());

    let mut stages: Vec<RebuildProgress> = Vec::new();
    let mut meanwhile = Vec::new();
    let outcome = reindex(&url, |progress| {
        if progress.stage.starts_with("vectors") && progress.done == 0 {
            // Texts are done; the vector indexes are being rebuilt: search still answers.
            meanwhile = found(&pg, "coffee").unwrap_or_default();
        }
        stages.push(progress.clone());
        ControlFlow::Continue(())
    })?;
    let RebuildOutcome::Done(summary) = outcome else {
        panic!("the reindex finished");
    };
    assert_eq!(summary.assets, records.len() as u64);
    let moments: usize = records.iter().map(|record| record.moments.len()).sum();
    assert_eq!(summary.moments, moments as u64);
    let model = pg
        .embedding_model()?
        .expect("the corpus has a frame model")
        .0;
    let vectors: i64 = client
        .query_one("SELECT count(*) FROM frame_vectors", &[])?
        .get(0);
    assert!(vectors > 0);
    assert_eq!(summary.vectors, vec![(model.clone(), vectors as u64)]);
    let last_text = stages.iter().rfind(|step| step.stage == "text");
    assert_eq!(
        last_text.map(|step| (step.done, step.total)),
        Some((records.len() as u64, records.len() as u64))
    );
    let model_stage = format!("vectors {model}");
    assert!(
        stages
            .iter()
            .any(|step| step.stage == model_stage && step.done == vectors as u64),
        "{stages:?}"
    );
    assert!(
        stages.iter().any(|step| step.stage == "vectors faces"),
        "{stages:?}"
    );
    assert_eq!(meanwhile, before, "search answered during the rebuild");
    assert_eq!(found(&pg, "coffee")?, before);
    // The rebuilt HNSW index is valid and the one nearest-frame search uses.
    let invalid: i64 = client
        .query_one("SELECT count(*) FROM pg_index WHERE NOT indisvalid", &[])?
        .get(0);
    assert_eq!(invalid, 0);
    Ok(())
}
