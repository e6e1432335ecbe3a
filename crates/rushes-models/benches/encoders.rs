//! Times the CLIP image encoder on a ViT-B/32-sized graph with random weights and PP-OCR
//! on a few real keyframes; prints one JSON line per measurement (OCR prints the text it read
//! on each frame, so the harness can compare it with RapidOCR's).
//!
//! `RUSHES_BENCH_KEYFRAMES` names a folder of PNG keyframes (the harness passes the reel's,
//! which carry burned-in slates); without it, Megamind.avi at 1, 4 and 8 s is decoded.
//! `RUSHES_BENCH_IMAGE_MODEL` names the random graph's `.onnx` (its manifest is
//! `<folder>.toml` beside the folder, as tests/fixtures/models/make_vit_b32_random.py writes
//! it); without it, bench/work/models/vit-b32-random is used. Inputs that are absent make
//! that part print a `"skipped"` line instead.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rushes_models::clip::ClipImageEncoder;
use rushes_models::ocr::TextFilter;
use rushes_models::{ImageEmbedder, ModelStore, OcrEngine};
use serde_json::json;

#[path = "shared/keyframes.rs"]
mod prepared_keyframes;
use prepared_keyframes::keyframes_in;

const THREADS: usize = 2;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn skipped(bench: &str, reason: String) {
    println!("{}", json!({ "bench": bench, "skipped": reason }));
}

/// The keyframes the harness prepared, or frames of real footage decoded into `scratch`.
fn keyframes(scratch: &Path) -> Result<Vec<image::RgbImage>, String> {
    match std::env::var_os("RUSHES_BENCH_KEYFRAMES") {
        Some(folder) if !folder.is_empty() => keyframes_in(Path::new(&folder)),
        _ => decode_keyframes(scratch),
    }
}

/// Frames of real footage at a few times, decoded by ffmpeg into `dir`.
fn decode_keyframes(dir: &Path) -> Result<Vec<image::RgbImage>, String> {
    let video = Path::new("/usr/share/doc/opencv-doc/examples/data/Megamind.avi");
    let mut frames = Vec::new();
    for (index, time) in ["1", "4", "8"].iter().enumerate() {
        let out = dir.join(format!("key{index}.png"));
        let status = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-ss",
                time,
                "-i",
            ])
            .arg(video)
            .args(["-frames:v", "1"])
            .arg(&out)
            .status()
            .map_err(|e| format!("ffmpeg: {e}"))?;
        if !status.success() {
            return Err(format!("ffmpeg could not decode {}", video.display()));
        }
        frames.push(image::open(&out).map_err(|e| e.to_string())?.to_rgb8());
    }
    Ok(frames)
}

fn bench_image_encoder(frames: &[image::RgbImage]) {
    let (models, name) = match std::env::var_os("RUSHES_BENCH_IMAGE_MODEL") {
        Some(onnx) if !onnx.is_empty() => {
            let folder = Path::new(&onnx).parent().unwrap_or(Path::new("."));
            let name = folder.file_name().map(|n| n.to_string_lossy().into_owned());
            let models = folder.parent().unwrap_or(Path::new(".")).to_path_buf();
            (models, name.unwrap_or_default())
        }
        _ => (
            repo_root().join("bench/work/models"),
            "vit-b32-random".to_owned(),
        ),
    };
    let store = ModelStore::new(&models);
    let mut encoder = match ClipImageEncoder::load(&store, &name, THREADS) {
        Ok(encoder) => encoder,
        Err(e) => {
            return skipped(
                "clip_image_embed",
                format!("{e} (run tests/fixtures/models/make_vit_b32_random.py)"),
            );
        }
    };
    let batch: Vec<image::RgbImage> = frames.iter().cycle().take(8).cloned().collect();
    if let Err(e) = encoder.embed_images(&batch[..1]) {
        return skipped("clip_image_embed", e.to_string());
    }
    let rounds = 3;
    let start = Instant::now();
    for _ in 0..rounds {
        if let Err(e) = encoder.embed_images(&batch) {
            return skipped("clip_image_embed", e.to_string());
        }
    }
    let ms_per_image = start.elapsed().as_secs_f64() * 1000.0 / (rounds * batch.len()) as f64;
    println!(
        "{}",
        json!({ "bench": "clip_image_embed", "model": name, "threads": THREADS, "batch": batch.len(), "ms_per_image": ms_per_image })
    );
}

fn bench_ocr(frames: &[image::RgbImage]) {
    let store = ModelStore::new(&repo_root().join("models"));
    let mut engine = match OcrEngine::load(&store, THREADS) {
        Ok(engine) => engine,
        Err(e) => return skipped("ocr_read", e.to_string()),
    };
    let start = Instant::now();
    let mut texts: Vec<Vec<String>> = Vec::with_capacity(frames.len());
    for frame in frames {
        match engine.read(frame) {
            Ok(read) => texts.push(read.into_iter().map(|line| line.text).collect()),
            Err(e) => return skipped("ocr_read", e.to_string()),
        }
    }
    let lines: usize = texts.iter().map(Vec::len).sum();
    let read_ms = start.elapsed().as_secs_f64() * 1000.0 / frames.len() as f64;
    let start = Instant::now();
    for frame in frames {
        if let Err(e) = engine.has_text(frame) {
            return skipped("ocr_has_text", e.to_string());
        }
    }
    let gate_ms = start.elapsed().as_secs_f64() * 1000.0 / frames.len() as f64;
    // Untimed: the same frames with RapidOCR's line filter instead of rushes', so the report
    // can tell a detector/recogniser difference from a deliberate filter difference.
    *engine.text_filter_mut() = TextFilter::RAPIDOCR;
    let mut unfiltered: Vec<Vec<(String, f32)>> = Vec::with_capacity(frames.len());
    for frame in frames {
        match engine.read(frame) {
            Ok(read) => unfiltered.push(read.into_iter().map(|l| (l.text, l.score)).collect()),
            Err(e) => return skipped("ocr_read", e.to_string()),
        }
    }
    let filter = TextFilter::default();
    println!(
        "{}",
        json!({ "bench": "ocr_read", "frames": frames.len(), "threads": THREADS, "ms_per_frame": read_ms, "lines": lines, "texts": texts,
                "unfiltered_lines": unfiltered, "filter": { "min_score": filter.min_score, "min_chars": filter.min_chars } })
    );
    println!(
        "{}",
        json!({ "bench": "ocr_has_text", "frames": frames.len(), "threads": THREADS, "ms_per_frame": gate_ms })
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: run only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let work = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return skipped("encoders", e.to_string()),
    };
    let frames = match keyframes(work.path()) {
        Ok(frames) => frames,
        Err(reason) => return skipped("encoders", reason),
    };
    bench_image_encoder(&frames);
    bench_ocr(&frames);
}
