use std::collections::BTreeMap;
use std::time::Duration;

use rushes_postgres::PostgresError;
use rushes_postgres::jobs::{
    FoundFile, Outcome, QueueStatus, claim, enqueue, finish, renew, status, summary,
};
use rushes_testkit::TestError;

use crate::fresh_library;

fn found(count: usize) -> Vec<FoundFile> {
    (0..count)
        .map(|n| FoundFile {
            root: "/footage".into(),
            path: format!("/footage/day1/clip{n:03}.mov"),
            size: 1000 + n as i64,
            mtime: 1_700_000_000,
        })
        .collect()
}

const LEASE: Duration = Duration::from_secs(60);

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

#[test]
fn three_workers_claiming_at_once_get_every_job_exactly_once() -> Result<(), TestError> {
    let (mut client, url) = fresh_library()?;
    let files = found(60);
    assert_eq!(enqueue(&mut client, &files)?, 60);
    let workers: Vec<_> = (0..3)
        .map(|n| {
            let url = url.clone();
            std::thread::spawn(move || -> Result<Vec<String>, String> {
                let worker = format!("worker-{n}");
                let mut client = rushes_postgres::connect(&url).map_err(|e| e.to_string())?;
                let mut done = Vec::new();
                while let Some(job) =
                    claim(&mut client, &worker, LEASE).map_err(|e| e.to_string())?
                {
                    // The file's rows and the job's outcome commit together.
                    let mut transaction = client.transaction().map_err(|e| e.to_string())?;
                    finish(&mut transaction, &job, &Outcome::Done).map_err(|e| e.to_string())?;
                    transaction.commit().map_err(|e| e.to_string())?;
                    done.push(job.file.path);
                }
                Ok(done)
            })
        })
        .collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_worker = Vec::new();
    for worker in workers {
        let done = worker.join().map_err(|_| "a worker panicked")??;
        per_worker.push(done.len());
        for path in done {
            *seen.entry(path).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), files.len(), "every file done");
    assert!(
        seen.values().all(|times| *times == 1),
        "a file done twice: {seen:?}"
    );
    assert_eq!(
        status(&mut client)?,
        QueueStatus {
            done: 60,
            ..QueueStatus::default()
        }
    );
    // Walking the same unchanged files again queues nothing.
    assert_eq!(enqueue(&mut client, &files)?, 0);
    assert!(claim(&mut client, "worker-0", LEASE)?.is_none());
    Ok(())
}

#[test]
fn a_claim_whose_lease_ran_out_is_taken_over_once_and_the_dead_workers_finish_is_refused()
-> Result<(), TestError> {
    let (mut client, url) = fresh_library()?;
    enqueue(&mut client, &found(1))?;
    let short = Duration::from_millis(300);
    let claimed_from = unix_now();
    let dying = claim(&mut client, "dies-mid-file", short)?.ok_or("no job to claim")?;
    assert_eq!(dying.attempt, 1);
    // While the lease runs, nobody else gets the file and status shows who has it, since
    // when.
    assert!(claim(&mut client, "other", LEASE)?.is_none());
    assert_eq!(
        status(&mut client)?.in_progress,
        BTreeMap::from([("dies-mid-file".to_string(), 1)])
    );
    let held = summary(&mut client)?.in_progress;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].worker.as_deref(), Some("dies-mid-file"));
    let since = held[0].since.ok_or("no claim time")?;
    assert!(
        (claimed_from - 1..=unix_now()).contains(&since),
        "claimed at {since}, between {claimed_from} and now"
    );
    std::thread::sleep(short + Duration::from_millis(200));
    assert_eq!(
        status(&mut client)?.queued,
        1,
        "an expired claim waits again"
    );
    // Two workers race for the expired claim: exactly one takes it over.
    let racers: Vec<_> = ["taker-a", "taker-b"]
        .into_iter()
        .map(|worker| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut client = rushes_postgres::connect(&url).map_err(|e| e.to_string())?;
                claim(&mut client, worker, LEASE).map_err(|e| e.to_string())
            })
        })
        .collect();
    let mut takers = Vec::new();
    for racer in racers {
        if let Some(job) = racer.join().map_err(|_| "a racer panicked")?? {
            takers.push(job);
        }
    }
    assert_eq!(takers.len(), 1, "{takers:?}");
    let taker = &takers[0];
    assert_eq!((taker.job, taker.attempt), (dying.job, 2));
    // The dead worker comes back: its renewal and its finish are refused.
    assert!(matches!(
        renew(&mut client, &dying, LEASE),
        Err(PostgresError::LeaseLost { .. })
    ));
    assert!(matches!(
        finish(&mut client, &dying, &Outcome::Done),
        Err(PostgresError::LeaseLost { .. })
    ));
    renew(&mut client, taker, LEASE)?;
    finish(
        &mut client,
        taker,
        &Outcome::Failed {
            message: "ffprobe: moov atom not found".into(),
        },
    )?;
    assert_eq!(
        status(&mut client)?,
        QueueStatus {
            failed: 1,
            ..QueueStatus::default()
        }
    );
    let message: Option<String> = client
        .query_one(
            "SELECT message FROM index_jobs WHERE id = $1",
            &[&taker.job],
        )?
        .get(0);
    assert_eq!(message.as_deref(), Some("ffprobe: moov atom not found"));
    // Finishing twice is refused too: the outcome is recorded once.
    assert!(finish(&mut client, taker, &Outcome::Done).is_err());
    Ok(())
}

