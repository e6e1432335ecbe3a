//! Indexing files one at a time, for an index worker that takes its files from a job queue
//! instead of a walk (`rushes worker` on a PostgreSQL library): [`FileIndexer`] loads the
//! run's stages once and indexes each file it is given, with the same rules as a run (a file
//! that changes while it is read is read once more, then failed). Writing the outcome is
//! the target's: the file's rows, or its failure, recorded through the `IngestTarget`.

use std::path::{Path, PathBuf};

use rushes_store::ingest_target::IngestTarget;

use crate::IngestError;
use crate::config::IngestConfig;
use crate::file::{FileError, FileOutcome, index_file};
use crate::pipeline::load_stages;
use crate::stage::RunStage;
use crate::walk::walk_roots;

/// What became of one file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileResult {
    /// Written with this many moments (and the warnings about it).
    Indexed {
        moments: usize,
        warnings: Vec<String>,
    },
    /// The library holds this version already.
    Unchanged,
    /// The same content moved here from `from`.
    Moved { from: PathBuf },
    /// Not indexed, for this reason (recorded as the file's failure).
    Failed { reason: String },
}

/// The stages of a run, loaded once, indexing the files given one by one.
pub struct FileIndexer {
    config: IngestConfig,
    stages: Vec<RunStage>,
}

impl FileIndexer {
    /// Loads every stage `config` leaves on, passing on each notice.
    pub fn load(
        config: IngestConfig,
        on_notice: &mut dyn FnMut(String),
    ) -> Result<FileIndexer, IngestError> {
        let stages = load_stages(&config, on_notice)?;
        Ok(FileIndexer { config, stages })
    }

    /// Indexes the file at `path` into `target`. A file that is gone or not media, or that
    /// fails, has its failure recorded in `target` and is [`FileResult::Failed`]; only a
    /// broken library or environment is an `Err`.
    pub fn index(
        &mut self,
        target: &dyn IngestTarget,
        path: &Path,
    ) -> Result<FileResult, IngestError> {
        let walked = walk_roots(&[path.to_path_buf()]);
        let outcome = match walked.candidates.into_iter().next() {
            Some(candidate) => {
                let mut outcome = Err(FileError::Changed);
                for _attempt in 0..2 {
                    outcome = index_file(target, &mut self.stages, &self.config, &candidate);
                    if !matches!(outcome, Err(FileError::Changed)) {
                        break;
                    }
                }
                outcome
            }
            None => Err(FileError::Failed(
                match walked.problems.into_iter().next() {
                    Some((_, reason)) => reason,
                    None if std::fs::symlink_metadata(path).is_err() => {
                        "the file is gone (or not reachable from this machine: `rushes paths`)"
                            .to_string()
                    }
                    None => "not a media file".to_string(),
                },
            )),
        };
        match outcome {
            Ok(FileOutcome::Indexed {
                moments,
                mut warnings,
                sidecar_warnings,
                ..
            }) => {
                warnings.extend(sidecar_warnings.into_iter().map(|(_, warning)| warning));
                target.clear_failure(path)?;
                Ok(FileResult::Indexed { moments, warnings })
            }
            Ok(FileOutcome::Unchanged) => {
                target.clear_failure(path)?;
                Ok(FileResult::Unchanged)
            }
            Ok(FileOutcome::Moved { from }) => {
                target.clear_failure(path)?;
                Ok(FileResult::Moved { from })
            }
            Err(error) => {
                let reason = error.into_reason()?;
                target.record_failure(path, &reason)?;
                Ok(FileResult::Failed { reason })
            }
        }
    }
}
