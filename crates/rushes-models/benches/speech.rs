//! Times voice-activity detection with the real Silero VAD model on speech the harness
//! prepared (espeak-ng sentences with silences and noise between them), and Whisper
//! transcription of one 30 s window of it with a Whisper-tiny-sized random-weight model,
//! and Florence-2-base-sized keyframe captions; prints one JSON line per measurement, as
//! the `encoders` target does.
//!
//! `RUSHES_BENCH_SPEECH` names a file of raw 16 kHz mono f32 little-endian samples (bench/
//! speech_rows.py makes it with ffmpeg). `RUSHES_MODELS` (default: the repo's `models/`)
//! holds the `silero-vad` model that scripts/setup.sh installs. `RUSHES_BENCH_WHISPER_MODEL`
//! names the folder of a Whisper-sized model (bench/speech_rows.py generates it with
//! tests/fixtures/models/make_whisper_tiny_random.py); its manifest's `max_tokens` caps the
//! decode. `RUSHES_BENCH_CAPTION_MODEL` names the folder of a Florence-2-sized model
//! (tests/fixtures/models/make_florence2_base_random.py) and `RUSHES_BENCH_KEYFRAMES` a
//! folder of PNG keyframes, captioned in one batch as ingest does. Inputs that are absent
//! make the row print a `"skipped"` line instead.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rushes_models::whisper::{SAMPLE_RATE, WINDOW_SAMPLES, WhisperModel};
use rushes_models::{Captioner, Manifest, ModelStore, SileroVad};
use serde_json::json;

#[path = "shared/keyframes.rs"]
mod prepared_keyframes;
use prepared_keyframes::keyframes_in;

const THREADS: usize = 2;

fn models_dir() -> PathBuf {
    match std::env::var_os("RUSHES_MODELS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"),
    }
}

/// Raw f32 little-endian samples from `path`.
fn read_samples(path: &Path) -> Result<Vec<f32>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !bytes.len().is_multiple_of(4) {
        return Err(format!("{}: not whole f32 samples", path.display()));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// The path in environment variable `name`, if set and not empty.
fn path_from_env(name: &str) -> Result<PathBuf, String> {
    std::env::var_os(name)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
        .ok_or(format!("{name} is not set"))
}

/// Runs `work` once: its result and the seconds it took.
fn timed<T, E: std::fmt::Display>(work: impl FnOnce() -> Result<T, E>) -> Result<(T, f64), String> {
    let started = Instant::now();
    let result = work().map_err(|e| e.to_string())?;
    Ok((result, started.elapsed().as_secs_f64()))
}

fn vad() -> Result<serde_json::Value, String> {
    let samples = read_samples(&path_from_env("RUSHES_BENCH_SPEECH")?)?;
    let store = ModelStore::new(&models_dir());
    let mut vad = SileroVad::load(&store, THREADS).map_err(|e| e.to_string())?;
    let audio_seconds = samples.len() as f64 / f64::from(vad.sample_rate());
    let (segments, seconds) = timed(|| vad.detect(&samples))?;
    Ok(json!({
        "bench": "vad",
        "seconds": seconds,
        "audio_seconds": audio_seconds,
        "segments": segments.iter().map(|s| [s.start, s.end]).collect::<Vec<_>>(),
        "threads": THREADS,
    }))
}

/// A generated decoding model (Whisper- or Florence-2-sized) for a timed row.
struct DecoderModel {
    /// The store holding the model's folder.
    store: ModelStore,
    /// The folder's name, which is the model's name in the store.
    name: String,
    /// The decode cap from the manifest's model section, reported beside the timing.
    max_tokens: usize,
}

/// The model in the folder named by environment variable `variable`, with the token cap
/// `max_tokens_of` reads from its manifest's `[section]`.
fn decoder_model_from_env(
    variable: &str,
    section: &str,
    max_tokens_of: fn(Manifest) -> Option<usize>,
) -> Result<DecoderModel, String> {
    let model_dir = path_from_env(variable)?;
    let name = model_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or(format!("{variable} names no folder"))?;
    let store = ModelStore::new(model_dir.parent().unwrap_or(Path::new(".")));
    let manifest = store.manifest(&name).map_err(|e| e.to_string())?;
    let max_tokens =
        max_tokens_of(manifest).ok_or(format!("the model has no [{section}] section"))?;
    Ok(DecoderModel {
        store,
        name,
        max_tokens,
    })
}

/// The keyframes captioned in one `Captioner::caption_images` call (one batch, as ingest's
/// caption worker sends them): vision encoder, text encoder, greedy decode with the cache.
fn caption() -> Result<serde_json::Value, String> {
    let keyframes = keyframes_in(&path_from_env("RUSHES_BENCH_KEYFRAMES")?)?;
    let model = decoder_model_from_env("RUSHES_BENCH_CAPTION_MODEL", "caption", |manifest| {
        manifest.caption.map(|spec| spec.max_tokens)
    })?;
    let mut captioner =
        Captioner::load(&model.store, &model.name, THREADS).map_err(|e| e.to_string())?;
    let (captions, seconds) = timed(|| captioner.caption_images(&keyframes))?;
    Ok(json!({
        "bench": "caption",
        "seconds": seconds,
        "seconds_per_keyframe": seconds / keyframes.len() as f64,
        "keyframes": keyframes.len(),
        "captions": captions.len(),
        "max_tokens": model.max_tokens,
        "threads": THREADS,
    }))
}

/// One 30 s window of the prepared speech through `WhisperModel::transcribe` (mel features,
/// encoder, greedy decode with the key/value cache), language given so no detection step.
fn whisper() -> Result<serde_json::Value, String> {
    let samples = read_samples(&path_from_env("RUSHES_BENCH_SPEECH")?)?;
    let window = &samples[..samples.len().min(WINDOW_SAMPLES)];
    let model = decoder_model_from_env("RUSHES_BENCH_WHISPER_MODEL", "whisper", |manifest| {
        manifest.whisper.map(|spec| spec.max_tokens)
    })?;
    let mut whisper =
        WhisperModel::load(&model.store, &model.name, THREADS).map_err(|e| e.to_string())?;
    let (transcription, seconds) = timed(|| whisper.transcribe(window, 0.0, Some("en")))?;
    Ok(json!({
        "bench": "whisper",
        "seconds": seconds,
        "window_seconds": window.len() as f64 / f64::from(SAMPLE_RATE),
        "max_tokens": model.max_tokens,
        "lines": transcription.lines.len(),
        "threads": THREADS,
    }))
}

/// A bench row: its JSON line, or why it was skipped.
type Row = fn() -> Result<serde_json::Value, String>;

fn main() {
    let rows: [(&str, Row); 3] = [("vad", vad), ("whisper", whisper), ("caption", caption)];
    for (bench, row) in rows {
        match row() {
            Ok(line) => println!("{line}"),
            Err(reason) => println!("{}", json!({ "bench": bench, "skipped": reason })),
        }
    }
}
