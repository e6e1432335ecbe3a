//! Vector indexes: one usearch HNSW index per embedding model (`vectors/<model>.usearch`),
//! int8 storage for new files (a quarter of f32; older f16 files keep their kind), cosine
//! metric on L2-normalised vectors, keyed by the catalog's frame id.
//! Writers hold the index in memory and save it atomically (temp file, rename); readers
//! memory-map the file and map it again when it changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use usearch::ffi::{IndexOptions, MetricKind, ScalarKind};

use crate::catalog::{FrameVector, normalised};
use crate::error::StoreError;
use crate::seams::{FrameMatch, VectorIndex};

const CONNECTIVITY: usize = 16;
/// Candidates kept while linking a new vector: 64 builds about twice as fast as usearch's
/// default 128 at the same top-1 recall on 512-d embeddings (measured; bench/README.md).
const EXPANSION_ADD: usize = 64;
const EXPANSION_SEARCH: usize = 64;
/// Batches smaller than this are added from one thread (spawning costs more than it saves).
const PARALLEL_ADD_MIN: usize = 256;
const MAX_ADD_THREADS: usize = 4;

/// The folder of the text units' vectors inside the vectors folder: a space of its own, so
/// unit ids and sentence model names never meet the frames' (`vectors/text/<model>.usearch`).
pub fn text_units_dir(vectors_dir: &Path) -> PathBuf {
    vectors_dir.join("text")
}

/// The file of a model's vectors; model names are made safe for file names.
pub fn vector_file(dir: &Path, model: &str) -> PathBuf {
    let safe: String = model
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}.usearch"))
}

fn vector_error<E: std::fmt::Display>(context: &str) -> impl FnOnce(E) -> StoreError + '_ {
    move |error| StoreError::Vector(format!("{context}: {error}"))
}

struct ModelVectors {
    index: Arc<usearch::Index>,
    dimensions: usize,
    /// (mtime, length) of the file when it was mapped; readers remap when it changes.
    stamp: Option<(SystemTime, u64)>,
    dirty: bool,
}

/// Threads that add a batch of vectors to one index together.
fn add_threads(batch: usize) -> usize {
    if batch < PARALLEL_ADD_MIN {
        return 1;
    }
    hardware_threads().min(MAX_ADD_THREADS)
}

/// The threads usearch reserves room for (as many as the machine runs at once, as its own
/// default does): adds and searches from more threads than this wait for a free slot.
fn hardware_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Adds `batch` to `index`: replaced keys are removed first, memory is reserved once for
/// the whole batch (doubling, so repeated small batches stay amortised), then the vectors
/// go in from `add_threads` threads (usearch takes concurrent adds after
/// `reserve_capacity_and_threads`).
fn add_batch(index: &usearch::Index, batch: &[&FrameVector]) -> Result<(), StoreError> {
    for frame in batch {
        if index.contains(frame.frame_id) {
            index
                .remove(frame.frame_id)
                .map_err(vector_error("replace"))?;
        }
    }
    let threads = add_threads(batch.len());
    let needed = index.size() + batch.len();
    if needed > index.capacity() {
        let capacity = needed.max(index.capacity() * 2).max(1024);
        index
            .reserve_capacity_and_threads(capacity, hardware_threads())
            .map_err(vector_error("reserve"))?;
    }
    let add_one = |frame: &FrameVector| -> Result<(), StoreError> {
        index
            .add(frame.frame_id, &normalised(&frame.embedding))
            .map_err(vector_error("add"))
    };
    if threads == 1 {
        return batch.iter().try_for_each(|frame| add_one(frame));
    }
    let chunk = batch.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = batch
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().try_for_each(|frame| add_one(frame))))
            .collect();
        workers.into_iter().try_for_each(|worker| {
            worker
                .join()
                .unwrap_or_else(|_| Err(StoreError::Vector("a vector add thread panicked".into())))
        })
    })
}

pub struct VectorStore {
    dir: PathBuf,
    read_only: bool,
    models: Mutex<HashMap<String, ModelVectors>>,
}

fn options(dimensions: usize) -> IndexOptions {
    IndexOptions {
        dimensions,
        metric: MetricKind::Cos,
        quantization: ScalarKind::I8,
        connectivity: CONNECTIVITY,
        expansion_add: EXPANSION_ADD,
        expansion_search: EXPANSION_SEARCH,
        multi: false,
    }
}

fn file_stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

fn path_str(path: &Path) -> Result<&str, StoreError> {
    path.to_str().ok_or_else(|| {
        StoreError::Vector(format!(
            "vector index path is not UTF-8: {}",
            path.display()
        ))
    })
}

impl VectorStore {
    pub fn new(dir: &Path, read_only: bool) -> VectorStore {
        VectorStore {
            dir: dir.to_path_buf(),
            read_only,
            models: Mutex::new(HashMap::new()),
        }
    }

    fn models(&self) -> Result<MutexGuard<'_, HashMap<String, ModelVectors>>, StoreError> {
        self.models
            .lock()
            .map_err(|_| StoreError::Vector("vector index lock poisoned".into()))
    }

    /// Loads (writer: into memory; reader: memory-mapped) the model's file if it exists or
    /// changed since it was loaded. Returns false when the model has no vectors on disk.
    fn ensure_loaded(
        &self,
        models: &mut HashMap<String, ModelVectors>,
        model: &str,
    ) -> Result<bool, StoreError> {
        let path = vector_file(&self.dir, model);
        let stamp = file_stamp(&path);
        if let Some(loaded) = models.get(model) {
            // A writer's in-memory index is the newest version; a reader remaps on change.
            if !self.read_only || loaded.stamp == stamp {
                return Ok(true);
            }
        }
        if stamp.is_none() {
            models.remove(model);
            return Ok(false);
        }
        let file = path_str(&path)?;
        let index = if self.read_only {
            usearch::Index::restore_view(file)
        } else {
            usearch::Index::restore(file)
        }
        .map_err(|error| StoreError::Corrupt {
            path: path.clone(),
            message: format!("cannot read vector index: {error}"),
        })?;
        index.change_expansion_search(EXPANSION_SEARCH);
        let dimensions = index.dimensions();
        tracing::debug!(
            model,
            vectors = index.size(),
            dimensions,
            "vector index loaded"
        );
        models.insert(
            model.to_string(),
            ModelVectors {
                index: Arc::new(index),
                dimensions,
                stamp,
                dirty: false,
            },
        );
        Ok(true)
    }
}

