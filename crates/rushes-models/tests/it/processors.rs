//! Our pre-processing held to the reference implementations' own processors (transformers,
//! no torch, run in .venv by tests/fixtures/models/reference_processors.py): Whisper's
//! log-mel features against `WhisperFeatureExtractor` on espeak-ng speech, CLIP's pixel
//! tensor against `CLIPImageProcessor` on real photos, CLIP's token ids against
//! `CLIPTokenizer` built from the real CLIP BPE. Inputs go to Python and results come
//! back as raw little-endian f32 files in a temp folder.

use std::path::Path;
use std::process::Command;

use rushes_models::clip::preprocess_images;
use rushes_models::whisper::MelExtractor;
use rushes_models::{ClipTokenizer, Manifest};

use crate::common::{opencv_data, repo_root};
use crate::reference::{differences, read_f32, run_python, write_f32};

const SCRIPT: &str = "tests/fixtures/models/reference_processors.py";

/// 16 kHz mono samples of `text` spoken by espeak-ng.
fn speech(dir: &Path, text: &str) -> Vec<f32> {
    let wav = dir.join("speech.wav");
    let status = Command::new("espeak-ng")
        .args(["-v", "en", "-s", "150", "-w"])
        .arg(&wav)
        .arg(text)
        .status()
        .expect("espeak-ng runs");
    assert!(status.success());
    let raw = dir.join("speech.f32");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(&wav)
        .args(["-ac", "1", "-ar", "16000", "-f", "f32le"])
        .arg(&raw)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    read_f32(&raw)
}

#[test]
fn whisper_log_mel_matches_the_whisper_feature_extractor() {
    let dir = tempfile::tempdir().expect("temp dir");
    let samples = speech(
        dir.path(),
        "The gaffer says the whole rig just went dark. Reset the lights for take three.",
    );
    let input = dir.path().join("input.f32");
    write_f32(&input, &samples);
    let theirs_path = dir.path().join("mel.f32");
    run_python(
        SCRIPT,
        &[
            Path::new("whisper-mel"),
            &input,
            Path::new("80"),
            &theirs_path,
        ],
    );
    let theirs = read_f32(&theirs_path);
    let ours = MelExtractor::new(80).features(&samples);
    assert_eq!(ours.dim(), (80, 3000));
    let (largest, mean) = differences(ours.as_slice().expect("contiguous"), &theirs);
    eprintln!("log-mel vs WhisperFeatureExtractor: max |Δ| {largest:.2e}, mean |Δ| {mean:.2e}");
    // Features span about -0.7..1.5; f32 FFT against numpy's float64 STFT.
    assert!(largest < 1e-4 && mean < 1e-6, "max {largest}, mean {mean}");
}

#[test]
fn clip_pixels_match_the_clip_image_processor() {
    let manifest = Manifest::load(&repo_root().join("models/clip-vit-b32.toml")).expect("manifest");
    let spec = manifest.image_encoder.expect("image encoder");
    let dir = tempfile::tempdir().expect("temp dir");
    // Non-square photos held the bug this found: cropping the source's central square
    // instead of CLIP's whole-pixel crop of the resized image (messi5: max |Δ| 0.54).
    let photos = [
        repo_root().join("runtime/test-images/astronaut.png"),
        opencv_data("messi5.jpg"),
        opencv_data("fruits.jpg"),
    ];
    for photo in photos {
        let image = image::open(&photo)
            .unwrap_or_else(|e| panic!("{}: {e}", photo.display()))
            .to_rgb8();
        let theirs_path = dir.path().join("pixels.f32");
        run_python(SCRIPT, &[Path::new("clip-pixels"), &photo, &theirs_path]);
        let theirs = read_f32(&theirs_path);
        let ours = preprocess_images(&[image], &spec).expect("preprocess");
        let (largest, mean) = differences(ours.as_slice().expect("contiguous"), &theirs);
        // One 8-bit level is about 0.015 after CLIP's normalisation.
        eprintln!(
            "{}: pixels vs CLIPImageProcessor: max |Δ| {largest:.4}, mean |Δ| {mean:.5}",
            photo.display()
        );
        assert!(
            largest < 0.1 && mean < 0.008,
            "{}: max {largest}, mean {mean}",
            photo.display()
        );
    }
}

