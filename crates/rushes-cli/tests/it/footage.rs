//! Shared helpers: the generated footage folder (built once per machine, under a lock) and
//! running the binary.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use rushes_testkit::{ffprobe_duration, repo_root};

/// The fixture footage with bad files, generated once into `target/test-footage`.
pub fn footage() -> PathBuf {
    let root = repo_root();
    let dir = root.join("target/test-footage/v1");
    let done = dir.join(".complete");
    if done.exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).expect("create footage dir");
    let lock = File::create(root.join("target/test-footage/.lock")).expect("lock file");
    lock.lock().expect("lock footage");
    if !done.exists() {
        let status = Command::new(root.join("tests/fixtures/make-footage.sh"))
            .arg(&dir)
            .arg("--bad")
            .status()
            .expect("run make-footage.sh");
        assert!(status.success(), "make-footage.sh failed");
        File::create(&done).expect("mark complete");
    }
    dir
}

/// Copies a folder tree (the fixture is shared; tests that change files work on a copy).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else if entry.file_name() != ".complete" {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Four 3 s colour shots (red, green, blue, white) cut hard, as `<stem>.mp4` in `folder`,
/// with a sidecar transcript `<stem>.srt` saying `lines[n]` from 1 s into shot n to 1.9 s.
pub fn colour_shots_with_lines(folder: &Path, stem: &str, lines: [&str; 4]) {
    std::fs::create_dir_all(folder).expect("footage folder");
    let video = folder.join(format!("{stem}.mp4"));
    let shots = [("red", 3.0), ("green", 3.0), ("blue", 3.0), ("white", 3.0)];
    if let Err(error) = rushes_testkit::colour_shots_clip(
        &video,
        &shots,
        10,
        (320, 240),
        &rushes_testkit::X264_FAST,
    ) {
        panic!("making {}: {error}", video.display());
    }
    let srt: String = lines
        .iter()
        .enumerate()
        .map(|(shot, line)| {
            let start = shot * 3 + 1;
            format!(
                "{n}\n00:00:{start:02},000 --> 00:00:{start:02},900\n{line}\n\n",
                n = shot + 1
            )
        })
        .collect();
    std::fs::write(folder.join(format!("{stem}.srt")), srt).expect("write transcript");
}

pub fn rushes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(args)
        .env_remove("RUSHES_INDEX")
        .env("RUSHES_MODELS", repo_root().join("models"))
        .output()
        .expect("run rushes")
}

pub fn ok(args: &[&str]) -> Output {
    let output = rushes(args);
    assert!(
        output.status.success(),
        "rushes {args:?} failed\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn json(args: &[&str]) -> serde_json::Value {
    let output = ok(args);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "rushes {args:?} printed no JSON ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

pub fn search(index: &Path, query: &str) -> Vec<serde_json::Value> {
    let index = index.to_str().expect("utf-8 temp path");
    let response = json(&["search", query, "--index", index, "--json", "--limit", "50"]);
    assert_eq!(response["query"], query);
    response["hits"].as_array().cloned().unwrap_or_default()
}

pub fn file_name(hit: &serde_json::Value) -> String {
    let path = hit["asset"]["path"].as_str().unwrap_or_default();
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The hits of a `search --json` response.
pub fn hits_of(response: &serde_json::Value) -> Vec<serde_json::Value> {
    response["hits"].as_array().cloned().unwrap_or_default()
}

/// Asserts that `hit` is a moment of `file` found through `signal`, running from `start` to
/// `end` give or take `tolerance` seconds.
pub fn assert_found_moment(
    hit: &serde_json::Value,
    file: &str,
    signal: &str,
    (start, end): (f64, f64),
    tolerance: f64,
) {
    assert_eq!(file_name(hit), file, "{hit}");
    assert!(
        hit["signals"]
            .as_array()
            .is_some_and(|signals| signals.iter().any(|s| s == signal)),
        "no {signal} signal: {hit}"
    );
    let (found_start, found_end) = (
        hit["start"].as_f64().unwrap_or(f64::NAN),
        hit["end"].as_f64().unwrap_or(f64::NAN),
    );
    assert!(
        (found_start - start).abs() <= tolerance && (found_end - end).abs() <= tolerance,
        "expected {start}-{end} (± {tolerance} s), hit {found_start}-{found_end}"
    );
}
