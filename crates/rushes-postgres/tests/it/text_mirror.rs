//! A server's copy of the text index (`text_mirror`, schema step 11): built from the
//! database, it ranks a search as the local engine does; it follows every write (a hand
//! tag made by another server, a removed file), including a write whose transaction was
//! still open when the copy last read the library; a search never reads it while it is
//! behind; and a server started again catches up on what changed, not on everything.

use std::time::{Duration, Instant};

use rushes_postgres::text_mirror::{KEEP_CHANGES, TextMirror, prune_changes};
use rushes_postgres::{Client, PgLibrary};
use rushes_store::query::parse;
use rushes_store::seams::{AssetWrites, TextIndex, TextOrder};
use rushes_store::{Index, Library, OpenMode, SearchRequest, TimeRange};
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

use crate::corpus::library;

/// A hit as both engines name it: asset id, start in milliseconds, and score.
type Seen = Vec<(String, i64, f32)>;

fn search(library: &dyn Library, query: &str) -> Result<Seen, TestError> {
    let request = SearchRequest {
        query: query.to_string(),
        ..SearchRequest::default()
    };
    Ok(library
        .search(&request)?
        .hits
        .iter()
        .map(|hit| {
            (
                hit.asset.id.to_string(),
                (hit.start * 1000.0).round() as i64,
                hit.score,
            )
        })
        .collect())
}

fn assets_of(seen: &Seen) -> Vec<&str> {
    seen.iter().map(|(asset, _, _)| asset.as_str()).collect()
}

/// The corpus in a fresh database; the library (no copy of its own) and a client.
fn indexed() -> Result<(String, PgLibrary, Client), TestError> {
    let url = shared_server()?.fresh_database()?;
    let pg = PgLibrary::open(&url)?;
    pg.engine().put_assets(&library(), None)?;
    let client = rushes_postgres::connect(&url)?;
    Ok((url, pg, client))
}

#[test]
fn a_copy_ranks_as_the_local_engine_and_follows_every_write() -> Result<(), TestError> {
    let (url, writer, _client) = indexed()?;
    let records = library();
    let dir = tempfile::tempdir()?;
    let local = Index::open(&dir.path().join("local"), OpenMode::ReadWrite)?;
    local.put_assets(&records)?;
    local.commit()?;

    let mirror = TextMirror::open(writer.engine().pool(), &dir.path().join("copy"))?;
    let pool = writer.engine().pool();
    assert!(
        !mirror.is_current(pool)?,
        "a copy never built is not current"
    );
    let built = mirror.catch_up(pool)?;
    assert!(built.rebuilt);
    assert_eq!(built.assets, records.len(), "every file copied");
    assert!(mirror.is_current(pool)?);

    // The server reading the copy: the same hits as the local engine, scores included.
    let server = PgLibrary::open_with_text_mirror(&url, &dir.path().join("server"))?;
    wait_until_current(&server)?;
    for query in [
        "crane",
        "coffee spill",
        "scene 42a take 3",
        "cafe",
        "crane -kind:audio",
    ] {
        assert_eq!(
            search(&server, query)?,
            search(&local, query)?,
            "{query:?} through the copy and the local engine"
        );
    }

    // Another server tags a shot: the copy is behind until it catches up that one file.
    let asset = records[0].asset.id.clone();
    writer.add_hand_tags(
        &asset,
        Some(TimeRange::new(0.0, 5.0)?),
        &["zebracorn".to_string()],
    )?;
    assert!(
        !mirror.is_current(pool)?,
        "a tag made elsewhere leaves it behind"
    );
    let tagged = mirror.catch_up(pool)?;
    assert_eq!((tagged.assets, tagged.rebuilt), (1, false));
    assert!(mirror.is_current(pool)?);

    // A file removed leaves the copy too.
    writer.engine().remove_asset(&records[1].asset.id)?;
    assert!(!mirror.is_current(pool)?);
    assert_eq!(mirror.catch_up(pool)?.assets, 1);
    // The local engine through the same writes (Tantivy counts a removed document in its
    // word statistics until segments merge, in both).
    local.add_hand_tags(
        &asset,
        Some(TimeRange::new(0.0, 5.0)?),
        &["zebracorn".to_string()],
    )?;
    local.remove_asset(&records[1].asset.id)?;
    local.commit()?;
    wait_until_current(&server)?;
    for query in ["zebracorn", "crane", "coffee"] {
        assert_eq!(
            search(&server, query)?,
            search(&local, query)?,
            "{query:?} after the tag and the removal"
        );
    }
    assert_eq!(assets_of(&search(&server, "zebracorn")?), [asset.as_str()]);
    Ok(())
}

