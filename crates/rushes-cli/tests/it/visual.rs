//! Visual search end to end through the real CLI: frames decoded by ffmpeg, embedded by the
//! colour fixture model through ONNX Runtime, stored as vectors, and a typed colour word
//! embedded by the fixture's text encoder finds the right segment.

use std::path::Path;
use std::process::Command;

use rushes_testkit::{X264_DEFAULT, colour_shots_clip};

use crate::footage::{assert_found_moment, repo_root};

/// A models folder with the real OCR models and the colour-only CLIP stand-in.
fn fixture_models(dir: &Path) {
    let root = repo_root();
    std::fs::create_dir_all(dir).expect("models dir");
    let fixture = root.join("tests/fixtures/models");
    std::os::unix::fs::symlink(
        fixture.join("clip-fixture.toml"),
        dir.join("clip-fixture.toml"),
    )
    .expect("link");
    std::os::unix::fs::symlink(fixture.join("clip-fixture"), dir.join("clip-fixture"))
        .expect("link");
}

/// Runs `rushes` with `RUSHES_MODELS=models`, expecting success and JSON on stdout.
pub fn rushes_with_models(models: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&rushes_stdout_with_models(models, args)).expect("json")
}

/// Runs `rushes` with `RUSHES_MODELS=models`, expecting success; what it printed on stdout.
pub fn rushes_stdout_with_models(models: &Path, args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(args)
        .env("RUSHES_MODELS", models)
        .output()
        .expect("run rushes");
    assert!(
        output.status.success(),
        "rushes {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The last run's progress snapshot (`<index>/progress.json`, what `/api/events` streams).
pub fn run_progress(index: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(index.join("progress.json")).expect("progress.json");
    serde_json::from_str(&text).expect("progress json")
}

/// `rushes index FOOTAGE --index INDEX --no-ocr --json EXTRA…` with the models in `models`;
/// the run's JSON summary.
pub fn index_with_models(
    models: &Path,
    footage: &Path,
    index: &Path,
    extra: &[&str],
) -> serde_json::Value {
    let mut args = vec![
        "index",
        footage.to_str().expect("utf-8"),
        "--index",
        index.to_str().expect("utf-8"),
        "--no-ocr",
        "--json",
    ];
    args.extend_from_slice(extra);
    rushes_with_models(models, &args)
}

#[test]
fn typing_red_finds_the_red_segment_with_its_start_and_end() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(&footage).expect("footage dir");
    // 4 s blue, 4 s red, 4 s green: two hard cuts at 4 s and 8 s.
    let video = footage.join("colour_chart.mp4");
    let shots = [("blue", 4.0), ("red", 4.0), ("green", 4.0)];
    // The default preset's B-frames are part of what this test covers.
    if let Err(error) = colour_shots_clip(&video, &shots, 25, (320, 240), &X264_DEFAULT) {
        panic!("making {}: {error}", video.display());
    }
    let models = temp.path().join("models");
    fixture_models(&models);
    let index = temp.path().join("index");
    let index_arg = index.to_str().expect("utf-8");

    let summary = index_with_models(&models, &footage, &index, &[]);
    assert_eq!(summary["indexed"], 1, "{summary}");
    assert!(
        !summary["notices"]
            .to_string()
            .contains("visual search is off"),
        "the fixture model was not used: {summary}"
    );

    let response = rushes_with_models(&models, &["search", "red", "--index", index_arg, "--json"]);
    let hit = response["hits"]
        .as_array()
        .and_then(|hits| hits.first())
        .cloned()
        .expect("a hit for red");
    // Red is 4–8 s.
    assert_found_moment(&hit, "colour_chart.mp4", "visual", (4.0, 8.0), 0.1);

    let response = rushes_with_models(
        &models,
        &["search", "green", "--index", index_arg, "--json"],
    );
    let hit = response["hits"]
        .as_array()
        .and_then(|hits| hits.first())
        .cloned()
        .expect("a hit for green");
    let start = hit["start"].as_f64().unwrap_or(-1.0);
    assert!(
        (start - 8.0).abs() <= 0.1,
        "green starts at 8 s, got {start}"
    );
}
