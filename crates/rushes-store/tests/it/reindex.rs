//! `rebuild::reindex`: the text and vector indexes come back from the catalog after their
//! files are deleted or damaged, and a cancelled rebuild leaves the old indexes in use.

use std::ops::ControlFlow;
use std::path::Path;

use rushes_store::rebuild::{self, RebuildOutcome, SWAP_MARKER};
use rushes_store::{Index, OpenMode, SearchRequest};

use crate::support::*;

/// Two clips with OCR text, a transcript line and frame vectors; committed and closed.
fn build(dir: &Path) -> TestResult {
    let index = Index::open(dir, OpenMode::ReadWrite)?;
    let mut slate = with_vectors(
        record(video("/footage/day1/A001_C002.mov", 20.0), 2, 10.0),
        &[direction(0, 1, 0.1), direction(2, 3, 0.1)],
    );
    slate.moments[1].ocr_text = "SCENE 12 TAKE 3".into();
    let talk = with_transcript(
        with_vectors(
            record(video("/footage/day2/interview.mov", 20.0), 2, 10.0),
            &[direction(4, 5, 0.1), direction(6, 7, 0.1)],
        ),
        vec![line(12.0, 15.0, "we lost the light on the crane")],
    );
    index.put_assets(&[slate, talk])?;
    index.commit()?;
    Ok(())
}

/// (file name, start, end) of each hit of one query.
type Windows = Vec<(String, f64, f64)>;

/// What a user sees: an OCR query, a transcript phrase and a visual query.
fn answers(dir: &Path) -> Result<Vec<Windows>, Box<dyn std::error::Error>> {
    let index = Index::open(dir, OpenMode::ReadOnly)?;
    let visual = SearchRequest {
        text_vector: Some(direction(6, 7, 0.05)),
        limit: 1,
        ..SearchRequest::default()
    };
    Ok(vec![
        hit_windows(&search(&index, "take 3")?),
        hit_windows(&search(&index, "\"lost the light\"")?),
        hit_windows(&index.search(&visual)?),
    ])
}

fn expected() -> Vec<Windows> {
    vec![
        vec![("A001_C002.mov".to_string(), 10.0, 20.0)],
        vec![("interview.mov".to_string(), 12.0, 15.0)],
        vec![("interview.mov".to_string(), 10.0, 20.0)],
    ]
}

fn rebuild_all(dir: &Path) -> Result<rebuild::RebuildSummary, Box<dyn std::error::Error>> {
    match rebuild::reindex(dir, |_| ControlFlow::Continue(()))? {
        RebuildOutcome::Done(summary) => Ok(summary),
        RebuildOutcome::Cancelled => Err("reindex cancelled without being asked".into()),
    }
}

#[test]
fn search_works_again_after_reindex_when_text_and_vector_files_are_deleted() -> TestResult {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("index");
    build(&dir)?;
    assert_eq!(answers(&dir)?, expected());

    std::fs::remove_dir_all(dir.join("text"))?;
    std::fs::remove_dir_all(dir.join("vectors"))?;
    assert!(
        answers(&dir).is_err(),
        "an index without its text index cannot answer"
    );

    let summary = rebuild_all(&dir)?;
    assert_eq!((summary.assets, summary.moments), (2, 4));
    assert_eq!(summary.vectors, vec![(MODEL.to_string(), 4)]);
    assert_eq!(answers(&dir)?, expected());
    Ok(())
}

#[test]
fn search_works_again_after_reindex_when_index_files_are_corrupted() -> TestResult {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("index");
    build(&dir)?;
    // Garbage over the Tantivy metadata and over the vector file.
    std::fs::write(dir.join("text").join("meta.json"), b"{ not json")?;
    let vector_file = std::fs::read_dir(dir.join("vectors"))?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "usearch"))
        .ok_or("no vector file was written")?;
    std::fs::write(&vector_file, vec![0xA5u8; 4096])?;
    assert!(answers(&dir).is_err(), "a damaged index cannot answer");

    rebuild_all(&dir)?;
    assert_eq!(answers(&dir)?, expected());
    // The rebuilt index takes new writes as usual.
    let index = Index::open(&dir, OpenMode::ReadWrite)?;
    let mut extra = record(video("/footage/day3/B001_C001.mov", 10.0), 1, 10.0);
    extra.moments[0].ocr_text = "SCENE 40".into();
    index.put_asset(&extra)?;
    index.commit()?;
    assert_eq!(
        hit_files(&search(&index, "scene 40")?),
        vec!["B001_C001.mov".to_string()]
    );
    Ok(())
}

#[test]
fn a_cancelled_reindex_leaves_the_old_index_answering() -> TestResult {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("index");
    build(&dir)?;
    for stop_at in ["text", "vectors"] {
        let outcome = rebuild::reindex(&dir, |progress| {
            if progress.stage.starts_with(stop_at) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        assert_eq!(outcome, RebuildOutcome::Cancelled);
        assert_eq!(answers(&dir)?, expected(), "stopped during {stop_at}");
        assert!(!dir.join("text.next").exists() && !dir.join("vectors.next").exists());
    }
    Ok(())
}

#[test]
fn a_swap_cut_short_is_finished_by_the_next_writer() -> TestResult {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("index");
    build(&dir)?;
    // The state a kill leaves between the two renames of the text swap: the new text index
    // complete in text.next, the live one already moved aside, the marker written.
    let copy = temp.path().join("copy");
    build(&copy)?;
    std::fs::rename(dir.join("text"), dir.join("text.old"))?;
    std::fs::rename(copy.join("text"), dir.join("text.next"))?;
    std::fs::write(dir.join(SWAP_MARKER), b"")?;
    // Readers in the meantime (no lock, so they cannot finish it) read the new index.
    assert_eq!(
        answers(&dir)?,
        expected(),
        "a reader before the next writer"
    );

    drop(Index::open(&dir, OpenMode::ReadWrite)?);
    assert!(!dir.join(SWAP_MARKER).exists());
    assert!(!dir.join("text.old").exists() && !dir.join("text.next").exists());
    assert_eq!(answers(&dir)?, expected());
    Ok(())
}

#[test]
fn reindex_refuses_a_folder_without_an_index() -> TestResult {
    let temp = tempfile::tempdir()?;
    let error = rebuild::reindex(temp.path(), |_| ControlFlow::Continue(()))
        .err()
        .ok_or("reindex of an empty folder succeeded")?;
    assert!(error.is_user_error(), "{error}");
    assert!(error.to_string().contains("no index"), "{error}");
    Ok(())
}
