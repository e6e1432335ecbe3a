//! What a run reports: [`Event`]s as they happen and the [`Summary`] at the end.

use std::path::PathBuf;

use crate::stage::StageCounts;

/// What happened during a run, as it happens.
#[derive(Debug, Clone)]
pub enum Event {
    /// The walk is over: this many media files will be looked at.
    Walked {
        total: usize,
    },
    /// A model or feature is off, or another run-wide remark.
    Notice(String),
    FileStarted {
        position: usize,
        path: PathBuf,
    },
    FileIndexed {
        path: PathBuf,
        moments: usize,
        warnings: Vec<String>,
    },
    FileSkipped {
        path: PathBuf,
    },
    FileMoved {
        from: PathBuf,
        to: PathBuf,
    },
    FileFailed {
        path: PathBuf,
        reason: String,
    },
    Removed {
        path: PathBuf,
    },
    Finished(Summary),
}

/// Totals of a finished run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub indexed: usize,
    pub skipped: usize,
    pub moved: usize,
    pub failed: usize,
    pub removed: usize,
    pub moments: usize,
    /// What the stages counted in the files indexed by this run (`faces`, `captions`,
    /// `speech_lines`: transcript lines recognised in speech, sidecars not counted).
    #[serde(flatten)]
    pub counts: StageCounts,
    pub seconds: f64,
    pub notices: Vec<String>,
}
