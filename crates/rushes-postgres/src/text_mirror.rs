//! A copy of the library's moment documents in a Tantivy index on this machine
//! ([`TextMirror`]), for `rushes serve`. PostgreSQL ranks every match of a query before it
//! keeps the best, so one common word costs tens of milliseconds at a million moments;
//! Tantivy's block-max scoring skips to the best in a few. The database stays the record:
//! the copy follows it through `text_changes` (schema step 11), and a search reads the copy
//! only when it holds every change the database shows at that request. Otherwise that
//! search's text branch runs in PostgreSQL, exactly as without a copy, and the copy catches
//! up on a thread of its own ([`TextMirror::follow`]).
//!
//! The copy is built from the catalog rows (`asset_moments`, as the text of an indexed file
//! is), so it is the local engine's text index, word for word: the same analyzer, BM25 and
//! snippets. Its folder is `<dir>/<library id>/`: the Tantivy index and `mirror.json`, the
//! database snapshot (`pg_snapshot`) it was last brought to. An asset's documents are
//! replaced whole, so applying a change twice is harmless: the snapshot is written after
//! the index commits, and a copy stopped midway starts again from the last one written.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use rushes_store::seams::TextIndex;
use rushes_store::text::TantivyText;
use rushes_store::{StoreError, TextCopyProgress};
use serde_json::json;

use crate::asset_rows::asset_moments;
use crate::pool::{Pool, read_only_view};
use crate::store_error;

/// How often the following thread looks for changes when nothing wakes it.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);
/// How long the following thread waits after a failure (a database restart, a full disk).
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Files between two progress lines while the copy is built or catches up.
const REPORT_EVERY: usize = 1000;
/// The file beside the index that names its library and snapshot.
const STATE_FILE: &str = "mirror.json";

/// Whether the changes since a snapshot leave the copy behind: some transaction visible now
/// and not at `$1` wrote moment texts, or the snapshot cannot be followed (`TOO_OLD`).
const BEHIND: &str = "SELECT EXISTS (SELECT 1 FROM text_changes
     WHERE txid >= pg_snapshot_xmin($1::text::pg_snapshot)
       AND NOT pg_visible_in_snapshot(txid, $1::text::pg_snapshot))
     OR pg_snapshot_xmin($1::text::pg_snapshot) < (SELECT changes_pruned_before FROM library_identity)
     OR pg_snapshot_xmax(pg_current_snapshot()) < pg_snapshot_xmax($1::text::pg_snapshot)";
/// Whether a snapshot cannot be followed, so the copy is built again: changes newer than
/// it may have been pruned, or it is ahead of the database's own transaction ids (the
/// library was restored into another server, whose ids start again lower).
const TOO_OLD: &str = "SELECT pg_snapshot_xmin($1::text::pg_snapshot) < changes_pruned_before
         OR pg_snapshot_xmax(pg_current_snapshot()) < pg_snapshot_xmax($1::text::pg_snapshot)
     FROM library_identity";
/// How long `text_changes` rows are kept: a server stopped longer builds its copy again.
pub const KEEP_CHANGES: Duration = Duration::from_secs(7 * 24 * 3600);
/// How often a following server prunes `text_changes`.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// The assets those changes wrote.
const CHANGED_ASSETS: &str = "SELECT DISTINCT asset_id FROM text_changes
     WHERE txid >= pg_snapshot_xmin($1::text::pg_snapshot)
       AND NOT pg_visible_in_snapshot(txid, $1::text::pg_snapshot)
     ORDER BY asset_id";

/// What one catch-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CaughtUp {
    /// Files whose documents were written again (or removed).
    pub assets: usize,
    /// True when the copy was built from nothing.
    pub rebuilt: bool,
}

/// The moment documents of one library, copied into a Tantivy index on this machine.
pub struct TextMirror {
    text: TantivyText,
    folder: PathBuf,
    library: String,
    /// The database snapshot the committed copy holds; `None` until it is first built.
    snapshot: Mutex<Option<String>>,
    /// Held by the one catch-up running.
    catching_up: Mutex<()>,
    /// Files copied of all while the copy is built from nothing.
    building: Mutex<Option<TextCopyProgress>>,
    wake: (Mutex<bool>, Condvar),
    stopped: AtomicBool,
}

