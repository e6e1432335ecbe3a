//! Captions end to end through the real CLI: keyframes decoded by ffmpeg, captioned by the
//! scripted Florence-2 fixture through ONNX Runtime (reddish pictures get one sentence,
//! bluish ones another), stored on the moment and searchable as text with the moment's
//! times; `--no-captions` turns it off, `--caption-model` picks among installed caption
//! models (an unknown name fails before indexing), and `rushes doctor` names the default
//! caption model and the others, or says how to fetch one.

use std::path::Path;
use std::process::Command;

use rushes_testkit::{X264_DEFAULT, ffmpeg, opencv_data, path_str};

use crate::footage::{assert_found_moment, hits_of, repo_root};
use crate::visual::{index_with_models, rushes_stdout_with_models, rushes_with_models};

/// The sentences `tests/fixtures/models/make_florence2_fixture.py` scripts for each tint.
const RED_CAPTION: &str = "a red clapperboard on the camera dolly";
const BLUE_CAPTION: &str = "the boom operator stands by the blue screen";

/// A models folder holding only the Florence-2 stand-in.
fn caption_models(dir: &Path) {
    let fixture = repo_root().join("tests/fixtures/models");
    std::fs::create_dir_all(dir).expect("models dir");
    for name in ["florence2-fixture.toml", "florence2-fixture"] {
        std::os::unix::fs::symlink(fixture.join(name), dir.join(name)).expect("link");
    }
}

/// Megamind's opening seconds tinted blue for 4 s, then red for 4 s: a hard cut at 4 s.
fn tinted_megamind(footage: &Path) -> std::path::PathBuf {
    let source = opencv_data("Megamind.avi");
    assert!(
        source.is_file(),
        "{}: run scripts/setup.sh",
        source.display()
    );
    let video = footage.join("dolly_move.mp4");
    let mut args = vec![
        "-t",
        "8",
        "-i",
        path_str(&source),
        "-filter_complex",
        "[0:v]split[a][b];\
         [a]trim=0:4,setpts=PTS-STARTPTS,lutrgb=r='val*0.2':g='val*0.3':b='val*0.5+128'[blue];\
         [b]trim=4:8,setpts=PTS-STARTPTS,lutrgb=r='val*0.5+128':g='val*0.3':b='val*0.2'[red];\
         [blue][red]concat=n=2:v=1:a=0[v]",
        "-map",
        "[v]",
    ];
    args.extend(X264_DEFAULT);
    args.push(path_str(&video));
    if let Err(error) = ffmpeg(&args) {
        panic!("making {}: {error}", video.display());
    }
    video
}

