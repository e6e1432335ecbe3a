//! Query latency of the PostgreSQL engine next to the local one, on the same synthetic
//! library (rushes-store's `benches/shared/synthetic.rs`: N moments, env
//! `RUSHES_BENCH_MOMENTS`, default 1 000 000; 10 per asset, 2 frame vectors of 512 dims per
//! moment) and the same queries, timed in turn through each engine's seams:
//!
//! - **text**: two words and a `folder:` filter, `TextIndex` all words (else any word),
//!   the best `POOL` moments by score, as search's text branch;
//! - **visual**: `VectorIndex::search` for `2 × POOL` frames;
//! - **hybrid**: two words and a query vector: the text branch on a thread of its own beside
//!   the visual branch (search with frames to moments, `VectorIndex::search_moments`, best
//!   frame per moment), as search runs them, and the store's default `Fusion` over both;
//! - **full**: two words and a query vector as the user's search: `Library::search` with the
//!   default request (20 hits, 3 per asset: both branches, fusion, the hits' moments, assets,
//!   slates, snippets and people), the local `Index` against `PgLibrary`.
//!
//! `POOL` is what search asks of each branch for a default request (100). PostgreSQL runs
//! from `rushes_testkit::postgres::PgServer` in a temp folder with memory sized for the data
//! (the settings are printed). The library goes in fast: the catalog and moment texts
//! through `PgEngine::put_assets` without vectors (500 assets a transaction), the vectors by
//! binary `COPY` straight into `frame_vectors`, then the model's HNSW index built once
//! (`register_model`), then `VACUUM ANALYZE`; each step's seconds are printed. Before
//! timing, a sample is checked through the seams: both engines hold every moment document
//! and frame vector, an asset's own number finds its 10 moments in both, and a stored
//! vector finds its own frame among its nearest in PostgreSQL.
//!
//! With `RUSHES_BENCH_PG_CACHE=<dir>` the loaded database is kept (`pg_cache.rs`) and the
//! next run starts a server on it instead of loading again; the load's figures are those
//! of the run that loaded it. Arguments: `--load-only` loads the cache (or finds it
//! complete), prints `pg_load` and stops; `--postgres-only` times PostgreSQL alone (no local
//! index is opened or built, the queries are the same); `--engines=a,b` times only those of
//! `local`, `postgres` and `postgres_text_copy`.
//!
//! `postgres_text_copy` is PostgreSQL as `rushes serve` reads it: words ranked in the
//! server's copy of the text index (`rushes_postgres::text_mirror`, checked current before
//! each query), the rest in PostgreSQL. The copy is built from the database before timing
//! (`text_copy_seconds`, `text_copy_bytes`; kept beside a cached database).
//!
//! Before timing, `pg_prewarm` reads the HNSW index, the moment texts and the catalog rows
//! queries touch into shared buffers (seconds in `prewarm_seconds`).
//!
//! The local index is `shared/synthetic.rs`'s (`RUSHES_BENCH_INDEX_CACHE` reuses the one
//! the `scale` bench built, and the other way round). Prints JSON lines: `pg_load`,
//! `pg_settings`, then `{"metric": "<engine>_<kind>_query_ms", "engine", "kind", "p50",
//! "p95", "queries"}`.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use pgvector::Vector;
use rushes_postgres::text_index::PgText;
use rushes_postgres::vector_index::PgVectors;
use rushes_postgres::{Client, PgEngine, PgLibrary};
use rushes_store::catalog::{CATALOG_FILE, Catalog};
use rushes_store::fusion::{Branch, Fusion};
use rushes_store::query::{Query, parse};
use rushes_store::seams::{RankingCatalog, TextIndex, VectorIndex};
use rushes_store::text::TantivyText;
use rushes_store::text_branch::ranked_words;
use rushes_store::vectors::VectorStore;
use rushes_store::{Index, Library, OpenMode, SearchRequest};
use rushes_testkit::postgres::PgServer;

mod bulk_load;
mod pg_cache;
use bulk_load::BulkLoader;
use pg_cache::PgHome;

// The library and queries of rushes-store's `scale` bench; each bench uses part of it.
#[allow(dead_code)]
#[path = "../../../rushes-store/benches/shared/synthetic.rs"]
mod synthetic;

use synthetic::{
    BATCH_ASSETS, DIM, FOLDERS, FRAMES_PER_MOMENT, IndexHome, MODEL, MOMENTS_PER_ASSET, QUERIES,
    Synthetic,
};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// What search asks of each branch for a default request (20 hits, 3 per asset).
const POOL: usize = 100;
const MIB: u64 = 1 << 20;