impl TextMirror {
    /// Opens (or starts) the copy of the library `pool` reaches, in `dir/<library id>/`.
    /// Another process holding that copy is an error (`StoreError::Tantivy`: the index's
    /// writer lock); the copy opened is only as current as its last catch-up.
    pub fn open(pool: &Pool, dir: &Path) -> Result<TextMirror, StoreError> {
        let library: String = pool
            .get()
            .map_err(store_error)?
            .query_one("SELECT id FROM library_identity", &[])
            .map_err(store_error)?
            .get(0);
        // A folder name: the id schema step 11 made (`gen_random_uuid`), nothing else.
        if library.is_empty() || !library.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(StoreError::Invalid(format!(
                "the library's id {library:?} is not one rushes made; a server's copy of the \
                 text index cannot be named after it"
            )));
        }
        let folder = dir.join(&library);
        let text = match TantivyText::open(&folder, false) {
            Ok(text) => text,
            // Another process holds it: left to that one.
            Err(error @ StoreError::Tantivy(tantivy::TantivyError::LockFailure(..))) => {
                return Err(error);
            }
            // Damaged (a full disk, a crash of the file system): made again from nothing.
            Err(error) => {
                tracing::warn!(
                    "the copy of the text index in {} cannot be read ({error}): building it again",
                    folder.display()
                );
                std::fs::remove_dir_all(&folder).map_err(|source| StoreError::Io {
                    path: folder.clone(),
                    source,
                })?;
                TantivyText::open(&folder, false)?
            }
        };
        let snapshot = read_state(&folder.join(STATE_FILE))
            .filter(|state| state.0 == library)
            .map(|state| state.1);
        Ok(TextMirror {
            text,
            folder,
            library,
            snapshot: Mutex::new(snapshot),
            catching_up: Mutex::new(()),
            building: Mutex::new(None),
            wake: (Mutex::new(false), Condvar::new()),
            stopped: AtomicBool::new(false),
        })
    }

    /// The copy's text index, to search (check [`TextMirror::is_current`] first).
    pub fn text(&self) -> &TantivyText {
        &self.text
    }

    /// How far the copy is built while it is built from nothing; `None` otherwise.
    pub fn building(&self) -> Option<TextCopyProgress> {
        *lock(&self.building)
    }

    /// The folder of the copy.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// True when the copy holds every moment text the database shows now.
    pub fn is_current(&self, pool: &Pool) -> Result<bool, StoreError> {
        let Some(snapshot) = lock(&self.snapshot).clone() else {
            return Ok(false);
        };
        let mut client = pool.get().map_err(store_error)?;
        let rows = client
            .query_prepared(BEHIND, &[&snapshot])
            .map_err(store_error)?;
        let behind: bool = rows.first().is_some_and(|row| row.get(0));
        Ok(!behind)
    }

    /// Brings the copy to the database as it is now: the files whose texts changed since
    /// its snapshot (every file, the first time) are written again, then the index commits
    /// and the new snapshot is kept. One catch-up runs at a time; a second caller waits
    /// for it and then finds little or nothing left to do.
    pub fn catch_up(&self, pool: &Pool) -> Result<CaughtUp, StoreError> {
        let _one_at_a_time = lock(&self.catching_up);
        let previous = lock(&self.snapshot).clone();
        let mut client = pool.get().map_err(store_error)?;
        let mut transaction = read_only_view(&mut client).map_err(store_error)?;
        let now: String = transaction
            .query_one("SELECT pg_current_snapshot()::text", &[])
            .map_err(store_error)?
            .get(0);
        // A copy older than the oldest change kept may have missed one, and one of another
        // server's transaction ids cannot be followed here: built again.
        let previous = match previous {
            Some(snapshot) => {
                let too_old: bool = transaction
                    .query_one(TOO_OLD, &[&snapshot])
                    .map_err(store_error)?
                    .get(0);
                (!too_old).then_some(snapshot)
            }
            None => None,
        };
        let (assets, rebuilt): (Vec<String>, bool) = match &previous {
            Some(snapshot) => (
                transaction
                    .query(CHANGED_ASSETS, &[snapshot])
                    .map_err(store_error)?
                    .iter()
                    .map(|row| row.get(0))
                    .collect(),
                false,
            ),
            None => (
                transaction
                    .query("SELECT id FROM assets ORDER BY id", &[])
                    .map_err(store_error)?
                    .iter()
                    .map(|row| row.get(0))
                    .collect(),
                true,
            ),
        };
        if rebuilt {
            tracing::info!(
                files = assets.len(),
                folder = %self.folder.display(),
                "building this server's copy of the text index"
            );
            self.text.delete_all()?;
            *lock(&self.building) = Some(TextCopyProgress {
                done: 0,
                total: assets.len() as u64,
            });
        }
        let started = Instant::now();
        let written = self.write_assets(&mut transaction, &assets, rebuilt);
        *lock(&self.building) = None;
        if let Err(error) = written {
            // Nothing staged may reach a later commit: the next catch-up starts again here.
            self.text.rollback()?;
            return Err(error);
        }
        transaction.commit().map_err(store_error)?;
        if !assets.is_empty() || rebuilt {
            self.text.commit()?;
            write_state(&self.folder.join(STATE_FILE), &self.library, &now)?;
        }
        if rebuilt || assets.len() >= REPORT_EVERY {
            tracing::info!(
                files = assets.len(),
                seconds = started.elapsed().as_secs_f64(),
                "this server's copy of the text index is current"
            );
        }
        *lock(&self.snapshot) = Some(now);
        Ok(CaughtUp {
            assets: assets.len(),
            rebuilt,
        })
    }

    /// Stages the documents of `assets` as the transaction reads them.
    fn write_assets(
        &self,
        transaction: &mut postgres::Transaction<'_>,
        assets: &[String],
        report: bool,
    ) -> Result<(), StoreError> {
        for (done, asset) in (1..).zip(assets) {
            if self.stopped.load(Ordering::Relaxed) {
                return Err(StoreError::Invalid(
                    "the server stopped while its copy of the text index was being built".into(),
                ));
            }
            let moments = asset_moments(transaction, asset).map_err(store_error)?;
            self.text.put_asset(asset, &moments)?;
            if report {
                if let Some(progress) = lock(&self.building).as_mut() {
                    progress.done = done;
                }
                if done % REPORT_EVERY as u64 == 0 {
                    tracing::info!(done, total = assets.len(), "copying the text index");
                }
            }
        }
        Ok(())
    }

    /// Asks the following thread to catch up now.
    pub fn wake(&self) {
        *lock(&self.wake.0) = true;
        self.wake.1.notify_all();
    }

    /// Ends the following thread (after the file it is copying).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        self.wake();
    }

    /// Waits until woken or `timeout` passes.
    fn wait(&self, timeout: Duration) {
        let woken = lock(&self.wake.0);
        let (mut woken, _) = self
            .wake
            .1
            .wait_timeout_while(woken, timeout, |woken| !*woken)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *woken = false;
    }

    /// Keeps the copy following the database on a thread of its own, until
    /// [`TextMirror::stop`] or the last other holder of `mirror` lets it go.
    pub fn follow(mirror: &Arc<TextMirror>, pool: Pool) -> std::io::Result<()> {
        let weak: Weak<TextMirror> = Arc::downgrade(mirror);
        std::thread::Builder::new()
            .name("rushes-text-copy".into())
            .spawn(move || {
                let mut pruned_at: Option<Instant> = None;
                while let Some(mirror) = weak.upgrade() {
                    if mirror.stopped.load(Ordering::Relaxed) {
                        return;
                    }
                    if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                        pruned_at = Some(Instant::now());
                        if let Err(error) = prune_changes(&pool, KEEP_CHANGES) {
                            tracing::warn!("could not prune old text changes: {error}");
                        }
                    }
                    let pause = match mirror.catch_up(&pool) {
                        Ok(_) => FOLLOW_EVERY,
                        Err(error) => {
                            if !mirror.stopped.load(Ordering::Relaxed) {
                                tracing::warn!(
                                    "this server's copy of the text index could not catch up \
                                     ({error}); until it does, words rank in PostgreSQL"
                                );
                            }
                            RETRY_AFTER
                        }
                    };
                    mirror.wait(pause);
                }
            })
            .map(|_| ())
    }
}

