//! Scale benchmark: builds a synthetic index of N moments (env `RUSHES_BENCH_MOMENTS`,
//! default 1 000 000; 10 moments per asset, 2 frame vectors of dim 512 and one transcript
//! line as a text unit with a 384-d sentence vector per moment, so N text units) and
//! prints, as JSON lines, the build time, index size and p50/p95 latency of text, visual,
//! hybrid (text + visual) and full hybrid (text + visual + semantic) queries. Assets go in
//! through the bulk path (`Index::put_assets`).
//!
//! With `RUSHES_BENCH_INDEX_CACHE` set to a folder, the built index is kept there under a
//! name made of the moment count, [`GENERATOR_VERSION`] and the store's format version, and
//! a later run with the same key reopens it instead of rebuilding (the build line then says
//! `"cached": true` and repeats the original build time); other `scale-*` folders there are
//! removed. Without it the index lives in a temporary folder.
//!
//! Vectors are clustered the way footage embeddings are: all share a common direction
//! (CLIP's embeddings sit in a narrow cone), each asset has its own scene direction and
//! each frame is that plus noise. Uniform random vectors would measure a case no footage
//! makes (and HNSW builds them several times slower).

use std::path::PathBuf;
use std::time::Instant;

use rushes_core::{
    Asset, AssetId, AssetKind, AssetRecord, FrameRecord, MediaInfo, MomentRecord, TextUnit,
    TextUnitKind, TranscriptLine,
};
use rushes_store::{Index, OpenMode, SearchRequest, SemanticQuery};

const DIM: usize = 512;
/// Sentence vectors (all-MiniLM-L6-v2's size).
const TEXT_DIM: usize = 384;
/// The synthetic sentence model's name and cut-off: the cone makes every unit somewhat
/// similar to every query, so many pass it (the branch's worst case).
const TEXT_MODEL: &str = "bench-sentence-384";
const TEXT_CUTOFF: f32 = 0.24;
const MOMENTS_PER_ASSET: usize = 10;
const QUERIES: usize = 50;
/// Assets written per `put_assets` call (5 000 moments, 10 000 vectors).
const BATCH_ASSETS: usize = 500;
/// Moments between commits: a bulk import commits (and saves the vector file) rarely.
const COMMIT_EVERY_MOMENTS: usize = 200_000;
/// Bumped whenever the synthetic data or the way it is written changes, so a cached index
/// built by an older generator is rebuilt.
const GENERATOR_VERSION: u32 = 2;
/// Written into a cached index folder once its build completed: `{"seconds": …}`.
const BUILT_STAMP: &str = "scale-built.json";
const WORDS: [&str; 16] = [
    "scene", "take", "slate", "crane", "dolly", "grip", "makeup", "stunt", "rain", "night",
    "marker", "action", "cut", "rigging", "boom", "lights",
];

/// xorshift64*: reproducible without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
    fn vector(&mut self) -> Vec<f32> {
        self.vector_of(DIM)
    }
    fn vector_of(&mut self, dim: usize) -> Vec<f32> {
        (0..dim).map(|_| self.unit()).collect()
    }
    /// `base` plus noise of `spread` (relative to a component of `base`).
    fn near(&mut self, base: &[f32], spread: f32) -> Vec<f32> {
        base.iter().map(|v| v + spread * self.unit()).collect()
    }
    fn word(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(at).copied().unwrap_or(0.0)
}

