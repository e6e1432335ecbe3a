//! `rushes reindex`: rebuilds the derived indexes — the Tantivy text index and the usearch
//! vector files (frames', and text units' in `vectors/text/`) — from the catalog, the source of truth. They are built beside the live
//! ones (`text.next/`, `vectors.next/`) and swapped in afterwards, so a run killed while
//! building leaves the old indexes in use. A `reindex.swap` marker, written once both are
//! complete, makes the swap itself resumable: a writer that finds it finishes the swap.
//! Does not touch the catalog's content (but for the slates, read again from the stored
//! screen text), thumbnails or the manifest's format version.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::catalog::{CATALOG_FILE, Catalog, FrameVector, Repositories};
use crate::error::StoreError;
use crate::manifest;
use crate::seams::{TextIndex, VectorIndex};
use crate::text::TantivyText;
use crate::vectors::VectorStore;

/// Written when the new indexes are complete; removed when they are in place.
pub const SWAP_MARKER: &str = "reindex.swap";
/// The derived parts of an index folder, rebuilt and swapped together.
const DERIVED: [&str; 2] = ["text", "vectors"];
/// Vectors added to the new index per batch (added from several threads).
const VECTOR_BATCH: usize = 8_192;
/// Assets between two progress reports of the text phase.
const TEXT_REPORT_EVERY: usize = 256;

/// How far a rebuild is: `done` of `total` units (assets for the text index, vectors for a
/// vector index) of `stage` (`text`, or `vectors <model>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildProgress {
    pub stage: String,
    pub done: u64,
    pub total: u64,
}

/// What a finished rebuild wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RebuildSummary {
    pub assets: u64,
    pub moments: u64,
    /// Vectors per embedding model, by model name.
    pub vectors: Vec<(String, u64)>,
    /// Text units' sentence vectors per sentence model, by model name.
    #[serde(default)]
    pub text_unit_vectors: Vec<(String, u64)>,
    /// Assets an interrupted index run had left half-written, dropped from the catalog.
    pub dropped_pending: u64,
}

/// How a rebuild ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebuildOutcome {
    Done(RebuildSummary),
    /// The progress callback asked to stop; the old indexes are untouched.
    Cancelled,
}

fn next_dir(dir: &Path, part: &str) -> PathBuf {
    dir.join(format!("{part}.next"))
}

fn old_dir(dir: &Path, part: &str) -> PathBuf {
    dir.join(format!("{part}.old"))
}

fn remove_dir_if_present(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source: error,
        }),
    }
}

/// Makes renames in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::File::open(dir)
        .and_then(|folder| folder.sync_all())
        .map_err(StoreError::io(dir))
}

/// The folder a reader should open for a derived part (`text`, `vectors`): the part
/// itself, or, when a reindex was killed between moving the old one aside and moving the
/// new one in, the complete new one (the swap marker says it is complete). A reader cannot
/// finish the swap (it holds no lock), so it reads where the swap would put it.
pub(crate) fn readable_part(dir: &Path, part: &str) -> PathBuf {
    let current = dir.join(part);
    let next = next_dir(dir, part);
    if !current.exists() && dir.join(SWAP_MARKER).exists() && next.is_dir() {
        return next;
    }
    current
}

/// Finishes a swap a killed `reindex` left half-done (when its marker exists), else throws
/// away new indexes it left half-built; then removes the old indexes a swap left behind.
/// Called by writers, under the writer lock.
pub(crate) fn finish_interrupted_swap(dir: &Path) -> Result<(), StoreError> {
    if dir.join(SWAP_MARKER).exists() {
        tracing::warn!("finishing the swap of an interrupted `rushes reindex`");
    }
    swap_in(dir)
}

/// Moves complete new indexes (marker present) into place, then clears leftovers.
fn swap_in(dir: &Path) -> Result<(), StoreError> {
    let marker = dir.join(SWAP_MARKER);
    if marker.exists() {
        for part in DERIVED {
            let next = next_dir(dir, part);
            if !next.is_dir() {
                continue;
            }
            let current = dir.join(part);
            if current.exists() {
                let old = old_dir(dir, part);
                remove_dir_if_present(&old)?;
                std::fs::rename(&current, &old).map_err(StoreError::io(&current))?;
            }
            std::fs::rename(&next, &current).map_err(StoreError::io(&next))?;
        }
        sync_dir(dir)?;
        std::fs::remove_file(&marker).map_err(StoreError::io(&marker))?;
    }
    for part in DERIVED {
        remove_dir_if_present(&next_dir(dir, part))?;
        remove_dir_if_present(&old_dir(dir, part))?;
    }
    Ok(())
}

