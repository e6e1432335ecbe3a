//! Times voice-activity detection with the real Silero VAD model on speech the harness
//! prepared (espeak-ng sentences with silences and noise between them); prints one JSON line
//! per measurement, as the `encoders` target does.
//!
//! `RUSHES_BENCH_SPEECH` names a file of raw 16 kHz mono f32 little-endian samples (bench/
//! speech_rows.py makes it with ffmpeg). `RUSHES_MODELS` (default: the repo's `models/`)
//! holds the `silero-vad` model that scripts/setup.sh installs. Inputs that are absent make
//! the row print a `"skipped"` line instead.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rushes_models::{ModelStore, SileroVad};
use serde_json::json;

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

fn vad() -> Result<serde_json::Value, String> {
    let speech = std::env::var_os("RUSHES_BENCH_SPEECH")
        .filter(|path| !path.is_empty())
        .ok_or("RUSHES_BENCH_SPEECH is not set")?;
    let samples = read_samples(Path::new(&speech))?;
    let store = ModelStore::new(&models_dir());
    let mut vad = SileroVad::load(&store, THREADS).map_err(|e| e.to_string())?;
    let audio_seconds = samples.len() as f64 / f64::from(vad.sample_rate());
    let started = Instant::now();
    let segments = vad.detect(&samples).map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(json!({
        "bench": "vad",
        "seconds": seconds,
        "audio_seconds": audio_seconds,
        "segments": segments.iter().map(|s| [s.start, s.end]).collect::<Vec<_>>(),
        "threads": THREADS,
    }))
}

fn main() {
    match vad() {
        Ok(line) => println!("{line}"),
        Err(reason) => println!("{}", json!({ "bench": "vad", "skipped": reason })),
    }
}