#[test]
fn a_failed_or_changed_file_is_queued_again_and_an_unchanged_done_one_is_not()
-> Result<(), TestError> {
    let (mut client, _url) = fresh_library()?;
    let mut files = found(3);
    enqueue(&mut client, &files)?;
    for n in 0..3 {
        let job = claim(&mut client, "w", LEASE)?.ok_or("no job")?;
        let outcome = if n == 0 {
            Outcome::Failed {
                message: "unreadable".into(),
            }
        } else {
            Outcome::Done
        };
        finish(&mut client, &job, &outcome)?;
    }
    files[1].mtime += 60;
    // The same path twice in one walk counts once.
    files.push(files[2].clone());
    assert_eq!(enqueue(&mut client, &files)?, 2);
    let mut again = Vec::new();
    while let Some(job) = claim(&mut client, "w", LEASE)? {
        again.push(job.file.path.clone());
        finish(&mut client, &job, &Outcome::Done)?;
    }
    assert_eq!(again, [files[0].path.clone(), files[1].path.clone()]);
    Ok(())
}

#[test]
fn a_worker_killed_mid_file_leaves_no_rows_and_the_file_is_done_again_once() -> Result<(), TestError>
{
    let (mut client, url) = fresh_library()?;
    enqueue(&mut client, &found(1))?;
    let short = Duration::from_millis(300);
    let mut dying_client = rushes_postgres::connect(&url)?;
    let dying = claim(&mut dying_client, "killed", short)?.ok_or("no job to claim")?;
    let write_asset = |client: &mut rushes_postgres::Transaction<'_>| {
        client.execute(
            "INSERT INTO assets (id, path, display_path, kind, size, mtime, content_hash,
                 media, captured_at, duration, indexed_at)
             VALUES ('hash-1', $1, 'clip000.mov', 'video', 1000, 0, 'hash-1', '{}', 0, 60, 0)",
            &[&b"/footage/day1/clip000.mov".as_slice()],
        )
    };
    let mut transaction = dying_client.transaction()?;
    write_asset(&mut transaction)?;
    // Killed before commit: the connection goes away with the transaction open.
    std::mem::forget(transaction);
    drop(dying_client);
    std::thread::sleep(short + Duration::from_millis(200));
    let assets: i64 = client.query_one("SELECT count(*) FROM assets", &[])?.get(0);
    assert_eq!(assets, 0, "the killed worker's rows were not rolled back");

    let taker = claim(&mut client, "survivor", LEASE)?.ok_or("the job was not released")?;
    assert_eq!((taker.job, taker.attempt), (dying.job, 2));
    let mut transaction = client.transaction()?;
    write_asset(&mut transaction)?;
    finish(&mut transaction, &taker, &Outcome::Done)?;
    transaction.commit()?;
    assert!(claim(&mut client, "survivor", LEASE)?.is_none());
    let assets: i64 = client.query_one("SELECT count(*) FROM assets", &[])?.get(0);
    assert_eq!(assets, 1);
    assert_eq!(
        status(&mut client)?,
        QueueStatus {
            done: 1,
            ..QueueStatus::default()
        }
    );
    Ok(())
}
