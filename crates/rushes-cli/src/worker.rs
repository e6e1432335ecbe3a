//! Indexing a PostgreSQL library from many machines (issue 22): `rushes index PATH…
//! --index postgres://…` walks the paths and queues every file as a job, then works the
//! queue like `rushes worker`, which any machine runs to help. A worker claims one file at a
//! time under a lease it renews on a thread while the file is worked on; the file's rows and
//! its job's outcome commit together (`rushes_postgres::PgIngest`), so a killed worker
//! leaves nothing and its file goes to another worker once the lease runs out. `rushes
//! paths` sets where this machine mounts the library's footage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rushes_ingest::{FileIndexer, FileResult};
use rushes_postgres::jobs::{self, Claim, FoundFile, Outcome};
use rushes_postgres::{PgIngest, PostgresError};

use crate::args::{IndexArgs, MachineOption, PathsCommand, QueueOptions, WorkerArgs};
use crate::ingest_setup::ingest_config;

/// How long an idle worker waits before asking the queue again.
const IDLE_POLL: Duration = Duration::from_secs(2);

/// `--machine`, else the host name, else `localhost`.
fn machine_name(option: &MachineOption) -> String {
    option
        .machine
        .clone()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|name| name.trim().to_string())
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn lease_of(queue: &QueueOptions) -> Result<Duration> {
    if !(queue.lease.is_finite() && queue.lease >= 1.0) {
        bail!("--lease must be at least 1 second, not {}", queue.lease);
    }
    Ok(Duration::from_secs_f64(queue.lease))
}

fn open_library(url: &str, machine: &str) -> Result<PgIngest> {
    PgIngest::open(url, machine).with_context(|| {
        format!(
            "while opening the library at {}",
            rushes_postgres::without_password(url)
        )
    })
}