#[test]
fn a_captioned_word_finds_its_moment_and_the_hit_shows_the_caption() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(&footage).expect("footage dir");
    tinted_megamind(&footage);
    let models = temp.path().join("models");
    caption_models(&models);
    let index = temp.path().join("index");
    let index_arg = index.to_str().expect("utf-8");

    let summary = index_with_models(&models, &footage, &index, &["--no-visual", "--no-speech"]);
    assert_eq!(summary["indexed"], 1, "{summary}");
    assert!(
        !summary["notices"].to_string().contains("captions are off"),
        "captions were off: {summary}"
    );
    // Both shots' moments were described, and the run's progress (what the web UI's
    // progress panel streams) counts them too.
    assert_eq!(summary["captions"], 2, "{summary}");
    assert_eq!(summary["speech_lines"], 0, "speech was off: {summary}");
    assert_eq!(crate::visual::run_progress(&index)["captions"], 2);

    let found = hits_of(&rushes_with_models(
        &models,
        &["search", "clapperboard", "--index", index_arg, "--json"],
    ));
    let hit = found.first().expect("a hit for the captioned word");
    // The red shot runs 4-8 s.
    assert_found_moment(hit, "dolly_move.mp4", "caption", (4.0, 8.0), 0.5);
    assert_eq!(hit["caption"], RED_CAPTION, "the hit carries its caption");
    let snippet = hit["snippet"].as_str().unwrap_or_default();
    assert!(
        snippet.contains("<b>clapperboard</b>") && snippet.contains("camera dolly"),
        "the card shows the caption: {snippet}"
    );
    let printed = String::from_utf8_lossy(&rushes_stdout_with_models(
        &models,
        &["search", "clapperboard", "--index", index_arg],
    ))
    .into_owned();
    let caption_line = format!("caption: {RED_CAPTION}");
    assert!(
        printed.lines().any(|line| line.trim() == caption_line),
        "`rushes search` prints the caption line:\n{printed}"
    );

    let blue = hits_of(&rushes_with_models(
        &models,
        &["search", "boom operator", "--index", index_arg, "--json"],
    ));
    let blue_hit = blue.first().expect("a hit for the blue shot's caption");
    assert_found_moment(blue_hit, "dolly_move.mp4", "caption", (0.0, 4.0), 0.5);
    assert_eq!(
        blue_hit["caption"], BLUE_CAPTION,
        "the hit carries its caption"
    );

    let quiet_index = temp.path().join("quiet");
    let quiet_arg = quiet_index.to_str().expect("utf-8");
    let quiet_summary = index_with_models(
        &models,
        &footage,
        &quiet_index,
        &["--no-visual", "--no-speech", "--no-captions"],
    );
    assert_eq!(quiet_summary["captions"], 0, "{quiet_summary}");
    let none = hits_of(&rushes_with_models(
        &models,
        &["search", "clapperboard", "--index", quiet_arg, "--json"],
    ));
    assert!(none.is_empty(), "--no-captions still captioned: {none:?}");
}

#[test]
fn without_a_caption_model_indexing_works_and_doctor_says_how_to_fetch_one() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(&footage).expect("footage dir");
    tinted_megamind(&footage);
    let models = temp.path().join("models");
    std::fs::create_dir_all(&models).expect("models dir");
    let index = temp.path().join("index");

    let summary = index_with_models(&models, &footage, &index, &["--no-visual", "--no-speech"]);
    assert_eq!(summary["indexed"], 1, "{summary}");
    assert!(
        summary["notices"]
            .to_string()
            .contains("rushes models fetch florence2-base"),
        "{summary}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_rushes"))
        .args(["doctor", "--index"])
        .arg(&index)
        .env("RUSHES_MODELS", &models)
        .output()
        .expect("run rushes doctor");
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|line| line.starts_with("captions"))
        .unwrap_or_else(|| panic!("no captions line in:\n{text}"));
    assert!(
        line.contains("rushes models fetch florence2-base"),
        "{line}"
    );
}

/// Installs the Florence-2 stand-in in `dir` as caption model `name`, capped at `max_tokens`
/// tokens a caption (the fixture's manifest says 20, enough for its whole sentences).
fn install_caption_fixture_as(dir: &Path, name: &str, max_tokens: usize) {
    let fixture = repo_root().join("tests/fixtures/models");
    let manifest =
        std::fs::read_to_string(fixture.join("florence2-fixture.toml")).expect("fixture manifest");
    let renamed = manifest
        .replace(
            "name = \"florence2-fixture\"",
            &format!("name = \"{name}\""),
        )
        .replace("max_tokens = 20", &format!("max_tokens = {max_tokens}"));
    assert_ne!(renamed, manifest, "the fixture manifest changed shape");
    std::fs::create_dir_all(dir).expect("models dir");
    std::fs::write(dir.join(format!("{name}.toml")), renamed).expect("write manifest");
    std::os::unix::fs::symlink(fixture.join("florence2-fixture"), dir.join(name)).expect("link");
}

