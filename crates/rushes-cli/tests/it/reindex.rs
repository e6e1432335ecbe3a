//! `rushes reindex` on real footage: the rebuilt text and vector indexes answer every query
//! exactly as before, hand tags, notes and collections are kept, and a reindex killed at
//! spread-out moments leaves an index that still answers the same.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::footage::{copy_tree, footage, json, ok, repo_root};

/// Queries covering OCR, transcript, file name, metadata, hand tag and note.
const QUERIES: [&str; 7] = [
    "scene 42",
    "coffee dolly",
    "crowd",
    "stunt rigging",
    "alexa",
    "tag:blooper",
    "boom in shot",
];

/// Everything a user sees of the answers: per query, each hit's file, window, signals and
/// snippet; then the collection's entries.
fn answers(index: &str) -> Vec<serde_json::Value> {
    let mut seen: Vec<serde_json::Value> = QUERIES
        .iter()
        .map(|query| {
            let response = json(&["search", query, "--index", index, "--json", "--limit", "50"]);
            let hits: Vec<serde_json::Value> = response["hits"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|hit| {
                    serde_json::json!([
                        hit["asset"]["path"],
                        hit["start"],
                        hit["end"],
                        hit["signals"],
                        hit["snippet"]
                    ])
                })
                .collect();
            serde_json::json!({"query": query, "hits": hits})
        })
        .collect();
    seen.push(
        json(&["collection", "show", "selects", "--index", index, "--json"])["entries"].clone(),
    );
    seen
}

fn index_the_demo_footage(dir: &Path) -> String {
    let shoot = dir.join("shoot");
    copy_tree(&footage(), &shoot);
    std::fs::remove_dir_all(shoot.join("bad")).expect("drop the bad files");
    let index = dir.join("index").to_str().expect("utf-8").to_string();
    ok(&["index", shoot.to_str().expect("utf-8"), "--index", &index]);
    let slate = shoot.join("day1/A001_C003_slate.mp4");
    let shown = json(&[
        "show",
        slate.to_str().expect("utf-8"),
        "--index",
        &index,
        "--json",
    ]);
    let id = shown["asset"]["id"].as_str().expect("slate id").to_string();
    ok(&[
        "tag",
        &format!("{id}@4-8"),
        "blooper",
        "--note",
        "boom in shot",
        "--index",
        &index,
    ]);
    ok(&[
        "collection",
        "add",
        "selects",
        &format!("{id}@0-4"),
        "--index",
        &index,
    ]);
    index
}

#[test]
fn reindex_answers_every_query_as_before_and_keeps_tags_and_collections() {
    let temp = tempfile::tempdir().expect("temp dir");
    let index = index_the_demo_footage(temp.path());
    let before = answers(&index);
    // The set means something: the OCR'd slate, the tag and the collection are there.
    assert!(
        !before[0]["hits"].as_array().expect("hits").is_empty(),
        "{before:?}"
    );
    assert!(
        !before[5]["hits"].as_array().expect("hits").is_empty(),
        "{before:?}"
    );
    assert_eq!(before[7].as_array().map(Vec::len), Some(1), "{before:?}");

    let summary = json(&["reindex", "--index", &index, "--json"]);
    assert!(summary["moments"].as_u64().unwrap_or(0) > 0, "{summary}");
    assert_eq!(answers(&index), before);

    // The text index deleted by hand: search says how to repair it, reindex repairs it.
    std::fs::remove_dir_all(Path::new(&index).join("text")).expect("delete text index");
    ok(&["reindex", "--index", &index]);
    assert_eq!(answers(&index), before);
}

#[test]
fn a_killed_reindex_leaves_an_index_that_answers_as_before() {
    let temp = tempfile::tempdir().expect("temp dir");
    let index = index_the_demo_footage(temp.path());
    let before = answers(&index);
    let mut interrupted = 0;
    for delay_ms in [0, 10, 30, 60, 100, 200] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rushes"))
            .args(["reindex", "--index", &index])
            .env_remove("RUSHES_INDEX")
            .env("RUSHES_MODELS", repo_root().join("models"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rushes reindex");
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().expect("poll reindex").is_none() {
            child.kill().expect("SIGKILL reindex");
            interrupted += 1;
        }
        let status = child.wait().expect("reap reindex");
        assert!(
            status.success() || status.code().is_none(),
            "reindex failed by itself: {status}"
        );
        assert_eq!(answers(&index), before, "after a kill at {delay_ms} ms");
    }
    assert!(interrupted > 0, "no kill landed while reindex ran");
    // A full run afterwards finishes whatever the kills left.
    ok(&["reindex", "--index", &index]);
    assert_eq!(answers(&index), before);
    let leftovers: Vec<String> = std::fs::read_dir(&index)
        .expect("read index")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".next") || name.ends_with(".old") || name == "reindex.swap")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
