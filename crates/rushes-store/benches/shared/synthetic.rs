//! The synthetic library of the query-latency benches (`scale` here, `pg_query` in
//! rushes-postgres, which includes this file): N moments, 10 per asset, each with a few words
//! of on-screen text, a tag, 2 frame vectors of 512 dims and one text unit (a transcript-like
//! line with a 384-d sentence vector: N text units); the queries drawn after it; and
//! the local index built from it through the bulk path (`Index::put_assets`), kept under a
//! key in `RUSHES_BENCH_INDEX_CACHE` when that is set.
//!
//! Vectors are clustered the way footage embeddings are: all share a common direction
//! (CLIP's embeddings sit in a narrow cone), each asset has its own scene direction and
//! each frame is that plus noise. Uniform random vectors would measure a case no footage
//! makes (and HNSW builds them several times slower).

use std::path::{Path, PathBuf};
use std::time::Instant;

use rushes_core::{
    Asset, AssetId, AssetKind, AssetRecord, FrameRecord, MediaInfo, MomentRecord, TextUnit,
    TextUnitKind,
};
use rushes_store::{Index, SemanticQuery};

pub const DIM: usize = 512;
pub const MOMENTS_PER_ASSET: usize = 10;
pub const FRAMES_PER_MOMENT: usize = 2;
pub const MODEL: &str = "bench-512";
/// Sentence vectors (all-MiniLM-L6-v2's size).
pub const TEXT_DIM: usize = 384;
/// The synthetic sentence model's name and cut-off: the cone makes every unit somewhat
/// similar to every query, so many pass it (the semantic branch's worst case).
pub const TEXT_MODEL: &str = "bench-sentence-384";
pub const TEXT_CUTOFF: f32 = 0.24;
/// Queries timed per kind.
pub const QUERIES: usize = 50;
/// Assets written per `put_assets` call (5 000 moments, 10 000 vectors).
pub const BATCH_ASSETS: usize = 500;
/// Folders the assets are spread over (`/footage/day0` … `day29`).
pub const FOLDERS: usize = 30;
/// Moments between commits: a bulk import commits (and saves the vector file) rarely.
const COMMIT_EVERY_MOMENTS: usize = 200_000;
/// Bumped whenever the synthetic data or the way it is written changes, so a cached index
/// built by an older generator is rebuilt.
pub const GENERATOR_VERSION: u32 = 2;
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

/// The generator: assets in order, then queries. Two generators made by [`Synthetic::new`]
/// draw the same library and the same queries.
pub struct Synthetic {
    random: Random,
    cone: Vec<f32>,
    text_cone: Vec<f32>,
}

impl Synthetic {
    pub fn new() -> Synthetic {
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        let cone = random.vector();
        let text_cone = random.vector_of(TEXT_DIM);
        Synthetic {
            random,
            cone,
            text_cone,
        }
    }

    fn scene(&mut self) -> Vec<f32> {
        let scene = self.random.vector();
        self.cone
            .iter()
            .zip(&scene)
            .map(|(c, s)| 0.6 * c + s)
            .collect()
    }

    /// An asset's (or a query's) topic in the sentence space: the text cone plus its own
    /// direction.
    fn topic(&mut self) -> Vec<f32> {
        let topic = self.random.vector_of(TEXT_DIM);
        self.text_cone
            .iter()
            .zip(&topic)
            .map(|(c, t)| 0.6 * c + t)
            .collect()
    }

