//! Indexing into PostgreSQL (`PgIngest`, the store's `IngestTarget`): a file's rows commit
//! with its job's outcome, and not at all once the worker's lease ran out and another worker
//! took the file; two machines mounting the footage at different places agree on which
//! asset a file is, so a file seen from another mount or moved is not indexed again.

use std::path::Path;
use std::time::Duration;

use rushes_core::AssetId;
use rushes_postgres::jobs::{FoundFile, QueueStatus, claim, enqueue, status};
use rushes_postgres::{Client, PgIngest, PostgresError, paths};
use rushes_store::ingest_target::IngestTarget;
use rushes_store::{Identity, KnownFile, StoreError};
use rushes_testkit::TestError;

use crate::corpus::library;
use crate::fresh_library;

fn queue_one(client: &mut Client, path: &str) -> Result<(), TestError> {
    enqueue(
        client,
        &[FoundFile {
            root: "/footage".into(),
            path: path.into(),
            size: 4_000_000,
            mtime: 1_700_000_000,
        }],
    )?;
    Ok(())
}

fn count(client: &mut Client, sql: &str) -> Result<i64, TestError> {
    Ok(client.query_one(sql, &[])?.get(0))
}

#[test]
fn a_write_after_the_lease_ran_out_is_refused_and_leaves_no_row() -> Result<(), TestError> {
    let (mut client, url) = fresh_library()?;
    let record = library().remove(0);
    let path = record.asset.path.to_string_lossy().into_owned();
    queue_one(&mut client, &path)?;

    let slow = PgIngest::open(&url, "slow-machine")?;
    let first = claim(&mut client, "slow", Duration::from_secs(1))?.ok_or("a job to claim")?;
    slow.hold(first);
    std::thread::sleep(Duration::from_millis(1500));
    let second = claim(&mut client, "fast", Duration::from_secs(60))?
        .ok_or("the lapsed claim is taken over")?;
    assert_eq!(second.attempt, 2);

    let refused = slow.put_asset(&record);
    let lost = match &refused {
        Err(StoreError::Database(error)) => matches!(
            error.downcast_ref::<PostgresError>(),
            Some(PostgresError::LeaseLost { .. })
        ),
        _ => false,
    };
    assert!(lost, "the late write is refused: {refused:?}");
    assert_eq!(count(&mut client, "SELECT count(*) FROM assets")?, 0);
    assert_eq!(count(&mut client, "SELECT count(*) FROM moments")?, 0);

    let fast = PgIngest::open(&url, "fast-machine")?;
    fast.hold(second);
    fast.put_asset(&record)?;
    assert!(fast.release().is_none(), "the write finished the job");
    assert_eq!(count(&mut client, "SELECT count(*) FROM assets")?, 1);
    assert_eq!(
        status(&mut client)?,
        QueueStatus {
            done: 1,
            ..QueueStatus::default()
        }
    );
    Ok(())
}

#[test]
fn a_failure_is_recorded_with_its_job_failed() -> Result<(), TestError> {
    let (mut client, url) = fresh_library()?;
    paths::set_prefix(&mut client, "mac", "/footage", "/Volumes/Footage")?;
    queue_one(&mut client, "/footage/bad.mov")?;
    let mac = PgIngest::open(&url, "mac")?;
    mac.hold(claim(&mut client, "mac:1", Duration::from_secs(60))?.ok_or("a job")?);
    mac.record_failure(Path::new("/Volumes/Footage/bad.mov"), "moov atom not found")?;
    let job = client.query_one("SELECT state, message FROM index_jobs", &[])?;
    assert_eq!(
        (job.get::<_, String>(0), job.get::<_, Option<String>>(1)),
        (
            "failed".to_string(),
            Some("moov atom not found".to_string())
        )
    );
    let failure = client.query_one("SELECT display_path, reason FROM failures", &[])?;
    assert_eq!(failure.get::<_, String>(0), "/footage/bad.mov");
    assert_eq!(
        mac.failed_paths()?,
        vec![Path::new("/Volumes/Footage/bad.mov").to_path_buf()]
    );
    mac.clear_failure(Path::new("/Volumes/Footage/bad.mov"))?;
    assert!(mac.failed_paths()?.is_empty());
    Ok(())
}

#[test]
fn machines_mounting_the_footage_elsewhere_agree_on_each_file() -> Result<(), TestError> {
    let (mut client, url) = fresh_library()?;
    paths::set_prefix(&mut client, "mac", "/footage", "/Volumes/Footage")?;
    paths::set_prefix(&mut client, "linux", "/footage", "/mnt/footage")?;
    let mac = PgIngest::open(&url, "mac")?;
    let linux = PgIngest::open(&url, "linux")?;

    let mut record = library().remove(0);
    let (size, mtime) = (record.asset.size, record.asset.mtime);
    let hash = record.asset.content_hash.clone();
    let on_mac = Path::new("/Volumes/Footage/day1/A001_C003.mov");
    let known = mac.known_file(on_mac, size, mtime)?;
    assert_eq!(known, KnownFile::New);
    let Identity::Build(id) = mac.identify(on_mac, known, size, &hash)? else {
        return Err("a new file is built".into());
    };
    assert_eq!(
        id,
        AssetId::from_path(Path::new("/footage/day1/A001_C003.mov")),
        "the id comes from the library path, the same on every machine"
    );
    record.asset.id = id.clone();
    record.asset.path = on_mac.to_path_buf();
    mac.put_asset(&record)?;
    let stored: Vec<u8> = client.query_one("SELECT path FROM assets", &[])?.get(0);
    assert_eq!(stored, b"/footage/day1/A001_C003.mov");

    let on_linux = Path::new("/mnt/footage/day1/A001_C003.mov");
    assert_eq!(
        linux.known_file(on_linux, size, mtime)?,
        KnownFile::Unchanged
    );
    assert_eq!(
        linux.known_file(on_linux, size, mtime + 1)?,
        KnownFile::Changed(id.clone())
    );
    let assets = linux.assets()?;
    assert_eq!(assets.len(), 1);
    assert_eq!(assets[0].path, on_linux);

    // The same content at a new path, its old path gone from this machine: moved, not new.
    let moved_to = Path::new("/mnt/footage/day2/A001_C003_selects.mov");
    assert_eq!(
        linux.identify(moved_to, KnownFile::New, size, &hash)?,
        Identity::Moved {
            from: on_linux.to_path_buf()
        }
    );
    let row = client.query_one("SELECT id, path FROM assets", &[])?;
    assert_eq!(row.get::<_, String>(0), id.as_str());
    assert_eq!(
        row.get::<_, Vec<u8>>(1),
        b"/footage/day2/A001_C003_selects.mov"
    );
    Ok(())
}
