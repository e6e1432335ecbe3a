//! The index workers' job queue (issue 22, item 2): `rushes index` records every file a walk
//! finds as a job; any worker claims the next one with `FOR UPDATE SKIP LOCKED`, so two
//! workers never take the same file, and holds it under a lease it renews while working.
//! A worker that dies loses its claim when the lease runs out and another takes the job
//! over; the dead worker's late finish is refused ([`PostgresError::LeaseLost`]), so a
//! file's outcome is recorded once. Finishing takes any client, so a worker commits the
//! file's rows and its job's outcome in one transaction.
//!
//! Paths are in library form (`crate::paths`), so a job enqueued on one machine is found on
//! another that mounts the footage elsewhere.

use std::collections::BTreeMap;
use std::time::Duration;

use postgres::GenericClient;
use rushes_core::FileFailure;
use rushes_store::{FileInProgress, QueueSummary};

use crate::PostgresError;

/// A file a walk found, in library form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// The root the walk started from.
    pub root: String,
    pub path: String,
    pub size: i64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
}

/// A job a worker holds until it finishes it or its lease runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub job: i64,
    pub worker: String,
    pub file: FoundFile,
    /// 1 for the first claim of this job, more when a previous claim's lease ran out.
    pub attempt: i32,
}

/// How a worker's job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed { message: String },
}

/// The queue's counts, for a worker deciding whether to wait for more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStatus {
    /// Waiting for a worker, including claims whose lease ran out.
    pub queued: i64,
    pub done: i64,
    pub failed: i64,
    /// Jobs held under a live lease, by worker name.
    pub in_progress: BTreeMap<String, i64>,
}

/// Records `files` as jobs. A new file is queued; a known file is queued again when it
/// failed before or changed (size or mtime) since it was done; a file being worked on is
/// left to its worker. Returns how many jobs were queued. A path listed twice counts once
/// (the last listing wins).
pub fn enqueue(client: &mut impl GenericClient, files: &[FoundFile]) -> Result<u64, PostgresError> {
    let mut unique: BTreeMap<&str, &FoundFile> = BTreeMap::new();
    for file in files {
        unique.insert(&file.path, file);
    }
    let roots: Vec<&str> = unique.values().map(|file| file.root.as_str()).collect();
    let paths: Vec<&str> = unique.keys().copied().collect();
    let sizes: Vec<i64> = unique.values().map(|file| file.size).collect();
    let mtimes: Vec<i64> = unique.values().map(|file| file.mtime).collect();
    Ok(client.execute(
        "INSERT INTO index_jobs AS job (root, path, size, mtime)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
         ON CONFLICT (path) DO UPDATE SET root = excluded.root, size = excluded.size,
             mtime = excluded.mtime, state = 'queued', message = NULL, attempts = 0,
             enqueued_at = now(), finished_at = NULL
         WHERE job.state = 'failed'
             OR (job.state = 'done' AND (job.size, job.mtime) <> (excluded.size, excluded.mtime))",
        &[&roots, &paths, &sizes, &mtimes],
    )?)
}

/// Claims the oldest job nobody holds — queued, or claimed under a lease that ran out —
/// for `worker`, for `lease`. `None` when there is none left.
pub fn claim(
    client: &mut impl GenericClient,
    worker: &str,
    lease: Duration,
) -> Result<Option<Claim>, PostgresError> {
    let row = client.query_opt(
        "UPDATE index_jobs SET state = 'claimed', worker = $1,
             lease_until = clock_timestamp() + make_interval(secs => $2),
             claimed_at = clock_timestamp(), attempts = attempts + 1
         WHERE id = (
             SELECT id FROM index_jobs
             WHERE state = 'queued' OR (state = 'claimed' AND lease_until < clock_timestamp())
             ORDER BY id
             LIMIT 1
             FOR UPDATE SKIP LOCKED)
         RETURNING id, root, path, size, mtime, attempts",
        &[&worker, &lease.as_secs_f64()],
    )?;
    Ok(row.map(|row| Claim {
        job: row.get(0),
        worker: worker.to_string(),
        file: FoundFile {
            root: row.get(1),
            path: row.get(2),
            size: row.get(3),
            mtime: row.get(4),
        },
        attempt: row.get(5),
    }))
}