#[test]
fn a_write_still_open_when_the_copy_read_the_library_is_not_missed() -> Result<(), TestError> {
    let (_, pg, mut client) = indexed()?;
    let dir = tempfile::tempdir()?;
    let mirror = TextMirror::open(pg.engine().pool(), dir.path())?;
    let pool = pg.engine().pool();
    mirror.catch_up(pool)?;
    let asset = library()[2].asset.id.to_string();

    // A writer's transaction takes its id, then the copy catches up while it is open.
    let mut open = client.transaction()?;
    open.execute(
        "INSERT INTO hand_tags (asset_id, start_time, end_time, tag, added_at)
         VALUES ($1, 0, 1000000, 'latecomer', 0)",
        &[&asset],
    )?;
    open.execute(
        "UPDATE moment_texts SET tags = tags || ' latecomer' WHERE asset_id = $1",
        &[&asset],
    )?;
    assert_eq!(mirror.catch_up(pool)?.assets, 0, "nothing committed yet");
    // Another write commits meanwhile: its transaction started after the open one.
    pg.add_hand_tags(&library()[0].asset.id, None, &["early".to_string()])?;
    assert_eq!(mirror.catch_up(pool)?.assets, 1);
    assert!(mirror.is_current(pool)?);

    // The open one commits last, with the lower transaction id: still seen.
    open.commit()?;
    assert!(
        !mirror.is_current(pool)?,
        "a transaction open at the copy's snapshot, committed after, leaves it behind"
    );
    assert_eq!(mirror.catch_up(pool)?.assets, 1);
    assert!(
        copy_finds(&mirror, "latecomer")?,
        "the late tag is in the copy"
    );
    Ok(())
}

#[test]
fn a_search_never_reads_a_copy_that_is_behind() -> Result<(), TestError> {
    let (url, writer, _client) = indexed()?;
    let dir = tempfile::tempdir()?;
    let server = PgLibrary::open_with_text_mirror(&url, dir.path())?;
    wait_until_current(&server)?;
    let asset = library()[3].asset.id.clone();
    for round in 0..5 {
        let tag = format!("blooper{round}");
        writer.add_hand_tags(&asset, None, std::slice::from_ref(&tag))?;
        // The very next request sees it, copy caught up or not.
        assert_eq!(
            assets_of(&search(&server, &tag)?),
            [asset.as_str()],
            "{tag} at the next request"
        );
    }
    wait_until_current(&server)?;
    assert_eq!(assets_of(&search(&server, "blooper4")?), [asset.as_str()]);
    Ok(())
}

#[test]
fn a_server_started_again_catches_up_on_what_changed() -> Result<(), TestError> {
    let (_, writer, _client) = indexed()?;
    let dir = tempfile::tempdir()?;
    {
        let mirror = TextMirror::open(writer.engine().pool(), dir.path())?;
        assert!(mirror.catch_up(writer.engine().pool())?.rebuilt);
    }
    // While the server is down another one tags a file.
    let asset = library()[1].asset.id.clone();
    writer.add_hand_tags(&asset, None, &["overnight".to_string()])?;

    let mirror = TextMirror::open(writer.engine().pool(), dir.path())?;
    let resumed = mirror.catch_up(writer.engine().pool())?;
    assert_eq!((resumed.assets, resumed.rebuilt), (1, false));

    // A copy whose state is lost is built again, whole.
    drop(mirror);
    for entry in std::fs::read_dir(dir.path())? {
        std::fs::remove_file(entry?.path().join("mirror.json"))?;
    }
    let mirror = TextMirror::open(writer.engine().pool(), dir.path())?;
    let again = mirror.catch_up(writer.engine().pool())?;
    assert!(again.rebuilt);
    assert_eq!(again.assets, library().len());

    // A damaged copy (its index files unreadable) is built again, not given up on.
    let folder = mirror.folder().to_path_buf();
    drop(mirror);
    std::fs::write(folder.join("meta.json"), "{ not json")?;
    let mirror = TextMirror::open(writer.engine().pool(), dir.path())?;
    let repaired = mirror.catch_up(writer.engine().pool())?;
    assert!(repaired.rebuilt);
    assert!(copy_finds(&mirror, "overnight")?);

    // The library restored into another server: its transaction ids start again lower
    // than the copy's snapshot, which cannot be followed there. Built again.
    drop(mirror);
    let state = folder.join("mirror.json");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state)?)?;
    let library_id = saved["library"]
        .as_str()
        .ok_or("the state names its library")?;
    let ahead = serde_json::json!({"library": library_id, "snapshot": "4000000000:4000000000:"});
    std::fs::write(&state, ahead.to_string())?;
    let mirror = TextMirror::open(writer.engine().pool(), dir.path())?;
    assert!(!mirror.is_current(writer.engine().pool())?);
    assert!(mirror.catch_up(writer.engine().pool())?.rebuilt);
    assert!(mirror.is_current(writer.engine().pool())?);

    // The copy's folder is this library's own: another library in the same folder is not
    // served this one's documents.
    let (other_url, _other, _other_client) = indexed()?;
    let other = PgLibrary::open(&other_url)?;
    let beside = TextMirror::open(other.engine().pool(), dir.path())?;
    assert_ne!(beside.folder(), mirror.folder());
    assert!(!beside.is_current(other.engine().pool())?);
    Ok(())
}