/// Server memory for `moments`: shared buffers to hold the vectors' heap and HNSW index
/// (about 2.1 + 2.7 KB per 512-d vector, 2 vectors a moment), and `maintenance_work_mem`
/// to hold the HNSW graph while it is built (else pgvector's build slows by an order of
/// magnitude), within what a shared 24 GiB machine can spare. `wal_level = minimal`: the
/// HNSW build then writes no WAL (gigabytes of disk at 1M) and nothing here replicates.
fn settings(moments: usize) -> Vec<(&'static str, String)> {
    let vector_bytes = (moments * FRAMES_PER_MOMENT) as u64 * 5_000;
    let shared = (vector_bytes + 256 * MIB).clamp(512 * MIB, 8192 * MIB);
    let maintenance = (vector_bytes * 3 / 4).clamp(256 * MIB, 6144 * MIB);
    vec![
        ("shared_buffers", format!("{}MB", shared / MIB)),
        ("maintenance_work_mem", format!("{}MB", maintenance / MIB)),
        ("work_mem", "64MB".to_string()),
        ("effective_cache_size", format!("{}MB", 2 * shared / MIB)),
        // Two cores: one worker beside the leader for the HNSW build.
        ("max_parallel_maintenance_workers", "1".to_string()),
        ("wal_level", "minimal".to_string()),
        ("max_wal_senders", "0".to_string()),
        ("max_wal_size", "4GB".to_string()),
        ("checkpoint_timeout", "30min".to_string()),
    ]
}

/// One engine's seams, the way search uses them.
trait Engine {
    type Text: TextIndex;
    type Vectors: VectorIndex;
    fn text(&self) -> &Self::Text;
    fn vectors(&self) -> &Self::Vectors;
    /// The catalog ranking reads (frames to moments).
    fn catalog(&self) -> &dyn RankingCatalog;
    /// The whole library, as search serves the user.
    fn library(&self) -> &dyn Library;
    /// What a search does before its text branch may read `text()` (the server's copy of
    /// the text index asks the database whether it holds every change).
    fn ready(&self) -> BenchResult<()> {
        Ok(())
    }
}

struct Local {
    text: TantivyText,
    vectors: VectorStore,
    catalog: Catalog,
    index: Index,
}

impl Engine for Local {
    type Text = TantivyText;
    type Vectors = VectorStore;
    fn text(&self) -> &TantivyText {
        &self.text
    }
    fn vectors(&self) -> &VectorStore {
        &self.vectors
    }
    fn catalog(&self) -> &dyn RankingCatalog {
        &self.catalog
    }
    fn library(&self) -> &dyn Library {
        &self.index
    }
}

struct Pg {
    library: PgLibrary,
}

impl Engine for Pg {
    type Text = PgText;
    type Vectors = PgVectors;
    fn text(&self) -> &PgText {
        self.library.engine().text()
    }
    fn vectors(&self) -> &PgVectors {
        self.library.engine().vectors()
    }
    fn catalog(&self) -> &dyn RankingCatalog {
        &self.library
    }
    fn library(&self) -> &dyn Library {
        &self.library
    }
}

/// PostgreSQL with a server's copy of the text index (`rushes serve`): words rank in the
/// copy, which is checked current before each query, the rest in PostgreSQL.
struct PgCopy {
    library: PgLibrary,
}

impl PgCopy {
    fn mirror(&self) -> &rushes_postgres::text_mirror::TextMirror {
        self.library
            .text_mirror()
            .expect("opened with a copy of the text index")
    }
}

impl Engine for PgCopy {
    type Text = TantivyText;
    type Vectors = PgVectors;
    fn text(&self) -> &TantivyText {
        self.mirror().text()
    }
    fn vectors(&self) -> &PgVectors {
        self.library.engine().vectors()
    }
    fn catalog(&self) -> &dyn RankingCatalog {
        &self.library
    }
    fn library(&self) -> &dyn Library {
        &self.library
    }
    fn ready(&self) -> BenchResult<()> {
        match self.library.current_text_mirror() {
            Some(_) => Ok(()),
            None => Err("the server's copy of the text index fell behind during the run".into()),
        }
    }
}

