//! One index run: walk -> identity -> decode -> fan out to the stages -> write, committing
//! every few files so an interrupted run loses at most the files since the last commit, and
//! reporting every per-file problem as an event instead of stopping. One file's work is
//! `file.rs`, the threads of a video `fan_out.rs`, the stages `stages/`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use rushes_core::RunState;
use rushes_store::ingest_target::IngestTarget;
use tracing::{debug, info, warn};

use crate::IngestError;
use crate::config::IngestConfig;
use crate::events::{Event, Summary};
use crate::file::{FileError, FileOutcome, index_file};
use crate::housekeeping::{
    clear_failures_of_vanished_files, prune_missing, remove_assets_inside_indexes,
    remove_orphan_thumbnails,
};
use crate::progress::ProgressFile;
use crate::stage::{Loaded, RunStage, StageCounts, StageKind};
use crate::walk::walk_roots;

/// Indexes the roots into `index`. Returns the totals; per-file problems are in them and in
/// the events, and only a broken index or environment is an `Err`.
pub fn run(
    index: &dyn IngestTarget,
    config: &IngestConfig,
    on_event: &mut dyn FnMut(&Event),
) -> Result<Summary, IngestError> {
    let started = Instant::now();
    for root in &config.roots {
        if std::fs::symlink_metadata(root).is_err() {
            return Err(IngestError::MissingRoot(root.clone()));
        }
    }
    let mut progress = match index.progress_dir() {
        Some(dir) => ProgressFile::new(dir),
        None => ProgressFile::unpublished(),
    };
    progress.publish(true);
    let mut summary = Summary {
        counts: StageCounts::zero_for(crate::stages::REGISTERED),
        ..Summary::default()
    };

    let walked = walk_roots(&config.roots);
    let total = walked.candidates.len();
    progress.snapshot_mut().files_total = (total + walked.problems.len()) as u64;
    on_event(&Event::Walked { total });
    for (path, reason) in &walked.problems {
        index.record_failure(path, reason)?;
        progress.push_failure(path, reason);
        summary.failed += 1;
        on_event(&Event::FileFailed {
            path: path.clone(),
            reason: reason.clone(),
        });
    }
    for folder in &walked.index_folders {
        let notice = format!(
            "skipped {}: it is a rushes index (its thumbnails are not footage)",
            folder.display()
        );
        on_event(&Event::Notice(notice.clone()));
        summary.notices.push(notice);
    }
    let mut earlier_failures = clear_failures_of_vanished_files(index, &config.roots, &walked)?;

    let mut stages = load_stages(config, &mut |notice| {
        if !summary.notices.contains(&notice) {
            on_event(&Event::Notice(notice.clone()));
            summary.notices.push(notice);
        }
    })?;

    let mut pending = 0usize;
    let mut last_commit = Instant::now();
    let mut warned_sidecars: HashSet<PathBuf> = HashSet::new();
    for (position, candidate) in walked.candidates.iter().enumerate() {
        progress.snapshot_mut().current = Some(candidate.path.display().to_string());
        progress.publish(false);
        on_event(&Event::FileStarted {
            position,
            path: candidate.path.clone(),
        });
        // A file that changes while it is read is read once more, then failed.
        let mut outcome = Err(FileError::Changed);
        for _attempt in 0..2 {
            outcome = index_file(index, &mut stages, config, candidate);
            if !matches!(outcome, Err(FileError::Changed)) {
                break;
            }
            debug!(path = %candidate.path.display(), "changed while it was being indexed");
        }
        // Indexed, unchanged or moved: a failure recorded for it earlier is over.
        if outcome.is_ok() && earlier_failures.remove(&candidate.path) {
            index.clear_failure(&candidate.path)?;
        }
        match outcome {
            Ok(FileOutcome::Indexed {
                moments,
                counts,
                mut warnings,
                sidecar_warnings,
            }) => {
                for (sidecar, warning) in sidecar_warnings {
                    if warned_sidecars.insert(sidecar) {
                        warnings.push(warning);
                    }
                }
                summary.indexed += 1;
                summary.moments += moments;
                for (key, count) in counts {
                    summary.counts.add(key, count);
                    progress.add_count(key, count);
                }
                pending += 1;
                progress.snapshot_mut().files_done += 1;
                on_event(&Event::FileIndexed {
                    path: candidate.path.clone(),
                    moments,
                    warnings,
                });
            }
            Ok(FileOutcome::Unchanged) => {
                summary.skipped += 1;
                progress.snapshot_mut().files_skipped += 1;
                on_event(&Event::FileSkipped {
                    path: candidate.path.clone(),
                });
            }
            Ok(FileOutcome::Moved { from }) => {
                summary.moved += 1;
                pending += 1;
                progress.snapshot_mut().files_done += 1;
                on_event(&Event::FileMoved {
                    from,
                    to: candidate.path.clone(),
                });
            }
            Err(error) => match error.into_reason() {
                Ok(reason) => {
                    warn!(path = %candidate.path.display(), %reason, "not indexed");
                    index.record_failure(&candidate.path, &reason)?;
                    pending += 1;
                    summary.failed += 1;
                    progress.push_failure(&candidate.path, &reason);
                    on_event(&Event::FileFailed {
                        path: candidate.path.clone(),
                        reason,
                    });
                }
                Err(error) => {
                    progress.snapshot_mut().state = RunState::Failed;
                    progress.publish(true);
                    return Err(error);
                }
            },
        }
        if pending >= config.commit_every
            || (pending > 0 && last_commit.elapsed() >= config.commit_interval)
        {
            index.commit()?;
            pending = 0;
            last_commit = Instant::now();
        }
    }

    if config.prune {
        summary.removed = prune_missing(index, &config.roots, on_event)?;
        let inside = remove_assets_inside_indexes(index, &walked.index_folders)?;
        if inside > 0 {
            let notice = format!(
                "removed {inside} assets an earlier run took from inside a rushes index (its own thumbnails)"
            );
            on_event(&Event::Notice(notice.clone()));
            summary.notices.push(notice);
        }
    }
    index.commit()?;
    remove_orphan_thumbnails(index)?;
    summary.seconds = started.elapsed().as_secs_f64();
    let snapshot = progress.snapshot_mut();
    snapshot.state = RunState::Done;
    snapshot.current = None;
    progress.publish(true);
    info!(
        indexed = summary.indexed,
        skipped = summary.skipped,
        failed = summary.failed,
        removed = summary.removed,
        "index run finished"
    );
    on_event(&Event::Finished(summary.clone()));
    Ok(summary)
}