/// `rushes index PATH… --index postgres://…`: queue every media file below the roots, then
/// work the queue until it is empty.
pub fn index_into_postgres(
    args: &IndexArgs,
    url: &str,
    roots: Vec<PathBuf>,
    models_dir: PathBuf,
) -> Result<ExitCode> {
    let machine = machine_name(&args.queue.machine);
    let lease = lease_of(&args.queue)?;
    let library = open_library(url, &machine)?;
    let walked = rushes_ingest::walk_roots(&roots);
    for (path, reason) in &walked.problems {
        eprintln!("failed: {}: {reason}", path.display());
        rushes_store::ingest_target::IngestTarget::record_failure(&library, path, reason)?;
    }
    let prefixes = library.prefixes();
    let mut found = Vec::with_capacity(walked.candidates.len());
    for candidate in &walked.candidates {
        let root = roots
            .iter()
            .find(|root| candidate.path.starts_with(root))
            .unwrap_or(&candidate.path);
        found.push(FoundFile {
            root: prefixes.to_library(root)?,
            path: prefixes.to_library(&candidate.path)?,
            size: candidate.size as i64,
            mtime: candidate.mtime,
        });
    }
    let queued = {
        let mut client = library.engine().pool().get()?;
        jobs::enqueue(&mut *client, &found)?
    };
    eprintln!(
        "found {} media files, {queued} queued (the others are indexed and unchanged, or a worker has them)",
        found.len()
    );
    // As a local `rushes index` does: files gone from below the roots leave the library.
    let removed = if args.no_prune {
        0
    } else {
        prune(&library, &roots)?
    };
    if args.queue_only {
        return Ok(ExitCode::SUCCESS);
    }
    let config = ingest_config(&args.ingest, roots, models_dir)?;
    let mut summary = work_queue(&library, url, config, &machine, lease, true)?;
    summary.removed = removed;
    summary.print(args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// Removes what is gone from below `roots` (through this machine's prefix map), says what
/// went and which folders were not looked at because they are not on this machine.
fn prune(library: &PgIngest, roots: &[PathBuf]) -> Result<usize> {
    let pruned = library
        .prune_missing(roots)
        .context("while removing files that are gone")?;
    for path in &pruned.removed {
        eprintln!("removed (file is gone): {}", path.display());
    }
    for folder in &pruned.not_here {
        eprintln!(
            "note: {} is not on this machine (not mounted?): nothing below it was removed",
            folder.display()
        );
    }
    Ok(pruned.removed.len())
}

/// `rushes worker --index postgres://…`.
pub fn worker(args: WorkerArgs, models_dir: PathBuf) -> Result<ExitCode> {
    let Some(url) = crate::location::database_url(&args.location.index) else {
        bail!(
            "`rushes worker` works the queue of a PostgreSQL library: give --index postgres://…\
             (a local index is indexed by `rushes index` alone)"
        );
    };
    let machine = machine_name(&args.queue.machine);
    let lease = lease_of(&args.queue)?;
    let library = open_library(url, &machine)?;
    let config = ingest_config(&args.ingest, Vec::new(), models_dir)?;
    let summary = work_queue(&library, url, config, &machine, lease, args.exit_when_idle)?;
    summary.print(false)?;
    Ok(ExitCode::SUCCESS)
}

/// What one worker did.
#[derive(Debug, Default, serde::Serialize)]
struct WorkerSummary {
    indexed: usize,
    skipped: usize,
    moved: usize,
    failed: usize,
    moments: usize,
    /// Files whose lease ran out while this worker had them (another worker took them).
    lost: usize,
    /// Assets removed because their files are gone (`rushes index` only).
    removed: usize,
    seconds: f64,
}

impl WorkerSummary {
    fn print(&self, json: bool) -> Result<()> {
        if json {
            return crate::output::print_json(self);
        }
        eprintln!(
            "indexed {} files ({} moments), {} unchanged, {} moved, {} failed, {} taken over in {:.1}s",
            self.indexed,
            self.moments,
            self.skipped,
            self.moved,
            self.failed,
            self.lost,
            self.seconds
        );
        Ok(())
    }
}

/// Claims and indexes files until the queue is empty (and, with `exit_when_idle`, no other
/// worker holds one whose lease could run out); else waits for more.
fn work_queue(
    library: &PgIngest,
    url: &str,
    config: rushes_ingest::IngestConfig,
    machine: &str,
    lease: Duration,
    exit_when_idle: bool,
) -> Result<WorkerSummary> {
    let started = Instant::now();
    let name = format!("{machine}:{}", std::process::id());
    let mut indexer = FileIndexer::load(config, &mut |notice| eprintln!("note: {notice}"))
        .context("while loading the models")?;
    let mut client = rushes_postgres::connect(url)?;
    let mut summary = WorkerSummary::default();
    let mut position = 0usize;
    loop {
        let Some(claim) = jobs::claim(&mut client, &name, lease)? else {
            let status = jobs::status(&mut client)?;
            if exit_when_idle && status.queued == 0 && status.in_progress.is_empty() {
                break;
            }
            std::thread::sleep(IDLE_POLL);
            continue;
        };
        position += 1;
        let local = library.prefixes().to_local(&claim.file.path);
        eprintln!("[{position}] {}", local.display());
        library.hold(claim.clone());
        let renewing = LeaseRenewal::start(url, claim.clone(), lease);
        let result = indexer.index(library, &local);
        renewing.stop();
        let result = match result {
            Ok(result) => result,
            Err(error) if lease_lost(&error) => {
                eprintln!(
                    "lost: {}: the lease ran out and another worker has the file",
                    local.display()
                );
                library.release();
                summary.lost += 1;
                continue;
            }
            Err(error) => {
                return Err(error).with_context(|| format!("while indexing {}", local.display()));
            }
        };
        // A file written or failed finished its job with its rows; unchanged and moved
        // files finish it here.
        if let Some(claim) = library.release()
            && let Err(error) = jobs::finish(&mut client, &claim, &Outcome::Done)
        {
            match error {
                PostgresError::LeaseLost { .. } => summary.lost += 1,
                other => return Err(other.into()),
            }
        }
        match result {
            FileResult::Indexed { moments, warnings } => {
                for warning in warnings {
                    eprintln!("warning: {}: {warning}", local.display());
                }
                summary.indexed += 1;
                summary.moments += moments;
            }
            FileResult::Unchanged => summary.skipped += 1,
            FileResult::Moved { from } => {
                eprintln!("moved: {} -> {}", from.display(), local.display());
                summary.moved += 1;
            }
            FileResult::Failed { reason } => {
                eprintln!("failed: {}: {reason}", local.display());
                summary.failed += 1;
            }
        }
    }
    if let Err(error) = rushes_store::ingest_target::IngestTarget::remove_orphan_thumbnails(library)
    {
        tracing::warn!(%error, "orphan thumbnails not removed");
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// True when indexing stopped because this worker's claim was taken over.
fn lease_lost(error: &rushes_ingest::IngestError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if matches!(
            error.downcast_ref::<PostgresError>(),
            Some(PostgresError::LeaseLost { .. })
        ) {
            return true;
        }
        source = error.source();
    }
    false
}

/// A thread renewing a claim's lease every third of it until stopped (or the claim is lost).
struct LeaseRenewal {
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl LeaseRenewal {
    fn start(url: &str, claim: Claim, lease: Duration) -> LeaseRenewal {
        let (stop, stopped) = mpsc::channel::<()>();
        let url = url.to_string();
        let thread = std::thread::spawn(move || {
            let mut client = match rushes_postgres::connect(&url) {
                Ok(client) => client,
                Err(error) => {
                    tracing::warn!(%error, "cannot renew the lease");
                    return;
                }
            };
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(lease / 3) {
                if let Err(error) = jobs::renew(&mut client, &claim, lease) {
                    tracing::warn!(%error, path = %claim.file.path, "lease not renewed");
                    return;
                }
            }
        });
        LeaseRenewal { stop, thread }
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// `rushes paths set|remove|list --index postgres://…`.
pub fn paths(command: PathsCommand) -> Result<ExitCode> {
    let (location, machine) = match &command {
        PathsCommand::Set {
            location, machine, ..
        }
        | PathsCommand::Remove {
            location, machine, ..
        }
        | PathsCommand::List { location, machine } => (location, machine),
    };
    let Some(url) = crate::location::database_url(&location.index) else {
        bail!("the path-prefix map belongs to a PostgreSQL library: give --index postgres://…");
    };
    let machine = machine_name(machine);
    let mut client = rushes_postgres::open(url).with_context(|| {
        format!(
            "while opening the library at {}",
            rushes_postgres::without_password(url)
        )
    })?;
    match &command {
        PathsCommand::Set { mapping, .. } => {
            let Some((local, library)) = mapping.split_once('=') else {
                bail!("expected LOCAL=LIBRARY, e.g. /Volumes/Footage=/footage, not {mapping:?}");
            };
            rushes_postgres::paths::set_prefix(&mut client, &machine, library, local)?;
            eprintln!("{machine}: {local} is {library} in the library");
        }
        PathsCommand::Remove { library_prefix, .. } => {
            if !rushes_postgres::paths::remove_prefix(&mut client, &machine, library_prefix)? {
                bail!("{machine} has no mapping of {library_prefix}");
            }
        }
        PathsCommand::List { .. } => {
            for (library, local) in rushes_postgres::paths::load(&mut client, &machine)?.entries() {
                println!("{local}={library}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