/// Opens the library with its copy of the text index in `dir` and waits until the copy is
/// current (built from nothing the first time); the seconds that took.
fn open_with_copy(url: &str, dir: &std::path::Path) -> BenchResult<(PgCopy, f64)> {
    let started = Instant::now();
    let library = PgLibrary::open_with_text_mirror(url, dir)?;
    while library.current_text_mirror().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok((PgCopy { library }, started.elapsed().as_secs_f64()))
}

/// Search's text branch: all words, else any content word; the best `POOL` by score.
fn text_branch<E: Engine>(engine: &E, query: &Query) -> BenchResult<Vec<(i64, f32)>> {
    let text = engine.text();
    let snapshot = text.snapshot();
    Ok(ranked_words(text, &snapshot, &query.terms, &query.filters, POOL)?.unwrap_or_default())
}

/// Search's visual branch without filters: the nearest frames, each moment once at its best.
fn visual_branch<E: Engine>(engine: &E, vector: &[f32]) -> BenchResult<Vec<(i64, f32)>> {
    let matches = engine
        .vectors()
        .search_moments(MODEL, vector, 2 * POOL, engine.catalog())?;
    let mut seen = HashSet::new();
    Ok(matches
        .iter()
        .filter_map(|(frame, moment)| moment.map(|id| (id, frame.similarity)))
        .filter(|(id, _)| seen.insert(*id))
        .collect())
}

/// One query of `kind` through `engine`; returns how many moments (or frames) it ranked.
fn run_query<E: Engine>(
    engine: &E,
    kind: &str,
    (query_text, query): &(String, Query),
    vector: &[f32],
) -> BenchResult<usize> {
    if kind == "text" || kind == "hybrid" {
        engine.ready()?;
    }
    Ok(match kind {
        "text" => text_branch(engine, query)?.len(),
        "visual" => engine.vectors().search(MODEL, vector, 2 * POOL)?.len(),
        "full" => {
            let request = SearchRequest {
                query: query_text.to_string(),
                text_vector: Some(vector.to_vec()),
                ..SearchRequest::default()
            };
            engine.library().search(&request)?.hits.len()
        }
        _ => {
            // As search runs them: the text branch on a thread of its own beside the visual.
            let text = engine.text();
            let (text_moments, visual_moments) = std::thread::scope(|scope| {
                let text_moments = scope.spawn(|| {
                    let snapshot = text.snapshot();
                    ranked_words(text, &snapshot, &query.terms, &query.filters, POOL)
                        .map(Option::unwrap_or_default)
                        .map_err(|error| error.to_string())
                });
                let visual_moments = visual_branch(engine, vector);
                (text_moments.join(), visual_moments)
            });
            let text_moments = text_moments.map_err(|_| "the text branch panicked")??;
            let branches = [
                Branch {
                    moments: text_moments,
                    visual: false,
                },
                Branch {
                    moments: visual_moments?,
                    visual: true,
                },
            ];
            Fusion::default().fuse(&branches).len()
        }
    })
}

