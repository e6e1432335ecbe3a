//! Silero VAD for real: speech synthesised with espeak-ng, placed at known offsets in
//! noise and silence with ffmpeg, must come back as segments within 0.3 s of the truth.

use std::path::{Path, PathBuf};
use std::process::Command;

use rushes_models::{ModelStore, SileroVad};

use crate::common::repo_root;

const RATE: u32 = 16_000;

/// A temp models folder whose `silero-vad` links to the repo's real model file.
fn vad_store() -> (tempfile::TempDir, ModelStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let models = repo_root().join("models");
    std::fs::copy(
        models.join("silero-vad.toml"),
        dir.path().join("silero-vad.toml"),
    )
    .expect("copy manifest");
    std::fs::create_dir(dir.path().join("silero-vad")).expect("model folder");
    let model = models.join("silero-vad/silero_vad.onnx");
    assert!(model.is_file(), "{}: run scripts/setup.sh", model.display());
    std::os::unix::fs::symlink(&model, dir.path().join("silero-vad/silero_vad.onnx"))
        .expect("link");
    let store = ModelStore::new(dir.path());
    (dir, store)
}

fn run(command: &mut Command) {
    let status = command.status().expect("tool runs");
    assert!(status.success(), "{command:?} failed");
}

/// Speaks `text` with espeak-ng into a 16 kHz mono WAV.
fn speak(dir: &Path, name: &str, text: &str) -> PathBuf {
    let raw = dir.join(format!("{name}.raw.wav"));
    run(Command::new("espeak-ng")
        .args(["-v", "en", "-s", "150", "-w"])
        .arg(&raw)
        .arg(text));
    let out = dir.join(format!("{name}.wav"));
    run(Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(&raw)
        .args(["-ac", "1", "-ar", "16000"])
        .arg(&out));
    out
}

/// Decodes any audio file to 16 kHz mono f32.
fn samples(path: &Path) -> Vec<f32> {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args(["-ac", "1", "-ar", "16000", "-f", "f32le", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(output.status.success());
    output
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Where the voice is inside a clean espeak-ng recording (espeak pads with silence): first
/// and last 10 ms block whose peak is above 2% of full scale.
fn voiced_span(clean: &[f32]) -> (f64, f64) {
    let block = RATE as usize / 100;
    let loud: Vec<usize> = clean
        .chunks(block)
        .enumerate()
        .filter(|(_, chunk)| chunk.iter().any(|s| s.abs() > 0.02))
        .map(|(i, _)| i)
        .collect();
    let first = *loud.first().expect("espeak produced sound");
    let last = *loud.last().expect("espeak produced sound");
    (first as f64 / 100.0, (last + 1) as f64 / 100.0)
}

/// Mixes utterances at their offsets (seconds) over `length` seconds of pink noise at
/// `noise_amplitude`.
fn mix(dir: &Path, utterances: &[(&Path, f64)], length: f64, noise_amplitude: f64) -> PathBuf {
    let out = dir.join("mix.wav");
    let mut command = Command::new("ffmpeg");
    command.args([
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
    ]);
    command.arg(format!(
        "anoisesrc=color=pink:amplitude={noise_amplitude}:sample_rate=16000:duration={length}:seed=7"
    ));
    for (path, _) in utterances {
        command.arg("-i").arg(path);
    }
    let mut graph = String::new();
    for (position, (_, offset)) in utterances.iter().enumerate() {
        let millis = (offset * 1000.0).round() as u64;
        graph.push_str(&format!(
            "[{}:a]adelay={millis}:all=1[s{position}];",
            position + 1
        ));
    }
    graph.push_str("[0:a]");
    for position in 0..utterances.len() {
        graph.push_str(&format!("[s{position}]"));
    }
    graph.push_str(&format!(
        "amix=inputs={}:duration=first:normalize=0[out]",
        utterances.len() + 1
    ));
    command
        .args([
            "-filter_complex",
            &graph,
            "-map",
            "[out]",
            "-ac",
            "1",
            "-ar",
            "16000",
        ])
        .arg(&out);
    run(&mut command);
    out
}

#[test]
fn speech_in_noise_is_found_at_its_offsets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = speak(
        dir.path(),
        "first",
        "The director wants another take of the stunt on the roof.",
    );
    let second = speak(
        dir.path(),
        "second",
        "Lighting is ready, we roll in five minutes.",
    );
    let offsets = [2.0, 9.5];
    let mixed = mix(
        dir.path(),
        &[(&first, offsets[0]), (&second, offsets[1])],
        16.0,
        0.02,
    );
    let truth: Vec<(f64, f64)> = [&first, &second]
        .iter()
        .zip(offsets)
        .map(|(path, offset)| {
            let (start, end) = voiced_span(&samples(path));
            (start + offset, end + offset)
        })
        .collect();

    let (_dir, store) = vad_store();
    let mut vad = SileroVad::load(&store, 1).expect("silero loads");
    let audio = samples(&mixed);
    let segments = vad.detect(&audio).expect("vad runs");
    // Words inside one sentence may split on short pauses: group segments by utterance.
    assert!(!segments.is_empty(), "no speech found");
    for (start, end) in &truth {
        let inside: Vec<_> = segments
            .iter()
            .filter(|s| s.end > start - 1.0 && s.start < end + 1.0)
            .collect();
        assert!(
            !inside.is_empty(),
            "no segment near {start}..{end}: {segments:?}"
        );
        let found_start = inside.iter().map(|s| s.start).fold(f64::MAX, f64::min);
        let found_end = inside.iter().map(|s| s.end).fold(f64::MIN, f64::max);
        assert!(
            (found_start - start).abs() <= 0.3,
            "speech at {start:.2} found at {found_start:.2}: {segments:?}"
        );
        assert!(
            (found_end - end).abs() <= 0.3,
            "speech ending {end:.2} found ending {found_end:.2}: {segments:?}"
        );
    }
    // Nothing is found in the noise-only stretches.
    for segment in &segments {
        assert!(
            truth
                .iter()
                .any(|(start, end)| segment.end > start - 0.3 && segment.start < end + 0.3),
            "segment in noise only: {segment:?} (truth {truth:?})"
        );
    }
}

#[test]
fn silence_and_noise_alone_have_no_speech() {
    let dir = tempfile::tempdir().expect("temp dir");
    let noise = mix(dir.path(), &[], 6.0, 0.05);
    let (_dir, store) = vad_store();
    let mut vad = SileroVad::load(&store, 1).expect("silero loads");
    let segments = vad.detect(&samples(&noise)).expect("vad runs");
    assert!(segments.is_empty(), "{segments:?}");
    let silence = vec![0.0f32; RATE as usize * 3];
    assert!(vad.detect(&silence).expect("vad runs").is_empty());
}
