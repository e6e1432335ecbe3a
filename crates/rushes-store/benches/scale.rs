//! Scale benchmark: builds a synthetic index of N moments (env `RUSHES_BENCH_MOMENTS`,
//! default 1 000 000; 10 moments per asset, 2 frame vectors of dim 512 and one text unit
//! with a 384-d sentence vector per moment, so N text units) and prints, as JSON lines, the
//! build time, index size and p50/p95 latency of text, visual, hybrid (text + visual) and
//! full hybrid (text + visual + semantic) queries. Assets go in through the bulk path (`Index::put_assets`); the
//! library, the queries and the index cache are `shared/synthetic.rs` (rushes-postgres's
//! `pg_query` bench uses the same).
//!
//! With `RUSHES_BENCH_INDEX_CACHE` set to a folder, the built index is kept there under a
//! name made of the moment count, the generator version and the store's format version, and
//! a later run with the same key reopens it instead of rebuilding (the build line then says
//! `"cached": true` and repeats the original build time); other `scale-*` folders there are
//! removed. Without it the index lives in a temporary folder.

use std::time::Instant;

use rushes_store::SearchRequest;

// Shared with rushes-postgres's `pg_query`; each bench uses part of it.
#[allow(dead_code)]
#[path = "shared/synthetic.rs"]
mod synthetic;

use synthetic::{IndexHome, MOMENTS_PER_ASSET, QUERIES, Synthetic, TEXT_MODEL};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let moments = synthetic::moments_from_env();
    let home = IndexHome::choose(moments)?;
    let mut synthetic = Synthetic::new();
    let (index, build_seconds, cached) = synthetic::local_index(&home, &mut synthetic, moments)?;
    println!(
        "{}",
        serde_json::json!({"metric": "build",
            "moments": synthetic::assets_for(moments) * MOMENTS_PER_ASSET,
            "text_units": index.text_unit_vector_count(TEXT_MODEL)?, "seconds": build_seconds,
            "index_bytes": synthetic::size_of(&home.path()), "cached": cached})
    );

    for kind in ["text", "visual", "hybrid", "full_hybrid"] {
        let mut latencies = Vec::with_capacity(QUERIES);
        for _ in 0..QUERIES {
            let query = if kind == "visual" {
                String::new()
            } else {
                synthetic.words()
            };
            let request = SearchRequest {
                query,
                text_vector: (kind != "text").then(|| synthetic.query_vector()),
                semantic: (kind == "full_hybrid").then(|| synthetic.semantic_query()),
                ..SearchRequest::default()
            };
            let start = Instant::now();
            let response = index.search(&request)?;
            latencies.push(start.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(response);
        }
        let (p50, p95) = synthetic::latency_summary(latencies);
        println!(
            "{}",
            serde_json::json!({"metric": format!("{kind}_query_ms"), "p50": p50,
                "p95": p95, "queries": QUERIES})
        );
    }
    Ok(())
}
