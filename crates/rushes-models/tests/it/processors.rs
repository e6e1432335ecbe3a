//! Our pre-processing held to the reference implementations' own processors (transformers,
//! no torch, run in .venv by tests/fixtures/models/reference_processors.py): Whisper's
//! log-mel features against `WhisperFeatureExtractor` on espeak-ng speech, CLIP's pixel
//! tensor against `CLIPImageProcessor` on real photos. Inputs go to Python and results come
//! back as raw little-endian f32 files in a temp folder.

use std::path::Path;
use std::process::Command;

use rushes_models::Manifest;
use rushes_models::clip::preprocess_images;
use rushes_models::whisper::MelExtractor;

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
