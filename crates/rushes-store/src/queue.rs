//! The whole library's indexing queue as `rushes status` and the web UI's progress show it
//! ([`QueueSummary`]): files done, waiting, being indexed (by which worker, since when) and failed. A
//! PostgreSQL library answers from its workers' job queue; a local index from its latest
//! run's `progress.json` ([`QueueSummary::from_run`]). Owns no storage.

use std::collections::BTreeMap;

use rushes_core::{FileFailure, RunProgress, RunState};
use serde::{Deserialize, Serialize};

/// Where a library's indexing stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueSummary {
    /// Files indexed, or found unchanged.
    pub done: u64,
    /// Files waiting for a worker (a claim whose lease ran out waits again).
    pub waiting: u64,
    /// Files being indexed now, by whom.
    pub in_progress: Vec<FileInProgress>,
    /// Files that could not be indexed.
    pub failed: u64,
    /// The most recent failures with their reasons, newest first (bounded).
    pub failures: Vec<FileFailure>,
    /// The serving machine's copy of the text index while it is built from the database
    /// (`rushes serve` on PostgreSQL); words rank in the database, more slowly, until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_copy: Option<TextCopyProgress>,
}

/// How far a server's copy of the text index is built: files copied of all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextCopyProgress {
    pub done: u64,
    pub total: u64,
}

/// A file being indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInProgress {
    pub path: String,
    /// The index worker holding it (`machine:process`); `None` for a local `rushes index`.
    pub worker: Option<String>,
    /// When the worker took it, in Unix seconds (a local run does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
}

impl QueueSummary {
    /// Every file the queue knows of.
    pub fn total(&self) -> u64 {
        self.done + self.waiting + self.in_progress.len() as u64 + self.failed
    }

    /// True while files wait or are being indexed.
    pub fn is_active(&self) -> bool {
        self.waiting > 0 || !self.in_progress.is_empty()
    }

    /// A local run's progress as a queue: the file it works on is in progress, the rest of
    /// the files it found wait (nothing waits once the run ended).
    pub fn from_run(progress: &RunProgress) -> QueueSummary {
        let running = progress.state == RunState::Running;
        let in_progress: Vec<FileInProgress> = progress
            .current
            .iter()
            .filter(|_| running)
            .map(|path| FileInProgress {
                path: path.clone(),
                worker: None,
                since: None,
            })
            .collect();
        let done = progress.files_done + progress.files_skipped;
        let waiting = if running {
            progress
                .files_total
                .saturating_sub(done + progress.files_failed + in_progress.len() as u64)
        } else {
            0
        };
        QueueSummary {
            done,
            waiting,
            in_progress,
            failed: progress.files_failed,
            failures: progress.failures.clone(),
            text_copy: None,
        }
    }

    /// The queue in one line for `rushes status`: `queue: 2 queued, 40 done, 1 failed; in
    /// progress: studio-a:812 (1), render-2:77 (1)`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "queue: {} queued, {} done, {} failed",
            self.waiting, self.done, self.failed
        );
        let mut by_worker: BTreeMap<&str, usize> = BTreeMap::new();
        for file in &self.in_progress {
            *by_worker
                .entry(file.worker.as_deref().unwrap_or("rushes index"))
                .or_default() += 1;
        }
        if !by_worker.is_empty() {
            let workers: Vec<String> = by_worker
                .iter()
                .map(|(worker, count)| format!("{worker} ({count})"))
                .collect();
            line.push_str(&format!("; in progress: {}", workers.join(", ")));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(state: RunState, current: Option<&str>) -> RunProgress {
        RunProgress {
            state,
            started_at: 0,
            updated_at: 0,
            files_total: 40,
            files_done: 10,
            files_skipped: 2,
            files_failed: 1,
            counts: Default::default(),
            current: current.map(str::to_string),
            failures: vec![FileFailure {
                path: "/footage/bad.mov".to_string(),
                reason: "not a video".to_string(),
            }],
        }
    }

    #[test]
    fn a_running_local_run_is_a_queue_with_its_current_file_in_progress() {
        let queue = QueueSummary::from_run(&run(RunState::Running, Some("/footage/clip.mov")));
        assert_eq!((queue.done, queue.failed, queue.waiting), (12, 1, 26));
        assert_eq!(queue.total(), 40);
        assert!(queue.is_active());
        assert_eq!(queue.in_progress[0].path, "/footage/clip.mov");
        assert_eq!(queue.failures.len(), 1);
        assert_eq!(
            queue.line(),
            "queue: 26 queued, 12 done, 1 failed; in progress: rushes index (1)"
        );
    }

    #[test]
    fn a_finished_run_leaves_nothing_waiting_or_in_progress() {
        let queue = QueueSummary::from_run(&run(RunState::Done, Some("/footage/clip.mov")));
        assert_eq!((queue.done, queue.waiting, queue.failed), (12, 0, 1));
        assert!(queue.in_progress.is_empty());
        assert!(!queue.is_active());
        assert_eq!(queue.line(), "queue: 0 queued, 12 done, 1 failed");
    }
}