impl VectorIndex for VectorStore {
    fn dimensions(&self, model: &str) -> Result<Option<usize>, StoreError> {
        let mut models = self.models()?;
        if !self.ensure_loaded(&mut models, model)? {
            return Ok(None);
        }
        Ok(models.get(model).map(|m| m.dimensions))
    }
    fn add(&self, frames: &[FrameVector]) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let mut by_model: HashMap<&str, Vec<&FrameVector>> = HashMap::new();
        for frame in frames {
            by_model
                .entry(frame.model.as_str())
                .or_default()
                .push(frame);
        }
        let mut models = self.models()?;
        for (model, batch) in by_model {
            let Some(first) = batch.first() else {
                continue;
            };
            if !self.ensure_loaded(&mut models, model)? {
                let index = usearch::Index::new(&options(first.embedding.len()))
                    .map_err(vector_error("create"))?;
                models.insert(
                    model.to_string(),
                    ModelVectors {
                        index: Arc::new(index),
                        dimensions: first.embedding.len(),
                        stamp: None,
                        dirty: true,
                    },
                );
            }
            let Some(entry) = models.get_mut(model) else {
                continue;
            };
            if let Some(wrong) = batch
                .iter()
                .find(|frame| frame.embedding.len() != entry.dimensions)
            {
                return Err(StoreError::DimensionMismatch {
                    model: model.to_string(),
                    expected: entry.dimensions,
                    found: wrong.embedding.len(),
                });
            }
            add_batch(&entry.index, &batch)?;
            entry.dirty = true;
        }
        Ok(())
    }
    fn remove(&self, frames: &[(u64, String)]) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let mut models = self.models()?;
        for (frame_id, model) in frames {
            if !self.ensure_loaded(&mut models, model)? {
                continue;
            }
            if let Some(entry) = models.get_mut(model)
                && entry.index.contains(*frame_id)
            {
                entry
                    .index
                    .remove(*frame_id)
                    .map_err(vector_error("remove"))?;
                entry.dirty = true;
            }
        }
        Ok(())
    }
    fn reset(&self, model: &str, dimensions: usize) -> Result<(), StoreError> {
        let mut models = self.models()?;
        let index = usearch::Index::new(&options(dimensions)).map_err(vector_error("create"))?;
        models.insert(
            model.to_string(),
            ModelVectors {
                index: Arc::new(index),
                dimensions,
                stamp: None,
                dirty: true,
            },
        );
        Ok(())
    }
    fn save(&self) -> Result<(), StoreError> {
        let mut models = self.models()?;
        for (model, entry) in models.iter_mut().filter(|(_, entry)| entry.dirty) {
            std::fs::create_dir_all(&self.dir).map_err(StoreError::io(&self.dir))?;
            let path = vector_file(&self.dir, model);
            let temporary = path.with_extension("usearch.tmp");
            entry
                .index
                .save(path_str(&temporary)?)
                .map_err(vector_error("save"))?;
            std::fs::File::open(&temporary)
                .and_then(|file| file.sync_all())
                .map_err(StoreError::io(&temporary))?;
            std::fs::rename(&temporary, &path).map_err(StoreError::io(&path))?;
            entry.stamp = file_stamp(&path);
            entry.dirty = false;
        }
        Ok(())
    }
    fn search(
        &self,
        model: &str,
        query: &[f32],
        count: usize,
    ) -> Result<Vec<FrameMatch>, StoreError> {
        let index = {
            let mut models = self.models()?;
            if !self.ensure_loaded(&mut models, model)? {
                return Ok(Vec::new());
            }
            let Some(entry) = models.get(model) else {
                return Ok(Vec::new());
            };
            if query.len() != entry.dimensions {
                return Err(StoreError::DimensionMismatch {
                    model: model.to_string(),
                    expected: entry.dimensions,
                    found: query.len(),
                });
            }
            Arc::clone(&entry.index)
        };
        if index.size() == 0 || count == 0 {
            return Ok(Vec::new());
        }
        let matches = index
            .search(&normalised(query), count)
            .map_err(vector_error("search"))?;
        Ok(matches
            .keys
            .iter()
            .zip(&matches.distances)
            .map(|(key, distance)| FrameMatch {
                frame_id: *key,
                similarity: 1.0 - distance,
            })
            .collect())
    }
    fn contains(&self, model: &str, frame_id: u64) -> Result<bool, StoreError> {
        let mut models = self.models()?;
        if !self.ensure_loaded(&mut models, model)? {
            return Ok(false);
        }
        Ok(models
            .get(model)
            .is_some_and(|entry| entry.index.contains(frame_id)))
    }
    fn len(&self, model: &str) -> Result<usize, StoreError> {
        let mut models = self.models()?;
        if !self.ensure_loaded(&mut models, model)? {
            return Ok(0);
        }
        Ok(models.get(model).map_or(0, |entry| entry.index.size()))
    }
}
