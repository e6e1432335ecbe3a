//! Index lifecycle: replace, move, remove, locking, readers during commits, crash repair,
//! rebuild, status and asset detail.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rushes_store::{Index, Library, OpenMode, SearchRequest, StoreError};

use crate::support::*;

fn slate_clip(path: &str, text: &str) -> rushes_core::AssetRecord {
    let mut clip = with_vectors(
        record(video(path, 20.0), 2, 10.0),
        &[direction(1, 2, 0.1), direction(3, 4, 0.1)],
    );
    clip.moments[0].ocr_text = text.into();
    clip
}

#[test]
fn put_asset_again_replaces_its_moments_and_vectors() -> TestResult {
    let (_dir, index) = fresh_index()?;
    index.put_asset(&slate_clip("/footage/a.mov", "SCENE 1"))?;
    index.commit()?;
    index.put_asset(&slate_clip("/footage/a.mov", "SCENE 2"))?;
    index.commit()?;
    assert!(search(&index, "\"scene 1\"")?.hits.is_empty());
    assert_eq!(search(&index, "\"scene 2\"")?.hits.len(), 1);
    assert_eq!(index.text_documents(), 2);
    assert_eq!(index.vector_count(MODEL)?, 2);
    let status = index.status()?;
    assert_eq!((status.assets, status.moments, status.frames), (1, 2, 2));
    Ok(())
}

#[test]
fn move_keeps_the_id_and_user_tags_and_updates_name_search() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let clip = slate_clip("/footage/incoming/A001_C001.mov", "SCENE 5");
    let id = clip.asset.id.clone();
    index.put_asset(&clip)?;
    index.commit()?;
    index.add_hand_tags(&id, None, &["hero shot".to_string()])?;
    index.add_to_collection("selects", &id, None, "")?;

    index.move_asset(&id, Path::new("/footage/day1/renamed_take4.mov"))?;
    let moved = index.asset(&id)?.ok_or("asset gone after move")?;
    assert_eq!(moved.path, Path::new("/footage/day1/renamed_take4.mov"));
    assert_eq!(index.user_tags(&id)?, vec!["hero shot"]);
    let selects = index.collection("selects")?;
    assert_eq!(
        selects.items.iter().map(|i| &i.asset).collect::<Vec<_>>(),
        vec![&id]
    );
    assert!(
        index
            .asset_by_path(Path::new("/footage/incoming/A001_C001.mov"))?
            .is_none()
    );
    assert_eq!(
        hit_files(&search(&index, "take4")?),
        vec!["renamed_take4.mov"]
    );
    assert!(search(&index, "incoming")?.hits.is_empty());
    assert_eq!(
        hit_files(&search(&index, "tag:\"hero shot\"")?),
        vec!["renamed_take4.mov"]
    );

    // Re-indexing the moved file keeps the hand tag.
    let mut again = slate_clip("/footage/day1/renamed_take4.mov", "SCENE 5");
    again.asset.id = id.clone();
    index.put_asset(&again)?;
    index.commit()?;
    assert_eq!(
        hit_files(&search(&index, "hero")?),
        vec!["renamed_take4.mov"]
    );
    Ok(())
}

#[test]
fn remove_leaves_no_documents_vectors_rows_or_thumbnails() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let keep = slate_clip("/footage/keep.mov", "SCENE 8");
    let gone = slate_clip("/footage/gone.mov", "SCENE 9");
    index.put_asset(&keep)?;
    index.put_asset(&gone)?;
    index.commit()?;
    let thumbs = index
        .dir()
        .join(rushes_store::thumbnails::THUMBS_DIR)
        .join(gone.asset.id.as_str());
    std::fs::create_dir_all(&thumbs)?;
    std::fs::write(thumbs.join("5000.jpg"), b"jpeg")?;

    index.remove_asset(&gone.asset.id)?;
    assert!(index.asset(&gone.asset.id)?.is_none());
    assert!(!thumbs.exists());
    assert_eq!(index.text_documents(), 2);
    assert_eq!(index.vector_count(MODEL)?, 2);
    assert!(search(&index, "gone")?.hits.is_empty());
    let visual = index.search(&SearchRequest {
        text_vector: Some(direction(1, 2, 0.1)),
        ..SearchRequest::default()
    })?;
    assert!(visual.hits.iter().all(|hit| hit.asset.id == keep.asset.id));
    assert!(matches!(
        index.remove_asset(&gone.asset.id),
        Err(StoreError::NotFound(_))
    ));

    // The removal survives reopening (the vector file was saved without it).
    drop(index);
    let reopened = Index::open(_dir.path().join("index").as_path(), OpenMode::ReadOnly)?;
    assert_eq!(reopened.vector_count(MODEL)?, 2);
    Ok(())
}