fn size_of(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => stack.push(entry.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// Where the index is built: a folder in the cache named by its key, or a temporary one.
enum IndexHome {
    Cached(PathBuf),
    Temporary(tempfile::TempDir),
}

impl IndexHome {
    fn choose(moments: usize) -> std::io::Result<IndexHome> {
        let Some(cache) = std::env::var_os("RUSHES_BENCH_INDEX_CACHE") else {
            return tempfile::tempdir().map(IndexHome::Temporary);
        };
        let cache = PathBuf::from(cache);
        std::fs::create_dir_all(&cache)?;
        let name = format!(
            "scale-{moments}-g{GENERATOR_VERSION}-f{}",
            rushes_store::manifest::FORMAT_VERSION
        );
        // Indexes of other keys are stale (or another size): gigabytes not worth keeping.
        for entry in std::fs::read_dir(&cache)?.flatten() {
            let other = entry.file_name();
            if other != name.as_str() && other.to_string_lossy().starts_with("scale-") {
                eprintln!(
                    "[scale] removing stale cached index {}",
                    entry.path().display()
                );
                std::fs::remove_dir_all(entry.path())?;
            }
        }
        Ok(IndexHome::Cached(cache.join(name)))
    }

    fn path(&self) -> PathBuf {
        match self {
            IndexHome::Cached(path) => path.clone(),
            IndexHome::Temporary(dir) => dir.path().join("index"),
        }
    }

    /// Build seconds of a complete cached index, if there is one.
    fn cached_build_seconds(&self) -> Option<f64> {
        let IndexHome::Cached(path) = self else {
            return None;
        };
        let stamp = std::fs::read_to_string(path.join(BUILT_STAMP)).ok()?;
        serde_json::from_str::<serde_json::Value>(&stamp)
            .ok()?
            .get("seconds")?
            .as_f64()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let moments: usize = std::env::var("RUSHES_BENCH_MOMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let home = IndexHome::choose(moments)?;
    let path = home.path();
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let assets = moments.div_ceil(MOMENTS_PER_ASSET);
    let cone = random.vector();
    let scene_of = |random: &mut Random| {
        let scene = random.vector();
        cone.iter()
            .zip(&scene)
            .map(|(c, s)| 0.6 * c + s)
            .collect::<Vec<f32>>()
    };
    let text_cone = random.vector_of(TEXT_DIM);
    let topic_of = |random: &mut Random| {
        let topic = random.vector_of(TEXT_DIM);
        text_cone
            .iter()
            .zip(&topic)
            .map(|(c, t)| 0.6 * c + t)
            .collect::<Vec<f32>>()
    };
    let cached = home.cached_build_seconds();
    if let Some(seconds) = cached {
        eprintln!(
            "[scale] reusing the index built in {seconds:.0} s at {}",
            path.display()
        );
    } else if path.exists() {
        // A build that did not finish: start again.
        std::fs::remove_dir_all(&path)?;
    }
    let index = Index::open(&path, OpenMode::ReadWrite)?;
    // The generator draws the same numbers whether or not it writes, so the queries below
    // are the same for a cached index and a fresh one.
    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH_ASSETS);
    let mut since_commit = 0;
    for a in 0..assets {
        let file = PathBuf::from(format!(
            "/footage/day{}/A{:03}_C{:04}.mov",
            a % 30,
            a % 997,
            a
        ));
        let asset = Asset {
            id: AssetId::from_path(&file),
            path: file,
            kind: AssetKind::Video,
            size: 1 << 30,
            mtime: 1_740_000_000 + a as i64,
            content_hash: format!("{a:032x}"),
            media: MediaInfo {
                duration: Some(MOMENTS_PER_ASSET as f64 * 5.0),
                ..MediaInfo::default()
            },
        };
        let scene = scene_of(&mut random);
        let topic = topic_of(&mut random);
        let mut transcript = Vec::with_capacity(MOMENTS_PER_ASSET);
        let mut text_units = Vec::with_capacity(MOMENTS_PER_ASSET);
        let moments = (0..MOMENTS_PER_ASSET)
            .map(|m| {
                let start = m as f64 * 5.0;
                let line = TranscriptLine {
                    start: start + 1.0,
                    end: start + 3.0,
                    text: format!("{} {} {}", random.word(), random.word(), random.word()),
                    source: "srt".into(),
                };
                text_units.push(TextUnit {
                    kind: TextUnitKind::Transcript,
                    start: line.start,
                    end: line.end,
                    text: line.text.clone(),
                    embedding: Some(random.near(&topic, 0.5)),
                });
                transcript.push(line.clone());
                MomentRecord {
                    start,
                    end: start + 5.0,
                    keyframe: start + 2.5,
                    ocr_text: format!("{} {} {}", random.word(), random.word(), a),
                    tags: vec![(random.word().to_string(), 0.5)],
                    transcript: vec![line],
                    frames: (0..2)
                        .map(|f| FrameRecord {
                            time: start + f as f64 * 2.5,
                            thumbnail: None,
                            embedding: Some(random.near(&scene, 0.5)),
                        })
                        .collect(),
                    ..MomentRecord::default()
                }
            })
            .collect();
        if cached.is_some() {
            continue;
        }
        batch.push(AssetRecord {
            asset,
            moments,
            transcript,
            screen_text: Vec::new(),
            slates: Vec::new(),
            embedding_model: Some("bench-512".into()),
            text_units,
            text_model: Some(TEXT_MODEL.into()),
            warnings: Vec::new(),
        });
        if batch.len() == BATCH_ASSETS || a + 1 == assets {
            index.put_assets(&batch)?;
            since_commit += batch.len() * MOMENTS_PER_ASSET;
            batch.clear();
            if since_commit >= COMMIT_EVERY_MOMENTS {
                index.commit()?;
                since_commit = 0;
                eprintln!(
                    "[scale] {} moments in {:.0} s",
                    (a + 1) * MOMENTS_PER_ASSET,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let build_seconds = match cached {
        Some(seconds) => seconds,
        None => {
            index.commit()?;
            let seconds = started.elapsed().as_secs_f64();
            if let IndexHome::Cached(dir) = &home {
                std::fs::write(
                    dir.join(BUILT_STAMP),
                    serde_json::json!({"seconds": seconds}).to_string(),
                )?;
            }
            seconds
        }
    };
    println!(
        "{}",
        serde_json::json!({"metric": "build", "moments": assets * MOMENTS_PER_ASSET,
            "text_units": index.text_unit_vector_count(TEXT_MODEL)?, "seconds": build_seconds,
            "index_bytes": size_of(&path), "cached": cached.is_some()})
    );

    for kind in ["text", "visual", "hybrid", "full_hybrid"] {
        let mut latencies = Vec::with_capacity(QUERIES);
        for _ in 0..QUERIES {
            let request = SearchRequest {
                query: if kind == "visual" {
                    String::new()
                } else {
                    format!("{} {}", random.word(), random.word())
                },
                text_vector: (kind != "text").then(|| {
                    let scene = scene_of(&mut random);
                    random.near(&scene, 0.5)
                }),
                semantic: (kind == "full_hybrid").then(|| {
                    let topic = topic_of(&mut random);
                    SemanticQuery {
                        model: TEXT_MODEL.into(),
                        vector: random.near(&topic, 0.5),
                        cutoff: TEXT_CUTOFF,
                    }
                }),
                ..SearchRequest::default()
            };
            let start = Instant::now();
            let response = index.search(&request)?;
            latencies.push(start.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(response);
        }
        latencies.sort_by(f64::total_cmp);
        println!(
            "{}",
            serde_json::json!({"metric": format!("{kind}_query_ms"), "p50": percentile(&latencies, 0.5),
                "p95": percentile(&latencies, 0.95), "queries": QUERIES})
        );
    }
    Ok(())
}