/// Runs `run`, adding its milliseconds to `latencies` unless it is the warm-up query (0).
fn time(
    latencies: &mut Vec<f64>,
    q: usize,
    run: &dyn Fn() -> BenchResult<usize>,
) -> BenchResult<()> {
    let started = Instant::now();
    std::hint::black_box(run()?);
    if q > 0 {
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(())
}

/// Seconds spent in each step of loading PostgreSQL.
#[derive(Default)]
struct LoadSeconds {
    rows: f64,
    copy: f64,
    hnsw: f64,
    analyze: f64,
}

/// The library into PostgreSQL's `bench` database: every row by the bulk loader (checked
/// first against `put_assets` on a scratch database, dropped after), then the model's HNSW
/// index, then VACUUM ANALYZE.
fn load_postgres(
    server: &PgServer,
    client: &mut Client,
    moments: usize,
) -> BenchResult<LoadSeconds> {
    let mut synthetic = Synthetic::new();
    let scratch = "bench_check";
    server.psql("postgres", &format!("DROP DATABASE IF EXISTS {scratch}"))?;
    server.psql("postgres", &format!("CREATE DATABASE {scratch}"))?;
    server.psql(scratch, "CREATE EXTENSION vector")?;
    bulk_load::check_matches_engine(&server.url(scratch), &synthetic.asset(0), MODEL, DIM)?;
    server.psql("postgres", &format!("DROP DATABASE {scratch} WITH (FORCE)"))?;

    let mut seconds = LoadSeconds::default();
    client.execute(
        "INSERT INTO embedding_models (name, dim, last_used) VALUES ($1, $2, 0)",
        &[&MODEL, &(DIM as i32)],
    )?;
    let mut loader = BulkLoader::new(client)?;
    let mut synthetic = Synthetic::new();
    let assets = synthetic::assets_for(moments);
    let mut batch = Vec::with_capacity(BATCH_ASSETS);
    let started = Instant::now();
    for a in 0..assets {
        batch.push(synthetic.asset(a));
        if batch.len() < BATCH_ASSETS && a + 1 < assets {
            continue;
        }
        loader.load(client, &batch)?;
        batch.clear();
        if (a + 1) % (40 * BATCH_ASSETS) == 0 {
            eprintln!(
                "[pg_query] postgres: {} moments loaded in {:.0} s",
                (a + 1) * MOMENTS_PER_ASSET,
                started.elapsed().as_secs_f64()
            );
        }
    }
    loader.finish(client)?;
    seconds.rows = started.elapsed().as_secs_f64();
    seconds.copy = loader.copy_seconds;
    eprintln!(
        "[pg_query] postgres: rows in {:.0} s (vector COPY {:.0} s); building the HNSW index",
        seconds.rows, seconds.copy
    );
    let started = Instant::now();
    rushes_postgres::vectors::register_model(client, MODEL, DIM)?;
    seconds.hnsw = started.elapsed().as_secs_f64();
    let started = Instant::now();
    client.batch_execute("VACUUM ANALYZE")?;
    seconds.analyze = started.elapsed().as_secs_f64();
    client.batch_execute("CHECKPOINT")?;
    Ok(seconds)
}

/// The `pg_load` line: the load's figures (the cache's when it was loaded before) and the
/// database's size now.
fn load_figures(
    home: &PgHome,
    server: &PgServer,
    moments: usize,
) -> BenchResult<serde_json::Value> {
    if let Some(mut load) = home.completed_load() {
        eprintln!(
            "[pg_query] reusing the loaded database at {}",
            home.describe()
        );
        load["cached"] = serde_json::json!(true);
        return Ok(load);
    }
    eprintln!(
        "[pg_query] loading {moments} moments into PostgreSQL at {}",
        home.describe()
    );
    server.psql(
        "postgres",
        &format!("CREATE DATABASE {}", pg_cache::DATABASE),
    )?;
    server.psql(pg_cache::DATABASE, "CREATE EXTENSION vector")?;
    let url = server.url(pg_cache::DATABASE);
    // Migrated before the load, as every library is on open.
    drop(PgEngine::open(&url)?);
    let mut client = rushes_postgres::connect(&url)?;
    let load = load_postgres(server, &mut client, moments)?;
    let (database_bytes, hnsw_bytes) = database_sizes(&mut client)?;
    let figures = serde_json::json!({"metric": "pg_load",
        "moments": synthetic::assets_for(moments) * MOMENTS_PER_ASSET,
        "rows_seconds": load.rows, "copy_seconds": load.copy,
        "hnsw_build_seconds": load.hnsw, "analyze_seconds": load.analyze,
        "database_bytes": database_bytes, "hnsw_bytes": hnsw_bytes,
        "machine_load_average": machine_load()});
    home.mark_complete(&figures)?;
    Ok(figures)
}

/// The database's bytes and its HNSW indexes' bytes.
fn database_sizes(client: &mut Client) -> BenchResult<(i64, i64)> {
    let database_bytes: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])?
        .get(0);
    let hnsw_bytes: i64 = client
        .query_one(
            "SELECT coalesce(sum(pg_relation_size(oid)), 0)::bigint FROM pg_class
             WHERE relname LIKE 'frame_vectors_hnsw_%'",
            &[],
        )?
        .get(0);
    Ok((database_bytes, hnsw_bytes))
}

/// Reads what queries touch into shared buffers (`pg_prewarm`): the model's HNSW index,
/// the moment texts and their ranking copy with their indexes, frames and assets with their keys — "warm" means
/// the server's own cache holds them, as on a server that has been answering for a while,
/// not only the operating system's. Returns the seconds it took.
fn prewarm(client: &mut Client) -> BenchResult<f64> {
    let started = Instant::now();
    client.batch_execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")?;
    client.query(
        "SELECT pg_prewarm(c.oid) FROM pg_class c
         WHERE c.relname LIKE 'frame_vectors_hnsw_%'
            OR c.relname IN ('moment_texts', 'moment_texts_document', 'moment_texts_folders',
                             'moment_texts_tags', 'moment_texts_pkey', 'moment_ranks',
                             'moment_ranks_document', 'frames', 'frames_pkey',
                             'assets', 'assets_pkey', 'moments', 'moments_pkey', 'tags',
                             'tags_by_moment')",
        &[],
    )?;
    Ok(started.elapsed().as_secs_f64())
}

