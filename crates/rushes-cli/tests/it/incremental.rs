//! Incremental updates: renamed files keep their identity, deleted files leave the index,
//! changed files are indexed again.

use std::path::{Path, PathBuf};

use crate::footage::{copy_tree, file_name, footage, json, ok, search};

/// Copies day one of the fixture shoot into `dir`/shoot and indexes it (without OCR) into
/// `dir`/index.
fn index_copy_of_day_one(dir: &Path) -> (PathBuf, PathBuf) {
    let shoot = dir.join("shoot");
    copy_tree(&footage().join("day1"), &shoot);
    let index = dir.join("index");
    ok(&[
        "index",
        shoot.to_str().expect("utf-8"),
        "--index",
        index.to_str().expect("utf-8"),
        "--no-ocr",
    ]);
    (shoot, index)
}

#[test]
fn renamed_files_keep_their_id_and_deleted_files_leave() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (shoot, index) = index_copy_of_day_one(temp.path());
    let (shoot_arg, index_arg) = (
        shoot.to_str().expect("utf-8"),
        index.to_str().expect("utf-8"),
    );

    let before = search(&index, "crowd");
    let id = before.first().expect("crowd indexed")["asset"]["id"].clone();

    std::fs::rename(
        shoot.join("A001_C001_crowd.mp4"),
        shoot.join("A001_C001_crowd_selects.mp4"),
    )
    .expect("rename");
    std::fs::remove_file(shoot.join("A001_C003_slate.mp4")).expect("delete");
    let run = ok(&[
        "index", shoot_arg, "--index", index_arg, "--no-ocr", "--json",
    ]);
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).expect("summary");
    assert_eq!(summary["moved"], 1, "{summary}");
    assert_eq!(summary["removed"], 1, "{summary}");

    let after = search(&index, "selects");
    assert_eq!(
        after.first().map(file_name).as_deref(),
        Some("A001_C001_crowd_selects.mp4")
    );
    assert_eq!(after[0]["asset"]["id"], id, "a renamed file keeps its id");
    assert!(
        search(&index, "slate")
            .iter()
            .all(|hit| file_name(hit) != "A001_C003_slate.mp4")
    );
    let status = json(&["status", "--index", index_arg, "--json"]);
    assert!(
        !status.to_string().contains("A001_C003_slate.mp4"),
        "{status}"
    );
}

/// A run killed between writing a file's thumbnails and committing its catalog entry leaves a
/// thumbnail folder no asset owns once that file changes; the next run clears it (and leaves
/// folders that are not asset ids alone).
#[test]
fn thumbnail_folders_of_no_asset_are_cleared_by_the_next_run() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (shoot, index) = index_copy_of_day_one(temp.path());
    let (shoot_arg, index_arg) = (
        shoot.to_str().expect("utf-8"),
        index.to_str().expect("utf-8"),
    );
    let orphan = index.join("thumbs/0123456789abcdef");
    let other = index.join("thumbs/not-an-asset");
    for folder in [&orphan, &other] {
        std::fs::create_dir_all(folder).expect("folder");
        std::fs::write(folder.join("1000.jpg"), b"left by a killed run").expect("file");
    }
    let owned = search(&index, "crowd");
    let owned_id = owned.first().expect("crowd indexed")["asset"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    ok(&["index", shoot_arg, "--index", index_arg, "--no-ocr"]);
    assert!(!orphan.exists(), "the orphan folder is removed");
    assert!(other.exists(), "a folder that is not an asset id stays");
    assert!(
        index.join("thumbs").join(&owned_id).is_dir(),
        "an indexed asset keeps its thumbnails"
    );
}