#[test]
fn a_second_writer_is_refused_with_a_clear_message() -> TestResult {
    let (dir, _writer) = fresh_index()?;
    match Index::open(&dir.path().join("index"), OpenMode::ReadWrite) {
        Err(error @ StoreError::Locked { .. }) => {
            assert!(error.is_user_error());
            assert!(
                error.to_string().contains("another rushes process"),
                "{error}"
            );
        }
        other => return Err(format!("expected Locked, got {:?}", other.err()).into()),
    }
    // Readers are welcome while the writer holds the lock.
    Index::open(&dir.path().join("index"), OpenMode::ReadOnly)?;
    Ok(())
}

#[test]
fn read_only_on_a_missing_index_says_how_to_make_one() -> TestResult {
    let dir = tempfile::tempdir()?;
    match Index::open(&dir.path().join("nothing-here"), OpenMode::ReadOnly) {
        Err(error @ StoreError::NotFound(_)) => {
            assert!(error.to_string().contains("rushes index <PATH>"))
        }
        other => return Err(format!("expected NotFound, got {:?}", other.err()).into()),
    }
    Ok(())
}

#[test]
fn a_reader_keeps_answering_consistently_while_a_writer_commits() -> TestResult {
    let (dir, writer) = fresh_index()?;
    writer.put_asset(&slate_clip("/footage/base/anchor.mov", "ANCHOR BOARD"))?;
    writer.commit()?;
    let reader = Arc::new(Index::open(&dir.path().join("index"), OpenMode::ReadOnly)?);
    let expected = search(&reader, "anchor")?;
    assert_eq!(expected.hits.len(), 1);

    let done = Arc::new(AtomicBool::new(false));
    let searcher = {
        let (reader, done) = (Arc::clone(&reader), Arc::clone(&done));
        std::thread::spawn(move || -> Result<usize, String> {
            let mut rounds = 0;
            while !done.load(Ordering::SeqCst) || rounds < 5 {
                let now = search(&reader, "anchor").map_err(|e| e.to_string())?;
                if now.hits != expected.hits {
                    return Err(format!("results changed mid-commit: {now:?}"));
                }
                let visual = reader
                    .search(&SearchRequest {
                        text_vector: Some(direction(1, 2, 0.1)),
                        ..SearchRequest::default()
                    })
                    .map_err(|e| e.to_string())?;
                if visual.hits.is_empty() {
                    return Err("visual search found nothing".into());
                }
                rounds += 1;
            }
            Ok(rounds)
        })
    };
    for n in 0..15 {
        writer.put_asset(&slate_clip(
            &format!("/footage/batch/clip_{n}.mov"),
            "OTHER BOARD",
        ))?;
        writer.commit()?;
    }
    done.store(true, Ordering::SeqCst);
    let rounds = searcher.join().map_err(|_| "searcher panicked")??;
    assert!(rounds >= 5);
    // The reader sees the new clips once it reloads (vectors at once, text within a moment).
    let mut others = 0;
    for _ in 0..100 {
        others = search(&reader, "other")?.hits.len();
        if others == 15 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(others, 15);
    Ok(())
}

#[test]
fn an_interrupted_run_leaves_no_duplicates_or_orphan_vectors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("index");
    {
        let index = Index::open(&path, OpenMode::ReadWrite)?;
        index.put_asset(&slate_clip("/footage/done.mov", "SCENE 1"))?;
        index.commit()?;
        // Staged but never committed, then the process "dies" (dropped without commit).
        index.put_asset(&slate_clip("/footage/done.mov", "SCENE 1"))?;
        index.put_asset(&slate_clip("/footage/in_flight.mov", "SCENE 2"))?;
    }
    let index = Index::open(&path, OpenMode::ReadWrite)?;
    assert_eq!(
        index.asset_by_path(Path::new("/footage/in_flight.mov"))?,
        None
    );
    // The replaced asset is dropped too, so the indexer redoes it; nothing is doubled.
    let status = index.status()?;
    assert_eq!(status.assets, 0);
    assert_eq!(index.text_documents(), 0);
    assert_eq!(index.vector_count(MODEL)?, 0);

    // Redoing the work gives exactly one copy of each.
    index.put_asset(&slate_clip("/footage/done.mov", "SCENE 1"))?;
    index.put_asset(&slate_clip("/footage/in_flight.mov", "SCENE 2"))?;
    index.commit()?;
    assert_eq!(search(&index, "scene")?.hits.len(), 2);
    assert_eq!(index.text_documents(), 4);
    assert_eq!(index.vector_count(MODEL)?, 4);
    Ok(())
}

