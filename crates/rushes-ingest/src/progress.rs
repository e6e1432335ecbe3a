//! Publishes an index run's progress to `<index>/progress.json` (atomically, at most a few
//! times a second) so that a server in another process can stream it to the web UI.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rushes_core::{FileFailure, PROGRESS_FILE, RunProgress, RunState};

/// How many failures the snapshot keeps (the catalog keeps all of them).
const RECENT_FAILURES: usize = 50;
const MIN_INTERVAL: Duration = Duration::from_millis(250);

pub struct ProgressFile {
    /// Where the snapshot is published; `None` for a library with no folder (PostgreSQL).
    path: Option<PathBuf>,
    snapshot: RunProgress,
    last_write: Option<Instant>,
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl ProgressFile {
    pub fn new(index_dir: &Path) -> ProgressFile {
        ProgressFile::publishing_to(Some(index_dir.join(PROGRESS_FILE)))
    }

    /// A run's progress kept in memory only (the library has no folder to publish it in).
    pub fn unpublished() -> ProgressFile {
        ProgressFile::publishing_to(None)
    }

    fn publishing_to(path: Option<PathBuf>) -> ProgressFile {
        let now = unix_now();
        ProgressFile {
            path,
            snapshot: RunProgress {
                state: RunState::Running,
                started_at: now,
                updated_at: now,
                files_total: 0,
                files_done: 0,
                files_skipped: 0,
                files_failed: 0,
                counts: crate::stages::REGISTERED
                    .iter()
                    .filter_map(|kind| kind.count())
                    .filter(|count| count.in_progress)
                    .map(|count| (count.key.to_owned(), 0))
                    .collect(),
                current: None,
                failures: Vec::new(),
            },
            last_write: None,
        }
    }

    pub fn snapshot_mut(&mut self) -> &mut RunProgress {
        &mut self.snapshot
    }

    /// Adds to a stage's count, when the stage shows it in progress.
    pub fn add_count(&mut self, key: &str, amount: usize) {
        if let Some(total) = self.snapshot.counts.get_mut(key) {
            *total += amount as u64;
        }
    }

    pub fn push_failure(&mut self, path: &Path, reason: &str) {
        self.snapshot.files_failed += 1;
        if self.snapshot.failures.len() == RECENT_FAILURES {
            self.snapshot.failures.remove(0);
        }
        self.snapshot.failures.push(FileFailure {
            path: path.display().to_string(),
            reason: reason.to_string(),
        });
    }

    /// Writes the snapshot unless one was written very recently (`force` writes anyway).
    /// Progress is best effort: a failed write is logged, never fatal.
    pub fn publish(&mut self, force: bool) {
        if !force
            && self
                .last_write
                .is_some_and(|at| at.elapsed() < MIN_INTERVAL)
        {
            return;
        }
        self.snapshot.updated_at = unix_now();
        let Some(path) = &self.path else {
            return;
        };
        let temporary = path.with_extension("json.part");
        let result = serde_json::to_vec_pretty(&self.snapshot)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&temporary, bytes))
            .and_then(|()| std::fs::rename(&temporary, path));
        if let Err(error) = result {
            tracing::warn!(path = %path.display(), %error, "could not write progress");
        }
        self.last_write = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `progress.json` keeps its shape: the stages' counts shown in progress are where
    /// `captions` and `speech_lines` were, and the server reads them back.
    #[test]
    fn stage_counts_are_published_under_their_keys_and_read_back() {
        // Never published: nothing is written.
        let mut progress = ProgressFile::new(Path::new("unpublished"));
        progress.add_count("captions", 3);
        progress.add_count("faces", 7);
        let json = serde_json::to_value(&progress.snapshot).unwrap_or_default();
        assert_eq!(json["captions"], 3);
        assert_eq!(json["speech_lines"], 0);
        assert!(
            json.get("faces").is_none(),
            "faces are not shown in progress"
        );
        let text = serde_json::to_string(&progress.snapshot).unwrap_or_default();
        let back: RunProgress = serde_json::from_str(&text).expect("parses back");
        assert_eq!(back, progress.snapshot);
    }
}