    /// Asset number `a` (call them in order from 0): `/footage/day{a % 30}/…`, whose moments'
    /// on-screen text ends with the word `a`.
    pub fn asset(&mut self, a: usize) -> AssetRecord {
        let file = PathBuf::from(format!(
            "/footage/day{}/A{:03}_C{:04}.mov",
            a % FOLDERS,
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
        let scene = self.scene();
        let topic = self.topic();
        let mut text_units = Vec::with_capacity(MOMENTS_PER_ASSET);
        let moments = (0..MOMENTS_PER_ASSET)
            .map(|m| {
                let start = m as f64 * 5.0;
                text_units.push(TextUnit {
                    kind: TextUnitKind::Transcript,
                    start: start + 1.0,
                    end: start + 3.0,
                    text: format!(
                        "{} {} {}",
                        self.random.word(),
                        self.random.word(),
                        self.random.word()
                    ),
                    embedding: Some(self.random.near(&topic, 0.5)),
                });
                MomentRecord {
                    start,
                    end: start + 5.0,
                    keyframe: start + 2.5,
                    ocr_text: format!("{} {} {}", self.random.word(), self.random.word(), a),
                    tags: vec![(self.random.word().to_string(), 0.5)],
                    frames: (0..FRAMES_PER_MOMENT)
                        .map(|f| FrameRecord {
                            time: start + f as f64 * 2.5,
                            thumbnail: None,
                            embedding: Some(self.random.near(&scene, 0.5)),
                        })
                        .collect(),
                    ..MomentRecord::default()
                }
            })
            .collect();
        AssetRecord {
            embedding_model: Some(MODEL.into()),
            text_units,
            text_model: Some(TEXT_MODEL.into()),
            ..AssetRecord::with_moments(asset, moments)
        }
    }

    /// Two words of the library's vocabulary, space-separated.
    pub fn words(&mut self) -> String {
        format!("{} {}", self.random.word(), self.random.word())
    }

    /// A query vector in the library's cone, near no asset in particular.
    pub fn query_vector(&mut self) -> Vec<f32> {
        let scene = self.scene();
        self.random.near(&scene, 0.5)
    }

    /// A query's sentence embedding in the library's text cone, near no asset in particular.
    pub fn semantic_query(&mut self) -> SemanticQuery {
        let topic = self.topic();
        SemanticQuery {
            model: TEXT_MODEL.into(),
            vector: self.random.near(&topic, 0.5),
            cutoff: TEXT_CUTOFF,
        }
    }
}

/// `RUSHES_BENCH_MOMENTS`, else 1,000,000.
pub fn moments_from_env() -> usize {
    std::env::var("RUSHES_BENCH_MOMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

pub fn assets_for(moments: usize) -> usize {
    moments.div_ceil(MOMENTS_PER_ASSET)
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(at).copied().unwrap_or(0.0)
}

/// The median and 95th percentile of `latencies`.
pub fn latency_summary(mut latencies: Vec<f64>) -> (f64, f64) {
    latencies.sort_by(f64::total_cmp);
    (percentile(&latencies, 0.5), percentile(&latencies, 0.95))
}

pub fn size_of(dir: &Path) -> u64 {
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
pub enum IndexHome {
    Cached(PathBuf),
    Temporary(tempfile::TempDir),
}

impl IndexHome {
    pub fn choose(moments: usize) -> std::io::Result<IndexHome> {
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
                    "[bench] removing stale cached index {}",
                    entry.path().display()
                );
                std::fs::remove_dir_all(entry.path())?;
            }
        }
        Ok(IndexHome::Cached(cache.join(name)))
    }

    pub fn path(&self) -> PathBuf {
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

/// The local index of `moments` synthetic moments at `home`: reopened when the cache holds
/// a complete one, else built through `Index::put_assets`. Draws every asset from
/// `synthetic` either way, so the queries drawn after are the same. Returns the index and
/// its build seconds (the original build's when reused) and whether it was reused.
pub fn local_index(
    home: &IndexHome,
    synthetic: &mut Synthetic,
    moments: usize,
) -> Result<(Index, f64, bool), Box<dyn std::error::Error>> {
    let path = home.path();
    let cached = home.cached_build_seconds();
    if let Some(seconds) = cached {
        eprintln!(
            "[bench] reusing the local index built in {seconds:.0} s at {}",
            path.display()
        );
    } else if path.exists() {
        // A build that did not finish: start again.
        std::fs::remove_dir_all(&path)?;
    }
    let index = Index::open(&path, rushes_store::OpenMode::ReadWrite)?;
    let assets = assets_for(moments);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH_ASSETS);
    let mut since_commit = 0;
    for a in 0..assets {
        let record = synthetic.asset(a);
        if cached.is_some() {
            continue;
        }
        batch.push(record);
        if batch.len() == BATCH_ASSETS || a + 1 == assets {
            index.put_assets(&batch)?;
            since_commit += batch.len() * MOMENTS_PER_ASSET;
            batch.clear();
            if since_commit >= COMMIT_EVERY_MOMENTS {
                index.commit()?;
                since_commit = 0;
                eprintln!(
                    "[bench] local: {} moments in {:.0} s",
                    (a + 1) * MOMENTS_PER_ASSET,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    if let Some(seconds) = cached {
        return Ok((index, seconds, true));
    }
    index.commit()?;
    let seconds = started.elapsed().as_secs_f64();
    if let IndexHome::Cached(dir) = home {
        std::fs::write(
            dir.join(BUILT_STAMP),
            serde_json::json!({"seconds": seconds}).to_string(),
        )?;
    }
    Ok((index, seconds, false))
}