/// The caption of the red shot's moment (4-8 s) in `index`, found by searching `word`.
fn red_shot_caption(models: &Path, index: &Path, word: &str) -> String {
    let index_arg = index.to_str().expect("utf-8");
    let found = hits_of(&rushes_with_models(
        models,
        &["search", word, "--index", index_arg, "--json"],
    ));
    let hit = found
        .first()
        .unwrap_or_else(|| panic!("no hit for {word:?}"));
    assert_found_moment(hit, "dolly_move.mp4", "caption", (4.0, 8.0), 0.5);
    hit["caption"].as_str().unwrap_or_default().to_string()
}

#[test]
fn caption_model_flag_picks_among_installed_caption_models_and_doctor_lists_them() {
    let temp = tempfile::tempdir().expect("temp dir");
    let footage = temp.path().join("footage");
    std::fs::create_dir_all(&footage).expect("footage dir");
    tinted_megamind(&footage);
    let models = temp.path().join("models");
    // "large" is told to stop after a few tokens, so its captions differ from base's.
    install_caption_fixture_as(&models, "florence2-base", 20);
    install_caption_fixture_as(&models, "florence2-large", 3);
    // A known caption model whose files were never fetched.
    install_caption_fixture_as(&models, "florence2-unfetched", 20);
    std::fs::remove_file(models.join("florence2-unfetched")).expect("unlink files");

    let doctor = rushes_stdout_with_models(&models, &["doctor"]);
    let doctor = String::from_utf8_lossy(&doctor);
    let line = doctor
        .lines()
        .find(|line| line.starts_with("captions"))
        .unwrap_or_else(|| panic!("no captions line in:\n{doctor}"));
    assert!(
        line.contains("ok   florence2-base (`rushes index` uses it by default)")
            && line.contains("also installed: florence2-large (")
            && !line.contains("unfetched"),
        "{line}"
    );

    // By default base captions, whole sentences.
    let base_index = temp.path().join("base");
    let summary = index_with_models(
        &models,
        &footage,
        &base_index,
        &["--no-visual", "--no-speech"],
    );
    assert!(
        summary["notices"]
            .to_string()
            .contains("captions on: florence2-base"),
        "{summary}"
    );
    assert_eq!(summary["captions"], 2, "{summary}");
    assert_eq!(
        red_shot_caption(&models, &base_index, "clapperboard"),
        RED_CAPTION
    );

    // `--caption-model florence2-large` captions with large.
    let large_index = temp.path().join("large");
    let summary = index_with_models(
        &models,
        &footage,
        &large_index,
        &[
            "--no-visual",
            "--no-speech",
            "--caption-model",
            "florence2-large",
        ],
    );
    assert!(
        summary["notices"]
            .to_string()
            .contains("captions on: florence2-large"),
        "{summary}"
    );
    assert_eq!(summary["captions"], 2, "{summary}");
    let large_caption = red_shot_caption(&models, &large_index, "red");
    assert!(
        !large_caption.is_empty()
            && large_caption.len() < RED_CAPTION.len()
            && RED_CAPTION.starts_with(&large_caption),
        "large's 3-token caption: {large_caption:?}"
    );

    // An unknown name, or a caption model not fetched, fails before anything is indexed and
    // names the models to pick from.
    for (name, reason) in [
        (
            "florence2-huge",
            "no caption model named \"florence2-huge\"",
        ),
        (
            "florence2-unfetched",
            "caption model florence2-unfetched is not installed (run `rushes models fetch florence2-unfetched`)",
        ),
    ] {
        let index = temp.path().join(name);
        let output = Command::new(env!("CARGO_BIN_EXE_rushes"))
            .args(["index"])
            .arg(&footage)
            .arg("--index")
            .arg(&index)
            .args([
                "--no-ocr",
                "--no-visual",
                "--no-speech",
                "--caption-model",
                name,
            ])
            .env("RUSHES_MODELS", &models)
            .output()
            .expect("run rushes index");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name} was accepted: {stderr}");
        assert!(
            stderr.contains(reason)
                && stderr.contains("installed caption models: florence2-base, florence2-large"),
            "{stderr}"
        );
        assert!(!index.exists(), "{name}: an index was started");
    }
}