/// Extends `claim`'s lease to `lease` from now. Fails with [`PostgresError::LeaseLost`]
/// when another worker took the job over or it is finished.
pub fn renew(
    client: &mut impl GenericClient,
    claim: &Claim,
    lease: Duration,
) -> Result<(), PostgresError> {
    let renewed = client.execute(
        "UPDATE index_jobs SET lease_until = clock_timestamp() + make_interval(secs => $3)
         WHERE id = $1 AND worker = $2 AND state = 'claimed' AND attempts = $4",
        &[
            &claim.job,
            &claim.worker,
            &lease.as_secs_f64(),
            &claim.attempt,
        ],
    )?;
    held(renewed, claim)
}

/// Records how `claim`'s job ended; refused once another worker took the job over. Inside the transaction that writes the file's rows, a
/// [`PostgresError::LeaseLost`] here means: roll back, another worker has the file.
pub fn finish(
    client: &mut impl GenericClient,
    claim: &Claim,
    outcome: &Outcome,
) -> Result<(), PostgresError> {
    let (state, message) = match outcome {
        Outcome::Done => ("done", None),
        Outcome::Failed { message } => ("failed", Some(message.as_str())),
    };
    // A claim whose lease ran out may still finish while nobody has taken it over; a
    // takeover counts another attempt, which tells it from this one even under the same
    // worker name. The row lock orders a finish and a concurrent takeover.
    let finished = client.execute(
        "UPDATE index_jobs SET state = $3, message = $4, worker = NULL, lease_until = NULL,
             finished_at = now()
         WHERE id = $1 AND worker = $2 AND state = 'claimed' AND attempts = $5",
        &[&claim.job, &claim.worker, &state, &message, &claim.attempt],
    )?;
    held(finished, claim)
}

/// The queue's counts: queued (with expired claims), done, failed, in progress by worker.
pub fn status(client: &mut impl GenericClient) -> Result<QueueStatus, PostgresError> {
    let rows = client.query(
        "SELECT CASE WHEN state = 'claimed' AND lease_until < clock_timestamp() THEN 'queued'
                     ELSE state END AS shown,
                CASE WHEN state = 'claimed' AND lease_until >= clock_timestamp() THEN worker END,
                count(*)
         FROM index_jobs GROUP BY 1, 2",
        &[],
    )?;
    let mut status = QueueStatus::default();
    for row in rows {
        let (state, worker, count): (String, Option<String>, i64) =
            (row.get(0), row.get(1), row.get(2));
        match (state.as_str(), worker) {
            ("claimed", Some(worker)) => {
                *status.in_progress.entry(worker).or_default() += count;
            }
            ("done", _) => status.done += count,
            ("failed", _) => status.failed += count,
            _ => status.queued += count,
        }
    }
    Ok(status)
}

fn held(rows: u64, claim: &Claim) -> Result<(), PostgresError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(PostgresError::LeaseLost {
            job: claim.job,
            worker: claim.worker.clone(),
        })
    }
}

/// Failures listed in a [`QueueSummary`], newest first.
const FAILURES_LISTED: i64 = 20;

/// The whole library's queue for `rushes status` and the web UI's progress: the counts of
/// [`status`], every file held under a live lease with its worker and since when, and the latest
/// failures with their messages. Paths are in library form.
pub fn summary(client: &mut impl GenericClient) -> Result<QueueSummary, PostgresError> {
    let counts = status(client)?;
    let in_progress = client
        .query(
            "SELECT path, worker, floor(extract(epoch FROM claimed_at))::int8 FROM index_jobs
             WHERE state = 'claimed' AND lease_until >= clock_timestamp()
             ORDER BY worker, path",
            &[],
        )?
        .iter()
        .map(|row| FileInProgress {
            path: row.get(0),
            worker: Some(row.get(1)),
            since: row.get(2),
        })
        .collect();
    let failures = client
        .query(
            "SELECT path, coalesce(message, '') FROM index_jobs WHERE state = 'failed'
             ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT $1",
            &[&FAILURES_LISTED],
        )?
        .iter()
        .map(|row| FileFailure {
            path: row.get(0),
            reason: row.get(1),
        })
        .collect();
    Ok(QueueSummary {
        done: counts.done.max(0) as u64,
        waiting: counts.queued.max(0) as u64,
        in_progress,
        failed: counts.failed.max(0) as u64,
        failures,
        text_copy: None,
    })
}