/// True when the copy itself (not the database) finds `word`.
fn copy_finds(mirror: &TextMirror, word: &str) -> Result<bool, TestError> {
    let text = mirror.text();
    let query = parse(word)?;
    let words = text
        .build_query(&query.terms, &query.filters, true)?
        .ok_or("a word to look for")?;
    let found = text.top_moments(&text.snapshot(), &*words, 10, TextOrder::Score)?;
    Ok(!found.is_empty())
}

/// Waits (at most a minute) until the server's copy is current.
fn wait_until_current(server: &PgLibrary) -> Result<(), TestError> {
    let started = Instant::now();
    while server.current_text_mirror().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the server's copy of the text index never caught up".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[test]
fn changes_are_kept_a_week_and_a_copy_older_than_that_is_built_again() -> Result<(), TestError> {
    let (_, writer, mut client) = indexed()?;
    let pool = writer.engine().pool();
    let dir = tempfile::tempdir()?;
    let mirror = TextMirror::open(pool, dir.path())?;
    mirror.catch_up(pool)?;
    // A server stopped for more than a week: a tag was made meanwhile, and its change
    // noted more than a week ago.
    let asset = library()[0].asset.id.clone();
    writer.add_hand_tags(&asset, None, &["lastweek".to_string()])?;
    client.execute(
        "UPDATE text_changes SET written_at = now() - interval '8 days'",
        &[],
    )?;
    assert!(prune_changes(pool, KEEP_CHANGES)? > 0, "old changes pruned");
    let left: i64 = client
        .query_one("SELECT count(*) FROM text_changes", &[])?
        .get(0);
    assert_eq!(left, 0);

    // The copy cannot know what it missed: it is behind, and built again, whole.
    assert!(!mirror.is_current(pool)?);
    let caught = mirror.catch_up(pool)?;
    assert!(caught.rebuilt);
    assert_eq!(caught.assets, library().len());
    assert!(mirror.is_current(pool)?);
    assert!(
        copy_finds(&mirror, "lastweek")?,
        "the tag made while it was away is in the copy"
    );

    // Recent changes stay.
    writer.add_hand_tags(&asset, None, &["today".to_string()])?;
    assert_eq!(prune_changes(pool, KEEP_CHANGES)?, 0);
    Ok(())
}

#[test]
fn a_server_building_its_copy_shows_how_far_it_is_in_the_queue() -> Result<(), TestError> {
    let (url, _writer, mut client) = indexed()?;
    let dir = tempfile::tempdir()?;
    // Holds the copy's first file: reading its hand tags waits for this lock.
    let mut holding = client.transaction()?;
    holding.batch_execute("LOCK TABLE hand_tags IN ACCESS EXCLUSIVE MODE")?;
    let server = PgLibrary::open_with_text_mirror(&url, dir.path())?;
    let started = Instant::now();
    let progress = loop {
        let queue = server.queue()?.ok_or("a database has a queue")?;
        if let Some(progress) = queue.text_copy {
            break progress;
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the copy being built never showed in the queue".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        (progress.done, progress.total),
        (0, library().len() as u64),
        "no file copied yet, of all"
    );
    assert!(
        server.current_text_mirror().is_none(),
        "not searched while built"
    );
    holding.commit()?;
    wait_until_current(&server)?;
    assert_eq!(server.queue()?.and_then(|queue| queue.text_copy), None);
    Ok(())
}