/// The prompts CLIP sees: every tagger prompt of the BTS vocabulary (templates × concepts and
/// the neutral prompts), and queries as users type them.
fn clip_prompts() -> Vec<String> {
    let vocabulary: toml::Table = toml::from_str(
        &std::fs::read_to_string(repo_root().join("models/vocab/bts.toml")).expect("vocabulary"),
    )
    .expect("vocabulary parses");
    let strings = |key: &str| -> Vec<String> {
        vocabulary[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} is a list"))
            .iter()
            .map(|value| match value {
                toml::Value::String(text) => text.clone(),
                toml::Value::Table(table) => table["name"].as_str().expect("concept name").into(),
                other => panic!("{key}: unexpected {other}"),
            })
            .collect()
    };
    let mut prompts = strings("neutral");
    for template in strings("templates") {
        for concept in strings("concepts") {
            prompts.push(template.replace("{}", &concept));
        }
    }
    prompts.extend(
        [
            "Scene 42, take 3!",
            "SC 17B TK 4 ROLL A012",
            "the gaffer\u{2019}s rig just went dark",
            "don't   SPILL the coffee",
            "it's the DoP's call, we're rolling",
            "caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e",
            "\u{62cd}\u{6444}\u{73b0}\u{573a}",
            "stunt rigging \u{1f3ac}",
            "<|endoftext|> hello",
            "  \tleading and trailing\n ",
            "",
        ]
        .map(String::from),
    );
    // Longer than 77 tokens: truncated to the context with the end token kept last.
    prompts.push(["boom operator"; 60].join(" "));
    prompts
}

#[test]
fn clip_token_ids_match_the_clip_tokenizer() {
    let manifest = Manifest::load(&repo_root().join("models/clip-vit-b32.toml")).expect("manifest");
    let spec = manifest.text_encoder.expect("text encoder");
    let dir = tempfile::tempdir().expect("temp dir");
    let prompts = clip_prompts();
    let prompts_path = dir.path().join("prompts.json");
    std::fs::write(&prompts_path, serde_json::to_vec(&prompts).expect("json")).expect("write");
    run_python(
        SCRIPT,
        &[Path::new("clip-tokens"), &prompts_path, dir.path()],
    );
    let theirs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("ids.json")).expect("ids.json"))
            .expect("ids.json parses");
    let texts: Vec<&str> = prompts.iter().map(String::as_str).collect();
    // The tokenizer file transformers writes (the kind the model hub ships for CLIP, which
    // users fetch) and the one make_clip_fixture.py writes for the test fixture.
    for source in ["transformers", "fixture"] {
        let tokenizer = ClipTokenizer::open(&dir.path().join(source).join("tokenizer.json"), &spec)
            .unwrap_or_else(|e| panic!("{source}: {e}"));
        let (ids, mask) = tokenizer.encode(&texts).expect("encode");
        assert_eq!(ids.dim(), (prompts.len(), spec.context_length));
        for (row, prompt) in prompts.iter().enumerate() {
            let expected = |key: &str| -> Vec<i64> {
                theirs[key][row]
                    .as_array()
                    .expect("row")
                    .iter()
                    .map(|id| id.as_i64().expect("id"))
                    .collect()
            };
            assert_eq!(
                ids.row(row).to_vec(),
                expected("input_ids"),
                "{source}: ids of {prompt:?}"
            );
            assert_eq!(
                mask.row(row).to_vec(),
                expected("attention_mask"),
                "{source}: mask of {prompt:?}"
            );
        }
    }
}