/// Rebuilds the text and vector indexes of the index at `dir` from its catalog. Works when
/// they are missing or damaged (it never opens them). Takes the writer lock. `progress` is
/// called as work advances and may stop the run (`ControlFlow::Break`), leaving the old
/// indexes as they were.
pub fn reindex(
    dir: &Path,
    mut progress: impl FnMut(&RebuildProgress) -> ControlFlow<()>,
) -> Result<RebuildOutcome, StoreError> {
    if !dir.join(CATALOG_FILE).is_file() {
        return Err(StoreError::NotFound(format!(
            "no index at {}; run `rushes index <PATH>` first",
            dir.display()
        )));
    }
    let _lock = crate::lock::take_lock(dir)?;
    finish_interrupted_swap(dir)?;
    manifest::check(dir, false)?;
    let catalog = Catalog::open(&dir.join(CATALOG_FILE), false)?;
    let mut summary = RebuildSummary::default();
    // Half-written assets of a killed index run: the next `rushes index` writes them again.
    for id in catalog.assets().pending_assets()? {
        catalog.delete_asset(&id, false)?;
        summary.dropped_pending += 1;
    }
    // Slates are read again from the stored screen text, so a better parser applies.
    let transaction = catalog.write()?;
    transaction.slates().rederive()?;
    transaction.commit()?;

    if build_text(dir, &catalog, &mut summary, &mut progress)?.is_break()
        || build_vectors(dir, &catalog, &mut summary, &mut progress)?.is_break()
    {
        for part in DERIVED {
            remove_dir_if_present(&next_dir(dir, part))?;
        }
        return Ok(RebuildOutcome::Cancelled);
    }

    let marker = dir.join(SWAP_MARKER);
    std::fs::File::create(&marker)
        .and_then(|file| file.sync_all())
        .map_err(StoreError::io(&marker))?;
    sync_dir(dir)?;
    swap_in(dir)?;
    // Every vector key is rebuilt from the catalog: nothing is stale any more.
    catalog.finish_commit()?;
    manifest::write(dir, &catalog.assets().embedding_models()?)?;
    Ok(RebuildOutcome::Done(summary))
}

fn build_text(
    dir: &Path,
    catalog: &Catalog,
    summary: &mut RebuildSummary,
    progress: &mut impl FnMut(&RebuildProgress) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, StoreError> {
    let folder = next_dir(dir, "text");
    remove_dir_if_present(&folder)?;
    let text = TantivyText::open(&folder, false)?;
    let ids = catalog.assets().all_asset_ids()?;
    let total = ids.len() as u64;
    let mut report = |done: usize| {
        progress(&RebuildProgress {
            stage: "text".into(),
            done: done as u64,
            total,
        })
    };
    if report(0).is_break() {
        return Ok(ControlFlow::Break(()));
    }
    for (done, id) in ids.iter().enumerate() {
        let moments = catalog.assets().asset_moments(id)?;
        summary.moments += moments.len() as u64;
        text.put_asset(id, &moments)?;
        if (done + 1) % TEXT_REPORT_EVERY == 0 && report(done + 1).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    text.commit()?;
    summary.assets = total;
    Ok(report(ids.len()))
}

fn build_vectors(
    dir: &Path,
    catalog: &Catalog,
    summary: &mut RebuildSummary,
    progress: &mut impl FnMut(&RebuildProgress) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, StoreError> {
    let folder = next_dir(dir, "vectors");
    remove_dir_if_present(&folder)?;
    std::fs::create_dir_all(&folder).map_err(StoreError::io(&folder))?;
    let vectors = VectorStore::new(&folder, false);
    for (model, dimensions) in catalog.assets().embedding_models()? {
        let total = catalog.assets().frame_vector_count(&model)?;
        let stage = format!("vectors {model}");
        let rebuilt = build_space(
            &vectors,
            &model,
            dimensions,
            total,
            &stage,
            progress,
            |each| catalog.assets().frame_vectors(&model, each),
        )?;
        let ControlFlow::Continue(done) = rebuilt else {
            return Ok(ControlFlow::Break(()));
        };
        summary.vectors.push((model.clone(), done));
    }
    vectors.save()?;
    let text_vectors = VectorStore::new(&crate::vectors::text_units_dir(&folder), false);
    for (model, dimensions) in catalog.text_units().models()? {
        let total = catalog.text_units().vector_count(&model)?;
        let stage = format!("text units {model}");
        let rebuilt = build_space(
            &text_vectors,
            &model,
            dimensions,
            total,
            &stage,
            progress,
            |each| catalog.text_units().vectors(&model, each),
        )?;
        let ControlFlow::Continue(done) = rebuilt else {
            return Ok(ControlFlow::Break(()));
        };
        summary.text_unit_vectors.push((model.clone(), done));
    }
    text_vectors.save()?;
    Ok(ControlFlow::Continue(()))
}

/// Rebuilds one model's space of `vectors` from what `read` hands over, in batches,
/// reporting as `stage`. Returns how many vectors went in, or `Break` when asked to stop.
fn build_space(
    vectors: &VectorStore,
    model: &str,
    dimensions: usize,
    total: u64,
    stage: &str,
    progress: &mut impl FnMut(&RebuildProgress) -> ControlFlow<()>,
    read: impl FnOnce(&mut dyn FnMut(FrameVector) -> Result<(), StoreError>) -> Result<(), StoreError>,
) -> Result<ControlFlow<(), u64>, StoreError> {
    let mut report = |done: u64| {
        progress(&RebuildProgress {
            stage: stage.to_owned(),
            done,
            total,
        })
    };
    if report(0).is_break() {
        return Ok(ControlFlow::Break(()));
    }
    vectors.reset(model, dimensions)?;
    let mut batch = Vec::with_capacity(VECTOR_BATCH);
    let mut done = 0u64;
    let mut flow = ControlFlow::Continue(());
    read(&mut |vector| {
        if flow.is_break() {
            return Ok(());
        }
        batch.push(vector);
        if batch.len() == VECTOR_BATCH {
            vectors.add(&batch)?;
            done += batch.len() as u64;
            batch.clear();
            flow = report(done);
        }
        Ok(())
    })?;
    if flow.is_break() {
        return Ok(ControlFlow::Break(()));
    }
    vectors.add(&batch)?;
    done += batch.len() as u64;
    if report(done).is_break() {
        return Ok(ControlFlow::Break(()));
    }
    Ok(ControlFlow::Continue(done))
}