/// Loads every registered stage the run has not switched off, passing on each notice (why a
/// stage is off, which model it uses).
///
/// Each stage loads on a thread of its own: loading is a single-threaded read and unpacking
/// of model files (dlib's face models take about a second of one core, the OCR sessions most
/// of another), and loaded one after the other, one of the two cores idled through it before
/// the first frame was decoded. Results, notices and the first error are taken in
/// registration order, as before.
pub(crate) fn load_stages(
    config: &IngestConfig,
    on_notice: &mut dyn FnMut(String),
) -> Result<Vec<RunStage>, IngestError> {
    let kinds: Vec<&'static dyn StageKind> = crate::stages::REGISTERED
        .iter()
        .copied()
        .filter(|kind| !(kind.switch().is_some() && config.stages.is_off(kind.name())))
        .collect();
    let results: Vec<std::thread::Result<Result<Loaded, IngestError>>> =
        std::thread::scope(|scope| {
            let loading: Vec<_> = kinds
                .iter()
                .map(|&kind| scope.spawn(move || kind.load(config)))
                .collect();
            loading.into_iter().map(|handle| handle.join()).collect()
        });
    let mut stages = Vec::new();
    for (kind, result) in kinds.into_iter().zip(results) {
        let loaded = match result {
            Ok(loaded) => loaded?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        for notice in loaded.notices {
            on_notice(notice);
        }
        if let Some(stage) = loaded.stage {
            stages.push(RunStage { kind, stage });
        }
    }
    Ok(stages)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rushes index --json` keeps its keys: the stages' counts sit where the fixed fields
    /// were (in registration order, the one-line summary's); a stage added later (semantic's
    /// `text_units`) comes after them.
    #[test]
    fn the_summary_lists_the_stage_counts_in_their_old_places() {
        let mut summary = Summary {
            indexed: 2,
            moments: 5,
            counts: StageCounts::zero_for(crate::stages::REGISTERED),
            ..Summary::default()
        };
        summary.counts.add("captions", 2);
        summary.counts.add("speech_lines", 4);
        summary.counts.add("not_a_stage", 9);
        let json = serde_json::to_string(&summary).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"indexed":2,"skipped":0,"moved":0,"failed":0,"removed":0,"moments":5,"captions":2,"speech_lines":4,"faces":0,"text_units":0,"seconds":0.0,"notices":[]}"#
        );
        assert_eq!(summary.counts.get("captions"), 2);
        assert_eq!(summary.counts.get("not_a_stage"), 0);
    }

    #[test]
    fn every_registered_stage_has_its_own_name_and_switch() {
        let names: HashSet<&str> = crate::stages::REGISTERED
            .iter()
            .map(|kind| kind.name())
            .collect();
        assert_eq!(names.len(), crate::stages::REGISTERED.len());
        let flags: Vec<&str> = crate::stages::REGISTERED
            .iter()
            .filter_map(|kind| kind.switch())
            .map(|switch| switch.flag)
            .collect();
        assert_eq!(
            flags,
            [
                "no-ocr",
                "no-captions",
                "no-visual",
                "no-speech",
                "no-faces",
                "no-semantic"
            ]
        );
    }
}