/// Deletes the `text_changes` rows written more than `keep` ago and raises
/// `changes_pruned_before` past them (in one transaction), so a copy whose snapshot is older
/// is built again rather than missing them. The number of rows deleted.
pub fn prune_changes(pool: &Pool, keep: Duration) -> Result<u64, StoreError> {
    let mut client = pool.get().map_err(store_error)?;
    let mut transaction = client.transaction().map_err(store_error)?;
    let seconds = keep.as_secs_f64();
    let row = transaction
        .query_one(
            "WITH gone AS (
                 DELETE FROM text_changes
                 WHERE written_at < now() - make_interval(secs => $1)
                 RETURNING txid
             )
             SELECT count(*), max(txid)::text FROM gone",
            &[&seconds],
        )
        .map_err(store_error)?;
    let (deleted, newest): (i64, Option<String>) = (row.get(0), row.get(1));
    if let Some(newest) = newest {
        transaction
            .execute(
                "UPDATE library_identity SET changes_pruned_before =
                     greatest(changes_pruned_before, ($1::text::xid8::text::numeric + 1)::text::xid8)",
                &[&newest],
            )
            .map_err(store_error)?;
    }
    transaction.commit().map_err(store_error)?;
    Ok(deleted.max(0) as u64)
}

/// Locks `mutex`; a panic elsewhere leaves plain data behind, which is used as it is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The library id and snapshot `path` holds, if it holds both.
fn read_state(path: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some((
        value.get("library")?.as_str()?.to_string(),
        value.get("snapshot")?.as_str()?.to_string(),
    ))
}

/// Writes the state file whole or not at all (a new file renamed over the old one).
fn write_state(path: &Path, library: &str, snapshot: &str) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let partial = path.with_extension("json.partial");
    let text = json!({"library": library, "snapshot": snapshot}).to_string();
    std::fs::write(&partial, text).map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)
}
