//! Whisper decoding through ONNX Runtime on the scripted fixture (tests/fixtures/models/
//! make_whisper_fixture.py): the prompt, language detection, the KV-cache loop (the
//! fixture only produces its script when present key/values come back as past), timestamp
//! rules and parsing, the tokenizer, 30 s windows and offsets.

use rushes_models::ModelError;
use rushes_models::whisper::{TimedText, WhisperModel};

use crate::common::fixture_model_store;

const RATE: usize = 16_000;

fn line(start: f64, end: f64, text: &str) -> TimedText {
    TimedText {
        start,
        end,
        text: text.to_string(),
    }
}

fn assert_lines(actual: &[TimedText], expected: &[TimedText]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?}");
    for (got, want) in actual.iter().zip(expected) {
        assert_eq!(got.text, want.text, "{actual:?}");
        assert!((got.start - want.start).abs() < 1e-6, "{actual:?}");
        assert!((got.end - want.end).abs() < 1e-6, "{actual:?}");
    }
}

/// Three seconds of a quiet tone: the fixture's script does not depend on the audio.
fn tone(seconds: usize) -> Vec<f32> {
    (0..seconds * RATE)
        .map(|n| 0.1 * (n as f32 * 0.05).sin())
        .collect()
}

#[test]
fn greedy_decode_with_kv_cache_gives_the_timed_lines_and_detects_the_language() {
    let (_dir, store) = fixture_model_store("whisper-fixture");
    let mut model = WhisperModel::load(&store, "whisper-fixture", 1).expect("fixture loads");
    assert_eq!(model.languages(), vec!["en", "de", "fr"]);
    let heard = model.transcribe(&tone(3), 0.0, None).expect("transcribes");
    assert_eq!(heard.language, "de");
    assert_lines(
        &heard.lines,
        &[
            line(0.0, 1.5, "roll camera"),
            line(1.8, 2.4, "scene forty two"),
        ],
    );
}

#[test]
fn a_given_language_is_used_and_times_are_offset_by_the_segment_start() {
    let (_dir, store) = fixture_model_store("whisper-fixture");
    let mut model = WhisperModel::load(&store, "whisper-fixture", 1).expect("fixture loads");
    let heard = model
        .transcribe(&tone(3), 12.5, Some("en"))
        .expect("transcribes");
    assert_eq!(heard.language, "en");
    assert_lines(
        &heard.lines,
        &[
            line(12.5, 14.0, "roll camera"),
            line(14.3, 14.9, "scene forty two"),
        ],
    );
    let error = model
        .transcribe(&tone(1), 0.0, Some("xx"))
        .expect_err("unknown language");
    assert!(matches!(error, ModelError::InvalidInput(_)), "{error}");
    assert!(error.to_string().contains("\"xx\""), "{error}");
}

#[test]
fn audio_longer_than_30_s_is_decoded_window_by_window() {
    let (_dir, store) = fixture_model_store("whisper-fixture");
    let mut model = WhisperModel::load(&store, "whisper-fixture", 1).expect("fixture loads");
    let heard = model.transcribe(&tone(45), 0.0, None).expect("transcribes");
    let starts: Vec<f64> = heard.lines.iter().map(|l| l.start).collect();
    assert_eq!(starts.len(), 4, "{:?}", heard.lines);
    assert!((starts[2] - 30.0).abs() < 1e-6 && (starts[3] - 31.8).abs() < 1e-6);
}

#[test]
fn a_graph_without_the_whisper_names_is_refused_naming_the_file() {
    let (dir, store) = fixture_model_store("whisper-fixture");
    let manifest = dir.path().join("whisper-fixture.toml");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    // The decoder put where the encoder belongs.
    let swapped = text.replace(
        "encoder = \"encoder_model.onnx\"",
        "encoder = \"decoder_model_merged.onnx\"",
    );
    std::fs::write(&manifest, swapped).expect("write manifest");
    let error = WhisperModel::load(&store, "whisper-fixture", 1).expect_err("wrong graph");
    assert!(error.is_user_error());
    let message = error.to_string();
    assert!(
        message.contains("decoder_model_merged.onnx") && message.contains("input_features"),
        "{message}"
    );
}