#[test]
fn rebuild_recreates_text_and_vectors_from_the_catalog() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("index");
    {
        let index = Index::open(&path, OpenMode::ReadWrite)?;
        index.put_asset(&slate_clip("/footage/one.mov", "SCENE 31"))?;
        index.put_asset(&slate_clip("/footage/two.mov", "SCENE 32"))?;
        index.commit()?;
    }
    std::fs::remove_dir_all(path.join("text"))?;
    std::fs::remove_dir_all(path.join("vectors"))?;
    {
        let index = Index::open(&path, OpenMode::ReadWrite)?;
        assert!(search(&index, "scene")?.hits.is_empty());
    }
    rushes_store::rebuild::reindex(&path, |_| std::ops::ControlFlow::Continue(()))?;
    let index = Index::open(&path, OpenMode::ReadWrite)?;
    assert_eq!(hit_files(&search(&index, "\"scene 32\"")?), vec!["two.mov"]);
    assert_eq!(index.vector_count(MODEL)?, 4);
    let manifest = std::fs::read_to_string(path.join("rushes.toml"))?;
    assert!(
        manifest.contains("format_version = 1") && manifest.contains(MODEL),
        "{manifest}"
    );
    Ok(())
}

#[test]
fn status_and_detail_describe_the_index() -> TestResult {
    let (_dir, index) = fresh_index()?;
    let clip = with_transcript(
        slate_clip("/footage/detail.mov", "SCENE 77"),
        vec![line(11.0, 13.0, "Cut!")],
    );
    index.put_asset(&clip)?;
    index.put_asset(&record(still("/footage/still.jpg"), 1, 0.0))?;
    index.record_failure(Path::new("/footage/broken.mov"), "moov atom not found")?;
    index.commit()?;

    let status = index.status()?;
    assert_eq!(status.assets, 2);
    assert_eq!(status.assets_by_kind.get("image"), Some(&1));
    assert_eq!(status.failures.len(), 1);
    assert_eq!(status.failures[0].reason, "moov atom not found");
    assert_eq!(status.embedding_models[0].dim, DIM);
    assert!(status.size_on_disk > 0);
    index.clear_failure(Path::new("/footage/broken.mov"))?;
    assert!(index.status()?.failures.is_empty());

    let detail = index.asset_detail(&clip.asset.id)?.ok_or("no detail")?;
    assert_eq!(detail.moments.len(), 2);
    assert_eq!(detail.moments[0].text, "SCENE 77");
    assert_eq!(detail.moments[1].text, "Cut!");
    let json = serde_json::to_value(&detail)?;
    assert_eq!(
        json["moments"][1]["signals"],
        serde_json::json!(["transcript"])
    );
    assert_eq!(json["asset"]["kind"], "video");
    Ok(())
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_are_kept_exactly() -> TestResult {
    use std::os::unix::ffi::OsStrExt;
    let (_dir, index) = fresh_index()?;
    let raw = Path::new(std::ffi::OsStr::from_bytes(
        b"/footage/caf\xe9/take_\xff.mov",
    ));
    let mut clip = record(video("/placeholder.mov", 10.0), 1, 10.0);
    clip.asset.path = raw.to_path_buf();
    index.put_asset(&clip)?;
    index.commit()?;
    let found = index
        .asset_by_path(raw)?
        .ok_or("not found by its raw path")?;
    assert_eq!(found.path, raw);
    let response = search(&index, "take")?;
    assert_eq!(response.hits[0].asset.path, raw.to_string_lossy());
    Ok(())
}