/// The one-minute load average, as `/proc/loadavg` says.
fn machine_load() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// A sample checked through one engine's seams before anything is timed: every moment
/// document and frame vector is there, and an asset's own number finds its 10 moments.
fn check_engine<E: Engine>(name: &str, engine: &E, moments: usize) -> BenchResult<()> {
    let assets = synthetic::assets_for(moments);
    let expected_docs = (assets * MOMENTS_PER_ASSET) as u64;
    let expected_vectors = assets * MOMENTS_PER_ASSET * FRAMES_PER_MOMENT;
    let (docs, vectors) = (engine.text().num_docs(), engine.vectors().len(MODEL)?);
    if docs != expected_docs || vectors != expected_vectors {
        return Err(format!(
            "{name} holds {docs} moment documents and {vectors} vectors, \
             not {expected_docs} and {expected_vectors}"
        )
        .into());
    }
    // Past the folder numbers (`day0`…`day29` are words of every asset in the folder).
    for a in [assets / 3, assets / 2, assets - 1]
        .into_iter()
        .filter(|a| *a >= FOLDERS)
    {
        let found = text_branch(engine, &parse(&a.to_string())?)?.len();
        if found != MOMENTS_PER_ASSET {
            return Err(format!(
                "asset {a}'s number finds {found} moments in {name}, not {MOMENTS_PER_ASSET}"
            )
            .into());
        }
    }
    Ok(())
}

/// A sample checked through the seams of both engines (PostgreSQL's alone when there is no
/// local one) before anything is timed; a stored vector finds its own frame among the
/// nearest a search asks for in PostgreSQL.
fn check_sample(
    local: Option<&Local>,
    pg: &Pg,
    client: &mut Client,
    moments: usize,
) -> BenchResult<()> {
    if let Some(local) = local {
        check_engine("the local engine", local, moments)?;
    }
    check_engine("PostgreSQL", pg, moments)?;
    let row = client.query_one(
        "SELECT frame_id, embedding FROM frame_vectors ORDER BY frame_id DESC LIMIT 1",
        &[],
    )?;
    let (frame_id, stored): (i64, Vector) = (row.get(0), row.get(1));
    // As many frames as a search asks for: HNSW is approximate, and on this library's
    // clustered vectors (20 frames an asset, all in one cone) a frame's own vector found it
    // first for 27 of 50 frames with `ef_search` 40 and 45 of 50 with 200 (session 12's
    // 1 M build); the check is that the vectors went into the right rows.
    let nearest = pg.vectors().search(MODEL, stored.as_slice(), 2 * POOL)?;
    if !nearest.iter().any(|m| m.frame_id == frame_id as u64) {
        return Err(format!(
            "frame {frame_id}'s own vector does not find it among its {} nearest: {:?}",
            2 * POOL,
            &nearest[..nearest.len().min(10)]
        )
        .into());
    }
    Ok(())
}

/// The queries of one kind, drawn after the library: `QUERIES` timed plus one to warm up;
/// each as its text, parsed, and its vector.
type Drawn = ((String, Query), Vec<f32>);
fn draw_queries(synthetic: &mut Synthetic, kind: &str) -> BenchResult<Vec<Drawn>> {
    (0..=QUERIES)
        .map(|q| {
            let text = match kind {
                "text" => format!("{} folder:day{}", synthetic.words(), q % FOLDERS),
                "visual" => String::new(),
                _ => synthetic.words(),
            };
            let vector = match kind {
                "text" => Vec::new(),
                _ => synthetic.query_vector(),
            };
            let parsed = parse(&text)?;
            Ok(((text, parsed), vector))
        })
        .collect()
}

/// Draws every asset of the library from `synthetic` without indexing it, so the queries
/// drawn after are those of a run that built or reopened the local index.
fn skip_library(synthetic: &mut Synthetic, moments: usize) {
    for a in 0..synthetic::assets_for(moments) {
        std::hint::black_box(synthetic.asset(a));
    }
}

