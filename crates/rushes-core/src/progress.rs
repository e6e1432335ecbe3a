//! Progress of an index run, as the indexer publishes it (`<index>/progress.json`) and the
//! server streams it to the web UI.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where an index run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Done,
    Failed,
}

/// One file the run could not index, with a one-line reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileFailure {
    pub path: String,
    pub reason: String,
}

/// A snapshot of an index run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunProgress {
    pub state: RunState,
    /// Unix seconds.
    pub started_at: i64,
    pub updated_at: i64,
    pub files_total: u64,
    pub files_done: u64,
    pub files_skipped: u64,
    pub files_failed: u64,
    /// What the indexing stages counted so far, by the stage's key: `captions` (moments
    /// given a caption by the caption model), `speech_lines` (transcript lines recognised in
    /// speech, not read from sidecars).
    #[serde(flatten)]
    pub counts: BTreeMap<String, u64>,
    /// The file being worked on now.
    pub current: Option<String>,
    /// The most recent failures (bounded).
    pub failures: Vec<FileFailure>,
}

/// File name of the progress snapshot inside an index folder.
pub const PROGRESS_FILE: &str = "progress.json";
