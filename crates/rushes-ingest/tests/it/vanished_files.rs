//! A file that disappears after the walk found it: one failure with its reason, and the
//! rest of the run is indexed.

use std::path::PathBuf;

use rushes_ingest::{Event, IngestConfig, run};
use rushes_store::{Index, OpenMode};

use crate::test_card_clip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Models, speech, captions and faces off: the run is about files, not models.
fn media_only_config(root: PathBuf) -> IngestConfig {
    let mut config = IngestConfig::new(vec![root]);
    for stage in ["visual", "ocr", "speech", "captions", "faces"] {
        config.stages.switch_off(stage);
    }
    config
}

/// The walk finds a.mp4, b.mp4 and c.mp4 (in name order); b.mp4 is deleted when a.mp4
/// starts, so it is gone by the time the run reaches it.
#[test]
fn file_deleted_after_the_walk_fails_alone_and_the_rest_is_indexed() -> TestResult {
    let footage = tempfile::tempdir()?;
    let index_dir = tempfile::tempdir()?;
    let first = test_card_clip(footage.path(), "a.mp4", 1)?;
    let doomed = test_card_clip(footage.path(), "b.mp4", 1)?;
    let last = test_card_clip(footage.path(), "c.mp4", 1)?;
    let index = Index::open(index_dir.path(), OpenMode::ReadWrite)?;

    let mut events = Vec::new();
    let mut deleted = None;
    let summary = run(
        &index,
        &media_only_config(footage.path().to_path_buf()),
        &mut |event| {
            if let Event::FileStarted { position: 0, .. } = event {
                deleted = Some(std::fs::remove_file(&doomed).map_err(|e| e.to_string()));
            }
            events.push(event.clone());
        },
    )?;
    deleted.ok_or("no file started")??;

    let failures: Vec<(&PathBuf, &String)> = events
        .iter()
        .filter_map(|event| match event {
            Event::FileFailed { path, reason } => Some((path, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    let (failed, reason) = failures[0];
    assert_eq!(failed, &doomed);
    assert!(
        reason.contains("No such file") && !reason.contains('\n'),
        "one clear reason: {reason:?}"
    );
    let indexed: Vec<&PathBuf> = events
        .iter()
        .filter_map(|event| match event {
            Event::FileIndexed { path, .. } => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(
        indexed,
        vec![&first, &last],
        "the files around it are indexed"
    );
    assert_eq!((summary.indexed, summary.failed), (2, 1), "{summary:?}");

    // The index agrees: two assets, one recorded failure with the same reason.
    let status = index.status()?;
    assert_eq!(status.assets, 2);
    assert_eq!(status.failures.len(), 1);
    assert_eq!(&status.failures[0].reason, reason);
    Ok(())
}