fn main() -> BenchResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let load_only = args.iter().any(|arg| arg == "--load-only");
    let postgres_only = load_only || args.iter().any(|arg| arg == "--postgres-only");
    // `--engines a,b`: time only these (the visual branch is the same query in both
    // PostgreSQL engines, so the one timed second finds its pages warm: time one alone).
    let engines: Vec<String> = args
        .iter()
        .find_map(|arg| arg.strip_prefix("--engines="))
        .unwrap_or("local,postgres,postgres_text_copy")
        .split(',')
        .map(str::to_string)
        .collect();
    let timed = |engine: &str| engines.iter().any(|e| e == engine);
    let moments = synthetic::moments_from_env();

    let settings = settings(moments);
    let pg_home = PgHome::choose(moments)?;
    let server = pg_home.start(&settings)?;
    let mut load = load_figures(&pg_home, &server, moments)?;
    let url = server.url(pg_cache::DATABASE);
    let pg = Pg {
        library: PgLibrary::open(&url)?,
    };
    let mut client = rushes_postgres::connect(&url)?;
    let (database_bytes, hnsw_bytes) = database_sizes(&mut client)?;
    load["database_bytes"] = database_bytes.into();
    load["hnsw_bytes"] = hnsw_bytes.into();
    if load_only {
        println!("{load}");
        return Ok(());
    }

    let mut synthetic = Synthetic::new();
    // Kept until the end: a temporary local index is removed when its home is dropped.
    let home = if postgres_only || !timed("local") {
        None
    } else {
        Some(IndexHome::choose(moments)?)
    };
    let local = if let Some(home) = &home {
        let (index, local_seconds, cached) = synthetic::local_index(home, &mut synthetic, moments)?;
        drop(index);
        let dir = home.path();
        load["local_build_seconds"] = local_seconds.into();
        load["local_cached"] = cached.into();
        load["local_index_bytes"] = synthetic::size_of(&dir).into();
        Some(Local {
            text: TantivyText::open(&dir.join("text"), true)?,
            vectors: VectorStore::new(&dir.join("vectors"), true),
            catalog: Catalog::open(&dir.join(CATALOG_FILE), true)?,
            index: Index::open(&dir, OpenMode::ReadOnly)?,
        })
    } else {
        skip_library(&mut synthetic, moments);
        None
    };
    check_sample(local.as_ref(), &pg, &mut client, moments)?;
    // Kept until the end when the database is a throwaway one.
    let copy_home = tempfile::tempdir()?;
    let copy_dir = pg_home
        .text_copy_dir()
        .unwrap_or_else(|| copy_home.path().to_path_buf());
    let (copy, copy_seconds) = open_with_copy(&url, &copy_dir)?;
    load["text_copy_seconds"] = copy_seconds.into();
    load["text_copy_bytes"] = synthetic::size_of(&copy_dir).into();
    check_engine("the server's copy of the text index", &copy, moments)?;
    load["prewarm_seconds"] = prewarm(&mut client)?.into();
    load["machine_load_average_before_queries"] = machine_load().into();
    println!("{load}");
    let settings: BTreeMap<&str, &String> = settings.iter().map(|(k, v)| (*k, v)).collect();
    println!(
        "{}",
        serde_json::json!({"metric": "pg_settings", "settings": settings})
    );

    for kind in ["text", "visual", "hybrid", "full"] {
        let queries = draw_queries(&mut synthetic, kind)?;
        // The first query warms the engines and is not counted; then each query runs in
        // each engine in turn, so load on the machine weighs on all alike.
        let (mut local_ms, mut pg_ms, mut copy_ms) = (Vec::new(), Vec::new(), Vec::new());
        for (q, (query, vector)) in queries.iter().enumerate() {
            if let Some(local) = &local {
                time(&mut local_ms, q, &|| run_query(local, kind, query, vector))?;
            }
            // The copy's engine before plain PostgreSQL: the two share the visual branch,
            // and the one timed second finds that query's pages warm.
            if timed("postgres_text_copy") {
                time(&mut copy_ms, q, &|| run_query(&copy, kind, query, vector))?;
            }
            if timed("postgres") {
                time(&mut pg_ms, q, &|| run_query(&pg, kind, query, vector))?;
            }
        }
        for (engine, latencies) in [
            ("local", local_ms),
            ("postgres", pg_ms),
            ("postgres_text_copy", copy_ms),
        ] {
            if latencies.is_empty() {
                continue;
            }
            let (p50, p95) = synthetic::latency_summary(latencies);
            println!(
                "{}",
                serde_json::json!({"metric": format!("{engine}_{kind}_query_ms"),
                    "engine": engine, "kind": kind, "p50": p50, "p95": p95, "queries": QUERIES})
            );
        }
    }
    drop(copy);
    drop(pg);
    drop(client);
    drop(server);
    Ok(())
}
